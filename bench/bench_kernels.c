/*
 * bench_kernels.c - microbenchmarks of the runtime kernels on one thread:
 * GEMM-backed kernels as a fraction of plain cblas_sgemm on the same
 * shapes (MLP matmuls, conv2d), conv2d GFLOP/s, Newton-Schulz against 5x
 * the GEMM cost of one iteration, and the symmetric-product options inside
 * one Newton-Schulz step. Prints markdown tables (medians of repeats).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rt_kernels.h"

/* ---- timing --------------------------------------------------------------- */

typedef void (*bench_fn)(void *ctx);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median seconds per call of fn_a and fn_b, timed alternately (so load
 * changes on a shared machine hit both alike): one warm-up each, then at
 * least 5 and at most 41 timed pairs, until 1 s has been spent. fn_b may
 * be NULL. */
static void median_pair(bench_fn fn_a, bench_fn fn_b, void *ctx, double *ta, double *tb) {
  enum { MAX_REPS = 41 };
  double a[MAX_REPS], b[MAX_REPS], total = 0;
  int n = 0;
  fn_a(ctx);
  if (fn_b)
    fn_b(ctx);
  while (n < MAX_REPS && (n < 5 || total < 1.0)) {
    double t0 = now();
    fn_a(ctx);
    a[n] = now() - t0;
    b[n] = 0;
    if (fn_b) {
      t0 = now();
      fn_b(ctx);
      b[n] = now() - t0;
    }
    total += a[n] + b[n];
    n++;
  }
  qsort(a, n, sizeof(double), cmp_double);
  qsort(b, n, sizeof(double), cmp_double);
  *ta = n % 2 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
  if (tb)
    *tb = n % 2 ? b[n / 2] : 0.5 * (b[n / 2 - 1] + b[n / 2]);
}

static double median_time(bench_fn fn, void *ctx) {
  double t;
  median_pair(fn, NULL, ctx, &t, NULL);
  return t;
}

/* The 1-minute load average, or -1 if /proc/loadavg cannot be read: the
 * machine may be shared, and the numbers are only as good as its quiet. */
static double load_average(void) {
  FILE *f = fopen("/proc/loadavg", "r");
  double load = -1;
  if (f) {
    if (fscanf(f, "%lf", &load) != 1)
      load = -1;
    fclose(f);
  }
  return load;
}

static float *randf(size_t n, uint64_t stream) {
  float *x = malloc(sizeof(float) * (n ? n : 1));
  if (!x) {
    fprintf(stderr, "bench_kernels: out of memory\n");
    exit(2);
  }
  rt_init_uniform_f32(x, n, -1, 1, 1, stream);
  return x;
}

/* ---- (1) MLP matmuls: rt_gemm vs cblas_sgemm ------------------------------ */

typedef struct {
  int ta, tb, m, n, k;
  const float *A, *B;
  float *C;
} gemm_ctx;

static void run_rt_gemm(void *p) {
  gemm_ctx *g = p;
  rt_gemm_f32(g->ta, g->tb, g->m, g->n, g->k, 1, g->A, 0, g->B, 0, 0, g->C, 0, 1);
}

static void run_sgemm(void *p) {
  gemm_ctx *g = p;
  cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
              g->m, g->n, g->k, 1, g->A, g->ta ? g->m : g->k, g->B, g->tb ? g->k : g->n, 0, g->C,
              g->n);
}

static void bench_mlp(void) {
  static const int widths[] = {784, 512, 512, 10};
  printf("\n### MLP 784-512-512-10 matmuls: rt_gemm vs cblas_sgemm\n\n");
  printf("| batch | layer | product | m x n x k | rt_gemm ms | sgemm ms | fraction |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (int bi = 0; bi < 2; bi++) {
    const int B = bi ? 256 : 128;
    for (int l = 0; l < 3; l++) {
      const int in = widths[l], out = widths[l + 1];
      float *x = randf((size_t)B * in, 1), *W = randf((size_t)out * in, 2);
      float *y = randf((size_t)B * out, 3), *dx = randf((size_t)B * in, 4);
      float *dW = randf((size_t)out * in, 5);
      const struct {
        const char *name;
        gemm_ctx g;
      } prods[] = {
          {"y = x W^T", {0, 1, B, out, in, x, W, y}},
          {"dx = dy W", {0, 0, B, in, out, y, W, dx}},
          {"dW = dy^T x", {1, 0, out, in, B, y, x, dW}},
      };
      for (int p = 0; p < 3; p++) {
        gemm_ctx g = prods[p].g;
        double tk, tb;
        median_pair(run_rt_gemm, run_sgemm, &g, &tk, &tb);
        printf("| %d | %d->%d | %s | %dx%dx%d | %.3f | %.3f | %.0f%% |\n", B, in, out,
               prods[p].name, g.m, g.n, g.k, 1e3 * tk, 1e3 * tb, 100 * tb / tk);
      }
      free(x), free(W), free(y), free(dx), free(dW);
    }
  }
}

