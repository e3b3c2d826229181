/*
 * bench_step.c - a training step built through the whole compiler (front
 * end, sema, elaborator, core JIT) and timed on one thread, alternating with
 * its GEMM floor (the bare GEMM calls of the same step, through rt_gemm_f32:
 * on the backend the step runs on) and, for the MLP with the Dual
 * optimizer, with Newton-Schulz alone on its three weight shapes, as the
 * step runs it (bf16 operands, rt_polar_ns_in_f32) and in f32 on OpenBLAS
 * (rt_polar_ns_f32, the iteration before bf16). Three programs: the
 * Fashion-MNIST MLP (784-512-512-10, GELU, no biases), the pre-norm GPT of
 * examples/kjv_gpt.duet (depth 4, width 128, 4 heads, context 64, bytes)
 * and the CNN of examples/fashion_cnn.duet (two 3x3 convolutions with relu
 * and 2x2 max pooling, Linear 3136-128-10). Reports compile times (with and
 * without train_step_logged), the time of one train_step_logged (the step
 * `duet run` takes every log_every steps) and its ratio to train_step
 * (interleaved pairs), the arena size (all entries, and what train_step
 * uses of it), the peak resident memory and the picks of the convolutions'
 * paths (rt_kernels.h; conv_pick lines) as `key value` lines.
 *   bench_step [--model mlp|gpt|cnn] [--opt adamw|dual] [--batch B] [--steps N]
 *              [--dump] [--serve]
 * --serve: after the report lines and "ready", read one count N per line
 * from stdin and answer with N lines "step floor ns ns_f32" (seconds), so that
 * another process can interleave its own steps with these (compare_step.py).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "elab.h"
#include "parse.h"
#include "rt_kernels.h"
#include "sema.h"

enum { NLAYERS = 3 };
static const int widths[NLAYERS + 1] = {784, 512, 512, 10};

/* the CNN: the channels of its convolutions (3x3, padding 1) on 28 x 28
 * images, each followed by 2x2 max pooling, then two Linear layers */
enum {
  CNN_SIDE = 28,
  CNN_C1 = 32,
  CNN_C2 = 64,
  CNN_FLAT = CNN_C2 * (CNN_SIDE / 4) * (CNN_SIDE / 4),
  CNN_HIDDEN = 128,
  CNN_CLASSES = 10
};

/* the GPT: GPTPreNorm's sizes, the feed-forward expansion of MLPBlock */
enum {
  GPT_VOCAB = 256,
  GPT_CONTEXT = 64,
  GPT_WIDTH = 128,
  GPT_HEADS = 4,
  GPT_DEPTH = 4,
  GPT_EXPAND = 4
};

typedef struct options {
  int gpt;         /* the GPT */
  int cnn;         /* the CNN; neither: the MLP */
  const char *opt; /* "adamw" or "dual" */
  int batch, steps, warmup;
  int dump;  /* print the kernel program (kp_dump) */
  int serve; /* answer step requests on stdin (see above) */
} options;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fputs("bench_step: out of memory\n", stderr);
    exit(2);
  }
  return p;
}

static float *randf(size_t n, unsigned *seed) {
  float *x = xcalloc(n, sizeof *x);
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1664525u + 1013904223u;
    x[i] = (float)(*seed >> 8) / 16777216.0f - 0.5f;
  }
  return x;
}

/* ---- the program ------------------------------------------------------------ */

/* The front end's state for one source text; everything lives in `a`. */
typedef struct unit {
  arena *a;
  diag_ctx *d;
  sema_result *r;
} unit;

/* The experiment's text: the model with AdamW at the learning rate of its
 * example (0.001 for the MLP, 0.002 for the GPT) or Dual at the example's. */
