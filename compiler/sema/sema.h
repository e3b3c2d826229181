/* sema.h: semantic analysis of a parsed duet program.
 * Checks every declaration, expands each experiment's model into a module
 * tree (mtree.h), runs the duality derivation on it (derive.h) and binds the
 * experiment's settings, data, optimizers and evaluation for the driver. */
#ifndef DUET_SEMA_H
#define DUET_SEMA_H

/*
 * OWNERSHIP. Everything returned lives in the arena passed to sema_check()
 * (the one the AST lives in) and points into the ast_program; the result
 * keeps the arena and diagnostics context pointers but owns neither.
 *
 * LANGUAGE RULES sema enforces (beyond the grammar):
 *  - One namespace for atoms, bonds, modules, optimizers and experiments,
 *    across the program and every used file.
 *  - Compile-time values are ints, floats, bools, strings and modules.
 *    `+ - *` on two ints give an int; `/` always gives a float; `^` on
 *    numbers is a power (int ^ non-negative int is an int). Where an integer
 *    is required (dimensions, repetition counts, batch, steps, ...) a float
 *    with an integral value is accepted. Division by zero is an error.
 *  - Parameters written with a type take that kind (an int is accepted for
 *    a float, a float with an integral value such as 512 / 2 for an int);
 *    untyped parameters take the kind of their default, where int and
 *    float are both "number".
 *  - Atom bodies: `forward(...)`, `norm` and `dualize(...)` (one input per
 *    weight) are required; `mass` defaults to 1 and `sensitivity` to 1.
 *    Bond bodies: `forward(...)` is required, `sensitivity` defaults to 1;
 *    bonds have mass 0. Sensitivities must be positive, masses >= 0.
 *  - A module value (a parameter of type module, an argument such as
 *    `block(128)`) is expanded afresh, with new weights, at every use.
 *  - Optimizer bodies assign `weight` at least once; every other assignment
 *    target is a `state` buffer or a `let` local. Inside them `grad`,
 *    `weight`, `t` (the step counter, from 1) and `schedule` are defined and
 *    `dualize(u)` applies the model-derived duality map.
 *  - Experiment settings: `model`, `loss`, `optimizer` and `data` (with a
 *    `train` binding) are required; `batch` defaults to 128; at most one of
 *    `epochs` and `steps` (neither: epochs = 1); `seed` defaults to 0;
 *    `schedule` defaults to constant.
 *  - `with_mass(m, k)` in a model expression rescales the masses of the
 *    atoms of m so that they sum to k (Modula's `tare`): fixing the mass of
 *    a residual stack keeps every share independent of its depth.
 *  - `optimizer for Kind = Opt(...)` applies to the weights of atoms of that
 *    kind, `optimizer for "glob" = ...` to weights whose path matches the
 *    glob (see sema_glob_match). The last matching group wins; otherwise
 *    the experiment's `optimizer`.
 *  - A composite optimizer (a body of `optimizer = X(...)` and `optimizer
 *    for G = Y(...)` items, whose arguments may use its parameters) is a
 *    value for the experiment's `optimizer`: its default becomes the
 *    experiment's default and its groups come before the experiment's own
 *    (which therefore win). It cannot itself be given to a group.
 */

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "derive.h"
#include "diag.h"
#include "mtree.h"

/* An optimizer declaration bound to arguments. */
typedef struct sema_optimizer {
  const ast_decl *decl; /* the `optimizer` declaration */
  int nargs;            /* every parameter of decl, in declaration order, */
  mt_binding *args;     /* bound (defaults applied) */
  diag_loc loc;         /* the expression that chose it */
  const char *group;    /* NULL: the experiment's default optimizer;
                             otherwise the atom kind or path glob */
  bool is_glob;
  diag_loc group_loc; /* where the group is written */
  const char *via;    /* the composite optimizer that assigned it, or NULL */
  bool uses_dualize;  /* its body calls dualize(...) */
} sema_optimizer;

/* `data name = source(args)`. */
typedef struct sema_data {
  const char *name;   /* e.g. "train" */
  const char *source; /* the data source function, e.g. "fashion_mnist" */
  int nargs;
  mt_binding *args; /* the arguments given, named by parameter */
  diag_loc loc;
  long long seed;                     /* the experiment's: synthetic sources draw from it */
  const struct host_example *example; /* its example shape once checked (from
                                         the files of file sources) */
} sema_data;

/* A checked data binding as a binding of the data-source table
 * (host/data_sources.h); args receives its arguments (pointing into the
 * sema arena). */
struct host_arg;
struct host_binding;
struct host_example;
void sema_data_binding(const sema_data *d, struct host_arg *args, struct host_binding *out);
/* The shape of one example of d (the table's row with d's sizes); false
 * after reporting an argument the table rejects at d's location. */
bool sema_data_example(const sema_data *d, struct host_example *out, diag_ctx *dg);

/* One piece of a schedule `warmup(100) >> linear_decay`. */
typedef struct sema_sched_piece {
  const char *name; /* "warmup", "linear_decay", ... */
  int nargs;        /* the piece's parameters, in order; */
  double *args;     /* NaN where an argument was not given */
  diag_loc loc;
} sema_sched_piece;

/* `metric(data)` of an `eval` item, e.g. accuracy(test). */
typedef struct sema_metric {
  const char *name; /* "accuracy" or "loss" */
  const char *data; /* a data binding name */
  diag_loc loc;
} sema_metric;

