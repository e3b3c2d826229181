/*
 * test_kernels_conv.c - conv2d (stride, padding, rectangular and 1x1
 * kernels) and max/avg pooling: forward in f32 and f64 against naive loops;
 * backward (f64) against central finite differences of <w, forward>, and
 * the f32 backward against the f64 one; f32 on each backend and path
 * (im2col + GEMM on OpenBLAS and on oneDNN, oneDNN's convolutions, which
 * must exist for every pass, and the pick by timing, whose first call
 * must leave its pick's bits and whose table holds one pick per shape and
 * pass, and pins, which auto runs untimed, and the agreement hook).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_dnn.h"
#include "rt_kernels.h"
#include "test_kernels_util.h"

/* Finite-difference step and the bound on the normwise relative error of
 * an f64 backward against it. The losses are linear or piecewise linear,
 * so central differences are exact up to rounding (observed <= 4e-9). */
static const double fd_h = 1e-6, fd_tol = 1e-6;

typedef struct {
  int n, c, h, w, o, kh, kw, stride, pad;
} conv_case;

static int out_dim(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

static void conv_ref(const conv_case *s, const double *x, const double *W, double *y) {
  const int ho = out_dim(s->h, s->kh, s->stride, s->pad);
  const int wo = out_dim(s->w, s->kw, s->stride, s->pad);
  for (int i = 0; i < s->n; i++)
    for (int oc = 0; oc < s->o; oc++)
      for (int oh = 0; oh < ho; oh++)
        for (int ow = 0; ow < wo; ow++) {
          double acc = 0;
          for (int ci = 0; ci < s->c; ci++)
            for (int ki = 0; ki < s->kh; ki++)
              for (int kj = 0; kj < s->kw; kj++) {
                const int ih = oh * s->stride - s->pad + ki;
                const int iw = ow * s->stride - s->pad + kj;
                if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w)
                  continue;
                acc += x[((i * s->c + ci) * s->h + ih) * s->w + iw] *
                       W[((oc * s->c + ci) * s->kh + ki) * s->kw + kj];
              }
          y[((i * s->o + oc) * ho + oh) * wo + ow] = acc;
        }
}

/* Context of the finite-difference losses <wy, conv(x, W)>. */
typedef struct {
  const conv_case *s;
  const double *x, *W, *wy;
  double *y, *ws;
  size_t ny;
} conv_fd;

static double loss_wrt_x(void *ctx, const double *x) {
  conv_fd *f = ctx;
  const conv_case *s = f->s;
  rt_conv2d_fwd_f64(x, f->W, f->y, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad,
                    f->ws);
  return tk_dot(f->wy, f->y, f->ny);
}

static double loss_wrt_W(void *ctx, const double *W) {
  conv_fd *f = ctx;
  const conv_case *s = f->s;
  rt_conv2d_fwd_f64(f->x, W, f->y, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad,
                    f->ws);
  return tk_dot(f->wy, f->y, f->ny);
}

/* The three f32 passes of case s: out[0] = y, out[1] = dx, out[2] = dW
 * (wy as dy). */
static void conv_passes_f32(const conv_case *s, const float *x, const float *W, const float *dy,
                            float *const out[3], float *ws) {
  rt_conv2d_fwd_f32(x, W, out[0], s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad,
                    ws);
  rt_conv2d_bwd_data_f32(dy, W, out[1], s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride,
                         s->pad, ws);
  rt_conv2d_bwd_weight_f32(x, dy, out[2], s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride,
                           s->pad, ws);
}

/* The pick of auto for case s and pass, or NULL. */
static const rt_conv_pick *find_pick(const conv_case *s, rt_conv_pass pass) {
  for (int i = 0; i < rt_conv_pick_count(); i++) {
    const rt_conv_pick *p = rt_conv_pick_at(i);
    if (p->pass == pass && p->n == s->n && p->c == s->c && p->h == s->h && p->w == s->w &&
        p->o == s->o && p->kh == s->kh && p->kw == s->kw && p->stride == s->stride &&
        p->pad == s->pad)
      return p;
  }
  return NULL;
}

