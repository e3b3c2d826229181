/*
 * kernels_conv.c - 2-D convolution (NCHW, stride, zero padding) by im2col +
 * GEMM: forward, backward to the input (GEMM + col2im) and backward to the
 * weights (GEMM accumulated over the batch); with the oneDNN backend, f32
 * passes run on the path the setting names or, under RT_CONV_AUTO, on the
 * faster of im2col + GEMM and oneDNN's convolution primitive as timed on
 * the first call of each shape and pass, or as pinned (the table of picks,
 * rt_kernels.h).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rt_dnn.h"
#include "rt_io.h"
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
static rt_dnn_conv_shape dnn_shape(const conv_shape *s, int n) {
  const rt_dnn_conv_shape d = {n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad};
  return d;
}

/* floats of ws the oneDNN path of this shape needs (0: it never runs). */
static size_t conv_dnn_ws_f32(const conv_shape *s, int n) {
  if (n < 1)
    return 0;
  const rt_dnn_conv_shape d = dnn_shape(s, n);
  return rt_dnn_conv_ws(&d);
}

/* One pass on oneDNN: 0 when it ran, -1 when it has no primitive for it. */
static int conv_dnn_f32(rt_conv_pass pass, const conv_shape *s, int n, const float *in0,
                        const float *in1, float *out, float *ws) {
  const rt_dnn_conv_shape d = dnn_shape(s, n);
  return rt_dnn_conv(pass, &d, in0, in1, out, ws);
}

static void conv_im2col_f32(rt_conv_pass pass, const conv_shape *s, int n, const float *in0,
                            const float *in1, float *out, float *ws);
static void conv_run_f32(rt_conv_pass pass, const conv_shape *s, int n, const float *in0,
                         const float *in1, float *out, float *ws);
#else
#define conv_dnn_ws_f32(s, n) ((void)(s), (void)(n), (size_t)0)
#define conv_run_f32          conv_im2col_f32
#endif
/* f64 convolutions stay on im2col + GEMM. */
#define conv_dnn_ws_f64(s, n) ((void)(s), (void)(n), (size_t)0)
#define conv_run_f64          conv_im2col_f64

#define RT_IMPL "kernels_conv_impl.h"
#include "kernels_instantiate.h"

/* ---- the path setting ---------------------------------------------------------- */

static rt_conv_path conv_path = RT_CONV_AUTO;

static const char *const path_names[] = {"auto", "im2col", "onednn"};
static const char *const pass_names[] = {"fwd", "bwd_data", "bwd_weight"};

int rt_conv_set_path(rt_conv_path p) {
  assert(p == RT_CONV_AUTO || p == RT_CONV_IM2COL || p == RT_CONV_ONEDNN);
#ifdef DUET_ONEDNN
  if (p == RT_CONV_ONEDNN && !rt_dnn_ready())
    return -1;
#else
  if (p == RT_CONV_ONEDNN)
    return -1;
#endif
  conv_path = p;
  return 0;
}

rt_conv_path rt_conv_get_path(void) { return conv_path; }

const char *rt_conv_path_name(rt_conv_path p) {
  assert(p == RT_CONV_AUTO || p == RT_CONV_IM2COL || p == RT_CONV_ONEDNN);
  return path_names[p];
}

int rt_conv_path_parse(const char *name, rt_conv_path *p) {
  for (int i = 0; i < 3; i++)
    if (strcmp(name, path_names[i]) == 0) {
      *p = (rt_conv_path)i;
      return 0;
    }
  return -1;
}

const char *rt_conv_pass_name(rt_conv_pass p) {
  assert(p == RT_CONV_FWD || p == RT_CONV_BWD_DATA || p == RT_CONV_BWD_WEIGHT);
  return pass_names[p];
}

/* ---- the table of picks ----------------------------------------------------------- */

static struct {
  rt_conv_pick *pick; /* owned; grows, never shrinks */
  char *agreed;       /* owned: pick i set by rt_conv_pin or through the agreement hook */
  int count, cap;
} picks;

/* The agreement hook (rt_conv_agree_set), or NULL. */
static rt_conv_agree_fn agree_fn;
static void *agree_arg;

void rt_conv_agree_set(rt_conv_agree_fn fn, void *arg) { agree_fn = fn, agree_arg = arg; }

int rt_conv_pick_count(void) { return picks.count; }

const rt_conv_pick *rt_conv_pick_at(int i) {
  assert(i >= 0 && i < picks.count);
  return &picks.pick[i];
}

static int same_key(const rt_conv_pick *a, const rt_conv_pick *b) {
  return a->pass == b->pass && a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w &&
         a->o == b->o && a->kh == b->kh && a->kw == b->kw && a->stride == b->stride &&
         a->pad == b->pad;
}

/* The pick of key k, or NULL. */
static rt_conv_pick *pick_find(const rt_conv_pick *k) {
  for (int i = 0; i < picks.count; i++)
    if (same_key(&picks.pick[i], k))
      return &picks.pick[i];
  return NULL;
}

/* Adds pick p (agreed or not); returns its index. */
static int pick_add(const rt_conv_pick *p, int agreed) {
  if (picks.count == picks.cap) {
    const int cap = picks.cap ? 2 * picks.cap : 16;
    rt_conv_pick *grown = realloc(picks.pick, (size_t)cap * sizeof *grown);
    char *flags = grown ? realloc(picks.agreed, (size_t)cap) : NULL;
    if (!grown || !flags)
      abort();
    picks.pick = grown, picks.agreed = flags, picks.cap = cap;
  }
  picks.pick[picks.count] = *p;
  picks.agreed[picks.count] = (char)agreed;
  return picks.count++;
}

