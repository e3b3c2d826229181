/*
 * bench_kernels.c - microbenchmarks of the runtime kernels on one thread:
 * GEMM-backed kernels as a fraction of plain cblas_sgemm on the same
 * shapes (MLP matmuls, conv2d), conv2d GFLOP/s, Newton-Schulz against 5x
 * the GEMM cost of one iteration, and the symmetric-product options inside
 * one Newton-Schulz step, all on OpenBLAS; then OpenBLAS against oneDNN:
 * GEMM GFLOP/s per backend and operand type (MLP and GPT shapes, shape
 * classes), Newton-Schulz on the MLP's weights in f32 and bf16, bf16 Gram
 * product blocking, conv2d per path; and the AdamW update of the MLP's
 * first weight against the time since its state was last touched. Prints
 * markdown tables (medians of repeats, the compared variants timed in turn).
 *   bench_kernels [SECTION]...   SECTION: mlp conv ns state gemm classes
 *                                backend-ns backend-conv (default: all, in
 *                                this order)
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels_bf16.h"
#include "kernels_generic.h"
#include "kernels_polar_schedule.h"
#include "rt_dnn.h"
#include "rt_kernels.h"

/* ---- timing --------------------------------------------------------------- */

/* Whether the command line asks for a section (none named: all). */
static int wanted(int argc, char **argv, const char *section) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], section) == 0)
      return 1;
  return argc == 1;
}

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

/* Median seconds per call of each of fns[0..count) (count <= MAX_FNS),
 * timed in turn within every round, which function goes first rotating,
 * so that load changes on a shared machine hit all alike: one warm-up
 * each, then at least 11 and at most 41 rounds, until 1 s has been spent.
 * speedup[i] (when not NULL): the median over the rounds of t_0 / t_i. */
enum { MAX_FNS = 6 };
static void median_n(const bench_fn *fns, int count, void *ctx, double *t, double *speedup) {
  enum { MAX_REPS = 41 };
  double times[MAX_FNS][MAX_REPS], ratio[MAX_FNS][MAX_REPS], total = 0;
  int n = 0;
  for (int f = 0; f < count; f++)
    fns[f](ctx);
  while (n < MAX_REPS && (n < 11 || total < 1.0)) {
    for (int j = 0; j < count; j++) {
      const int f = (j + n) % count;
      const double t0 = now();
      fns[f](ctx);
      times[f][n] = now() - t0;
      total += times[f][n];
    }
    for (int f = 0; f < count; f++)
      ratio[f][n] = times[0][n] / times[f][n];
    n++;
  }
  for (int f = 0; f < count; f++) {
    qsort(times[f], n, sizeof(double), cmp_double);
    qsort(ratio[f], n, sizeof(double), cmp_double);
    t[f] = n % 2 ? times[f][n / 2] : 0.5 * (times[f][n / 2 - 1] + times[f][n / 2]);
    if (speedup)
      speedup[f] = n % 2 ? ratio[f][n / 2] : 0.5 * (ratio[f][n / 2 - 1] + ratio[f][n / 2]);
  }
}

