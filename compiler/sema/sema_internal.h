/* sema_internal.h: what the files of semantic analysis share (not for other
 * passes): the analysis context, the global symbol table, compile-time
 * values and environments, the builtin tables and each file's entry points. */
#ifndef DUET_SEMA_INTERNAL_H
#define DUET_SEMA_INTERNAL_H

#include <stdbool.h>

#include "../ops/ops_lang.h"
#include "sema.h"

/* Everything below lives in the compilation arena; AST pointers point into
 * the program being analysed. */

/* Limits that keep hostile input from exhausting memory. */
enum {
  SEMA_MAX_NODES = 200000,  /* expansion steps (tree nodes) per model */
  SEMA_MAX_EXPANSION = 200, /* nested module calls */
  SEMA_MAX_DEPTH = 3000     /* nested evaluation and expansion steps */
};
#define SEMA_MAX_WEIGHT_NUMEL (1LL << 34) /* elements of one weight */

/* ---- global symbols ---------------------------------------------------- */

/* What semantic analysis learned about one named declaration. */
typedef struct sema_sym {
  const char *name;
  ast_decl *decl;
  bool bad;       /* its declaration had errors: uses are not re-reported */
  bool recursive; /* MODULE: part of a cycle of module definitions */
  /* ATOM and BOND: the defining items (NULL when absent) */
  const ast_item *forward, *norm, *dualize, *mass, *sens;
  /* OPTIMIZER */
  bool uses_dualize;
} sema_sym;

/* ---- compile-time values ----------------------------------------------- */

typedef enum sv_kind {
  SV_ERROR, /* evaluation failed; the error was reported */
  SV_NUM,   /* a compile-time number (cnum.h: exact int64 or double) */
  SV_BOOL,
  SV_STRING,
  SV_MODULE, /* an unexpanded module expression and its environment */
  SV_TENSOR  /* a name of a run-time tensor (weight, input): not constant */
} sv_kind;

typedef struct sema_env sema_env;

typedef struct sv {
  sv_kind kind;
  union {
    cnum num;
    bool b;
    const char *s;
    struct {
      const ast_expr *e;
      sema_env *env;
    } mod;
  };
} sv;

/* One name in an environment. A `let` is bound lazily: `lazy` is evaluated
 * in the same environment on first use and the value cached. */
typedef struct sema_bind {
  const char *name;
  sv val;
  const ast_expr *lazy;
  bool busy; /* being evaluated (guards against self reference) */
} sema_bind;

/* A scope of bound names; lookups continue in `parent`, then globals. */
struct sema_env {
  sema_env *parent;
  int n;
  sema_bind *b;
};

/* ---- builtins ---------------------------------------------------------- */

typedef enum sema_bt_use {
  BT_CONST = OPS_USE_CONST,   /* compile-time numeric function (module args, dims, ...) */
  BT_TENSOR = OPS_USE_TENSOR, /* tensor function in forward/norm/dualize/optimizer bodies */
  BT_INIT = 4,                /* weight initializer */
  BT_DATA = 8,                /* data source of an experiment */
  BT_LOSS = 16,               /* loss of an experiment */
  BT_SCHED = 32,              /* schedule piece */
  BT_METRIC = 64,             /* metric of an eval item */
  BT_MODULE = 128             /* module function (in model expressions) */
} sema_bt_use;

/* A builtin: name, uses (sema_bt_use bits), required and named parameters
 * (ops_lang.h). */
typedef ops_lang sema_builtin;

/* The builtin called `name` usable as `use`, or NULL. */
const sema_builtin *sema_builtin_find(const char *name, unsigned use);
/* All builtins (for hints): count and table. */
int sema_builtin_count(void);
const sema_builtin *sema_builtin_at(int i);
/* The value of builtin b on numbers (CNUM_FN_NONE: not a function of
 * numbers). */
cnum_fn sema_builtin_fold(const sema_builtin *b);

