/*
 * blas_impl.h - body of the portable BLAS for one real type T (included by
 * blas.c for float and double; S() and BLAS_NAME() name the functions).
 */

/* Register block MR x NR, cache blocks MC x KC of A and KC x NC of B. NR
 * is above 16 so that GCC's -O3 does not unroll the inner loop completely
 * before vectorizing it (which leaves it scalar). */
enum { S(MR) = 6, S(NR) = 24, S(KC) = 256, S(MC) = 72, S(NC) = 512 };
_Static_assert(S(MC) % S(MR) == 0, "A blocks hold whole register panels");

typedef VIEW(T) S(view);

/* rows [i0, i0 + mc) x k-range [p0, p0 + kc) of A, as panels of MR rows:
 * panel r holds kc columns of MR values (zero past the last row). */
static void S(pack_a)(S(view) A, long i0, long mc, long p0, long kc, T *out) {
  for (long r = 0; r < mc; r += S(MR))
    for (long p = 0; p < kc; p++)
      for (int i = 0; i < S(MR); i++)
        *out++ = r + i < mc ? A.p[(i0 + r + i) * A.rs + (p0 + p) * A.cs] : 0;
}

/* k-range [p0, p0 + kc) x columns [j0, j0 + nc) of B as panels of NR
 * columns. */
static void S(pack_b)(S(view) B, long p0, long kc, long j0, long nc, T *out) {
  for (long c = 0; c < nc; c += S(NR))
    for (long p = 0; p < kc; p++)
      for (int j = 0; j < S(NR); j++)
        *out++ = c + j < nc ? B.p[(p0 + p) * B.rs + (j0 + c + j) * B.cs] : 0;
}

/* out = a b for one MR x kc panel of A and one kc x NR panel of B, summed
 * in a local block that the compiler keeps in vector registers. */
static void S(kernel)(long kc, const T *restrict a, const T *restrict b,
                      T out[restrict S(MR)][S(NR)]) {
  T acc[S(MR)][S(NR)] = {{0}};
  for (long p = 0; p < kc; p++, a += S(MR), b += S(NR))
    for (int i = 0; i < S(MR); i++)
      for (int j = 0; j < S(NR); j++)
        acc[i][j] += a[i] * b[j];
  memcpy(out, acc, sizeof acc);
}

static int S(writes)(int tri, long i, long j) {
  return tri == TRI_ALL || (tri == TRI_UPPER ? j >= i : j <= i);
}

/* C = alpha A B + beta C on the elements `tri` selects; A m x k, B k x n.
 * The first k block applies beta (0: C is not read), later ones add. */
static void S(gemm)(long m, long n, long k, T alpha, S(view) A, S(view) B, T beta, T *C, long crs,
                    long ccs, int tri) {
  if (m <= 0 || n <= 0)
    return;
  T *pa = xmalloc(sizeof(T) * (size_t)S(MC) * S(KC));
  T *pb = xmalloc(sizeof(T) * (size_t)S(KC) * (S(NC) + S(NR)));
  for (long j0 = 0; j0 < n; j0 += S(NC)) {
    const long nc = n - j0 < S(NC) ? n - j0 : S(NC);
    for (long p0 = 0; p0 < k || p0 == 0; p0 += S(KC)) {
      const long kc = k - p0 < S(KC) ? k - p0 : S(KC);
      const T b_eff = p0 == 0 ? beta : 1;
      S(pack_b)(B, p0, kc, j0, nc, pb);
      for (long i0 = 0; i0 < m; i0 += S(MC)) {
        const long mc = m - i0 < S(MC) ? m - i0 : S(MC);
        S(pack_a)(A, i0, mc, p0, kc, pa);
        for (long r = 0; r < mc; r += S(MR))
          for (long c = 0; c < nc; c += S(NR)) {
            const long i1 = i0 + r, j1 = j0 + c;
            if ((tri == TRI_UPPER && j1 + S(NR) - 1 < i1) ||
                (tri == TRI_LOWER && j1 > i1 + S(MR) - 1))
              continue;
            T acc[S(MR)][S(NR)];
            S(kernel)(kc, pa + r * kc, pb + c * kc, acc);
            for (int i = 0; i < S(MR) && r + i < mc; i++)
              for (int j = 0; j < S(NR) && c + j < nc; j++) {
                if (!S(writes)(tri, i1 + i, j1 + j))
                  continue;
                T *cij = C + (i1 + i) * crs + (j1 + j) * ccs;
                const T prod = alpha * acc[i][j];
                *cij = b_eff == 0 ? prod : prod + b_eff * *cij;
              }
          }
      }
      if (k == 0)
        break;
    }
  }
  free(pa);
  free(pb);
}

