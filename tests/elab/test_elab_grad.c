/* test_elab_grad.c: user-declared atoms the stdlib does not have (a diagonal
 * scaling atom with dualize sign(G), a low-rank linear atom U V with its own
 * rule), a two-input bond, and the composition operators, elaborated and
 * JIT-compiled in double precision (also the stdlib's Conv2D and Embed, a
 * language model's logits over a window of tokens, and a bond using most of
 * the tensor builtins: attention, rope, split/merge of heads, the
 * normalizations, reductions over an axis, where, permute and reshape; and
 * sin, cos, argmax over two axes, one_hot and topk, whose tuple of values and
 * indices feeds a bond of two inputs that puts the values back in place):
 *  - the gradients of train_step (exposed by an optimizer that subtracts the
 *    gradient) match central finite differences of eval_step's loss;
 *  - the derived Dual step applies each atom's own dualize rule times its
 *    hand-computed step share (sign for the diagonal, the exact polar factor,
 *    checked by its defining properties, for U and V), with the schedule
 *    input; the modular norm of that update equals lr * schedule, and that
 *    of the weights 2 * max(max |d|, 1); Embed's rows move by RMS
 *    lr * share exactly for the tokens of the batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "et.h"

static const char *source =
    "use std.nn\n"
    "use std.optim\n"
    "atom Diag(n: int) {\n"
    "  weight d[n] init uniform(0.5, 1.5)\n"
    "  forward(x[.., n]) = x * d\n"
    "  norm = max(abs(d))\n"
    "  dualize(G) = sign(G)\n"
    "}\n"
    "atom LowRank(fan_in: int, fan_out: int, rank: int) {\n"
    "  weight U[fan_out, rank] init orthogonal\n"
    "  weight V[rank, fan_in] init orthogonal\n"
    "  forward(x[.., fan_in]) = x @ V.T @ U.T\n"
    "  norm = max(spectral(U), spectral(V))\n"
    "  dualize(GU, GV) = (polar_exact(GU), polar_exact(GV))\n"
    "}\n"
    "bond hadamard {\n"
    "  forward(a, b) = a * b\n"
    "}\n"
    "optimizer Probe(lr: float = 1) {\n"
    "  weight = weight - lr * grad\n"
    "}\n"
    "experiment compose {\n"
    "  data train = fashion_mnist(\"train\")\n"
    "  model = avgpool(7) >> flatten >> Diag(16)\n"
    "    >> (0.5 * id + 0.5 * (LowRank(16, 16, 3) >> tanh))\n"
    "    >> (Diag(16), Linear(16, 16) >> gelu) >> hadamard >> Linear(16, 10)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 6\n"
    "}\n"
    "experiment conv {\n"
    "  data train = fashion_mnist(\"train\")\n"
    "  model = Conv2D(1, 2, 3) >> relu >> maxpool(2) >> Conv2D(2, 3, 3, stride = 2)\n"
    "    >> flatten >> Linear(147, 10)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 3\n"
    "}\n"
    "experiment text {\n"
    "  data train = kjv(\"train\", context = 5)\n"
    "  model = Embed(256, 6) >> Linear(6, 256)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 3\n"
    "}\n"
    "bond attend(heads: int) {\n"
    "  forward(x[.., T, d]) = merge_heads(attention(rope(split_heads(x, heads)),\n"
    "    rope(split_heads(x, heads)), split_heads(x, heads)))\n"
    "}\n"
    "bond mix {\n"
    "  forward(x[b, T, n]) = layernorm(x) + rmsnorm(x) * softmax(x, 2) - x / rms(x, -1)\n"
    "    + center_rows(x) + where(x > 0, x, 0.1 * x) + mean(x, 1) * sum(x, -1)\n"
    "    + reshape(permute(reshape(x, b * T, 2, n / 2), 0, 2, 1), b, T, n)\n"
    "}\n"
    "experiment attention {\n"
    "  data train = kjv(\"train\", context = 4)\n"
    "  model = Embed(256, 8) >> attend(2) >> mix >> Linear(8, 256)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 2\n"
    "}\n"
    "experiment text_dual {\n"
    "  data train = kjv(\"train\", context = 5)\n"
    "  model = Embed(256, 6) >> Linear(6, 256)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Dual(lr = 0.1, beta = 0, nesterov = false)\n"
    "  batch = 3\n"
    "}\n"
    "bond heads_roundtrip { forward(x) = merge_heads(split_heads(x, 4)) }\n"
    "experiment plain {\n"
    "  data train = kjv(\"train\", context = 5)\n"
    "  model = Embed(256, 8) >> Linear(8, 256)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 3\n"
    "}\n"
    "experiment roundtrip {\n"
    "  data train = kjv(\"train\", context = 5)\n"
    "  model = Embed(256, 8) >> heads_roundtrip >> Linear(8, 256)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 3\n"
    "}\n"
    "bond trig { forward(x) = sin(x) * cos(2 * x) + x }\n"
    "bond peak {\n"
    "  forward(x[b, t, n]) = x + x * one_hot(argmax(x), n)\n"
    "    + x * permute(one_hot(argmax(x, 1), t), 0, 2, 1)\n"
    "}\n"
    "bond top3 { forward(x) = topk(x, 3) }\n"
    "bond spread(n: int) {\n"
    "  forward(v[b, t, k], i) = reshape(reshape(v, b, t, 1, k) @ one_hot(i, n), b, t, n)\n"
    "}\n"
    "experiment indices {\n"
    "  data train = kjv(\"train\", context = 4)\n"
    "  model = Embed(256, 8) >> trig >> peak >> top3 >> spread(8) >> Linear(8, 256)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 2\n"
    "}\n"
    "experiment lowrank_probe {\n"
    "  data train = fashion_mnist(\"train\")\n"
    "  model = avgpool(7) >> flatten >> Diag(16) >> LowRank(16, 10, 3)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Probe\n"
    "  batch = 8\n"
    "}\n"
    "experiment lowrank_dual {\n"
    "  data train = fashion_mnist(\"train\")\n"
    "  model = avgpool(7) >> flatten >> Diag(16) >> LowRank(16, 10, 3)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Dual(lr = 0.1, beta = 0, nesterov = false)\n"
    "  batch = 8\n"
    "}\n";

enum { SEED = 11, SAMPLES = 40 };

/* A weight's values before a step and its gradient. */
typedef struct wstate {
  const char *name;
  long n;
  double *w0, *grad;
} wstate;

