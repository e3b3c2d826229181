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

typedef struct host_experiment {
  const char *name;
  const char *source; /* the .duet file (absolute path) */
  uint64_t seed;
  long epochs, steps;             /* one of them is 0 */
  double lr;                      /* the default optimizer's lr, or NaN */
  long params;                    /* number of model parameters */
  int nsched;                     /* pieces of `warmup(100) >> linear_decay`; 0: constant */
  const char *const *sched_names; /* "constant", "warmup", "linear_decay", "cosine_decay" */
  const double *sched_args;       /* each piece's argument, NaN when not given */
  int ndata;
  const host_binding *data;
  int nevals;
  const host_eval *evals;
} host_experiment;

#endif
