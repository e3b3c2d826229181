/* drv_plot.h: the plots of runs drawn from their histories: loss.svg of a
 * run, compare.svg and sweep.svg of a compare or sweep, and the plots of
 * `duet plot`. The y axis is logarithmic when the values span more than a
 * factor of 100 (rt_plot_opts), unless the caller chooses. */
#ifndef DUET_DRV_PLOT_H
#define DUET_DRV_PLOT_H

#include "drv_build.h"
#include "drv_report.h"

/* A run to draw. */
typedef struct drv_plot_run {
  const drv_history *h; /* NULL: skipped (a run that failed) */
  const char *label;    /* its name in the legend */
  const char *group;    /* runs with the same group (not NULL) are drawn as
                           one: the mean of their points at each step and a
                           band of one standard deviation, named
                           "<group> (mean ± std of N)" */
} drv_plot_run;

typedef struct drv_plot_spec {
  const char *title;
  const char *const *keys; /* the metrics to draw (up to 16); NULL: "loss" and
                              every evaluated loss */
  int nkeys;
  rt_scale y_scale;
} drv_plot_spec;

/* A plot of the metrics of runs against steps: metric k in dash style k
 * (the first solid, the second dashed, ...), run r in color r. The legend
 * names the metrics when there is one run, the runs when there is one
 * metric, else the runs (by color) and then the metrics (by style, gray). */
int drv_plot_runs(const char *path, const drv_plot_spec *spec, const drv_plot_run *runs, int n,
                  rt_error *err);

/* loss.svg of a run: the training loss (solid) and every evaluated loss
 * (dashed, dotted, ...), titled "<experiment>: loss". */
int drv_plot_losses(const char *path, const char *experiment, const drv_history *h, rt_error *err);

/* "train loss" for "loss", "test loss" for "test_loss", else the key. */
void drv_metric_name(char *out, size_t cap, const char *key);

/* A variant of a compare or sweep, in the order of the study's variants
 * (the product of its axes, the last axis fastest). */
typedef struct drv_study_result {
  const char *label;
  const drv_history *h; /* NULL: the variant failed */
  double train_loss;    /* its final (mean) training loss */
} drv_study_result;

/* Into dir: compare.svg, the losses of every variant (variants that differ
 * only on an axis of the seed alone drawn as one mean curve with a band),
 * and for a sweep sweep.svg, the final training loss against the last
 * numeric axis that is not the seed's, one line per combination of the
 * other axes (mean and band over the seeds). */
int drv_plot_study(const char *dir, const ast_decl *d, const drv_study_result *v, int nv,
                   rt_error *err);

#endif
