/*
 * test_kernels_loss.c - softmax, fused softmax + cross-entropy, accuracy
 * counting and mean squared error: forward in f32 and f64 against naive
 * loops, backward (f64) against central finite differences, f32 backward
 * against f64; the float exp of the softmax rows against libm.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels_exp.h"
#include "rt_kernels.h"
#include "test_kernels_util.h"

/* Smooth losses: central differences with h = 1e-5 have truncation error
 * ~h^2 and rounding ~1e-16/h, far below the bound. */
static const double fd_h = 1e-5, fd_tol = 1e-6;

static const long shapes[][2] = {{1, 1}, {1, 10}, {7, 13}, {13, 33}, {3, 2}};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

static void make_labels(int32_t *labels, long rows, long classes, uint64_t stream) {
  double *u = tk_alloc(rows);
  tk_rand(u, rows, 0, 1, stream);
  for (long r = 0; r < rows; r++)
    labels[r] = (int32_t)(u[r] * classes);
  free(u);
}

static double xent_ref(const double *x, const int32_t *labels, long rows, long classes) {
  double total = 0;
  for (long r = 0; r < rows; r++) {
    const double *xr = x + r * classes;
    double m = xr[0], s = 0;
    for (long j = 1; j < classes; j++)
      m = xr[j] > m ? xr[j] : m;
    for (long j = 0; j < classes; j++)
      s += exp(xr[j] - m);
    total += m + log(s) - xr[labels[r]];
  }
  return total / rows;
}

typedef struct {
  const int32_t *labels;
  long rows, classes;
} xent_fd;

static double xent_loss(void *ctx, const double *x) {
  xent_fd *f = ctx;
  double loss;
  rt_softmax_xent_fwd_f64(x, f->labels, &loss, f->rows, f->classes);
  return loss;
}

static void test_xent(check_ctx *t) {
  for (int s = 0; s < NSHAPES; s++)
    for (int big = 0; big < 2; big++) {
      const long rows = shapes[s][0], classes = shapes[s][1];
      const size_t n = rows * classes;
      double *x = tk_alloc(n), *dx = tk_alloc(n), *fdx = tk_alloc(n);
      int32_t *labels = malloc(sizeof(int32_t) * rows);
      /* big: logits near 1000 overflow exp() unless stabilized */
      tk_rand(x, n, big ? 997 : -3, big ? 1003 : 3, 40 + s);
      make_labels(labels, rows, classes, 60 + s);
      float *x32 = tk_to32(x, n), *dx32 = tk_alloc32(n);
      double *x32d = tk_to64(x32, n); /* the f32 kernel's exact input */
      const double ref = xent_ref(x, labels, rows, classes);
      const double ref32 = xent_ref(x32d, labels, rows, classes);
      double loss;
      float loss32;
      rt_softmax_xent_fwd_f64(x, labels, &loss, rows, classes);
      rt_softmax_xent_fwd_f32(x32, labels, &loss32, rows, classes);
      tk_check(t, fabs(loss - ref) / fmax(fabs(ref), 1e-3), 1e-13, "xent fwd %ldx%ld%s f64", rows,
               classes, big ? " logits~1000" : "");
      /* near 1000 one f32 ulp is 6e-5: the loss (~1) carries a few
             * ulps of absolute rounding error */
      tk_check(t, fabs(loss32 - ref32) / fmax(fabs(ref32), 1e-3), big ? 3e-4 : 2e-6,
               "xent fwd %ldx%ld%s f32", rows, classes, big ? " logits~1000" : "");

      const double dloss = 0.7;
      xent_fd f = {labels, rows, classes};
      tk_fd_grad(xent_loss, &f, x, n, fd_h, fdx);
      for (size_t i = 0; i < n; i++)
        fdx[i] *= dloss;
      rt_softmax_xent_bwd_f64(x, labels, dloss, dx, rows, classes);
      rt_softmax_xent_bwd_f32(x32, labels, (float)dloss, dx32, rows, classes);
      tk_check(t, tk_err(dx, fdx, n), fd_tol, "xent bwd %ldx%ld%s f64 vs FD", rows, classes,
               big ? " logits~1000" : "");
      double *dx32ref = tk_alloc(n);
      rt_softmax_xent_bwd_f64(x32d, labels, dloss, dx32ref, rows, classes);
      tk_check(t, tk_err32(dx32, dx32ref, n), 1e-5, "xent bwd %ldx%ld%s f32 vs f64", rows, classes,
               big ? " logits~1000" : "");
      free(x), free(dx), free(fdx), free(labels), free(x32), free(dx32);
      free(x32d), free(dx32ref);
    }
}

