/*
 * kernels_conv.c - 2-D convolution (NCHW, stride, zero padding) by im2col +
 * GEMM: forward, backward to the input (GEMM + col2im) and backward to the
 * weights (GEMM accumulated over the batch); f32 convolutions with enough
 * input channels run as oneDNN convolution primitives instead when oneDNN
 * is the backend.
 */
#include <assert.h>
#include <string.h>

#include "rt_dnn.h"
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

#ifdef DUET_ONEDNN
/* oneDNN's direct convolution (channel-blocked layouts, with reorders from
 * and to NCHW) against im2col + GEMM, f32, one thread, each pass
 * (bench/bench_kernels.c, docs/benchmarks.md): 1.1-2.3x faster with 16 or
 * more input channels. With fewer, its input gradient is 0.14-1.1x and
 * the other passes scatter from 0.3x to 1.9x: im2col stays there. */
static int conv_dnn_pays(const conv_shape *s, int n) { return s->c >= 16 && n >= 1; }

static rt_dnn_conv_shape dnn_shape(const conv_shape *s, int n) {
  const rt_dnn_conv_shape d = {n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad};
  return d;
}

/* floats of ws the oneDNN path of this shape needs (0: it does not run). */
static size_t conv_dnn_ws_f32(const conv_shape *s, int n) {
  if (!conv_dnn_pays(s, n))
    return 0;
  const rt_dnn_conv_shape d = dnn_shape(s, n);
  return rt_dnn_conv_ws(&d);
}

/* One pass on oneDNN: 0 when it ran, -1 when im2col + GEMM is to do it. */
static int conv_dnn_f32(rt_dnn_pass pass, const conv_shape *s, int n, const float *in0,
                        const float *in1, float *out, float *ws) {
  if (rt_gemm_get_backend() != RT_GEMM_ONEDNN || !conv_dnn_pays(s, n))
    return -1;
  const rt_dnn_conv_shape d = dnn_shape(s, n);
  return rt_dnn_conv(pass, &d, in0, in1, out, ws);
}
#else
#define conv_dnn_ws_f32(s, n) ((void)(s), (void)(n), (size_t)0)
#define conv_dnn_f32(...)     (-1)
#endif
/* f64 convolutions stay on im2col + GEMM. */
#define conv_dnn_ws_f64(s, n) ((void)(s), (void)(n), (size_t)0)
#define conv_dnn_f64(...)     (-1)

#define RT_IMPL "kernels_conv_impl.h"
#include "kernels_instantiate.h"