static void conv_check(check_ctx *t, const conv_case *s, uint64_t stream) {
  const int ho = out_dim(s->h, s->kh, s->stride, s->pad);
  const int wo = out_dim(s->w, s->kw, s->stride, s->pad);
  const size_t nx = (size_t)s->n * s->c * s->h * s->w;
  const size_t nW = (size_t)s->o * s->c * s->kh * s->kw;
  const size_t ny = (size_t)s->n * s->o * ho * wo;
  const size_t nws =
      rt_conv2d_ws_f64(s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad);
  const size_t nws32 =
      rt_conv2d_ws_f32(s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad);
  /* f64: im2col's column matrix; f32: at least that (more where oneDNN
   * may run: its layouts' copies of the tensors) */
  const int pointwise = s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
  tk_equal(t, (long long)nws, pointwise ? 0 : (long long)s->c * s->kh * s->kw * ho * wo,
           "conv2d ws: f64 count == the column matrix");
  tk_equal(t, nws32 >= nws, 1, "conv2d ws: f32 count %zu >= f64 count %zu", nws32, nws);
  double *x = tk_alloc(nx), *W = tk_alloc(nW), *wy = tk_alloc(ny);
  double *ref = tk_alloc(ny), *y = tk_alloc(ny), *ws = tk_alloc(nws);
  tk_rand(x, nx, -1, 1, stream);
  tk_rand(W, nW, -1, 1, stream + 1);
  tk_rand(wy, ny, -1, 1, stream + 2);
  float *x32 = tk_to32(x, nx), *W32 = tk_to32(W, nW), *wy32 = tk_to32(wy, ny);
  float *ws32 = tk_alloc32(nws32);
  char name[96];
  snprintf(name, sizeof name, "conv2d n%d c%d %dx%d o%d k%dx%d s%d p%d", s->n, s->c, s->h, s->w,
           s->o, s->kh, s->kw, s->stride, s->pad);

  conv_ref(s, x, W, ref);
  rt_conv2d_fwd_f64(x, W, y, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad, ws);
  tk_check(t, tk_err(y, ref, ny), 1e-14, "%s fwd f64", name);

  conv_fd f = {s, x, W, wy, y, ws, ny};
  double *dx = tk_alloc(nx), *dW = tk_alloc(nW);
  double *fdx = tk_alloc(nx), *fdW = tk_alloc(nW);
  tk_fd_grad(loss_wrt_x, &f, x, nx, fd_h, fdx);
  tk_fd_grad(loss_wrt_W, &f, W, nW, fd_h, fdW);
  rt_conv2d_bwd_data_f64(wy, W, dx, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad,
                         ws);
  rt_conv2d_bwd_weight_f64(x, wy, dW, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad,
                           ws);
  tk_check(t, tk_err(dx, fdx, nx), fd_tol, "%s bwd_data f64 vs FD", name);
  tk_check(t, tk_err(dW, fdW, nW), fd_tol, "%s bwd_weight f64 vs FD", name);
  /* f32: im2col + GEMM on each backend, oneDNN's convolution pinned, and
   * auto (its first call of the shape times both paths) */
  static const struct {
    rt_gemm_backend backend;
    rt_conv_path path;
  } runs[] = {{RT_GEMM_OPENBLAS, RT_CONV_IM2COL},
              {RT_GEMM_ONEDNN, RT_CONV_IM2COL},
              {RT_GEMM_ONEDNN, RT_CONV_ONEDNN},
              {RT_GEMM_ONEDNN, RT_CONV_AUTO}};
  enum { RUNS = sizeof runs / sizeof runs[0] };
  float *out32[RUNS][3] = {{0}};
  const size_t nout[3] = {ny, nx, nW};
  for (int r = 0; r < RUNS; r++) {
    if (rt_gemm_set_backend(runs[r].backend) != 0 || rt_conv_set_path(runs[r].path) != 0)
      continue;
    char bn[64];
    snprintf(bn, sizeof bn, "%s %s", rt_gemm_backend_name(runs[r].backend),
             rt_conv_path_name(runs[r].path));
    float **o = out32[r];
    for (int k = 0; k < 3; k++)
      o[k] = tk_alloc32(nout[k]);
    conv_passes_f32(s, x32, W32, wy32, o, ws32);
    tk_check(t, tk_err32(o[0], ref, ny), 1e-6, "%s fwd f32 %s", name, bn);
    tk_check(t, tk_err32(o[1], dx, nx), 2e-6, "%s bwd_data f32 %s vs f64", name, bn);
    tk_check(t, tk_err32(o[2], dW, nW), 2e-6, "%s bwd_weight f32 %s vs f64", name, bn);
  }
  /* the two paths pinned agree within f32 rounding; auto's timed call
   * left the bits of the path it picked, and its later calls run that path */
  if (out32[1][0] && out32[2][0]) {
    static const char *const pass[] = {"fwd", "bwd_data", "bwd_weight"};
    for (int k = 0; k < 3; k++) {
      double *im2col = tk_alloc(nout[k]);
      for (size_t i = 0; i < nout[k]; i++)
        im2col[i] = out32[1][k][i];
      tk_check(t, tk_err32(out32[2][k], im2col, nout[k]), 2e-6, "%s %s: onednn vs im2col", name,
               pass[k]);
      free(im2col);
      const rt_conv_pick *p = find_pick(s, (rt_conv_pass)k);
      if (!tk_equal(t, p != NULL, 1, "%s %s: auto picked a path", name, pass[k]))
        continue;
      const float *want = out32[p->pick == RT_CONV_ONEDNN ? 2 : 1][k];
      tk_equal(t, memcmp(out32[3][k], want, nout[k] * sizeof(float)) == 0, 1,
               "%s %s: auto's timed call leaves the bits of its pick (%s)", name, pass[k],
               rt_conv_path_name(p->pick));
    }
    float *again[3];
    for (int k = 0; k < 3; k++)
      again[k] = tk_alloc32(nout[k]);
    const int picks = rt_conv_pick_count();
    conv_passes_f32(s, x32, W32, wy32, again, ws32);
    tk_equal(t, rt_conv_pick_count(), picks, "%s: auto's second call picks nothing new", name);
    for (int k = 0; k < 3; k++) {
      const rt_conv_pick *p = find_pick(s, (rt_conv_pass)k);
      const float *want = out32[p && p->pick == RT_CONV_ONEDNN ? 2 : 1][k];
      tk_equal(t, memcmp(again[k], want, nout[k] * sizeof(float)) == 0, 1,
               "%s %s: auto's second call runs its pick", name, pass[k]);
      free(again[k]);
    }
  }
  for (int r = 0; r < RUNS; r++)
    for (int k = 0; k < 3; k++)
      free(out32[r][k]);
  rt_conv_set_path(RT_CONV_AUTO);
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
#ifdef DUET_ONEDNN
  /* oneDNN's convolution exists for every pass of every case (so the
   * pinned onednn path above ran it) */
  const rt_dnn_conv_shape d = {s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad};
  float *dws = tk_alloc32(rt_dnn_conv_ws(&d));
  float *y32 = tk_alloc32(ny), *dx32 = tk_alloc32(nx), *dW32 = tk_alloc32(nW);
  tk_equal(t, rt_dnn_conv(RT_CONV_FWD, &d, x32, W32, y32, dws), 0, "%s: oneDNN fwd", name);
  tk_equal(t, rt_dnn_conv(RT_CONV_BWD_DATA, &d, wy32, W32, dx32, dws), 0, "%s: oneDNN bwd data",
           name);
  tk_equal(t, rt_dnn_conv(RT_CONV_BWD_WEIGHT, &d, x32, wy32, dW32, dws), 0, "%s: oneDNN bwd weight",
           name);
  free(dws), free(y32), free(dx32), free(dW32);
#endif

  free(x), free(W), free(wy), free(ref), free(y), free(ws);
  free(x32), free(W32), free(wy32), free(ws32);
  free(dx), free(dW), free(fdx), free(fdW);
}

