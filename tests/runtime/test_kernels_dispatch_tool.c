/*
 * test_kernels_dispatch_tool.c - runs the runtime's kernels that have
 * versions per instruction set (softmax and cross-entropy, mean squared
 * error, norms, attention's softmax rows) on fixed inputs whose rows end in
 * partial vectors, and writes every output's bytes to
 * stdout. Built twice from the kernels' sources, once with their versions
 * per instruction set (RT_DISPATCH) and once with -DRT_NO_DISPATCH (the
 * baseline only); the test runtime.kernels_dispatch compares the two
 * outputs byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_kernels.h"

static float val(long i) { return (float)((i * 7919 % 2003) / 400.0 - 2.5); }

static float *vec(long n, long seed) {
  float *x = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (!x)
    abort();
  for (long i = 0; i < n; i++)
    x[i] = val(i + seed);
  return x;
}

static void put(const void *p, size_t bytes) {
  if (fwrite(p, 1, bytes, stdout) != bytes)
    abort();
}

int main(void) {
  enum { ROWS = 13, COLS = 77 };
  float *x = vec(ROWS * COLS, 1), *dy = vec(ROWS * COLS, 2), *y = vec(ROWS * COLS, 0);
  float *dx = vec(ROWS * COLS, 0), *r = vec(ROWS, 0), *m = vec(ROWS, 0), loss;
  int32_t labels[ROWS];
  for (int i = 0; i < ROWS; i++)
    labels[i] = (i * 31) % COLS;
  rt_softmax_xent_fwd_f32(x, labels, &loss, ROWS, COLS);
  put(&loss, sizeof loss);
  rt_softmax_xent_bwd_f32(x, labels, 0.75f, dx, ROWS, COLS);
  put(dx, sizeof(float) * ROWS * COLS);
  long correct = rt_count_correct_f32(x, labels, ROWS, COLS);
  put(&correct, sizeof correct);
  rt_softmax_fwd_f32(x, y, ROWS, COLS, 0.3f);
  put(y, sizeof(float) * ROWS * COLS);
  rt_softmax_bwd_f32(y, dy, dx, ROWS, COLS, 0.3f);
  put(dx, sizeof(float) * ROWS * COLS);
  rt_mse_fwd_f32(x, dy, &loss, ROWS * COLS);
  put(&loss, sizeof loss);
  rt_mse_bwd_f32(x, dy, 0.5f, dx, ROWS * COLS);
  put(dx, sizeof(float) * ROWS * COLS);
  rt_rmsnorm_fwd_f32(x, y, r, ROWS, COLS, 1e-6f);
  put(y, sizeof(float) * ROWS * COLS);
  put(r, sizeof(float) * ROWS);
  rt_rmsnorm_bwd_f32(x, r, dy, dx, ROWS, COLS);
  put(dx, sizeof(float) * ROWS * COLS);
  rt_layernorm_fwd_f32(x, y, m, r, ROWS, COLS, 1e-5f);
  put(y, sizeof(float) * ROWS * COLS);
  rt_layernorm_bwd_f32(x, m, r, dy, dx, ROWS, COLS);
  put(dx, sizeof(float) * ROWS * COLS);
  enum { B = 2, NH = 3, T = 37, D = 8 };
  const long sT = D, sH = (long)T * D, sB = NH * sH, n = B * sB;
  float *q = vec(n, 5), *k = vec(n, 6), *v = vec(n, 7), *o = vec(n, 0), *dq = vec(n, 0);
  float *dk = vec(n, 0), *dv = vec(n, 0), *probs = vec(B * NH * T * T, 0);
  float *ws = vec((long)rt_attention_ws_f32(B, NH, T, T, D), 0);
  for (int causal = 0; causal < 2; causal++) {
    rt_attention_fwd_f32(q, sB, sH, sT, k, sB, sH, sT, v, sB, sH, sT, o, sB, sH, sT, probs, B, NH,
                         T, T, D, 0.35f, causal);
    put(o, sizeof(float) * n);
    put(probs, sizeof(float) * B * NH * T * T);
    rt_attention_bwd_f32(q, sB, sH, sT, k, sB, sH, sT, v, sB, sH, sT, probs, dy, sB, sH, sT, dq, sB,
                         sH, sT, dk, sB, sH, sT, dv, sB, sH, sT, B, NH, T, T, D, 0.35f, causal, ws);
    put(dq, sizeof(float) * n);
    put(dk, sizeof(float) * n);
    put(dv, sizeof(float) * n);
  }
  return 0;
}
