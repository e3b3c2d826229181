/* drv_eval.h: evaluation of a model on a whole data set: the program's
 * eval_step over full batches, plus one extra evaluation entry for the
 * remainder of each set, and the mean loss and accuracy. */
#ifndef DUET_DRV_EVAL_H
#define DUET_DRV_EVAL_H

#include "drv_build.h"
#include "drv_data.h"
#include "drv_machine.h"

#define DRV_MAX_EVAL_ENTRIES 8

typedef struct drv_eval_entry {
  const char *name; /* entry name (ir pool string) */
  long batch;
  int entry;                 /* core entry index, after drv_eval_bind */
  int x, y;                  /* input indices */
  int out_loss, out_correct; /* output positions; out_correct -1 if none */
} drv_eval_entry;

typedef struct drv_evaluator {
  int n;
  drv_eval_entry e[DRV_MAX_EVAL_ENTRIES]; /* e[0]: eval_step */
} drv_evaluator;

/* Before compiling p: adds the remainder entries the sets need. Returns 0,
 * or the exit code after printing the errors. */
int drv_eval_prepare(drv_evaluator *ev, ir_program *p, drv_source *s, const sema_experiment *e,
                     const drv_data *sets, int nsets);
/* After compiling: finds entries, inputs and outputs. */
void drv_eval_bind(drv_evaluator *ev, const drv_machine *m);

/* Mean loss over every example of d, and the fraction classified correctly
 * (NaN when the program counts no correct predictions). */
void drv_eval_run(const drv_evaluator *ev, drv_machine *m, const drv_data *d, double *loss,
                  double *accuracy);

#endif
