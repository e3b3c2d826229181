/*
 * lapacke.h - the part of the LAPACKE interface the duet runtime uses (QR
 * factorization and its Q, SVD, symmetric eigendecomposition; the _work
 * variants, column-major), implemented in portable C by lapack.c for
 * builds without LAPACK. Same names and arguments as LAPACKE; workspace
 * queries (lwork = -1) answer 1, since the implementations allocate their
 * own double-precision scratch.
 */
#ifndef DUET_PORTABLE_LAPACKE_H
#define DUET_PORTABLE_LAPACKE_H

typedef int lapack_int;

#define LAPACK_ROW_MAJOR         101
#define LAPACK_COL_MAJOR         102
#define LAPACK_WORK_MEMORY_ERROR -1010

/* Householder QR of the m x n a: R in the upper triangle, the reflectors
 * below it and in tau[min(m, n)]. */
lapack_int LAPACKE_sgeqrf_work(int layout, lapack_int m, lapack_int n, float *a, lapack_int lda,
                               float *tau, float *work, lapack_int lwork);
lapack_int LAPACKE_dgeqrf_work(int layout, lapack_int m, lapack_int n, double *a, lapack_int lda,
                               double *tau, double *work, lapack_int lwork);

/* The first n columns of Q = H_1 ... H_k from geqrf's reflectors, into a. */
lapack_int LAPACKE_sorgqr_work(int layout, lapack_int m, lapack_int n, lapack_int k, float *a,
                               lapack_int lda, const float *tau, float *work, lapack_int lwork);
lapack_int LAPACKE_dorgqr_work(int layout, lapack_int m, lapack_int n, lapack_int k, double *a,
                               lapack_int lda, const double *tau, double *work, lapack_int lwork);

/* Singular values s (descending) of the m x n a and, for jobz 'S', the
 * factors u [m x min(m, n)] and vt [min(m, n) x n]; jobz 'N': values only.
 * a is overwritten. One-sided Jacobi. */
lapack_int LAPACKE_sgesdd_work(int layout, char jobz, lapack_int m, lapack_int n, float *a,
                               lapack_int lda, float *s, float *u, lapack_int ldu, float *vt,
                               lapack_int ldvt, float *work, lapack_int lwork, lapack_int *iwork);
lapack_int LAPACKE_dgesdd_work(int layout, char jobz, lapack_int m, lapack_int n, double *a,
                               lapack_int lda, double *s, double *u, lapack_int ldu, double *vt,
                               lapack_int ldvt, double *work, lapack_int lwork, lapack_int *iwork);

/* Eigenvalues w (ascending) of the symmetric n x n a, read from its `uplo`
 * triangle, and for jobz 'V' the eigenvectors as the columns of a. Cyclic
 * Jacobi. */
lapack_int LAPACKE_ssyevd_work(int layout, char jobz, char uplo, lapack_int n, float *a,
                               lapack_int lda, float *w, float *work, lapack_int lwork,
                               lapack_int *iwork, lapack_int liwork);
lapack_int LAPACKE_dsyevd_work(int layout, char jobz, char uplo, lapack_int n, double *a,
                               lapack_int lda, double *w, double *work, lapack_int lwork,
                               lapack_int *iwork, lapack_int liwork);

#endif