static void program_text(char *text, size_t size, const options *o) {
  const int dual = strcmp(o->opt, "dual") == 0;
  if (o->cnn)
    snprintf(text, size,
             "use std.nn\nuse std.optim\n"
             "experiment bench {\n"
             "  data train = fashion_mnist(\"train\")\n"
             "  model = Conv2D(1, %d, 3) >> relu >> maxpool(2)\n"
             "    >> Conv2D(%d, %d, 3) >> relu >> maxpool(2)\n"
             "    >> flatten >> Linear(%d, %d) >> relu >> Linear(%d, %d)\n"
             "  loss = cross_entropy\n"
             "  optimizer = %s\n"
             "  batch = %d\n"
             "  epochs = 1\n"
             "  seed = 0\n"
             "}\n",
             CNN_C1, CNN_C1, CNN_C2, CNN_FLAT, CNN_HIDDEN, CNN_HIDDEN, CNN_CLASSES,
             dual ? "Dual(lr = 0.05)" : "AdamW(lr = 0.001)", o->batch);
  else if (o->gpt)
    snprintf(text, size,
             "use std.gpt\nuse std.optim\n"
             "experiment bench {\n"
             "  data train = kjv(\"train\", context = %d)\n"
             "  model = GPTPreNorm(vocab = %d, context = %d, width = %d, heads = %d, "
             "depth = %d)\n"
             "  loss = cross_entropy\n"
             "  optimizer = %s\n"
             "  batch = %d\n"
             "  steps = 2000\n"
             "  seed = 0\n"
             "}\n",
             GPT_CONTEXT, GPT_VOCAB, GPT_CONTEXT, GPT_WIDTH, GPT_HEADS, GPT_DEPTH,
             dual ? "Dual(lr = 0.05)" : "AdamW(lr = 0.002)", o->batch);
  else
    snprintf(text, size,
             "use std.nn\nuse std.optim\n"
             "experiment bench {\n"
             "  data train = fashion_mnist(\"train\")\n"
             "  model = flatten >> MLP(%d, %d, %d, act = gelu)\n"
             "  loss = cross_entropy\n"
             "  optimizer = %s\n"
             "  batch = %d\n"
             "  epochs = 1\n"
             "  seed = 0\n"
             "}\n",
             widths[0], widths[1], widths[NLAYERS], dual ? "Dual(lr = 0.02)" : "AdamW(lr = 0.001)",
             o->batch);
}

static const sema_experiment *load(unit *u, const options *o) {
  char text[1024];
  program_text(text, sizeof text, o);
  u->a = arena_new();
  u->d = diag_new();
  parse_options popt = {DUET_STDLIB_DIR};
  ast_program *p = parse_string(u->a, u->d, "bench.duet", text, strlen(text), &popt);
  if (diag_error_count(u->d) == 0)
    u->r = sema_check(u->a, u->d, p);
  if (diag_error_count(u->d) || u->r->nexperiments != 1) {
    diag_print(u->d, stderr);
    exit(2);
  }
  return u->r->experiments[0];
}

/* Elaborates and compiles; *seconds gets the wall time of both. */
static core_exe *build(unit *u, const sema_experiment *e, int batch, int logged, double *seconds) {
  elab_options eo = {.batch = batch, .eval_batch = -1, .no_logged = !logged};
  double t0 = now();
  ir_program *p = elab_experiment(u->r, e, &eo, u->d);
  if (!p) {
    diag_print(u->d, stderr);
    exit(2);
  }
  char err[512];
  core_exe *x = core_compile(p, err, sizeof err);
  *seconds = now() - t0;
  ir_program_free(p);
  if (!x) {
    fprintf(stderr, "bench_step: compile: %s\n", err);
    exit(2);
  }
  return x;
}

/* ---- the GEMM floor ---------------------------------------------------------
 * Exactly the matrix products of one step, row-major, on the data flow of
 * the step: operands are buffers that the products share as the step does
 * (a layer's output is the next layer's input and is read again by the
 * backward products; every weight and weight gradient has its own). A
 * product with count > 1 is one call per (batch item, head), on
 * consecutive blocks of its buffers. */

enum { MAX_GEMMS = 128, MAX_BUFS = 160 };

typedef struct gemm_op {
  int ta, tb, m, n, k, count;
  int a, b, c; /* operand buffers */
} gemm_op;

typedef struct floor_ctx {
  int n, nbufs;
  gemm_op g[MAX_GEMMS];
  size_t size[MAX_BUFS]; /* elements: the largest use of the buffer */
  float *buf[MAX_BUFS];  /* owned */
} floor_ctx;

