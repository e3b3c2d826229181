/*
 * lapack.c - portable C implementations of the LAPACKE routines in
 * lapacke.h, for builds without LAPACK: Householder QR (the reflector
 * conventions of LAPACK's geqrf/orgqr), singular values and vectors by
 * one-sided Jacobi, symmetric eigenpairs by cyclic Jacobi. All arithmetic
 * runs in double precision on a scratch copy; the float variants round the
 * results. Only the column-major layout is supported (row-major is
 * reported as an illegal first argument, as LAPACKE does for a bad layout).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lapacke.h"

enum { MAX_SWEEPS = 60 };

/* Column-major element (i, j). */
#define AT(a, ld, i, j) ((a)[(long)(i) + (long)(j) * (ld)])

/* ---- QR ------------------------------------------------------------------- */

/* Reflector H = I - tau v v^T with v = (1, a[1..n)) mapping (alpha, x) to
 * (beta, 0); a[0] becomes beta. */
static double householder(double *a, long n) {
  double xnorm = 0;
  for (long i = 1; i < n; i++)
    xnorm = hypot(xnorm, a[i]);
  if (xnorm == 0)
    return 0;
  const double alpha = a[0], beta = -copysign(hypot(alpha, xnorm), alpha);
  for (long i = 1; i < n; i++)
    a[i] /= alpha - beta;
  a[0] = beta;
  return (beta - alpha) / beta;
}

/* Applies H = I - tau v v^T (v[0] = 1, v[1..] = v) to the m x n block c. */
static void apply_reflector(const double *v, double tau, double *c, long ldc, long m, long n) {
  for (long j = 0; j < n; j++) {
    double *cj = &AT(c, ldc, 0, j), w = cj[0];
    for (long i = 1; i < m; i++)
      w += v[i] * cj[i];
    cj[0] -= tau * w;
    for (long i = 1; i < m; i++)
      cj[i] -= tau * w * v[i];
  }
}

static void qr_factor(long m, long n, double *a, long lda, double *tau) {
  for (long j = 0; j < (m < n ? m : n); j++) {
    double *col = &AT(a, lda, j, j);
    tau[j] = householder(col, m - j);
    const double beta = col[0];
    col[0] = 1;
    apply_reflector(col, tau[j], &AT(a, lda, j, j + 1), lda, m - j, n - j - 1);
    col[0] = beta;
  }
}

static void qr_form(long m, long n, long k, double *a, long lda, const double *tau) {
  for (long j = k; j < n; j++)
    for (long i = 0; i < m; i++)
      AT(a, lda, i, j) = i == j;
  for (long i = k - 1; i >= 0; i--) {
    double *col = &AT(a, lda, i, i);
    col[0] = 1;
    apply_reflector(col, tau[i], &AT(a, lda, i, i + 1), lda, m - i, n - i - 1);
    for (long r = 1; r < m - i; r++)
      col[r] *= -tau[i];
    col[0] = 1 - tau[i];
    for (long r = 0; r < i; r++)
      AT(a, lda, r, i) = 0;
  }
}

/* ---- Jacobi rotations --------------------------------------------------- */

/* (c, s) of the rotation that zeroes the off-diagonal gamma of the 2 x 2
 * symmetric [[alpha, gamma], [gamma, beta]]. */
static void rotation(double alpha, double beta, double gamma, double *c, double *s) {
  const double zeta = (beta - alpha) / (2 * gamma);
  const double t = copysign(1.0, zeta) / (fabs(zeta) + sqrt(1 + zeta * zeta));
  *c = 1 / sqrt(1 + t * t);
  *s = *c * t;
}

/* Columns x, y of length n become c x - s y, s x + c y. */
static void rotate(double *x, double *y, long n, double c, double s) {
  for (long i = 0; i < n; i++) {
    const double xi = x[i], yi = y[i];
    x[i] = c * xi - s * yi;
    y[i] = s * xi + c * yi;
  }
}

