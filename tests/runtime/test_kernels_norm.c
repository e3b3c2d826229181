/*
 * test_kernels_norm.c - rmsnorm and layernorm over the last axis: forward
 * in f32 and f64 against naive loops (including the saved statistics),
 * backward (f64) against central finite differences, f32 backward against
 * f64 (also for inputs with a large common offset).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_kernels.h"
#include "test_kernels_util.h"

/* Smooth losses; h = 1e-5 central differences are accurate to ~1e-10. */
static const double fd_h = 1e-5, fd_tol = 1e-6;

typedef struct {
  int layer; /* 0: rmsnorm, 1: layernorm */
  double eps;
  const double *w;
  double *y, *mean, *rstd;
  long rows, cols;
} norm_fd;

static void norm_fwd64(norm_fd *f, const double *x) {
  if (f->layer)
    rt_layernorm_fwd_f64(x, f->y, f->mean, f->rstd, f->rows, f->cols, f->eps);
  else
    rt_rmsnorm_fwd_f64(x, f->y, f->rstd, f->rows, f->cols, f->eps);
}

static double norm_loss(void *ctx, const double *x) {
  norm_fd *f = ctx;
  norm_fwd64(f, x);
  return tk_dot(f->w, f->y, f->rows * f->cols);
}

/* Naive reference: y, mean and rstd per row. */
static void norm_ref(int layer, double eps, const double *x, double *y, double *mean, double *rstd,
                     long rows, long cols) {
  for (long r = 0; r < rows; r++) {
    const double *xr = x + r * cols;
    double mu = 0, ss = 0;
    if (layer) {
      for (long j = 0; j < cols; j++)
        mu += xr[j];
      mu /= cols;
    }
    for (long j = 0; j < cols; j++)
      ss += (xr[j] - mu) * (xr[j] - mu);
    mean[r] = mu;
    rstd[r] = 1 / sqrt(ss / cols + eps);
    for (long j = 0; j < cols; j++)
      y[r * cols + j] = (xr[j] - mu) * rstd[r];
  }
}

static void norm_check(check_ctx *t, int layer, long rows, long cols, double eps, double offset,
                       uint64_t stream) {
  const size_t n = rows * cols;
  double *x = tk_alloc(n), *w = tk_alloc(n), *ref = tk_alloc(n);
  double *mref = tk_alloc(rows), *rref = tk_alloc(rows);
  double *y = tk_alloc(n), *mean = tk_alloc(rows), *rstd = tk_alloc(rows);
  double *dx = tk_alloc(n), *fdx = tk_alloc(n);
  tk_rand(x, n, offset - 2, offset + 2, stream);
  tk_rand(w, n, -1, 1, stream + 1);
  float *x32 = tk_to32(x, n), *w32 = tk_to32(w, n), *y32 = tk_alloc32(n);
  float *mean32 = tk_alloc32(rows), *rstd32 = tk_alloc32(rows);
  float *dx32 = tk_alloc32(n);
  double *x32d = tk_to64(x32, n);
  char name[80];
  snprintf(name, sizeof name, "%s %ldx%ld eps %g%s", layer ? "layernorm" : "rmsnorm", rows, cols,
           eps, offset != 0 ? " offset 100" : "");

  norm_ref(layer, eps, x, ref, mref, rref, rows, cols);
  norm_fd f = {layer, eps, w, y, mean, rstd, rows, cols};
  norm_fwd64(&f, x);
  if (layer)
    rt_layernorm_fwd_f32(x32, y32, mean32, rstd32, rows, cols, (float)eps);
  else
    rt_rmsnorm_fwd_f32(x32, y32, rstd32, rows, cols, (float)eps);
  tk_check(t, tk_err(y, ref, n), 1e-13, "%s fwd f64", name);
  tk_check(t, tk_err(rstd, rref, rows), 1e-13, "%s fwd rstd f64", name);
  tk_check(t, tk_err32(y32, ref, n), 2e-5, "%s fwd f32", name);
  tk_check(t, tk_err32(rstd32, rref, rows), 2e-5, "%s fwd rstd f32", name);
  if (layer) {
    tk_check(t, tk_err(mean, mref, rows), 1e-14, "%s fwd mean f64", name);
    tk_check(t, tk_err32(mean32, mref, rows), 1e-6, "%s fwd mean f32", name);
  }

  tk_fd_grad(norm_loss, &f, x, n, fd_h, fdx);
  norm_fwd64(&f, x);
  if (layer) {
    rt_layernorm_bwd_f64(x, mean, rstd, w, dx, rows, cols);
    rt_layernorm_bwd_f32(x32, mean32, rstd32, w32, dx32, rows, cols);
  } else {
    rt_rmsnorm_bwd_f64(x, rstd, w, dx, rows, cols);
    rt_rmsnorm_bwd_f32(x32, rstd32, w32, dx32, rows, cols);
  }
  tk_check(t, tk_err(dx, fdx, n), fd_tol, "%s bwd f64 vs FD", name);
  /* f64 backward at the f32 input, for the f32 comparison */
  norm_fwd64(&f, x32d);
  double *dx64at32 = tk_alloc(n);
  if (layer)
    rt_layernorm_bwd_f64(x32d, mean, rstd, w, dx64at32, rows, cols);
  else
    rt_rmsnorm_bwd_f64(x32d, rstd, w, dx64at32, rows, cols);
  tk_check(t, tk_err32(dx32, dx64at32, n), 2e-5, "%s bwd f32 vs f64", name);

  free(x), free(w), free(ref), free(mref), free(rref), free(y), free(mean);
  free(rstd), free(dx), free(fdx), free(x32), free(w32), free(y32);
  free(mean32), free(rstd32), free(dx32), free(x32d), free(dx64at32);
}

int main(void) {
  check_ctx t = {0};
  /* With 1 (rmsnorm) or 2 (layernorm) columns the output is nearly
     * constant in x and the gradient is O(eps): a tiny eps would leave
     * only rounding noise to compare, so those shapes use eps = 0.5. */
  static const struct {
    long rows, cols;
    double eps;
  } shapes[] = {{1, 1, 0.5}, {2, 2, 0.5}, {7, 13, 1e-5}, {3, 33, 1e-5}, {5, 8, 1e-5}, {4, 3, 1e-5}};
  uint64_t stream = 1;
  for (int layer = 0; layer < 2; layer++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      norm_check(&t, layer, shapes[s].rows, shapes[s].cols, shapes[s].eps, 0, stream += 2);
  norm_check(&t, 1, 4, 29, 1e-5, 100, 99); /* cancellation-prone mean */
  return check_done(&t, "test_kernels_norm");
}