/* ---- the analysis context ---------------------------------------------- */

typedef struct sema_ctx {
  arena *a;
  diag_ctx *d;
  const ast_program *prog;
  sema_result *res;
  bool files; /* data bindings read their files (shapes from the files):
                 when an experiment is built to run, not in the whole-program
                 check, where --set may not have replaced them yet */
  int nsyms;
  sema_sym *syms; /* arena-owned, one per named declaration */
  /* model expansion state (one model at a time) */
  int nnodes;    /* expansion work done (nodes and flattening steps) */
  int expansion; /* current depth of nested module calls */
  bool too_big;  /* the node limit error was reported */
  int depth;     /* current nesting of evaluation and expansion */
  bool too_deep; /* the depth limit error was reported */
} sema_ctx;

/* sema_names.c: symbols, lookups and "did you mean" hints. */
void sema_collect_symbols(sema_ctx *c);
sema_sym *sema_lookup(const sema_ctx *c, const char *name);
sema_sym *sema_sym_of(const sema_ctx *c, const ast_decl *decl);
/* The closest of `cands` (n names) to `name`, or NULL if none is close. */
const char *sema_closest(const char *name, const char *const *cands, int n);
/* Adds `  hint: did you mean 'x'?` when one of the candidates is close. */
void sema_hint_closest(sema_ctx *c, const char *name, const char *const *cands, int n);
/* Names of the global declarations of the given kinds (bit 1 << kind). */
int sema_global_names(const sema_ctx *c, unsigned kinds, const char **out, int cap);
#define SEMA_KIND(k) (1u << (k))

/* sema_eval.c: compile-time evaluation. */
/* Enters one level of nesting (false, reported once, past the limit: the
 * caller returns at once); sema_leave undoes it. Bounds the stack. */
bool sema_enter(sema_ctx *c, diag_loc loc);
void sema_leave(sema_ctx *c);
sema_env *sema_env_new(sema_ctx *c, sema_env *parent, int cap);
void sema_env_add(sema_env *env, const char *name, sv val, const ast_expr *lazy);
sema_bind *sema_env_find(sema_env *env, const char *name);
sv sema_evaluate(sema_ctx *c, const ast_expr *e, sema_env *env);
/* Describes a value for messages: "int 3", "module 'Linear'", ... */
const char *sema_describe(sema_ctx *c, sv v);
/* Requires an integer (integral floats accepted); reports "expected ... for
 * what". */
bool sema_want_int(sema_ctx *c, sv v, const ast_expr *e, const char *what, long long *out);
/* The number of a numeric value (as a double). */
double sema_num(sv v);
bool sema_want_num(sema_ctx *c, sv v, const ast_expr *e, const char *what, double *out);
/* Binds a call's arguments (or none, for a bare name) to `decl`'s
 * parameters, evaluating them in `caller`. Returns the new environment (its
 * parent is NULL: globals) or NULL after reporting errors. */
sema_env *sema_bind_args(sema_ctx *c, const ast_decl *decl, const ast_expr *call, sema_env *caller);
/* Arguments of a call checked against a builtin's parameter list: reports
 * arity and keyword errors. */
bool sema_check_builtin_args(sema_ctx *c, const sema_builtin *b, const ast_expr *call);
/* The argument of a checked builtin call bound to parameter j, or NULL. */
const ast_expr *sema_builtin_arg(const sema_builtin *b, const ast_expr *call, int j);
/* The environment of an atom or bond instance (params bound, lets lazy). */
sema_env *sema_instance_env(sema_ctx *c, const mt_node *n);
bool sema_to_mt(sv v, mt_value *out);

/* sema_data.c: data source i of the table (host/data_sources.h) as a
 * builtin usable as BT_DATA, and their number; the check of a bound data
 * binding's arguments against the table (false after reporting). */