/* `singular_values("glob")` of an eval item: the singular values of the
 * product W_k ... W_1 of the weights the glob matches, in data-flow order
 * (W_1 the first): for one weight its own spectrum, for a chain of
 * bias-free Linear layers that of the map they compute together. */
typedef struct sema_spectrum {
  const char *glob;
  diag_loc loc;
  int nweights;
  const mt_weight **weights; /* each a matrix [out, in]; the in of one is
                                the out of the one before */
  long long rows, cols;      /* the product's shape */
} sema_spectrum;

/* At most this many heads are ablated (over all matched weights). */
#define SEMA_MAX_ABLATED_HEADS 32

/* `head_ablation(data, "glob")` of an eval item: for every head of every
 * weight the glob matches (a weight of an atom with an integer parameter
 * `heads`, whose last axis is split into that many equal blocks, one per
 * head), the loss on `data` with the head's block set to zero minus the
 * loss with every weight as it is. For the output projection O [width,
 * heads * dh] of an attention atom, zeroing a head's columns removes
 * exactly that head's contribution to the output. The eval item also logs
 * loss(data), the loss the increases are measured from. */
typedef struct sema_ablation {
  const char *data; /* a data binding name */
  const char *glob;
  diag_loc loc;
  int nweights;
  const mt_weight **weights; /* matched, in model order */
  int *heads;                /* [nweights]: heads of each */
} sema_ablation;

typedef struct sema_eval {
  ast_period_unit unit;
  long long every;
  int nmetrics;
  sema_metric *metrics; /* metrics of a data set */
  int nspectra;
  sema_spectrum *spectra; /* metrics of the weights */
  int nablations;
  sema_ablation *ablations; /* metrics of the weights on a data set */
} sema_eval;

/* One experiment, fully bound. */
typedef struct sema_experiment {
  const ast_decl *decl;
  const char *name;
  mt_model *model;   /* derived (derive_model has run) */
  derive_norm *norm; /* the model's modular norm */
  const char *loss;  /* "cross_entropy", "mse", ... */
  diag_loc loss_loc;
  sema_optimizer *optimizer; /* the default */
  int ngroups;
  sema_optimizer *groups;            /* `optimizer for ...`: a composite's, then the
                                 experiment's, each in source order */
  const sema_optimizer **weight_opt; /* per model weight: the one applying */
  long long batch;
  long long epochs; /* 0 when steps is set */
  long long steps;  /* 0 when epochs is set */
  long long seed;
  int nsched;
  sema_sched_piece *sched; /* empty: constant schedule */
  int ndata;
  sema_data *data;
  int nevals;
  sema_eval *evals;
} sema_experiment;

/* A setting replaced before an experiment is built. `key` is a setting
 * (`batch`: the value replaces it), `setting.param` (`optimizer.lr`,
 * `model.width`: sets the parameter in every call written in the setting's
 * expression that has one), `setting.Name.param` (`model.Linear.fan_out`:
 * in every call of Name written there) or a bare parameter (`width`: as
 * model.width). Calls inside module bodies are not reached. */
typedef struct sema_override {
  const char *key;
  const ast_expr *value;
  diag_loc loc; /* where the key is written (file NULL: none) */
} sema_override;

/* A checked `compare` or `sweep`. Its variants set one value of every axis
 * (decl->axes; a sweep runs the product): build each with
 * sema_build_experiment, one override {axis key, value} per axis. */
typedef struct sema_study {
  const ast_decl *decl; /* the compare or sweep declaration */
  const ast_decl *experiment;
} sema_study;

struct sema_sym;

typedef struct sema_result {
  arena *arena;   /* not owned */
  diag_ctx *diag; /* not owned */
  const ast_program *program;
  int nsyms; /* the symbol table (internal to sema) */
  struct sema_sym *syms;
  int nexperiments;
  sema_experiment **experiments; /* in source order; NULL entries never */
  int nstudies;
  sema_study *studies;
} sema_result;

/* Checks the whole program and builds every experiment. Errors go to d; the
 * result is never NULL but only complete when diag_error_count(d) is 0
 * (experiments that failed are left out). */
sema_result *sema_check(arena *a, diag_ctx *d, const ast_program *p);

/* Builds experiment `exp` again with settings replaced (for --set, compare
 * and sweep). Returns NULL after reporting errors. */
sema_experiment *sema_build_experiment(sema_result *r, const ast_decl *exp, int noverrides,
                                       const sema_override *overrides);

/* Evaluates a compile-time expression inside an atom or bond instance (its
 * parameters and `let`s are in scope), e.g. `sqrt(in / out)` of a norm.
 * Returns false, reporting nothing, when e is not a compile-time constant
 * (it reads a tensor or calls a tensor function) or fails to evaluate. */
bool sema_eval_const(const sema_result *r, const mt_node *scope, const ast_expr *e, mt_value *out);

/* Infix source form of an expression (minimal parentheses), as written. */
void sema_print_expr(FILE *out, const ast_expr *e);

/* A weight's shape as written in messages, "[784, 512]", into out (cap
 * bytes, cut short if it does not fit; SEMA_SHAPE_TEXT_CAP(rank) always
 * fits). */
void sema_shape_text(char *out, size_t cap, const mt_weight *w);
#define SEMA_SHAPE_TEXT_CAP(rank) (3 + 21 * (size_t)(rank)) /* "[]", NUL, "19 digits, " */

/* Whether `glob` (`*` matches any run of characters) matches the whole
 * `path` or its end from any '.': "head*" matches model[3].head.Linear.W,
 * "Linear.W" every weight W of a Linear, "model" no weight. */
bool sema_glob_match(const char *glob, const char *path);

#endif
