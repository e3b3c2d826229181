/*
 * test_portable.c - the portable BLAS and LAPACK that emitted programs use
 * without libraries (runtime/deploy/portable), checked against direct
 * double-precision definitions: GEMM and GEMV for every order and
 * transpose (GEMV also with strides and beta), SYRK
 * triangles, SYMM, Householder QR (A = QR, Q orthonormal), SVD (A = U S V^T,
 * orthonormal factors, descending values, a known spectrum) and symmetric
 * eigenpairs (A v = lambda v, ascending).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cblas.h"
#include "check.h"
#include "lapacke.h"

static double val(long i, double f) {
  return sin(0.37 * (double)i + f) + 0.25 * cos(1.3 * (double)i * f);
}

/* element (i, j) of a stored matrix: row- or column-major with ld */
static double el(const float *a, int row, int ld, long i, long j) {
  return row ? a[i * ld + j] : a[i + j * ld];
}

static void test_gemm(check_ctx *t) {
  const int m = 37, n = 45, k = 300;
  for (int row = 0; row < 2; row++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        const int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        const int lda = (row ? ac : ar) + 3, ldb = (row ? bc : br) + 1, ldc = (row ? n : m) + 2;
        float *A = malloc(sizeof(float) * (size_t)lda * (row ? ar : ac));
        float *B = malloc(sizeof(float) * (size_t)ldb * (row ? br : bc));
        float *C = malloc(sizeof(float) * (size_t)ldc * (row ? m : n));
        for (long i = 0; i < (long)lda * (row ? ar : ac); i++)
          A[i] = (float)val(i, 0.1);
        for (long i = 0; i < (long)ldb * (row ? br : bc); i++)
          B[i] = (float)val(i, 0.7);
        for (long i = 0; i < (long)ldc * (row ? m : n); i++)
          C[i] = NAN; /* beta 0: never read */
        cblas_sgemm(row ? CblasRowMajor : CblasColMajor, ta ? CblasTrans : CblasNoTrans,
                    tb ? CblasTrans : CblasNoTrans, m, n, k, 0.5f, A, lda, B, ldb, 0, C, ldc);
        double worst = 0;
        for (long i = 0; i < m; i++)
          for (long j = 0; j < n; j++) {
            double s = 0;
            for (long p = 0; p < k; p++)
              s += (ta ? el(A, row, lda, p, i) : el(A, row, lda, i, p)) *
                   (tb ? el(B, row, ldb, j, p) : el(B, row, ldb, p, j));
            double e = fabs(0.5 * s - el(C, row, ldc, i, j));
            worst = e > worst || isnan(e) ? e : worst;
          }
        check(t, worst < 1e-4, "sgemm order %d ta %d tb %d: error %g", row, ta, tb, worst);
        free(A);
        free(B);
        free(C);
      }
}

static void test_gemv(check_ctx *t) {
  const int m = 23, n = 41, lda = 50;
  double *A = malloc(sizeof(double) * lda * lda), x[2 * 50], y[3 * 50];
  for (long i = 0; i < (long)lda * lda; i++)
    A[i] = val(i, 0.3);
  for (int i = 0; i < 2 * 50; i++)
    x[i] = val(i, 0.9);
  for (int row = 0; row < 2; row++)
    for (int tr = 0; tr < 2; tr++)
      for (int beta = 0; beta < 2; beta++) {
        const int rows = tr ? n : m, cols = tr ? m : n;
        for (int i = 0; i < 3 * 50; i++)
          y[i] = beta ? val(i, 0.5) : NAN; /* beta 0: never read */
        cblas_dgemv(row ? CblasRowMajor : CblasColMajor, tr ? CblasTrans : CblasNoTrans, m, n, 0.5,
                    A, lda, x, 2, beta ? -1.5 : 0, y, 3);
        double worst = 0;
        for (long i = 0; i < rows; i++) {
          double s = beta ? -1.5 * val(3 * i, 0.5) : 0;
          for (long j = 0; j < cols; j++) {
            const long r = tr ? j : i, c = tr ? i : j;
            s += 0.5 * (row ? A[r * lda + c] : A[r + c * lda]) * x[2 * j];
          }
          const double e = fabs(s - y[3 * i]);
          worst = e > worst || isnan(e) ? e : worst;
        }
        check(t, worst < 1e-12, "dgemv order %d trans %d beta %d: error %g", row, tr, beta, worst);
      }
  free(A);
}

