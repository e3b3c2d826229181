/*
 * idx.c - reading IDX files (the MNIST container: a 4-byte magic giving the
 * element type and number of dimensions, big-endian uint32 dimensions, then
 * the elements), gzip-compressed or plain, with strict validation.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rt_io.h"

#define IDX_UBYTE 0x08

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

/* "60000 x 28 x 28" */
static void dims_text(const rt_idx *idx, char *buf, size_t cap) {
  size_t off = 0;
  for (int i = 0; i < idx->ndim && off < cap; i++)
    off += (size_t)snprintf(buf + off, cap - off, "%s%u", i ? " x " : "", idx->dims[i]);
}

/* Reads the magic and dimensions into out (ndim, dims, count). */
static int read_header(gzFile gz, const char *path, rt_idx *out, rt_error *err) {
  uint8_t head[4 + 4 * RT_IDX_MAX_DIMS];
  size_t got;
  if (read_bytes(gz, path, head, 4, &got, err))
    return -1;
  if (got < 4) {
    rt_error_set(err, "%s: truncated: the IDX magic needs 4 bytes, got %zu", path, got);
    return -1;
  }
  if (head[0] != 0 || head[1] != 0) {
    rt_error_set(err,
                 "%s: not an IDX file: bad magic 0x%08x (expected "
                 "0x000008NN, NN = number of dimensions)",
                 path, be32(head));
    return -1;
  }
  if (head[2] != IDX_UBYTE) {
    rt_error_set(err,
                 "%s: unsupported IDX element type 0x%02x (only "
                 "unsigned bytes, 0x08, are supported)",
                 path, head[2]);
    return -1;
  }
  int ndim = head[3];
  if (ndim < 1 || ndim > RT_IDX_MAX_DIMS) {
    rt_error_set(err, "%s: bad IDX header: %d dimensions (expected 1 to %d)", path, ndim,
                 RT_IDX_MAX_DIMS);
    return -1;
  }
  size_t need = 4 * (size_t)ndim;
  if (read_bytes(gz, path, head + 4, need, &got, err))
    return -1;
  if (got < need) {
    rt_error_set(err, "%s: truncated: the IDX header needs %zu bytes, got %zu", path, 4 + need,
                 4 + got);
    return -1;
  }
  out->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    out->dims[i] = be32(head + 4 + 4 * i);
  out->count = 1;
  for (int i = 0; i < ndim; i++) {
    if (out->dims[i] && out->count > SIZE_MAX / out->dims[i]) {
      char dims[128];
      dims_text(out, dims, sizeof dims);
      rt_error_set(err, "%s: bad IDX header: dimensions %s are too large", path, dims);
      return -1;
    }
    out->count *= out->dims[i];
  }
  return 0;
}

/* Reads exactly idx->count payload bytes and checks that nothing follows.
 * The buffer grows as data arrives, so a corrupt header claiming a huge size
 * costs no more memory than the data actually present. */
static int read_payload(gzFile gz, const char *path, rt_idx *idx, rt_error *err) {
  size_t cap = idx->count < ((size_t)1 << 20) ? idx->count : (size_t)1 << 20;
  size_t have = 0;
  idx->data = malloc(cap ? cap : 1);
  if (!idx->data) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  while (have < idx->count) {
    if (have == cap) {
      cap = idx->count - cap < cap ? idx->count : cap * 2;
      uint8_t *grown = realloc(idx->data, cap);
      if (!grown) {
        rt_error_set(err, "%s: out of memory (%zu bytes)", path, cap);
        return -1;
      }
      idx->data = grown;
    }
    size_t got;
    if (read_bytes(gz, path, idx->data + have, cap - have, &got, err))
      return -1;
    have += got;
    if (have < cap) {
      char dims[128];
      dims_text(idx, dims, sizeof dims);
      rt_error_set(err,
                   "%s: truncated: expected %zu bytes of data (%s), "
                   "got %zu",
                   path, idx->count, dims, have);
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
    rt_error_set(err, "%s: %zu unexpected bytes after the %zu bytes of data", path, trailing,
                 idx->count);
    return -1;
  }
  return 0;
}

int rt_idx_read(rt_idx *out, const char *path, rt_error *err) {
  *out = (rt_idx){0};
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    rt_error_set(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    return -1;
  }
  gzbuffer(gz, 1u << 17);
  int rc = read_header(gz, path, out, err);
  if (rc == 0)
    rc = read_payload(gz, path, out, err);
  gzclose(gz);
  if (rc)
    rt_idx_free(out);
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
