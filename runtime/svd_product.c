/*
 * svd_product.c - singular values of a product of matrices (rt_linalg.h):
 * the product by rt_gemm_f64, then LAPACK's gesdd without vectors.
 */
#include <lapacke.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"
#include "rt_linalg.h"

/* Singular values of the rows x cols row-major matrix p (overwritten). */
static int singular_values(double *p, int rows, int cols, double *sv) {
  const int k = rows < cols ? rows : cols;
  double query = 0;
  lapack_int *iwork = malloc(8 * (size_t)k * sizeof *iwork);
  /* the row-major matrix read column-major is its transpose, which has the
   * same singular values */
  lapack_int info = iwork ? LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', cols, rows, p, cols, sv,
                                                NULL, 1, NULL, 1, &query, -1, iwork)
                          : -1;
  double *work = info == 0 ? malloc(((size_t)query + 1) * sizeof *work) : NULL;
  if (work)
    info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', cols, rows, p, cols, sv, NULL, 1, NULL, 1,
                               work, (lapack_int)query, iwork);
  free(work);
  free(iwork);
  return work && info == 0 ? 0 : -1;
}

int rt_product_singular_values(int n, const double *const *mats, const int *rows, const int *cols,
                               double *sv) {
  const int c = cols[0];
  double *p = malloc((size_t)rows[0] * c * sizeof *p);
  if (!p)
    return -1;
  memcpy(p, mats[0], (size_t)rows[0] * c * sizeof *p);
  for (int i = 1; i < n; i++) {
    double *next = malloc((size_t)rows[i] * c * sizeof *next);
    if (!next) {
      free(p);
      return -1;
    }
    rt_gemm_f64(0, 0, rows[i], c, cols[i], 1.0, mats[i], 0, p, 0, 0.0, next, 0, 1);
    free(p);
    p = next;
  }
  const int r = rows[n - 1];
  bool finite = true;
  for (long i = 0; i < (long)r * c; i++)
    finite = finite && isfinite(p[i]);
  int rc = finite ? singular_values(p, r, c, sv) : -1;
  free(p);
  return rc;
}