/* Runs one Probe step (weight - grad) to read every gradient, then puts
 * the weights back. Returns the weights (malloc-owned, p->ntensors). */
static wstate *probe_gradients(check_ctx *t, et_run *r, const ir_program *p, double *loss) {
  wstate *ws = calloc((size_t)p->ntensors, sizeof *ws);
  for (int i = 0; i < p->ntensors; i++) {
    ws[i].name = p->tensors[i].name;
    double *w = et_tensor(r, ws[i].name, &ws[i].n);
    ws[i].w0 = malloc((size_t)ws[i].n * sizeof(double));
    ws[i].grad = malloc((size_t)ws[i].n * sizeof(double));
    memcpy(ws[i].w0, w, (size_t)ws[i].n * sizeof(double));
  }
  et_set_scalar(r, "t", 1);
  et_set_scalar(r, "schedule", 1);
  et_call(r, "train_step");
  *loss = et_out(r, "train_step", "loss");
  for (int i = 0; i < p->ntensors; i++) {
    double *w = et_tensor(r, ws[i].name, NULL);
    for (long k = 0; k < ws[i].n; k++)
      ws[i].grad[k] = ws[i].w0[k] - w[k];
    memcpy(w, ws[i].w0, (size_t)ws[i].n * sizeof(double));
  }
  (void)t;
  return ws;
}

