/* drv_heads.h: the metric head_ablation(data, "glob") of an eval item: for
 * every head of the matched weights, the loss on a data set with the head's
 * block of the weight zeroed minus the loss as it is, logged as
 * head<i>_<h>; and their plot over one run or several (heads.svg). */
#ifndef DUET_DRV_HEADS_H
#define DUET_DRV_HEADS_H

#include "drv_data.h"
#include "drv_eval.h"
#include "drv_machine.h"
#include "drv_report.h"
#include "sema.h"

/* One ablated head: its metrics key "head<i>_<h>" (matched weight i and
 * head h, both from 1) and the loss increase. */
typedef struct drv_head_value {
  char key[32];
  double increase;
} drv_head_value;

/* The loss increase of every head of ab on `set` in m's current state,
 * weight by weight and head by head, into out[SEMA_MAX_ABLATED_HEADS];
 * returns how many. Each head's block is restored bit for bit after its
 * evaluation. */
int drv_heads_eval(const drv_evaluator *ev, drv_machine *m, const sema_ablation *ab,
                   const drv_data *set, drv_head_value *out);

/* heads.svg: every head<i>_<h> series of n runs against steps, named by
 * the key, or "<label> <key>" when labels is not NULL. Writes nothing and
 * returns 0 when no run has them. */
int drv_plot_heads(const char *path, const drv_history *const *runs, const char *const *labels,
                   int n, rt_error *err);

#endif