static double dot(const double *x, const double *y, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    s += x[i] * y[i];
  return s;
}

/* One-sided Jacobi on the m x n b (m >= n, column-major, ld m): its columns
 * become orthogonal, b = U diag(sv), and v (n x n, if not NULL) the
 * accumulated rotations. Returns 0, or 1 without convergence. */
static int jacobi_svd(long m, long n, double *b, double *v) {
  if (v)
    for (long j = 0; j < n; j++)
      for (long i = 0; i < n; i++)
        AT(v, n, i, j) = i == j;
  for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    int rotated = 0;
    for (long p = 0; p < n; p++)
      for (long q = p + 1; q < n; q++) {
        double *bp = &AT(b, m, 0, p), *bq = &AT(b, m, 0, q);
        const double alpha = dot(bp, bp, m), beta = dot(bq, bq, m);
        const double gamma = dot(bp, bq, m);
        if (gamma == 0 || fabs(gamma) <= DBL_EPSILON * sqrt(alpha * beta))
          continue;
        double c, s;
        rotation(alpha, beta, gamma, &c, &s);
        rotate(bp, bq, m, c, s);
        if (v)
          rotate(&AT(v, n, 0, p), &AT(v, n, 0, q), n, c, s);
        rotated = 1;
      }
    if (!rotated)
      return 0;
  }
  return 1;
}

/* Column j of the m x n u (ld m) with norm 0 replaced by a unit vector
 * orthogonal to the other columns (u has orthonormal columns otherwise). */
static void complete_column(double *u, long m, long n, long j) {
  double *uj = &AT(u, m, 0, j);
  for (long e = 0; e < m; e++) {
    for (long i = 0; i < m; i++)
      uj[i] = i == e;
    for (int pass = 0; pass < 2; pass++)
      for (long k = 0; k < n; k++) {
        if (k == j)
          continue;
        const double *uk = &AT(u, m, 0, k);
        const double d = dot(uj, uk, m);
        for (long i = 0; i < m; i++)
          uj[i] -= d * uk[i];
      }
    const double norm = sqrt(dot(uj, uj, m));
    if (norm > 0.5) {
      for (long i = 0; i < m; i++)
        uj[i] /= norm;
      return;
    }
  }
}

/* SVD of the m x n column-major a (ld lda): sv[min] descending and, if u
 * is not NULL, u [m x min] and vt [min x n] (lds ldu, ldvt). */
static int svd(long m, long n, const double *a, long lda, double *sv, double *u, long ldu,
               double *vt, long ldvt) {
  const int tr = m < n; /* work on a^T so that rows >= cols */
  const long r = tr ? n : m, c = tr ? m : n;
  double *b = malloc(sizeof(double) * (size_t)(r * c + c * c + c + 1));
  long *order = malloc(sizeof(long) * (size_t)(c + 1));
  if (!b || !order) {
    free(b);
    free(order);
    return LAPACK_WORK_MEMORY_ERROR;
  }
  double *v = u ? b + r * c : NULL, *norm = b + r * c + c * c;
  for (long j = 0; j < c; j++)
    for (long i = 0; i < r; i++)
      AT(b, r, i, j) = tr ? AT(a, lda, j, i) : AT(a, lda, i, j);
  int info = jacobi_svd(r, c, b, v);
  for (long j = 0; j < c; j++) {
    norm[j] = sqrt(dot(&AT(b, r, 0, j), &AT(b, r, 0, j), r));
    long at = j;
    for (; at > 0 && norm[order[at - 1]] < norm[j]; at--)
      order[at] = order[at - 1];
    order[at] = j;
  }
  for (long k = 0; k < c; k++)
    sv[k] = norm[order[k]];
  if (u) {
    /* b's columns / norms: the left vectors of the worked matrix */
    for (long j = 0; j < c; j++)
      for (long i = 0; i < r; i++)
        AT(b, r, i, j) = norm[j] > 0 ? AT(b, r, i, j) / norm[j] : 0;
    for (long j = 0; j < c; j++)
      if (norm[j] == 0)
        complete_column(b, r, c, j);
    /* a = L S R^T with L = b (r x c), R = v (c x c); for a^T swap them */
    for (long k = 0; k < c; k++) {
      const long j = order[k];
      for (long i = 0; i < r; i++) {
        if (tr)
          AT(vt, ldvt, k, i) = AT(b, r, i, j);
        else
          AT(u, ldu, i, k) = AT(b, r, i, j);
      }
      for (long i = 0; i < c; i++) {
        if (tr)
          AT(u, ldu, i, k) = AT(v, c, i, j);
        else
          AT(vt, ldvt, k, i) = AT(v, c, i, j);
      }
    }
  }
  free(b);
  free(order);
  return info;
}

