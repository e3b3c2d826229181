/*
 * test_gradcheck.c - autodiff against central finite differences of the
 * JIT-compiled loss, in double precision, for every differentiable operation
 * (and the index operations, whose own values are locally constant) and for
 * MLP, CNN and residual compositions. Bound: for every sampled
 * element, |autodiff - fd| / max(|autodiff|, |fd|, 1e-6) <= 1e-6
 * (step 1e-5).
 */
#include "gradcheck.h"

#define TOL     1e-6
#define SAMPLES 12

#define SH(...)                       ((const long[]){__VA_ARGS__})
#define NR(...)                       ((int)(sizeof((long[]){__VA_ARGS__}) / sizeof(long)))
#define PARAM(env, name, ...)         gc_param(env, name, NR(__VA_ARGS__), SH(__VA_ARGS__))
#define INPUT(env, name, lo, hi, ...) gc_input(env, name, NR(__VA_ARGS__), SH(__VA_ARGS__), lo, hi)
#define INDEX(env, name, hi, ...)     gc_index(env, name, NR(__VA_ARGS__), SH(__VA_ARGS__), hi)

static ir_node *plus(gc_env *e, ir_node *x, double c) { return ir_add(e->g, x, ir_const(e->g, c)); }

static ir_node *acc(gc_env *e, ir_node *total, ir_node *term) {
  return total ? ir_add(e->g, total, term) : term;
}

static ir_node *case_unary(gc_env *e) {
  static const ir_op ops[] = {IR_NEG, IR_EXP,  IR_LOG,    IR_SQRT,  IR_RSQRT, IR_TANH, IR_SIGMOID,
                              IR_ABS, IR_RELU, IR_SQUARE, IR_RECIP, IR_SIN,   IR_COS};
  static const double shift[] = {0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 2, 0, 0};
  ir_node *loss = NULL;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    ir_node *x = PARAM(e, ir_op_name(ops[i]), 3, 5);
    ir_node *y = ir_unary(e->g, ops[i], plus(e, ir_scale(e->g, 2, x), shift[i]));
    loss = acc(e, loss, gc_wsum(e, y));
  }
  return loss;
}

/* Binary operations with broadcasting ([4, 5] with [5] and [4, 1]). */
static ir_node *case_binary(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *loss = NULL;
  loss = acc(e, loss, gc_wsum(e, ir_add(g, PARAM(e, "add_a", 4, 5), PARAM(e, "add_b", 5))));
  loss = acc(e, loss, gc_wsum(e, ir_sub(g, PARAM(e, "sub_a", 4, 1), PARAM(e, "sub_b", 4, 5))));
  loss = acc(e, loss, gc_wsum(e, ir_mul(g, PARAM(e, "mul_a", 4, 5), PARAM(e, "mul_b", 4, 1))));
  loss = acc(e, loss,
             gc_wsum(e, ir_div(g, PARAM(e, "div_a", 5), plus(e, PARAM(e, "div_b", 4, 5), 2))));
  loss =
      acc(e, loss, gc_wsum(e, ir_binary(g, IR_MAX, PARAM(e, "max_a", 4, 5), PARAM(e, "max_b", 5))));
  loss = acc(e, loss,
             gc_wsum(e, ir_binary(g, IR_MIN, PARAM(e, "min_a", 4, 1), PARAM(e, "min_b", 4, 5))));
  loss = acc(e, loss,
             gc_wsum(e, ir_binary(g, IR_POW, plus(e, PARAM(e, "pow_a", 4, 5), 1.5),
                                  ir_scale(g, 3, PARAM(e, "pow_b", 5)))));
  /* select on a comparison; sign and comparisons have zero derivative */
  ir_node *s = PARAM(e, "sel_c", 4, 5);
  ir_node *cond = ir_binary(g, IR_GT, s, ir_const(g, 0));
  ir_node *sel = ir_select(g, cond, PARAM(e, "sel_a", 4, 5), PARAM(e, "sel_b", 5));
  loss = acc(e, loss, gc_wsum(e, ir_mul(g, sel, ir_unary(g, IR_SIGN, s))));
  /* one value used several times: adjoints accumulate */
  ir_node *t = ir_unary(g, IR_TANH, PARAM(e, "multi", 4, 5));
  loss = acc(e, loss, gc_wsum(e, ir_add(g, ir_mul(g, t, t), ir_unary(g, IR_EXP, t))));
  return loss;
}