/* Pins on the oneDNN backend (case s already picked): auto runs each
 * pass by the path pinned, untimed, as the pinned setting of that path
 * does, bit for bit; a pin replaces the pick and adds none. */
static void conv_pin_check(check_ctx *t, const conv_case *s) {
  const int ho = out_dim(s->h, s->kh, s->stride, s->pad);
  const int wo = out_dim(s->w, s->kw, s->stride, s->pad);
  const size_t nout[3] = {(size_t)s->n * s->o * ho * wo, (size_t)s->n * s->c * s->h * s->w,
                          (size_t)s->o * s->c * s->kh * s->kw};
  const size_t nws =
      rt_conv2d_ws_f32(s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad);
  double *x = tk_alloc(nout[1]), *W = tk_alloc(nout[2]), *wy = tk_alloc(nout[0]);
  tk_rand(x, nout[1], -1, 1, 901);
  tk_rand(W, nout[2], -1, 1, 902);
  tk_rand(wy, nout[0], -1, 1, 903);
  float *x32 = tk_to32(x, nout[1]), *W32 = tk_to32(W, nout[2]), *wy32 = tk_to32(wy, nout[0]);
  float *ws = tk_alloc32(nws), *want[3], *got[3];
  for (int k = 0; k < 3; k++)
    want[k] = tk_alloc32(nout[k]), got[k] = tk_alloc32(nout[k]);
  const rt_conv_path paths[] = {RT_CONV_ONEDNN, RT_CONV_IM2COL};
  const int picks = rt_conv_pick_count();
  for (int i = 0; i < 2; i++) {
    rt_conv_set_path(paths[i]);
    conv_passes_f32(s, x32, W32, wy32, want, ws);
    rt_conv_set_path(RT_CONV_AUTO);
    for (int k = 0; k < 3; k++) {
      const rt_conv_pick pin = {.pass = (rt_conv_pass)k,
                                .n = s->n,
                                .c = s->c,
                                .h = s->h,
                                .w = s->w,
                                .o = s->o,
                                .kh = s->kh,
                                .kw = s->kw,
                                .stride = s->stride,
                                .pad = s->pad,
                                .pick = paths[i],
                                .pinned = 1};
      rt_conv_pin(&pin);
    }
    conv_passes_f32(s, x32, W32, wy32, got, ws);
    const char *name = rt_conv_path_name(paths[i]);
    tk_equal(t, rt_conv_pick_count(), picks, "conv2d pinned %s: no pick added", name);
    for (int k = 0; k < 3; k++) {
      const rt_conv_pick *p = find_pick(s, (rt_conv_pass)k);
      tk_equal(t, p->pinned && p->pick == paths[i] && p->im2col_s == 0 && p->onednn_s == 0, 1,
               "conv2d pinned %s: pass %d's pick is the pin as given", name, k);
      tk_equal(t, memcmp(got[k], want[k], nout[k] * sizeof(float)) == 0, 1,
               "conv2d pinned %s: auto runs pass %d by the pin, bit for bit", name, k);
    }
  }
  for (int k = 0; k < 3; k++)
    free(want[k]), free(got[k]);
  free(x), free(W), free(wy), free(x32), free(W32), free(wy32), free(ws);
}

