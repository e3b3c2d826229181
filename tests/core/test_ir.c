/*
 * test_ir.c - the IR builder and autodiff front: pinned shape-error messages,
 * NULL propagation, declaration errors, the verifier, autodiff errors for
 * operations without gradient, and a golden ir_dump of a small MLP train
 * step (argument: the golden file; with a second argument "update" the
 * golden file is rewritten).
 */
#include <stdlib.h>
#include <string.h>

#include "ad.h"
#include "tc.h"

static void expect_error(check_ctx *t, ir_graph *g, ir_node *n, const char *want) {
  check(t, n == NULL, "expected an error '%s', got a node", want);
  check(t, strcmp(ir_error(g), want) == 0, "error message:\n  expected: %s\n  got:      %s", want,
        ir_error(g));
}

static void test_shape_errors(check_ctx *t) {
  ir_program *p = ir_program_new(IR_F32);
  int x = tc_decl(p, ir_input(p, "x", IR_F32, 2, (long[]){256, 784}));
  int w = tc_decl(p, ir_param(p, "W", 2, (long[]){512, 256}, (ir_init){0}));
  int y = tc_decl(p, ir_input(p, "y", IR_I32, 1, (long[]){256}));
  int img = tc_decl(p, ir_input(p, "img", IR_F32, 4, (long[]){8, 3, 28, 28}));
  int k = tc_decl(p, ir_param(p, "K", 4, (long[]){16, 1, 3, 3}, (ir_init){0}));
  ir_graph *g = ir_entry(p, "f");
  ir_node *xr = ir_input_ref(g, x), *wr = ir_tensor_ref(g, w);
  expect_error(t, g, ir_matmul(g, xr, wr, 0, 0),
               "matmul: inner dimensions differ: [256, 784] @ [512, 256]");
  expect_error(t, g, ir_matmul(g, xr, wr, 0, 1),
               "matmul: inner dimensions differ: [256, 784] @ [512, 256]^T");
  expect_error(t, g, ir_add(g, xr, wr), "add: shapes do not broadcast: [256, 784] and [512, 256]");
  expect_error(t, g, ir_exp(g, ir_input_ref(g, y)),
               "exp: operand must be a f32 tensor, got i32 [256]");
  expect_error(t, g, ir_conv2d(g, ir_input_ref(g, img), ir_tensor_ref(g, k), 1, 0),
               "conv2d: input channels differ: x [8, 3, 28, 28], W [16, 1, 3, 3]");
  expect_error(t, g, ir_reshape(g, xr, 2, (long[]){256, 783}),
               "reshape: element counts differ: [256, 784] to [256, 783]");
  int yf = tc_decl(p, ir_input(p, "yf", IR_F32, 1, (long[]){256}));
  expect_error(t, g, ir_softmax_xent(g, xr, ir_input_ref(g, yf)),
               "softmax_xent: labels must be i32, got f32");
  expect_error(t, g, ir_slice(g, xr, 1, 700, 100),
               "slice: range [700, 800) out of bounds for axis 1 of [256, 784]");
  /* a failed operand propagates without replacing the first message */
  ir_node *bad = ir_matmul(g, xr, wr, 0, 0);
  expect_error(t, g, ir_unary(g, IR_TANH, ir_add(g, bad, xr)),
               "matmul: inner dimensions differ: [256, 784] @ [512, 256]");
  check(t, ir_verify(g) == 0, "verifier after errors: %s", ir_error(g));
  /* declarations */
  check(t,
        ir_param(p, "x", 1, (long[]){3}, (ir_init){0}) == -1 &&
            strcmp(p->err, "'x' is declared twice") == 0,
        "duplicate declaration: %s", p->err);
  check(t,
        ir_input(p, "z", IR_F32, 2, (long[]){3, 0}) == -1 &&
            strcmp(p->err, "'z': dimension 1 is 0 (must be >= 1)") == 0,
        "zero dimension: %s", p->err);
  /* operands from another entry point */
  ir_graph *g2 = ir_entry(p, "g");
  expect_error(t, g2, ir_neg(g2, xr), "neg: operand 0 belongs to another entry point");
  check(t, ir_assign_add(g2, w, ir_tensor_ref(g2, w)) == 0, "identity assignment");
  check(t,
        ir_assign_add(g2, w, ir_tensor_ref(g2, w)) == -1 &&
            strcmp(ir_error(g2), "'W' is assigned twice in 'g'") == 0,
        "double assignment: %s", ir_error(g2));
  ir_program_free(p);
}