/* ---- (1, 2) conv2d vs the per-image sgemm calls it makes ------------------ */

typedef struct {
  int n, c, h, w, o, k, pad, which; /* which: 0 fwd, 1 bwd data, 2 bwd W */
  int ho, wo;
  float *x, *W, *y, *ws, *cols;
} conv_ctx;

static void run_conv(void *p) {
  conv_ctx *s = p;
  if (s->which == 0)
    rt_conv2d_fwd_f32(s->x, s->W, s->y, s->n, s->c, s->h, s->w, s->o, s->k, s->k, 1, s->pad, s->ws);
  else if (s->which == 1)
    rt_conv2d_bwd_data_f32(s->y, s->W, s->x, s->n, s->c, s->h, s->w, s->o, s->k, s->k, 1, s->pad,
                           s->ws);
  else
    rt_conv2d_bwd_weight_f32(s->x, s->y, s->W, s->n, s->c, s->h, s->w, s->o, s->k, s->k, 1, s->pad,
                             s->ws);
}

/* The same GEMMs on a ready column matrix: no im2col / col2im. */
static void run_conv_gemms(void *p) {
  conv_ctx *s = p;
  const int K = s->c * s->k * s->k, P = s->ho * s->wo;
  for (int i = 0; i < s->n; i++) {
    float *yi = s->y + (long)i * s->o * P;
    if (s->which == 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->o, P, K, 1, s->W, K, s->cols, P, 0,
                  yi, P);
    else if (s->which == 1)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, s->o, 1, s->W, K, yi, P, 0,
                  s->cols, P);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->o, K, P, 1, yi, P, s->cols, P,
                  i ? 1 : 0, s->W, K);
  }
}

static void bench_conv(void) {
  static const struct {
    const char *name;
    int n, c, h, o, k, pad;
  } shapes[] = {
      {"conv1 1->32 3x3 28x28", 128, 1, 28, 32, 3, 1},
      {"conv2 32->64 3x3 14x14", 128, 32, 14, 64, 3, 1},
  };
  static const char *pass[] = {"fwd", "bwd data", "bwd weight"};
  printf("\n### conv2d (batch 128, stride 1, pad 1): im2col + GEMM\n\n");
  printf("| layer | pass | kernel ms | GFLOP/s | GEMMs only ms | fraction |\n");
  printf("|---|---|---|---|---|---|\n");
  for (int s = 0; s < 2; s++) {
    conv_ctx c = {shapes[s].n, shapes[s].c,   shapes[s].h, shapes[s].h, shapes[s].o,
                  shapes[s].k, shapes[s].pad, 0,           0,           0,
                  NULL,        NULL,          NULL,        NULL,        NULL};
    c.ho = c.h + 2 * c.pad - c.k + 1, c.wo = c.ho;
    const size_t K = (size_t)c.c * c.k * c.k, P = (size_t)c.ho * c.wo;
    c.x = randf((size_t)c.n * c.c * c.h * c.w, 1);
    c.W = randf(c.o * K, 2);
    c.y = randf((size_t)c.n * c.o * P, 3);
    c.ws = randf(rt_conv2d_ws_f32(c.n, c.c, c.h, c.w, c.o, c.k, c.k, 1, c.pad) + 1, 4);
    c.cols = randf(K * P, 5);
    const double flops = 2.0 * c.n * c.o * K * P;
    for (c.which = 0; c.which < 3; c.which++) {
      double tk, tg;
      median_pair(run_conv, run_conv_gemms, &c, &tk, &tg);
      printf("| %s | %s | %.2f | %.1f | %.2f | %.0f%% |\n", shapes[s].name, pass[c.which], 1e3 * tk,
             1e-9 * flops / tk, 1e3 * tg, 100 * tg / tk);
    }
    free(c.x), free(c.W), free(c.y), free(c.ws), free(c.cols);
  }
}

/* ---- (3) Newton-Schulz ------------------------------------------------------ */

