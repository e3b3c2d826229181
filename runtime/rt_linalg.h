/*
 * rt_linalg.h - dense linear algebra the host's metrics need beyond the
 * kernels (rt_kernels.h): the singular values of a product of matrices.
 */
#ifndef DUET_RT_LINALG_H
#define DUET_RT_LINALG_H

/* The singular values of the product A_{n-1} ... A_1 A_0 of n row-major
 * double matrices, A_i being rows[i] x cols[i] with cols[i] = rows[i - 1],
 * into sv[min(rows[n-1], cols[0])], largest first (one GEMM per factor, then
 * LAPACK's SVD without vectors). Returns 0, or -1 (sv untouched) when the
 * product is not finite, the SVD fails or memory runs out. */
int rt_product_singular_values(int n, const double *const *mats, const int *rows, const int *cols,
                               double *sv);

#endif
