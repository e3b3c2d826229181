/* host_state.h: the persistent state of a model (host_model's tensors) in
 * safetensors files: the weights under their public names, the file other
 * tools read (model.safetensors), apart from the optimizer and estimator
 * state; every tensor checked finite when it is loaded; and the scan of a
 * model's state for NaN and Inf. */
#ifndef DUET_HOST_STATE_H
#define DUET_HOST_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "host_model.h"
#include "rt_io.h"

/* The public name of the weight at `path`: the positions of the path (its
 * bracketed indices, in order), then the weight's own name, joined by dots:
 * "model[1].MLP[0].Linear.W" -> "1.0.W", "model.Linear.W" -> "W". Every
 * branch of a model (the parts of a sequence, tuple or sum) is indexed, so
 * two weights never share a name. Into out[cap]. */
void host_weight_name(const char *path, char *out, size_t cap);

/* Metadata key prefix of a weights file: "duet.path.<public name>" holds
 * the weight's path. */
#define HOST_META_PATH "duet.path."

/* Writes every weight of m under its public name (in program order, the
 * model's real dtype), the metadata and a HOST_META_PATH key per weight
 * to `path`, atomically. */
int host_weights_save(const char *path, const host_model *m, const rt_str_pair *meta, size_t nmeta,
                      rt_error *err);

/* Copies every weight of m from a weights file (F32 and F64 are converted
 * to the model's dtype). Fails, naming the weight by its public name and
 * path, when one is missing, has another shape, or holds a value that is
 * not finite (with the element's index). *unused (when not NULL) gets the
 * number of tensors of f that are not weights of m. */
int host_weights_load(const rt_st_file *f, const host_model *m, int *unused, rt_error *err);

/* An extra F64 vector saved with the optimizer state (e.g. recent losses). */
typedef struct host_extra {
  const char *name;
  const double *data;
  long count;
} host_extra;

/* Writes every tensor of m that is not a weight (optimizer and estimator
 * state, under its path such as "model[1].MLP[0].Linear.W:m"), the extra
 * vectors and the metadata to `path`, atomically. */
int host_state_save(const char *path, const host_model *m, const host_extra *extra, int nextra,
                    const rt_str_pair *meta, size_t nmeta, rt_error *err);

/* Copies the optimizer and estimator state of m from a file host_state_save
 * wrote (the tensors this process stores: data not NULL). Fails, naming the
 * tensor, when one is missing, differs in dtype or shape, or holds a value
 * that is not finite. */
int host_state_load(const rt_st_file *f, const host_model *m, rt_error *err);

/* The first tensor (program order, of those stored here) holding a NaN or
 * Inf, and in *elem the index of that element; NULL when all are finite. */
const char *host_state_nonfinite(const host_model *m, long *elem);

#endif
