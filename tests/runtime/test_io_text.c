/*
 * test_io_text.c - the byte-level text corpus: split arithmetic, random
 * windows (deterministic per seed and stream, inside their split, targets
 * shifted by one), consecutive evaluation windows, load errors, the check
 * that the splits hold a window, and the data path convention. With a file argument (the KJV text) it also checks that
 * real corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_io.h"
#include "test_io_check.h"

#define LEN   1000
#define CTX   16
#define BATCH 64

/* Pseudo-random text, so that every window of CTX bytes occurs once. */
static void write_text(const char *path, size_t len) {
  FILE *f = fopen(path, "wb");
  uint32_t s = 12345;
  for (size_t i = 0; i < len; i++) {
    s = s * 1664525u + 1013904223u;
    fputc((int)(s >> 24), f);
  }
  fclose(f);
}

/* The position in [lo, hi] where the window inputs[0..CTX) occurs, or -1. */
static long find_window(const rt_text *t, const int32_t *inputs, size_t lo, size_t hi) {
  for (size_t s = lo; s <= hi; s++) {
    int j = 0;
    while (j < CTX && t->bytes[s + (size_t)j] == inputs[j])
      j++;
    if (j == CTX)
      return (long)s;
  }
  return -1;
}

static void check_random_windows(check_ctx *tl, const rt_text *t) {
  int32_t in[BATCH * CTX], tg[BATCH * CTX], in2[BATCH * CTX], tg2[BATCH * CTX];
  rt_error err;
  double sum = 0;
  long lo_seen = LEN, hi_seen = -1, outside = 0, bad_target = 0;
  for (uint64_t step = 0; step < 50; step++) {
    int rc = rt_text_random_windows(t, RT_SPLIT_TRAIN, BATCH, CTX, 7, step, in, tg, &err);
    CHECK(tl, rc == 0, "random windows failed: %s", err.msg);
    for (int b = 0; b < BATCH; b++) {
      long s = find_window(t, in + b * CTX, 0, t->train_len - CTX - 1);
      if (s < 0) {
        outside++;
        continue;
      }
      for (int j = 0; j < CTX; j++)
        bad_target += tg[b * CTX + j] != t->bytes[s + j + 1];
      sum += (double)s;
      lo_seen = s < lo_seen ? s : lo_seen;
      hi_seen = s > hi_seen ? s : hi_seen;
    }
  }
  CHECK(tl, outside == 0, "%ld training windows not inside the training split", outside);
  CHECK(tl, bad_target == 0, "%ld targets are not the next byte", bad_target);
  /* 3200 uniform starts over 0..883: mean 441.5, standard error ~4.5 */
  double mean = sum / (50.0 * BATCH);
  CHECK(tl, mean > 420 && mean < 463, "mean start %.1f, expected ~441.5", mean);
  CHECK(tl, lo_seen < 10 && hi_seen > (long)t->train_len - CTX - 11,
        "starts cover [%ld, %ld], expected about [0, %zu]", lo_seen, hi_seen,
        t->train_len - CTX - 1);

  rt_text_random_windows(t, RT_SPLIT_TRAIN, BATCH, CTX, 7, 3, in, tg, &err);
  rt_text_random_windows(t, RT_SPLIT_TRAIN, BATCH, CTX, 7, 3, in2, tg2, &err);
  CHECK(tl, memcmp(in, in2, sizeof in) == 0 && memcmp(tg, tg2, sizeof tg) == 0,
        "same seed and stream gave different windows");
  rt_text_random_windows(t, RT_SPLIT_TRAIN, BATCH, CTX, 7, 4, in2, tg2, &err);
  CHECK(tl, memcmp(in, in2, sizeof in) != 0, "streams 3 and 4 gave equal windows");
  rt_text_random_windows(t, RT_SPLIT_TRAIN, BATCH, CTX, 8, 3, in2, tg2, &err);
  CHECK(tl, memcmp(in, in2, sizeof in) != 0, "seeds 7 and 8 gave equal windows");

  int rc = rt_text_random_windows(t, RT_SPLIT_VAL, BATCH, CTX, 7, 0, in, tg, &err);
  CHECK(tl, rc == 0, "validation windows failed: %s", err.msg);
  outside = 0;
  for (int b = 0; b < BATCH; b++)
    outside += find_window(t, in + b * CTX, t->train_len, LEN - CTX - 1) < 0;
  CHECK(tl, outside == 0, "%ld validation windows outside the split", outside);
}