static void test_count_correct(check_ctx *t) {
  /* ties go to the first maximum */
  const double x[] = {1, 3, 3, /* argmax 1 */
                      5, 5, 5, /* argmax 0 */
                      0, 1, 2, /* argmax 2 */
                      2, 1, 0};
  const int32_t labels[] = {1, 1, 2, 2};
  float x32[12];
  for (int i = 0; i < 12; i++)
    x32[i] = (float)x[i];
  tk_equal(t, rt_count_correct_f64(x, labels, 4, 3), 2, "count_correct with ties f64");
  tk_equal(t, rt_count_correct_f32(x32, labels, 4, 3), 2, "count_correct with ties f32");

  const long rows = 101, classes = 7;
  double *r = tk_alloc(rows * classes);
  int32_t lab[101];
  tk_rand(r, rows * classes, -1, 1, 77);
  make_labels(lab, rows, classes, 78);
  long want = 0;
  for (long i = 0; i < rows; i++) {
    long arg = 0;
    for (long j = 1; j < classes; j++)
      if (r[i * classes + j] > r[i * classes + arg])
        arg = j;
    want += arg == lab[i];
  }
  tk_equal(t, rt_count_correct_f64(r, lab, rows, classes), want,
           "count_correct 101x7 random vs naive");
  free(r);
}

typedef struct {
  const double *w;
  double *y;
  long rows, cols;
  double scale;
} softmax_fd;

static double softmax_loss(void *ctx, const double *x) {
  softmax_fd *f = ctx;
  rt_softmax_fwd_f64(x, f->y, f->rows, f->cols, f->scale);
  return tk_dot(f->w, f->y, f->rows * f->cols);
}

static void test_softmax(check_ctx *t) {
  const double scales[] = {1, 1.7, -0.5};
  for (int s = 0; s < NSHAPES; s++)
    for (int si = 0; si < 3; si++) {
      const long rows = shapes[s][0], cols = shapes[s][1];
      const double scale = scales[si];
      const size_t n = rows * cols;
      double *x = tk_alloc(n), *w = tk_alloc(n), *y = tk_alloc(n);
      double *ref = tk_alloc(n), *dx = tk_alloc(n), *fdx = tk_alloc(n);
      tk_rand(x, n, -4, 4, 200 + s);
      tk_rand(w, n, -1, 1, 210 + s);
      for (long r = 0; r < rows; r++) {
        double sum = 0;
        for (long j = 0; j < cols; j++)
          sum += ref[r * cols + j] = exp(scale * x[r * cols + j]);
        for (long j = 0; j < cols; j++)
          ref[r * cols + j] /= sum;
      }
      float *x32 = tk_to32(x, n), *y32 = tk_alloc32(n), *w32 = tk_to32(w, n);
      float *dx32 = tk_alloc32(n);
      rt_softmax_fwd_f64(x, y, rows, cols, scale);
      rt_softmax_fwd_f32(x32, y32, rows, cols, (float)scale);
      tk_check(t, tk_err(y, ref, n), 1e-14, "softmax fwd %ldx%ld scale %g f64", rows, cols, scale);
      tk_check(t, tk_err32(y32, ref, n), 5e-6, "softmax fwd %ldx%ld scale %g f32", rows, cols,
               scale);

      softmax_fd f = {w, tk_alloc(n), rows, cols, scale};
      tk_fd_grad(softmax_loss, &f, x, n, fd_h, fdx);
      rt_softmax_bwd_f64(y, w, dx, rows, cols, scale);
      rt_softmax_bwd_f32(y32, w32, dx32, rows, cols, (float)scale);
      tk_check(t, tk_err(dx, fdx, n), fd_tol, "softmax bwd %ldx%ld scale %g f64 vs FD", rows, cols,
               scale);
      tk_check(t, tk_err32(dx32, dx, n), 1e-5, "softmax bwd %ldx%ld scale %g f32 vs f64", rows,
               cols, scale);
      free(f.y);
      free(x), free(w), free(y), free(ref), free(dx), free(fdx);
      free(x32), free(y32), free(w32), free(dx32);
    }
}