static void test_syrk_symm(check_ctx *t) {
  const int s = 70, l = 130;
  double *X = malloc(sizeof(double) * s * l), *A = malloc(sizeof(double) * s * s);
  double *Y = malloc(sizeof(double) * s * l);
  for (long i = 0; i < (long)s * l; i++)
    X[i] = val(i, 0.3);
  for (int upper = 0; upper < 2; upper++) {
    for (long i = 0; i < (long)s * s; i++)
      A[i] = -7;
    cblas_dsyrk(CblasRowMajor, upper ? CblasUpper : CblasLower, CblasNoTrans, s, l, 2, X, l, 0, A,
                s);
    double worst = 0;
    int untouched = 1;
    for (long i = 0; i < s; i++)
      for (long j = 0; j < s; j++) {
        if (upper ? j < i : j > i) {
          untouched &= A[i * s + j] == -7;
          continue;
        }
        double d = 0;
        for (long p = 0; p < l; p++)
          d += X[i * l + p] * X[j * l + p];
        worst = fmax(worst, fabs(2 * d - A[i * s + j]));
      }
    check(t, worst < 1e-10 && untouched, "dsyrk %s: error %g, other triangle kept %d",
          upper ? "upper" : "lower", worst, untouched);
  }
  /* A holds the lower triangle of 2 X X^T; symm reads only that one */
  cblas_dsymm(CblasRowMajor, CblasLeft, CblasLower, s, l, 1, A, s, X, l, 0, Y, l);
  double worst = 0;
  for (long i = 0; i < s; i++)
    for (long j = 0; j < l; j++) {
      double d = 0;
      for (long p = 0; p < s; p++)
        d += (i >= p ? A[i * s + p] : A[p * s + i]) * X[p * l + j];
      worst = fmax(worst, fabs(d - Y[i * l + j]));
    }
  check(t, worst < 1e-9, "dsymm left lower: error %g", worst);
  free(X);
  free(A);
  free(Y);
}

/* max |(a^T a) - I| over the columns of the m x n column-major a */
static double orthonormality(const double *a, int m, int n, int ld) {
  double worst = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double d = 0;
      for (int r = 0; r < m; r++)
        d += a[r + i * ld] * a[r + j * ld];
      worst = fmax(worst, fabs(d - (i == j)));
    }
  return worst;
}

static void test_qr(check_ctx *t) {
  const int m = 50, n = 20;
  double *A = malloc(sizeof(double) * m * n), *Q = malloc(sizeof(double) * m * n);
  double tau[20], work[1];
  for (int i = 0; i < m * n; i++)
    A[i] = Q[i] = val(i, 1.1);
  int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, n, Q, m, tau, work, 1);
  double R[20 * 20];
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++)
      R[i + j * n] = i <= j ? Q[i + j * m] : 0;
  info |= LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m, n, n, Q, m, tau, work, 1);
  double worst = 0;
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double d = 0;
      for (int p = 0; p < n; p++)
        d += Q[i + p * m] * R[p + j * n];
      worst = fmax(worst, fabs(d - A[i + j * m]));
    }
  check(t, info == 0 && worst < 1e-12, "dgeqrf/dorgqr: A - QR error %g (info %d)", worst, info);
  double o = orthonormality(Q, m, n, m);
  check(t, o < 1e-12, "dorgqr: Q^T Q - I error %g", o);
  free(A);
  free(Q);
}

static void test_svd(check_ctx *t) {
  /* A = U diag(sv) V^T with a known spectrum, both shapes */
  const double want[4] = {5, 2, 0.5, 0.125};
  for (int wide = 0; wide < 2; wide++) {
    const int m = wide ? 4 : 9, n = wide ? 9 : 4, k = 4;
    double U[9 * 4], V[9 * 4], tau[4], w1[1];
    for (int i = 0; i < 9 * 4; i++)
      U[i] = val(i, 2.0), V[i] = val(i, 3.0);
    LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, k, U, m, tau, w1, 1);
    LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m, k, k, U, m, tau, w1, 1);
    LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, n, k, V, n, tau, w1, 1);
    LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, n, k, k, V, n, tau, w1, 1);
    double A[36], A0[36], s[4], u[36], vt[36];
    int iw[32];
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double d = 0;
        for (int p = 0; p < k; p++)
          d += U[i + p * m] * want[p] * V[j + p * n];
        A[i + j * m] = A0[i + j * m] = d;
      }
    int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', m, n, A, m, s, u, m, vt, k, w1, 1, iw);
    double sv = 0, rec = 0;
    for (int p = 0; p < k; p++)
      sv = fmax(sv, fabs(s[p] - want[p]));
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double d = 0;
        for (int p = 0; p < k; p++)
          d += u[i + p * m] * s[p] * vt[p + j * k];
        rec = fmax(rec, fabs(d - A0[i + j * m]));
      }
    double vtt[36];
    for (int p = 0; p < k; p++)
      for (int j = 0; j < n; j++)
        vtt[j + p * n] = vt[p + j * k];
    check(t, info == 0 && sv < 1e-12 && rec < 1e-12, "dgesdd %dx%d: values error %g, A - USV^T %g",
          m, n, sv, rec);
    check(t, orthonormality(u, m, k, m) < 1e-12 && orthonormality(vtt, n, k, n) < 1e-12,
          "dgesdd %dx%d: orthonormal factors", m, n);
    float af[36], sf[4];
    for (int i = 0; i < m * n; i++)
      af[i] = (float)A0[i];
    info =
        LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', m, n, af, m, sf, NULL, m, NULL, 1, NULL, 1, iw);
    check(t, info == 0 && fabs(sf[0] - 5) < 1e-5 && fabs(sf[3] - 0.125) < 1e-5,
          "sgesdd 'N' %dx%d: %g .. %g", m, n, sf[0], sf[3]);
  }
}

