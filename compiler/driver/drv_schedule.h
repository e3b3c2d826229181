/* drv_schedule.h: the learning-rate schedule of an experiment as a number
 * per step (the scalar input `schedule` of the training step). */
#ifndef DUET_DRV_SCHEDULE_H
#define DUET_DRV_SCHEDULE_H

#include "sema.h"

/* The schedule `pieces[0] >> pieces[1] >> ...` at step t (1-based) of a run
 * of `total` steps. The pieces run one after another: warmup(n) lasts n
 * steps and rises linearly (t / n); every other piece (constant,
 * linear_decay(to = 0), cosine_decay(to = 0)) gets an equal part of the
 * steps left after the warmups. A decay starts at 1 and, over its steps,
 * goes down to `to` (reached just after its last step). No pieces:
 * constant 1. */
double drv_schedule_at(const sema_sched_piece *pieces, int n, long t, long total);

#endif
