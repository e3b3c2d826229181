/*
 * kernels_polar_impl.h - generic body of the orthogonalization kernels.
 * LAPACK is called column-major on the row-major buffers (a row-major m x n
 * matrix is the column-major n x m matrix of its transpose), so LAPACKE's
 * _work routines run without allocating; workspace sizes come from
 * LAPACK's own lwork = -1 queries.
 */
#include "kernels_common_impl.h"

static void FN(fill_nan)(REAL *x, size_t count)
{
    for (size_t i = 0; i < count; i++)
        x[i] = NAN;
}

/* Row-major s x s matrix with only its upper triangle set: copy it into
 * the lower triangle, in 32 x 32 tiles. */
static void FN(symmetrize_upper)(REAL *A, int s)
{
    enum { TILE = 32 };
    for (int i0 = 0; i0 < s; i0 += TILE)
        for (int j0 = 0; j0 <= i0; j0 += TILE) {
            const int i1 = i0 + TILE < s ? i0 + TILE : s;
            const int j1 = j0 + TILE < s ? j0 + TILE : s;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1 && j < i; j++)
                    A[(long)i * s + j] = A[(long)j * s + i];
        }
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

size_t FN(rt_polar_ns_ws)(int m, int n)
{
    const size_t s = m < n ? m : n;
    return (size_t)m * n + 2 * s * s;
}

static void FN(ns_one)(const REAL *G, REAL *X, int m, int n,
                       rt_ns_schedule schedule, int steps, REAL eps, REAL *ws)
{
    const int left = m <= n;
    const int s = left ? m : n, l = left ? n : m;
    const long mn = (long)m * n;
    REAL *W = ws, *A = ws + mn, *Q = A + (long)s * s;

    const double norm = sqrt((double)FN(row_dot)(G, G, mn));
    REAL scale = (REAL)(1 / (ns_norm_scale(schedule) * norm + eps));
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
        ns_triple(schedule, step, abc);
        BLAS(syrk)(CblasRowMajor, CblasUpper, left ? CblasNoTrans : CblasTrans,
                   s, l, scale * scale, cur, n, 0, A, s);
        FN(symmetrize_upper)(A, s);
        for (long i = 0; i < (long)s * s; i++)
            Q[i] = (REAL)abc[1] * A[i];
        for (int i = 0; i < s; i++)
            Q[(long)i * s + i] += (REAL)abc[0];
        BLAS(syrk)(CblasRowMajor, CblasUpper, CblasNoTrans, s, s,
                   (REAL)abc[2], A, s, 1, Q, s);
        BLAS(symm)(CblasRowMajor, left ? CblasLeft : CblasRight, CblasUpper,
                   m, n, scale, Q, s, cur, n, 0, next, n);
        cur = next;
        scale = 1;
    }
}

void FN(rt_polar_ns)(const REAL *G, REAL *X, int batch, int m, int n,
                     rt_ns_schedule schedule, int steps, REAL eps, REAL *ws)
{
    assert(m > 0 && n > 0 && batch >= 0 && steps >= 0 && eps >= 0);
    const long mn = (long)m * n;
    for (int b = 0; b < batch; b++)
        FN(ns_one)(G + b * mn, X + b * mn, m, n, schedule, steps, eps, ws);
}

/* ---- SVD-based: exact polar factor and spectral norm ---------------------
 * gesdd on the column-major n x m matrix G^T. ws layout: a [m n], sv [s],
 * then (jobz 'S') u [n s], vt [s m]; work [lwork]; iwork [8 s] ints. */

static size_t FN(svd_lwork)(char jobz, int m, int n)
{
    const int s = m < n ? m : n;
    REAL dummy = 0, query = 0;
    lapack_int idummy = 0;
    LAPACK(gesdd_work)(LAPACK_COL_MAJOR, jobz, n, m, &dummy, n, &dummy,
                       &dummy, n, &dummy, jobz == 'N' ? 1 : s, &query, -1,
                       &idummy);
    /* float lwork may be rounded down: add a margin. */
    return (size_t)query + (size_t)(query * 1e-6) + 1;
}

