/* drv_origin.h: what a run directory was made from, as its weights file's
 * metadata records it (the .duet file and its copy in the run directory,
 * the experiment, the --set arguments and the precision), so that commands
 * working on a run (`run --resume`, `sample`, `predict RUN_DIR`) rebuild
 * the same program from the run directory alone: from the copy of the
 * program's files (drv_files.h), even when the .duet file has changed or
 * is gone. */
#ifndef DUET_DRV_ORIGIN_H
#define DUET_DRV_ORIGIN_H

#include <stdbool.h>

#include "drv_cli.h"
#include "rt_io.h"

typedef struct drv_origin {
  const char *source;     /* absolute path of the .duet file (in the file) */
  const char *experiment; /* (in the file) */
  char copy[4200];        /* <dir>/source/...: the copy of the .duet file */
  char stdlib[4200];      /* <dir>/stdlib: the copy of its stdlib files */
  char data_dir[4200];    /* the directory of source: relative data paths
                             of the copy resolve there, as in the run */
  int nsets;
  char **sets; /* malloc-owned array of the --set arguments, which are
                  strings of the file */
  bool f64;    /* trained in double precision */
} drv_origin;

/* Reads `dir`/model.safetensors into *f (the caller frees it with
 * rt_st_file_free, also after a failure) and its origin into *o. Returns 0,
 * or -1 with a message naming the file. */
int drv_origin_read(const char *dir, rt_st_file *f, drv_origin *o, rt_error *err);
void drv_origin_free(drv_origin *o);

/* The command line that rebuilds the run's experiment: the copy, the
 * experiment, the --set arguments and the copied stdlib (pointers into
 * o). */
drv_cli drv_origin_cli(const drv_origin *o, const char *cmd);

#endif