/* A new operand buffer. */
static int buffer(floor_ctx *f) {
  assert(f->nbufs < MAX_BUFS);
  f->size[f->nbufs] = 0;
  return f->nbufs++;
}

static void use(floor_ctx *f, int buf, size_t n) {
  f->size[buf] = n > f->size[buf] ? n : f->size[buf];
}

/* C = op(A) op(B), op(A) m x k, op(B) k x n, `count` times. */
static void gemm(floor_ctx *f, int ta, int tb, int m, int n, int k, int count, int a, int b,
                 int c) {
  assert(f->n < MAX_GEMMS);
  f->g[f->n++] = (gemm_op){ta, tb, m, n, k, count, a, b, c};
  use(f, a, (size_t)count * m * k);
  use(f, b, (size_t)count * k * n);
  use(f, c, (size_t)count * m * n);
}

/* The three products of a weight w [out, in] on rows x [rows, in]:
 * forward y = x w^T, and in the backward pass dw = dy^T x and (if dx >= 0)
 * dx = dy w. */
static void linear_fwd(floor_ctx *f, int rows, int out, int in, int x, int w, int y) {
  gemm(f, 0, 1, rows, out, in, 1, x, w, y);
}

static void linear_bwd(floor_ctx *f, int rows, int out, int in, int x, int w, int dy, int dw,
                       int dx) {
  gemm(f, 1, 0, out, in, rows, 1, dy, x, dw);
  if (dx >= 0)
    gemm(f, 0, 0, rows, in, out, 1, dy, w, dx);
}

/* The MLP: forward h = x W^T per layer; backward dW = dh^T x_in per layer
 * and dx_in = dh W for all but the first layer. */
static void floor_mlp(floor_ctx *f, int B) {
  int act[NLAYERS + 1], w[NLAYERS], dw[NLAYERS], dact[NLAYERS];
  for (int l = 0; l <= NLAYERS; l++)
    act[l] = buffer(f);
  for (int l = 0; l < NLAYERS; l++) {
    w[l] = buffer(f);
    dw[l] = buffer(f);
    dact[l] = buffer(f);
  }
  for (int l = 0; l < NLAYERS; l++)
    linear_fwd(f, B, widths[l + 1], widths[l], act[l], w[l], act[l + 1]);
  for (int l = NLAYERS - 1; l >= 0; l--)
    linear_bwd(f, B, widths[l + 1], widths[l], act[l], w[l], dact[l], dw[l],
               l > 0 ? dact[l - 1] : -1);
}

/* The GPT on N = batch * context rows. A block: x Q^T, x K^T, x V^T; per
 * (batch item, head) the scores S = q k^T and P v on the whole context x
 * context square; the output projection, then the MLP's two products
 * (their output is the next block's input). Then the head. Backward: the
 * weight and input gradients of every product (the first block's input
 * gradient too: the embedding is trained), and per (batch item, head)
 * dv = P^T dout, dP = dout v^T, dq = dS k, dk = dS^T q. (Norms, RoPE,
 * softmax and residual sums are not products: a product's output buffer
 * stands for what they make of it.) */