/* Median seconds per call of fn_a and (unless NULL) fn_b, alternated. */
static void median_pair(bench_fn fn_a, bench_fn fn_b, void *ctx, double *ta, double *tb) {
  const bench_fn fns[2] = {fn_a, fn_b};
  double t[2];
  median_n(fns, fn_b ? 2 : 1, ctx, t, NULL);
  *ta = t[0];
  if (tb)
    *tb = t[1];
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

/* ---- (4) the optimizer's state between steps ------------------------------ */

/* The weight, its gradient and AdamW's two moments, at the offsets of the
 * MLP's train_step arena (bench_step --dump): one allocation. */
typedef struct {
  int n;
  float *w, *g, *m, *v;
} adam_ctx;

/* stdlib/optim.duet's AdamW at step 10 (lr 1e-3, weight decay 0.01), in
 * the operations and order of the compiled loop: 28 bytes per weight
 * (w, m, v read and written, g read). */
RT_DISPATCH static void adam_update(int n, float *restrict w, float *restrict m, float *restrict v,
                                    const float *restrict g) {
  const float decay = 1 - 1e-3f * 0.01f, c1 = 1 - powf(0.9f, 10), c2 = 1 - powf(0.999f, 10);
  for (int i = 0; i < n; i++) {
    const float mi = 0.9f * m[i] + 0.1f * g[i], vi = 0.999f * v[i] + 0.001f * (g[i] * g[i]);
    m[i] = mi;
    v[i] = vi;
    w[i] = decay * w[i] - 1e-3f * (mi / c1) / (sqrtf(vi / c2) + 1e-8f);
  }
}

/* The same bytes without the arithmetic: the streams' own cost. */
RT_DISPATCH static void adam_streams(int n, float *restrict w, float *restrict m, float *restrict v,
                                     const float *restrict g) {
  for (int i = 0; i < n; i++) {
    w[i] += g[i];
    m[i] += g[i];
    v[i] += g[i];
  }
}

/* Median seconds of fn over 41 calls, each after `pause` seconds spent
 * reading the clock (no memory touched). */
static double time_after_pause(void (*fn)(int, float *, float *, float *, const float *),
                               const adam_ctx *c, double pause) {
  enum { REPS = 41 };
  double t[REPS];
  fn(c->n, c->w, c->m, c->v, c->g);
  for (int r = 0; r < REPS; r++) {
    const double until = now() + pause;
    while (now() < until)
      ;
    const double t0 = now();
    fn(c->n, c->w, c->m, c->v, c->g);
    t[r] = now() - t0;
  }
  qsort(t, REPS, sizeof t[0], cmp_double);
  return t[REPS / 2];
}

static void bench_state(void) {
  enum { N = 512 * 784, ARENA = 16003264 };
  static const long off[4] = {0, 2674688, 4280320, 9080960}; /* w, m, v, g */
  char *arena = aligned_alloc(64, ARENA);
  if (!arena) {
    fprintf(stderr, "bench_kernels: out of memory\n");
    exit(2);
  }
  memset(arena, 0, ARENA);
  adam_ctx c = {N, (float *)(arena + off[0]), (float *)(arena + off[3]), (float *)(arena + off[1]),
                (float *)(arena + off[2])};
  rt_init_uniform_f32(c.g, N, -1e-3, 1e-3, 1, 7);
  static const double pauses_ms[] = {0, 1, 3, 7, 15};
  printf("\n### AdamW on a 512 x 784 weight after a pause (28 bytes per weight)\n\n");
  printf("| pause ms | AdamW ms | GB/s | the streams alone ms | GB/s |\n|---|---|---|---|---|\n");
  for (size_t i = 0; i < sizeof pauses_ms / sizeof pauses_ms[0]; i++) {
    const double ta = time_after_pause(adam_update, &c, 1e-3 * pauses_ms[i]);
    const double ts = time_after_pause(adam_streams, &c, 1e-3 * pauses_ms[i]);
    printf("| %g | %.3f | %.1f | %.3f | %.1f |\n", pauses_ms[i], 1e3 * ta, 28e-9 * N / ta, 1e3 * ts,
           28e-9 * N / ts);
  }
  free(arena);
}

/* ---- (5) the backends: OpenBLAS against oneDNN ---------------------------- */

#ifdef DUET_ONEDNN

static uint16_t *to_bf16(const float *x, size_t n) {
  uint16_t *b = malloc(sizeof(uint16_t) * (n ? n : 1));
  if (!b) {
    fprintf(stderr, "bench_kernels: out of memory\n");
    exit(2);
  }
  for (size_t i = 0; i < n; i++)
    b[i] = rt_bf16_of(x[i]);
  return b;
}

typedef struct {
  int ta, tb, m, n, k;
  const float *A, *B;
  float *C;
  const uint16_t *Ab, *Bb; /* bf16 copies of A and B */
} bk_gemm;

static rt_dnn_matmul_desc bk_desc(const bk_gemm *g, rt_dnn_type ab) {
  const rt_dnn_matmul_desc d = {.ta = g->ta,
                                .tb = g->tb,
                                .m = g->m,
                                .n = g->n,
                                .k = g->k,
                                .batch = 1,
                                .lda = g->ta ? g->m : g->k,
                                .ldb = g->tb ? g->k : g->n,
                                .ldc = g->n,
                                .ab = ab,
                                .c = RT_DNN_F32,
                                .alpha = 1};
  return d;
}

static void bk_sgemm(void *p) {
  bk_gemm *g = p;
  cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
              g->m, g->n, g->k, 1, g->A, g->ta ? g->m : g->k, g->B, g->tb ? g->k : g->n, 0, g->C,
              g->n);
}