void rt_conv_pin(const rt_conv_pick *p) {
  assert(p->pick == RT_CONV_IM2COL || p->pick == RT_CONV_ONEDNN);
  rt_conv_pick *found = pick_find(p);
  if (found) {
    *found = *p;
    picks.agreed[found - picks.pick] = 1;
  } else {
    pick_add(p, 1);
  }
}

#ifdef DUET_ONEDNN
static rt_conv_pick pick_key(rt_conv_pass pass, const conv_shape *s, int n) {
  const rt_conv_pick k = {.pass = pass,
                          .n = n,
                          .c = s->c,
                          .h = s->h,
                          .w = s->w,
                          .o = s->o,
                          .kh = s->kh,
                          .kw = s->kw,
                          .stride = s->stride,
                          .pad = s->pad,
                          .pick = RT_CONV_IM2COL};
  return k;
}

/* ---- the two paths of an f32 pass -------------------------------------------------- */

static double median(double *v, int n) {
  for (int i = 1; i < n; i++) /* insertion sort: a handful of values */
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      const double t = v[j];
      v[j] = v[j - 1], v[j - 1] = t;
    }
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One pass by path p (RT_CONV_IM2COL or RT_CONV_ONEDNN): 0 when it ran,
 * -1 when oneDNN has no primitive for it (nothing written). */
static int conv_by(rt_conv_path p, rt_conv_pass pass, const conv_shape *s, int n, const float *in0,
                   const float *in1, float *out, float *ws) {
  if (p == RT_CONV_ONEDNN)
    return conv_dnn_f32(pass, s, n, in0, in1, out, ws);
  conv_im2col_f32(pass, s, n, in0, in1, out, ws);
  return 0;
}

/* RT_CONV_AUTO's first call of a shape and pass: times both paths (round r
 * runs im2col first when r is even, oneDNN first when odd), adds the pick
 * (not agreed) and leaves the picked path's result in out; returns the
 * pick's index. */
static int conv_time(const rt_conv_pick *k, const conv_shape *s, const float *in0, const float *in1,
                     float *out, float *ws) {
  rt_conv_pick p = *k;
  if (conv_dnn_f32(p.pass, s, p.n, in0, in1, out, ws) != 0) { /* creates the primitive */
    p.onednn_s = -1;
    p.im2col_s = 0;
    conv_im2col_f32(p.pass, s, p.n, in0, in1, out, ws);
    return pick_add(&p, 0);
  }
  double t[2][RT_CONV_TIMED_RUNS];
  rt_conv_path last = RT_CONV_ONEDNN;
  for (int r = 0; r < RT_CONV_TIMED_RUNS; r++)
    for (int j = 0; j < 2; j++) {
      const int onednn = (j + r) % 2;
      last = onednn ? RT_CONV_ONEDNN : RT_CONV_IM2COL;
      const double t0 = rt_now_s();
      const int rc = conv_by(last, p.pass, s, p.n, in0, in1, out, ws);
      t[onednn][r] = rt_now_s() - t0;
      assert(rc == 0 && "a created oneDNN convolution runs");
      (void)rc;
    }
  p.im2col_s = median(t[0], RT_CONV_TIMED_RUNS);
  p.onednn_s = median(t[1], RT_CONV_TIMED_RUNS);
  p.pick = p.onednn_s < p.im2col_s ? RT_CONV_ONEDNN : RT_CONV_IM2COL;
  if (p.pick != last)
    conv_by(p.pick, p.pass, s, p.n, in0, in1, out, ws);
  return pick_add(&p, 0);
}

/* Pick i made agreed: the hook's path (rank 0's) replaces it. Returns
 * whether the path changed. */
static int agree(int i) {
  const rt_conv_path own = picks.pick[i].pick, p = agree_fn(agree_arg, own);
  assert(p == RT_CONV_IM2COL || p == RT_CONV_ONEDNN);
  picks.pick[i].pick = p;
  picks.agreed[i] = 1;
  return p != own;
}

/* An f32 pass on its path (rt_kernels.h, "convolution paths"). */
static void conv_run_f32(rt_conv_pass pass, const conv_shape *s, int n, const float *in0,
                         const float *in1, float *out, float *ws) {
  if (conv_path != RT_CONV_IM2COL && n >= 1 && rt_gemm_get_backend() == RT_GEMM_ONEDNN) {
    rt_conv_path p = RT_CONV_ONEDNN;
    if (conv_path == RT_CONV_AUTO) {
      const rt_conv_pick k = pick_key(pass, s, n);
      const rt_conv_pick *found = pick_find(&k);
      const int timed = found ? -1 : conv_time(&k, s, in0, in1, out, ws);
      const int i = found ? (int)(found - picks.pick) : timed;
      const int changed = agree_fn && !picks.agreed[i] && agree(i);
      if (timed >= 0 && !changed)
        return; /* the timed call left its pick's result */
      p = picks.pick[i].pick;
    }
    if (conv_by(p, pass, s, n, in0, in1, out, ws) == 0)
      return;
  }
  conv_im2col_f32(pass, s, n, in0, in1, out, ws);
}
#endif
