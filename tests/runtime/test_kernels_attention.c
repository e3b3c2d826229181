/*
 * test_kernels_attention.c - multi-head attention (causal, and
 * bidirectional with as many or other numbers of keys than queries) and
 * RoPE: forward (outputs and saved probabilities) in f32 and f64 against
 * naive loops, backward (f64) against central finite differences of
 * <w, out>, f32 backward against f64; sequence lengths beyond one 64-row
 * block, and one block large enough for f32 products on oneDNN (batched
 * over all (b, h); checked against f64 only); attention and RoPE on
 * strided views of [B, T, H, D] buffers against the row-major kernels.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"
#include "test_kernels_util.h"

static const double fd_h = 1e-5, fd_tol = 1e-6;

typedef struct {
  int B, H, Tq, Tk, D;
  double scale;
  int causal;
} att_case;

static void att_ref(const att_case *a, const double *q, const double *k, const double *v,
                    double *out, double *probs) {
  const int Tq = a->Tq, Tk = a->Tk, D = a->D;
  for (int p = 0; p < a->B * a->H; p++) {
    const double *qp = q + (long)p * Tq * D, *kp = k + (long)p * Tk * D;
    const double *vp = v + (long)p * Tk * D;
    double *P = probs + (long)p * Tq * Tk, *op = out + (long)p * Tq * D;
    for (int i = 0; i < Tq; i++) {
      double m = -INFINITY, sum = 0;
      const int n = a->causal ? i + 1 : Tk;
      for (int j = 0; j < Tk; j++) {
        double s = 0;
        for (int d = 0; d < D; d++)
          s += qp[i * D + d] * kp[j * D + d];
        P[i * Tk + j] = a->scale * s;
        if (j < n && P[i * Tk + j] > m)
          m = P[i * Tk + j];
      }
      for (int j = 0; j < Tk; j++) {
        P[i * Tk + j] = j < n ? exp(P[i * Tk + j] - m) : 0;
        sum += P[i * Tk + j];
      }
      for (int j = 0; j < Tk; j++)
        P[i * Tk + j] /= sum;
      for (int d = 0; d < D; d++) {
        double s = 0;
        for (int j = 0; j < Tk; j++)
          s += P[i * Tk + j] * vp[j * D + d];
        op[i * D + d] = s;
      }
    }
  }
}

/* Row-major strides of [B, H, T, D] (sB, sH, sT), and of the [B, T, H, D]
 * layout that split_heads views and merge_heads reads. */
#define RM(a, T)   (long)(a)->H *(T) * (a)->D, (long)(T) * (a)->D, (long)(a)->D
#define BTHD(a, T) (long)(T) * (a)->H *(a)->D, (long)(a)->D, (long)(a)->H *(a)->D

static void att_fwd64(const att_case *a, const double *q, const double *k, const double *v,
                      double *out, double *probs) {
  rt_attention_fwd_f64(q, RM(a, a->Tq), k, RM(a, a->Tk), v, RM(a, a->Tk), out, RM(a, a->Tq), probs,
                       a->B, a->H, a->Tq, a->Tk, a->D, a->scale, a->causal);
}

static void att_fwd32(const att_case *a, const float *q, const float *k, const float *v, float *out,
                      float *probs) {
  rt_attention_fwd_f32(q, RM(a, a->Tq), k, RM(a, a->Tk), v, RM(a, a->Tk), out, RM(a, a->Tq), probs,
                       a->B, a->H, a->Tq, a->Tk, a->D, (float)a->scale, a->causal);
}

static void att_bwd64(const att_case *a, const double *q, const double *k, const double *v,
                      const double *probs, const double *dout, double *dq, double *dk, double *dv,
                      double *ws) {
  rt_attention_bwd_f64(q, RM(a, a->Tq), k, RM(a, a->Tk), v, RM(a, a->Tk), probs, dout, RM(a, a->Tq),
                       dq, RM(a, a->Tq), dk, RM(a, a->Tk), dv, RM(a, a->Tk), a->B, a->H, a->Tq,
                       a->Tk, a->D, a->scale, a->causal, ws);
}

