/*
 * kernels_norm_impl.h - generic body of rmsnorm and layernorm. Backward
 * formulas (per row of n entries, r = rstd):
 *   rmsnorm:   dx = r dy - x r^3 <dy, x> / n
 *   layernorm: dx = r (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x-mu) r
 */
#include "kernels_common_impl.h"

RT_DISPATCH void FN(rt_rmsnorm_fwd)(const REAL *x, REAL *y, REAL *rstd, long rows, long cols,
                                    REAL eps) {
  assert(cols > 0);
  for (long r = 0; r < rows; r++) {
    const REAL *xr = x + r * cols;
    REAL *yr = y + r * cols;
    const REAL inv = 1 / sqrt(FN(row_dot)(xr, xr, cols) / (REAL)cols + eps);
    for (long j = 0; j < cols; j++)
      yr[j] = xr[j] * inv;
    rstd[r] = inv;
  }
}

RT_DISPATCH void FN(rt_rmsnorm_bwd)(const REAL *x, const REAL *rstd, const REAL *dy, REAL *dx,
                                    long rows, long cols) {
  for (long r = 0; r < rows; r++) {
    const REAL *xr = x + r * cols, *dyr = dy + r * cols;
    REAL *dxr = dx + r * cols;
    const REAL inv = rstd[r];
    const REAL g = inv * inv * inv * FN(row_dot)(dyr, xr, cols) / (REAL)cols;
    for (long j = 0; j < cols; j++)
      dxr[j] = inv * dyr[j] - g * xr[j];
  }
}

RT_DISPATCH void FN(rt_layernorm_fwd)(const REAL *x, REAL *y, REAL *mean, REAL *rstd, long rows,
                                      long cols, REAL eps) {
  assert(cols > 0);
  for (long r = 0; r < rows; r++) {
    const REAL *xr = x + r * cols;
    REAL *yr = y + r * cols;
    const REAL mu = FN(row_sum)(xr, cols) / (REAL)cols;
    for (long j = 0; j < cols; j++)
      yr[j] = xr[j] - mu;
    const REAL inv = 1 / sqrt(FN(row_dot)(yr, yr, cols) / (REAL)cols + eps);
    for (long j = 0; j < cols; j++)
      yr[j] *= inv;
    mean[r] = mu;
    rstd[r] = inv;
  }
}

RT_DISPATCH void FN(rt_layernorm_bwd)(const REAL *x, const REAL *mean, const REAL *rstd,
                                      const REAL *dy, REAL *dx, long rows, long cols) {
  for (long r = 0; r < rows; r++) {
    const REAL *xr = x + r * cols, *dyr = dy + r * cols;
    REAL *dxr = dx + r * cols;
    const REAL mu = mean[r], inv = rstd[r];
    const REAL mean_dy = FN(row_sum)(dyr, cols) / (REAL)cols;
    const REAL mean_dyx = inv * FN(row_dot_shifted)(dyr, xr, mu, cols) / (REAL)cols;
    for (long j = 0; j < cols; j++)
      dxr[j] = inv * (dyr[j] - mean_dy - (xr[j] - mu) * inv * mean_dyx);
  }
}