static void floor_gpt(floor_ctx *f, int batch) {
  const int N = batch * GPT_CONTEXT, d = GPT_WIDTH, T = GPT_CONTEXT, V = GPT_VOCAB;
  const int dh = GPT_WIDTH / GPT_HEADS, bh = batch * GPT_HEADS, ff = GPT_EXPAND * GPT_WIDTH;
  enum { Q, K, VW, O, W1, W2, NW };
  int x[GPT_DEPTH + 1], qkv[GPT_DEPTH][3], p[GPT_DEPTH], att[GPT_DEPTH], mid[GPT_DEPTH],
      hid[GPT_DEPTH], w[GPT_DEPTH][NW], dw[GPT_DEPTH][NW];
  for (int l = 0; l <= GPT_DEPTH; l++)
    x[l] = buffer(f);
  for (int l = 0; l < GPT_DEPTH; l++) {
    for (int i = 0; i < 3; i++)
      qkv[l][i] = buffer(f);
    p[l] = buffer(f);
    att[l] = buffer(f);
    mid[l] = buffer(f);
    hid[l] = buffer(f);
    for (int i = 0; i < NW; i++) {
      w[l][i] = buffer(f);
      dw[l][i] = buffer(f);
    }
  }
  const int head = buffer(f), dhead = buffer(f), logits = buffer(f);
  const int dx = buffer(f), dhid = buffer(f), datt = buffer(f), dp = buffer(f);
  int dqkv[3];
  for (int i = 0; i < 3; i++)
    dqkv[i] = buffer(f);

  for (int l = 0; l < GPT_DEPTH; l++) {
    for (int i = 0; i < 3; i++)
      linear_fwd(f, N, d, d, x[l], w[l][Q + i], qkv[l][i]);
    gemm(f, 0, 1, T, T, dh, bh, qkv[l][0], qkv[l][1], p[l]);
    gemm(f, 0, 0, T, dh, T, bh, p[l], qkv[l][2], att[l]);
    linear_fwd(f, N, d, d, att[l], w[l][O], mid[l]);
    linear_fwd(f, N, ff, d, mid[l], w[l][W1], hid[l]);
    linear_fwd(f, N, d, ff, hid[l], w[l][W2], x[l + 1]);
  }
  linear_fwd(f, N, V, d, x[GPT_DEPTH], head, logits);
  linear_bwd(f, N, V, d, x[GPT_DEPTH], head, logits, dhead, dx);
  for (int l = GPT_DEPTH - 1; l >= 0; l--) {
    linear_bwd(f, N, d, ff, hid[l], w[l][W2], dx, dw[l][W2], dhid);
    linear_bwd(f, N, ff, d, mid[l], w[l][W1], dhid, dw[l][W1], dx);
    linear_bwd(f, N, d, d, att[l], w[l][O], dx, dw[l][O], datt);
    gemm(f, 1, 0, T, dh, T, bh, p[l], datt, dqkv[2]);
    gemm(f, 0, 1, T, T, dh, bh, datt, qkv[l][2], dp);
    gemm(f, 0, 0, T, dh, T, bh, dp, qkv[l][1], dqkv[0]);
    gemm(f, 1, 0, T, dh, T, bh, dp, qkv[l][0], dqkv[1]);
    for (int i = 0; i < 3; i++)
      linear_bwd(f, N, d, d, x[l], w[l][Q + i], dqkv[i], dw[l][Q + i], dx);
  }
}

/* The CNN: each convolution as im2col + GEMM, rows = batch * side^2
 * output pixels, columns = in * 9 taps: forward y = cols W^T, backward
 * dW = dy^T cols and (but the first) dcols = dy W; then the two Linear
 * layers as the MLP's. (im2col, relu and pooling are not products.) */
static void floor_cnn(floor_ctx *f, int B) {
  const int side[2] = {CNN_SIDE, CNN_SIDE / 2}, cin[2] = {1, CNN_C1}, cout[2] = {CNN_C1, CNN_C2};
  const int lin[3] = {CNN_FLAT, CNN_HIDDEN, CNN_CLASSES};
  int cols[2], w[2], dw[2], y[2], dy[2], dcols = buffer(f);
  int act[3], lw[2], ldw[2], dact[2];
  for (int l = 0; l < 2; l++) {
    cols[l] = buffer(f);
    w[l] = buffer(f);
    dw[l] = buffer(f);
    y[l] = buffer(f);
    dy[l] = buffer(f);
    lw[l] = buffer(f);
    ldw[l] = buffer(f);
    dact[l] = buffer(f);
  }
  for (int l = 0; l < 3; l++)
    act[l] = buffer(f);
  for (int l = 0; l < 2; l++)
    linear_fwd(f, B * side[l] * side[l], cout[l], 9 * cin[l], cols[l], w[l], y[l]);
  for (int l = 0; l < 2; l++)
    linear_fwd(f, B, lin[l + 1], lin[l], act[l], lw[l], act[l + 1]);
  for (int l = 1; l >= 0; l--) /* dx of the first: the pooled output's gradient */
    linear_bwd(f, B, lin[l + 1], lin[l], act[l], lw[l], dact[l], ldw[l], l ? dact[0] : dy[1]);
  for (int l = 1; l >= 0; l--)
    linear_bwd(f, B * side[l] * side[l], cout[l], 9 * cin[l], cols[l], w[l], dy[l], dw[l],
               l > 0 ? dcols : -1);
}

