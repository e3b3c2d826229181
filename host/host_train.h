/* host_train.h: one training run of an experiment on a model (host_model.h)
 * and its loaded data: the step loop with its schedule, logging,
 * evaluation, checkpoints and NaN/Inf stop, resuming from a checkpoint, and
 * the run directory's metrics.jsonl, summary.json, model.safetensors and
 * plots (docs/commands.md). `duet run` and the train program of
 * `duet emit-c` both run it. */
#ifndef DUET_HOST_TRAIN_H
#define DUET_HOST_TRAIN_H

#include <stdbool.h>

#include "data_sources.h"
#include "host_experiment.h"
#include "host_model.h"
#include "host_report.h"

/* Checkpoint metadata keys (all values are strings). */
#define HOST_META_SOURCE     "duet.source" /* absolute path of the file */
#define HOST_META_EXPERIMENT "duet.experiment"
#define HOST_META_STEP       "duet.step"  /* steps done */
#define HOST_META_EPOCH      "duet.epoch" /* epochs completed */
#define HOST_META_TOTAL      "duet.total_steps"
#define HOST_META_LOG_EVERY  "duet.log_every"
#define HOST_META_SEED       "duet.seed"
#define HOST_META_DTYPE      "duet.dtype" /* "f32" or "f64" */
/* The extra F64 tensor with the last (up to 100) step losses. */
#define HOST_RECENT_LOSSES   "duet.recent_losses"

enum { HOST_MAX_SETS = 8 };

/* The data sets a run reads: `train` first, then every set an evaluation
 * reads, in order of first use. */
typedef struct host_sets {
  int n;
  host_dataset set[HOST_MAX_SETS]; /* owned */
} host_sets;

/* Loads the sets of e. Returns 0, or -1 with the index of the binding at
 * fault in *failed (into e->data) and a message (and maybe a hint). */
int host_sets_load(host_sets *s, const host_experiment *e, const host_load_env *env, int *failed,
                   rt_error *err, rt_error *hint);
void host_sets_free(host_sets *s);
/* The set of binding `name`, or NULL. */
const host_dataset *host_sets_find(const host_sets *s, const char *name);

typedef struct host_run_opts {
  const char *prog;         /* "duet", "train": prefix of error messages */
  const char *resume_cmd;   /* "duet run", "./train": how to continue a run */
  const char *out_dir;      /* --out DIR, or NULL: runs/<experiment>-<time> */
  long steps;               /* --steps N (0: only the initial checkpoint), or -1 */
  long epochs;              /* --epochs N, or -1 */
  long stop_after;          /* --stop-after N: stop (resumable) after step N, or -1 */
  long log_every;           /* --log-every N, or 0: the checkpoint's, else 10 */
  bool quiet;               /* no progress display and evaluation lines */
  unsigned log_formats;     /* --log-format: RT_LOG_* besides metrics.jsonl */
  const char *dump_batches; /* --dump-batches DIR: each step's x, y, or NULL */
  const char *resume_dir;   /* --resume RUN_DIR, or NULL */
  const rt_st_file *resume; /* its checkpoint (when resume_dir is set) */
  /* checkpoint metadata of the caller, written after source and experiment */
  const rt_str_pair *meta;
  size_t nmeta;
} host_run_opts;

/* What a finished run hands back (used by compare and sweep). */
typedef struct host_run_result {
  char dir[4096];
  host_summary summary;
  host_history history; /* owned: host_history_free */
} host_run_result;

/* Trains model m (its weights initialized here from e's seed, or restored
 * from o->resume) on sets. Returns the exit code (0, 1 for errors of the
 * run, 2 for internal errors); on 0, *res is filled. */
int host_train(const host_experiment *e, const host_sets *sets, const host_model *m,
               const host_run_opts *o, host_run_result *res);

/* Keys of a resumed run's checkpoint as a number, or -1. */
long host_meta_long(const rt_st_file *f, const char *key);

#endif
