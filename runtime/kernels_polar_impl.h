/*
 * kernels_polar_impl.h - generic body of the orthogonalization kernels.
 * LAPACK is called column-major on the row-major buffers (a row-major m x n
 * matrix is the column-major n x m matrix of its transpose), so LAPACKE's
 * _work routines run without allocating; workspace sizes come from
 * LAPACK's own lwork = -1 queries.
 */
#include "kernels_common_impl.h"

static void FN(fill_nan)(REAL *x, size_t count) {
  for (size_t i = 0; i < count; i++)
    x[i] = NAN;
}

/* ---- Newton-Schulz -------------------------------------------------------
 * On the smaller Gram side, without transposing: for m <= n, A = X X^T
 * (m x m) and X' = Q X; for m > n, A = X^T X (n x n) and X' = X Q; in both
 * Q = aI + bA + cA^2. With s = min(m, n), l = max(m, n), one step is
 *   A = X X^T                 syrk on X             (s^2 l / 2 multiply-adds)
 *   Q = aI + bA + c A A^T     syrk on the symmetric A (s^3 / 2)
 *   X' = Q X                  symm                  (s^2 l)
 * against s^2 l + s^3 + s^2 l for three general products. The normalization
 * X0 = G / (scale ||G||_F + eps) is folded into the first step (the alphas
 * of its syrk and symm), and the iterates alternate between X and one
 * workspace so that the last one lands in X. ws: W [m n], A [s s], Q [s s]. */

size_t FN(rt_polar_ns_ws)(int m, int n) {
  const size_t s = m < n ? m : n;
  return (size_t)m * n + 2 * s * s;
}

static void FN(ns_one)(const REAL *G, REAL *X, int m, int n, rt_ns_schedule schedule, int steps,
                       REAL eps, REAL *ws) {
  const int left = m <= n;
  const int s = left ? m : n, l = left ? n : m;
  const long mn = (long)m * n;
  REAL *W = ws, *A = ws + mn, *Q = A + (long)s * s;

  const double norm = sqrt((double)FN(row_dot)(G, G, mn));
  REAL scale = (REAL)(1 / (rt_ns_norm_scale(schedule) * norm + eps));
  if (steps == 0) {
    for (long i = 0; i < mn; i++)
      X[i] = G[i] * scale;
    return;
  }
  /* The iterate is scale * cur; step k writes X when steps - 1 - k is
     * even, else W. In place (G == X) with an odd count, step 0 would
     * write the G it reads: start from a copy in W instead. */
  const REAL *cur = G;
  if (G == X && steps % 2) {
    memcpy(W, G, sizeof(REAL) * mn);
    cur = W;
  }
  for (int step = 0; step < steps; step++) {
    REAL *next = (steps - 1 - step) % 2 ? W : X;
    double abc[3];
    rt_ns_triple(schedule, step, abc);
    BLAS(syrk)
    (CblasRowMajor, CblasUpper, left ? CblasNoTrans : CblasTrans, s, l, scale * scale, cur, n, 0, A,
     s);
    FN(symmetrize_upper)(A, s);
    for (long i = 0; i < (long)s * s; i++)
      Q[i] = (REAL)abc[1] * A[i];
    for (int i = 0; i < s; i++)
      Q[(long)i * s + i] += (REAL)abc[0];
    BLAS(syrk)(CblasRowMajor, CblasUpper, CblasNoTrans, s, s, (REAL)abc[2], A, s, 1, Q, s);
    BLAS(symm)
    (CblasRowMajor, left ? CblasLeft : CblasRight, CblasUpper, m, n, scale, Q, s, cur, n, 0, next,
     n);
    cur = next;
    scale = 1;
  }
}

void FN(rt_polar_ns)(const REAL *G, REAL *X, int batch, int m, int n, rt_ns_schedule schedule,
                     int steps, REAL eps, REAL *ws) {
  assert(m > 0 && n > 0 && batch >= 0 && steps >= 0 && eps >= 0);
  const long mn = (long)m * n;
  for (int b = 0; b < batch; b++)
    FN(ns_one)(G + b * mn, X + b * mn, m, n, schedule, steps, eps, ws);
}

/* ---- SVD-based: exact polar factor and spectral norm ---------------------
 * gesdd on the column-major n x m matrix G^T. ws layout: a [m n], sv [s],
 * then (jobz 'S') u [n s], vt [s m]; work [lwork]; iwork [8 s] ints. */

static size_t FN(svd_lwork)(char jobz, int m, int n) {
  const int s = m < n ? m : n;
  REAL dummy = 0, query = 0;
  lapack_int idummy = 0;
  LAPACK(gesdd_work)
  (LAPACK_COL_MAJOR, jobz, n, m, &dummy, n, &dummy, &dummy, n, &dummy, jobz == 'N' ? 1 : s, &query,
   -1, &idummy);
  /* float lwork may be rounded down: add a margin. */
  return (size_t)query + (size_t)(query * 1e-6) + 1;
}