static void att_bwd32(const att_case *a, const float *q, const float *k, const float *v,
                      const float *probs, const float *dout, float *dq, float *dk, float *dv,
                      float *ws) {
  rt_attention_bwd_f32(q, RM(a, a->Tq), k, RM(a, a->Tk), v, RM(a, a->Tk), probs, dout, RM(a, a->Tq),
                       dq, RM(a, a->Tq), dk, RM(a, a->Tk), dv, RM(a, a->Tk), a->B, a->H, a->Tq,
                       a->Tk, a->D, (float)a->scale, a->causal, ws);
}

/* x [B, H, T, D] row-major <-> the [B, T, H, D] layout (to_bthd: which way),
 * for doubles (size 8) or floats (size 4). */
static void att_relayout(const att_case *a, int T, const void *from, void *to, size_t size,
                         int to_bthd) {
  for (int b = 0; b < a->B; b++)
    for (int h = 0; h < a->H; h++)
      for (int t = 0; t < T; t++) {
        const long rm = (((long)b * a->H + h) * T + t) * a->D;
        const long v = (((long)b * T + t) * a->H + h) * a->D;
        memcpy((char *)to + size * (to_bthd ? v : rm),
               (const char *)from + size * (to_bthd ? rm : v), size * a->D);
      }
}

/* <w, attention(q, k, v)> as a function of one of q, k, v. */
typedef struct {
  const att_case *a;
  const double *q, *k, *v, *w;
  int which; /* 0: q, 1: k, 2: v */
  double *out, *probs;
} att_fd;

static double att_loss(void *ctx, const double *x) {
  att_fd *f = ctx;
  const att_case *a = f->a;
  att_fwd64(a, f->which == 0 ? x : f->q, f->which == 1 ? x : f->k, f->which == 2 ? x : f->v, f->out,
            f->probs);
  return tk_dot(f->w, f->out, (size_t)a->B * a->H * a->Tq * a->D);
}

/* fwd and bwd with the tensors of `mask` (bit i of q, k, v, dout, out, dq,
 * dk, dv) read or written through [B, T, H, D] views (split_heads' and
 * merge_heads' layouts), the others row-major, against the row-major
 * kernels: bit-identical in f64 (the same OpenBLAS products per (b, h)),
 * within f32 rounding in f32 (oneDNN may block the products on views
 * otherwise). in: q, k, v; w: dout. */