static void bk_dnn_f32(void *p) {
  bk_gemm *g = p;
  const rt_dnn_matmul_desc d = bk_desc(g, RT_DNN_F32);
  if (rt_dnn_matmul(&d, g->A, g->B, g->C) != 0)
    fprintf(stderr, "bench_kernels: no oneDNN f32 product %dx%dx%d\n", g->m, g->n, g->k);
}

static void bk_dnn_bf16(void *p) {
  bk_gemm *g = p;
  const rt_dnn_matmul_desc d = bk_desc(g, RT_DNN_BF16);
  if (rt_dnn_matmul(&d, g->Ab, g->Bb, g->C) != 0)
    fprintf(stderr, "bench_kernels: no oneDNN bf16 product %dx%dx%d\n", g->m, g->n, g->k);
}

/* rt_gemm_f32 as the runtime runs it with the oneDNN backend. */
static void bk_rt_gemm(void *p) {
  bk_gemm *g = p;
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  rt_gemm_f32(g->ta, g->tb, g->m, g->n, g->k, 1, g->A, 0, g->B, 0, 0, g->C, 0, 1);
}

/* Times one product by the four ways; t[4] seconds, speedup[4] over sgemm. */
static void bk_gemm_time(int ta, int tb, int m, int n, int k, double t[4], double speedup[4]) {
  float *A = randf((size_t)m * k, 1), *B = randf((size_t)k * n, 2), *C = randf((size_t)m * n, 3);
  uint16_t *Ab = to_bf16(A, (size_t)m * k), *Bb = to_bf16(B, (size_t)k * n);
  bk_gemm g = {ta, tb, m, n, k, A, B, C, Ab, Bb};
  const bench_fn fns[4] = {bk_sgemm, bk_dnn_f32, bk_dnn_bf16, bk_rt_gemm};
  median_n(fns, 4, &g, t, speedup);
  free(A), free(B), free(C), free(Ab), free(Bb);
}

static void bench_backend_gemm(void) {
  static const struct {
    const char *model, *product;
    int ta, tb, m, n, k;
  } shapes[] = {
      {"MLP b256 784->512", "y = x W^T", 0, 1, 256, 512, 784},
      {"MLP b256 784->512", "dx = dy W", 0, 0, 256, 784, 512},
      {"MLP b256 784->512", "dW = dy^T x", 1, 0, 512, 784, 256},
      {"MLP b256 512->512", "y = x W^T", 0, 1, 256, 512, 512},
      {"MLP b256 512->512", "dx = dy W", 0, 0, 256, 512, 512},
      {"MLP b256 512->512", "dW = dy^T x", 1, 0, 512, 512, 256},
      {"MLP b256 512->10", "y = x W^T", 0, 1, 256, 10, 512},
      {"MLP b256 512->10", "dx = dy W", 0, 0, 256, 512, 10},
      {"MLP b256 512->10", "dW = dy^T x", 1, 0, 10, 512, 256},
      {"MLP b128 784->512", "y = x W^T", 0, 1, 128, 512, 784},
      {"MLP b128 512->512", "dW = dy^T x", 1, 0, 512, 512, 128},
      {"MLP b128 512->10", "y = x W^T", 0, 1, 128, 10, 512},
      {"GPT 768 tok, q/k/v/o 128->128", "y = x W^T", 0, 1, 768, 128, 128},
      {"GPT 768 tok, q/k/v/o 128->128", "dx = dy W", 0, 0, 768, 128, 128},
      {"GPT 768 tok, q/k/v/o 128->128", "dW = dy^T x", 1, 0, 128, 128, 768},
      {"GPT 768 tok, MLP up 128->512", "y = x W^T", 0, 1, 768, 512, 128},
      {"GPT 768 tok, MLP up 128->512", "dx = dy W", 0, 0, 768, 128, 512},
      {"GPT 768 tok, MLP up 128->512", "dW = dy^T x", 1, 0, 512, 128, 768},
      {"GPT 768 tok, MLP down 512->128", "y = x W^T", 0, 1, 768, 128, 512},
      {"GPT 768 tok, MLP down 512->128", "dx = dy W", 0, 0, 768, 512, 128},
      {"GPT 768 tok, MLP down 512->128", "dW = dy^T x", 1, 0, 128, 512, 768},
      {"GPT 768 tok, head 128->256", "y = x W^T", 0, 1, 768, 256, 128},
      {"GPT 768 tok, head 128->256", "dx = dy W", 0, 0, 768, 128, 256},
      {"GPT 768 tok, head 128->256", "dW = dy^T x", 1, 0, 256, 128, 768},
  };
  printf("\n### GEMM per backend: GFLOP/s (speed-up over OpenBLAS sgemm)\n\n");
  printf("| model, layer | product | m x n x k | OpenBLAS sgemm | oneDNN f32 | oneDNN bf16 "
         "| rt_gemm_f32 (onednn backend) |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    double t[4], sp[4];
    bk_gemm_time(shapes[i].ta, shapes[i].tb, shapes[i].m, shapes[i].n, shapes[i].k, t, sp);
    const double flop = 2.0 * shapes[i].m * shapes[i].n * shapes[i].k;
    printf("| %s | %s | %dx%dx%d | %.0f | %.0f (%.2fx) | %.0f (%.2fx) | %.0f (%.2fx) |\n",
           shapes[i].model, shapes[i].product, shapes[i].m, shapes[i].n, shapes[i].k,
           1e-9 * flop / t[0], 1e-9 * flop / t[1], sp[1], 1e-9 * flop / t[2], sp[2],
           1e-9 * flop / t[3], sp[3]);
  }
}

