/*
 * ndarray.c - the arrays the data-file readers return: element types,
 * checked shapes, byte order and storage order, and the conversions to
 * float features and int32 class ids, which name a bad element by its
 * index and its byte offset in the file; file text quoted in messages.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"
#include "rt_data_internal.h"

static const struct {
  const char *name;
  size_t size;
} elems[] = {
    [RT_ELEM_U8] = {"u8", 1},   [RT_ELEM_I8] = {"i8", 1},   [RT_ELEM_U16] = {"u16", 2},
    [RT_ELEM_I16] = {"i16", 2}, [RT_ELEM_U32] = {"u32", 4}, [RT_ELEM_I32] = {"i32", 4},
    [RT_ELEM_U64] = {"u64", 8}, [RT_ELEM_I64] = {"i64", 8}, [RT_ELEM_F32] = {"f32", 4},
    [RT_ELEM_F64] = {"f64", 8},
};

size_t rt_elem_size(rt_elem e) { return elems[e].size; }

const char *rt_elem_name(rt_elem e) { return elems[e].name; }

void rt_array_free(rt_array *a) {
  free(a->block);
  free(a->origin);
  *a = (rt_array){0};
}

void rt_array_shape_text(const rt_array *a, char *buf, size_t cap) {
  size_t off = 0;
  buf[0] = 0;
  if (a->ndim == 0)
    snprintf(buf, cap, "scalar");
  for (int i = 0; i < a->ndim && off < cap; i++)
    off += (size_t)snprintf(buf + off, cap - off, "%s%zu", i ? " x " : "", a->shape[i]);
}

size_t rt_array_bytes(const rt_array *a) { return a->count * rt_elem_size(a->elem); }

int rt_array_set_shape(rt_array *a, int ndim, const uint64_t *dims, const char *what, uint64_t at,
                       rt_error *err) {
  int empty = 0;
  for (int i = 0; i < ndim; i++)
    empty |= dims[i] == 0;
  size_t count = 1, limit = SIZE_MAX / rt_elem_size(a->elem);
  for (int i = 0; i < ndim && !empty; i++) {
    if (dims[i] > limit / count) {
      char text[RT_ARRAY_MAX_DIMS * 24] = "";
      size_t off = 0;
      for (int k = 0; k < ndim; k++)
        off +=
            (size_t)snprintf(text + off, sizeof text - off, "%s%" PRIu64, k ? " x " : "", dims[k]);
      rt_error_set(err, "%s: byte %" PRIu64 ": %s %s are too large", a->origin, at, what, text);
      return -1;
    }
    count *= (size_t)dims[i];
  }
  a->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    a->shape[i] = (size_t)dims[i];
  a->count = empty ? 0 : count;
  return 0;
}

void rt_swap_bytes(void *data, size_t count, size_t size) {
  uint8_t *p = data;
  /* shifts and masks on whole words: compilers turn them into bswap */
  switch (size) {
  case 2:
    for (size_t i = 0; i < count; i++, p += 2) {
      uint16_t v;
      memcpy(&v, p, 2);
      v = (uint16_t)(v >> 8 | v << 8);
      memcpy(p, &v, 2);
    }
    break;
  case 4:
    for (size_t i = 0; i < count; i++, p += 4) {
      uint32_t v;
      memcpy(&v, p, 4);
      v = v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
      memcpy(p, &v, 4);
    }
    break;
  case 8:
    for (size_t i = 0; i < count; i++, p += 8) {
      uint64_t v;
      memcpy(&v, p, 8);
      v = (v >> 8 & 0x00ff00ff00ff00ffull) | (v & 0x00ff00ff00ff00ffull) << 8;
      v = (v >> 16 & 0x0000ffff0000ffffull) | (v & 0x0000ffff0000ffffull) << 16;
      v = v >> 32 | v << 32;
      memcpy(p, &v, 8);
    }
    break;
  }
}

int rt_array_fortran_to_c(rt_array *a, rt_error *err) {
  size_t size = rt_elem_size(a->elem), bytes = rt_array_bytes(a);
  uint8_t *to = malloc(bytes ? bytes : 1);
  if (!to) {
    rt_error_set(err, "%s: out of memory (%zu bytes)", a->origin, bytes);
    return -1;
  }
  /* Walk the file's elements in their (column-major) order: the index of
   * dimension 0 runs fastest; the row-major offset moves by stride[d]. */
  size_t stride[RT_ARRAY_MAX_DIMS], idx[RT_ARRAY_MAX_DIMS] = {0}, at = 0;
  size_t s = 1;
  for (int d = a->ndim - 1; d >= 0; d--) {
    stride[d] = s;
    s *= a->shape[d];
  }
  const uint8_t *from = a->data;
  for (size_t i = 0; i < a->count; i++, from += size) {
    switch (size) { /* constant sizes: copies the compiler inlines */
    case 1:
      memcpy(to + at, from, 1);
      break;
    case 2:
      memcpy(to + at * 2, from, 2);
      break;
    case 4:
      memcpy(to + at * 4, from, 4);
      break;
    default:
      memcpy(to + at * 8, from, 8);
      break;
    }
    for (int d = 0; d < a->ndim; d++) {
      at += stride[d];
      if (++idx[d] < a->shape[d])
        break;
      at -= stride[d] * a->shape[d];
      idx[d] = 0;
    }
  }
  free(a->block);
  a->block = a->data = to;
  return 0;
}

