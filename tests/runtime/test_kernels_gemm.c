/*
 * test_kernels_gemm.c - rt_gemm (all transpose combinations, batched with
 * strides including 0 and accumulation over the batch, beta 0 on garbage
 * output and beta != 0; f32 on each backend, OpenBLAS and oneDNN, at
 * shapes where each runs) and the axis reductions, in f32 and f64, against
 * naive loops in double; the oneDNN layer's products on sub-matrices with
 * bf16 operands and results; rt_gemm_ld on interleaved sub-matrices
 * with one and two batch levels (the heads of [B, T, H, D] rows).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_bf16.h"
#include "rt_dnn.h"
#include "rt_kernels.h"
#include "test_kernels_util.h"

/* Batch stride kinds: dense (one matrix after another), zero (shared), and
 * padded (a gap of 3 elements between items). */
enum { DENSE, ZERO, PADDED };

static long stride_of(int kind, long size) {
  return kind == ZERO ? 0 : kind == DENSE ? size : size + 3;
}

typedef struct {
  int ta, tb, m, n, k, batch, sa_kind, sb_kind, sc_kind;
  double alpha, beta;
} gemm_case;

/* op(X)[i][j] of a stored matrix with `cols` columns. */
static double at(const double *X, int trans, int cols, int i, int j) {
  return trans ? X[(long)j * cols + i] : X[(long)i * cols + j];
}

static void gemm_ref(const gemm_case *g, const double *A, long sa, const double *B, long sb,
                     double *C, long sc) {
  const int lda = g->ta ? g->m : g->k, ldb = g->tb ? g->k : g->n;
  for (int b = 0; b < g->batch; b++) {
    double *Cb = C + b * sc;
    const double beta = (sc == 0 && b > 0) ? 1 : g->beta;
    for (int i = 0; i < g->m; i++)
      for (int j = 0; j < g->n; j++) {
        double s = 0;
        for (int p = 0; p < g->k; p++)
          s += at(A + b * sa, g->ta, lda, i, p) * at(B + b * sb, g->tb, ldb, p, j);
        double *c = &Cb[(long)i * g->n + j];
        *c = g->alpha * s + (beta == 0 ? 0 : beta * *c);
      }
  }
}

/* Elements of f32 results in which the oneDNN backend and OpenBLAS
 * differ, over all checks: oneDNN sums in another order, so a count of 0
 * over the large cases would mean its path never ran. */
static long backends_differ;

static void gemm_check(check_ctx *t, const gemm_case *g, uint64_t stream) {
  const long sa = stride_of(g->sa_kind, (long)g->m * g->k);
  const long sb = stride_of(g->sb_kind, (long)g->k * g->n);
  const long sc = stride_of(g->sc_kind, (long)g->m * g->n);
  const size_t na = (g->batch - 1) * sa + (long)g->m * g->k;
  const size_t nb = (g->batch - 1) * sb + (long)g->k * g->n;
  const size_t nc = (g->batch - 1) * sc + (long)g->m * g->n;
  double *A = tk_alloc(na), *B = tk_alloc(nb), *C0 = tk_alloc(nc);
  double *ref = tk_alloc(nc), *C64 = tk_alloc(nc);
  tk_rand(A, na, -1, 1, stream);
  tk_rand(B, nb, -1, 1, stream + 1);
  tk_rand(C0, nc, -1, 1, stream + 2);
  if (g->beta == 0) /* must not be read */
    for (size_t i = 0; i < nc; i++)
      C0[i] = NAN;
  memcpy(ref, C0, nc * sizeof(double));
  memcpy(C64, C0, nc * sizeof(double));
  gemm_ref(g, A, sa, B, sb, ref, sc); /* padding gaps keep C0 */

  float *A32 = tk_to32(A, na), *B32 = tk_to32(B, nb), *C32[2] = {NULL, NULL};
  rt_gemm_f64(g->ta, g->tb, g->m, g->n, g->k, g->alpha, A, sa, B, sb, g->beta, C64, sc, g->batch);
  static const char *kind[] = {"dense", "zero", "pad"};
  char what[160];
  snprintf(what, sizeof what, "gemm %c%c %dx%dx%d b%d s(%s,%s,%s) beta %g", g->ta ? 'T' : 'N',
           g->tb ? 'T' : 'N', g->m, g->n, g->k, g->batch, kind[g->sa_kind], kind[g->sb_kind],
           kind[g->sc_kind], g->beta);
  tk_check(t, tk_err(C64, ref, nc), 1e-13, "%s f64", what);
  for (int b = 0; b < 2; b++) {
    const rt_gemm_backend backend = b ? RT_GEMM_ONEDNN : RT_GEMM_OPENBLAS;
    if (rt_gemm_set_backend(backend) != 0)
      continue;
    C32[b] = tk_to32(C0, nc);
    rt_gemm_f32(g->ta, g->tb, g->m, g->n, g->k, (float)g->alpha, A32, sa, B32, sb, (float)g->beta,
                C32[b], sc, g->batch);
    tk_check(t, tk_err32(C32[b], ref, nc), 2e-6, "%s f32 %s", what, rt_gemm_backend_name(backend));
  }
  if (C32[1])
    for (size_t i = 0; i < nc; i++)
      backends_differ += C32[0][i] != C32[1][i] && !isnan(ref[i]);
  free(A), free(B), free(C0), free(ref), free(C64);
  free(A32), free(B32), free(C32[0]), free(C32[1]);
}