/* The shape classes behind rt_gemm_f32's choice of oneDNN: speed-up of
 * oneDNN f32 over sgemm for each transposition, and of rt_gemm_f32. */
static void bench_backend_classes(void) {
  static const int shapes[][3] = {
      {16, 16, 64},   {32, 32, 32},    {16, 16, 256},   {64, 64, 16},  {32, 64, 64},
      {64, 64, 64},   {128, 128, 128}, {512, 512, 512}, {256, 4, 256}, {256, 8, 256},
      {256, 10, 256}, {256, 16, 256},  {4, 256, 256},   {256, 256, 4},
  };
  printf("\n### oneDNN f32 over OpenBLAS sgemm by shape class (speed-up; > 1: oneDNN faster)\n\n");
  printf("| m x n x k | m n k | NN | NT | TN | TT | rt_gemm_f32 NN (onednn backend) |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const int m = shapes[i][0], n = shapes[i][1], k = shapes[i][2];
    double sp[4], rt = 0;
    for (int t = 0; t < 4; t++) {
      double tt[4], s4[4];
      bk_gemm_time(t >> 1, t & 1, m, n, k, tt, s4);
      sp[t] = s4[1];
      if (t == 0)
        rt = s4[3];
    }
    printf("| %dx%dx%d | %.2g | %.2f | %.2f | %.2f | %.2f | %.2f |\n", m, n, k, (double)m * n * k,
           sp[0], sp[1], sp[2], sp[3], rt);
  }
}

/* Newton-Schulz (Muon quintic, 5 steps) by backend and operand type. */
typedef struct {
  int m, n, block; /* block: rows per block of the Gram products */
  float *G, *X, *ws;
  uint16_t *Xb, *Ab, *Bb; /* bf16 operands of one step */
  float *A;
} bk_ns;

static void ns_f32_openblas(void *p) {
  bk_ns *c = p;
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
  rt_polar_ns_f32(c->G, c->X, 1, c->m, c->n, RT_NS_MUON5, 5, 1e-7f, c->ws);
}

static void ns_f32_onednn(void *p) {
  bk_ns *c = p;
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  rt_polar_ns_typed_f32(c->G, c->X, 1, c->m, c->n, RT_NS_MUON5, 5, 1e-7f, 0, c->ws);
}

static void ns_bf16_onednn(void *p) {
  bk_ns *c = p;
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  rt_polar_ns_bf16_f32(c->G, c->X, 1, c->m, c->n, RT_NS_MUON5, 5, 1e-7f, c->ws);
}

