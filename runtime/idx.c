/*
 * idx.c - reading IDX files (the MNIST container: a 4-byte magic giving the
 * element type and number of dimensions, big-endian uint32 dimensions, then
 * the big-endian elements), gzip-compressed or plain, with strict
 * validation; and the unsigned-byte view of them image datasets read.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rt_io.h"
#include "rt_data_internal.h"

/* The element types: the magic's third byte and what it means. */
static const struct {
  uint8_t code;
  rt_elem elem;
} types[] = {
    {0x08, RT_ELEM_U8},  {0x09, RT_ELEM_I8},  {0x0b, RT_ELEM_I16},
    {0x0c, RT_ELEM_I32}, {0x0d, RT_ELEM_F32}, {0x0e, RT_ELEM_F64},
};
enum { NTYPES = sizeof types / sizeof types[0] };

/* Largest single gzread request (its length is an unsigned int). */
#define READ_CHUNK (1u << 24)

/* zlib's message without the "<path>: " it starts with. */
static const char *strip_path(const char *zmsg, const char *path) {
  size_t n = strlen(path);
  if (strncmp(zmsg, path, n) == 0 && zmsg[n] == ':' && zmsg[n + 1] == ' ')
    return zmsg + n + 2;
  return zmsg;
}

/* Reads up to n bytes into buf; *got receives how many arrived (fewer only
 * at the end of the data). Returns -1 (with a message) on a gzip error. */
static int read_bytes(gzFile gz, const char *path, uint8_t *buf, size_t n, size_t *got,
                      rt_error *err) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got < READ_CHUNK ? n - *got : READ_CHUNK;
    int r = gzread(gz, buf + *got, (unsigned)want);
    if (r > 0)
      *got += (size_t)r;
    if (r == (int)want)
      continue;
    int errnum;
    const char *zmsg = gzerror(gz, &errnum);
    if (errnum == Z_OK)
      return 0; /* clean end of data */
    if (errnum == Z_BUF_ERROR)
      rt_error_set(err, "%s: truncated gzip stream (unexpected end of file)", path);
    else if (errnum == Z_ERRNO)
      rt_error_set(err, "%s: read error: %s", path, strerror(errno));
    else
      rt_error_set(err, "%s: corrupt gzip data: %s", path, strip_path(zmsg, path));
    return -1;
  }
  return 0;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads the magic and dimensions into out (elem, ndim, shape, count). */
static int read_header(gzFile gz, const char *path, rt_array *out, rt_error *err) {
  uint8_t head[4 + 4 * RT_ARRAY_MAX_DIMS];
  size_t got;
  if (read_bytes(gz, path, head, 4, &got, err))
    return -1;
  if (got < 4) {
    rt_error_set(err, "%s: byte %zu: truncated: the file ends inside the 4-byte IDX magic", path,
                 got);
    return -1;
  }
  if (head[0] != 0 || head[1] != 0) {
    rt_error_set(err,
                 "%s: byte 0: not an IDX file: magic 0x%08x does not start with two zero "
                 "bytes",
                 path, be32(head));
    return -1;
  }
  int t = 0;
  while (t < NTYPES && types[t].code != head[2])
    t++;
  if (t == NTYPES) {
    rt_error_set(err,
                 "%s: byte 2: unsupported IDX element type 0x%02x (supported: 0x08 u8, "
                 "0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)",
                 path, head[2]);
    return -1;
  }
  out->elem = types[t].elem;
  int ndim = head[3];
  if (ndim < 1 || ndim > RT_ARRAY_MAX_DIMS) {
    rt_error_set(err, "%s: byte 3: %d dimensions (supported: 1 to %d)", path, ndim,
                 RT_ARRAY_MAX_DIMS);
    return -1;
  }
  size_t need = 4 * (size_t)ndim;
  if (read_bytes(gz, path, head + 4, need, &got, err))
    return -1;
  if (got < need) {
    rt_error_set(err, "%s: byte %zu: truncated: the file ends inside the %zu-byte IDX header", path,
                 4 + got, 4 + need);
    return -1;
  }
  uint64_t dims[RT_ARRAY_MAX_DIMS];
  for (int i = 0; i < ndim; i++)
    dims[i] = be32(head + 4 + 4 * i);
  out->data_offset = 4 + need;
  return rt_array_set_shape(out, ndim, dims, "dimensions", 4, err);
}

/* Reads exactly the payload's bytes and checks that nothing follows. The
 * buffer grows as data arrives, so a corrupt header claiming a huge size
 * costs no more memory than the data actually present. */