static void free_wstate(wstate *ws, int n) {
  for (int i = 0; i < n; i++) {
    free(ws[i].w0);
    free(ws[i].grad);
  }
  free(ws);
}

static double eval_loss(et_run *r) {
  et_call(r, "eval_step");
  return et_out(r, "eval_step", "loss");
}

/* Gradients of train_step against central differences (step 1e-5) of
 * eval_step's loss, on up to SAMPLES elements of every weight. */
static void gradcheck(check_ctx *t, tunit *u, const char *name, double xlo, double xhi, int classes,
                      double tol) {
  const sema_experiment *e = et_experiment(u, name);
  elab_options o = {.dtype = IR_F64, .no_logged = true};
  ir_program *p = et_elab(u, e, &o);
  et_run r;
  et_start(&r, p, SEED);
  et_fill_input(t, &r, "x", xlo, xhi);
  et_fill_input(t, &r, "y", 0, classes);
  double loss;
  wstate *ws = probe_gradients(t, &r, p, &loss);
  check_close(t, eval_loss(&r), loss, 1e-14, "eval_step loss = train_step loss before the step");
  const double h = 1e-5;
  for (int i = 0; i < p->ntensors; i++) {
    double *w = et_tensor(&r, ws[i].name, NULL);
    long stride = ws[i].n > SAMPLES ? ws[i].n / SAMPLES : 1;
    double worst = 0, gmax = 0;
    for (long k = 0; k < ws[i].n; k++)
      gmax = fmax(gmax, fabs(ws[i].grad[k]));
    for (long k = 0; k < ws[i].n; k += stride) {
      w[k] = ws[i].w0[k] + h;
      double lp = eval_loss(&r);
      w[k] = ws[i].w0[k] - h;
      double lm = eval_loss(&r);
      w[k] = ws[i].w0[k];
      double fd = (lp - lm) / (2 * h), g = ws[i].grad[k];
      /* relative to the element, floored at 1e-3 of the largest element */
      double err = fabs(g - fd) / fmax(fmax(fabs(g), fabs(fd)), 1e-3 * gmax);
      worst = fmax(worst, err);
    }
    printf("  %s %-32s worst relative error %.2e (max |grad| %.3g)\n", name, ws[i].name, worst,
           gmax);
    check(t, worst <= tol, "%s: gradient of %s: relative error %.3g > %.3g", name, ws[i].name,
          worst, tol);
    check(t, gmax > 1e-6, "%s: gradient of %s is zero", name, ws[i].name);
  }
  free_wstate(ws, p->ntensors);
  et_stop(&r);
  ir_program_free(p);
}

/* ---- the derived step ------------------------------------------------------ */

/* c = a^T b for a [m, k], b [m, n] (row-major), c [k, n]. */
static void atb(const double *a, const double *b, double *c, int m, int k, int n) {
  for (int i = 0; i < k; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int l = 0; l < m; l++)
        s += a[l * k + i] * b[l * n + j];
      c[i * n + j] = s;
    }
}

/* c = a b^T for a [k, m], b [n, m], c [k, n]. */
static void abt(const double *a, const double *b, double *c, int k, int m, int n) {
  for (int i = 0; i < k; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int l = 0; l < m; l++)
        s += a[i * m + l] * b[j * m + l];
      c[i * n + j] = s;
    }
}

/* Q is the polar factor of G [m, n] (full rank): Q has orthonormal columns
 * (m >= n) or rows (m < n), and Q^T G (or G Q^T) is symmetric positive
 * definite, which determines Q uniquely. */