static void check_sequential_windows(check_ctx *tl, const rt_text *t) {
  size_t vlen = t->len - t->train_len; /* 100: (100 - 1) / 16 = 6 windows */
  CHECK(tl, rt_text_window_count(t, RT_SPLIT_VAL, CTX) == 6,
        "expected 6 validation windows, got %zu", rt_text_window_count(t, RT_SPLIT_VAL, CTX));
  int32_t in[4 * CTX], tg[4 * CTX];
  size_t seen = 0, batches = 0, mismatches = 0;
  for (size_t first = 0;; first += 4, batches++) {
    size_t n = rt_text_windows(t, RT_SPLIT_VAL, 4, CTX, first, in, tg);
    if (n == 0)
      break;
    for (size_t k = 0; k < n * CTX; k++)
      mismatches += in[k] != t->bytes[t->train_len + seen * CTX + k] ||
                    tg[k] != t->bytes[t->train_len + seen * CTX + k + 1];
    seen += n;
  }
  CHECK(tl, seen == 6 && batches == 2,
        "saw %zu windows in %zu batches, "
        "expected 6 in 2 (4 + a partial 2)",
        seen, batches);
  CHECK(tl, mismatches == 0,
        "%zu bytes of consecutive windows differ from "
        "the text",
        mismatches);
  CHECK(tl, seen * CTX + 1 <= vlen, "windows run past the split");
}

static void check_errors(check_ctx *tl, const char *dir, const char *path) {
  rt_text t;
  rt_error err;
  char msg[1200], p[1100];
  snprintf(p, sizeof p, "%s/missing.txt", dir);
  rt_text_load(&t, p, 0.1, &err);
  snprintf(msg, sizeof msg, "%s: cannot open: No such file or directory", p);
  CHECK_STR(tl, err.msg, msg);
  snprintf(p, sizeof p, "%s/empty.txt", dir);
  fclose(fopen(p, "wb"));
  rt_text_load(&t, p, 0.1, &err);
  snprintf(msg, sizeof msg, "%s: empty file", p);
  CHECK_STR(tl, err.msg, msg);
  remove(p);
  rt_text_load(&t, path, 1.0, &err);
  snprintf(msg, sizeof msg, "%s: validation fraction must be in [0, 1), got 1", path);
  CHECK_STR(tl, err.msg, msg);

  rt_text_load(&t, dir, 0.1, &err);
  snprintf(msg, sizeof msg, "%s: read error: Is a directory", dir);
  CHECK_STR(tl, err.msg, msg);
  snprintf(p, sizeof p, "%s/tiny.txt", dir);
  write_text(p, 1);
  CHECK(tl, rt_text_load(&t, p, 0.1, &err) == 0, "load: %s", err.msg);
  CHECK(tl, rt_text_check_context(&t, CTX, &err) == -1, "a 1-byte file passed the check");
  snprintf(msg, sizeof msg,
           "%s: the training split has 1 bytes (of 1 in the file), fewer than one window of "
           "context 16 needs (17)",
           p);
  CHECK_STR(tl, err.msg, msg);
  CHECK(tl, rt_text_check_context(&t, 0, &err) == -1, "context 0 passed the check");
  snprintf(msg, sizeof msg, "%s: the context must be at least 1, got 0", p);
  CHECK_STR(tl, err.msg, msg);
  rt_text_free(&t);
  remove(p);

  CHECK(tl, rt_text_load(&t, path, 0.1, &err) == 0, "load: %s", err.msg);
  CHECK(tl, rt_text_check_context(&t, CTX, &err) == 0, "check: %s", err.msg);
  CHECK(tl, rt_text_check_context(&t, 99, &err) == 0, "check: %s", err.msg);
  CHECK(tl, rt_text_check_context(&t, 100, &err) == -1, "context 100 passed the check");
  rt_text_free(&t);
  CHECK(tl, rt_text_load(&t, path, 0.01, &err) == 0, "load: %s", err.msg);
  CHECK(tl, rt_text_check_context(&t, CTX, &err) == -1, "a short validation split passed");
  snprintf(msg, sizeof msg,
           "%s: the validation split has 10 bytes (of 1000 in the file), fewer than one window "
           "of context 16 needs (17)",
           path);
  CHECK_STR(tl, err.msg, msg);
  int32_t in[4 * CTX], tg[4 * CTX];
  int rc = rt_text_random_windows(&t, RT_SPLIT_VAL, 4, CTX, 1, 0, in, tg, &err);
  snprintf(msg, sizeof msg,
           "%s: the validation split has 10 bytes; batches "
           "of 4 windows of context 16 need at least 17",
           path);
  CHECK(tl, rc == -1, "short split accepted");
  CHECK_STR(tl, err.msg, msg);
  rt_text_free(&t);
}

