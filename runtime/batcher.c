/*
 * batcher.c - mini-batch order per epoch: a Philox permutation of the
 * examples from (seed, epoch), or the identity, cut into batches; and copying
 * a batch's rows into caller buffers.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"
#include "rt_kernels.h"

int rt_batcher_init(rt_batcher *bt, uint32_t n, uint32_t batch, int shuffle, uint64_t seed,
                    rt_error *err) {
  *bt = (rt_batcher){0};
  if (n == 0 || batch == 0) {
    rt_error_set(err,
                 "batcher: need at least one example and a positive "
                 "batch size (got %u examples, batch %u)",
                 n, batch);
    return -1;
  }
  bt->order = malloc((size_t)n * sizeof *bt->order);
  if (!bt->order) {
    rt_error_set(err, "batcher: out of memory for %u examples", n);
    return -1;
  }
  bt->n = n;
  bt->batch = batch;
  bt->shuffle = shuffle;
  bt->seed = seed;
  rt_batcher_set_epoch(bt, 0);
  return 0;
}

void rt_batcher_set_epoch(rt_batcher *bt, uint64_t epoch) {
  if (bt->shuffle) {
    rt_permutation(bt->order, bt->n, bt->seed, epoch);
    return;
  }
  for (uint32_t i = 0; i < bt->n; i++)
    bt->order[i] = i;
}

uint32_t rt_batcher_count(const rt_batcher *bt, int drop_last) {
  return drop_last ? bt->n / bt->batch : (bt->n + bt->batch - 1) / bt->batch;
}

uint32_t rt_batcher_indices(const rt_batcher *bt, uint32_t b, const uint32_t **idx) {
  uint64_t start = (uint64_t)b * bt->batch;
  if (start >= bt->n) {
    *idx = NULL;
    return 0;
  }
  *idx = bt->order + start;
  return bt->n - start < bt->batch ? (uint32_t)(bt->n - start) : bt->batch;
}

void rt_batcher_free(rt_batcher *bt) {
  free(bt->order);
  *bt = (rt_batcher){0};
}

void rt_gather_rows(void *dst, const void *src, size_t row_bytes, const uint32_t *idx,
                    uint32_t count) {
  char *d = dst;
  const char *s = src;
  for (uint32_t i = 0; i < count; i++)
    memcpy(d + (size_t)i * row_bytes, s + (size_t)idx[i] * row_bytes, row_bytes);
}

uint32_t rt_image_batch(const rt_image_dataset *ds, const rt_batcher *bt, uint32_t b, float *x,
                        int32_t *y) {
  assert(bt->n <= ds->n);
  const uint32_t *idx;
  uint32_t count = rt_batcher_indices(bt, b, &idx);
  size_t pixels = (size_t)ds->channels * (size_t)ds->rows * (size_t)ds->cols;
  rt_gather_rows(x, ds->images, pixels * sizeof *x, idx, count);
  rt_gather_rows(y, ds->labels, sizeof *y, idx, count);
  return count;
}
