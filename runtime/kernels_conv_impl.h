/*
 * kernels_conv_impl.h - generic body of the conv2d kernels: each pass by
 * im2col + GEMM, one image at a time: the column matrix [c*kh*kw, ho*wo]
 * lives in ws; y_i = W cols_i, cols_i = W^T dy_i (then col2im), dW = sum_i
 * dy_i cols_i^T; the entry points run a pass on the path conv_run
 * (kernels_conv.c) picks.
 */

/* r[ow] = xr[ow * stride + off] for ow in [lo, hi). Stride 1 is spelled
 * out so that the loop vectorizes. */
static inline void FN(row_gather)(REAL *r, const REAL *xr, int lo, int hi, int stride, int off) {
  if (stride == 1) {
    for (int ow = lo; ow < hi; ow++)
      r[ow] = xr[ow + off];
    return;
  }
  for (int ow = lo; ow < hi; ow++)
    r[ow] = xr[ow * stride + off];
}

/* xr[ow * stride + off] += r[ow] for ow in [lo, hi). */
static inline void FN(row_scatter)(const REAL *r, REAL *xr, int lo, int hi, int stride, int off) {
  if (stride == 1) {
    for (int ow = lo; ow < hi; ow++)
      xr[ow + off] += r[ow];
    return;
  }
  for (int ow = lo; ow < hi; ow++)
    xr[ow * stride + off] += r[ow];
}

/* Stride 1 with wo == w ("same" width): the valid output rows [a, b) of
 * one (ci, ki, kj) row of cols are a single contiguous run of the image
 * plane, shifted by a constant; the columns outside [lo, hi) of each row are
 * wrap-around and are zeroed in cols. */
static void FN(im2col_run)(const conv_shape *s, REAL *x, REAL *row, int ci, int ki, int off, int lo,
                           int hi, int scatter) {
  const int w = s->w;
  int a, b;
  valid_range(s->ho, 1, ki - s->pad, s->h, &a, &b);
  const long base = ((long)ci * s->h + a + ki - s->pad) * w + off;
  const long len = (long)(b - a) * w;
  REAL *r = row + (long)a * w;
  if (!scatter) {
    memset(row, 0, sizeof(REAL) * a * w);
    memset(row + (long)b * w, 0, sizeof(REAL) * (s->ho - b) * w);
    for (long j = lo; j < len - (w - hi); j++)
      r[j] = x[base + j];
  }
  for (int oh = 0; oh < b - a; oh++) {
    for (int ow = 0; ow < lo; ow++)
      r[(long)oh * w + ow] = 0;
    for (int ow = hi; ow < w; ow++)
      r[(long)oh * w + ow] = 0;
  }
  if (scatter)
    for (long j = lo; j < len - (w - hi); j++)
      x[base + j] += r[j];
}

/* cols[(ci, ki, kj), (oh, ow)] = x[ci, oh*stride - pad + ki, ow*stride - pad
 * + kj], zero outside the image; scatter != 0 runs the adjoint instead:
 * x[...] += cols[...] (x must be zeroed by the caller; x is only read when
 * scatter == 0; cols is scratch and may be changed when scatter != 0). */
static void FN(im2col)(const conv_shape *s, REAL *x, REAL *cols, int scatter) {
  const long plane = (long)s->ho * s->wo;
  const int run = s->stride == 1 && s->wo == s->w;
  for (int ci = 0; ci < s->c; ci++)
    for (int ki = 0; ki < s->kh; ki++)
      for (int kj = 0; kj < s->kw; kj++) {
        REAL *row = cols + ((long)(ci * s->kh + ki) * s->kw + kj) * plane;
        const int off = kj - s->pad;
        int lo, hi;
        valid_range(s->wo, s->stride, off, s->w, &lo, &hi);
        if (run) {
          FN(im2col_run)(s, x, row, ci, ki, off, lo, hi, scatter);
          continue;
        }
        for (int oh = 0; oh < s->ho; oh++) {
          REAL *r = row + (long)oh * s->wo;
          const int ih = oh * s->stride - s->pad + ki;
          if (ih < 0 || ih >= s->h) {
            if (!scatter)
              memset(r, 0, sizeof(REAL) * s->wo);
            continue;
          }
          REAL *xr = x + ((long)ci * s->h + ih) * s->w;
          if (scatter) {
            FN(row_scatter)(r, xr, lo, hi, s->stride, off);
            continue;
          }
          for (int ow = 0; ow < lo; ow++)
            r[ow] = 0;
          FN(row_gather)(r, xr, lo, hi, s->stride, off);
          for (int ow = hi; ow < s->wo; ow++)
            r[ow] = 0;
        }
      }
}

/* The larger of the two paths' needs: the path is picked after the
 * workspace is planned. */