static void att_views(check_ctx *t, const att_case *a, double *const *in, const double *w,
                      unsigned mask, const char *name) {
  const size_t nq = (size_t)a->B * a->H * a->Tq * a->D, nk = (size_t)a->B * a->H * a->Tk * a->D;
  const size_t np = (size_t)a->B * a->H * a->Tq * a->Tk;
  const size_t nws = rt_attention_ws_f64(a->B, a->H, a->Tq, a->Tk, a->D);
  const int T[8] = {a->Tq, a->Tk, a->Tk, a->Tq, a->Tq, a->Tq, a->Tk, a->Tk};
  const double *src[4] = {in[0], in[1], in[2], w};
  double *x[8], *want[4];
  float *x32[8], *want32[4], *s32[4];
  long st[8][3];
  for (int i = 0; i < 8; i++) {
    const size_t n = T[i] == a->Tq ? nq : nk;
    const int view = (mask >> i) & 1;
    const long rm[3] = {RM(a, T[i])}, bthd[3] = {BTHD(a, T[i])};
    memcpy(st[i], view ? bthd : rm, sizeof st[i]);
    x[i] = tk_alloc(n), x32[i] = tk_alloc32(n);
    if (i < 4) {
      s32[i] = tk_to32(src[i], n);
      memcpy(x[i], src[i], n * sizeof(double));
      memcpy(x32[i], s32[i], n * sizeof(float));
      if (view) {
        att_relayout(a, T[i], src[i], x[i], sizeof(double), 1);
        att_relayout(a, T[i], s32[i], x32[i], sizeof(float), 1);
      }
    } else {
      want[i - 4] = tk_alloc(n), want32[i - 4] = tk_alloc32(n);
    }
  }
  double *probs = tk_alloc(np), *probsv = tk_alloc(np), *ws = tk_alloc(nws);
  float *probs32 = tk_alloc32(np), *probsv32 = tk_alloc32(np), *ws32 = tk_alloc32(nws);
  att_fwd64(a, src[0], src[1], src[2], want[0], probs);
  att_fwd32(a, s32[0], s32[1], s32[2], want32[0], probs32);
  att_bwd64(a, src[0], src[1], src[2], probs, src[3], want[1], want[2], want[3], ws);
  att_bwd32(a, s32[0], s32[1], s32[2], probs32, s32[3], want32[1], want32[2], want32[3], ws32);
#define ST(i) st[i][0], st[i][1], st[i][2]
  rt_attention_fwd_f64(x[0], ST(0), x[1], ST(1), x[2], ST(2), x[4], ST(4), probsv, a->B, a->H,
                       a->Tq, a->Tk, a->D, a->scale, a->causal);
  rt_attention_fwd_f32(x32[0], ST(0), x32[1], ST(1), x32[2], ST(2), x32[4], ST(4), probsv32, a->B,
                       a->H, a->Tq, a->Tk, a->D, (float)a->scale, a->causal);
  rt_attention_bwd_f64(x[0], ST(0), x[1], ST(1), x[2], ST(2), probs, x[3], ST(3), x[5], ST(5), x[6],
                       ST(6), x[7], ST(7), a->B, a->H, a->Tq, a->Tk, a->D, a->scale, a->causal, ws);
  rt_attention_bwd_f32(x32[0], ST(0), x32[1], ST(1), x32[2], ST(2), probs32, x32[3], ST(3), x32[5],
                       ST(5), x32[6], ST(6), x32[7], ST(7), a->B, a->H, a->Tq, a->Tk, a->D,
                       (float)a->scale, a->causal, ws32);
#undef ST
  static const char *names[4] = {"out", "dq", "dk", "dv"};
  for (int i = 4; i < 8; i++) {
    const size_t n = T[i] == a->Tq ? nq : nk;
    if ((mask >> i) & 1) { /* back to row-major */
      double *r = tk_alloc(n);
      float *r32 = tk_alloc32(n);
      att_relayout(a, T[i], x[i], r, sizeof(double), 0);
      att_relayout(a, T[i], x32[i], r32, sizeof(float), 0);
      memcpy(x[i], r, n * sizeof(double));
      memcpy(x32[i], r32, n * sizeof(float));
      free(r), free(r32);
    }
    double *w64 = tk_to64(want32[i - 4], n);
    tk_equal(t, memcmp(x[i], want[i - 4], n * sizeof(double)) != 0, 0,
             "%s %s f64 through views (mask 0x%02x) differs from row-major", name, names[i - 4],
             mask);
    tk_check(t, tk_err32(x32[i], w64, n), 1e-6, "%s %s f32 through views (mask 0x%02x)", name,
             names[i - 4], mask);
    free(w64);
  }
  tk_equal(t, memcmp(probsv, probs, np * sizeof(double)) != 0, 0,
           "%s probs f64 through views (mask 0x%02x)", name, mask);
  for (int i = 0; i < 8; i++)
    free(x[i]), free(x32[i]);
  for (int i = 0; i < 4; i++)
    free(want[i]), free(want32[i]), free(s32[i]);
  free(probs), free(probsv), free(ws), free(probs32), free(probsv32), free(ws32);
}

/* with_fd = 0: the f64 backward is not checked against FD (large cases,
 * there for the f32 products on oneDNN) */