static void test_ad_errors(check_ctx *t) {
  ir_program *p = ir_program_new(IR_F64);
  int w = tc_decl(p, ir_param(p, "W", 2, (long[]){4, 3}, (ir_init){0}));
  ir_graph *g = ir_entry(p, "f");
  ir_node *W = ir_tensor_ref(g, w), *grad;
  ir_node *loss = ir_sum_all(g, ir_polar_ns(g, W, 0, 5, 1e-7, 2));
  check(t,
        ad_grad(g, loss, 1, &W, &grad) == -1 &&
            strcmp(ir_error(g), "autodiff: polar_ns has no gradient, but the loss depends on it") ==
                0,
        "polar_ns in the loss: %s", ir_error(g));
  /* a loss that does not depend on W: zero gradient of W's shape */
  ir_node *c = ir_sum_all(g, ir_broadcast_to(g, ir_const(g, 2), 1, (long[]){5}));
  check(t,
        ad_grad(g, c, 1, &W, &grad) == 0 && grad && grad->shape.rank == 2 &&
            grad->shape.d[0] == 4 && grad->shape.d[1] == 3,
        "independent loss: %s", ir_error(g));
  /* sign: zero derivative, no error */
  ir_node *s = ir_sum_all(g, ir_mul(g, ir_sign(g, W), W));
  check(t, ad_grad(g, s, 1, &W, &grad) == 0, "sign: %s", ir_error(g));
  check(t,
        ad_grad(g, W, 1, &W, &grad) == -1 &&
            strcmp(ir_error(g), "autodiff: the loss must be a real scalar") == 0,
        "non-scalar loss: %s", ir_error(g));
  check(t, ir_verify(g) == 0, "verifier: %s", ir_error(g));
  ir_program_free(p);
}

/* A 2-layer MLP train step with SGD, differentiated by ad_grad_tensors. */
static ir_program *mlp_program(void) {
  ir_program *p = ir_program_new(IR_F32);
  ir_init orth = {IR_INIT_ORTHOGONAL, 1, 0, 0}, zero = {IR_INIT_ZEROS, 0, 0, 0};
  int W1 = ir_param(p, "W1", 2, (long[]){4, 3}, orth);
  int b1 = ir_param(p, "b1", 1, (long[]){4}, zero);
  int W2 = ir_param(p, "W2", 2, (long[]){2, 4}, orth);
  int x = ir_input(p, "x", IR_F32, 2, (long[]){5, 3});
  int y = ir_input(p, "y", IR_I32, 1, (long[]){5});
  int lr = ir_scalar(p, "lr");
  /* one builder call per statement: the node order is the golden order */
  ir_graph *g = ir_entry(p, "train_step");
  ir_set_loc(g, (ir_loc){"MLP.layer[0]", "mlp.duet", 3, 5, 3, 20});
  ir_node *xr = ir_input_ref(g, x);
  ir_node *w1 = ir_tensor_ref(g, W1);
  ir_node *h = ir_matmul(g, xr, w1, 0, 1);
  ir_node *bias = ir_tensor_ref(g, b1);
  h = ir_add(g, h, bias);
  h = ir_gelu(g, h);
  ir_set_loc(g, (ir_loc){"MLP.layer[1]", "mlp.duet", 4, 5, 4, 20});
  ir_node *w2 = ir_tensor_ref(g, W2);
  ir_node *logits = ir_matmul(g, h, w2, 0, 1);
  ir_set_loc(g, (ir_loc){0});
  ir_node *yr = ir_input_ref(g, y);
  ir_node *loss = ir_softmax_xent(g, logits, yr);
  int params[3] = {W1, b1, W2};
  ir_node *grads[3];
  if (ad_grad_tensors(g, loss, 3, params, grads) < 0)
    return NULL;
  ir_node *rate = ir_scalar_ref(g, lr);
  for (int i = 0; i < 3; i++) {
    ir_node *old = ir_tensor_ref(g, params[i]);
    ir_node *step = ir_mul(g, rate, grads[i]);
    ir_assign_add(g, params[i], ir_sub(g, old, step));
  }
  ir_output_add(g, "loss", loss);
  ir_output_add(g, "correct", ir_count_correct(g, logits, yr));
  ir_build_init(p);
  return p;
}

static void test_golden(check_ctx *t, const char *path, int update) {
  ir_program *p = mlp_program();
  check(t, p != NULL, "MLP program");
  if (!p)
    return;
  for (int i = 0; i < p->nentries; i++)
    check(t, ir_verify(p->entries[i]) == 0, "verify %s: %s", p->entries[i]->name,
          ir_error(p->entries[i]));
  char *got = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&got, &len);
  ir_dump(p, m);
  fclose(m);
  if (update) {
    FILE *f = fopen(path, "w");
    check(t, f && fputs(got, f) >= 0, "write %s", path);
    if (f)
      fclose(f);
  }
  FILE *f = fopen(path, "r");
  char *want = calloc(1, len + 2);
  size_t n = f ? fread(want, 1, len + 1, f) : 0;
  if (f)
    fclose(f);
  check(t, n == len && memcmp(want, got, len) == 0, "ir_dump differs from %s; got:\n%s", path, got);
  printf("golden ir_dump: %zu bytes, %s\n", len,
         n == len && !memcmp(want, got, len) ? "equal" : "DIFFERENT");
  free(want);
  free(got);
  ir_program_free(p);
}

int main(int argc, char **argv) {
  check_ctx t = {.rng = 5};
  test_shape_errors(&t);
  test_ad_errors(&t);
  if (argc > 1)
    test_golden(&t, argv[1], argc > 2 && !strcmp(argv[2], "update"));
  else
    check(&t, 0, "usage: test_ir GOLDEN_FILE [update]");
  return check_done(&t, "test_ir");
}
