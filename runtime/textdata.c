/*
 * textdata.c - byte-level text corpora: a file read as bytes, split by
 * position into training and validation parts, served as random windows
 * (training) or consecutive windows (evaluation) of token ids with
 * next-byte targets.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rt_io.h"
#include "rt_kernels.h"

char *rt_read_file(const char *path, size_t *len, rt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    rt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  /* A regular file is read into one buffer of its size (+1, so that the
   * first read already meets the end); others grow as data arrives. */
  struct stat st;
  size_t cap = 1 << 16, n = 0;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size < SIZE_MAX / 2)
    cap = (size_t)st.st_size + 1;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) {
      rt_error_set(err, "%s: out of memory", path);
      break;
    }
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) {
      if (ferror(f)) {
        rt_error_set(err, "%s: read error: %s", path, strerror(errno));
        break;
      }
      fclose(f);
      buf[n] = 0;
      *len = n;
      return buf;
    }
    cap *= 2;
    char *grown = realloc(buf, cap + 1);
    if (!grown)
      free(buf);
    buf = grown;
  }
  free(buf);
  fclose(f);
  return NULL;
}

int rt_text_load(rt_text *t, const char *path, double val_fraction, rt_error *err) {
  *t = (rt_text){0};
  if (!(val_fraction >= 0 && val_fraction < 1)) {
    rt_error_set(err, "%s: validation fraction must be in [0, 1), got %g", path, val_fraction);
    return -1;
  }
  t->path = malloc(strlen(path) + 1);
  if (!t->path) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  strcpy(t->path, path);
  t->bytes = (uint8_t *)rt_read_file(path, &t->len, err);
  if (!t->bytes) {
    rt_text_free(t);
    return -1;
  }
  if (t->len == 0) {
    rt_error_set(err, "%s: empty file", path);
    rt_text_free(t);
    return -1;
  }
  t->train_len = t->len - (size_t)((double)t->len * val_fraction);
  return 0;
}

int rt_text_check_context(const rt_text *t, int ctx, rt_error *err) {
  if (ctx < 1) {
    rt_error_set(err, "%s: the context must be at least 1, got %d", t->path, ctx);
    return -1;
  }
  size_t val = t->len - t->train_len, need = (size_t)ctx + 1;
  int short_train = t->train_len < need;
  if (!short_train && (val == 0 || val >= need))
    return 0;
  rt_error_set(err,
               "%s: the %s split has %zu bytes (of %zu in the file), fewer than one window of "
               "context %d needs (%zu)",
               t->path, short_train ? "training" : "validation", short_train ? t->train_len : val,
               t->len, ctx, need);
  return -1;
}

void rt_text_free(rt_text *t) {
  free(t->path);
  free(t->bytes);
  *t = (rt_text){0};
}

static const uint8_t *split_bytes(const rt_text *t, rt_split split, size_t *len) {
  if (split == RT_SPLIT_TRAIN) {
    *len = t->train_len;
    return t->bytes;
  }
  *len = t->len - t->train_len;
  return t->bytes + t->train_len;
}

/* inputs = text[start .. start + ctx), targets = text[start + 1 .. + ctx]. */
static void copy_window(const uint8_t *text, size_t start, int ctx, int32_t *inputs,
                        int32_t *targets) {
  for (int j = 0; j < ctx; j++) {
    inputs[j] = text[start + (size_t)j];
    targets[j] = text[start + (size_t)j + 1];
  }
}

int rt_text_random_windows(const rt_text *t, rt_split split, int batch, int ctx, uint64_t seed,
                           uint64_t stream, int32_t *inputs, int32_t *targets, rt_error *err) {
  size_t len;
  const uint8_t *text = split_bytes(t, split, &len);
  if (ctx < 1 || batch < 1 || len < (size_t)ctx + 1) {
    rt_error_set(err,
                 "%s: the %s split has %zu bytes; batches of %d "
                 "windows of context %d need at least %d",
                 t->path, split == RT_SPLIT_TRAIN ? "training" : "validation", len, batch, ctx,
                 ctx + 1);
    return -1;
  }
  uint64_t starts = len - (size_t)ctx;
  for (int i = 0; i < batch; i++) {
    uint32_t r[4];
    rt_philox4x32(seed, stream, (uint64_t)i, r);
    /* 64 random bits: the modulo bias is below starts / 2^64 */
    uint64_t start = ((uint64_t)r[0] << 32 | r[1]) % starts;
    copy_window(text, start, ctx, inputs + (size_t)i * (size_t)ctx,
                targets + (size_t)i * (size_t)ctx);
  }
  return 0;
}

size_t rt_text_window_count(const rt_text *t, rt_split split, int ctx) {
  size_t len;
  split_bytes(t, split, &len);
  return ctx < 1 || len < 1 ? 0 : (len - 1) / (size_t)ctx;
}

size_t rt_text_windows(const rt_text *t, rt_split split, int batch, int ctx, size_t first,
                       int32_t *inputs, int32_t *targets) {
  assert(batch >= 1 && ctx >= 1);
  size_t len;
  const uint8_t *text = split_bytes(t, split, &len);
  size_t total = rt_text_window_count(t, split, ctx);
  size_t count = 0;
  for (size_t w = first; w < total && count < (size_t)batch; w++, count++)
    copy_window(text, w * (size_t)ctx, ctx, inputs + count * (size_t)ctx,
                targets + count * (size_t)ctx);
  return count;
}