static void floor_init(floor_ctx *f, const options *o, unsigned *seed) {
  f->n = f->nbufs = 0;
  if (o->cnn)
    floor_cnn(f, o->batch);
  else if (o->gpt)
    floor_gpt(f, o->batch);
  else
    floor_mlp(f, o->batch);
  for (int i = 0; i < f->nbufs; i++)
    f->buf[i] = randf(f->size[i], seed);
}

static void floor_free(floor_ctx *f) {
  for (int i = 0; i < f->nbufs; i++)
    free(f->buf[i]);
}

static void floor_step(const floor_ctx *f) {
  for (int i = 0; i < f->n; i++) {
    const gemm_op *g = &f->g[i];
    const long sa = (long)g->m * g->k, sb = (long)g->k * g->n, sc = (long)g->m * g->n;
    for (int j = 0; j < g->count; j++)
      rt_gemm_f32(g->ta, g->tb, g->m, g->n, g->k, 1, f->buf[g->a] + j * sa, 0,
                  f->buf[g->b] + j * sb, 0, 0, f->buf[g->c] + j * sc, 0, 1);
  }
}

/* Newton-Schulz alone (the Dual optimizer's runtime call) on each weight. */
typedef struct ns_ctx {
  float *g[NLAYERS], *x[NLAYERS], *ws;
} ns_ctx;

static void ns_init(ns_ctx *n, unsigned *seed) {
  size_t ws = 0;
  for (int l = 0; l < NLAYERS; l++) {
    n->g[l] = randf((size_t)widths[l + 1] * widths[l], seed);
    n->x[l] = randf((size_t)widths[l + 1] * widths[l], seed);
    size_t s = rt_polar_ns_in_ws_f32(widths[l + 1], widths[l], RT_NS_BF16);
    size_t s32 = rt_polar_ns_ws_f32(widths[l + 1], widths[l]);
    ws = s > ws ? s : ws;
    ws = s32 > ws ? s32 : ws;
  }
  n->ws = xcalloc(ws, sizeof(float));
}

static void ns_free(ns_ctx *n) {
  for (int l = 0; l < NLAYERS; l++) {
    free(n->g[l]);
    free(n->x[l]);
  }
  free(n->ws);
}

/* bf16: as the Dual step runs it; else f32 on OpenBLAS */
static void ns_step(const ns_ctx *n, int bf16) {
  for (int l = 0; l < NLAYERS; l++)
    rt_polar_ns_in_f32(n->g[l], n->x[l], 1, widths[l + 1], widths[l], RT_NS_MUON5, 5, 1e-7f,
                       bf16 ? RT_NS_BF16 : RT_NS_F32, n->ws);
}

/* ---- measurement ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v and prints its median and quartiles, times `scale`, under `key`. */
static void report(const char *key, double *v, int n, double scale) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  printf("%s %.4f\n%s_p25 %.4f\n%s_p75 %.4f\n", key, scale * med, key, scale * v[n / 4], key,
         scale * v[3 * n / 4]);
}

static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0)
      kb = strtol(line + 6, NULL, 10);
  if (f)
    fclose(f);
  return kb;
}

typedef struct stepper {
  core_exe *x;
  int entry, logged_entry;
  void *arena;
  void **inputs;
  double *scalars;
  int t_index;
  long t;
} stepper;

