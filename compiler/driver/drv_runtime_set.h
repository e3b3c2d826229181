/* drv_runtime_set.h: which of the runtime's C files a standalone program
 * needs (for `duet emit-c`): those defining the runtime functions (rt_*)
 * its sources name, closed under the names those files use in turn. */
#ifndef DUET_DRV_RUNTIME_SET_H
#define DUET_DRV_RUNTIME_SET_H

#include "rt_io.h"

typedef struct drv_runtime_set {
  int n;
  char **files; /* base names ("kernels_gemm.c"), sorted, owned */
} drv_runtime_set;

/* Scans the C files of runtime_dir (and the generic body each includes
 * through RT_IMPL) for the rt_* functions they define (a definition starts
 * at the beginning of a line, `type rt_name(` or `type FN(rt_name)(`) and
 * the rt_* names they use, and collects the files the texts need (a line
 * `MACRO(rt_name, ...)` counts as a definition of rt_name too); a name
 * with a dtype suffix (rt_gemm_f32) is found by its generic name too.
 * Returns 0, or -1 with a message. */
int drv_runtime_set_of(const char *runtime_dir, const char *const *texts, int ntexts,
                       drv_runtime_set *out, rt_error *err);
void drv_runtime_set_free(drv_runtime_set *s);

#endif
