/*
 * kernels_conv.c - 2-D convolution (NCHW, stride, zero padding) by im2col +
 * GEMM: forward, backward to the input (GEMM + col2im) and backward to the
 * weights (GEMM accumulated over the batch).
 */
#include <assert.h>
#include <string.h>

#include "rt_kernels.h"

/* Output positions [lo, hi) of a row (or column) of `out` positions whose
 * input index p * stride + off lies inside [0, size). */
static void valid_range(int out, int stride, int off, int size, int *lo, int *hi) {
  int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int h = size - off <= 0 ? 0 : (size - off + stride - 1) / stride;
  if (l > out)
    l = out;
  if (h > out)
    h = out;
  if (h < l)
    h = l;
  *lo = l;
  *hi = h;
}

/* Shape of one convolution, shared by the three entry points. */
typedef struct {
  int c, h, w, o, kh, kw, stride, pad, ho, wo;
} conv_shape;

static conv_shape conv_shape_of(int c, int h, int w, int o, int kh, int kw, int stride, int pad) {
  assert(c > 0 && h > 0 && w > 0 && o > 0 && kh > 0 && kw > 0);
  assert(stride > 0 && pad >= 0);
  assert(h + 2 * pad >= kh && w + 2 * pad >= kw);
  conv_shape s = {c,
                  h,
                  w,
                  o,
                  kh,
                  kw,
                  stride,
                  pad,
                  (h + 2 * pad - kh) / stride + 1,
                  (w + 2 * pad - kw) / stride + 1};
  return s;
}

/* 1x1 kernels with stride 1 and no padding need no im2col: the image is
 * already the column matrix. */
static int conv_is_pointwise(const conv_shape *s) {
  return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

#define RT_IMPL "kernels_conv_impl.h"
#include "kernels_instantiate.h"