static size_t FN(svd_ws)(char jobz, int m, int n) {
  const size_t s = m < n ? m : n;
  const size_t vecs = jobz == 'N' ? 0 : (size_t)n * s + s * (size_t)m;
  return (size_t)m * n + s + vecs + FN(svd_lwork)(jobz, m, n) + int_slots(8 * s, sizeof(REAL));
}

/* Singular values of the m x n matrix G into ws[m n ..], and (jobz 'S') the
 * factors; returns the LAPACK info. */
static lapack_int FN(svd_run)(char jobz, const REAL *G, int m, int n, REAL *ws) {
  const int s = m < n ? m : n;
  const size_t lwork = FN(svd_lwork)(jobz, m, n);
  REAL *a = ws, *sv = a + (long)m * n;
  REAL *u = sv + s, *vt = u + (jobz == 'N' ? 0 : (long)n * s);
  REAL *work = vt + (jobz == 'N' ? 0 : (long)s * m);
  lapack_int *iwork = (lapack_int *)(work + lwork);
  memcpy(a, G, sizeof(REAL) * m * n);
  return LAPACK(gesdd_work)(LAPACK_COL_MAJOR, jobz, n, m, a, n, sv, u, n, vt, jobz == 'N' ? 1 : s,
                            work, (lapack_int)lwork, iwork);
}

size_t FN(rt_polar_svd_ws)(int m, int n) { return FN(svd_ws)('S', m, n); }

void FN(rt_polar_svd)(const REAL *G, REAL *X, int batch, int m, int n, REAL *ws) {
  assert(m > 0 && n > 0 && batch >= 0);
  const int s = m < n ? m : n;
  const long mn = (long)m * n;
  for (int b = 0; b < batch; b++) {
    REAL *Xb = X + b * mn;
    if (FN(svd_run)('S', G + b * mn, m, n, ws) != 0) {
      FN(fill_nan)(Xb, mn);
      continue;
    }
    /* G^T = U' S V'^T, so polar(G)^T = U' V'^T (column-major n x m),
         * which is polar(G) row-major. */
    const REAL *u = ws + mn + s, *vt = u + (long)n * s;
    BLAS(gemm)(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m, s, 1, u, n, vt, s, 0, Xb, n);
  }
}

size_t FN(rt_spectral_norm_ws)(int m, int n) { return FN(svd_ws)('N', m, n); }

void FN(rt_spectral_norm)(const REAL *W, REAL *out, int batch, int m, int n, REAL *ws) {
  assert(m > 0 && n > 0 && batch >= 0);
  const long mn = (long)m * n;
  for (int b = 0; b < batch; b++)
    out[b] = FN(svd_run)('N', W + b * mn, m, n, ws) == 0 ? ws[mn] : NAN;
}

/* ---- SPD powers ------------------------------------------------------------
 * A = V diag(w) V^T by syevd; A^p = Y^T Y with Y = diag(max(w, eps)^(p/2))
 * V^T (one syrk). ws: a [n n] (eigenvectors), Y [n n], w [n], work
 * [lwork], iwork [liwork] ints. */

static void FN(syevd_lwork)(int n, size_t *lwork, size_t *liwork) {
  REAL dummy = 0, query = 0;
  lapack_int iquery = 0;
  LAPACK(syevd_work)(LAPACK_COL_MAJOR, 'V', 'U', n, &dummy, n, &dummy, &query, -1, &iquery, -1);
  *lwork = (size_t)query + (size_t)(query * 1e-6) + 1;
  *liwork = (size_t)iquery;
}

size_t FN(rt_spd_pow_ws)(int n) {
  size_t lwork, liwork;
  FN(syevd_lwork)(n, &lwork, &liwork);
  return 2 * (size_t)n * n + n + lwork + int_slots(liwork, sizeof(REAL));
}

void FN(rt_spd_pow)(const REAL *A, REAL *out, int batch, int n, REAL p, REAL eps, REAL *ws) {
  assert(n > 0 && batch >= 0 && eps >= 0);
  size_t lwork, liwork;
  FN(syevd_lwork)(n, &lwork, &liwork);
  const long nn = (long)n * n;
  REAL *a = ws, *Y = a + nn, *w = Y + nn, *work = w + n;
  lapack_int *iwork = (lapack_int *)(work + lwork);
  for (int b = 0; b < batch; b++) {
    REAL *ob = out + b * nn;
    memcpy(a, A + b * nn, sizeof(REAL) * nn);
    if (LAPACK(syevd_work)(LAPACK_COL_MAJOR, 'V', 'U', n, a, n, w, work, (lapack_int)lwork, iwork,
                           (lapack_int)liwork) != 0) {
      FN(fill_nan)(ob, nn);
      continue;
    }
    /* Column k of the column-major a = row k of the row-major view. */
    for (int k = 0; k < n; k++) {
      const double lam = w[k] > eps ? (double)w[k] : (double)eps;
      const REAL f = (REAL)pow(lam, 0.5 * (double)p);
      for (int j = 0; j < n; j++)
        Y[(long)k * n + j] = f * a[(long)k * n + j];
    }
    BLAS(syrk)(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1, Y, n, 0, ob, n);
    FN(symmetrize_upper)(ob, n);
  }
}

