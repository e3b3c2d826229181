/*
 * kernels_pool_impl.h - generic body of the pooling kernels. Each (n, c)
 * plane is pooled independently; loops run over a whole output row per
 * window offset so the inner loop is a strided, vectorizable gather.
 */

void FN(rt_maxpool2d_fwd)(const REAL *x, REAL *y, int n, int c, int h, int w, int k, int stride) {
  pool_check(n, c, h, w, k, stride);
  const int ho = (h - k) / stride + 1, wo = (w - k) / stride + 1;
  for (long p = 0; p < (long)n * c; p++) {
    const REAL *xp = x + p * h * w;
    REAL *yp = y + p * ho * wo;
    for (int oh = 0; oh < ho; oh++) {
      REAL *yr = yp + (long)oh * wo;
      const REAL *x0 = xp + (long)oh * stride * w;
      for (int ow = 0; ow < wo; ow++)
        yr[ow] = x0[ow * stride];
      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++) {
          const REAL *xr = x0 + (long)ki * w + kj;
          for (int ow = 0; ow < wo; ow++) {
            const REAL v = xr[ow * stride];
            yr[ow] = v > yr[ow] ? v : yr[ow];
          }
        }
    }
  }
}

void FN(rt_maxpool2d_bwd)(const REAL *x, const REAL *dy, REAL *dx, int n, int c, int h, int w,
                          int k, int stride) {
  pool_check(n, c, h, w, k, stride);
  const int ho = (h - k) / stride + 1, wo = (w - k) / stride + 1;
  memset(dx, 0, sizeof(REAL) * n * c * h * w);
  for (long p = 0; p < (long)n * c; p++) {
    const REAL *xp = x + p * h * w;
    REAL *dxp = dx + p * h * w;
    const REAL *dyp = dy + p * ho * wo;
    for (int oh = 0; oh < ho; oh++)
      for (int ow = 0; ow < wo; ow++) {
        const long base = (long)oh * stride * w + (long)ow * stride;
        long arg = base;
        for (int ki = 0; ki < k; ki++)
          for (int kj = 0; kj < k; kj++) {
            const long at = base + (long)ki * w + kj;
            if (xp[at] > xp[arg])
              arg = at;
          }
        dxp[arg] += dyp[(long)oh * wo + ow];
      }
  }
}

void FN(rt_avgpool2d_fwd)(const REAL *x, REAL *y, int n, int c, int h, int w, int k, int stride) {
  pool_check(n, c, h, w, k, stride);
  const int ho = (h - k) / stride + 1, wo = (w - k) / stride + 1;
  const REAL inv = (REAL)1 / ((REAL)k * k);
  for (long p = 0; p < (long)n * c; p++) {
    const REAL *xp = x + p * h * w;
    REAL *yp = y + p * ho * wo;
    for (int oh = 0; oh < ho; oh++) {
      REAL *yr = yp + (long)oh * wo;
      const REAL *x0 = xp + (long)oh * stride * w;
      memset(yr, 0, sizeof(REAL) * wo);
      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++) {
          const REAL *xr = x0 + (long)ki * w + kj;
          for (int ow = 0; ow < wo; ow++)
            yr[ow] += xr[ow * stride];
        }
      for (int ow = 0; ow < wo; ow++)
        yr[ow] *= inv;
    }
  }
}

void FN(rt_avgpool2d_bwd)(const REAL *dy, REAL *dx, int n, int c, int h, int w, int k, int stride) {
  pool_check(n, c, h, w, k, stride);
  const int ho = (h - k) / stride + 1, wo = (w - k) / stride + 1;
  const REAL inv = (REAL)1 / ((REAL)k * k);
  memset(dx, 0, sizeof(REAL) * n * c * h * w);
  for (long p = 0; p < (long)n * c; p++) {
    REAL *dxp = dx + p * h * w;
    const REAL *dyp = dy + p * ho * wo;
    for (int oh = 0; oh < ho; oh++) {
      const REAL *dyr = dyp + (long)oh * wo;
      REAL *d0 = dxp + (long)oh * stride * w;
      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++) {
          REAL *dr = d0 + (long)ki * w + kj;
          for (int ow = 0; ow < wo; ow++)
            dr[ow * stride] += inv * dyr[ow];
        }
    }
  }
}
