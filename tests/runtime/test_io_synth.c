/*
 * test_io_synth.c - the synthetic toy problems: determinism per seed, the
 * statistics each generator promises (noise level, weight scale, class
 * balance and separation), the exact spectrum of the quadratic's Hessian and
 * of the deep-linear-network target (checked with LAPACK), and diagnostics.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"
#include "test_io_check.h"

static double mean_sq(const float *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += (double)x[i] * x[i];
  return s / (double)n;
}

/* <x, a> of two float rows of length d, accumulated in double. */
static double dot_row(const float *x, const float *a, int d) {
  double s = 0;
  for (int l = 0; l < d; l++)
    s += (double)x[l] * a[l];
  return s;
}

static void check_linreg(check_ctx *t) {
  enum { n = 2000, d = 20, k = 5 };
  float *X = malloc(sizeof(float) * n * d), *Y = malloc(sizeof(float) * n * k);
  float *Y2 = malloc(sizeof(float) * n * k), *A = malloc(sizeof(float) * k * d);
  float *X2 = malloc(sizeof(float) * n * d), *A2 = malloc(sizeof(float) * k * d);
  rt_synth_linreg(X, Y, A, n, d, k, 0.1f, 3);
  double rss = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < k; j++) {
      double r = Y[i * k + j] - dot_row(X + i * d, A + j * d, d);
      rss += r * r;
    }
  double noise = sqrt(rss / (n * k));
  CHECK(t, fabs(noise - 0.1) < 0.005, "residual std %.4f, expected 0.1", noise);
  double a2 = mean_sq(A, k * d), x2 = mean_sq(X, n * d);
  CHECK(t, fabs(a2 - 1.0 / d) < 0.3 / d, "mean A^2 %.4f, expected %.4f", a2, 1.0 / d);
  CHECK(t, fabs(x2 - 1) < 0.05, "mean X^2 %.4f, expected 1", x2);

  rt_synth_linreg(X2, Y2, A2, n, d, k, 0.1f, 3);
  CHECK(t,
        memcmp(X, X2, sizeof(float) * n * d) == 0 && memcmp(Y, Y2, sizeof(float) * n * k) == 0 &&
            memcmp(A, A2, sizeof(float) * k * d) == 0,
        "same seed gave different data");
  rt_synth_linreg(X2, Y2, A2, n, d, k, 0.1f, 4);
  CHECK(t, memcmp(A, A2, sizeof(float) * k * d) != 0, "seeds 3 and 4 agree");

  /* noise-free targets for given weights are exactly X A^T (to rounding) */
  rt_synth_linear_targets(X, A, Y2, n, d, k, 0, 9, 1);
  double worst = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < k; j++)
      worst = fmax(worst, fabs(Y2[i * k + j] - dot_row(X + i * d, A + j * d, d)));
  CHECK(t, worst < 1e-5, "noise-free targets off by %.3g", worst);
  free(X), free(Y), free(Y2), free(A), free(X2), free(A2);
}

static void check_quadratic(check_ctx *t) {
  enum { m = 8, n = 3 };
  float H[m * m], W[m * n];
  rt_error err;
  int rc = rt_synth_quadratic(H, W, m, n, 100, 11, &err);
  CHECK(t, rc == 0, "%s", err.msg);
  int asym = 0;
  double Hd[m * m], eig[m];
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++) {
      asym += H[i * m + j] != H[j * m + i];
      Hd[i * m + j] = H[i * m + j];
    }
  CHECK(t, asym == 0, "H is not exactly symmetric (%d entries)", asym);
  LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', m, Hd, m, eig); /* ascending */
  double worst = 0;
  for (int i = 0; i < m; i++)
    worst = fmax(worst, fabs(eig[i] / pow(100, i / 7.0) - 1));
  CHECK(t, worst < 1e-5,
        "eigenvalues off the geometric 1..100 by %.3g "
        "(relative)",
        worst);
  CHECK(t, rt_synth_quadratic(H, W, m, n, 0.5, 11, &err) == -1, "cond 0.5 accepted");
  CHECK_STR(t, err.msg,
            "synthetic quadratic: need m, n >= 1 and a finite "
            "condition number >= 1 (got m 8, n 3, cond 0.5)");
}

