/*
 * lapack_impl.h - the LAPACKE entry points for one real type T (included
 * by lapack.c for float and double): argument checks, workspace queries,
 * and the copy to and from the double-precision routines.
 */

/* m x n column-major block of x (ld ldx) to y (ld ldy), any element types. */
#define COPY_BLOCK(m, n, x, ldx, y, ldy)    \
  for (long j_ = 0; j_ < (long)(n); j_++)   \
    for (long i_ = 0; i_ < (long)(m); i_++) \
  AT(y, ldy, i_, j_) = AT(x, ldx, i_, j_)

lapack_int S(geqrf_work)(int layout, lapack_int m, lapack_int n, T *a, lapack_int lda, T *tau,
                         T *work, lapack_int lwork) {
  if (layout != LAPACK_COL_MAJOR)
    return -1;
  if (lwork == -1) {
    work[0] = 1;
    return 0;
  }
  const long k = m < n ? m : n;
  double *d = malloc(sizeof(double) * (size_t)((long)m * n + k + 1));
  if (!d)
    return LAPACK_WORK_MEMORY_ERROR;
  COPY_BLOCK(m, n, a, lda, d, m);
  qr_factor(m, n, d, m, d + (long)m * n);
  COPY_BLOCK(m, n, d, m, a, lda);
  for (long i = 0; i < k; i++)
    tau[i] = (T)d[(long)m * n + i];
  free(d);
  return 0;
}

lapack_int S(orgqr_work)(int layout, lapack_int m, lapack_int n, lapack_int k, T *a, lapack_int lda,
                         const T *tau, T *work, lapack_int lwork) {
  if (layout != LAPACK_COL_MAJOR)
    return -1;
  if (lwork == -1) {
    work[0] = 1;
    return 0;
  }
  double *d = calloc((size_t)((long)m * n + k + 1), sizeof(double));
  if (!d)
    return LAPACK_WORK_MEMORY_ERROR;
  COPY_BLOCK(m, n, a, lda, d, m);
  for (long i = 0; i < k; i++)
    d[(long)m * n + i] = tau[i];
  qr_form(m, n, k, d, m, d + (long)m * n);
  COPY_BLOCK(m, n, d, m, a, lda);
  free(d);
  return 0;
}

lapack_int S(gesdd_work)(int layout, char jobz, lapack_int m, lapack_int n, T *a, lapack_int lda,
                         T *s, T *u, lapack_int ldu, T *vt, lapack_int ldvt, T *work,
                         lapack_int lwork, lapack_int *iwork) {
  (void)iwork;
  if (layout != LAPACK_COL_MAJOR)
    return -1;
  if (jobz != 'S' && jobz != 'N')
    return -2;
  if (lwork == -1) {
    work[0] = 1;
    return 0;
  }
  const long k = m < n ? m : n, vecs = jobz == 'S';
  double *d = malloc(sizeof(double) * (size_t)((long)m * n + k + vecs * (m * k + k * n) + 1));
  if (!d)
    return LAPACK_WORK_MEMORY_ERROR;
  double *sv = d + (long)m * n, *du = sv + k, *dvt = du + vecs * m * k;
  COPY_BLOCK(m, n, a, lda, d, m);
  int info = svd(m, n, d, m, sv, vecs ? du : NULL, m, vecs ? dvt : NULL, k);
  if (info >= 0) {
    for (long i = 0; i < k; i++)
      s[i] = (T)sv[i];
    if (vecs) {
      COPY_BLOCK(m, k, du, m, u, ldu);
      COPY_BLOCK(k, n, dvt, k, vt, ldvt);
    }
  }
  free(d);
  return info;
}

lapack_int S(syevd_work)(int layout, char jobz, char uplo, lapack_int n, T *a, lapack_int lda, T *w,
                         T *work, lapack_int lwork, lapack_int *iwork, lapack_int liwork) {
  if (layout != LAPACK_COL_MAJOR)
    return -1;
  if (jobz != 'V' && jobz != 'N')
    return -2;
  if (uplo != 'U' && uplo != 'L')
    return -3;
  if (lwork == -1 || liwork == -1) {
    work[0] = 1;
    iwork[0] = 1;
    return 0;
  }
  double *d = malloc(sizeof(double) * (size_t)(2 * (long)n * n + n + 1));
  if (!d)
    return LAPACK_WORK_MEMORY_ERROR;
  double *vec = d + (long)n * n, *dw = vec + (long)n * n;
  for (long j = 0; j < n; j++)
    for (long i = 0; i < n; i++) {
      const int stored = uplo == 'U' ? i <= j : i >= j;
      AT(d, n, i, j) = stored ? AT(a, lda, i, j) : AT(a, lda, j, i);
    }
  int info = eig(n, d, dw, vec);
  if (info >= 0) {
    for (long i = 0; i < n; i++)
      w[i] = (T)dw[i];
    if (jobz == 'V')
      COPY_BLOCK(n, n, vec, n, a, lda);
  }
  free(d);
  return info;
}

#undef COPY_BLOCK