static void att_check(check_ctx *t, const att_case *a, uint64_t stream, int with_fd) {
  const size_t nq = (size_t)a->B * a->H * a->Tq * a->D, nk = (size_t)a->B * a->H * a->Tk * a->D;
  const size_t np = (size_t)a->B * a->H * a->Tq * a->Tk;
  const size_t nws = rt_attention_ws_f64(a->B, a->H, a->Tq, a->Tk, a->D);
  const size_t nx[3] = {nq, nk, nk};
  double *in[3], *grad[3], *fd[3];
  float *in32[3], *grad32[3];
  for (int i = 0; i < 3; i++) {
    in[i] = tk_alloc(nx[i]), grad[i] = tk_alloc(nx[i]), fd[i] = tk_alloc(nx[i]);
    tk_rand(in[i], nx[i], -1, 1, stream + i);
    in32[i] = tk_to32(in[i], nx[i]);
    grad32[i] = tk_alloc32(nx[i]);
  }
  double *w = tk_alloc(nq), *out = tk_alloc(nq), *probs = tk_alloc(np);
  double *ref = tk_alloc(nq), *pref = tk_alloc(np), *ws = tk_alloc(nws);
  tk_rand(w, nq, -1, 1, stream + 3);
  float *w32 = tk_to32(w, nq), *out32 = tk_alloc32(nq);
  float *probs32 = tk_alloc32(np), *ws32 = tk_alloc32(nws);
  char name[96];
  snprintf(name, sizeof name, "attention B%d H%d Tq%d Tk%d D%d %s", a->B, a->H, a->Tq, a->Tk, a->D,
           a->causal ? "causal" : "bidirectional");

  att_ref(a, in[0], in[1], in[2], ref, pref);
  for (size_t i = 0; i < np; i++) /* above-diagonal entries must be set */
    probs[i] = probs32[i] = NAN;
  att_fwd64(a, in[0], in[1], in[2], out, probs);
  att_fwd32(a, in32[0], in32[1], in32[2], out32, probs32);
  tk_check(t, tk_err(out, ref, nq), 1e-13, "%s fwd out f64", name);
  tk_check(t, tk_err(probs, pref, np), 1e-13, "%s fwd probs f64", name);
  tk_check(t, tk_err32(out32, ref, nq), 5e-6, "%s fwd out f32", name);
  tk_check(t, tk_err32(probs32, pref, np), 5e-6, "%s fwd probs f32", name);

  att_bwd64(a, in[0], in[1], in[2], probs, w, grad[0], grad[1], grad[2], ws);
  att_bwd32(a, in32[0], in32[1], in32[2], probs32, w32, grad32[0], grad32[1], grad32[2], ws32);
  static const char *names[3] = {"dq", "dk", "dv"};
  for (int i = 0; i < 3; i++) {
    att_fd f = {a, in[0], in[1], in[2], w, i, out, probs};
    if (with_fd) {
      tk_fd_grad(att_loss, &f, in[i], nx[i], fd_h, fd[i]);
      tk_check(t, tk_err(grad[i], fd[i], nx[i]), fd_tol, "%s bwd %s f64 vs FD", name, names[i]);
    }
    tk_check(t, tk_err32(grad32[i], grad[i], nx[i]), 2e-5, "%s bwd %s f32 vs f64", name, names[i]);
  }
  att_views(t, a, in, w, 0xff, name); /* every tensor a view */
  att_views(t, a, in, w, 0x8d, name); /* the GPT's: v, dout, out and dv (rope takes q, k) */
  for (int i = 0; i < 3; i++)
    free(in[i]), free(grad[i]), free(fd[i]), free(in32[i]), free(grad32[i]);
  free(w), free(out), free(probs), free(ref), free(pref), free(ws);
  free(w32), free(out32), free(probs32), free(ws32);
}

/* ---- RoPE ---------------------------------------------------------------- */

typedef struct {
  int B, H, T, D;
  double base;
} rope_case;