/* ---- spectral norm estimate: warm-started Lanczos --------------------------
 * On the smaller Gram matrix C = W W^T (m <= n) or W^T W (s = min(m, n)),
 * Lanczos steps with full reorthogonalization from the direction v build an
 * orthonormal basis Q (rows) of the Krylov space and the projected matrix
 * T = Q C Q^T (tridiagonal). Its largest eigenvalue theta grows with every
 * step towards sigma_max^2, never above it, and is exact once the space
 * holds the top singular vector. The steps stop at min(steps, s), or
 * earlier when theta grew by at most 64 rounding units (relative) in the
 * last step: when it has converged to about working precision.
 * out = sqrt(theta), v_out = Q^T y for theta's eigenvector y: the start of
 * the next call. A zero or non-finite v starts from a pseudo-random
 * direction; when C maps span(Q) into itself (a flat or low-rank
 * spectrum), the next direction is a pseudo-random one orthogonal to Q. A
 * step is two gemv passes over W, the last one one pass
 * (q^T C q = |W^T q|^2 or |W q|^2). */

/* Scratch of one estimate (k = the most steps), carved from ws in this
 * order: z [max(m, n)], w [s], Q [k s], T [k k] (row-major), E [k k],
 * theta [k], then syevd's work [lwork] and iwork [liwork] ints. */
typedef struct {
  REAL *z, *w, *Q, *T, *E, *theta, *work;
  lapack_int *iwork;
  size_t lwork, liwork;
} FN(lanczos_ws);

static int FN(lanczos_dim)(int m, int n, int steps) {
  const int s = m < n ? m : n;
  return steps < s ? steps : s;
}

/* The lengths (reals) of z, w, Q, T, E, theta and work, in ws order, and
 * in *liwork the ints of syevd's iwork after them. */
static void FN(lanczos_lengths)(int m, int n, int k, size_t len[7], size_t *liwork) {
  const size_t s = m < n ? m : n, l = m < n ? n : m;
  size_t lwork;
  FN(syevd_lwork)(k, &lwork, liwork);
  len[0] = l, len[1] = s, len[2] = k * s;
  len[3] = len[4] = (size_t)k * k;
  len[5] = k, len[6] = lwork;
}

static void FN(lanczos_carve)(int m, int n, int k, REAL *ws, FN(lanczos_ws) * L) {
  size_t len[7];
  FN(lanczos_lengths)(m, n, k, len, &L->liwork);
  L->lwork = len[6];
  REAL **part[7] = {&L->z, &L->w, &L->Q, &L->T, &L->E, &L->theta, &L->work};
  for (int i = 0; i < 7; i++) {
    *part[i] = ws;
    ws += len[i];
  }
  L->iwork = (lapack_int *)ws;
}

size_t FN(rt_spectral_lanczos_ws)(int m, int n, int steps) {
  size_t len[7], liwork, total = 0;
  FN(lanczos_lengths)(m, n, FN(lanczos_dim)(m, n, steps), len, &liwork);
  for (int i = 0; i < 7; i++)
    total += len[i];
  return total + int_slots(liwork, sizeof(REAL));
}

/* The two halves of C q: first z = W^T q (m <= n) or W q, with
 * q^T C q = |z|^2; then C q = W z or W^T z. */
static void FN(gram_half)(const REAL *W, int m, int n, int second, const REAL *x, REAL *y) {
  const int trans = (m <= n) != second;
  BLAS(gemv)(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, 1, W, n, x, 1, 0, y, 1);
}

/* w minus its components along the j orthonormal rows of Q, in two
 * Gram-Schmidt passes; returns the norm of the result. */
static double FN(orthogonalize)(const REAL *Q, int j, int s, REAL *w) {
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < j; i++) {
      const REAL *q = Q + (long)i * s;
      const REAL c = FN(row_dot)(q, w, s);
      for (int e = 0; e < s; e++)
        w[e] -= c * q[e];
    }
  return sqrt((double)FN(row_dot)(w, w, s));
}

/* The pseudo-random direction number `draw`, orthogonal to the j rows of Q;
 * returns its norm. */
static double FN(draw_direction)(const REAL *Q, int j, int s, int draw, REAL *w) {
  FN(rt_init_uniform)(w, (size_t)s, -1, 1, 0, (uint64_t)draw);
  return FN(orthogonalize)(Q, j, s, w);
}