static void ns_bf16_openblas(void *p) {
  bk_ns *c = p;
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
  rt_polar_ns_bf16_f32(c->G, c->X, 1, c->m, c->n, RT_NS_MUON5, 5, 1e-7f, c->ws);
}

/* What rt_polar_ns_f32 runs with the oneDNN backend. */
static void ns_rt_onednn(void *p) {
  bk_ns *c = p;
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  rt_polar_ns_f32(c->G, c->X, 1, c->m, c->n, RT_NS_MUON5, 5, 1e-7f, c->ws);
}

static void bk_ns_alloc(bk_ns *c, int m, int n) {
  const int s = m < n ? m : n;
  size_t ws = rt_polar_ns_ws_f32(m, n);
  if (rt_polar_ns_bf16_ws_f32(m, n) > ws)
    ws = rt_polar_ns_bf16_ws_f32(m, n);
  if (rt_polar_ns_typed_ws_f32(m, n) > ws)
    ws = rt_polar_ns_typed_ws_f32(m, n);
  c->m = m, c->n = n;
  c->G = randf((size_t)m * n, 1), c->X = randf((size_t)m * n, 2), c->ws = randf(ws, 3);
  c->A = randf((size_t)s * s, 4);
  c->Xb = to_bf16(c->G, (size_t)m * n);
  c->Ab = to_bf16(c->A, (size_t)s * s), c->Bb = to_bf16(c->A, (size_t)s * s);
}

static void bk_ns_free(bk_ns *c) {
  free(c->G), free(c->X), free(c->ws), free(c->A), free(c->Xb), free(c->Ab), free(c->Bb);
}

/* The three weights of the MLP, one after the other (one optimizer step). */
static const int mlp_weights[3][2] = {{512, 784}, {512, 512}, {10, 512}};

typedef struct {
  bk_ns w[3];
} bk_ns_mlp;

#define NS_MLP_RUN(name)            \
  static void name##_mlp(void *p) { \
    bk_ns_mlp *c = p;               \
    for (int i = 0; i < 3; i++)     \
      name(&c->w[i]);               \
  }
NS_MLP_RUN(ns_f32_openblas)
NS_MLP_RUN(ns_f32_onednn)
NS_MLP_RUN(ns_bf16_onednn)
NS_MLP_RUN(ns_bf16_openblas)
NS_MLP_RUN(ns_rt_onednn)

static void print_ns_row(const char *name, const double t[5], const double sp[5]) {
  printf("| %s | %.2f | %.2f (%.2fx) | %.2f (%.2fx) | %.2f (%.2fx) | %.2f (%.2fx) |\n", name,
         1e3 * t[0], 1e3 * t[1], sp[1], 1e3 * t[2], sp[2], 1e3 * t[3], sp[3], 1e3 * t[4], sp[4]);
}

/* Gram product X X^T (s x s of the s x l Xb) on oneDNN in bf16, by block
 * rows of c->block rows against the columns right of them (upper blocks),
 * or whole (block >= s); the A^2 product likewise on Ab. */
static void gram_blocks(const bk_ns *c, int s, int l, const uint16_t *Y, uint16_t *out) {
  for (int i0 = 0; i0 < s; i0 += c->block) {
    const int rows = s - i0 < c->block ? s - i0 : c->block;
    const rt_dnn_matmul_desc d = {.tb = 1,
                                  .m = rows,
                                  .n = s - i0,
                                  .k = l,
                                  .batch = 1,
                                  .lda = l,
                                  .ldb = l,
                                  .ldc = s,
                                  .ab = RT_DNN_BF16,
                                  .c = RT_DNN_BF16,
                                  .alpha = 1};
    if (rt_dnn_matmul(&d, Y + (long)i0 * l, Y + (long)i0 * l, out + (long)i0 * s + i0) != 0)
      fprintf(stderr, "bench_kernels: no oneDNN bf16 Gram block\n");
  }
}

static void gram_xxt(void *p) {
  bk_ns *c = p;
  gram_blocks(c, c->m, c->n, c->Xb, c->Ab);
}

static void gram_a2(void *p) {
  bk_ns *c = p;
  gram_blocks(c, c->m, c->m, c->Ab, c->Bb);
}