typedef struct {
  int s, l; /* working shape: X is s x l, s <= l */
  float *G, *X, *ws;
  float *A, *A2, *Y; /* s x s, s x s, s x l */
  int variant;
} ns_ctx;

static void run_ns(void *p) {
  ns_ctx *c = p;
  rt_polar_ns_f32(c->G, c->X, 1, c->s, c->l, RT_NS_MUON5, 5, 1e-7f, c->ws);
}

/* The three products of one iteration as plain sgemm calls. */
static void run_ns_gemms(void *p) {
  ns_ctx *c = p;
  const int s = c->s, l = c->l;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, l, 1, c->X, l, c->X, l, 0, c->A, s);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, s, s, 1, c->A, s, c->A, s, 0, c->A2, s);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, l, s, 1, c->A2, s, c->X, l, 0, c->Y, l);
}

/* One product of the iteration, by `variant`:
 * 0 X X^T sgemm, 1 X X^T ssyrk, 2 A^2 sgemm, 3 A^2 ssyrk, 4 A^2 ssymm,
 * 5 B X sgemm, 6 B X ssymm. */
static void run_ns_product(void *p) {
  ns_ctx *c = p;
  const int s = c->s, l = c->l;
  switch (c->variant) {
  case 0:
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, l, 1, c->X, l, c->X, l, 0, c->A, s);
    break;
  case 1:
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, s, l, 1, c->X, l, 0, c->A, s);
    break;
  case 2:
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, s, s, 1, c->A, s, c->A, s, 0, c->A2,
                s);
    break;
  case 3:
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, s, s, 1, c->A, s, 0, c->A2, s);
    break;
  case 4:
    cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, s, s, 1, c->A, s, c->A, s, 0, c->A2, s);
    break;
  case 5:
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, l, s, 1, c->A2, s, c->X, l, 0, c->Y,
                l);
    break;
  default:
    cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, s, l, 1, c->A2, s, c->X, l, 0, c->Y, l);
    break;
  }
}

static void bench_ns(void) {
  static const int shapes[][2] = {{512, 512}, {1024, 4096}};
  static const char *names[] = {"X X^T sgemm", "X X^T ssyrk", "A^2 sgemm", "A^2 ssyrk",
                                "A^2 ssymm",   "B X sgemm",   "B X ssymm"};
  double prod[2][7];
  printf("\n### Newton-Schulz (Muon quintic, 5 steps) vs 5 x one iteration's GEMMs\n\n");
  printf("| matrix | rt_polar_ns ms | 3 sgemm per step ms | 5 x GEMM ms | ratio |\n");
  printf("|---|---|---|---|---|\n");
  for (int i = 0; i < 2; i++) {
    ns_ctx c = {shapes[i][0], shapes[i][1], NULL, NULL, NULL, NULL, NULL, NULL, 0};
    const size_t sl = (size_t)c.s * c.l, ss = (size_t)c.s * c.s;
    c.G = randf(sl, 1), c.X = randf(sl, 2);
    c.ws = randf(rt_polar_ns_ws_f32(c.s, c.l), 3);
    c.A = randf(ss, 4), c.A2 = randf(ss, 5), c.Y = randf(sl, 6);
    double tns, tg;
    median_pair(run_ns, run_ns_gemms, &c, &tns, &tg);
    printf("| %dx%d | %.1f | %.1f | %.1f | %.2f |\n", c.s, c.l, 1e3 * tns, 1e3 * tg, 5e3 * tg,
           tns / (5 * tg));
    for (c.variant = 0; c.variant < 7; c.variant++)
      prod[i][c.variant] = median_time(run_ns_product, &c);
    free(c.G), free(c.X), free(c.ws), free(c.A), free(c.A2), free(c.Y);
  }
  printf("\n### One Newton-Schulz step, product by product (ms)\n\n");
  printf("| product | %dx%d | %dx%d |\n|---|---|---|\n", shapes[0][0], shapes[0][1], shapes[1][0],
         shapes[1][1]);
  for (int v = 0; v < 7; v++)
    printf("| %s | %.2f | %.2f |\n", names[v], 1e3 * prod[0][v], 1e3 * prod[1][v]);
}

int main(void) {
  rt_set_threads(1);
  printf("## Runtime kernels (1 thread, median of repeats)\n\n");
  printf("Load average at start: %.2f\n", load_average());
  bench_mlp();
  bench_conv();
  bench_ns();
  printf("\nLoad average at end: %.2f\n", load_average());
  return 0;
}