/* The agreement hook of test_conv_agree: counts its calls, answers the
 * other path. */
static rt_conv_path other_path(void *arg, rt_conv_path own) {
  ++*(int *)arg;
  return own == RT_CONV_ONEDNN ? RT_CONV_IM2COL : RT_CONV_ONEDNN;
}

/* With an agreement hook (oneDNN backend, auto): a new shape's three
 * passes each call it once, keep the path it answers (the other one) and
 * leave that path's bits; later calls and a pinned shape (s with fewer
 * filters) do not call it. */
static void conv_agree_check(check_ctx *t, const conv_case *s) {
  const int ho = out_dim(s->h, s->kh, s->stride, s->pad);
  const int wo = out_dim(s->w, s->kw, s->stride, s->pad);
  const size_t nout[3] = {(size_t)s->n * s->o * ho * wo, (size_t)s->n * s->c * s->h * s->w,
                          (size_t)s->o * s->c * s->kh * s->kw};
  conv_case pinned = *s;
  pinned.o = 1;
  const size_t nws =
      rt_conv2d_ws_f32(s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad);
  const size_t nws1 = rt_conv2d_ws_f32(s->n, s->c, s->h, s->w, 1, s->kh, s->kw, s->stride, s->pad);
  double *x = tk_alloc(nout[1]), *W = tk_alloc(nout[2]), *wy = tk_alloc(nout[0]);
  tk_rand(x, nout[1], -1, 1, 911);
  tk_rand(W, nout[2], -1, 1, 912);
  tk_rand(wy, nout[0], -1, 1, 913);
  float *x32 = tk_to32(x, nout[1]), *W32 = tk_to32(W, nout[2]), *wy32 = tk_to32(wy, nout[0]);
  float *ws = tk_alloc32(nws > nws1 ? nws : nws1), *path_out[2][3], *got[3];
  for (int k = 0; k < 3; k++) {
    got[k] = tk_alloc32(nout[k]);
    for (int i = 0; i < 2; i++)
      path_out[i][k] = tk_alloc32(nout[k]);
  }
  rt_conv_set_path(RT_CONV_IM2COL);
  conv_passes_f32(s, x32, W32, wy32, path_out[0], ws);
  rt_conv_set_path(RT_CONV_ONEDNN);
  conv_passes_f32(s, x32, W32, wy32, path_out[1], ws);
  rt_conv_set_path(RT_CONV_AUTO);
  int calls = 0;
  rt_conv_agree_set(other_path, &calls);
  conv_passes_f32(s, x32, W32, wy32, got, ws);
  tk_equal(t, calls, 3, "conv2d agreed: the hook called once per pass");
  for (int k = 0; k < 3; k++) {
    const rt_conv_pick *p = find_pick(s, (rt_conv_pass)k);
    const int onednn = p->pick == RT_CONV_ONEDNN;
    tk_equal(t, p->pick == (p->onednn_s < p->im2col_s ? RT_CONV_IM2COL : RT_CONV_ONEDNN), 1,
             "conv2d agreed: pass %d keeps the hook's path, not its own", k);
    tk_equal(t, memcmp(got[k], path_out[onednn][k], nout[k] * sizeof(float)) == 0, 1,
             "conv2d agreed: pass %d leaves the bits of the hook's path", k);
  }
  conv_passes_f32(s, x32, W32, wy32, got, ws);
  for (int k = 0; k < 3; k++) {
    const rt_conv_pick pin = {.pass = (rt_conv_pass)k,
                              .n = pinned.n,
                              .c = pinned.c,
                              .h = pinned.h,
                              .w = pinned.w,
                              .o = pinned.o,
                              .kh = pinned.kh,
                              .kw = pinned.kw,
                              .stride = pinned.stride,
                              .pad = pinned.pad,
                              .pick = RT_CONV_ONEDNN,
                              .pinned = 1};
    rt_conv_pin(&pin);
  }
  conv_passes_f32(&pinned, x32, W32, wy32, got, ws); /* smaller than s's */
  tk_equal(t, calls, 3, "conv2d agreed: no call for agreed and pinned picks");
  rt_conv_agree_set(NULL, NULL);
  for (int k = 0; k < 3; k++) {
    free(got[k]);
    for (int i = 0; i < 2; i++)
      free(path_out[i][k]);
  }
  free(x), free(W), free(wy), free(x32), free(W32), free(wy32), free(ws);
}