static void FN(scale_into)(REAL *dst, const REAL *src, int s, double norm) {
  const REAL f = (REAL)(1 / norm);
  for (int e = 0; e < s; e++)
    dst[e] = src[e] * f;
}

/* Eigenvalues (ascending) of the leading j x j block of T into theta, and
 * with `vectors` the eigenvectors into E (column-major j x j). Nonzero if
 * the block is not finite or LAPACK fails. */
static int FN(block_eigen)(FN(lanczos_ws) * L, int k, int j, int vectors) {
  for (int c = 0; c < j; c++) /* row c of the symmetric T is column c */
    memcpy(L->E + (long)c * j, L->T + (long)c * k, sizeof(REAL) * j);
  if (!isfinite(FN(row_sum)(L->E, (long)j * j)))
    return -1;
  return LAPACK(syevd_work)(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'U', j, L->E, j, L->theta,
                            L->work, (lapack_int)L->lwork, L->iwork, (lapack_int)L->liwork);
}

/* The Lanczos steps; returns how many were taken. */
static int FN(lanczos_steps)(const REAL *W, int m, int n, int k, FN(lanczos_ws) * L) {
  const int s = m < n ? m : n, l = m < n ? n : m;
  const REAL eps = sizeof(REAL) == sizeof(float) ? FLT_EPSILON : DBL_EPSILON;
  int draws = 1; /* draw 0 is the start for a zero v */
  double last = 0;
  for (int j = 0; j < k; j++) {
    FN(gram_half)(W, m, n, 0, L->Q + (long)j * s, L->z);
    L->T[(long)j * k + j] = FN(row_dot)(L->z, L->z, l);
    if (j > 0) {
      if (FN(block_eigen)(L, k, j + 1, 0) != 0)
        return j + 1;
      const double theta = L->theta[j];
      if (theta - last <= 64 * eps * theta)
        return j + 1;
      last = theta;
    } else {
      last = L->T[0];
    }
    if (j + 1 == k)
      break;
    FN(gram_half)(W, m, n, 1, L->z, L->w);
    const double cq = sqrt((double)FN(row_dot)(L->w, L->w, s));
    double beta = FN(orthogonalize)(L->Q, j + 1, s, L->w);
    if (beta > 64 * eps * cq) {
      L->T[(long)j * k + j + 1] = L->T[(long)(j + 1) * k + j] = (REAL)beta;
    } else { /* span(Q) is invariant: continue elsewhere */
      beta = FN(draw_direction)(L->Q, j + 1, s, draws++, L->w);
    }
    FN(scale_into)(L->Q + (long)(j + 1) * s, L->w, s, beta);
  }
  return k;
}

static REAL FN(lanczos_one)(const REAL *W, const REAL *v, REAL *v_out, int m, int n, int steps,
                            REAL *ws) {
  const int s = m < n ? m : n, k = FN(lanczos_dim)(m, n, steps);
  FN(lanczos_ws) L;
  FN(lanczos_carve)(m, n, k, ws, &L);
  memset(L.T, 0, sizeof(REAL) * k * k);
  const double norm = sqrt((double)FN(row_dot)(v, v, s));
  if (norm > 0 && isfinite(norm))
    FN(scale_into)(L.Q, v, s, norm);
  else
    FN(scale_into)(L.Q, L.w, s, FN(draw_direction)(L.Q, 0, s, 0, L.w));
  const int used = FN(lanczos_steps)(W, m, n, k, &L);
  if (FN(block_eigen)(&L, k, used, 1) != 0) {
    memcpy(v_out, L.Q, sizeof(REAL) * s);
    return NAN;
  }
  /* the eigenvector of the largest eigenvalue: column used - 1 of E */
  const REAL *y = L.E + (long)(used - 1) * used;
  for (int e = 0; e < s; e++)
    L.w[e] = 0;
  for (int j = 0; j < used; j++)
    for (int e = 0; e < s; e++)
      L.w[e] += y[j] * L.Q[(long)j * s + e];
  memcpy(v_out, L.w, sizeof(REAL) * s);
  const REAL theta = L.theta[used - 1];
  return sqrt(theta < 0 ? 0 : theta); /* NaN stays NaN */
}

void FN(rt_spectral_lanczos)(const REAL *W, const REAL *v, REAL *out, REAL *v_out, int batch, int m,
                             int n, int steps, REAL *ws) {
  assert(m > 0 && n > 0 && batch >= 0 && steps >= 1);
  const long mn = (long)m * n, s = m < n ? m : n;
  for (int b = 0; b < batch; b++)
    out[b] = FN(lanczos_one)(W + b * mn, v + b * s, v_out + b * s, m, n, steps, ws);
}