size_t FN(rt_conv2d_ws)(int n, int c, int h, int w, int o, int kh, int kw, int stride, int pad) {
  const conv_shape s = conv_shape_of(c, h, w, o, kh, kw, stride, pad);
  const size_t cols = conv_is_pointwise(&s) ? 0 : (size_t)c * kh * kw * s.ho * s.wo;
  const size_t dnn = FN(conv_dnn_ws)(&s, n);
  return cols > dnn ? cols : dnn;
}

static void FN(im2col_fwd)(const conv_shape *s, int n, const REAL *x, const REAL *W, REAL *y,
                           REAL *ws) {
  const int K = s->c * s->kh * s->kw, P = s->ho * s->wo;
  for (int i = 0; i < n; i++) {
    const REAL *xi = x + (long)i * s->c * s->h * s->w;
    const REAL *cols = xi;
    if (!conv_is_pointwise(s)) {
      FN(im2col)(s, (REAL *)xi, ws, 0); /* reads xi only */
      cols = ws;
    }
    FN(rt_gemm)(0, 0, s->o, P, K, 1, W, 0, cols, 0, 0, y + (long)i * s->o * P, 0, 1);
  }
}

static void FN(im2col_bwd_data)(const conv_shape *s, int n, const REAL *dy, const REAL *W, REAL *dx,
                                REAL *ws) {
  const int K = s->c * s->kh * s->kw, P = s->ho * s->wo;
  for (int i = 0; i < n; i++) {
    REAL *dxi = dx + (long)i * s->c * s->h * s->w;
    const REAL *dyi = dy + (long)i * s->o * P;
    if (conv_is_pointwise(s)) {
      FN(rt_gemm)(1, 0, K, P, s->o, 1, W, 0, dyi, 0, 0, dxi, 0, 1);
      continue;
    }
    FN(rt_gemm)(1, 0, K, P, s->o, 1, W, 0, dyi, 0, 0, ws, 0, 1);
    memset(dxi, 0, sizeof(REAL) * s->c * s->h * s->w);
    FN(im2col)(s, dxi, ws, 1);
  }
}

static void FN(im2col_bwd_weight)(const conv_shape *s, int n, const REAL *x, const REAL *dy,
                                  REAL *dW, REAL *ws) {
  const int K = s->c * s->kh * s->kw, P = s->ho * s->wo;
  if (n == 0)
    memset(dW, 0, sizeof(REAL) * s->o * K);
  for (int i = 0; i < n; i++) {
    const REAL *xi = x + (long)i * s->c * s->h * s->w;
    const REAL *cols = xi;
    if (!conv_is_pointwise(s)) {
      FN(im2col)(s, (REAL *)xi, ws, 0);
      cols = ws;
    }
    FN(rt_gemm)(0, 1, s->o, K, P, 1, dy + (long)i * s->o * P, 0, cols, 0, i == 0 ? 0 : 1, dW, 0, 1);
  }
}

/* One pass by im2col + GEMM, with the operands of rt_dnn_conv (rt_dnn.h). */
static void FN(conv_im2col)(rt_conv_pass pass, const conv_shape *s, int n, const REAL *in0,
                            const REAL *in1, REAL *out, REAL *ws) {
  if (pass == RT_CONV_FWD)
    FN(im2col_fwd)(s, n, in0, in1, out, ws);
  else if (pass == RT_CONV_BWD_DATA)
    FN(im2col_bwd_data)(s, n, in0, in1, out, ws);
  else
    FN(im2col_bwd_weight)(s, n, in0, in1, out, ws);
}

void FN(rt_conv2d_fwd)(const REAL *x, const REAL *W, REAL *y, int n, int c, int h, int w, int o,
                       int kh, int kw, int stride, int pad, REAL *ws) {
  const conv_shape s = conv_shape_of(c, h, w, o, kh, kw, stride, pad);
  FN(conv_run)(RT_CONV_FWD, &s, n, x, W, y, ws);
}

void FN(rt_conv2d_bwd_data)(const REAL *dy, const REAL *W, REAL *dx, int n, int c, int h, int w,
                            int o, int kh, int kw, int stride, int pad, REAL *ws) {
  const conv_shape s = conv_shape_of(c, h, w, o, kh, kw, stride, pad);
  FN(conv_run)(RT_CONV_BWD_DATA, &s, n, dy, W, dx, ws);
}

void FN(rt_conv2d_bwd_weight)(const REAL *x, const REAL *dy, REAL *dW, int n, int c, int h, int w,
                              int o, int kh, int kw, int stride, int pad, REAL *ws) {
  const conv_shape s = conv_shape_of(c, h, w, o, kh, kw, stride, pad);
  FN(conv_run)(RT_CONV_BWD_WEIGHT, &s, n, x, dy, dW, ws);
}
