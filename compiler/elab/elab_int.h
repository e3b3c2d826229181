/* elab_int.h: what the files of the elaborator share (not for other
 * passes): translation values (compile-time numbers or IR tensors),
 * environments of names, the experiment and translation contexts, and each
 * file's entry points. */
#ifndef DUET_ELAB_INT_H
#define DUET_ELAB_INT_H

#include <stdbool.h>

#include "ad.h"
#include "elab.h"
#include "ops.h"

/* ---- values ------------------------------------------------------------ */

typedef enum ev_kind {
  EV_ERR,  /* translation failed; the error was reported */
  EV_NONE, /* an argument that was not given */
  EV_NUM,  /* compile-time number */
  EV_BOOL,
  EV_STR,
  EV_TENSOR, /* an IR node of the current graph */
  EV_TUPLE
} ev_kind;

typedef struct ev {
  ev_kind kind;
  cnum num; /* EV_NUM (cnum.h: exact int64 or double) */
  bool b;
  const char *s;
  ir_node *node;
  int n;            /* EV_TUPLE */
  struct ev *items; /* EV_TUPLE: arena-owned */
} ev;

static inline ev ev_err(void) { return (ev){.kind = EV_ERR}; }
static inline ev ev_cnum(cnum v) { return (ev){.kind = EV_NUM, .num = v}; }
static inline ev ev_num(double v) { return ev_cnum(cnum_float(v)); }
static inline ev ev_int(long long v) { return ev_cnum(cnum_int(v)); }
static inline ev ev_bool(bool b) { return (ev){.kind = EV_BOOL, .b = b}; }
static inline ev ev_tensor(ir_node *n) { return n ? (ev){.kind = EV_TENSOR, .node = n} : ev_err(); }

/* ---- environments ------------------------------------------------------ */

/* One name. A `let` of an atom is translated on first use (`lazy`, in the
 * environment that holds it) and cached; a weight (`tensor` >= 0) reads the
 * translation's node of that tensor. */
typedef struct el_bind {
  const char *name;
  ev val;
  const ast_expr *lazy;
  int tensor;
  bool busy;
} el_bind;

typedef struct el_env {
  struct el_env *parent;
  int n, cap;
  el_bind *b; /* arena-owned */
} el_env;

/* ---- contexts ---------------------------------------------------------- */

/* One elaboration of an experiment into one program. Owns nothing: the
 * sema result, experiment, model and diagnostics belong to the caller;
 * everything the elaborator allocates lives in the compilation arena or in
 * the program's pool. */
typedef struct el_ctx {
  const sema_result *r;
  const sema_experiment *e;
  const mt_model *m; /* e->model */
  diag_ctx *d;
  arena *a;            /* the compilation arena (r->arena) */
  ir_program *p;       /* the program being built (returned to the caller) */
  elab_data_info data; /* of the `train` binding */
  long long batch;     /* training batch */
} el_ctx;

/* The logged norms estimate spectral(W) by rt_spectral_lanczos: `steps`
 * Lanczos steps from a persistent direction per call of spectral, the state
 * tensor "<prefix><k>" for the k-th call (from 0, in translation order),
 * declared on first use and assigned the next direction. */
typedef struct el_spectral_est {
  const char *prefix; /* arena-owned */
  int steps;
  int calls;
} el_spectral_est;

struct el_tx;
/* The optimizer's dualize(u) for the current weight. */
typedef ev (*el_dualize_fn)(struct el_tx *x, const ast_expr *call, ev u);

/* One translation of bodies into one graph (of c->p). Strings and arrays
 * are arena-owned or static. */
typedef struct el_tx {
  el_ctx *c;
  ir_graph *g;
  ir_node **wref;          /* per model weight: its IR_TENSOR node in g, or NULL */
  const char *what;        /* message prefix: a module path, "dualize of ..." */
  diag_loc inst;           /* where that module or optimizer was chosen */
  const char *inst_note;   /* the note shown there ("... is created here") */
  el_dualize_fn dualize;   /* NULL outside optimizer bodies */
  const mt_weight *weight; /* optimizer bodies: the weight being stepped */
  el_spectral_est *est;    /* logged norms (owned by the caller); NULL: exact */
  bool polar_exact;        /* polar(G) by SVD whatever its schedule */
  bool forward;            /* translating forward bodies: aux_loss allowed */
  ir_node *aux;            /* the sum of their aux_loss terms, or NULL */
  const char *precision;   /* inside dualize(u, precision = p): p, else NULL */
} el_tx;

/* elab_env.c */
el_env *el_env_new(arena *a, el_env *parent);
void el_env_set(arena *a, el_env *env, const char *name, ev v);
void el_env_lazy(arena *a, el_env *env, const char *name, const ast_expr *e);
void el_env_weight(arena *a, el_env *env, const char *name, int tensor);
/* The binding of name and the environment holding it, or NULL. */
el_bind *el_env_find(el_env *env, const char *name, el_env **where);
ev el_value_of_mt(mt_value v);
/* The environment of an atom or bond instance: parameters, lets, weights. */
el_env *el_instance_env(el_ctx *c, const mt_node *n);
/* IR_TENSOR node of model weight i in the translation's graph. */
ir_node *el_weight_node(el_tx *x, int i);