static void test_conv(check_ctx *t) {
  static const conv_case cases[] = {
      {1, 1, 1, 1, 1, 1, 1, 1, 0},   /* scalar */
      {2, 3, 7, 13, 5, 3, 3, 1, 1},  /* "same" 3x3 */
      {3, 2, 8, 9, 4, 1, 1, 1, 0},   /* pointwise: no im2col */
      {1, 3, 13, 11, 7, 5, 3, 2, 2}, /* rectangular kernel, stride 2 */
      {2, 1, 5, 5, 2, 3, 3, 3, 0},   /* stride 3 */
      {1, 2, 4, 6, 3, 2, 2, 2, 1},   /* even kernel, stride 2, pad 1 */
      {2, 2, 3, 3, 3, 2, 2, 1, 2},   /* pad >= kernel: empty borders */
      {1, 2, 7, 7, 3, 1, 1, 2, 1},   /* 1x1 with stride and pad */
      /* stride 1 with output width == input width: contiguous runs */
      {2, 3, 9, 11, 4, 5, 5, 1, 2}, /* "same" 5x5 */
      {1, 2, 6, 9, 3, 3, 5, 1, 2},  /* taller output than input */
      {2, 2, 7, 5, 3, 3, 1, 1, 0},  /* 3x1, no padding */
      {1, 1, 2, 1, 2, 4, 1, 1, 1},  /* 1-wide image, pad wider than it */
      /* 16 or more input channels (the channel blocks of oneDNN's layouts) */
      {2, 16, 6, 7, 5, 3, 3, 1, 1},  /* "same" 3x3 */
      {1, 17, 7, 5, 3, 3, 2, 2, 1},  /* rectangular kernel, stride 2, 17 channels */
      {2, 20, 4, 4, 18, 1, 1, 1, 0}, /* pointwise */
      {1, 16, 5, 5, 4, 2, 2, 2, 2},  /* pad >= kernel */
  };
  enum { CASES = sizeof cases / sizeof cases[0] };
  for (size_t i = 0; i < CASES; i++)
    conv_check(t, &cases[i], 10 * (i + 1));
  /* auto's table: one pick per shape and pass, each im2col or onednn, the
   * faster of its two times */
  if (rt_gemm_set_backend(RT_GEMM_ONEDNN) != 0)
    return;
  tk_equal(t, rt_conv_pick_count(), 3 * CASES, "conv2d auto: one pick per shape and pass");
  for (size_t i = 0; i < CASES; i++)
    for (int k = 0; k < 3; k++) {
      const rt_conv_pick *p = find_pick(&cases[i], (rt_conv_pass)k);
      if (!tk_equal(t, p != NULL, 1, "conv2d auto: a pick for case %zu pass %d", i, k))
        continue;
      const int timed = p->onednn_s >= 0 && p->im2col_s > 0;
      tk_equal(t, timed, 1, "conv2d auto: case %zu pass %d: both paths timed", i, k);
      tk_equal(t, p->pick, p->onednn_s < p->im2col_s ? RT_CONV_ONEDNN : RT_CONV_IM2COL,
               "conv2d auto: case %zu pass %d: the faster picked", i, k);
    }
  conv_pin_check(t, &cases[12]);
  static const conv_case fresh = {1, 3, 9, 9, 4, 3, 3, 1, 1}; /* not picked yet */
  conv_agree_check(t, &fresh);
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
}

