/* host_state.h: the persistent state of a model (host_model's tensors:
 * weights and optimizer state, in the model's real dtype): checkpoints in
 * safetensors format and the scan for non-finite values. */
#ifndef DUET_HOST_STATE_H
#define DUET_HOST_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "host_model.h"
#include "rt_io.h"

/* An extra F64 vector saved next to the tensors (e.g. recent losses). */
typedef struct host_extra {
  const char *name;
  const double *data;
  long count;
} host_extra;

/* Writes every tensor of m (by name, in program order), the extra vectors
 * and the metadata to `path`, atomically. */
int host_state_save(const char *path, const host_model *m, const host_extra *extra, int nextra,
                    const rt_str_pair *meta, size_t nmeta, rt_error *err);

/* Copies the tensors of m (only the weights, when params_only) from a
 * checkpoint; fails (naming the tensor) when one is missing or differs in
 * dtype or shape. With `zero_missing`, state the file lacks is set to zero
 * instead. */
int host_state_restore(const rt_st_file *f, const host_model *m, bool params_only,
                       bool zero_missing, rt_error *err);

/* The first tensor (program order) holding a NaN or Inf, and in *elem the
 * index of that element; NULL when all are finite. */
const char *host_state_nonfinite(const host_model *m, long *elem);

#endif