static void rope_ref(const rope_case *r, const double *x, double *y) {
  for (int p = 0; p < r->B * r->H; p++)
    for (int tt = 0; tt < r->T; tt++)
      for (int i = 0; i < r->D / 2; i++) {
        const double th = tt * pow(r->base, -2.0 * i / r->D);
        const long at = ((long)p * r->T + tt) * r->D + 2 * i;
        y[at] = x[at] * cos(th) - x[at + 1] * sin(th);
        y[at + 1] = x[at] * sin(th) + x[at + 1] * cos(th);
      }
}

/* RoPE on row-major [B, H, T, D] (fwd, or bwd when inverse). */
static void rope64(const rope_case *r, const double *x, double *y, int inverse) {
  const long sB = (long)r->H * r->T * r->D, sH = (long)r->T * r->D, sT = r->D;
  (inverse ? rt_rope_bwd_f64 : rt_rope_fwd_f64)(x, sB, sH, sT, y, sB, sH, sT, r->B, r->H, r->T,
                                                r->D, r->base);
}

static void rope32(const rope_case *r, const float *x, float *y, int inverse) {
  const long sB = (long)r->H * r->T * r->D, sH = (long)r->T * r->D, sT = r->D;
  (inverse ? rt_rope_bwd_f32 : rt_rope_fwd_f32)(x, sB, sH, sT, y, sB, sH, sT, r->B, r->H, r->T,
                                                r->D, (float)r->base);
}

/* The offset of [b, h, t, 0] in a [B, T, H, D] buffer, the layout of
 * split_heads' view and of merge_heads' operand. */
static long bthd(const rope_case *r, int b, int h, int t) {
  return (((long)b * r->T + t) * r->H + h) * r->D;
}

/* fwd and bwd on views of [B, T, H, D] buffers (x read through
 * split_heads' strides, y written through them) give the bits of the
 * row-major kernels, in f32 and f64. */
static void rope_views(check_ctx *t, const rope_case *r, const double *x, const char *name) {
  const size_t n = (size_t)r->B * r->H * r->T * r->D;
  const long sB = (long)r->T * r->H * r->D, sH = r->D, sT = (long)r->H * r->D;
  double *xv = tk_alloc(n), *yv = tk_alloc(n), *want = tk_alloc(n);
  float *x32 = tk_to32(x, n), *xv32 = tk_alloc32(n), *yv32 = tk_alloc32(n), *want32 = tk_alloc32(n);
  for (int b = 0; b < r->B; b++)
    for (int h = 0; h < r->H; h++)
      for (int tt = 0; tt < r->T; tt++) {
        const long rm = (((long)b * r->H + h) * r->T + tt) * r->D;
        memcpy(xv + bthd(r, b, h, tt), x + rm, sizeof(double) * r->D);
        memcpy(xv32 + bthd(r, b, h, tt), x32 + rm, sizeof(float) * r->D);
      }
  for (int inverse = 0; inverse < 2; inverse++) {
    rope64(r, x, want, inverse);
    rope32(r, x32, want32, inverse);
    (inverse ? rt_rope_bwd_f64 : rt_rope_fwd_f64)(xv, sB, sH, sT, yv, sB, sH, sT, r->B, r->H, r->T,
                                                  r->D, r->base);
    (inverse ? rt_rope_bwd_f32 : rt_rope_fwd_f32)(xv32, sB, sH, sT, yv32, sB, sH, sT, r->B, r->H,
                                                  r->T, r->D, (float)r->base);
    long diff = 0;
    for (int b = 0; b < r->B; b++)
      for (int h = 0; h < r->H; h++)
        for (int tt = 0; tt < r->T; tt++) {
          const long rm = (((long)b * r->H + h) * r->T + tt) * r->D, v = bthd(r, b, h, tt);
          diff += memcmp(yv + v, want + rm, sizeof(double) * r->D) != 0;
          diff += memcmp(yv32 + v, want32 + rm, sizeof(float) * r->D) != 0;
        }
    tk_equal(t, diff, 0, "%s %s on [B, T, H, D] views: rows differing from row-major", name,
             inverse ? "bwd" : "fwd");
  }
  free(xv), free(yv), free(want), free(x32), free(xv32), free(yv32), free(want32);
}

