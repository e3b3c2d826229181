/*
 * test_mlp_f32.c - the JIT-compiled forward pass of a two-layer MLP
 * (x W1^T + b1 -> gelu -> W2^T + b2 -> softmax cross-entropy) in single
 * precision against a direct computation with cblas_sgemm and libm, to 1e-5
 * relative; also reports compile time of the forward + backward + SGD step.
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"
#include "tc.h"

enum { N = 64, D = 784, H = 256, C = 10 };

static float gelu_ref(float x) {
  return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}

/* Direct forward: logits [N, C] and the mean cross-entropy. */
static double forward_ref(const float *x, const float *W1, const float *b1, const float *W2,
                          const float *b2, const int32_t *y, float *logits) {
  float *h = malloc(sizeof(float) * N * H);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, H, D, 1, x, D, W1, D, 0, h, H);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < H; j++)
      h[i * H + j] = gelu_ref(h[i * H + j] + b1[j]);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, C, H, 1, h, H, W2, H, 0, logits, C);
  double loss = 0;
  for (int i = 0; i < N; i++) {
    double mx = -INFINITY, s = 0;
    for (int j = 0; j < C; j++) {
      logits[i * C + j] += b2[j];
      mx = fmax(mx, logits[i * C + j]);
    }
    for (int j = 0; j < C; j++)
      s += exp(logits[i * C + j] - mx);
    loss += (log(s) + mx - logits[i * C + y[i]]) / N;
  }
  free(h);
  return loss;
}

static ir_node *linear(ir_graph *g, ir_node *x, int w, int b) {
  return ir_add(g, ir_matmul(g, x, ir_tensor_ref(g, w), 0, 1), ir_tensor_ref(g, b));
}

int main(void) {
  check_ctx t = {.rng = 3};
  ir_program *p = ir_program_new(IR_F32);
  ir_init orth = {IR_INIT_ORTHOGONAL, 1, 0, 0}, zero = {IR_INIT_ZEROS, 0, 0, 0};
  int W1 = tc_decl(p, ir_param(p, "W1", 2, (long[]){H, D}, orth));
  int b1 = tc_decl(p, ir_param(p, "b1", 1, (long[]){H}, zero));
  int W2 = tc_decl(p, ir_param(p, "W2", 2, (long[]){C, H}, orth));
  int b2 = tc_decl(p, ir_param(p, "b2", 1, (long[]){C}, zero));
  int L = tc_decl(p, ir_state(p, "logits", 2, (long[]){N, C}, zero));
  int ix = tc_decl(p, ir_input(p, "x", IR_F32, 2, (long[]){N, D}));
  int iy = tc_decl(p, ir_input(p, "y", IR_I32, 1, (long[]){N}));
  int lr = tc_decl(p, ir_scalar(p, "lr"));

  ir_graph *g = ir_entry(p, "forward");
  ir_node *h = ir_gelu(g, linear(g, ir_input_ref(g, ix), W1, b1));
  ir_node *logits = tc_ok(g, linear(g, h, W2, b2));
  ir_output_add(g, "loss", ir_softmax_xent(g, logits, ir_input_ref(g, iy)));
  ir_assign_add(g, L, logits);

  /* a full SGD step, to time compilation of forward + backward + update */
  ir_graph *s = ir_entry(p, "train_step");
  h = ir_gelu(s, linear(s, ir_input_ref(s, ix), W1, b1));
  ir_node *loss = tc_ok(s, ir_softmax_xent(s, linear(s, h, W2, b2), ir_input_ref(s, iy)));
  int params[4] = {W1, b1, W2, b2};
  ir_node *grads[4];
  check(&t, ad_grad_tensors(s, loss, 4, params, grads) == 0, "autodiff: %s", ir_error(s));
  for (int i = 0; i < 4; i++)
    ir_assign_add(
        s, params[i],
        ir_sub(s, ir_tensor_ref(s, params[i]), ir_mul(s, ir_scalar_ref(s, lr), grads[i])));
  ir_output_add(s, "loss", loss);
  check(&t, ir_build_init(p) != NULL, "init: %s", p->err);

  core_exe *exe = tc_compile(p);
  printf("compile (forward, train_step, init): %.3f s, arena %zu bytes\n",
         core_compile_seconds(exe), core_arena_bytes(exe));
  char *arena = core_arena_alloc(exe);
  core_init(exe, arena, 1);
  float *x = malloc(sizeof(float) * N * D);
  int32_t *y = malloc(sizeof(int32_t) * N);
  tc_fill_f(&t, x, N * D, 0, 1);
  for (int i = 0; i < N; i++)
    y[i] = (int32_t)check_uniform(&t, 0, C);
  float *b1v = core_tensor_data(exe, arena, "b1", NULL),
        *b2v = core_tensor_data(exe, arena, "b2", NULL);
  tc_fill_f(&t, b1v, H, -0.1, 0.1);
  tc_fill_f(&t, b2v, C, -0.1, 0.1);
  void *in[2] = {x, y};
  double jit_loss = 0;
  core_run(exe, core_entry(exe, "forward"), arena, in, NULL, &jit_loss);

  float ref_logits[N * C];
  double ref_loss = forward_ref(x, core_tensor_data(exe, arena, "W1", NULL), b1v,
                                core_tensor_data(exe, arena, "W2", NULL), b2v, y, ref_logits);
  const float *jl = core_tensor_data(exe, arena, "logits", NULL);
  double worst = 0;
  for (int i = 0; i < N * C; i++)
    worst = fmax(worst, fabs(jl[i] - ref_logits[i]) / fmax(fabs(ref_logits[i]), 1));
  check(&t, worst <= 1e-5, "logits: max relative error %g", worst);
  check_close(&t, jit_loss, ref_loss, 1e-5, "cross-entropy");
  printf("logits max relative error %.2e, loss %.6f (reference %.6f)\n", worst, jit_loss, ref_loss);

  /* the orthogonal init gives W W^T = I for W1 [256, 784] */
  const float *w1 = core_tensor_data(exe, arena, "W1", NULL);
  double dev = 0;
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) {
      double d = 0;
      for (int k = 0; k < D; k++)
        d += (double)w1[i * D + k] * w1[j * D + k];
      dev = fmax(dev, fabs(d - (i == j)));
    }
  check(&t, dev < 1e-5, "orthogonal init: |W W^T - I| = %g", dev);

  /* one SGD step lowers the loss on the same batch */
  double lrv = 0.1, l0 = 0, l1 = 0;
  core_run(exe, core_entry(exe, "train_step"), arena, in, &lrv, &l0);
  core_run(exe, core_entry(exe, "forward"), arena, in, &lrv, &l1);
  check_close(&t, l0, jit_loss, 1e-6, "train_step loss before the update");
  check(&t, l1 < l0, "SGD step: loss %g -> %g should decrease", l0, l1);
  free(x);
  free(y);
  free(arena);
  core_free(exe);
  ir_program_free(p);
  return check_done(&t, "test_mlp_f32");
}
