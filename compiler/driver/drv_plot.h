/* drv_plot.h: the plots of a compare or sweep (host_plot.h draws them). */
#ifndef DUET_DRV_PLOT_H
#define DUET_DRV_PLOT_H

#include "host_plot.h"
#include "sema.h"

/* A variant of a compare or sweep, in the order of the study's variants
 * (the product of its axes, the last axis fastest). */
typedef struct drv_study_result {
  const char *label;
  const host_history *h; /* NULL: the variant failed */
  double value;          /* the study's metric (its final mean training loss by default) */
} drv_study_result;

/* Into dir: compare.svg, the losses of every variant (variants that differ
 * only on an axis of the seed alone drawn as one mean curve with a band),
 * and for a sweep sweep.svg, the variants' value of `metric` (NULL: the
 * final training loss) against the last numeric axis that is not the
 * seed's, one line per combination of the other axes (mean and band over
 * the seeds). */
int drv_plot_study(const char *dir, const ast_decl *d, const drv_study_result *v, int nv,
                   const char *metric, rt_error *err);

#endif