static int read_payload(gzFile gz, const char *path, rt_array *a, rt_error *err) {
  size_t bytes = rt_array_bytes(a);
  size_t cap = bytes < ((size_t)1 << 20) ? bytes : (size_t)1 << 20;
  size_t have = 0;
  uint8_t *data = a->block = malloc(cap ? cap : 1);
  if (!data) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  while (have < bytes) {
    if (have == cap) {
      cap = bytes - cap < cap ? bytes : cap * 2;
      uint8_t *grown = realloc(data, cap);
      if (!grown) {
        rt_error_set(err, "%s: out of memory (%zu bytes)", path, cap);
        return -1;
      }
      data = a->block = grown;
    }
    size_t got;
    if (read_bytes(gz, path, data + have, cap - have, &got, err))
      return -1;
    have += got;
    if (have < cap) {
      char shape[RT_ARRAY_MAX_DIMS * 24];
      rt_array_shape_text(a, shape, sizeof shape);
      rt_error_set(err,
                   "%s: byte %" PRIu64 ": truncated: the data of %s %s needs %zu bytes, %zu "
                   "follow the header",
                   path, a->data_offset + have, shape, rt_elem_name(a->elem), bytes, have);
      return -1;
    }
  }
  uint8_t extra[4096];
  size_t got, trailing = 0;
  do {
    if (read_bytes(gz, path, extra, sizeof extra, &got, err))
      return -1;
    trailing += got;
  } while (got == sizeof extra);
  if (trailing) {
    rt_error_set(err, "%s: byte %" PRIu64 ": %zu bytes after the end of the data", path,
                 a->data_offset + bytes, trailing);
    return -1;
  }
  a->data = data;
  rt_swap_bytes(data, a->count, rt_elem_size(a->elem)); /* big-endian to the host's order */
  return 0;
}

/* Starts *out as the array of path (its origin) and opens the file, gzipped
 * or not; NULL with a message (and *out empty) on failure. */
static gzFile open_array(rt_array *out, const char *path, rt_error *err) {
  *out = (rt_array){0};
  if (!(out->origin = strdup(path))) {
    rt_error_set(err, "%s: out of memory", path);
    return NULL;
  }
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    rt_error_set(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    rt_array_free(out);
  }
  return gz;
}

int rt_idx_load(rt_array *out, const char *path, rt_error *err) {
  gzFile gz = open_array(out, path, err);
  if (!gz)
    return -1;
  gzbuffer(gz, 1u << 17);
  int rc = read_header(gz, path, out, err);
  if (rc == 0)
    rc = read_payload(gz, path, out, err);
  gzclose(gz);
  if (rc)
    rt_array_free(out);
  return rc;
}

int rt_idx_header(rt_array *out, const char *path, rt_error *err) {
  gzFile gz = open_array(out, path, err);
  if (!gz)
    return -1;
  int rc = read_header(gz, path, out, err);
  gzclose(gz);
  if (rc)
    rt_array_free(out);
  return rc;
}

int rt_idx_read(rt_idx *out, const char *path, rt_error *err) {
  *out = (rt_idx){0};
  rt_array a;
  if (rt_idx_load(&a, path, err))
    return -1;
  int rc = -1;
  if (a.elem != RT_ELEM_U8)
    rt_error_set(err,
                 "%s: byte 2: IDX element type %s: images and labels must be unsigned bytes "
                 "(0x08)",
                 path, rt_elem_name(a.elem));
  else if (a.ndim > RT_IDX_MAX_DIMS)
    rt_error_set(err, "%s: byte 3: %d dimensions: images and labels have at most %d", path, a.ndim,
                 RT_IDX_MAX_DIMS);
  else {
    out->ndim = a.ndim;
    for (int i = 0; i < a.ndim; i++)
      out->dims[i] = (uint32_t)a.shape[i];
    out->count = a.count;
    out->data = a.block;
    a.block = NULL;
    rc = 0;
  }
  rt_array_free(&a);
  return rc;
}

void rt_idx_free(rt_idx *idx) {
  free(idx->data);
  *idx = (rt_idx){0};
}

void rt_idx_pixel_stats(const rt_idx *idx, double *mean, double *std) {
  uint64_t hist[256] = {0};
  for (size_t i = 0; i < idx->count; i++)
    hist[idx->data[i]]++;
  double s = 0, ss = 0, n = (double)idx->count;
  for (int v = 0; v < 256; v++) {
    double x = v / 255.0;
    s += (double)hist[v] * x;
    ss += (double)hist[v] * x * x;
  }
  double m = n > 0 ? s / n : 0;
  *mean = m;
  *std = n > 0 ? sqrt(fmax(ss / n - m * m, 0)) : 0;
}