/* ---- pooling ------------------------------------------------------------ */

typedef struct {
  int n, c, h, w, k, stride, is_max;
} pool_case;

static void pool_ref(const pool_case *p, const double *x, double *y) {
  const int ho = (p->h - p->k) / p->stride + 1;
  const int wo = (p->w - p->k) / p->stride + 1;
  for (int pl = 0; pl < p->n * p->c; pl++)
    for (int oh = 0; oh < ho; oh++)
      for (int ow = 0; ow < wo; ow++) {
        double acc = p->is_max ? -1e300 : 0;
        for (int ki = 0; ki < p->k; ki++)
          for (int kj = 0; kj < p->k; kj++) {
            const double v =
                x[((long)pl * p->h + oh * p->stride + ki) * p->w + ow * p->stride + kj];
            acc = p->is_max ? (v > acc ? v : acc) : acc + v;
          }
        y[((long)pl * ho + oh) * wo + ow] = p->is_max ? acc : acc / (p->k * p->k);
      }
}

typedef struct {
  const pool_case *p;
  const double *wy;
  double *y;
  size_t ny;
} pool_fd;

static void pool_fwd64(const pool_case *p, const double *x, double *y) {
  (p->is_max ? rt_maxpool2d_fwd_f64 : rt_avgpool2d_fwd_f64)(x, y, p->n, p->c, p->h, p->w, p->k,
                                                            p->stride);
}