static ir_node *case_reduce(gc_env *e) {
  ir_graph *g = e->g;
  int ax1 = 1, ax02[2] = {0, 2}, axl = -1;
  ir_node *loss = gc_wsum(e, ir_sum(g, PARAM(e, "sum_ax1", 3, 4, 5), 1, &ax1, 1));
  loss = acc(e, loss, gc_wsum(e, ir_mean(g, PARAM(e, "mean_ax02", 3, 4, 5), 2, ax02, 0)));
  loss = acc(e, loss, gc_wsum(e, ir_max(g, PARAM(e, "max_last", 3, 4, 5), 1, &axl, 0)));
  loss = acc(e, loss,
             ir_scale(g, 0.3, ir_sum_all(g, ir_unary(g, IR_SQUARE, PARAM(e, "sum_all", 3, 4)))));
  loss = acc(e, loss, ir_max_all(g, PARAM(e, "max_all", 3, 4)));
  return loss;
}

static ir_node *case_shape(gc_env *e) {
  ir_graph *g = e->g;
  int perm[3] = {2, 0, 1};
  ir_node *loss = gc_wsum(e, ir_reshape(g, PARAM(e, "reshape", 3, 4, 5), 2, SH(12, 5)));
  loss = acc(e, loss, gc_wsum(e, ir_permute(g, PARAM(e, "permute", 3, 4, 5), perm)));
  loss = acc(e, loss, gc_wsum(e, ir_broadcast_to(g, PARAM(e, "broadcast", 1, 5), 3, SH(3, 4, 5))));
  loss = acc(e, loss, gc_wsum(e, ir_slice(g, PARAM(e, "slice", 3, 7), 1, 2, 4)));
  ir_node *parts[2] = {PARAM(e, "concat_a", 3, 2), PARAM(e, "concat_b", 3, 4)};
  loss = acc(e, loss, gc_wsum(e, ir_concat(g, 2, parts, 1)));
  ir_node *t = ir_transpose(g, PARAM(e, "transpose", 3, 4));
  loss = acc(e, loss, gc_wsum(e, ir_unary(g, IR_TANH, ir_reshape(g, t, 1, SH(12)))));
  return loss;
}

static ir_node *case_matmul(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *loss = NULL;
  for (int f = 0; f < 4; f++) {
    int ta = f & 1, tb = f >> 1;
    char an[16], bn[16];
    snprintf(an, sizeof an, "mm%d_a", f);
    snprintf(bn, sizeof bn, "mm%d_b", f);
    ir_node *a = ta ? PARAM(e, an, 4, 3) : PARAM(e, an, 3, 4);
    ir_node *b = tb ? PARAM(e, bn, 5, 4) : PARAM(e, bn, 4, 5);
    loss = acc(e, loss, gc_wsum(e, ir_matmul(g, a, b, ta, tb)));
  }
  /* batched, rows collapsed into one GEMM, and partial batch broadcast */
  loss =
      acc(e, loss,
          gc_wsum(e, ir_matmul(g, PARAM(e, "bat_a", 2, 3, 4), PARAM(e, "bat_b", 2, 4, 5), 0, 0)));
  loss = acc(e, loss,
             gc_wsum(e, ir_matmul(g, PARAM(e, "rows_a", 2, 3, 4), PARAM(e, "rows_w", 5, 4), 0, 1)));
  loss =
      acc(e, loss,
          gc_wsum(e, ir_matmul(g, PARAM(e, "bc_a", 2, 1, 3, 4), PARAM(e, "bc_b", 3, 4, 2), 0, 0)));
  loss = acc(e, loss,
             gc_wsum(e, ir_matmul(g, PARAM(e, "bt_a", 2, 4, 3), PARAM(e, "bt_b", 4, 5), 1, 0)));
  return loss;
}

