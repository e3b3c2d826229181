/* host_plot.h: plots of runs drawn from their histories: loss.svg of a
 * run, and the curves of several runs (compare, sweep, `duet plot`). The y
 * axis is logarithmic when the values span more than a factor of 100
 * (rt_plot_opts), unless the caller chooses. */
#ifndef DUET_HOST_PLOT_H
#define DUET_HOST_PLOT_H

#include "host_report.h"

/* A run to draw. */
typedef struct host_plot_run {
  const host_history *h; /* NULL: skipped (a run that failed) */
  const char *label;     /* its name in the legend */
  const char *group;     /* runs with the same group (not NULL) are drawn as
                           one: the mean of their points at each step and a
                           band of one standard deviation, named
                           "<group> (mean ± std of N)" */
} host_plot_run;

typedef struct host_plot_spec {
  const char *title;
  const char *const *keys; /* the metrics to draw (up to 16); NULL: "loss" and
                              every evaluated loss */
  int nkeys;
  rt_scale y_scale;
} host_plot_spec;

/* A plot of the metrics of runs against steps: metric k in dash style k
 * (the first solid, the second dashed, ...), run r in color r. The legend
 * names the metrics when there is one run, the runs when there is one
 * metric, else the runs (by color) and then the metrics (by style, gray). */
int host_plot_runs(const char *path, const host_plot_spec *spec, const host_plot_run *runs, int n,
                   rt_error *err);

/* loss.svg of a run: the training loss (solid) and every evaluated loss
 * (dashed, dotted, ...), titled "<experiment>: loss". */
int host_plot_losses(const char *path, const char *experiment, const host_history *h,
                     rt_error *err);

/* "train loss" for "loss", "test loss" for "test_loss", else the key. */
void host_metric_name(char *out, size_t cap, const char *key);

#endif