void rt_printable(char *out, size_t cap, const void *s, size_t n) {
  const uint8_t *p = s;
  size_t off = 0, i = 0;
  for (; i < n && i < 40 && off + 8 < cap; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
      out[off++] = (char)p[i];
    else
      off += (size_t)snprintf(out + off, cap - off, "\\x%02x", p[i]);
  }
  snprintf(out + off, cap - off, "%s", i < n ? "..." : "");
}

/* ---- naming an element in messages ----------------------------------------- */

/* "[3, 2]": the row-major index i as one index per dimension; *file_index
 * receives the element's position in the file's order. */
static void index_text(const rt_array *a, size_t i, char *buf, size_t cap, size_t *file_index) {
  size_t idx[RT_ARRAY_MAX_DIMS], rest = i;
  for (int d = a->ndim - 1; d >= 0; d--) {
    idx[d] = rest % a->shape[d];
    rest /= a->shape[d];
  }
  *file_index = i;
  if (a->fortran) {
    *file_index = 0;
    for (int d = a->ndim - 1; d >= 0; d--)
      *file_index = *file_index * a->shape[d] + idx[d];
  }
  size_t off = (size_t)snprintf(buf, cap, "[");
  for (int d = 0; d < a->ndim && off < cap; d++)
    off += (size_t)snprintf(buf + off, cap - off, "%s%zu", d ? ", " : "", idx[d]);
  if (off < cap)
    snprintf(buf + off, cap - off, "]");
}

/* Element i's value as text. */
static void value_text(const rt_array *a, size_t i, char *buf, size_t cap) {
  const void *p = (const uint8_t *)a->data + i * rt_elem_size(a->elem);
  switch (a->elem) {
  case RT_ELEM_U8:
    snprintf(buf, cap, "%u", *(const uint8_t *)p);
    break;
  case RT_ELEM_I8:
    snprintf(buf, cap, "%d", *(const int8_t *)p);
    break;
  case RT_ELEM_U16:
    snprintf(buf, cap, "%u", *(const uint16_t *)p);
    break;
  case RT_ELEM_I16:
    snprintf(buf, cap, "%d", *(const int16_t *)p);
    break;
  case RT_ELEM_U32:
    snprintf(buf, cap, "%" PRIu32, *(const uint32_t *)p);
    break;
  case RT_ELEM_I32:
    snprintf(buf, cap, "%" PRId32, *(const int32_t *)p);
    break;
  case RT_ELEM_U64:
    snprintf(buf, cap, "%" PRIu64, *(const uint64_t *)p);
    break;
  case RT_ELEM_I64:
    snprintf(buf, cap, "%" PRId64, *(const int64_t *)p);
    break;
  case RT_ELEM_F32:
    snprintf(buf, cap, "%.9g", *(const float *)p);
    break;
  case RT_ELEM_F64:
    snprintf(buf, cap, "%.17g", *(const double *)p);
    break;
  }
}

/* "<origin>: byte N: <what, with %s for the value> at [i, j]<tail>" */
static int element_error(const rt_array *a, size_t i, const char *what, const char *tail,
                         rt_error *err) {
  char idx[RT_ARRAY_MAX_DIMS * 24], value[40], text[128];
  size_t file_index;
  index_text(a, i, idx, sizeof idx, &file_index);
  value_text(a, i, value, sizeof value);
  snprintf(text, sizeof text, what, value);
  uint64_t at = a->data_offset + (uint64_t)file_index * rt_elem_size(a->elem);
  rt_error_set(err, "%s: byte %" PRIu64 ": %s at %s%s", a->origin, at, text, idx, tail);
  return -1;
}

/* ---- conversions -------------------------------------------------------------- */