/* Token or label inputs get k * 7 mod `classes`, real inputs uniform [0, 1). */
static void stepper_init(stepper *s, core_exe *x, int classes, unsigned *seed) {
  const kp_program *kp = core_kernels(x);
  s->x = x;
  s->entry = core_entry(x, "train_step");
  s->logged_entry = core_entry(x, "train_step_logged");
  s->arena = core_arena_alloc(x);
  core_init(x, s->arena, 0);
  s->inputs = xcalloc((size_t)kp->ninputs, sizeof *s->inputs);
  for (int i = 0; i < kp->ninputs; i++) {
    const kp_input *in = &kp->inputs[i];
    long n = 1;
    for (int d = 0; d < in->rank; d++)
      n *= in->shape[d];
    if (in->dtype == KP_I32) {
      int *y = xcalloc((size_t)n, sizeof *y);
      for (long k = 0; k < n; k++)
        y[k] = (int)(k * 7 % classes);
      s->inputs[i] = y;
    } else {
      float *v = randf((size_t)n, seed);
      for (long k = 0; k < n; k++)
        v[k] += 0.5f; /* pixels in [0, 1) */
      s->inputs[i] = v;
    }
  }
  s->scalars = xcalloc((size_t)kp->nscalars, sizeof *s->scalars);
  s->t_index = -1;
  for (int i = 0; i < kp->nscalars; i++) {
    if (strcmp(kp->scalars[i], "schedule") == 0)
      s->scalars[i] = 1;
    if (strcmp(kp->scalars[i], "t") == 0)
      s->t_index = i;
  }
}

static void stepper_run(stepper *s, int entry) {
  double out[8];
  s->t++;
  if (s->t_index >= 0)
    s->scalars[s->t_index] = (double)s->t;
  core_run(s->x, entry, s->arena, s->inputs, s->scalars, out);
}

/* Median time of `n` train_step_logged calls, each right after a train_step
 * call, and the median ratio of the two times in these pairs. */
static void report_logged(stepper *s, int n) {
  double *v = xcalloc((size_t)n, sizeof *v), *r = xcalloc((size_t)n, sizeof *r);
  for (int i = 0; i < n; i++) {
    double t0 = now();
    stepper_run(s, s->entry);
    double t1 = now();
    stepper_run(s, s->logged_entry);
    v[i] = now() - t1;
    r[i] = v[i] / (t1 - t0);
  }
  report("logged_step_ms", v, n, 1e3);
  report("logged_over_step", r, n, 1);
  free(v);
  free(r);
}

static void stepper_free(stepper *s) {
  const kp_program *kp = core_kernels(s->x);
  for (int i = 0; i < kp->ninputs; i++)
    free(s->inputs[i]);
  free(s->inputs);
  free(s->scalars);
  free(s->arena);
}

/* Everything one timed iteration runs. */
typedef struct bench {
  stepper s;
  floor_ctx f;
  ns_ctx ns;
  int ns_timed; /* the MLP with Dual: time Newton-Schulz alone */
} bench;

/* One duet step, then the GEMM floor, then Newton-Schulz alone (ns_timed)
 * in bf16 and in f32; t[0..3] get their seconds. */
static void iterate(bench *b, double t[4]) {
  double t0 = now();
  stepper_run(&b->s, b->s.entry);
  double t1 = now();
  floor_step(&b->f);
  double t2 = now();
  if (b->ns_timed)
    ns_step(&b->ns, 1);
  double t3 = now();
  if (b->ns_timed)
    ns_step(&b->ns, 0);
  t[0] = t1 - t0;
  t[1] = t2 - t1;
  t[2] = t3 - t2;
  t[3] = now() - t3;
}

static void run_steps(bench *b, int steps) {
  double *v[6];
  for (int k = 0; k < 6; k++)
    v[k] = xcalloc((size_t)steps, sizeof(double));
  for (int i = 0; i < steps; i++) {
    double t[4];
    iterate(b, t);
    for (int k = 0; k < 4; k++)
      v[k][i] = t[k];
    v[4][i] = t[0] / t[1];
    v[5][i] = b->ns_timed ? t[3] / t[2] : 0;
  }
  report("step_ms", v[0], steps, 1e3);
  report("floor_ms", v[1], steps, 1e3);
  report("step_over_floor", v[4], steps, 1);
  if (b->ns_timed) {
    report("ns_ms", v[2], steps, 1e3);
    report("ns_f32_ms", v[3], steps, 1e3);
    report("ns_speedup_over_f32", v[5], steps, 1);
  }
  for (int k = 0; k < 6; k++)
    free(v[k]);
}

