/*
 * npy.c - reading NumPy .npy files: the magic and format version, the
 * header (a Python dict literal with the keys descr, fortran_order and
 * shape, parsed here by a small strict grammar, never evaluated), then
 * exactly the shape's data, brought to the host's byte order and to
 * row-major order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_data_internal.h"
#include "rt_io.h"

static const char MAGIC[6] = "\x93NUMPY";

/* The header being parsed: text [pos, end) of the image; byte offsets in
 * messages are positions in the image. */
typedef struct cursor {
  const uint8_t *p;
  size_t pos, end;
  const char *origin;
  rt_error *err;
} cursor;

static int fail_at(cursor *c, size_t at, const char *what, const char *detail) {
  rt_error_set(c->err, "%s: byte %zu: .npy header: %s%s", c->origin, at, what, detail);
  return -1;
}

/* Python's whitespace between tokens of the dict (and its padding). */
static void skip_space(cursor *c) {
  while (c->pos < c->end && strchr(" \t\r\n", c->p[c->pos]) && c->p[c->pos])
    c->pos++;
}

/* ws ch: consumes ch or fails with "expected <what>". */
static int expect(cursor *c, char ch, const char *what) {
  skip_space(c);
  if (c->pos < c->end && c->p[c->pos] == ch) {
    c->pos++;
    return 0;
  }
  return fail_at(c, c->pos, "expected ", what);
}

/* ws string: a Python string literal in single or double quotes, without
 * escapes; *s and *n receive its contents (in the image). */
static int string_literal(cursor *c, const uint8_t **s, size_t *n, const char *what) {
  skip_space(c);
  if (c->pos >= c->end || (c->p[c->pos] != '\'' && c->p[c->pos] != '"'))
    return fail_at(c, c->pos, "expected ", what);
  uint8_t q = c->p[c->pos];
  size_t start = ++c->pos;
  while (c->pos < c->end && c->p[c->pos] != q && c->p[c->pos] != '\\' && c->p[c->pos] != '\n')
    c->pos++;
  if (c->pos >= c->end || c->p[c->pos] != q)
    return fail_at(c, start - 1, "unterminated or escaped string", "");
  *s = c->p + start;
  *n = c->pos++ - start;
  return 0;
}

/* ws (True | False) */
static int boolean(cursor *c, int *v) {
  skip_space(c);
  size_t left = c->end - c->pos;
  if (left >= 4 && memcmp(c->p + c->pos, "True", 4) == 0) {
    c->pos += 4;
    *v = 1;
    return 0;
  }
  if (left >= 5 && memcmp(c->p + c->pos, "False", 5) == 0) {
    c->pos += 5;
    *v = 0;
    return 0;
  }
  return fail_at(c, c->pos, "expected True or False for 'fortran_order'", "");
}

/* ws '(' [size (',' size)* [',']] ')' with size = digits ['L'] (the 'L' of
 * Python 2's long integers). */
static int shape_tuple(cursor *c, int *ndim, uint64_t *dims) {
  if (expect(c, '(', "a tuple of sizes, like (3, 4), for 'shape'"))
    return -1;
  *ndim = 0;
  for (;;) {
    skip_space(c);
    if (c->pos < c->end && c->p[c->pos] == ')') {
      c->pos++;
      return 0;
    }
    size_t start = c->pos;
    uint64_t v = 0;
    while (c->pos < c->end && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
      unsigned d = c->p[c->pos++] - '0';
      if (v > (UINT64_MAX - d) / 10)
        return fail_at(c, start, "a size in 'shape' is too large", "");
      v = v * 10 + d;
    }
    if (c->pos == start)
      return fail_at(c, start, "expected a size (a non-negative integer) in 'shape'", "");
    if (c->pos < c->end && c->p[c->pos] == 'L')
      c->pos++;
    if (*ndim == RT_ARRAY_MAX_DIMS)
      return fail_at(c, start, "more dimensions than the 8 supported", "");
    dims[(*ndim)++] = v;
    skip_space(c);
    if (c->pos < c->end && c->p[c->pos] == ',')
      c->pos++;
    else if (c->pos >= c->end || c->p[c->pos] != ')')
      return fail_at(c, c->pos, "expected ',' or ')' in 'shape'", "");
  }
}

/* descr: a byte order ('<' little, '>' big, '=' native, '|' none) and one
 * of the supported types; sets elem and *big. */
