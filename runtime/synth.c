/*
 * synth.c - synthetic toy problems of the optimizer literature, generated
 * deterministically from a seed: linear regression, a matrix quadratic,
 * Gaussian-cluster classification, a deep-linear-network target with
 * prescribed singular values, and the sequences of the cycle task.
 */
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"
#include "rt_kernels.h"

/* Philox streams of the seed, one per random quantity, so that generators
 * sharing a seed draw independent values. */
enum {
  STREAM_LINREG_A = 0x5100,
  STREAM_LINREG_X,
  STREAM_LINREG_NOISE,
  STREAM_QUAD_Q = 0x5200,
  STREAM_QUAD_WSTAR,
  STREAM_CLUSTER_MEANS = 0x5300,
  STREAM_CLUSTER_LABELS,
  STREAM_CLUSTER_X,
  STREAM_SPECTRUM_U = 0x5400,
  STREAM_SPECTRUM_V
};

void rt_synth_linear_targets(const float *X, const float *A, float *Y, long n, int d, int k,
                             float noise, uint64_t seed, uint64_t stream) {
  float beta = 0;
  if (noise != 0) {
    rt_init_normal_f32(Y, (size_t)n * (size_t)k, 0, noise, seed, stream);
    beta = 1;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, k, d, 1.0f, X, d, A, d, beta, Y, k);
}

void rt_synth_linreg(float *X, float *Y, float *A, long n, int d, int k, float noise,
                     uint64_t seed) {
  rt_init_normal_f32(A, (size_t)k * (size_t)d, 0, 1.0f / sqrtf((float)d), seed, STREAM_LINREG_A);
  rt_init_normal_f32(X, (size_t)n * (size_t)d, 0, 1, seed, STREAM_LINREG_X);
  rt_synth_linear_targets(X, A, Y, n, d, k, noise, seed, STREAM_LINREG_NOISE);
}

/* Q [rows, cols] (rows >= cols) with orthonormal columns from (seed, stream). */
static int orthonormal_columns(double *Q, int rows, int cols, uint64_t seed, uint64_t stream,
                               rt_error *err) {
  size_t ws_len = rt_init_orthogonal_ws_f64(rows, cols);
  double *ws = malloc((ws_len ? ws_len : 1) * sizeof *ws);
  if (!ws) {
    rt_error_set(err, "synthetic data: out of memory (%d x %d)", rows, cols);
    return -1;
  }
  rt_init_orthogonal_f64(Q, 1, rows, cols, 1.0, seed, stream, ws);
  free(ws);
  return 0;
}

/* out [m, n] = U diag(s) V^T for U [m, r], V [n, r]; Us [m, r] receives
 * U diag(s) and may be U itself. */
static void usvt(double *out, const double *U, double *Us, int m, const double *s, int r,
                 const double *V, int n) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < r; j++)
      Us[(size_t)i * r + j] = U[(size_t)i * r + j] * s[j];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, r, 1.0, Us, r, V, r, 0.0, out, n);
}

static void to_float(float *dst, const double *src, size_t n) {
  for (size_t i = 0; i < n; i++)
    dst[i] = (float)src[i];
}

int rt_synth_quadratic(float *H, float *Wstar, int m, int n, double cond, uint64_t seed,
                       rt_error *err) {
  if (m < 1 || n < 1 || !(cond >= 1) || !isfinite(cond)) {
    rt_error_set(err,
                 "synthetic quadratic: need m, n >= 1 and a finite "
                 "condition number >= 1 (got m %d, n %d, cond %g)",
                 m, n, cond);
    return -1;
  }
  size_t mm = (size_t)m * (size_t)m;
  double *Q = malloc(mm * sizeof *Q), *Qs = malloc(mm * sizeof *Qs);
  double *Hd = malloc(mm * sizeof *Hd);
  double *lambda = malloc((size_t)m * sizeof *lambda);
  int rc = -1;
  if (!Q || !Qs || !Hd || !lambda)
    rt_error_set(err, "synthetic quadratic: out of memory (m %d)", m);
  else
    rc = orthonormal_columns(Q, m, m, seed, STREAM_QUAD_Q, err);
  if (rc == 0) {
    for (int i = 0; i < m; i++)
      lambda[i] = m == 1 ? 1.0 : pow(cond, (double)i / (m - 1));
    usvt(Hd, Q, Qs, m, lambda, m, Q, m);
    for (int i = 0; i < m; i++) /* exact symmetry */
      for (int j = 0; j < i; j++) {
        double a = 0.5 * (Hd[(size_t)i * m + j] + Hd[(size_t)j * m + i]);
        Hd[(size_t)i * m + j] = Hd[(size_t)j * m + i] = a;
      }
    to_float(H, Hd, mm);
    rt_init_normal_f32(Wstar, (size_t)m * (size_t)n, 0, 1, seed, STREAM_QUAD_WSTAR);
  }
  free(Q);
  free(Qs);
  free(Hd);
  free(lambda);
  return rc;
}

