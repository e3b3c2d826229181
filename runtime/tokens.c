/*
 * tokens.c - token binaries: raw little-endian token ids (nanoGPT's
 * train.bin: uint16; or uint32) or llm.c's files (a 1024-byte header of
 * int32: magic, version, token count), served window by window through
 * read-only mappings of the window's pages, so that a corpus larger than
 * memory is never read whole; the vocabulary bound comes from an optional,
 * remembered scan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_io.h"

/* llm.c's headers: magic, version, and the token width they imply. */
static const struct {
  uint32_t magic, version;
  int width;
} llmc[] = {{20240520, 1, 2}, {20240801, 7, 4}};
enum { NLLMC = sizeof llmc / sizeof llmc[0] };

/* Token ids are served as int32: larger ones are refused. */
#define MAX_ID INT32_MAX

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The layout of a file of size bytes starting with head [4 .. 12)
 * (zeros where the file is shorter): header_bytes, width and count. */
static int layout(rt_tokens *t, size_t size, const uint8_t *head, int width, rt_error *err) {
  int k = 0;
  while (k < NLLMC && !(size >= 4 && le32(head) == llmc[k].magic))
    k++;
  if (k == NLLMC) { /* raw ids */
    t->width = width ? width : 2;
    if (size % (size_t)t->width) {
      rt_error_set(err, "%s: byte %zu: %zu bytes are not a whole number of %d-byte tokens", t->path,
                   size - size % (size_t)t->width, size, t->width);
      return -1;
    }
    t->count = size / (size_t)t->width;
    return 0;
  }
  t->header_bytes = RT_TOKENS_HEADER_BYTES;
  t->width = llmc[k].width;
  if (size < RT_TOKENS_HEADER_BYTES) {
    rt_error_set(err,
                 "%s: byte %zu: truncated: the file ends inside the %d-byte llm.c header "
                 "(magic %" PRIu32 ")",
                 t->path, size, RT_TOKENS_HEADER_BYTES, llmc[k].magic);
    return -1;
  }
  if (le32(head + 4) != llmc[k].version) {
    rt_error_set(err,
                 "%s: byte 4: llm.c version %" PRIu32 " with magic %" PRIu32
                 " is not supported (expected %" PRIu32 ")",
                 t->path, le32(head + 4), llmc[k].magic, llmc[k].version);
    return -1;
  }
  if (width && width != t->width) {
    rt_error_set(err, "%s: byte 0: an llm.c file of u%d tokens (magic %" PRIu32 "), not u%d",
                 t->path, 8 * t->width, llmc[k].magic, 8 * width);
    return -1;
  }
  uint32_t claimed = le32(head + 8);
  if (claimed > INT32_MAX) {
    rt_error_set(err, "%s: byte 8: negative token count %" PRId32, t->path, (int32_t)claimed);
    return -1;
  }
  size_t have = size - RT_TOKENS_HEADER_BYTES, need = (size_t)claimed * (size_t)t->width;
  if (have != need) {
    if (have < need)
      rt_error_set(err,
                   "%s: byte %zu: truncated: the header claims %" PRIu32
                   " tokens (%zu bytes), the file has %zu bytes of tokens",
                   t->path, size, claimed, need, have);
    else
      rt_error_set(err, "%s: byte %zu: %zu bytes after the %" PRIu32 " tokens the header claims",
                   t->path, RT_TOKENS_HEADER_BYTES + need, have - need, claimed);
    return -1;
  }
  t->count = claimed;
  return 0;
}

int rt_tokens_open(rt_tokens *t, const char *path, int width, rt_error *err) {
  *t = (rt_tokens){0};
  if (width != 0 && width != 2 && width != 4) {
    rt_error_set(err, "%s: token width %d (supported: 2 for u16, 4 for u32)", path, width);
    return -1;
  }
  struct stat st;
  uint8_t head[12] = {0};
  if (!(t->path = strdup(path))) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  if (!(t->f = fopen(path, "rb")))
    rt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
  else if (fstat(fileno(t->f), &st) != 0 || !S_ISREG(st.st_mode) ||
           (uintmax_t)st.st_size > SIZE_MAX / 2)
    rt_error_set(err, "%s: not a regular file", path);
  else if (st.st_size == 0)
    rt_error_set(err, "%s: empty file (no tokens)", path);
  else if (fread(head, 1, sizeof head, t->f) == 0)
    rt_error_set(err, "%s: read error: %s", path, strerror(errno));
  else if (layout(t, (size_t)st.st_size, head, width, err) == 0) {
    if (t->count > 0) {
      t->file_size = (size_t)st.st_size;
      return 0;
    }
    rt_error_set(err, "%s: no tokens", path);
  }
  rt_tokens_close(t);
  return -1;
}