static void test_eig(check_ctx *t) {
  const int n = 12;
  double A[144], a[144], w[12], work[1];
  int iw[1];
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++)
      A[i + j * n] = A[j + i * n] = val(i * n + j, 0.4) + (i == j ? 3 : 0);
  for (int i = 0; i < n * n; i++)
    a[i] = i % n > i / n ? NAN : A[i]; /* only the upper triangle is given */
  int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'U', n, a, n, w, work, 1, iw, 1);
  double res = 0;
  int sorted = 1;
  for (int k = 0; k < n; k++) {
    sorted &= k == 0 || w[k - 1] <= w[k];
    for (int i = 0; i < n; i++) {
      double d = 0;
      for (int j = 0; j < n; j++)
        d += A[i + j * n] * a[j + k * n];
      res = fmax(res, fabs(d - w[k] * a[i + k * n]));
    }
  }
  check(t, info == 0 && res < 1e-12 && sorted, "dsyevd: |Av - wv| %g, ascending %d", res, sorted);
  check(t, orthonormality(a, n, n, n) < 1e-12, "dsyevd: orthonormal eigenvectors");
}

/* The Gram matrix Shampoo's preconditioners take roots of: G G^T + eps I
 * with G of rank 8 and a third of its rows zero (pixels that are never
 * lit), so that most eigenvalues sit at eps, many orders of magnitude
 * below the largest: converges, with eigenpairs accurate relative to the
 * matrix's norm (LAPACK's own bound) and orthonormal eigenvectors. */
static void test_eig_rank_deficient(check_ctx *t) {
  enum { N = 90, R = 8 };
  static double A[N * N], a[N * N], w[N], G[N * R];
  double work[1], anorm = 0;
  int iw[1];
  for (int i = 0; i < N; i++)
    for (int p = 0; p < R; p++)
      G[i + p * N] = i % 3 == 1 ? 0 : 10 * val(i * R + p, 0.9);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s = i == j ? 1e-12 : 0;
      for (int p = 0; p < R; p++)
        s += G[i + p * N] * G[j + p * N];
      A[i + j * N] = a[i + j * N] = s;
      anorm += s * s;
    }
  anorm = sqrt(anorm);
  int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'U', N, a, N, w, work, 1, iw, 1);
  double res = 0;
  for (int k = 0; k < N; k++)
    for (int i = 0; i < N; i++) {
      double d = 0;
      for (int j = 0; j < N; j++)
        d += A[i + j * N] * a[j + k * N];
      res = fmax(res, fabs(d - w[k] * a[i + k * N]));
    }
  check(t, info == 0 && res < 1e-13 * anorm, "dsyevd rank %d of %d: info %d, |Av - wv| / |A| %g", R,
        N, info, res / anorm);
  check(t, orthonormality(a, N, N, N) < 1e-12, "dsyevd rank %d of %d: orthonormal eigenvectors", R,
        N);
  check(t, fabs(w[0] - 1e-12) < 1e-13 * anorm && w[N - R - 1] < 1e-13 * anorm,
        "dsyevd rank %d of %d: the %d smallest eigenvalues at eps to |A| eps (%g .. %g)", R, N,
        N - R, w[0], w[N - R - 1]);
}

int main(void) {
  check_ctx t = {0};
  test_gemm(&t);
  test_gemv(&t);
  test_syrk_symm(&t);
  test_qr(&t);
  test_svd(&t);
  test_eig(&t);
  test_eig_rank_deficient(&t);
  return check_done(&t, "test_portable");
}