static void check_polar(check_ctx *t, const char *what, const double *q, const double *g, int m,
                        int n) {
  int s = m >= n ? n : m;
  double gram[64], sym[64];
  if (m >= n) {
    atb(q, q, gram, m, n, n);
    atb(q, g, sym, m, n, n);
  } else {
    abt(q, q, gram, m, n, m);
    abt(g, q, sym, m, n, m);
  }
  double orth = 0, asym = 0, scale = 0;
  for (int i = 0; i < s; i++)
    for (int j = 0; j < s; j++) {
      orth = fmax(orth, fabs(gram[i * s + j] - (i == j)));
      asym = fmax(asym, fabs(sym[i * s + j] - sym[j * s + i]));
      scale = fmax(scale, fabs(sym[i * s + j]));
    }
  /* positive definite: Cholesky succeeds */
  bool pd = true;
  for (int j = 0; j < s && pd; j++) {
    for (int k = 0; k < j; k++)
      for (int i = j; i < s; i++)
        sym[i * s + j] -= sym[i * s + k] * sym[j * s + k];
    pd = sym[j * s + j] > 0;
    double d = pd ? sqrt(sym[j * s + j]) : 1;
    for (int i = j; i < s; i++)
      sym[i * s + j] /= d;
  }
  printf("  %s: |Q^T Q - I| = %.2e, asymmetry of Q^T G %.2e\n", what, orth, asym / scale);
  check(t, orth < 1e-10, "%s: the update is not orthogonal (%.3g)", what, orth);
  check(t, asym < 1e-10 * scale, "%s: Q^T G is not symmetric (%.3g)", what, asym);
  check(t, pd, "%s: Q^T G is not positive definite", what);
}

static void derived_step(check_ctx *t, tunit *u) {
  const double lr = 0.1, sched = 0.5, share = 0.5;
  const sema_experiment *pe = et_experiment(u, "lowrank_probe");
  const sema_experiment *de = et_experiment(u, "lowrank_dual");
  /* hand-computed shares: Diag >> LowRank, both mass 1 and sensitivity 1 */
  for (int i = 0; i < de->model->natoms; i++)
    check_close(t, de->model->atoms[i]->share, share, 1e-15, de->model->atoms[i]->path);
  elab_options o = {.dtype = IR_F64};
  ir_program *pp = et_elab(u, pe, &o), *dp = et_elab(u, de, &o);
  et_run pr, dr;
  et_start(&pr, pp, SEED);
  et_start(&dr, dp, SEED);
  uint64_t rng = t->rng;
  et_fill_input(t, &pr, "x", -1, 1);
  et_fill_input(t, &pr, "y", 0, 10);
  t->rng = rng;
  et_fill_input(t, &dr, "x", -1, 1);
  et_fill_input(t, &dr, "y", 0, 10);
  double loss;
  wstate *ws = probe_gradients(t, &pr, pp, &loss);
  et_set_scalar(&dr, "t", 1);
  et_set_scalar(&dr, "schedule", sched);
  et_call(&dr, "train_step_logged");
  check_close(t, et_out(&dr, "train_step_logged", "loss"), loss, 1e-14, "loss of the Dual step");
  double *w[3];
  for (int i = 0; i < 3; i++) {
    w[i] = et_tensor(&dr, ws[i].name, NULL);
    for (long k = 0; k < ws[i].n; k++) /* the update divided by -lr * schedule * share */
      w[i][k] = (w[i][k] - ws[i].w0[k]) / (-lr * sched * share);
  }
  double dev = 0, dmax = 0;
  for (long k = 0; k < ws[0].n; k++) {
    dev = fmax(dev, fabs(w[0][k] - (ws[0].grad[k] > 0 ? 1 : -1)));
    dmax = fmax(dmax, fabs(ws[0].w0[k]));
  }
  printf("  Diag: update - (-lr * schedule * share * sign(grad)): %.2e\n", dev);
  check(t, dev < 1e-12, "Diag update is not -lr * schedule * share * sign(grad) (%.3g)", dev);
  check_polar(t, "LowRank.U", w[1], ws[1].grad, 10, 3);
  check_polar(t, "LowRank.V", w[2], ws[2].grad, 3, 16);
  /* the modular norm: coef = 1 / share = 2 for both atoms */
  check_close(t, et_out(&dr, "train_step_logged", "norm_update"), lr * sched, 1e-12,
              "modular norm of the update");
  check_close(t, et_out(&dr, "train_step_logged", "norm_weights"), 2 * fmax(dmax, 1), 1e-12,
              "modular norm of the weights");
  free_wstate(ws, pp->ntensors);
  et_stop(&pr);
  et_stop(&dr);
  ir_program_free(pp);
  ir_program_free(dp);
}