static void bench_backend_ns(void) {
  static const char *names[] = {"512x784 (W1)", "512x512 (W2)", "10x512 (W3)"};
  printf("\n### Newton-Schulz (Muon quintic x5) on the MLP's weights: ms (speed-up over f32 "
         "OpenBLAS)\n\n");
  printf("| weight | f32 OpenBLAS (syrk, syrk, symm) | f32 oneDNN | bf16 oneDNN | bf16 on "
         "OpenBLAS (rounded operands) | rt_polar_ns_f32, onednn backend |\n");
  printf("|---|---|---|---|---|---|\n");
  const bench_fn fns[5] = {ns_f32_openblas, ns_f32_onednn, ns_bf16_onednn, ns_bf16_openblas,
                           ns_rt_onednn};
  const bench_fn mlp[5] = {ns_f32_openblas_mlp, ns_f32_onednn_mlp, ns_bf16_onednn_mlp,
                           ns_bf16_openblas_mlp, ns_rt_onednn_mlp};
  bk_ns_mlp all;
  for (int i = 0; i < 3; i++) {
    bk_ns_alloc(&all.w[i], mlp_weights[i][0], mlp_weights[i][1]);
    double t[5], sp[5];
    median_n(fns, 5, &all.w[i], t, sp);
    print_ns_row(names[i], t, sp);
  }
  double t[5], sp[5];
  median_n(mlp, 5, &all, t, sp);
  print_ns_row("all three (one Dual step)", t, sp);

  printf("\n### bf16 Gram products on oneDNN: whole or by upper block rows (ms)\n\n");
  static const int blocks[] = {1 << 30, 256, 128, 64, 32};
  printf("| product | whole | rows of 256 | rows of 128 | rows of 64 | rows of 32 |\n");
  printf("|---|---|---|---|---|---|\n");
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  for (int i = 0; i < 2; i++) {
    bk_ns *c = &all.w[i];
    for (int which = 0; which < 2; which++) {
      double t1[5];
      printf("| %s %dx%d |", which ? "A^2, A" : "X X^T, X", which ? c->m : c->m,
             which ? c->m : c->n);
      for (int b = 0; b < 5; b++) {
        c->block = blocks[b];
        median_pair(which ? gram_a2 : gram_xxt, NULL, c, &t1[b], NULL);
        printf(" %.2f |", 1e3 * t1[b]);
      }
      printf("\n");
    }
  }
  for (int i = 0; i < 3; i++)
    bk_ns_free(&all.w[i]);
}

/* conv2d by path: im2col + OpenBLAS GEMM, oneDNN's convolution, and what
 * rt_conv2d_* runs with the oneDNN backend (the path auto picks on its
 * first call of the shape and pass). */
typedef struct {
  rt_dnn_conv_shape s;
  rt_conv_pass pass;
  float *x, *W, *y, *ws;
} bk_conv;

static void conv_rt(bk_conv *c) {
  const rt_dnn_conv_shape *s = &c->s;
  if (c->pass == RT_CONV_FWD)
    rt_conv2d_fwd_f32(c->x, c->W, c->y, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride,
                      s->pad, c->ws);
  else if (c->pass == RT_CONV_BWD_DATA)
    rt_conv2d_bwd_data_f32(c->y, c->W, c->x, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride,
                           s->pad, c->ws);
  else
    rt_conv2d_bwd_weight_f32(c->x, c->y, c->W, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw,
                             s->stride, s->pad, c->ws);
}

static void conv_im2col_openblas(void *p) {
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
  conv_rt(p);
}

static void conv_rt_onednn(void *p) {
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  conv_rt(p);
}

static void conv_onednn(void *p) {
  bk_conv *c = p;
  const float *in[3][2] = {{c->x, c->W}, {c->y, c->W}, {c->x, c->y}};
  float *out[3] = {c->y, c->x, c->W};
  if (rt_dnn_conv(c->pass, &c->s, in[c->pass][0], in[c->pass][1], out[c->pass], c->ws) != 0)
    fprintf(stderr, "bench_kernels: no oneDNN convolution\n");
}

