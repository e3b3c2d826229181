/* drv_run.h: one training run of `duet run` (and of each variant of
 * compare and sweep): the experiment with its --set overrides, its data
 * loaded through the data-source table, the program compiled, and the
 * training host (host_train.h) running it. */
#ifndef DUET_DRV_RUN_H
#define DUET_DRV_RUN_H

#include <stdbool.h>

#include "drv_build.h"
#include "host_train.h"

typedef struct drv_run_opts {
  const char *stdlib; /* the standard library directory the source was read with */
  const char *source; /* the .duet file to record (absolute), or NULL: the
                         source's own path made absolute */
  int nsets;
  char *const *sets;  /* the --set arguments as given */
  bool f64;           /* --dtype f64: train in double precision */
  const char *metric; /* compare and sweep: --metric KEY, the value they report (NULL:
                         the final training loss) */
  host_run_opts run;  /* the host's options (steps, out, resume, ...) */
} drv_run_opts;

/* path made absolute (against the working directory), in arena a: a run
 * can be resumed from anywhere. */
const char *drv_absolute_path(arena *a, const char *path);

/* The host's description of experiment e of s (drv_describe) with the
 * program's files, the .duet file `source` (NULL: s's path made absolute)
 * and the --set arguments. */
const host_experiment *drv_describe_run(drv_source *s, const sema_experiment *e, const char *stdlib,
                                        const char *source, int nsets, char *const *sets);

/* Loads the sets of x (described from e) through the data-source table;
 * errors are reported at the binding they concern. Returns 0 or the exit
 * code. */
int drv_load_sets(drv_source *s, const sema_experiment *e, const host_experiment *x,
                  host_sets *sets);

/* What drv_train returns when the data could not be loaded (after the
 * message): a study stops there, since its other variants read the same
 * files. */
#define DRV_DATA_ERROR 3

/* Trains experiment `exp` of s with the overrides o->sets. Returns the
 * exit code (DRV_DATA_ERROR, reported as 1, when the data is missing); on
 * 0, *res is filled. */
int drv_train(drv_source *s, const ast_decl *exp, const drv_run_opts *o, host_run_result *res);

#endif
