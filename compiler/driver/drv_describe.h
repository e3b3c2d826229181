/* drv_describe.h: a checked experiment as the training host's plain-C
 * description (host_experiment.h), and that description as C source for
 * the programs of `duet emit-c`. */
#ifndef DUET_DRV_DESCRIBE_H
#define DUET_DRV_DESCRIBE_H

#include <stdio.h>

#include "host_experiment.h"
#include "sema.h"

/* e as the host runs it, every part allocated in a; `source` is the path
 * of the .duet file recorded in checkpoints. */
host_experiment *drv_describe(arena *a, const sema_experiment *e, const char *source);

/* Writes x as the C definition `const host_experiment <name> = {...};`
 * (with static arrays before it). */
void drv_describe_write_c(FILE *f, const host_experiment *x, const char *name);

#endif