static ir_node *case_conv(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *y = ir_conv2d(g, PARAM(e, "x", 2, 3, 7, 7), PARAM(e, "W", 4, 3, 3, 3), 2, 1);
  ir_node *z = ir_conv2d(g, PARAM(e, "x1", 1, 2, 5, 6), PARAM(e, "W1", 3, 2, 2, 3), 1, 0);
  return ir_add(g, gc_wsum(e, y), gc_wsum(e, z));
}

static ir_node *case_pool(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *m = ir_maxpool2d(g, PARAM(e, "max_x", 2, 3, 6, 6), 2, 2);
  ir_node *a = ir_avgpool2d(g, PARAM(e, "avg_x", 2, 2, 7, 7), 3, 2);
  return ir_add(g, gc_wsum(e, m), gc_wsum(e, a));
}

static ir_node *case_losses(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *xent =
      ir_softmax_xent(g, ir_scale(g, 3, PARAM(e, "logits", 6, 5)), INDEX(e, "labels", 5, 6));
  ir_node *mse = ir_mse(g, PARAM(e, "mse_a", 3, 4), PARAM(e, "mse_b", 3, 4));
  return ir_add(g, xent, mse);
}

static ir_node *case_rows(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *loss = gc_wsum(e, ir_softmax(g, PARAM(e, "softmax", 4, 6), -1, 1.7));
  loss = acc(e, loss, gc_wsum(e, ir_softmax(g, PARAM(e, "softmax_ax0", 4, 6), 0, 0.7)));
  loss = acc(e, loss, gc_wsum(e, ir_rmsnorm(g, PARAM(e, "rmsnorm", 4, 6), 1e-5)));
  loss = acc(e, loss, gc_wsum(e, ir_layernorm(g, PARAM(e, "layernorm", 2, 3, 6), 1e-5)));
  return loss;
}

static ir_node *case_attention(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *q = ir_rope(g, PARAM(e, "q", 1, 2, 5, 4), 10000);
  ir_node *k = ir_rope(g, PARAM(e, "k", 1, 2, 5, 4), 10000);
  ir_node *o = ir_attention(g, q, k, PARAM(e, "v", 1, 2, 5, 4), 0.5, 1);
  /* bidirectional cross-attention: 3 queries over 6 keys and values */
  ir_node *x = ir_attention(g, PARAM(e, "xq", 2, 2, 3, 4), PARAM(e, "xk", 2, 2, 6, 4),
                            PARAM(e, "xv", 2, 2, 6, 4), 0.7, 0);
  return acc(e, gc_wsum(e, o), gc_wsum(e, x));
}

static ir_node *case_embedding(gc_env *e) {
  ir_node *y = ir_embedding(e->g, PARAM(e, "E", 7, 3), INDEX(e, "tokens", 7, 2, 4));
  return gc_wsum(e, ir_unary(e->g, IR_TANH, y));
}

/* topk's values receive the gradient at their columns; argmax, one_hot and
 * topk's indices are locally constant: W's gradient is the one-hot mask of
 * the chosen columns, y's is its weight at the argmax, E's the rows it
 * selects. */
static ir_node *case_indices(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *x = PARAM(e, "topk_x", 4, 7), *y = PARAM(e, "argmax_y", 5, 6);
  ir_attr ka = {0}, na = {0}, ya = {0};
  ka.k = 3;
  na.len = 7;
  ya.len = 6;
  ir_node *top = ir_node_new(g, IR_TOPK, 1, &x, &ka);
  ir_node *idx = ir_part(g, top, 1);
  ir_node *mask = ir_node_new(g, IR_ONE_HOT, 1, &idx, &na); /* [4, 3, 7] */
  ir_node *loss = gc_wsum(e, ir_unary(g, IR_TANH, ir_part(g, top, 0)));
  loss = acc(e, loss, gc_wsum(e, ir_mul(g, mask, PARAM(e, "one_hot_w", 4, 3, 7))));
  ir_node *am = ir_node_new(g, IR_ARGMAX, 1, &y, NULL); /* [5] */
  loss = acc(e, loss, gc_wsum(e, ir_mul(g, y, ir_node_new(g, IR_ONE_HOT, 1, &am, &ya))));
  return acc(e, loss, gc_wsum(e, ir_embedding(g, PARAM(e, "E", 6, 2), am)));
}