void sema_data_builtin(int i, sema_builtin *out);
int sema_data_builtin_count(void);
bool sema_check_data(sema_ctx *c, sema_data *d);

/* sema_decls.c: checks of every declaration (bodies, items, recursion). */
void sema_check_decls(sema_ctx *c);
/* Whether d is a composite optimizer: an optimizer whose body assigns
 * `optimizer` or has `optimizer for` items (it combines other optimizers
 * by weight group instead of updating weights itself). */
bool sema_is_composite(const ast_decl *d);

/* sema_instantiate.c: expands a model expression into a module tree. */
mt_model *sema_instantiate_model(sema_ctx *c, const ast_expr *e, sema_env *env);

/* sema_settings.c: an experiment's settings and their overrides. */
typedef enum sema_setting {
  SETTING_MODEL,
  SETTING_LOSS,
  SETTING_OPTIMIZER,
  SETTING_BATCH,
  SETTING_EPOCHS,
  SETTING_STEPS,
  SETTING_SEED,
  SETTING_SCHEDULE,
  SETTING_COUNT
} sema_setting;
/* The key of each setting: "model", "loss", ... */
extern const char *const sema_setting_names[SETTING_COUNT];
/* The value of each setting as written (NULL: not given). */
typedef struct sema_settings {
  const ast_expr *value[SETTING_COUNT];
  diag_loc loc[SETTING_COUNT]; /* the key as written */
} sema_settings;
/* Reads the `key = value` items of an experiment: known keys, each once. */
bool sema_read_settings(sema_ctx *c, const ast_decl *exp, sema_settings *st);
/* Applies one override (`setting`, `setting.param`, `setting.Name.param`
 * or a bare model parameter) to the settings; false after reporting. */
bool sema_apply_override(sema_ctx *c, sema_settings *st, const sema_override *ov);

/* sema_experiment.c: binds an experiment (NULL after reporting errors). */
sema_experiment *sema_build(sema_ctx *c, const ast_decl *exp, int nov, const sema_override *ov);
/* The builtin usable as `use` that e names or calls, its arguments checked;
 * NULL after reporting ("unknown <what> 'x'", ...). */
const sema_builtin *sema_want_builtin(sema_ctx *c, const ast_expr *e, unsigned use,
                                      const char *what);

/* sema_data.c: the experiment's `data` items into x->data. */
/* The experiment's data bindings, with the overrides `data.PARAM = v`
 * (every binding whose source has PARAM) and `data.NAME.PARAM = v` among
 * ov (the others are ignored here). */
bool sema_bind_all_data(sema_ctx *c, const ast_decl *exp, sema_experiment *x, int nov,
                        const sema_override *ov);

/* sema_optimizers.c: the default optimizer (`optimizer = e`), the
 * experiment's `optimizer for` groups, and, once the model exists, the
 * optimizer of every weight. */
bool sema_bind_default(sema_ctx *c, const ast_expr *e, sema_experiment *x);
bool sema_bind_groups(sema_ctx *c, const ast_decl *exp, sema_experiment *x);
void sema_assign_optimizers(sema_ctx *c, sema_experiment *x);

/* sema_schedule.c: the `schedule` setting into x->sched. */
bool sema_bind_schedule(sema_ctx *c, const ast_expr *e, sema_experiment *x);

/* sema_metrics.c: the experiment's `eval` items into x->evals, then, once
 * x->model exists, the weights of their spectra and ablations. */
bool sema_bind_evals(sema_ctx *c, const ast_decl *exp, sema_experiment *x);
bool sema_resolve_spectra(sema_ctx *c, sema_experiment *x);
bool sema_resolve_ablations(sema_ctx *c, sema_experiment *x);

/* sema_studies.c: checks compare and sweep declarations against the
 * experiments they vary. */
void sema_check_studies(sema_ctx *c);

/* A context over an existing result (for sema_build_experiment). */
void sema_ctx_init(sema_ctx *c, sema_result *r);

#endif