static void check_clusters(check_ctx *t) {
  enum { n = 3000, d = 10, k = 4 };
  float *X = malloc(sizeof(float) * n * d), means[k * d];
  int32_t *y = malloc(sizeof(int32_t) * n);
  rt_synth_clusters(X, y, means, n, d, k, 6, 21);
  int counts[k] = {0}, out_of_range = 0, correct = 0;
  double spread = 0;
  for (int i = 0; i < n; i++) {
    if (y[i] < 0 || y[i] >= k) {
      out_of_range++;
      continue;
    }
    counts[y[i]]++;
    int best = 0;
    double best_d = INFINITY;
    for (int c = 0; c < k; c++) {
      double dist = 0;
      for (int j = 0; j < d; j++) {
        double diff = X[i * d + j] - means[c * d + j];
        dist += diff * diff;
      }
      if (c == y[i])
        spread += dist;
      if (dist < best_d)
        best_d = dist, best = c;
    }
    correct += best == y[i];
  }
  CHECK(t, out_of_range == 0, "%d labels out of range", out_of_range);
  for (int c = 0; c < k; c++)
    CHECK(t, abs(counts[c] - n / k) < 100,
          "class %d has %d examples, "
          "expected ~%d",
          c, counts[c], n / k);
  for (int c = 0; c < k; c++) {
    double norm = sqrt(mean_sq(means + c * d, d) * d);
    CHECK(t, fabs(norm - 6) < 1e-5, "|mean %d| = %.6f, expected 6", c, norm);
  }
  double var = spread / (n * d);
  CHECK(t, fabs(var - 1) < 0.05, "within-class variance %.4f, expected 1", var);
  CHECK(t, correct > 0.97 * n, "nearest-mean accuracy %d / %d", correct, n);
  free(X), free(y);
}

static void check_spectrum(check_ctx *t) {
  enum { m = 12, n = 7 };
  const double sv[n] = {5, 3, 2, 1, 0.5, 0.1, 0.01};
  float M[m * n];
  rt_error err;
  for (int nsv = 3; nsv <= n; nsv += n - 3) {
    int rc = rt_synth_spectrum(M, m, n, sv, nsv, 5, &err);
    CHECK(t, rc == 0, "%s", err.msg);
    double Md[m * n], s[n], superb[n];
    for (int i = 0; i < m * n; i++)
      Md[i] = M[i];
    LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', m, n, Md, n, s, NULL, 1, NULL, 1, superb);
    double worst = 0;
    for (int i = 0; i < n; i++)
      worst = fmax(worst, fabs(s[i] - (i < nsv ? sv[i] : 0)));
    CHECK(t, worst < 1e-5 * sv[0], "%d singular values off by %.3g", nsv, worst);
  }
  CHECK(t, rt_synth_spectrum(M, m, n, sv, 8, 5, &err) == -1, "8 > 7 accepted");
  CHECK_STR(t, err.msg,
            "synthetic spectrum: need 1 <= 8 singular values <= "
            "min(12, 7)");
  const double neg[2] = {1, -1};
  CHECK(t, rt_synth_spectrum(M, m, n, neg, 2, 5, &err) == -1, "-1 accepted");
  CHECK_STR(t, err.msg,
            "synthetic spectrum: singular value 1 is -1 (must be "
            "finite and >= 0)");
}

int main(void) {
  check_ctx t = {0};
  check_linreg(&t);
  check_quadratic(&t);
  check_clusters(&t);
  check_spectrum(&t);
  return check_done(&t, "test_io_synth");
}
