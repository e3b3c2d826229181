/* host_report.h: what a run leaves behind besides its checkpoint: the run
 * directory, the history read back from metrics.jsonl, summary.json, the
 * plots of tracked families (host_plot.h: the others), and the lines printed
 * at the end. */
#ifndef DUET_HOST_REPORT_H
#define DUET_HOST_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "host_experiment.h"
#include "rt_io.h"

/* ---- run directory ------------------------------------------------------ */

/* Chooses and creates the run directory into out[cap]: `given`, or
 * runs/<experiment>-<YYYYmmdd-HHMMSS>. Fails when it already holds a run
 * (metrics.jsonl or a checkpoint). */
int host_rundir_create(char *out, size_t cap, const char *given, const char *experiment,
                       rt_error *err);
/* "<dir>/<file>" into out[cap]. */
void host_rundir_file(char *out, size_t cap, const char *dir, const char *file);
/* Creates a directory and its parents (mkdir -p). */
int host_mkdirs(const char *path, rt_error *err);
/* Writes every file of the program (host_source_file: the .duet file and
 * the files it uses) at its path under dir. */
int host_rundir_write_sources(const char *dir, const host_source_file *files, int n, rt_error *err);
/* Keeps only the lines of metrics.jsonl with "step" <= step (a resumed run
 * continues after its checkpoint). */
int host_metrics_trim(const char *path, long step, rt_error *err);

/* ---- history: metrics.jsonl read back ---------------------------------- */

/* The values of one key over the run: (step, value) points. */
typedef struct host_series {
  char *key; /* owned */
  long n, cap;
  double *x; /* owned: steps */
  double *y; /* owned: values */
} host_series;

typedef struct host_history {
  int n, cap;
  host_series *s; /* owned, in order of first appearance */
} host_history;

/* Reads every numeric field of every line (keyed by name, x = its line's
 * "step"). */
int host_history_read(host_history *h, const char *path, rt_error *err);
const host_series *host_history_get(const host_history *h, const char *key);
void host_history_free(host_history *h);

/* Whether key is an evaluation metric: "<data>_loss" or "<data>_accuracy". */
bool host_is_eval_key(const char *key);

/* A plot of the series of n runs (NULL entries skipped) whose keys belong
 * to a family (`member`, such as sv1, sv2, ...) against steps, each named
 * by its key, or "<label> <key>" when labels is not NULL. Writes nothing
 * and returns 0 when no run has one. */
int host_plot_family(const char *path, const rt_plot_opts *po, bool (*member)(const char *key),
                     const host_history *const *runs, const char *const *labels, int n,
                     rt_error *err);

/* ---- summary ------------------------------------------------------------ */

typedef struct host_summary {
  const char *experiment, *source;
  const char *source_copy; /* the copy of the .duet file in the run directory */
  const char *status;      /* "completed", "stopped" (--stop-after), "interrupted"
                              (SIGINT, SIGTERM) or "diverged" */
  long status_step;        /* stopped, interrupted, diverged: at which step */
  const char *signal;      /* interrupted: "SIGINT" or "SIGTERM" */
  const char *bad_tensor;  /* diverged: the first tensor that is not finite, or
                              NULL when only the loss is not */
  long bad_element;        /* its first element that is not */
  const char *dtype;       /* "f32" or "f64" */
  char gemm[160];          /* the GEMM backend (rt_gemm_backend_describe) */
  long long seed, batch, params;
  long long optimizer_state_bytes; /* the optimizers' state tensors */
  long steps;                      /* steps done */
  long total_steps;                /* the run's planned length */
  double epochs;                   /* steps / steps per epoch */
  double train_loss;               /* mean over the last train_loss_steps steps */
  long train_loss_steps;
  double ms_per_step, wall_s, compile_s; /* timing: the only fields that
                                             differ between identical runs
                                             (with "build") */
} host_summary;

/* summary.json: the fields of s with the convolutions' path and its picks
 * made so far in this process (host_conv_fields: their times differ
 * between runs, like the timing fields), then for every evaluation
 * metric of the history its final value and, for accuracies, the best one
 * ("best_test_accuracy"), then the `extra` fields (the provenance,
 * host_provenance.h), then the timing fields. */
int host_summary_write(const char *path, const host_summary *s, const host_history *h,
                       const rt_field *extra, size_t nextra, rt_error *err);

/* Prints the end-of-run lines (final metrics, the GEMM backend, the
 * convolutions' path with one line per pick, host_conv_print, and the run
 * directory). */
void host_print_result(const host_summary *s, const host_history *h, const char *dir);

#endif