static void bench_backend_conv(void) {
  static const struct {
    const char *name;
    rt_dnn_conv_shape s;
  } shapes[] = {
      {"CNN conv1 b128", {128, 1, 28, 28, 32, 3, 3, 1, 1}},
      {"CNN conv2 b128", {128, 32, 14, 14, 64, 3, 3, 1, 1}},
      {"CNN conv1 b16 (last eval batch)", {16, 1, 28, 28, 32, 3, 3, 1, 1}},
      {"CNN conv2 b16 (last eval batch)", {16, 32, 14, 14, 64, 3, 3, 1, 1}},
      {"c3 b64", {64, 3, 28, 28, 32, 3, 3, 1, 1}},
      {"c8 b64", {64, 8, 28, 28, 16, 3, 3, 1, 1}},
      {"c16 b64", {64, 16, 28, 28, 32, 3, 3, 1, 1}},
      {"c64 b64", {64, 64, 14, 14, 128, 3, 3, 1, 1}},
  };
  static const char *pass[] = {"fwd", "bwd data", "bwd weight"};
  printf("\n### conv2d by path: ms (speed-up over im2col + OpenBLAS)\n\n");
  printf("| layer | n c hxw o k | pass | im2col + OpenBLAS | oneDNN convolution | rt_conv2d, "
         "onednn backend |\n");
  printf("|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const rt_dnn_conv_shape *s = &shapes[i].s;
    const int ho = (s->h + 2 * s->pad - s->kh) / s->stride + 1;
    const size_t ws =
        rt_conv2d_ws_f32(s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad) +
        rt_dnn_conv_ws(s);
    bk_conv c = {*s,
                 RT_CONV_FWD,
                 randf((size_t)s->n * s->c * s->h * s->w, 1),
                 randf((size_t)s->o * s->c * s->kh * s->kw, 2),
                 randf((size_t)s->n * s->o * ho * ho, 3),
                 randf(ws, 4)};
    const bench_fn fns[3] = {conv_im2col_openblas, conv_onednn, conv_rt_onednn};
    for (int p = 0; p < 3; p++) {
      double t[3], sp[3];
      c.pass = (rt_conv_pass)p;
      median_n(fns, 3, &c, t, sp);
      printf("| %s | %d %d %dx%d %d %d | %s | %.2f | %.2f (%.2fx) | %.2f (%.2fx) |\n",
             shapes[i].name, s->n, s->c, s->h, s->w, s->o, s->kh, pass[p], 1e3 * t[0], 1e3 * t[1],
             sp[1], 1e3 * t[2], sp[2]);
    }
    free(c.x), free(c.W), free(c.y), free(c.ws);
  }
}

static void bench_backends(int argc, char **argv) {
  char impl[256];
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  rt_gemm_backend_describe(impl, sizeof impl);
  printf("\n## OpenBLAS against oneDNN (1 thread; %s)\n", impl);
  if (wanted(argc, argv, "gemm"))
    bench_backend_gemm();
  if (wanted(argc, argv, "classes"))
    bench_backend_classes();
  if (wanted(argc, argv, "backend-ns"))
    bench_backend_ns();
  if (wanted(argc, argv, "backend-conv"))
    bench_backend_conv();
  rt_gemm_set_backend(RT_GEMM_ONEDNN);
  rt_gemm_backend_describe(impl, sizeof impl);
  printf("\nImplementations oneDNN used: %s\n", impl);
}
#endif

int main(int argc, char **argv) {
  rt_set_threads(1);
  printf("## Runtime kernels (1 thread, median of repeats)\n\n");
  printf("Load average at start: %.2f\n", load_average());
  /* the entry points' own overhead, on OpenBLAS */
  rt_gemm_set_backend(RT_GEMM_OPENBLAS);
  if (wanted(argc, argv, "mlp"))
    bench_mlp();
  if (wanted(argc, argv, "conv"))
    bench_conv();
  if (wanted(argc, argv, "ns"))
    bench_ns();
  if (wanted(argc, argv, "state"))
    bench_state();
#ifdef DUET_ONEDNN
  bench_backends(argc, argv);
#else
  printf("\n(built without oneDNN: no backend comparison)\n");
#endif
  printf("\nLoad average at end: %.2f\n", load_average());
  return 0;
}