/* Every transposition and batch case on `shapes`. */
static void gemm_cases(check_ctx *t, const int (*shapes)[3], size_t count, uint64_t stream) {
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (size_t s = 0; s < count; s++) {
        const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        const gemm_case cases[] = {
            {ta, tb, m, n, k, 1, DENSE, DENSE, DENSE, 1, 0},
            {ta, tb, m, n, k, 1, DENSE, DENSE, DENSE, -0.7, 1},
            {ta, tb, m, n, k, 3, DENSE, DENSE, DENSE, 1.3, 0},
            {ta, tb, m, n, k, 3, ZERO, PADDED, DENSE, 1, 0.5},
            {ta, tb, m, n, k, 3, DENSE, ZERO, DENSE, 1, 1},
            {ta, tb, m, n, k, 3, PADDED, PADDED, PADDED, 0.9, 0},
            {ta, tb, m, n, k, 3, DENSE, DENSE, ZERO, 1, 0},
            {ta, tb, m, n, k, 3, ZERO, DENSE, ZERO, 1, 1},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
          gemm_check(t, &cases[c], stream += 3);
      }
}

static void test_gemm(check_ctx *t) {
  static const int small[][3] = {{1, 1, 1},  {7, 13, 5},   {13, 1, 17},
                                 {33, 9, 1}, {17, 31, 23}, {3, 4, 0}};
  gemm_cases(t, small, sizeof small / sizeof small[0], 100);
  /* large enough for oneDNN under its backend (rt_gemm_f32 keeps small
   * products, and those with fewer than 16 columns, or 64 with A
   * transposed, on OpenBLAS); 16 columns; few rows */
  static const int large[][3] = {{96, 96, 128}, {130, 16, 1000}, {5, 300, 700}};
  backends_differ = 0;
  gemm_cases(t, large, sizeof large / sizeof large[0], 5000);
  if (rt_gemm_set_backend(RT_GEMM_ONEDNN) == 0)
    tk_check(t, backends_differ > 0 ? 0 : 1, 0,
             "gemm: the oneDNN backend computed the large cases (%ld elements differ in the last "
             "bits from OpenBLAS)",
             backends_differ);
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
}

/* rt_gemm_ld on sub-matrices with two batch levels: items (o, b), o <
 * outer, b < batch, interleaved row by row (item (o, b)'s row i at o rows
 * ld + i ld + b cols, ld = batch cols + pad: the heads of [B, T, H, D]
 * rows), beta 0.5, against naive loops; the gaps (pad > 0) stay
 * untouched. f64, and f32 on each backend. */
static void gemm_ld_check(check_ctx *t, int ta, int tb, int m, int n, int k, int outer, int batch,
                          int pad, uint64_t stream) {
  const int ra = ta ? k : m, ca = ta ? m : k, rb = tb ? n : k, cb = tb ? k : n;
  const long lda = (long)batch * ca + pad, ldb = (long)batch * cb + pad,
             ldc = (long)batch * n + pad;
  const size_t na = (size_t)outer * ra * lda, nb = (size_t)outer * rb * ldb;
  const size_t nc = (size_t)outer * m * ldc;
  double *A = tk_alloc(na), *B = tk_alloc(nb), *C0 = tk_alloc(nc), *ref = tk_alloc(nc);
  double *C64 = tk_alloc(nc);
  tk_rand(A, na, -1, 1, stream);
  tk_rand(B, nb, -1, 1, stream + 1);
  tk_rand(C0, nc, -1, 1, stream + 2);
  memcpy(ref, C0, nc * sizeof(double));
  for (int o = 0; o < outer; o++)
    for (int b = 0; b < batch; b++) {
      const double *Ab = A + o * ra * lda + b * ca, *Bb = B + o * rb * ldb + b * cb;
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double sum = 0;
          for (int p = 0; p < k; p++)
            sum += (ta ? Ab[(long)p * lda + i] : Ab[(long)i * lda + p]) *
                   (tb ? Bb[(long)j * ldb + p] : Bb[(long)p * ldb + j]);
          double *c = &ref[o * m * ldc + (long)i * ldc + (long)b * n + j];
          *c = sum + 0.5 * *c;
        }
    }
  char what[96];
  snprintf(what, sizeof what, "gemm_ld %c%c %dx%dx%d [%d, %d] pad %d", ta ? 'T' : 'N',
           tb ? 'T' : 'N', m, n, k, outer, batch, pad);
  memcpy(C64, C0, nc * sizeof(double));
  rt_gemm_ld_f64(ta, tb, m, n, k, 1, A, lda, ra * lda, ca, B, ldb, rb * ldb, cb, 0.5, C64, ldc,
                 m * ldc, n, outer, batch);
  tk_check(t, tk_err(C64, ref, nc), 1e-13, "%s f64", what);
  float *A32 = tk_to32(A, na), *B32 = tk_to32(B, nb);
  for (int be = 0; be < 2; be++) {
    const rt_gemm_backend backend = be ? RT_GEMM_ONEDNN : RT_GEMM_OPENBLAS;
    if (rt_gemm_set_backend(backend) != 0)
      continue;
    float *C32 = tk_to32(C0, nc);
    rt_gemm_ld_f32(ta, tb, m, n, k, 1, A32, lda, ra * lda, ca, B32, ldb, rb * ldb, cb, 0.5f, C32,
                   ldc, m * ldc, n, outer, batch);
    tk_check(t, tk_err32(C32, ref, nc), 2e-6, "%s f32 %s", what, rt_gemm_backend_name(backend));
    free(C32);
  }
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
  free(A), free(B), free(C0), free(ref), free(C64), free(A32), free(B32);
}

