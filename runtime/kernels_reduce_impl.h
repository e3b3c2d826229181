/*
 * kernels_reduce_impl.h - generic body of the axis reductions. inner == 1
 * reduces contiguous rows; otherwise whole rows of `inner` entries are
 * combined element-wise (vectorizable).
 */
#include "kernels_common_impl.h"

void FN(rt_sum_axis)(const REAL *x, REAL *y, long outer, long n, long inner, REAL alpha,
                     REAL beta) {
  assert(outer >= 0 && n >= 0 && inner > 0);
  for (long o = 0; o < outer; o++) {
    const REAL *xo = x + o * n * inner;
    REAL *yo = y + o * inner;
    if (inner == 1) {
      const REAL s = alpha * FN(row_sum)(xo, n);
      yo[0] = beta == 0 ? s : beta * yo[0] + s;
      continue;
    }
    if (beta == 0)
      memset(yo, 0, sizeof(REAL) * inner);
    else if (beta != 1)
      for (long i = 0; i < inner; i++)
        yo[i] *= beta;
    for (long j = 0; j < n; j++) {
      const REAL *xr = xo + j * inner;
      for (long i = 0; i < inner; i++)
        yo[i] += alpha * xr[i];
    }
  }
}

void FN(rt_max_axis)(const REAL *x, REAL *y, long outer, long n, long inner) {
  assert(outer >= 0 && n >= 1 && inner > 0);
  for (long o = 0; o < outer; o++) {
    const REAL *xo = x + o * n * inner;
    REAL *yo = y + o * inner;
    if (inner == 1) {
      yo[0] = FN(row_max)(xo, n);
      continue;
    }
    memcpy(yo, xo, sizeof(REAL) * inner);
    for (long j = 1; j < n; j++) {
      const REAL *xr = xo + j * inner;
      for (long i = 0; i < inner; i++)
        yo[i] = xr[i] > yo[i] ? xr[i] : yo[i];
    }
  }
}