typedef struct {
  const rope_case *r;
  const double *w;
  double *y;
} rope_fd;

static double rope_loss(void *ctx, const double *x) {
  rope_fd *f = ctx;
  const rope_case *r = f->r;
  rope64(r, x, f->y, 0);
  return tk_dot(f->w, f->y, (size_t)r->B * r->H * r->T * r->D);
}

static void rope_check(check_ctx *t, const rope_case *r, uint64_t stream) {
  const size_t n = (size_t)r->B * r->H * r->T * r->D;
  double *x = tk_alloc(n), *w = tk_alloc(n), *y = tk_alloc(n);
  double *ref = tk_alloc(n), *dx = tk_alloc(n), *fdx = tk_alloc(n);
  tk_rand(x, n, -1, 1, stream);
  tk_rand(w, n, -1, 1, stream + 1);
  float *x32 = tk_to32(x, n), *y32 = tk_alloc32(n);
  char name[80];
  snprintf(name, sizeof name, "rope B%d H%d T%d D%d base %g", r->B, r->H, r->T, r->D, r->base);
  rope_ref(r, x, ref);
  rope64(r, x, y, 0);
  rope32(r, x32, y32, 0);
  /* the kernel rounds the reference's own products (its cos/sin table is
   * cos and sin of the same angles, kept from call to call) */
  tk_check(t, tk_err(y, ref, n), 0, "%s fwd f64", name);
  tk_check(t, tk_err32(y32, ref, n), 2e-6, "%s fwd f32", name);
  rope_fd f = {r, w, tk_alloc(n)};
  tk_fd_grad(rope_loss, &f, x, n, fd_h, fdx);
  rope64(r, w, dx, 1);
  tk_check(t, tk_err(dx, fdx, n), fd_tol, "%s bwd f64 vs FD", name);
  /* in place: rotating back recovers x */
  rope64(r, y, y, 1);
  tk_check(t, tk_err(y, x, n), 1e-14, "%s bwd(fwd(x)) == x in place", name);
  rope_views(t, r, x, name);
  free(f.y), free(x), free(w), free(y), free(ref), free(dx), free(fdx);
  free(x32), free(y32);
}

int main(void) {
  check_ctx t = {0};
  rt_set_threads(1);
  static const att_case atts[] = {
      {1, 1, 1, 1, 1, 1.0, 1},     {2, 3, 7, 7, 5, 0.447, 1},
      {1, 2, 13, 13, 8, 0.35, 1},  {1, 1, 70, 70, 3, 0.577, 1}, /* two query blocks */
      {1, 1, 130, 130, 2, 0.9, 1},                              /* three blocks, last partial */
      {2, 3, 7, 7, 5, 0.447, 0},   {1, 2, 5, 9, 4, 0.5, 0},     /* more keys than queries */
      {2, 1, 9, 4, 3, 0.6, 0},     {1, 1, 70, 11, 3, 0.577, 0}, /* fewer, two query blocks */
  };
  for (size_t i = 0; i < sizeof atts / sizeof atts[0]; i++)
    att_check(&t, &atts[i], 10 * (i + 1), 1);
  /* one block, products large enough for oneDNN: f32 against f64 */
  static const att_case large[] = {{3, 4, 64, 64, 32, 0.177, 1}, {2, 3, 64, 80, 32, 0.177, 0}};
  for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
    att_check(&t, &large[i], 200 + 10 * i, 0);
  static const rope_case ropes[] = {
      {1, 1, 1, 2, 10000}, {2, 3, 7, 6, 10000}, {1, 2, 5, 130, 10000},
      {1, 1, 300, 4, 500}, {2, 3, 7, 6, 500}, /* another base at an earlier T and D: a new table */
  };
  for (size_t i = 0; i < sizeof ropes / sizeof ropes[0]; i++)
    rope_check(&t, &ropes[i], 100 + 10 * i);
  return check_done(&t, "test_kernels_attention");
}