static double pool_loss(void *ctx, const double *x) {
  pool_fd *f = ctx;
  pool_fwd64(f->p, x, f->y);
  return tk_dot(f->wy, f->y, f->ny);
}

static void pool_check(check_ctx *t, const pool_case *p, uint64_t stream) {
  const int ho = (p->h - p->k) / p->stride + 1;
  const int wo = (p->w - p->k) / p->stride + 1;
  const size_t nx = (size_t)p->n * p->c * p->h * p->w;
  const size_t ny = (size_t)p->n * p->c * ho * wo;
  double *x = tk_alloc(nx), *wy = tk_alloc(ny), *ref = tk_alloc(ny);
  double *y = tk_alloc(ny), *dx = tk_alloc(nx), *fdx = tk_alloc(nx);
  tk_rand(x, nx, -1, 1, stream);
  tk_rand(wy, ny, -1, 1, stream + 1);
  float *x32 = tk_to32(x, nx), *wy32 = tk_to32(wy, ny);
  float *y32 = tk_alloc32(ny), *dx32 = tk_alloc32(nx);
  char name[96];
  snprintf(name, sizeof name, "%spool n%d c%d %dx%d k%d s%d", p->is_max ? "max" : "avg", p->n, p->c,
           p->h, p->w, p->k, p->stride);

  pool_ref(p, x, ref);
  pool_fwd64(p, x, y);
  (p->is_max ? rt_maxpool2d_fwd_f32 : rt_avgpool2d_fwd_f32)(x32, y32, p->n, p->c, p->h, p->w, p->k,
                                                            p->stride);
  tk_check(t, tk_err(y, ref, ny), 1e-15, "%s fwd f64", name);
  tk_check(t, tk_err32(y32, ref, ny), 1e-7, "%s fwd f32", name);

  pool_fd f = {p, wy, y, ny};
  tk_fd_grad(pool_loss, &f, x, nx, fd_h, fdx);
  if (p->is_max) {
    rt_maxpool2d_bwd_f64(x, wy, dx, p->n, p->c, p->h, p->w, p->k, p->stride);
    rt_maxpool2d_bwd_f32(x32, wy32, dx32, p->n, p->c, p->h, p->w, p->k, p->stride);
  } else {
    rt_avgpool2d_bwd_f64(wy, dx, p->n, p->c, p->h, p->w, p->k, p->stride);
    rt_avgpool2d_bwd_f32(wy32, dx32, p->n, p->c, p->h, p->w, p->k, p->stride);
  }
  tk_check(t, tk_err(dx, fdx, nx), fd_tol, "%s bwd f64 vs FD", name);
  tk_check(t, tk_err32(dx32, dx, nx), 1e-6, "%s bwd f32 vs f64", name);
  free(x), free(wy), free(ref), free(y), free(dx), free(fdx);
  free(x32), free(wy32), free(y32), free(dx32);
}

/* Ties: the first maximum of each window (row-major scan) gets dy. */
static void test_maxpool_ties(check_ctx *t) {
  const double x[16] = {1, 1, 0, 2,  /* window (0,0): first 1 at (0,0) */
                        1, 0, 2, 2,  /* window (0,1): first 2 at (0,3) */
                        3, 5, 4, 4,  /* window (1,0): 5 at (2,1) */
                        5, 0, 4, 4}; /* window (1,1): first 4 at (2,2) */
  const double dy[4] = {1, 2, 3, 4};
  double dx[16];
  const double want[16] = {1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0};
  rt_maxpool2d_bwd_f64(x, dy, dx, 1, 1, 4, 4, 2, 2);
  tk_check(t, tk_err(dx, want, 16), 0, "maxpool bwd routes ties to the first maximum");
}

/* 2 x 2 windows of stride 2 tiling the plane take a vectorized path in
 * both passes: bit for bit the general loop's result (the same plane with
 * an extra row and column, which no window reads). The values are few
 * levels with -0, +0 and NaNs (ties in every order, a NaN at each window
 * position), dy has -0; the rows are 2 x 37 wide so that the vector loop,
 * its shorter epilogue and the scalar tail all run. */