/* elab_report.c: errors of a translation. Each returns ev_err(). */
ev el_fail(el_tx *x, diag_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The experiment's `train` binding, or NULL. */
const sema_data *el_train_data(const sema_experiment *e);
/* What the examples of d come from, for messages: the features' file name
 * ("x.npy"), else the source ("fashion_mnist()"). */
const char *el_data_origin(el_ctx *c, const sema_data *d);
/* A builder result: the node, or the graph's message reported at loc. */
ev el_ir(el_tx *x, diag_loc loc, ir_node *n);
/* Sets the graph location to the current module path and `loc`. */
void el_set_loc(el_tx *x, diag_loc loc);
/* "[256, 784]" for a value, "a tuple of 2", "a number", ... (arena). */
const char *el_describe(el_tx *x, ev v);

/* elab_expr.c: expression translation. */
ev el_expr(el_tx *x, const ast_expr *e, el_env *env);
/* A number or bool as a tensor node (constants become IR_CONST). */
ir_node *el_node(el_tx *x, ev v);
/* Elementwise binary operation with folding of numbers. */
ev el_binop(el_tx *x, diag_loc loc, ir_op op, ev a, ev b);
/* Requires a compile-time integer. */
bool el_want_int(el_tx *x, ev v, diag_loc loc, const char *what, long long *out);
bool el_want_tensor(el_tx *x, ev v, diag_loc loc, const char *what);
/* Arithmetic takes real values: an int32 tensor (labels, argmax, topk's
 * indices) as an operand of op is an error. */
bool el_want_real(el_tx *x, ev v, diag_loc loc, const char *op);

/* elab_builtins.c: calls of the registry's builtins. */
ev el_call_builtin(el_tx *x, const ast_expr *call, el_env *env);
/* A value as the registry's builders see it (a tuple: its size only). */
ops_val el_to_ops(ev v);

/* elab_init.c: parameters and initializers. */
bool el_declare_params(el_ctx *c);
/* Whether a state's value is an initializer (0, 1, normal(...), ...),
 * rather than an expression computed before the first step. */
bool el_is_initializer(const ast_expr *e);
/* ir_init of an initializer expression for a tensor of the given rank.
 * `scope` is the atom instance (weights), or NULL with `env` (state). */
bool el_init_of(el_tx *x, const ast_expr *e, const mt_node *scope, el_env *env, int rank,
                ir_init *out);

/* elab_forward.c: the model's forward pass and the loss. */
ev el_forward(el_tx *x, const mt_node *n, ev in);
/* Model output and per-step inputs x, y of batch `batch` in graph x->g:
 * returns the loss node and, when `correct` is not NULL, the count of
 * correct predictions (NULL for non-classifiers). NULL after errors. With
 * `correct` NULL (training), the loss includes the forward bodies'
 * aux_loss terms. */
ir_node *el_model_loss(el_tx *x, long long batch, ir_node **correct);

/* elab_optim.c: one optimizer step for weight w; returns the new weight
 * value and adds the state assignments to the graph. */
ir_node *el_optimizer_step(el_tx *x, const mt_weight *w, const sema_optimizer *o, ir_node *grad);
/* The atom's dualize rule for weight k applied to u (without the share):
 * the body, or item k of a tuple body for an atom with several weights. */
ev el_atom_dualize(el_tx *x, const mt_node *atom, int k, ev u);
/* Translates the dualize body of every atom on its own weights (checks). */
bool el_check_dualize(el_tx *x, const mt_node *atom);

/* elab_norm.c: the declared norm of one atom on its weights or on vals[]
 * (per model weight; `update`: updates), its spectral norms estimated
 * (logged norms) or exact. */
ev el_atom_norm(el_tx *x, const mt_node *atom, ir_node *const *vals, bool update, bool estimate);
/* The modular norm of the weights (vals == NULL) or of
 * vals[i] (per model weight): with `update`, of updates (the estimates
 * start from the update directions); a rank-0 node, or NULL after errors. */
ir_node *el_modular_norm(el_tx *x, ir_node *const *vals, bool update);

/* elab_data.c: the per-step inputs for a batch: `x`, `y` or `x:b`, `y:b`. */
bool el_declare_inputs(el_ctx *c, long long batch, int *xi, int *yi);

/* elab.c */
void el_tx_init(el_tx *x, el_ctx *c, ir_graph *g);
/* The context of one elaboration into p; false after reporting an error. */
bool el_ctx_init(el_ctx *c, const sema_result *r, const sema_experiment *e, diag_ctx *d,
                 ir_program *p, long long batch);

#endif