/* op(X) of a stored matrix with leading dimension ld, as a view. */
static S(view) S(op)(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE t, const T *p, int ld) {
  const int row = order == CblasRowMajor, tr = t == CblasTrans;
  S(view) v = {p, 1, 1};
  if (row != tr)
    v.rs = ld; /* element (i, j) at i * ld + j */
  else
    v.cs = ld; /* element (i, j) at i + j * ld */
  return v;
}

void BLAS_NAME(gemm)(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
                     int m, int n, int k, T alpha, const T *A, int lda, const T *B, int ldb, T beta,
                     T *C, int ldc) {
  const int row = order == CblasRowMajor;
  S(gemm)
  (m, n, k, alpha, S(op)(order, ta, A, lda), S(op)(order, tb, B, ldb), beta, C, row ? ldc : 1,
   row ? 1 : ldc, TRI_ALL);
}

/* Row by row (dot products) when the rows of op(A) are contiguous, else
 * column by column (each column scaled and added). */
void BLAS_NAME(gemv)(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, T alpha,
                     const T *A, int lda, const T *x, int incx, T beta, T *y, int incy) {
  const int tr = trans == CblasTrans;
  const long rows = tr ? n : m, cols = tr ? m : n;
  const S(view) a = S(op)(order, trans, A, lda);
  T *acc = xmalloc(sizeof(T) * (size_t)(rows > 0 ? rows : 1));
  for (long i = 0; i < rows; i++)
    acc[i] = 0;
  if (a.cs == 1)
    for (long i = 0; i < rows; i++)
      for (long j = 0; j < cols; j++)
        acc[i] += a.p[i * a.rs + j] * x[j * incx];
  else
    for (long j = 0; j < cols; j++)
      for (long i = 0; i < rows; i++)
        acc[i] += a.p[i + j * a.cs] * x[j * incx];
  for (long i = 0; i < rows; i++) {
    T *yi = y + i * incy;
    *yi = beta == 0 ? alpha * acc[i] : alpha * acc[i] + beta * *yi;
  }
  free(acc);
}

void BLAS_NAME(syrk)(enum CBLAS_ORDER order, enum CBLAS_UPLO uplo, enum CBLAS_TRANSPOSE trans,
                     int n, int k, T alpha, const T *A, int lda, T beta, T *C, int ldc) {
  const int row = order == CblasRowMajor;
  S(view) a = S(op)(order, trans, A, lda);
  S(view) at = {a.p, a.cs, a.rs};
  S(gemm)
  (n, n, k, alpha, a, at, beta, C, row ? ldc : 1, row ? 1 : ldc,
   uplo == CblasUpper ? TRI_UPPER : TRI_LOWER);
}

void BLAS_NAME(symm)(enum CBLAS_ORDER order, enum CBLAS_SIDE side, enum CBLAS_UPLO uplo, int m,
                     int n, T alpha, const T *A, int lda, const T *B, int ldb, T beta, T *C,
                     int ldc) {
  const int row = order == CblasRowMajor;
  const long s = side == CblasLeft ? m : n;
  T *full = xmalloc(sizeof(T) * (size_t)(s * s > 0 ? s * s : 1));
  for (long i = 0; i < s; i++)
    for (long j = 0; j < s; j++) {
      /* the stored triangle holds (i, j) when i <= j for upper */
      const int stored = uplo == CblasUpper ? i <= j : i >= j;
      const long r = stored ? i : j, c = stored ? j : i;
      full[i * s + j] = row ? A[r * lda + c] : A[r + c * lda];
    }
  S(view) sym = {full, s, 1};
  S(view) b = S(op)(order, CblasNoTrans, B, ldb);
  if (side == CblasLeft)
    S(gemm)(m, n, m, alpha, sym, b, beta, C, row ? ldc : 1, row ? 1 : ldc, TRI_ALL);
  else
    S(gemm)(m, n, n, alpha, b, sym, beta, C, row ? ldc : 1, row ? 1 : ldc, TRI_ALL);
  free(full);
}