/* x @ W^T + b */
static ir_node *linear(gc_env *e, ir_node *x, const char *w, const char *b, long in, long out) {
  ir_node *y = ir_matmul(e->g, x, gc_param(e, w, 2, SH(out, in)), 0, 1);
  return b ? ir_add(e->g, y, gc_param(e, b, 1, SH(out))) : y;
}

static ir_node *case_mlp(gc_env *e) {
  ir_node *x = INPUT(e, "x", -1, 1, 8, 10);
  ir_node *h = ir_gelu(e->g, linear(e, x, "W1", "b1", 10, 16));
  ir_node *logits = linear(e, h, "W2", "b2", 16, 5);
  return ir_softmax_xent(e->g, logits, INDEX(e, "y", 5, 8));
}

static ir_node *case_cnn(gc_env *e) {
  ir_graph *g = e->g;
  ir_node *x = INPUT(e, "x", -1, 1, 4, 1, 8, 8);
  ir_node *c = ir_unary(g, IR_RELU, ir_conv2d(g, x, PARAM(e, "K", 3, 1, 3, 3), 1, 1));
  ir_node *f = ir_reshape(g, ir_maxpool2d(g, c, 2, 2), 2, SH(4, 48));
  return ir_softmax_xent(g, linear(e, f, "W", "b", 48, 5), INDEX(e, "y", 5, 4));
}

/* h <- (1 - 1/L) h + (1/L) gelu(h W_l^T), L = 3 */
static ir_node *case_residual(gc_env *e) {
  enum { L = 3 };
  ir_graph *g = e->g;
  ir_node *h = INPUT(e, "x", -1, 1, 6, 8);
  for (int l = 0; l < L; l++) {
    char wn[8];
    snprintf(wn, sizeof wn, "W%d", l);
    ir_node *f = ir_gelu(g, linear(e, h, wn, NULL, 8, 8));
    h = ir_add(g, ir_scale(g, 1.0 - 1.0 / L, h), ir_scale(g, 1.0 / L, f));
  }
  return ir_softmax_xent(g, linear(e, h, "Wout", NULL, 8, 4), INDEX(e, "y", 4, 6));
}

int main(void) {
  check_ctx t = {.rng = 7};
  gc_run(&t, "unary", case_unary, SAMPLES, TOL);
  gc_run(&t, "binary", case_binary, SAMPLES, TOL);
  gc_run(&t, "reduce", case_reduce, SAMPLES, TOL);
  gc_run(&t, "shape", case_shape, SAMPLES, TOL);
  gc_run(&t, "matmul", case_matmul, SAMPLES, TOL);
  gc_run(&t, "conv2d", case_conv, SAMPLES, TOL);
  gc_run(&t, "pool", case_pool, SAMPLES, TOL);
  gc_run(&t, "xent+mse", case_losses, SAMPLES, TOL);
  gc_run(&t, "softmax+norms", case_rows, SAMPLES, TOL);
  gc_run(&t, "rope+attention", case_attention, SAMPLES, TOL);
  gc_run(&t, "embedding", case_embedding, SAMPLES, TOL);
  gc_run(&t, "argmax+one_hot+topk", case_indices, SAMPLES, TOL);
  gc_run(&t, "mlp", case_mlp, SAMPLES, TOL);
  gc_run(&t, "cnn", case_cnn, SAMPLES, TOL);
  gc_run(&t, "residual", case_residual, SAMPLES, TOL);
  return check_done(&t, "test_gradcheck");
}
