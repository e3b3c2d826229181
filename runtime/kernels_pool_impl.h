/*
 * kernels_pool_impl.h - generic body of the pooling kernels. Each (n, c)
 * plane is pooled independently; loops run over a whole output row per
 * window offset so the inner loop is a strided, vectorizable gather.
 */

/* Max pooling's forward for 2 x 2 windows of stride 2 tiling the plane
 * (rows: the output rows of every plane, each reading two input rows of
 * width w): the general loop's comparisons in its order, one window per
 * iteration so that the loop over a row vectorizes. */
static void FN(maxpool2x2_fwd)(const REAL *x, REAL *y, long rows, int w, int wo) {
  for (long r = 0; r < rows; r++) {
    const REAL *x0 = x + r * 2 * w, *x1 = x0 + w;
    REAL *yr = y + r * wo;
    for (int o = 0; o < wo; o++) {
      const REAL b = x0[2 * o + 1], c = x1[2 * o], d = x1[2 * o + 1];
      REAL m = x0[2 * o];
      m = b > m ? b : m;
      m = c > m ? c : m;
      yr[o] = d > m ? d : m;
    }
  }
}

void FN(rt_maxpool2d_fwd)(const REAL *x, REAL *y, int n, int c, int h, int w, int k, int stride) {
  pool_check(n, c, h, w, k, stride);
  const int ho = (h - k) / stride + 1, wo = (w - k) / stride + 1;
  if (k == 2 && stride == 2 && h % 2 == 0 && w % 2 == 0) {
    FN(maxpool2x2_fwd)(x, y, (long)n * c * ho, w, wo);
    return;
  }
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
 * gradient; a NaN never does) and its sum 0 + dy. The winner is decided
 * from the last window element back (d wins if it beats the first three,
 * else c if it beats the first two, ...), each step a select between
 * floats, so that the loop over a row vectorizes. */
static void FN(maxpool2x2_bwd)(const REAL *x, const REAL *dy, REAL *dx, long rows, int w, int wo) {
  for (long r = 0; r < rows; r++) {
    const REAL *x0 = x + r * 2 * w, *x1 = x0 + w;
    REAL *d0 = dx + r * 2 * w, *d1 = d0 + w;
    const REAL *g = dy + r * wo;
    for (int o = 0; o < wo; o++) {
      const REAL a = x0[2 * o], b = x0[2 * o + 1], c = x1[2 * o], d = x1[2 * o + 1];
      const REAL g4 = (REAL)0 + g[o];
      const REAL m2 = b > a ? b : a, m3 = c > m2 ? c : m2;
      const int dw = d > m3, cw = c > m2, bw = b > a;
      const REAL g3 = dw ? 0 : g4, g2 = cw ? 0 : g3;
      d1[2 * o + 1] = dw ? g4 : 0;
      d1[2 * o] = cw ? g3 : 0;
      d0[2 * o + 1] = bw ? g2 : 0;
      d0[2 * o] = bw ? 0 : g2;
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
