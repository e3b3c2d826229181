/* drv_train.h: one training run of an experiment: data, compiled program,
 * the step loop with its schedule, logging, evaluation, checkpoints and
 * NaN/Inf stop, resuming from a checkpoint, and the run directory's
 * metrics.jsonl, summary.json, model.safetensors and loss.svg. */
#ifndef DUET_DRV_TRAIN_H
#define DUET_DRV_TRAIN_H

#include <stdbool.h>

#include "drv_build.h"
#include "drv_report.h"

/* Checkpoint metadata keys (all values are strings). */
#define DRV_META_SOURCE     "duet.source" /* absolute path of the file */
#define DRV_META_EXPERIMENT "duet.experiment"
#define DRV_META_STDLIB     "duet.stdlib" /* only when --stdlib was given */
#define DRV_META_NSETS      "duet.nsets"  /* number of --set arguments */
#define DRV_META_SET        "duet.set."   /* + index: "key=value" */
#define DRV_META_STEP       "duet.step"   /* steps done */
#define DRV_META_EPOCH      "duet.epoch"  /* epochs completed */
#define DRV_META_TOTAL      "duet.total_steps"
#define DRV_META_LOG_EVERY  "duet.log_every"
#define DRV_META_SEED       "duet.seed"
#define DRV_META_DTYPE      "duet.dtype" /* "f32" or "f64" */
/* The extra F64 tensor with the last (up to 100) step losses. */
#define DRV_RECENT_LOSSES   "duet.recent_losses"

typedef struct drv_run_opts {
  const char *stdlib; /* --stdlib DIR, or NULL */
  int nsets;
  char *const *sets;        /* the --set arguments as given */
  const char *out_dir;      /* --out DIR, or NULL: runs/<experiment>-<time> */
  long steps;               /* --steps N (0: only the initial checkpoint), or -1 */
  long epochs;              /* --epochs N, or -1 */
  long stop_after;          /* --stop-after N: stop (resumable) after step N, or -1 */
  long log_every;           /* --log-every N, or 0: 10 */
  bool quiet;               /* no progress display and evaluation lines */
  unsigned log_formats;     /* --log-format: RT_LOG_* besides metrics.jsonl */
  const char *dump_batches; /* --dump-batches DIR: each step's x, y, or NULL */
  bool f64;                 /* --dtype f64: train in double precision */
  const char *resume_dir;   /* --resume RUN_DIR, or NULL */
  const rt_st_file *resume; /* its checkpoint (when resume_dir is set) */
} drv_run_opts;

/* What a finished run hands back (used by compare and sweep). */
typedef struct drv_run_result {
  char dir[4096];
  drv_summary summary;
  drv_history history; /* owned: drv_history_free */
} drv_run_result;

/* Trains experiment `exp` of s with the overrides o->sets. Returns the
 * exit code; on 0, *res is filled. */
int drv_train(drv_source *s, const ast_decl *exp, const drv_run_opts *o, drv_run_result *res);

#endif