static void test_gemm_ld(check_ctx *t) {
  /* m n k, outer, batch: one level; two, large enough for oneDNN */
  static const int shapes[][5] = {{7, 13, 5, 1, 3},
                                  {64, 32, 64, 1, 4},
                                  {7, 13, 5, 2, 3},
                                  {64, 32, 64, 3, 4},
                                  {64, 64, 32, 3, 4}};
  uint64_t stream = 9000;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int pad = 0; pad < 4; pad += 3)
          gemm_ld_check(t, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                        shapes[s][4], pad, stream += 3);
}

#ifdef DUET_ONEDNN
/* ---- the oneDNN layer (rt_dnn.h): sub-matrices and bf16 -----------------------
 * rt_dnn_matmul with leading dimensions beyond the rows (as the block
 * rows of Newton-Schulz's Gram products use it), f32 or bf16 operands,
 * f32 or bf16 results, alpha and beta, against double loops on the
 * operands as rounded: products of bf16 values are exact in f32, so f32
 * results are within f32 summation error; a bf16 result is the f32 one
 * rounded (8 significant bits: within 2^-8 relative). The gaps between the
 * rows of C stay untouched. */

static uint16_t *bf16_copy(double *x, size_t n) {
  uint16_t *b = calloc(n ? n : 1, sizeof *b);
  for (size_t i = 0; i < n; i++) {
    b[i] = rt_bf16_of((float)x[i]);
    x[i] = rt_bf16_to_f32(b[i]); /* the value the product sees */
  }
  return b;
}