static size_t FN(svd_ws)(char jobz, int m, int n)
{
    const size_t s = m < n ? m : n;
    const size_t vecs = jobz == 'N' ? 0 : (size_t)n * s + s * (size_t)m;
    return (size_t)m * n + s + vecs + FN(svd_lwork)(jobz, m, n) +
           int_slots(8 * s, sizeof(REAL));
}

/* Singular values of the m x n matrix G into ws[m n ..], and (jobz 'S') the
 * factors; returns the LAPACK info. */
static lapack_int FN(svd_run)(char jobz, const REAL *G, int m, int n,
                              REAL *ws)
{
    const int s = m < n ? m : n;
    const size_t lwork = FN(svd_lwork)(jobz, m, n);
    REAL *a = ws, *sv = a + (long)m * n;
    REAL *u = sv + s, *vt = u + (jobz == 'N' ? 0 : (long)n * s);
    REAL *work = vt + (jobz == 'N' ? 0 : (long)s * m);
    lapack_int *iwork = (lapack_int *)(work + lwork);
    memcpy(a, G, sizeof(REAL) * m * n);
    return LAPACK(gesdd_work)(LAPACK_COL_MAJOR, jobz, n, m, a, n, sv, u, n,
                              vt, jobz == 'N' ? 1 : s, work, (lapack_int)lwork,
                              iwork);
}

size_t FN(rt_polar_svd_ws)(int m, int n)
{
    return FN(svd_ws)('S', m, n);
}

void FN(rt_polar_svd)(const REAL *G, REAL *X, int batch, int m, int n,
                      REAL *ws)
{
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
        BLAS(gemm)(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m, s, 1, u,
                   n, vt, s, 0, Xb, n);
    }
}

size_t FN(rt_spectral_norm_ws)(int m, int n)
{
    return FN(svd_ws)('N', m, n);
}

void FN(rt_spectral_norm)(const REAL *W, REAL *out, int batch, int m, int n,
                          REAL *ws)
{
    assert(m > 0 && n > 0 && batch >= 0);
    const long mn = (long)m * n;
    for (int b = 0; b < batch; b++)
        out[b] = FN(svd_run)('N', W + b * mn, m, n, ws) == 0 ? ws[mn] : NAN;
}

/* ---- SPD powers ------------------------------------------------------------
 * A = V diag(w) V^T by syevd; A^p = Y^T Y with Y = diag(max(w, eps)^(p/2))
 * V^T (one syrk). ws: a [n n] (eigenvectors), Y [n n], w [n], work
 * [lwork], iwork [liwork] ints. */

static void FN(syevd_lwork)(int n, size_t *lwork, size_t *liwork)
{
    REAL dummy = 0, query = 0;
    lapack_int iquery = 0;
    LAPACK(syevd_work)(LAPACK_COL_MAJOR, 'V', 'U', n, &dummy, n, &dummy,
                       &query, -1, &iquery, -1);
    *lwork = (size_t)query + (size_t)(query * 1e-6) + 1;
    *liwork = (size_t)iquery;
}

size_t FN(rt_spd_pow_ws)(int n)
{
    size_t lwork, liwork;
    FN(syevd_lwork)(n, &lwork, &liwork);
    return 2 * (size_t)n * n + n + lwork + int_slots(liwork, sizeof(REAL));
}

void FN(rt_spd_pow)(const REAL *A, REAL *out, int batch, int n, REAL p,
                    REAL eps, REAL *ws)
{
    assert(n > 0 && batch >= 0 && eps >= 0);
    size_t lwork, liwork;
    FN(syevd_lwork)(n, &lwork, &liwork);
    const long nn = (long)n * n;
    REAL *a = ws, *Y = a + nn, *w = Y + nn, *work = w + n;
    lapack_int *iwork = (lapack_int *)(work + lwork);
    for (int b = 0; b < batch; b++) {
        REAL *ob = out + b * nn;
        memcpy(a, A + b * nn, sizeof(REAL) * nn);
        if (LAPACK(syevd_work)(LAPACK_COL_MAJOR, 'V', 'U', n, a, n, w, work,
                               (lapack_int)lwork, iwork,
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
        BLAS(syrk)(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1, Y, n, 0, ob,
                   n);
        FN(symmetrize_upper)(ob, n);
    }
}
