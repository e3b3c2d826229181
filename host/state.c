/* state.c: checkpoints of a model's persistent tensors (weights and
 * optimizer state) as safetensors files, and the scan of those tensors for
 * NaN and Inf (see host_state.h). */
#include "host_state.h"

#include <stdlib.h>
#include <string.h>

static rt_dtype real_dtype(const host_model *m) { return m->f64 ? RT_F64 : RT_F32; }

const host_tensor *host_model_tensor(const host_model *m, const char *name) {
  for (int i = 0; i < m->ntensors; i++)
    if (strcmp(m->tensors[i].name, name) == 0)
      return &m->tensors[i];
  return NULL;
}

int host_state_save(const char *path, const host_model *m, const host_extra *extra, int nextra,
                    const rt_str_pair *meta, size_t nmeta, rt_error *err) {
  size_t n = (size_t)m->ntensors + (size_t)nextra;
  rt_tensor_ref *refs = calloc(n ? n : 1, sizeof *refs);
  if (!refs) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    rt_tensor_ref *r = &refs[i];
    r->name = t->name;
    r->dtype = real_dtype(m);
    r->ndim = t->rank;
    for (int d = 0; d < t->rank; d++)
      r->shape[d] = t->shape[d];
    r->data = t->data;
  }
  for (int i = 0; i < nextra; i++)
    refs[m->ntensors + i] = (rt_tensor_ref){.name = extra[i].name,
                                            .dtype = RT_F64,
                                            .ndim = 1,
                                            .shape = {extra[i].count},
                                            .data = extra[i].data};
  int rc = rt_safetensors_write(path, refs, n, meta, nmeta, err);
  free(refs);
  return rc;
}

int host_state_restore(const rt_st_file *f, const host_model *m, bool params_only,
                       bool zero_missing, rt_error *err) {
  const size_t real = m->f64 ? sizeof(double) : sizeof(float);
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    if (params_only && !t->is_param)
      continue;
    const rt_st_tensor *s = rt_st_find(f, t->name);
    if (!s && zero_missing && !t->is_param) {
      memset(t->data, 0, (size_t)t->count * real);
      continue;
    }
    if (!s) {
      rt_error_set(err, "the checkpoint has no tensor %s", t->name);
      return -1;
    }
    bool same = s->dtype == real_dtype(m) && s->ndim == t->rank;
    for (int d = 0; same && d < t->rank; d++)
      same = s->shape[d] == t->shape[d];
    if (!same) {
      rt_error_set(err, "tensor %s of the checkpoint differs in dtype or shape from the program",
                   t->name);
      return -1;
    }
    memcpy(t->data, s->data, s->nbytes);
  }
  return 0;
}

const char *host_state_nonfinite(const host_model *m, long *elem) {
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    long at = m->f64 ? rt_find_nonfinite_f64(t->data, (size_t)t->count)
                     : rt_find_nonfinite_f32(t->data, (size_t)t->count);
    if (at >= 0) {
      *elem = at;
      return t->name;
    }
  }
  return NULL;
}