static void dnn_layer_check(check_ctx *t, int ta, int tb, int m, int n, int k, rt_dnn_type ab,
                            rt_dnn_type ct, float alpha, float beta, uint64_t stream) {
  const int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
  const long lda = ac + 5, ldb = bc + 3, ldc = n + 7;
  const size_t na = (size_t)ar * lda, nb = (size_t)br * ldb, nc = (size_t)m * ldc;
  double *A = tk_alloc(na), *B = tk_alloc(nb), *C = tk_alloc(nc), *ref = tk_alloc(nc);
  tk_rand(A, na, -1, 1, stream);
  tk_rand(B, nb, -1, 1, stream + 1);
  tk_rand(C, nc, -1, 1, stream + 2);
  uint16_t *Ab = ab == RT_DNN_BF16 ? bf16_copy(A, na) : NULL;
  uint16_t *Bb = ab == RT_DNN_BF16 ? bf16_copy(B, nb) : NULL;
  uint16_t *Cb = ct == RT_DNN_BF16 ? bf16_copy(C, nc) : NULL;
  float *A32 = tk_to32(A, na), *B32 = tk_to32(B, nb), *C32 = tk_to32(C, nc);
  memcpy(ref, C, sizeof(double) * nc);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = 0;
      for (int p = 0; p < k; p++)
        acc += (ta ? A[(long)p * lda + i] : A[(long)i * lda + p]) *
               (tb ? B[(long)j * ldb + p] : B[(long)p * ldb + j]);
      ref[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * C[i * ldc + j]);
    }
  const rt_dnn_matmul_desc d = {.ta = ta,
                                .tb = tb,
                                .m = m,
                                .n = n,
                                .k = k,
                                .batch = 1,
                                .lda = lda,
                                .ldb = ldb,
                                .ldc = ldc,
                                .ab = ab,
                                .c = ct,
                                .alpha = alpha,
                                .beta = beta};
  const int rc =
      rt_dnn_matmul(&d, Ab ? (void *)Ab : A32, Bb ? (void *)Bb : B32, Cb ? (void *)Cb : C32);
  tk_equal(t, rc, 0, "rt_dnn_matmul runs");
  if (Cb)
    for (size_t i = 0; i < nc; i++)
      C32[i] = rt_bf16_to_f32(Cb[i]);
  tk_check(t, tk_err32(C32, ref, nc), ct == RT_DNN_BF16 ? 0x1p-8 + 2e-6 : 2e-6,
           "rt_dnn_matmul %c%c %dx%dx%d ld (%ld,%ld,%ld) %s -> %s alpha %g beta %g", ta ? 'T' : 'N',
           tb ? 'T' : 'N', m, n, k, lda, ldb, ldc, ab == RT_DNN_BF16 ? "bf16" : "f32",
           ct == RT_DNN_BF16 ? "bf16" : "f32", alpha, beta);
  free(A), free(B), free(C), free(ref), free(Ab), free(Bb), free(Cb);
  free(A32), free(B32), free(C32);
}

