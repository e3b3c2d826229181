/* host_train.h: one training run of an experiment on a model (host_model.h)
 * and its loaded data: the step loop with its schedule, logging,
 * evaluation, periodic checkpoints, the NaN/Inf stop and SIGINT/SIGTERM,
 * resuming and extending a run, starting from another run's weights, and
 * the run directory's metrics.jsonl, summary.json, checkpoint
 * (host_checkpoint.h), source copy and plots (docs/commands.md), with the
 * options that set them. `duet run` and the train program of `duet emit-c`
 * both run it. */
#ifndef DUET_HOST_TRAIN_H
#define DUET_HOST_TRAIN_H

#include <stdbool.h>

#include "data_sources.h"
#include "host_experiment.h"
#include "host_model.h"
#include "host_norm.h"
#include "host_report.h"

enum { HOST_MAX_SETS = 8 };

/* The data sets a run reads: `train` first, then every set an evaluation
 * reads, in order of first use. */
typedef struct host_sets {
  int n;
  host_dataset set[HOST_MAX_SETS]; /* owned */
  host_norm norm;                  /* the training set's, applied to every set (or none) */
} host_sets;

/* Loads the sets of e. Returns 0, or -1 with the index of the binding at
 * fault in *failed (into e->data) and a message (and maybe a hint). */
int host_sets_load(host_sets *s, const host_experiment *e, const host_load_env *env, int *failed,
                   rt_error *err, rt_error *hint);
void host_sets_free(host_sets *s);
/* The set of binding `name`, or NULL. */
const host_dataset *host_sets_find(const host_sets *s, const char *name);

/* The default period of checkpoints in seconds of training (--checkpoint-every-s). */
#define HOST_CHECKPOINT_EVERY_S 300.0
/* The size of a bucket of gradients under mpirun without --bucket-kb
 * (docs/distributed.md: what was measured). */
#define HOST_BUCKET_KB          0

typedef struct host_run_opts {
  const char *prog;          /* "duet", "train": prefix of error messages */
  const char *resume_cmd;    /* "duet run", "./train": how to continue a run */
  const char *backend;       /* what compiled the model ("llvm-jit", "c"), for summary.json */
  const char *compiler;      /* its version, or NULL */
  const char *out_dir;       /* --out DIR, or NULL: runs/<experiment>-<time> */
  long steps;                /* --steps N (0: only the initial checkpoint), or -1 */
  long epochs;               /* --epochs N, or -1 */
  long stop_after;           /* --stop-after N: stop (resumably) after step N, or -1 */
  long log_every;            /* --log-every N, or 0: the checkpoint's, else 10 */
  long extend_steps;         /* --extend-steps N: a resumed run's extra steps, or 0 */
  long checkpoint_every;     /* --checkpoint-every N: a checkpoint every N steps (0:
                                none), or -1: the experiment's, else 0 */
  double checkpoint_every_s; /* --checkpoint-every-s S: after S seconds without one
                                (0: never), or -1: the experiment's, else
                                HOST_CHECKPOINT_EVERY_S */
  long threads;              /* --threads N (BLAS threads), or 0: the library's default */
  const char *gemm;          /* --gemm openblas|onednn: the GEMM backend, or NULL: the
                                default (rt_kernels.h) */
  const char *conv;          /* --conv auto|im2col|onednn|RUN_DIR: the convolutions'
                                path (host_conv.h), or NULL: auto, or a resumed run's */
  bool quiet;                /* no progress display and evaluation lines */
  bool check_ranks;          /* --check-ranks: compare the ranks' weights after every step */
  long bucket_kb;            /* --bucket-kb N: the gradients exchanged in buckets of N KiB
                                while the backward pass runs (0: in one exchange after
                                it), or -1: HOST_BUCKET_KB */
  unsigned log_formats;      /* --log-format: RT_LOG_* besides metrics.jsonl */
  const char *dump_batches;  /* --dump-batches DIR: each step's x, y, or NULL */
  const char *resume_dir;    /* --resume RUN_DIR, or NULL */
  const char *init_from;     /* --init-from RUN_DIR or FILE: the first weights, or NULL */
} host_run_opts;

/* The options of a run as both `duet run` and the emitted train take
 * them: no file, no --resume or --init-from, lengths and checkpoint
 * periods from the experiment. */
void host_run_opts_init(host_run_opts *o, const char *prog, const char *resume_cmd);

/* Parses the run option at argv[i] if it is one (--steps, --epochs,
 * --stop-after, --log-every, --extend-steps, --checkpoint-every,
 * --checkpoint-every-s, --threads, --bucket-kb, --gemm, --conv, --out, --resume, --init-from,
 * --dump-batches, --log-format, --quiet, --check-ranks). Returns the number of arguments
 * taken, 0 for another argument, or -1 with a message in err. */
int host_run_option(host_run_opts *o, int i, int argc, char **argv, rt_error *err);

/* Applies --threads (OpenBLAS's and oneDNN's threads alike), --gemm
 * (the GEMM backend) and --conv (host_conv_apply): 0, or -1 with the
 * reason (and maybe a hint) when this build has no oneDNN or oneDNN cannot
 * start, or --conv's file cannot be pinned. */
int host_run_opts_apply(const host_run_opts *o, rt_error *err, rt_error *hint);

/* The rules between options (--steps or --epochs, --resume without --out
 * or --init-from, --extend-steps only with --resume). Returns 0, or -1
 * with a message. */
int host_run_opts_check(const host_run_opts *o, rt_error *err);

/* What a finished run hands back (used by compare and sweep). */
typedef struct host_run_result {
  char dir[4096];
  host_summary summary;
  host_history history; /* owned: host_history_free */
} host_run_result;

/* Trains model m (its weights initialized here from e's seed, or from
 * o->init_from, or restored from the checkpoint of o->resume_dir) on sets.
 * Returns the exit code: 0 (also for a run stopped by --stop-after), 1 for
 * errors of the run (a divergence among them), 2 for internal errors, 128
 * + the signal for a run interrupted by SIGINT or SIGTERM (saved and
 * resumable); on 0, *res is filled. Every end after the run directory was
 * made writes summary.json with the run's status. */
int host_train(const host_experiment *e, const host_sets *sets, const host_model *m,
               const host_run_opts *o, host_run_result *res);

#endif