static void check_data_path(check_ctx *tl) {
  char out[64];
  rt_error err;
  setenv("DUET_DATA", "/srv/duet", 1);
  CHECK(tl, rt_data_path(out, sizeof out, "kjv.txt", &err) == 0, "%s", err.msg);
  CHECK_STR(tl, out, "/srv/duet/kjv.txt");
  unsetenv("DUET_DATA");
  rt_data_path(out, sizeof out, "kjv.txt", &err);
  CHECK_STR(tl, out, "data/kjv.txt");
  CHECK(tl, rt_data_path(out, 8, "kjv.txt", &err) == -1, "short buffer accepted");
  CHECK_STR(tl, err.msg, "data path data/kjv.txt is too long");
}

/* A real corpus: the split sizes, and that validation starts where the
 * training part ends. */
static void check_corpus(check_ctx *tl, const char *path) {
  rt_text t;
  rt_error err;
  if (rt_text_load(&t, path, 0.1, &err)) {
    CHECK(tl, 0, "%s", err.msg);
    return;
  }
  size_t val = (size_t)((double)t.len * 0.1);
  CHECK(tl, t.train_len == t.len - val, "train_len %zu, expected %zu", t.train_len, t.len - val);
  int32_t in[64], tg[64];
  size_t n = rt_text_windows(&t, RT_SPLIT_VAL, 1, 64, 0, in, tg);
  CHECK(tl, n == 1 && in[0] == t.bytes[t.train_len] && tg[63] == t.bytes[t.train_len + 64],
        "first validation window misplaced");
  int rc = rt_text_random_windows(&t, RT_SPLIT_TRAIN, 1, 64, 1, 0, in, tg, &err);
  CHECK(tl, rc == 0, "%s", err.msg);
  printf("%s: %zu bytes, %zu training, %zu validation\n", path, t.len, t.train_len,
         t.len - t.train_len);
  rt_text_free(&t);
}

int main(int argc, char **argv) {
  check_ctx tl = {0};
  char dir[] = "/tmp/duet-test-text-XXXXXX", path[128];
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/corpus.txt", dir);
  write_text(path, LEN);
  rt_text t;
  rt_error err;
  int rc = rt_text_load(&t, path, 0.1, &err);
  CHECK(&tl, rc == 0, "load: %s", err.msg);
  if (rc == 0) {
    CHECK(&tl, t.len == LEN && t.train_len == 900, "len %zu train %zu, expected 1000 and 900",
          t.len, t.train_len);
    check_random_windows(&tl, &t);
    check_sequential_windows(&tl, &t);
    rt_text_free(&t);
  }
  write_text(path, LEN + 1);
  rc = rt_text_load(&t, path, 0.25, &err); /* val = floor(250.25) */
  CHECK(&tl, rc == 0 && t.train_len == 751, "train_len %zu, expected 751", t.train_len);
  rt_text_free(&t);
  write_text(path, LEN);
  check_errors(&tl, dir, path);
  check_data_path(&tl);
  if (argc > 1)
    check_corpus(&tl, argv[1]);
  remove(path);
  rmdir(dir);
  return check_done(&tl, "test_io_text");
}