void rt_tokens_close(rt_tokens *t) {
  if (t->f)
    fclose(t->f);
  free(t->path);
  *t = (rt_tokens){0};
}

/* The little-endian id of width bytes at p. */
static uint32_t id_at(const uint8_t *p, int width) {
  if (width == 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
  }
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

int rt_tokens_bound(rt_tokens *t, uint32_t *bound, rt_error *err) {
  if (t->scanned) {
    *bound = t->bound;
    return 0;
  }
  enum { CHUNK = 1 << 20 }; /* bytes read at a time, a multiple of both widths */
  size_t done = 0, bytes = t->count * (size_t)t->width;
  uint8_t *buf = malloc(bytes < CHUNK ? bytes : CHUNK);
  if (!buf || fseeko(t->f, (off_t)t->header_bytes, SEEK_SET) != 0) {
    rt_error_set(err, "%s: %s", t->path, buf ? strerror(errno) : "out of memory");
    free(buf);
    return -1;
  }
  uint32_t max = 0;
  while (done < bytes) {
    size_t n = bytes - done < CHUNK ? bytes - done : CHUNK;
    if (fread(buf, 1, n, t->f) != n) {
      rt_error_set(err, "%s: byte %zu: read error", t->path, t->header_bytes + done);
      free(buf);
      return -1;
    }
    for (size_t k = 0; k < n; k += (size_t)t->width) {
      uint32_t v = id_at(buf + k, t->width);
      if (v >= MAX_ID) {
        rt_error_set(err, "%s: byte %zu: token id %" PRIu32 ": ids must be below %d", t->path,
                     t->header_bytes + done + k, v, MAX_ID);
        free(buf);
        return -1;
      }
      max = v > max ? v : max;
    }
    done += n;
  }
  free(buf);
  t->bound = max + 1;
  t->scanned = 1;
  *bound = t->bound;
  return 0;
}

int rt_tokens_window(const rt_tokens *t, size_t pos, size_t len, uint32_t vocab, int32_t *out,
                     rt_error *err) {
  if (pos > t->count || len > t->count - pos) {
    rt_error_set(err, "%s: the window of %zu tokens at %zu is past the last of the %zu tokens",
                 t->path, len, pos, t->count);
    return -1;
  }
  if (len == 0)
    return 0;
  /* map the pages holding the window (offsets must be page multiples) */
  size_t first = t->header_bytes + pos * (size_t)t->width, page = (size_t)sysconf(_SC_PAGESIZE);
  size_t start = first / page * page, span = first + len * (size_t)t->width - start;
  void *map = mmap(NULL, span, PROT_READ, MAP_SHARED, fileno(t->f), (off_t)start);
  if (map == MAP_FAILED) {
    rt_error_set(err, "%s: byte %zu: cannot map %zu bytes: %s", t->path, start, span,
                 strerror(errno));
    return -1;
  }
  const uint8_t *p = (const uint8_t *)map + (first - start);
  uint32_t limit = vocab ? vocab : MAX_ID;
  for (size_t i = 0; i < len; i++) {
    uint32_t v = id_at(p + i * (size_t)t->width, t->width);
    if (v >= limit) {
      size_t at = first + i * (size_t)t->width;
      if (vocab)
        rt_error_set(err,
                     "%s: byte %zu: token id %" PRIu32 " at position %zu is out of range for "
                     "vocabulary %" PRIu32,
                     t->path, at, v, pos + i, vocab);
      else
        rt_error_set(err, "%s: byte %zu: token id %" PRIu32 ": ids must be below %d", t->path, at,
                     v, MAX_ID);
      munmap(map, span);
      return -1;
    }
    out[i] = (int32_t)v;
  }
  munmap(map, span);
  return 0;
}
