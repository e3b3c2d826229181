/* drv_origin.h: what a run directory was made from, as its checkpoint's
 * metadata records it (the source file, the experiment, the --set
 * arguments, the stdlib and the precision), so that commands working on a
 * finished run (`run --resume`, `sample`) rebuild the same program. */
#ifndef DUET_DRV_ORIGIN_H
#define DUET_DRV_ORIGIN_H

#include <stdbool.h>

#include "rt_io.h"

typedef struct drv_origin {
  const char *source;     /* absolute path of the file (in the checkpoint) */
  const char *experiment; /* (in the checkpoint) */
  const char *stdlib;     /* --stdlib of the run, or NULL (in the checkpoint) */
  int nsets;
  char **sets; /* malloc-owned array of the --set arguments, which
                             are strings of the checkpoint */
  bool f64;    /* trained in double precision */
} drv_origin;

/* Reads `dir`/model.safetensors into *f (the caller frees it with
 * rt_st_file_free, also after a failure) and its origin into *o. Returns 0,
 * or -1 with a message naming the file. */
int drv_origin_read(const char *dir, rt_st_file *f, drv_origin *o, rt_error *err);
void drv_origin_free(drv_origin *o);

#endif
