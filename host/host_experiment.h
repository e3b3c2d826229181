/* host_experiment.h: an experiment as the training host runs it, in plain
 * C: the driver fills it from the checked experiment (drv_describe.c) and
 * `duet emit-c` writes it as a C initializer into model.c. All strings and
 * arrays are owned by whoever made the description. */
#ifndef DUET_HOST_EXPERIMENT_H
#define DUET_HOST_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "data_sources.h"

/* `loss(test)` or `accuracy(test)`. */
typedef struct host_metric {
  const char *name; /* "loss" or "accuracy" */
  const char *data; /* a data binding */
} host_metric;

/* singular_values("glob"): the singular values of the product W_k ... W_1
 * of the matched weights (W_1 first; each [out, in], the in of one the out
 * of the one before). */
typedef struct host_spectrum {
  int nweights;
  const char *const *weights;
} host_spectrum;

/* head_ablation(data, "glob"): per head of every matched weight (its last
 * axis split into heads[i] blocks), the loss on data with the head's block
 * zeroed minus the loss as it is. */
typedef struct host_ablation {
  const char *data;
  int nweights;
  const char *const *weights;
  const int *heads;
} host_ablation;

/* `eval every N steps|epochs: ...` */
typedef struct host_eval {
  bool per_epoch; /* every N epochs; else every N steps */
  long every;
  int nmetrics;
  const host_metric *metrics;
  const host_spectrum *spectrum; /* or NULL */
  const host_ablation *ablation; /* or NULL */
} host_eval;

/* A value of a setting or argument. */
typedef enum host_value_kind { HOST_VALUE_NUM, HOST_VALUE_BOOL, HOST_VALUE_STR } host_value_kind;

typedef struct host_value {
  const char *name;
  host_value_kind kind;
  double num;      /* NUM, BOOL (0 or 1) */
  const char *str; /* STR */
} host_value;

/* An optimizer of the experiment, bound to every argument, and the
 * weights it updates. */
typedef struct host_optimizer {
  const char *group; /* NULL: the experiment's optimizer; else the group of
                        `optimizer for GROUP`, an atom kind or a quoted glob */
  const char *name;  /* the optimizer declaration, "Dual" */
  const char *via;   /* the composite optimizer that assigned it, or NULL */
  int nargs;
  const host_value *args;
  int nweights;
  const char *const *weights; /* paths */
} host_optimizer;

/* A file of the program (the .duet file, the files it uses and the
 * standard library files among them), copied into every run directory. */
typedef struct host_source_file {
  const char *path; /* in the run directory: "source/..." or "stdlib/..." */
  const char *text; /* len bytes */
  long len;
} host_source_file;

typedef struct host_experiment {
  const char *name;
  const char *source;       /* the .duet file (absolute path) */
  const char *duet_version; /* of the compiler that built it */
  uint64_t seed;
  long epochs, steps;             /* one of them is 0 */
  double lr;                      /* the default optimizer's lr, or NaN */
  long params;                    /* number of model parameters */
  int nsched;                     /* pieces of `warmup(100) >> linear_decay`; 0: constant */
  const char *const *sched_names; /* "constant", "warmup", "linear_decay", "cosine_decay" */
  const double *sched_args;       /* each piece's argument, NaN when not given */
  int ndata;
  const host_binding *data;
  host_example example; /* the training data's examples, as the program
                           was compiled for them (from the files of file
                           sources, at compile time) */
  int nevals;
  const host_eval *evals;
  const char *loss; /* "cross_entropy", "mse", ... */
  int noptimizers;  /* the experiment's optimizer first, then its groups */
  const host_optimizer *optimizers;
  int noverrides;
  const char *const *overrides; /* the --set arguments it was built with */
  int nfiles;
  const host_source_file *files; /* the .duet file first */
} host_experiment;

#endif