static int descr_type(cursor *c, size_t at, const uint8_t *s, size_t n, rt_elem *elem, int *big) {
  static const struct {
    const char *code;
    rt_elem elem;
  } codes[] = {
      {"u1", RT_ELEM_U8},  {"i1", RT_ELEM_I8},  {"u2", RT_ELEM_U16}, {"i2", RT_ELEM_I16},
      {"u4", RT_ELEM_U32}, {"i4", RT_ELEM_I32}, {"u8", RT_ELEM_U64}, {"i8", RT_ELEM_I64},
      {"f4", RT_ELEM_F32}, {"f8", RT_ELEM_F64},
  };
  if (n == 3 && strchr("<>=|", s[0]) && s[0])
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
      if (memcmp(s + 1, codes[i].code, 2) == 0) {
        *elem = codes[i].elem;
        *big = s[0] == '>';
        return 0;
      }
  char text[200], detail[300];
  rt_printable(text, sizeof text, s, n);
  snprintf(detail, sizeof detail,
           "'%s' (supported: u1 i1 u2 i2 u4 i4 u8 i8 f4 f8, little- or big-endian)", text);
  return fail_at(c, at, "unsupported dtype ", detail);
}

enum { KEY_DESCR, KEY_FORTRAN, KEY_SHAPE, NKEYS };

/* The header dict: '{' (key ':' value ',')* '}' with each of the three keys
 * exactly once, in any order, then only whitespace. */
