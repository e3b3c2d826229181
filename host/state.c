/* state.c: a model's weights and optimizer state in safetensors files (see
 * host_state.h): the weights under their public names with their paths in
 * the metadata, the rest under their paths; loading checks presence,
 * shape and finiteness of every tensor. */
#include "host_state.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NAME_CHARS = 512 };

static rt_dtype real_dtype(const host_model *m) { return m->f64 ? RT_F64 : RT_F32; }

const host_tensor *host_model_tensor(const host_model *m, const char *name) {
  for (int i = 0; i < m->ntensors; i++)
    if (strcmp(m->tensors[i].name, name) == 0)
      return &m->tensors[i];
  return NULL;
}

void host_weight_name(const char *path, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (const char *p = path; *p && n + 1 < cap; p++) {
    if (*p != '[')
      continue;
    while (isdigit((unsigned char)*++p) && n + 2 < cap)
      out[n++] = *p;
    out[n++] = '.';
  }
  const char *dot = strrchr(path, '.');
  snprintf(out + n, cap - n, "%s", dot ? dot + 1 : path);
}

/* The reference of tensor t of m, under `name`. */
static rt_tensor_ref tensor_ref(const host_model *m, const host_tensor *t, const char *name) {
  rt_tensor_ref r = {.name = name, .dtype = real_dtype(m), .ndim = t->rank, .data = t->data};
  for (int d = 0; d < t->rank; d++)
    r.shape[d] = t->shape[d];
  return r;
}

static void *alloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    abort();
  return p;
}

int host_weights_save(const char *path, const host_model *m, const rt_str_pair *meta, size_t nmeta,
                      rt_error *err) {
  size_t nw = 0;
  for (int i = 0; i < m->ntensors; i++)
    nw += m->tensors[i].is_param;
  rt_tensor_ref *refs = alloc(nw, sizeof *refs);
  rt_str_pair *pairs = alloc(nmeta + nw, sizeof *pairs);
  char(*names)[NAME_CHARS] = alloc(nw, sizeof *names);
  char(*keys)[NAME_CHARS + 16] = alloc(nw, sizeof *keys);
  memcpy(pairs, meta, nmeta * sizeof *meta);
  size_t k = 0;
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    if (!t->is_param)
      continue;
    host_weight_name(t->name, names[k], sizeof names[k]);
    snprintf(keys[k], sizeof keys[k], HOST_META_PATH "%s", names[k]);
    pairs[nmeta + k] = (rt_str_pair){keys[k], t->name};
    refs[k] = tensor_ref(m, t, names[k]);
    k++;
  }
  int rc = rt_safetensors_write(path, refs, nw, pairs, nmeta + nw, err);
  free(refs);
  free(pairs);
  free(names);
  free(keys);
  return rc;
}

/* Fails naming t (and its public name, for a weight) when s is missing or
 * has another shape. */
static int check_shape(const host_tensor *t, const char *public_name, const rt_st_tensor *s,
                       rt_error *err) {
  char what[NAME_CHARS * 2 + 16];
  if (public_name)
    snprintf(what, sizeof what, "weight %s (%s)", public_name, t->name);
  else
    snprintf(what, sizeof what, "tensor %s", t->name);
  if (!s) {
    rt_error_set(err, "the file has no %s", what);
    return -1;
  }
  bool same = s->ndim == t->rank && (s->dtype == RT_F32 || s->dtype == RT_F64);
  for (int d = 0; same && d < t->rank; d++)
    same = s->shape[d] == t->shape[d];
  if (same)
    return 0;
  char want[128] = "[", got[128] = "[";
  for (int d = 0; d < t->rank; d++)
    snprintf(want + strlen(want), sizeof want - strlen(want), "%s%ld", d ? ", " : "", t->shape[d]);
  for (int d = 0; d < s->ndim; d++)
    snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "",
             (long long)s->shape[d]);
  rt_error_set(err, "%s is %s %s] in the file; the model has %s]", what, rt_dtype_name(s->dtype),
               got, want);
  return -1;
}