/* out[i] = (OUT) element i, for every element, whatever the element type. */
#define CAST_ALL(OUT)           \
  do {                          \
    switch (a->elem) {          \
    case RT_ELEM_U8:            \
      CAST_LOOP(uint8_t, OUT);  \
      break;                    \
    case RT_ELEM_I8:            \
      CAST_LOOP(int8_t, OUT);   \
      break;                    \
    case RT_ELEM_U16:           \
      CAST_LOOP(uint16_t, OUT); \
      break;                    \
    case RT_ELEM_I16:           \
      CAST_LOOP(int16_t, OUT);  \
      break;                    \
    case RT_ELEM_U32:           \
      CAST_LOOP(uint32_t, OUT); \
      break;                    \
    case RT_ELEM_I32:           \
      CAST_LOOP(int32_t, OUT);  \
      break;                    \
    case RT_ELEM_U64:           \
      CAST_LOOP(uint64_t, OUT); \
      break;                    \
    case RT_ELEM_I64:           \
      CAST_LOOP(int64_t, OUT);  \
      break;                    \
    case RT_ELEM_F32:           \
      CAST_LOOP(float, OUT);    \
      break;                    \
    case RT_ELEM_F64:           \
      CAST_LOOP(double, OUT);   \
      break;                    \
    }                           \
  } while (0)
#define CAST_LOOP(T, OUT)               \
  for (size_t i = 0; i < a->count; i++) \
  out[i] = (OUT)((const T *)a->data)[i]

/* The message for element i, whose conversion to `to` is not finite. */
static int nonfinite_error(const rt_array *a, size_t i, const char *to, rt_error *err) {
  const void *p = (const uint8_t *)a->data + i * rt_elem_size(a->elem);
  double v = a->elem == RT_ELEM_F32 ? *(const float *)p : *(const double *)p;
  if (isnan(v))
    return element_error(a, i, "NaN", "", err);
  if (isinf(v))
    return element_error(a, i, "%s", "", err);
  char tail[48];
  snprintf(tail, sizeof tail, ": beyond the range of %s", to);
  return element_error(a, i, "value %s", tail, err);
}

int rt_array_to_f32(const rt_array *a, float *out, rt_error *err) {
  CAST_ALL(float);
  if (a->elem != RT_ELEM_F32 && a->elem != RT_ELEM_F64)
    return 0; /* every integer is finite as a float */
  long bad = rt_find_nonfinite_f32(out, a->count);
  return bad < 0 ? 0 : nonfinite_error(a, (size_t)bad, "f32", err);
}

int rt_array_to_f64(const rt_array *a, double *out, rt_error *err) {
  CAST_ALL(double);
  if (a->elem != RT_ELEM_F32 && a->elem != RT_ELEM_F64)
    return 0;
  long bad = rt_find_nonfinite_f64(out, a->count);
  return bad < 0 ? 0 : nonfinite_error(a, (size_t)bad, "f64", err);
}

/* Element i of an integer array; *neg is set for a negative value. The
 * magnitude saturates at UINT64_MAX, which no limit reaches. */
static uint64_t magnitude_at(const rt_array *a, size_t i, int *neg) {
  const void *p = (const uint8_t *)a->data + i * rt_elem_size(a->elem);
  int64_t s = 0;
  switch (a->elem) {
  case RT_ELEM_U8:
    return *(const uint8_t *)p;
  case RT_ELEM_U16:
    return *(const uint16_t *)p;
  case RT_ELEM_U32:
    return *(const uint32_t *)p;
  case RT_ELEM_U64:
    return *(const uint64_t *)p;
  case RT_ELEM_I8:
    s = *(const int8_t *)p;
    break;
  case RT_ELEM_I16:
    s = *(const int16_t *)p;
    break;
  case RT_ELEM_I32:
    s = *(const int32_t *)p;
    break;
  case RT_ELEM_I64:
    s = *(const int64_t *)p;
    break;
  case RT_ELEM_F32:
  case RT_ELEM_F64:
    break;
  }
  *neg = s < 0;
  return s < 0 ? 0 : (uint64_t)s;
}

int rt_array_to_ids(const rt_array *a, int32_t *out, int64_t classes, int32_t *bound,
                    rt_error *err) {
  if (a->elem == RT_ELEM_F32 || a->elem == RT_ELEM_F64) {
    rt_error_set(err, "%s: class ids need an integer element type, not %s", a->origin,
                 rt_elem_name(a->elem));
    return -1;
  }
  uint64_t limit = classes > 0 ? (uint64_t)classes : INT32_MAX;
  uint64_t max = 0;
  for (size_t i = 0; i < a->count; i++) {
    int neg = 0;
    uint64_t v = magnitude_at(a, i, &neg);
    if (neg)
      return element_error(a, i, "negative class id %s", "", err);
    if (v >= limit) {
      char tail[64];
      if (classes > 0)
        snprintf(tail, sizeof tail, ": out of range for %" PRId64 " classes", classes);
      else
        snprintf(tail, sizeof tail, ": ids must be below %d", INT32_MAX);
      return element_error(a, i, "class id %s", tail, err);
    }
    out[i] = (int32_t)v;
    max = v > max ? v : max;
  }
  *bound = a->count ? (int32_t)max + 1 : 0;
  return 0;
}
