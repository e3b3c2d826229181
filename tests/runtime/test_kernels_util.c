/*
 * test_kernels_util.c - helpers shared by the kernel tests (see
 * test_kernels_util.h).
 */
#include "test_kernels_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_kernels.h"

static void *zalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "out of memory (%zu x %zu bytes)\n", n, size);
    exit(2);
  }
  return p;
}

double *tk_alloc(size_t n) { return zalloc(n, sizeof(double)); }

float *tk_alloc32(size_t n) { return zalloc(n, sizeof(float)); }

void tk_rand(double *x, size_t n, double lo, double hi, uint64_t stream) {
  rt_init_uniform_f64(x, n, lo, hi, 0x5eedULL, stream);
}

float *tk_to32(const double *x, size_t n) {
  float *y = tk_alloc32(n);
  for (size_t i = 0; i < n; i++)
    y[i] = (float)x[i];
  return y;
}

double *tk_to64(const float *x, size_t n) {
  double *y = tk_alloc(n);
  for (size_t i = 0; i < n; i++)
    y[i] = x[i];
  return y;
}

double tk_err(const double *got, const double *want, size_t n) {
  double diff = 0, scale = 1e-300;
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]) && isnan(got[i]))
      continue;
    const double d = fabs(got[i] - want[i]);
    if (!(d <= diff)) /* also catches NaN */
      diff = isnan(d) ? INFINITY : d;
    if (fabs(want[i]) > scale)
      scale = fabs(want[i]);
  }
  return diff / scale;
}

double tk_err32(const float *got, const double *want, size_t n) {
  double *g = tk_to64(got, n);
  const double err = tk_err(g, want, n);
  free(g);
  return err;
}

/* Counts a check and prints its verdict, its name (fmt, ap) padded to a
 * column, then the result text. */
static int report(check_ctx *t, int ok, const char *fmt, va_list ap, const char *result) {
  char what[256];
  vsnprintf(what, sizeof what, fmt, ap);
  check_count(t, ok);
  printf("%s %-58s %s\n", ok ? "ok  " : "FAIL", what, result);
  return ok;
}

int tk_check(check_ctx *t, double err, double tol, const char *fmt, ...) {
  char result[64];
  snprintf(result, sizeof result, "err %.3g (tol %.3g)", err, tol);
  va_list ap;
  va_start(ap, fmt);
  const int ok = report(t, err <= tol, fmt, ap, result);
  va_end(ap);
  return ok;
}

int tk_equal(check_ctx *t, long long got, long long want, const char *fmt, ...) {
  char result[64];
  snprintf(result, sizeof result, "got %lld, expected %lld", got, want);
  va_list ap;
  va_start(ap, fmt);
  const int ok = report(t, got == want, fmt, ap, result);
  va_end(ap);
  return ok;
}

void tk_fd_grad(tk_loss_fn f, void *ctx, double *x, size_t n, double h, double *grad) {
  for (size_t i = 0; i < n; i++) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double fp = f(ctx, x);
    x[i] = x0 - h;
    const double fm = f(ctx, x);
    x[i] = x0;
    grad[i] = (fp - fm) / (2 * h);
  }
}

double tk_dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}