enum { P2_H = 6, P2_W = 74, P2_HO = 3, P2_WO = 37 };

#define TEST_MAXPOOL_2X2(T, SFX)                                                          \
  static int maxpool_2x2_same##SFX(const double *r) {                                     \
    static const T levels[] = {-1, -0.0, 0, 1, NAN};                                      \
    T x[P2_H * P2_W], xo[(P2_H + 1) * (P2_W + 1)] = {0}, dy[P2_HO * P2_WO];               \
    T y[P2_HO * P2_WO], yo[P2_HO * P2_WO], dx[P2_H * P2_W], dxo[(P2_H + 1) * (P2_W + 1)]; \
    for (int i = 0; i < P2_H * P2_W; i++)                                                 \
      x[i] = levels[(int)((r[i] + 1) * 2.5) % 5];                                         \
    for (int i = 0; i < P2_HO * P2_WO; i++)                                               \
      dy[i] = i % 7 == 3 ? (T)-0.0 : (T)(i - 40);                                         \
    for (int i = 0; i < P2_H; i++)                                                        \
      for (int j = 0; j < P2_W; j++)                                                      \
        xo[i * (P2_W + 1) + j] = x[i * P2_W + j];                                         \
    rt_maxpool2d_fwd##SFX(x, y, 1, 1, P2_H, P2_W, 2, 2);                                  \
    rt_maxpool2d_fwd##SFX(xo, yo, 1, 1, P2_H + 1, P2_W + 1, 2, 2);                        \
    rt_maxpool2d_bwd##SFX(x, dy, dx, 1, 1, P2_H, P2_W, 2, 2);                             \
    rt_maxpool2d_bwd##SFX(xo, dy, dxo, 1, 1, P2_H + 1, P2_W + 1, 2, 2);                   \
    int same = memcmp(y, yo, sizeof y) == 0;                                              \
    for (int i = 0; i < P2_H; i++)                                                        \
      same &= memcmp(dx + i * P2_W, dxo + i * (P2_W + 1), P2_W * sizeof(T)) == 0;         \
    return same;                                                                          \
  }
TEST_MAXPOOL_2X2(float, _f32)
TEST_MAXPOOL_2X2(double, _f64)
#undef TEST_MAXPOOL_2X2

static void test_maxpool_2x2_path(check_ctx *t) {
  double r[P2_H * P2_W];
  tk_rand(r, P2_H * P2_W, -1, 1, 77);
  /* every window position holds a NaN somewhere */
  for (int k = 0; k < 4; k++)
    r[(k / 2) * P2_W + 2 * k + k % 2] = 0.99;
  tk_check(t, maxpool_2x2_same_f32(r) ? 0 : 1, 0,
           "maxpool 2x2 stride 2 f32: the general loop's bits");
  tk_check(t, maxpool_2x2_same_f64(r) ? 0 : 1, 0,
           "maxpool 2x2 stride 2 f64: the general loop's bits");
}

static void test_pool(check_ctx *t) {
  static const pool_case cases[] = {
      {2, 3, 7, 9, 2, 2, 1}, {1, 1, 5, 5, 3, 1, 1},  {2, 2, 8, 6, 3, 2, 1},
      {1, 1, 1, 1, 1, 1, 1}, {2, 3, 7, 9, 2, 2, 0},  {1, 1, 5, 5, 3, 1, 0},
      {2, 2, 8, 6, 3, 2, 0}, {1, 2, 13, 7, 4, 3, 0}, {2, 3, 8, 10, 2, 2, 1}, /* the 2 x 2 path */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    pool_check(t, &cases[i], 500 + 10 * i);
  test_maxpool_ties(t);
  test_maxpool_2x2_path(t);
}

int main(void) {
  check_ctx t = {0};
  rt_set_threads(1);
  test_conv(&t);
  test_pool(&t);
  return check_done(&t, "test_kernels_conv");
}
