/* drv_describe.h: a checked experiment as the training host's plain-C
 * description (host_experiment.h), and that description as C source for
 * the programs of `duet emit-c`. */
#ifndef DUET_DRV_DESCRIBE_H
#define DUET_DRV_DESCRIBE_H

#include <stdio.h>

#include "host_experiment.h"
#include "sema.h"

/* What a description records besides the experiment itself. */
typedef struct drv_describe_info {
  const char *source; /* the .duet file's absolute path */
  int noverrides;
  char *const *overrides; /* the --set arguments e was built with */
  int nfiles;
  const host_source_file *files; /* the program's files (drv_files.h) */
} drv_describe_info;

/* e as the host runs it, every part allocated in a (the strings of info
 * are referred to, not copied). */
host_experiment *drv_describe(arena *a, const sema_experiment *e, const drv_describe_info *info);

/* Writes x as the C definition `const host_experiment <name> = {...};`
 * (with static arrays before it). */
void drv_describe_write_c(FILE *f, const host_experiment *x, const char *name);

#endif
