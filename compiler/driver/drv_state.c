/* drv_state.c: checkpoints of a program's persistent tensors (weights and
 * optimizer state) as safetensors files, and the scan of those tensors for
 * NaN and Inf (see drv_state.h). */
#include "drv_state.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static rt_dtype real_dtype(const kp_program *kp) { return kp->real == KP_F64 ? RT_F64 : RT_F32; }

int drv_state_save(const char *path, const core_exe *x, void *arena, const drv_extra *extra,
                   int nextra, const rt_str_pair *meta, size_t nmeta, rt_error *err) {
  const kp_program *kp = core_kernels(x);
  size_t n = (size_t)kp->ntensors + (size_t)nextra;
  rt_tensor_ref *refs = calloc(n ? n : 1, sizeof *refs);
  if (!refs) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    rt_tensor_ref *r = &refs[i];
    r->name = t->name;
    r->dtype = real_dtype(kp);
    r->ndim = t->rank;
    for (int d = 0; d < t->rank; d++)
      r->shape[d] = t->shape[d];
    r->data = (const char *)arena + t->off;
  }
  for (int i = 0; i < nextra; i++)
    refs[kp->ntensors + i] = (rt_tensor_ref){.name = extra[i].name,
                                             .dtype = RT_F64,
                                             .ndim = 1,
                                             .shape = {extra[i].count},
                                             .data = extra[i].data};
  int rc = rt_safetensors_write(path, refs, n, meta, nmeta, err);
  free(refs);
  return rc;
}

/* Copies the persistent tensors of x (only the parameters, when
 * `params_only`) from f. */
static int restore(const rt_st_file *f, const core_exe *x, void *arena, bool params_only,
                   rt_error *err) {
  const kp_program *kp = core_kernels(x);
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    if (params_only && !t->is_param)
      continue;
    const rt_st_tensor *s = rt_st_find(f, t->name);
    if (!s) {
      rt_error_set(err, "the checkpoint has no tensor %s", t->name);
      return -1;
    }
    bool same = s->dtype == real_dtype(kp) && s->ndim == t->rank;
    for (int d = 0; same && d < t->rank; d++)
      same = s->shape[d] == t->shape[d];
    if (!same) {
      rt_error_set(err, "tensor %s of the checkpoint differs in dtype or shape from the program",
                   t->name);
      return -1;
    }
    memcpy((char *)arena + t->off, s->data, s->nbytes);
  }
  return 0;
}

int drv_state_restore(const rt_st_file *f, const core_exe *x, void *arena, rt_error *err) {
  return restore(f, x, arena, false, err);
}

int drv_state_restore_params(const rt_st_file *f, const core_exe *x, void *arena, rt_error *err) {
  return restore(f, x, arena, true, err);
}

const char *drv_state_nonfinite(const core_exe *x, void *arena, long *elem) {
  const kp_program *kp = core_kernels(x);
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    const char *p = (const char *)arena + t->off;
    long at = kp->real == KP_F64 ? rt_find_nonfinite_f64((const double *)p, (size_t)t->count)
                                 : rt_find_nonfinite_f32((const float *)p, (size_t)t->count);
    if (at >= 0) {
      *elem = at;
      return t->name;
    }
  }
  return NULL;
}
