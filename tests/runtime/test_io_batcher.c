/*
 * test_io_batcher.c - mini-batch order: every epoch is a permutation (each
 * example exactly once), deterministic for a seed and epoch, different across
 * epochs and seeds; batch counts with and without the partial batch; batch
 * copying from an image dataset.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"
#include "test_io_check.h"

#define N     1000
#define BATCH 64

/* Concatenates the batches of the current epoch into out; returns the count. */
static uint32_t collect(const rt_batcher *bt, int drop_last, uint32_t *out) {
  uint32_t total = 0;
  for (uint32_t b = 0; b < rt_batcher_count(bt, drop_last); b++) {
    const uint32_t *idx;
    uint32_t n = rt_batcher_indices(bt, b, &idx);
    memcpy(out + total, idx, n * sizeof *idx);
    total += n;
  }
  return total;
}

static void check_epochs(check_ctx *t) {
  rt_batcher bt, again;
  rt_error err;
  CHECK(t, rt_batcher_init(&bt, N, BATCH, 1, 42, &err) == 0, "%s", err.msg);
  CHECK(t, rt_batcher_init(&again, N, BATCH, 1, 42, &err) == 0, "%s", err.msg);
  CHECK(t, rt_batcher_count(&bt, 1) == 15 && rt_batcher_count(&bt, 0) == 16,
        "counts %u / %u, expected 15 / 16", rt_batcher_count(&bt, 1), rt_batcher_count(&bt, 0));
  const uint32_t *idx;
  CHECK(t, rt_batcher_indices(&bt, 15, &idx) == 40,
        "last batch has %u, "
        "expected 40",
        rt_batcher_indices(&bt, 15, &idx));
  CHECK(t, rt_batcher_indices(&bt, 16, &idx) == 0, "batch past the end");

  static uint32_t orders[5][N];
  for (uint64_t e = 0; e < 5; e++) {
    rt_batcher_set_epoch(&bt, e);
    uint32_t seen[N] = {0}, all[N];
    uint32_t total = collect(&bt, 0, all);
    CHECK(t, total == N, "epoch %llu: %u indices", (unsigned long long)e, total);
    int dup = 0, fixed = 0;
    for (uint32_t i = 0; i < total; i++) {
      dup += all[i] >= N || seen[all[i]]++ != 0;
      fixed += all[i] == i;
    }
    CHECK(t, dup == 0, "epoch %llu is not a permutation (%d repeats)", (unsigned long long)e, dup);
    CHECK(t, fixed < 10, "epoch %llu looks unshuffled (%d fixed points)", (unsigned long long)e,
          fixed);
    CHECK(t, collect(&bt, 1, all) == 960, "training epoch is not 15 x 64");
    memcpy(orders[e], bt.order, sizeof orders[e]);
    for (uint64_t p = 0; p < e; p++)
      CHECK(t, memcmp(orders[p], orders[e], sizeof orders[e]) != 0,
            "epochs %llu and %llu have the same order", (unsigned long long)p,
            (unsigned long long)e);
  }
  /* a pure function of (seed, epoch): a fresh batcher and a revisit agree */
  rt_batcher_set_epoch(&again, 3);
  CHECK(t, memcmp(again.order, orders[3], sizeof orders[3]) == 0,
        "epoch 3 differs between two batchers with the same seed");
  rt_batcher_set_epoch(&bt, 3);
  CHECK(t, memcmp(bt.order, orders[3], sizeof orders[3]) == 0,
        "revisiting epoch 3 changed its order");
  rt_batcher other;
  rt_batcher_init(&other, N, BATCH, 1, 43, &err);
  rt_batcher_set_epoch(&other, 3);
  CHECK(t, memcmp(other.order, orders[3], sizeof orders[3]) != 0,
        "seeds 42 and 43 give the same order");
  rt_batcher_free(&other);
  rt_batcher_free(&again);
  rt_batcher_free(&bt);

  rt_batcher eval;
  rt_batcher_init(&eval, N, BATCH, 0, 42, &err);
  rt_batcher_set_epoch(&eval, 7);
  int identity = 1;
  for (uint32_t i = 0; i < N; i++)
    identity &= eval.order[i] == i;
  CHECK(t, identity, "evaluation order is not 0..n-1");
  rt_batcher_free(&eval);
}

static void check_image_batch(check_ctx *t) {
  enum { n = 10, pix = 6 };
  float images[n * pix];
  int32_t labels[n];
  for (int i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (int k = 0; k < pix; k++)
      images[i * pix + k] = (float)(i * 10 + k);
  }
  rt_image_dataset ds = {n, 1, 2, 3, 3, images, labels};
  rt_batcher bt;
  rt_error err;
  rt_batcher_init(&bt, n, 4, 1, 5, &err);
  rt_batcher_set_epoch(&bt, 1);
  float x[4 * pix];
  int32_t y[4];
  int wrong = 0;
  uint32_t sizes[3];
  for (uint32_t b = 0; b < 3; b++) {
    sizes[b] = rt_image_batch(&ds, &bt, b, x, y);
    for (uint32_t i = 0; i < sizes[b]; i++) {
      uint32_t ex = bt.order[b * 4 + i];
      wrong += y[i] != labels[ex];
      for (int k = 0; k < pix; k++)
        wrong += x[i * pix + k] != images[ex * pix + k];
    }
  }
  CHECK(t, sizes[0] == 4 && sizes[1] == 4 && sizes[2] == 2, "batch sizes %u %u %u, expected 4 4 2",
        sizes[0], sizes[1], sizes[2]);
  CHECK(t, wrong == 0, "%d copied values differ from their examples", wrong);
  rt_batcher_free(&bt);
}

static void check_errors(check_ctx *t) {
  rt_batcher bt;
  rt_error err;
  CHECK(t, rt_batcher_init(&bt, 0, 8, 1, 1, &err) == -1, "n = 0 accepted");
  CHECK_STR(t, err.msg,
            "batcher: need at least one example and a positive "
            "batch size (got 0 examples, batch 8)");
  CHECK(t, rt_batcher_init(&bt, 5, 0, 1, 1, &err) == -1, "batch 0 accepted");
  rt_batcher_free(&bt); /* harmless on a failed init */
}

int main(void) {
  check_ctx t = {0};
  check_epochs(&t);
  check_image_batch(&t);
  check_errors(&t);
  return check_done(&t, "test_io_batcher");
}