/* The --serve protocol (see the top of the file). */
static void serve(bench *b) {
  char line[64];
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    int n = atoi(line);
    for (int i = 0; i < n; i++) {
      double t[4];
      iterate(b, t);
      printf("%.9f %.9f %.9f %.9f\n", t[0], t[1], t[2], t[3]);
    }
    fflush(stdout);
  }
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){.opt = "adamw", .batch = -1, .steps = 200, .warmup = 10};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--dump") == 0)
      o->dump = 1;
    else if (strcmp(a, "--serve") == 0)
      o->serve = 1;
    else if (strcmp(a, "--model") == 0 && v &&
             (!strcmp(v, "mlp") || !strcmp(v, "gpt") || !strcmp(v, "cnn"))) {
      o->gpt = strcmp(v, "gpt") == 0;
      o->cnn = strcmp(argv[++i], "cnn") == 0;
    } else if (strcmp(a, "--opt") == 0 && v && (!strcmp(v, "adamw") || !strcmp(v, "dual")))
      o->opt = argv[++i];
    else if (strcmp(a, "--batch") == 0 && v && atoi(v) > 0)
      o->batch = atoi(argv[++i]);
    else if (strcmp(a, "--steps") == 0 && v && atoi(v) > 0)
      o->steps = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_step [--model mlp|gpt|cnn] [--opt adamw|dual] [--batch B] "
                      "[--steps N] [--dump] [--serve]\n");
      return -1;
    }
  }
  if (o->batch < 0)
    o->batch = o->gpt ? 12 : 128;
  return 0;
}

int main(int argc, char **argv) {
  options o;
  if (parse_args(argc, argv, &o) < 0)
    return 2;
  unit u = {0};
  const sema_experiment *e = load(&u, &o);
  double with_logged, without_logged;
  core_free(build(&u, e, o.batch, 0, &without_logged));
  core_exe *x = build(&u, e, o.batch, 1, &with_logged);
  printf("compile_s_logged %.3f\ncompile_s %.3f\n", with_logged, without_logged);
  printf("gemm_onednn %d\n", rt_gemm_get_backend() == RT_GEMM_ONEDNN);
  if (o.dump)
    kp_dump(core_kernels(x), stdout);

  const kp_program *kp = core_kernels(x);
  const kp_entry *step = &kp->entries[kp_find_entry(kp, "train_step")];
  printf("arena_bytes %ld\npersistent_bytes %ld\nstep_arena_bytes %ld\n", kp->arena_bytes,
         kp->persistent_bytes, kp->persistent_bytes + step->temp_bytes);

  unsigned seed = 12345;
  bench b = {.ns_timed = !o.gpt && !o.cnn && strcmp(o.opt, "dual") == 0};
  stepper_init(&b.s, x, o.gpt ? GPT_VOCAB : o.cnn ? CNN_CLASSES : widths[NLAYERS], &seed);
  floor_init(&b.f, &o, &seed);
  ns_init(&b.ns, &seed);
  for (int i = 0; i < o.warmup; i++) {
    double t[4];
    iterate(&b, t);
  }
  report_logged(&b.s, 3 * o.warmup);
  if (o.serve)
    serve(&b);
  else
    run_steps(&b, o.steps);
  printf("peak_rss_kb %ld\n", peak_rss_kb());
  for (int i = 0; i < rt_conv_pick_count(); i++) {
    const rt_conv_pick *p = rt_conv_pick_at(i);
    printf("conv_pick %s n%d c%d %dx%d o%d k%dx%d s%d p%d im2col_ms %.3f onednn_ms %.3f %s\n",
           rt_conv_pass_name(p->pass), p->n, p->c, p->h, p->w, p->o, p->kh, p->kw, p->stride,
           p->pad, 1e3 * p->im2col_s, 1e3 * p->onednn_s, rt_conv_path_name(p->pick));
  }

  ns_free(&b.ns);
  floor_free(&b.f);
  stepper_free(&b.s);
  core_free(x);
  diag_free(u.d);
  arena_free(u.a);
  return 0;
}