/* Embed's rule: every row of G divided by its RMS, rows of tokens that are
 * not in the batch staying zero; Embed >> Linear gives each a share of 1/2. */
static void embed_step(check_ctx *t, tunit *u) {
  const double lr = 0.1, share = 0.5;
  const sema_experiment *e = et_experiment(u, "text_dual");
  elab_options o = {.dtype = IR_F64, .no_logged = true};
  ir_program *p = et_elab(u, e, &o);
  et_run r;
  et_start(&r, p, SEED);
  et_fill_input(t, &r, "x", 0, 256);
  et_fill_input(t, &r, "y", 0, 256);
  long n;
  double *E = et_tensor(&r, "model[0].Embed.E", &n);
  double *e0 = malloc((size_t)n * sizeof *e0);
  memcpy(e0, E, (size_t)n * sizeof *e0);
  et_set_scalar(&r, "t", 1);
  et_set_scalar(&r, "schedule", 1);
  et_call(&r, "train_step");
  bool used[256] = {false};
  const int32_t *tok = r.inputs[ir_find_input(p, "x")];
  for (int i = 0; i < 15; i++)
    used[tok[i]] = true;
  double dev = 0;
  int nused = 0;
  for (int v = 0; v < 256; v++) {
    double ms = 0;
    for (int j = 0; j < 6; j++)
      ms += (E[v * 6 + j] - e0[v * 6 + j]) * (E[v * 6 + j] - e0[v * 6 + j]) / 6;
    dev = fmax(dev, fabs(sqrt(ms) - (used[v] ? lr * share : 0)));
    nused += used[v];
  }
  printf("  Embed: %d token rows moved by RMS lr * share, the rest not (deviation %.2e)\n", nused,
         dev);
  check(t, dev < 1e-12, "Embed update rows: deviation %.3g", dev);
  free(e0);
  et_stop(&r);
  ir_program_free(p);
}

/* merge_heads(split_heads(x, h)) is x: the same loss with and without it. */
static void heads_roundtrip(check_ctx *t, tunit *u) {
  double loss[2];
  for (int i = 0; i < 2; i++) {
    elab_options o = {.dtype = IR_F64, .no_logged = true};
    ir_program *p = et_elab(u, et_experiment(u, i ? "roundtrip" : "plain"), &o);
    et_run r;
    et_start(&r, p, SEED);
    t->rng = 12345;
    et_fill_input(t, &r, "x", 0, 256);
    et_fill_input(t, &r, "y", 0, 256);
    et_call(&r, "eval_step");
    loss[i] = et_out(&r, "eval_step", "loss");
    et_stop(&r);
    ir_program_free(p);
  }
  check(t, loss[0] == loss[1], "merge_heads(split_heads(x)) changes the loss: %.17g vs %.17g",
        loss[0], loss[1]);
}

int main(void) {
  check_ctx t = {.rng = 0x9e3779b97f4a7c15ULL};
  tunit u;
  et_load(&u, source);
  gradcheck(&t, &u, "compose", -2, 4, 10, 1e-5);
  gradcheck(&t, &u, "conv", -1, 1, 10, 1e-5);
  gradcheck(&t, &u, "text", 0, 256, 256, 1e-5);
  gradcheck(&t, &u, "attention", 0, 256, 256, 1e-5);
  gradcheck(&t, &u, "indices", 0, 256, 256, 1e-5);
  derived_step(&t, &u);
  embed_step(&t, &u);
  heads_roundtrip(&t, &u);
  tunit_free(&u);
  return check_done(&t, "test_elab_grad");
}