void rt_synth_clusters(float *X, int32_t *y, float *means, long n, int d, int k, float sep,
                       uint64_t seed) {
  assert(k >= 1 && d >= 1);
  rt_init_normal_f32(means, (size_t)k * (size_t)d, 0, 1, seed, STREAM_CLUSTER_MEANS);
  for (int c = 0; c < k; c++) {
    float *mu = means + (size_t)c * (size_t)d;
    double ss = 0;
    for (int j = 0; j < d; j++)
      ss += (double)mu[j] * mu[j];
    double scale = ss > 0 ? sep / sqrt(ss) : 0;
    for (int j = 0; j < d; j++)
      mu[j] = (float)(mu[j] * scale);
  }
  rt_init_normal_f32(X, (size_t)n * (size_t)d, 0, 1, seed, STREAM_CLUSTER_X);
  for (long i = 0; i < n; i++) {
    uint32_t r[4];
    rt_philox4x32(seed, STREAM_CLUSTER_LABELS, (uint64_t)i, r);
    y[i] = (int32_t)(((uint64_t)r[0] * (uint64_t)k) >> 32);
    const float *mu = means + (size_t)y[i] * (size_t)d;
    float *x = X + (size_t)i * (size_t)d;
    for (int j = 0; j < d; j++)
      x[j] += mu[j];
  }
}

int rt_synth_spectrum(float *M, int m, int n, const double *sv, int nsv, uint64_t seed,
                      rt_error *err) {
  int r = m < n ? m : n;
  if (m < 1 || n < 1 || nsv < 1 || nsv > r) {
    rt_error_set(err,
                 "synthetic spectrum: need 1 <= %d singular values <= "
                 "min(%d, %d)",
                 nsv, m, n);
    return -1;
  }
  for (int i = 0; i < nsv; i++)
    if (!(sv[i] >= 0) || !isfinite(sv[i])) {
      rt_error_set(err,
                   "synthetic spectrum: singular value %d is %g "
                   "(must be finite and >= 0)",
                   i, sv[i]);
      return -1;
    }
  double *U = malloc((size_t)m * nsv * sizeof *U);
  double *V = malloc((size_t)n * nsv * sizeof *V);
  double *Md = malloc((size_t)m * n * sizeof *Md);
  int rc = -1;
  if (!U || !V || !Md)
    rt_error_set(err, "synthetic spectrum: out of memory (%d x %d)", m, n);
  else if (orthonormal_columns(U, m, nsv, seed, STREAM_SPECTRUM_U, err) == 0 &&
           orthonormal_columns(V, n, nsv, seed, STREAM_SPECTRUM_V, err) == 0) {
    usvt(Md, U, U, m, sv, nsv, V, n);
    to_float(M, Md, (size_t)m * n);
    rc = 0;
  }
  free(U);
  free(V);
  free(Md);
  return rc;
}

void rt_synth_cycle(float *X, float *Y, int n, int length, const long long *skips, int nskips) {
  assert(n >= 1 && length >= 1);
  const size_t row = (size_t)length * (size_t)n;
  memset(X, 0, (size_t)nskips * (size_t)n * row * sizeof *X);
  memset(Y, 0, (size_t)nskips * (size_t)n * row * sizeof *Y);
  for (int k = 0; k < nskips; k++) {
    const long long s = (skips[k] % n + n) % n; /* the skip in 0..n-1 */
    for (int x0 = 0; x0 < n; x0++) {
      float *x = X + ((size_t)k * n + (size_t)x0) * row;
      float *y = Y + ((size_t)k * n + (size_t)x0) * row;
      long long tok = x0;
      for (int t = 0; t < length; t++) {
        x[(size_t)t * n + (size_t)tok] = 1;
        tok = (tok + s) % n;
        y[(size_t)t * n + (size_t)tok] = 1;
      }
    }
  }
}
