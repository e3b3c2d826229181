/*
 * test_kernels_rng.c - Philox4x32-10 against the Random123 known-answer
 * vectors, moments and determinism of the uniform / normal initializers,
 * permutations (validity, determinism, uniformity), and orthogonal init
 * (W W^T = scale^2 I, and W is the sign-fixed QR factor of the Gaussian).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"
#include "test_kernels_util.h"

static void test_philox_kat(check_ctx *t) {
  /* Random123 tests/kat_vectors, "philox4x32 10": ctr[4] key[2] -> out[4] */
  static const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
       0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
       0x94fdcceb, 0x5001e420, 0x24126ea1},
  };
  for (int v = 0; v < 3; v++) {
    const uint32_t *k = kat[v];
    uint32_t out[4];
    rt_philox4x32((uint64_t)k[5] << 32 | k[4], (uint64_t)k[3] << 32 | k[2],
                  (uint64_t)k[1] << 32 | k[0], out);
    for (int i = 0; i < 4; i++) {
      tk_equal(t, out[i], k[6 + i], "philox4x32-10 KAT %d word %d", v, i);
    }
  }
}

static void moments(const double *x, size_t n, double *mean, double *var) {
  double s = 0, ss = 0;
  for (size_t i = 0; i < n; i++)
    s += x[i];
  *mean = s / n;
  for (size_t i = 0; i < n; i++)
    ss += (x[i] - *mean) * (x[i] - *mean);
  *var = ss / n;
}

static void test_distributions(check_ctx *t) {
  enum { N = 200000 };
  double *x = tk_alloc(N), *y = tk_alloc(N);
  float *x32 = tk_alloc32(N);
  double mean, var;
  /* uniform on (-1, 3): mean 1, variance 16/12; the standard error of
     * the mean is 2.6e-3, of the variance 2.7e-3 */
  rt_init_uniform_f64(x, N, -1, 3, 11, 0);
  moments(x, N, &mean, &var);
  tk_check(t, fabs(mean - 1), 0.013, "uniform(-1,3) mean 1 (5 sd)");
  tk_check(t, fabs(var - 16.0 / 12), 0.014, "uniform(-1,3) variance 4/3 (5 sd)");
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < N; i++)
    lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
  tk_check(t, (lo > -1 && hi < 3) ? 0 : 1, 0, "uniform(-1,3) stays inside (-1, 3)");
  /* normal(0.5, 2): standard errors 4.5e-3 (mean), 0.0126 (variance) */
  rt_init_normal_f64(x, N, 0.5, 2, 12, 3);
  moments(x, N, &mean, &var);
  tk_check(t, fabs(mean - 0.5), 0.0225, "normal(0.5, 2) mean (5 sd)");
  tk_check(t, fabs(var - 4), 0.063, "normal(0.5, 2) variance 4 (5 sd)");
  size_t within = 0;
  for (size_t i = 0; i < N; i++)
    within += fabs(x[i] - 0.5) < 2;
  tk_check(t, fabs((double)within / N - 0.682689), 0.0052, "normal: P(|z| < 1) = 0.6827 (5 sd)");

  rt_init_normal_f32(x32, N, 0.5f, 2, 12, 3);
  size_t same = 0;
  for (size_t i = 0; i < N; i++)
    same += x32[i] == (float)x[i];
  tk_equal(t, (long long)same, N, "normal f32 == f64 rounded to float");
  rt_init_normal_f64(y, N, 0.5, 2, 12, 3);
  tk_check(t, tk_err(y, x, N), 0, "normal: same (seed, stream) -> same values");
  rt_init_normal_f64(y, 7, 0.5, 2, 12, 3);
  tk_check(t, tk_err(y, x, 7), 0, "normal: element i independent of count");
  rt_init_normal_f64(y, N, 0.5, 2, 12, 4);
  size_t equal = 0;
  for (size_t i = 0; i < N; i++)
    equal += y[i] == x[i];
  tk_equal(t, (long long)equal, 0, "normal: another stream shares no value");
  free(x), free(y), free(x32);
}

static int is_permutation(const uint32_t *p, uint32_t n) {
  char *seen = calloc(n ? n : 1, 1);
  int ok = 1;
  for (uint32_t i = 0; i < n && ok; i++) {
    ok = p[i] < n && !seen[p[i]];
    if (ok)
      seen[p[i]] = 1;
  }
  free(seen);
  return ok;
}

