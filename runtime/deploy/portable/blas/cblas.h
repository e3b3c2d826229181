/*
 * cblas.h - the part of the CBLAS interface the duet runtime uses (gemm,
 * gemv, syrk and symm in single and double precision), implemented in portable C
 * by blas.c for builds without a BLAS library. Same names, enumerations and
 * argument order as the reference CBLAS, so the runtime compiles unchanged.
 */
#ifndef DUET_PORTABLE_CBLAS_H
#define DUET_PORTABLE_CBLAS_H

typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 } CBLAS_TRANSPOSE;
typedef enum CBLAS_UPLO { CblasUpper = 121, CblasLower = 122 } CBLAS_UPLO;
typedef enum CBLAS_SIDE { CblasLeft = 141, CblasRight = 142 } CBLAS_SIDE;

/* C = alpha op(A) op(B) + beta C; op(A) m x k, op(B) k x n (beta 0: C is
 * not read). */
void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m,
                 int n, int k, float alpha, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc);
void cblas_dgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m,
                 int n, int k, double alpha, const double *A, int lda, const double *B, int ldb,
                 double beta, double *C, int ldc);

/* y = alpha op(A) x + beta y, A m x n (trans: op(A) = A^T); strides incx,
 * incy >= 1 (beta 0: y is not read). */
void cblas_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, float alpha,
                 const float *A, int lda, const float *x, int incx, float beta, float *y, int incy);
void cblas_dgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, double alpha,
                 const double *A, int lda, const double *x, int incx, double beta, double *y,
                 int incy);

/* The `uplo` triangle of the n x n C = alpha op(A) op(A)^T + beta C, op(A)
 * n x k (trans: op(A) = A^T). */
void cblas_ssyrk(enum CBLAS_ORDER order, enum CBLAS_UPLO uplo, enum CBLAS_TRANSPOSE trans, int n,
                 int k, float alpha, const float *A, int lda, float beta, float *C, int ldc);
void cblas_dsyrk(enum CBLAS_ORDER order, enum CBLAS_UPLO uplo, enum CBLAS_TRANSPOSE trans, int n,
                 int k, double alpha, const double *A, int lda, double beta, double *C, int ldc);

/* C = alpha A B + beta C (side left, A m x m) or alpha B A + beta C (side
 * right, A n x n), A symmetric and read from its `uplo` triangle; C m x n. */
void cblas_ssymm(enum CBLAS_ORDER order, enum CBLAS_SIDE side, enum CBLAS_UPLO uplo, int m, int n,
                 float alpha, const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc);
void cblas_dsymm(enum CBLAS_ORDER order, enum CBLAS_SIDE side, enum CBLAS_UPLO uplo, int m, int n,
                 double alpha, const double *A, int lda, const double *B, int ldb, double beta,
                 double *C, int ldc);

/* The portable BLAS runs on the calling thread only: the count is accepted
 * for interface compatibility with OpenBLAS and has no effect. */
void openblas_set_num_threads(int n);

#endif