typedef struct {
  const double *b;
  long count;
} mse_fd;

static double mse_loss(void *ctx, const double *a) {
  mse_fd *f = ctx;
  double loss;
  rt_mse_fwd_f64(a, f->b, &loss, f->count);
  return loss;
}

static void test_mse(check_ctx *t) {
  const long counts[] = {1, 7, 13, 1031, 3001};
  for (int c = 0; c < 5; c++) {
    const long count = counts[c];
    double *a = tk_alloc(count), *b = tk_alloc(count);
    double *da = tk_alloc(count), *fda = tk_alloc(count);
    tk_rand(a, count, -2, 2, 300 + c);
    tk_rand(b, count, -2, 2, 310 + c);
    double ref = 0;
    for (long i = 0; i < count; i++)
      ref += (a[i] - b[i]) * (a[i] - b[i]);
    ref /= count;
    float *a32 = tk_to32(a, count), *b32 = tk_to32(b, count);
    float *da32 = tk_alloc32(count);
    double loss;
    float loss32;
    rt_mse_fwd_f64(a, b, &loss, count);
    rt_mse_fwd_f32(a32, b32, &loss32, count);
    tk_check(t, fabs(loss - ref) / ref, 1e-14, "mse fwd n%ld f64", count);
    tk_check(t, fabs(loss32 - ref) / ref, 2e-6, "mse fwd n%ld f32", count);
    if (count <= 1031) {
      mse_fd f = {b, count};
      tk_fd_grad(mse_loss, &f, a, count, fd_h, fda);
      for (long i = 0; i < count; i++)
        fda[i] *= 1.3;
      rt_mse_bwd_f64(a, b, 1.3, da, count);
      tk_check(t, tk_err(da, fda, count), fd_tol, "mse bwd n%ld f64 vs FD", count);
    }
    rt_mse_bwd_f64(a, b, 1.3, da, count);
    rt_mse_bwd_f32(a32, b32, 1.3f, da32, count);
    tk_check(t, tk_err32(da32, da, count), 1e-6, "mse bwd n%ld f32 vs f64", count);
    free(a), free(b), free(da), free(fda), free(a32), free(b32), free(da32);
  }
}

/* rt_exp_f32 against double exp on a dense sweep: within 2 ulp (2^-22
 * relative) where e^x is a normal float, within one denormal step where
 * it is denormal; 0, +inf and NaN at the ends. */
static void test_exp(check_ctx *t) {
  enum { N = 1 << 20 };
  double rel = 0, abs_denormal = 0;
  for (int i = 0; i <= N; i++) {
    const float x = -104.0f + 193.0f * (float)i / N;
    const double want = exp((double)x), got = rt_exp_f32(x);
    if (want >= FLT_MIN && want <= FLT_MAX)
      rel = fmax(rel, fabs(got - want) / want);
    else if (want < FLT_MIN)
      abs_denormal = fmax(abs_denormal, fabs(got - want));
  }
  tk_check(t, rel, 0x1p-22, "exp f32: relative error where e^x is normal");
  tk_check(t, abs_denormal, 0x1p-149, "exp f32: absolute error where e^x is denormal");
  check(t, rt_exp_f32(-105.0f) == 0 && rt_exp_f32(-INFINITY) == 0,
        "exp f32: 0 below the denormal range and at -inf");
  check(t, rt_exp_f32(88.8f) == INFINITY && rt_exp_f32(INFINITY) == INFINITY,
        "exp f32: +inf above FLT_MAX and at +inf");
  check(t, isnan(rt_exp_f32(NAN)), "exp f32: NaN in, NaN out");
}

int main(void) {
  check_ctx t = {0};
  test_exp(&t);
  test_xent(&t);
  test_count_correct(&t);
  test_softmax(&t);
  test_mse(&t);
  return check_done(&t, "test_kernels_loss");
}