static int header_dict(cursor *c, rt_array *a, int *big, uint64_t *dims) {
  static const char *const names[NKEYS] = {"descr", "fortran_order", "shape"};
  size_t seen_at[NKEYS] = {0};
  int seen[NKEYS] = {0}, ndim = 0, fortran = 0;
  if (expect(c, '{', "'{' (the header is a Python dict)"))
    return -1;
  for (;;) {
    skip_space(c);
    if (c->pos < c->end && c->p[c->pos] == '}') {
      c->pos++;
      break;
    }
    const uint8_t *key;
    size_t n, key_at;
    skip_space(c);
    key_at = c->pos;
    if (string_literal(c, &key, &n, "a key in quotes or '}'"))
      return -1;
    int k = 0;
    while (k < NKEYS && !(strlen(names[k]) == n && memcmp(names[k], key, n) == 0))
      k++;
    if (k == NKEYS) {
      char text[200];
      rt_printable(text, sizeof text, key, n);
      rt_error_set(c->err,
                   "%s: byte %zu: .npy header: unknown key '%s' (expected 'descr', "
                   "'fortran_order' and 'shape')",
                   c->origin, key_at, text);
      return -1;
    }
    if (seen[k])
      return fail_at(c, key_at, "repeated key ", names[k]);
    seen[k] = 1;
    seen_at[k] = key_at;
    if (expect(c, ':', "':' after the key"))
      return -1;
    if (k == KEY_DESCR) {
      const uint8_t *s;
      skip_space(c);
      size_t at = c->pos;
      if (c->pos < c->end && c->p[c->pos] == '[')
        return fail_at(c, at, "structured dtypes (a list for 'descr') are not supported", "");
      if (string_literal(c, &s, &n, "a dtype string like '<f4' for 'descr'") ||
          descr_type(c, at, s, n, &a->elem, big))
        return -1;
    } else if (k == KEY_FORTRAN) {
      if (boolean(c, &fortran))
        return -1;
    } else if (shape_tuple(c, &ndim, dims))
      return -1;
    skip_space(c);
    if (c->pos < c->end && c->p[c->pos] == ',')
      c->pos++;
    else if (c->pos >= c->end || c->p[c->pos] != '}')
      return fail_at(c, c->pos, "expected ',' or '}' after a value", "");
  }
  for (int k = 0; k < NKEYS; k++)
    if (!seen[k])
      return fail_at(c, c->pos, "missing key ", names[k]);
  skip_space(c);
  if (c->pos < c->end)
    return fail_at(c, c->pos, "unexpected text after the dict", "");
  a->fortran = fortran && ndim > 1; /* one dimension: the same in both orders */
  return rt_array_set_shape(a, ndim, dims, "shape", seen_at[KEY_SHAPE], c->err);
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The magic, version and header length: *data_at receives where the
 * header ends. */
static int preamble(const uint8_t *p, size_t len, const char *origin, size_t *header_at,
                    size_t *data_at, rt_error *err) {
  size_t n = len < 6 ? len : 6;
  if (memcmp(p, MAGIC, n) != 0) {
    rt_error_set(err, "%s: byte 0: not a .npy file (it does not start with \\x93NUMPY)", origin);
    return -1;
  }
  if (len < 8) {
    rt_error_set(err, "%s: byte %zu: truncated inside the .npy magic and version", origin, len);
    return -1;
  }
  if (p[6] < 1 || p[6] > 3 || p[7] != 0) {
    rt_error_set(err,
                 "%s: byte 6: unsupported .npy format version %u.%u (supported: 1.0, 2.0, "
                 "3.0)",
                 origin, p[6], p[7]);
    return -1;
  }
  size_t prefix = p[6] == 1 ? 10 : 12;
  if (len < prefix) {
    rt_error_set(err, "%s: byte %zu: truncated inside the header length", origin, len);
    return -1;
  }
  uint64_t hlen = p[6] == 1 ? (uint64_t)(p[8] | p[9] << 8) : le32(p + 8);
  if (hlen > len - prefix) {
    rt_error_set(err, "%s: byte %zu: truncated: the header length is %" PRIu64 " bytes, %zu follow",
                 origin, len, hlen, len - prefix);
    return -1;
  }
  *header_at = prefix;
  *data_at = prefix + (size_t)hlen;
  return 0;
}

int rt_npy_parse(rt_array *out, void *buf, size_t len, const char *origin, rt_error *err) {
  *out = (rt_array){.block = buf};
  if (!(out->origin = strdup(origin))) {
    rt_error_set(err, "%s: out of memory", origin);
    rt_array_free(out);
    return -1;
  }
  const uint8_t *p = buf;
  size_t header_at, data_at;
  int big = 0;
  uint64_t dims[RT_ARRAY_MAX_DIMS];
  cursor c = {p, 0, 0, origin, err};
  if (preamble(p, len, origin, &header_at, &data_at, err)) {
    rt_array_free(out);
    return -1;
  }
  c.pos = header_at;
  c.end = data_at;
  if (header_dict(&c, out, &big, dims)) {
    rt_array_free(out);
    return -1;
  }
  size_t bytes = rt_array_bytes(out), size = rt_elem_size(out->elem);
  out->data_offset = data_at;
  if (len - data_at != bytes) {
    char shape[RT_ARRAY_MAX_DIMS * 24];
    rt_array_shape_text(out, shape, sizeof shape);
    if (len - data_at < bytes)
      rt_error_set(
          err, "%s: byte %zu: truncated: the data of %s %s needs %zu bytes, %zu follow the header",
          origin, len, shape, rt_elem_name(out->elem), bytes, len - data_at);
    else
      rt_error_set(err, "%s: byte %zu: %zu bytes after the end of the data", origin,
                   data_at + bytes, len - data_at - bytes);
    rt_array_free(out);
    return -1;
  }
  out->data = (uint8_t *)buf + data_at;
  if ((uintptr_t)out->data % size != 0) /* a header of unusual length */
    out->data = memmove(buf, out->data, bytes);
  if (big)
    rt_swap_bytes(out->data, out->count, size);
  if (out->fortran && rt_array_fortran_to_c(out, err)) {
    rt_array_free(out);
    return -1;
  }
  return 0;
}

int rt_npy_header(rt_array *out, const char *path, rt_error *err) {
  *out = (rt_array){0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    rt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  uint8_t pre[12];
  size_t len = fread(pre, 1, sizeof pre, f), header_at, data_at;
  uint64_t hlen = len < 10                  ? 0
                  : len >= 12 && pre[6] > 1 ? le32(pre + 8)
                                            : (uint64_t)(pre[8] | pre[9] << 8);
  /* no more than the file holds: a hostile length costs nothing */
  uint64_t size = fseek(f, 0, SEEK_END) == 0 && ftell(f) > 0 ? (uint64_t)ftell(f) : len;
  size_t want = (size_t)(12 + hlen < size ? 12 + hlen : size);
  uint8_t *p = malloc(want > len ? want : len + 1);
  int rc = -1;
  if (p && fseek(f, 0, SEEK_SET) == 0) {
    len = fread(p, 1, want > len ? want : len, f);
    rc = preamble(p, len, path, &header_at, &data_at, err);
  } else {
    rt_error_set(err, "%s: out of memory", path);
  }
  if (rc == 0) {
    int big;
    uint64_t dims[RT_ARRAY_MAX_DIMS];
    cursor c = {p, header_at, data_at, path, err};
    rc = header_dict(&c, out, &big, dims);
    out->data_offset = data_at;
  }
  free(p);
  fclose(f);
  return rc;
}

int rt_npy_load(rt_array *out, const char *path, rt_error *err) {
  size_t len;
  char *buf = rt_read_file(path, &len, err);
  if (!buf) {
    *out = (rt_array){0};
    return -1;
  }
  return rt_npy_parse(out, buf, len, path, err);
}