/* Cyclic Jacobi on the full symmetric n x n a (ld n): eigenvalues w
 * ascending, eigenvectors as the columns of vec (ld n). An off-diagonal
 * entry is left alone when it is below eps times the geometric mean of its
 * two diagonal entries (relative accuracy where the matrix allows it) or
 * below eps times the norm of the matrix: the rotations themselves leave
 * rounding noise of that size, so a tighter test would never hold between
 * eigenvalues far below the largest (a rank-deficient Gram matrix), and
 * LAPACK's own bound on eigenvalue errors is eps times the norm. */
static int eig(long n, double *a, double *w, double *vec) {
  double *v = malloc(sizeof(double) * (size_t)(n * n + n + 1));
  long *order = malloc(sizeof(long) * (size_t)(n + 1));
  if (!v || !order) {
    free(v);
    free(order);
    return LAPACK_WORK_MEMORY_ERROR;
  }
  for (long j = 0; j < n; j++)
    for (long i = 0; i < n; i++)
      AT(v, n, i, j) = i == j;
  double norm = 0;
  for (long i = 0; i < n * n; i++)
    norm = hypot(norm, a[i]);
  int info = 1;
  for (int sweep = 0; sweep < MAX_SWEEPS && info; sweep++) {
    info = 0;
    for (long p = 0; p < n; p++)
      for (long q = p + 1; q < n; q++) {
        const double g = AT(a, n, p, q);
        const double scale = sqrt(fabs(AT(a, n, p, p) * AT(a, n, q, q)));
        if (g == 0 || fabs(g) <= DBL_EPSILON * scale || fabs(g) <= DBL_EPSILON * norm)
          continue;
        info = 1;
        double c, s;
        rotation(AT(a, n, p, p), AT(a, n, q, q), g, &c, &s);
        rotate(&AT(a, n, 0, p), &AT(a, n, 0, q), n, c, s); /* columns */
        for (long k = 0; k < n; k++) {                     /* rows */
          const double x = AT(a, n, p, k), y = AT(a, n, q, k);
          AT(a, n, p, k) = c * x - s * y;
          AT(a, n, q, k) = s * x + c * y;
        }
        rotate(&AT(v, n, 0, p), &AT(v, n, 0, q), n, c, s);
      }
  }
  double *d = v + n * n;
  for (long j = 0; j < n; j++) {
    d[j] = AT(a, n, j, j);
    long at = j;
    for (; at > 0 && d[order[at - 1]] > d[j]; at--)
      order[at] = order[at - 1];
    order[at] = j;
  }
  for (long k = 0; k < n; k++) {
    w[k] = d[order[k]];
    if (vec)
      memcpy(&AT(vec, n, 0, k), &AT(v, n, 0, order[k]), sizeof(double) * (size_t)n);
  }
  free(v);
  free(order);
  return info;
}

#define T       float
#define S(name) LAPACKE_s##name
#include "lapack_impl.h"
#undef T
#undef S

#define T       double
#define S(name) LAPACKE_d##name
#include "lapack_impl.h"
#undef T
#undef S