static void test_permutation(check_ctx *t) {
  static const uint32_t sizes[] = {0, 1, 2, 7, 1000, 60000};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    const uint32_t n = sizes[s];
    uint32_t *p = malloc(sizeof(uint32_t) * (n ? n : 1));
    uint32_t *q = malloc(sizeof(uint32_t) * (n ? n : 1));
    rt_permutation(p, n, 99, 5);
    rt_permutation(q, n, 99, 5);
    tk_equal(t, is_permutation(p, n), 1, "permutation n=%u is a permutation", n);
    tk_equal(t, n ? memcmp(p, q, sizeof(uint32_t) * n) : 0, 0, "permutation n=%u deterministic", n);
    if (n >= 1000) {
      rt_permutation(q, n, 99, 6);
      uint32_t fixed = 0;
      for (uint32_t i = 0; i < n; i++)
        fixed += p[i] == q[i];
      /* two independent permutations agree in ~1 place */
      tk_check(t, fixed, 10, "permutation n=%u: other stream differs", n);
    }
    free(p), free(q);
  }
  /* all 6 orders of 3 items equally likely: chi-square over 6000 draws,
     * 5 degrees of freedom, 20.5 is the 0.1% critical value */
  long count[6] = {0};
  for (uint64_t s = 0; s < 6000; s++) {
    uint32_t p[3];
    rt_permutation(p, 3, 2024, s);
    count[p[0] * 2 + (p[1] > p[2])]++;
  }
  double chi2 = 0;
  for (int i = 0; i < 6; i++)
    chi2 += (count[i] - 1000.0) * (count[i] - 1000.0) / 1000.0;
  tk_check(t, chi2, 20.5, "permutation of 3: chi-square of the 6 orders");
}

static void orthogonal_check(check_ctx *t, int m, int n, double scale) {
  const int s = m < n ? m : n, l = m < n ? n : m, batch = 2;
  const size_t mn = (size_t)m * n;
  double *W = tk_alloc(batch * mn), *gram = tk_alloc((size_t)s * s);
  double *eye = tk_alloc((size_t)s * s);
  double *ws = tk_alloc(rt_init_orthogonal_ws_f64(m, n));
  float *W32 = tk_alloc32(batch * mn);
  float *ws32 = tk_alloc32(rt_init_orthogonal_ws_f32(m, n));
  rt_init_orthogonal_f64(W, batch, m, n, scale, 31, 2, ws);
  rt_init_orthogonal_f32(W32, batch, m, n, (float)scale, 31, 2, ws32);
  for (int i = 0; i < s; i++)
    eye[i * s + i] = scale * scale;
  for (int b = 0; b < batch; b++) {
    const double *Wb = W + b * mn;
    double *W32b = tk_to64(W32 + b * mn, mn);
    for (int f32 = 0; f32 < 2; f32++) {
      const double *M = f32 ? W32b : Wb;
      /* m <= n: rows orthonormal (W W^T); else columns (W^T W) */
      for (int i = 0; i < s; i++)
        for (int j = 0; j < s; j++) {
          double acc = 0;
          for (int k = 0; k < l; k++)
            acc += m <= n ? M[(long)i * n + k] * M[(long)j * n + k]
                          : M[(long)k * n + i] * M[(long)k * n + j];
          gram[i * s + j] = acc;
        }
      tk_check(t, tk_err(gram, eye, (size_t)s * s), f32 ? 1e-6 : 1e-14,
               "orthogonal %dx%d scale %g #%d %s: %s = scale^2 I", m, n, scale, b,
               f32 ? "f32" : "f64", m <= n ? "W W^T" : "W^T W");
    }
    free(W32b);
    /* W comes from G = Q R (G: the Gaussian, column-major l x s) with
         * diag(R) > 0: R = Q^T G must be upper triangular, positive diagonal */
    double *G = tk_alloc(mn);
    double *first = tk_alloc((size_t)(b + 1) * mn);
    rt_init_normal_f64(first, (b + 1) * mn, 0, 1, 31, 2);
    memcpy(G, first + b * mn, sizeof(double) * mn);
    double below = 0, min_diag = INFINITY;
    for (int i = 0; i < s; i++)
      for (int j = 0; j <= i; j++) {
        double r = 0; /* R[i][j] = sum_k Q[k][i] G[k][j] */
        for (int k = 0; k < l; k++) {
          const double qki = m <= n ? Wb[(long)i * n + k] : Wb[(long)k * n + i];
          r += qki / scale * G[(long)j * l + k];
        }
        if (j < i)
          below = fmax(below, fabs(r));
        else
          min_diag = fmin(min_diag, r);
      }
    tk_check(t, below, 1e-12, "orthogonal %dx%d #%d: Q^T G upper triangular", m, n, b);
    tk_check(t, min_diag > 0 ? 0 : 1, 0, "orthogonal %dx%d #%d: diag(R) > 0 (sign fix)", m, n, b);
    free(G), free(first);
  }
  free(W), free(gram), free(eye), free(ws), free(W32), free(ws32);
}

int main(void) {
  check_ctx t = {0};
  test_philox_kat(&t);
  test_distributions(&t);
  test_permutation(&t);
  orthogonal_check(&t, 7, 13, 1.0);
  orthogonal_check(&t, 1, 5, 2.0);
  orthogonal_check(&t, 8, 8, 0.5);
  orthogonal_check(&t, 32, 128, 2.0);
  orthogonal_check(&t, 13, 7, 1.5);
  orthogonal_check(&t, 128, 32, 1.0);
  return check_done(&t, "test_kernels_rng");
}
