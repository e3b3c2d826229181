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

/* Max pooling's backward for 2 x 2 windows of stride 2 tiling the plane
 * (rows: the output rows of every plane, each reading two input rows of
 * width w): the same result as the general loop below, with its order of
 * comparisons (the first largest of a window, in row-major order, takes the
 * gradient; a NaN never does) and its sum 0 + dy, written without branches
 * so that the loop over a row vectorizes. */
static void FN(maxpool2x2_bwd)(const REAL *x, const REAL *dy, REAL *dx, long rows, int w, int wo) {
  for (long r = 0; r < rows; r++) {
    const REAL *x0 = x + r * 2 * w, *x1 = x0 + w;
    REAL *d0 = dx + r * 2 * w, *d1 = d0 + w;
    const REAL *g = dy + r * wo;
    for (int o = 0; o < wo; o++) {
      const REAL a = x0[2 * o], b = x0[2 * o + 1], c = x1[2 * o], d = x1[2 * o + 1];
      const REAL gz = (REAL)0 + g[o];
      REAL m = a;
      int i = 0;
      i = b > m ? 1 : i;
      m = b > m ? b : m;
      i = c > m ? 2 : i;
      m = c > m ? c : m;
      i = d > m ? 3 : i;
      d0[2 * o] = i == 0 ? gz : 0;
      d0[2 * o + 1] = i == 1 ? gz : 0;
      d1[2 * o] = i == 2 ? gz : 0;
      d1[2 * o + 1] = i == 3 ? gz : 0;
    }
  }
}

void FN(rt_maxpool2d_bwd)(const REAL *x, const REAL *dy, REAL *dx, int n, int c, int h, int w,
                          int k, int stride) {
  pool_check(n, c, h, w, k, stride);
  const int ho = (h - k) / stride + 1, wo = (w - k) / stride + 1;
  if (k == 2 && stride == 2 && h % 2 == 0 && w % 2 == 0) {
    FN(maxpool2x2_bwd)(x, dy, dx, (long)n * c * ho, w, wo);
    return;
  }
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
