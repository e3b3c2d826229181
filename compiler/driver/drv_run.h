/* drv_run.h: one training run of `duet run` (and of each variant of
 * compare and sweep): the experiment with its --set overrides, its data
 * loaded through the data-source table, the program compiled, and the
 * training host (host_train.h) running it. */
#ifndef DUET_DRV_RUN_H
#define DUET_DRV_RUN_H

#include <stdbool.h>

#include "drv_build.h"
#include "host_train.h"

/* Checkpoint metadata keys of `duet run` besides the host's (all strings). */
#define DRV_META_STDLIB "duet.stdlib" /* only when --stdlib was given */
#define DRV_META_NSETS  "duet.nsets"  /* number of --set arguments */
#define DRV_META_SET    "duet.set."   /* + index: "key=value" */

typedef struct drv_run_opts {
  const char *stdlib; /* --stdlib DIR, or NULL */
  int nsets;
  char *const *sets; /* the --set arguments as given */
  bool f64;          /* --dtype f64: train in double precision */
  host_run_opts run; /* the host's options (steps, out, resume, ...) */
} drv_run_opts;

/* path made absolute (against the working directory), in arena a: a run
 * can be resumed from anywhere. */
const char *drv_absolute_path(arena *a, const char *path);

/* Loads the sets of x (described from e) through the data-source table;
 * errors are reported at the binding they concern. Returns 0 or the exit
 * code. */
int drv_load_sets(drv_source *s, const sema_experiment *e, const host_experiment *x,
                  host_sets *sets);

/* Trains experiment `exp` of s with the overrides o->sets. Returns the
 * exit code; on 0, *res is filled. */
int drv_train(drv_source *s, const ast_decl *exp, const drv_run_opts *o, host_run_result *res);

#endif
