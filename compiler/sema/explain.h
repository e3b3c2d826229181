/* explain.h: `duet explain`: the optimizer derived for each experiment,
 * printed as a table over the model's weights plus the modular norm. */
#ifndef DUET_EXPLAIN_H
#define DUET_EXPLAIN_H

#include <stdio.h>

#include "sema.h"

/* For one experiment: its optimizers, then one row per weight (path, shape,
 * mass, sensitivity, step share, effective learning rate = lr * share for
 * an optimizer that calls dualize and lr otherwise, optimizer, declared
 * norm, declared dualize rule), then the modular-norm formula with each
 * atom's norm and bound parameters. */
void sema_explain_experiment(FILE *out, const sema_experiment *x);

/* Every experiment of r, separated by blank lines. */
void sema_explain(FILE *out, const sema_result *r);

#endif