static void test_dnn_layer(check_ctx *t) {
  static const int shapes[][3] = {{37, 29, 53}, {1, 16, 5}, {64, 200, 3}};
  static const rt_dnn_type types[][2] = {
      {RT_DNN_F32, RT_DNN_F32}, {RT_DNN_BF16, RT_DNN_F32}, {RT_DNN_BF16, RT_DNN_BF16}};
  static const float ab[][2] = {{1, 0}, {-0.5f, 0.75f}};
  uint64_t stream = 7000;
  for (int tr = 0; tr < 4; tr++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int ty = 0; ty < 3; ty++)
        for (int c = 0; c < 2; c++)
          dnn_layer_check(t, tr >> 1, tr & 1, shapes[s][0], shapes[s][1], shapes[s][2],
                          types[ty][0], types[ty][1], ab[c][0], ab[c][1], stream += 3);
}
#endif

static void test_reductions(check_ctx *t) {
  static const long shapes[][3] = {{1, 1, 1}, {3, 7, 1},   {2, 13, 5},
                                   {4, 1, 3}, {1, 100, 1}, {5, 17, 9}};
  uint64_t stream = 900;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const long outer = shapes[s][0], n = shapes[s][1], inner = shapes[s][2];
    const size_t nx = outer * n * inner, ny = outer * inner;
    double *x = tk_alloc(nx), *y0 = tk_alloc(ny);
    double *sum_ref = tk_alloc(ny), *max_ref = tk_alloc(ny);
    tk_rand(x, nx, -2, 2, stream++);
    tk_rand(y0, ny, -1, 1, stream++);
    float *x32 = tk_to32(x, nx);
    for (int bi = 0; bi < 2; bi++) {
      const double alpha = 1.5, beta = bi ? 0.5 : 0;
      for (long o = 0; o < outer; o++)
        for (long i = 0; i < inner; i++) {
          double sm = 0, mx = -INFINITY;
          for (long j = 0; j < n; j++) {
            const double v = x[(o * n + j) * inner + i];
            sm += v;
            mx = v > mx ? v : mx;
          }
          sum_ref[o * inner + i] = alpha * sm + beta * y0[o * inner + i];
          max_ref[o * inner + i] = mx;
        }
      double *y64 = tk_alloc(ny);
      float *y32 = tk_to32(y0, ny);
      for (size_t i = 0; i < ny; i++)
        y64[i] = beta == 0 ? NAN : y0[i];
      if (beta == 0)
        for (size_t i = 0; i < ny; i++)
          y32[i] = NAN;
      rt_sum_axis_f64(x, y64, outer, n, inner, alpha, beta);
      rt_sum_axis_f32(x32, y32, outer, n, inner, (float)alpha, (float)beta);
      tk_check(t, tk_err(y64, sum_ref, ny), 1e-14, "sum_axis [%ld,%ld,%ld] beta %g f64", outer, n,
               inner, beta);
      tk_check(t, tk_err32(y32, sum_ref, ny), 1e-6, "sum_axis [%ld,%ld,%ld] beta %g f32", outer, n,
               inner, beta);
      free(y64), free(y32);
    }
    double *m64 = tk_alloc(ny);
    float *m32 = tk_alloc32(ny);
    rt_max_axis_f64(x, m64, outer, n, inner);
    rt_max_axis_f32(x32, m32, outer, n, inner);
    tk_check(t, tk_err(m64, max_ref, ny), 0, "max_axis [%ld,%ld,%ld] f64", outer, n, inner);
    tk_check(t, tk_err32(m32, max_ref, ny), 1e-7, "max_axis [%ld,%ld,%ld] f32", outer, n, inner);
    free(x), free(y0), free(sum_ref), free(max_ref), free(x32);
    free(m64), free(m32);
  }
}

int main(void) {
  check_ctx t = {0};
  rt_set_threads(1);
  test_gemm(&t);
  test_gemm_ld(&t);
#ifdef DUET_ONEDNN
  test_dnn_layer(&t);
#endif
  test_reductions(&t);
  return check_done(&t, "test_kernels_gemm");
}
