/* drv_state.h: the persistent state of a compiled program inside its arena
 * (weights and optimizer state, in the program's real dtype): checkpoints
 * in safetensors format and the scan for non-finite values. */
#ifndef DUET_DRV_STATE_H
#define DUET_DRV_STATE_H

#include <stddef.h>

#include "core.h"
#include "rt_io.h"

/* An extra F64 vector saved next to the tensors (e.g. recent losses). */
typedef struct drv_extra {
  const char *name;
  const double *data;
  long count;
} drv_extra;

/* Writes every persistent tensor of x (by name, in program order), the
 * extra vectors and the metadata to `path`, atomically. */
int drv_state_save(const char *path, const core_exe *x, void *arena, const drv_extra *extra,
                   int nextra, const rt_str_pair *meta, size_t nmeta, rt_error *err);

/* Copies every persistent tensor of x from a checkpoint file; fails (and
 * names the tensor) when one is missing or differs in dtype or shape. */
int drv_state_restore(const rt_st_file *f, const core_exe *x, void *arena, rt_error *err);
/* The same for the parameters (weights) alone, for programs that hold
 * other state than the training program's. */
int drv_state_restore_params(const rt_st_file *f, const core_exe *x, void *arena, rt_error *err);

/* The first persistent tensor (program order) holding a NaN or Inf, and in
 * *elem the index of that element; NULL when all are finite. */
const char *drv_state_nonfinite(const core_exe *x, void *arena, long *elem);

#endif