/* Copies s into t (converting between F32 and F64) and fails, naming the
 * tensor and the element, when a value is not finite. */
static int copy_finite(const host_model *m, const host_tensor *t, const char *public_name,
                       const rt_st_tensor *s, rt_error *err) {
  if (s->dtype == real_dtype(m))
    memcpy(t->data, s->data, s->nbytes);
  else if (m->f64)
    for (long i = 0; i < t->count; i++)
      ((double *)t->data)[i] = ((const float *)s->data)[i];
  else
    for (long i = 0; i < t->count; i++)
      ((float *)t->data)[i] = (float)((const double *)s->data)[i];
  long at = m->f64 ? rt_find_nonfinite_f64(t->data, (size_t)t->count)
                   : rt_find_nonfinite_f32(t->data, (size_t)t->count);
  if (at < 0)
    return 0;
  double v = m->f64 ? ((const double *)t->data)[at] : ((const float *)t->data)[at];
  if (public_name)
    rt_error_set(err, "weight %s (%s) holds %s at element %ld: not a trained model", public_name,
                 t->name,
                 isnan(v) ? "nan"
                 : v > 0  ? "inf"
                          : "-inf",
                 at);
  else
    rt_error_set(err, "tensor %s holds %s at element %ld", t->name,
                 isnan(v) ? "nan"
                 : v > 0  ? "inf"
                          : "-inf",
                 at);
  return -1;
}

int host_weights_load(const rt_st_file *f, const host_model *m, int *unused, rt_error *err) {
  int used = 0;
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    if (!t->is_param)
      continue;
    char name[NAME_CHARS];
    host_weight_name(t->name, name, sizeof name);
    const rt_st_tensor *s = rt_st_find(f, name);
    if (check_shape(t, name, s, err) < 0 || copy_finite(m, t, name, s, err) < 0)
      return -1;
    used++;
  }
  if (unused)
    *unused = (int)f->count - used;
  return 0;
}

int host_state_save(const char *path, const host_model *m, const host_extra *extra, int nextra,
                    const rt_str_pair *meta, size_t nmeta, rt_error *err) {
  rt_tensor_ref *refs = alloc((size_t)m->ntensors + (size_t)nextra, sizeof *refs);
  size_t n = 0;
  for (int i = 0; i < m->ntensors; i++)
    if (!m->tensors[i].is_param)
      refs[n++] = tensor_ref(m, &m->tensors[i], m->tensors[i].name);
  for (int i = 0; i < nextra; i++)
    refs[n++] = (rt_tensor_ref){.name = extra[i].name,
                                .dtype = RT_F64,
                                .ndim = 1,
                                .shape = {extra[i].count},
                                .data = extra[i].data};
  int rc = rt_safetensors_write(path, refs, n, meta, nmeta, err);
  free(refs);
  return rc;
}

int host_state_load(const rt_st_file *f, const host_model *m, rt_error *err) {
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    if (t->is_param)
      continue;
    const rt_st_tensor *s = rt_st_find(f, t->name);
    if (check_shape(t, NULL, s, err) < 0)
      return -1;
    if (s->dtype != real_dtype(m)) {
      rt_error_set(err, "tensor %s is %s in the file; the model's state is %s", t->name,
                   rt_dtype_name(s->dtype), rt_dtype_name(real_dtype(m)));
      return -1;
    }
    if (t->data && copy_finite(m, t, NULL, s, err) < 0)
      return -1;
  }
  return 0;
}

const char *host_state_nonfinite(const host_model *m, long *elem) {
  for (int i = 0; i < m->ntensors; i++) {
    const host_tensor *t = &m->tensors[i];
    if (!t->data)
      continue;
    long at = m->f64 ? rt_find_nonfinite_f64(t->data, (size_t)t->count)
                     : rt_find_nonfinite_f32(t->data, (size_t)t->count);
    if (at >= 0) {
      *elem = at;
      return t->name;
    }
  }
  return NULL;
}
