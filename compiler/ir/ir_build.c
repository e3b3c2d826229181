/*
 * ir_build.c - the builder API: one function per operation, each a thin
 * wrapper that fills attributes and calls ir_node_new(), which infers the
 * shape, reports errors into the graph and appends the node.
 */
#include "ir.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static ir_node *berr(ir_graph *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->err, IR_ERR_LEN, fmt, ap);
  va_end(ap);
  return NULL;
}

static void append(ir_graph *g, ir_node *n) {
  if (g->nnodes == g->cap) {
    int nc = g->cap ? g->cap * 2 : 64;
    ir_node **a = realloc(g->nodes, (size_t)nc * sizeof *a);
    if (!a)
      abort();
    g->nodes = a;
    g->cap = nc;
  }
  n->id = g->nnodes;
  g->nodes[g->nnodes++] = n;
}

static ir_node *alloc_node(ir_graph *g, ir_op op, int nin, ir_node *const *in, const ir_attr *a,
                           ir_shape shape, ir_dtype dtype) {
  ir_node *n = ir_pool_alloc(g->prog->pool, sizeof *n);
  n->op = op;
  n->dtype = dtype;
  n->shape = shape;
  n->nin = nin;
  n->in = ir_pool_alloc(g->prog->pool, (size_t)(nin ? nin : 1) * sizeof *n->in);
  for (int i = 0; i < nin; i++)
    n->in[i] = in[i];
  if (a)
    n->attr = *a;
  n->loc = g->loc;
  n->region = ir_op_kind(op) == IR_K_LEAF ? 0 : g->region;
  append(g, n);
  return n;
}

ir_node *ir_node_new(ir_graph *g, ir_op op, int nin, ir_node *const *in, const ir_attr *a) {
  static const ir_attr none;
  if (!a)
    a = &none;
  for (int i = 0; i < nin; i++) {
    if (!in[i])
      return NULL;
    if (in[i]->id >= g->nnodes || g->nodes[in[i]->id] != in[i])
      return berr(g, "%s: operand %d belongs to another entry point", ir_op_name(op), i);
  }
  ir_shape shape;
  ir_dtype dtype;
  if (ir_infer(g->prog, op, nin, in, a, &shape, &dtype, g->err, IR_ERR_LEN) < 0)
    return NULL;
  ir_node *n = alloc_node(g, op, nin, in, a, shape, dtype);
  for (int i = 0; i < ir_op_nparts(op); i++) {
    ir_attr pa = {0};
    pa.index = i;
    ir_shape ps;
    ir_dtype pt;
    int rc = ir_infer(g->prog, IR_PART, 1, &n, &pa, &ps, &pt, g->err, IR_ERR_LEN);
    assert(rc == 0);
    (void)rc;
    alloc_node(g, IR_PART, 1, &n, &pa, ps, pt);
  }
  return n;
}

ir_node *ir_part(const ir_graph *g, const ir_node *tuple, int i) {
  if (!tuple)
    return NULL;
  assert(i >= 0 && i < ir_op_nparts(tuple->op));
  ir_node *p = g->nodes[tuple->id + 1 + i];
  assert(p->op == IR_PART && p->in[0] == tuple && p->attr.index == i);
  return p;
}

/* ---- leaves ---------------------------------------------------------------- */

static ir_node *leaf(ir_graph *g, ir_op op, int index, double value) {
  ir_attr a = {0};
  a.index = index;
  a.value = value;
  return ir_node_new(g, op, 0, NULL, &a);
}

ir_node *ir_const(ir_graph *g, double v) { return leaf(g, IR_CONST, 0, v); }
ir_node *ir_scalar_ref(ir_graph *g, int s) { return leaf(g, IR_SCALAR, s, 0); }
ir_node *ir_tensor_ref(ir_graph *g, int t) { return leaf(g, IR_TENSOR, t, 0); }
ir_node *ir_input_ref(ir_graph *g, int i) { return leaf(g, IR_INPUT, i, 0); }

/* ---- elementwise ----------------------------------------------------------- */

ir_node *ir_unary(ir_graph *g, ir_op op, ir_node *x) {
  assert(ir_op_kind(op) == IR_K_UNARY);
  return ir_node_new(g, op, 1, &x, NULL);
}

ir_node *ir_binary(ir_graph *g, ir_op op, ir_node *a, ir_node *b) {
  assert(ir_op_kind(op) == IR_K_BINARY);
  ir_node *in[2] = {a, b};
  return ir_node_new(g, op, 2, in, NULL);
}

ir_node *ir_select(ir_graph *g, ir_node *cond, ir_node *a, ir_node *b) {
  ir_node *in[3] = {cond, a, b};
  return ir_node_new(g, IR_SELECT, 3, in, NULL);
}

ir_node *ir_add(ir_graph *g, ir_node *a, ir_node *b) { return ir_binary(g, IR_ADD, a, b); }
ir_node *ir_sub(ir_graph *g, ir_node *a, ir_node *b) { return ir_binary(g, IR_SUB, a, b); }
ir_node *ir_mul(ir_graph *g, ir_node *a, ir_node *b) { return ir_binary(g, IR_MUL, a, b); }
ir_node *ir_div(ir_graph *g, ir_node *a, ir_node *b) { return ir_binary(g, IR_DIV, a, b); }

ir_node *ir_scale(ir_graph *g, double s, ir_node *x) { return ir_mul(g, ir_const(g, s), x); }

#define NAMED_UNARY(name, op) \
  ir_node *name(ir_graph *g, ir_node *x) { return ir_unary(g, op, x); }
NAMED_UNARY(ir_neg, IR_NEG)
NAMED_UNARY(ir_exp, IR_EXP)
NAMED_UNARY(ir_log, IR_LOG)
NAMED_UNARY(ir_sqrt, IR_SQRT)
NAMED_UNARY(ir_rsqrt, IR_RSQRT)
NAMED_UNARY(ir_tanh, IR_TANH)
NAMED_UNARY(ir_sign, IR_SIGN)
NAMED_UNARY(ir_square, IR_SQUARE)

/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), x^3 as x square(x) */
ir_node *ir_gelu(ir_graph *g, ir_node *x) {
  ir_node *half = ir_scale(g, 0.5, x), *x3 = ir_mul(g, x, ir_square(g, x));
  ir_node *inner = ir_scale(g, 0.7978845608028654, ir_add(g, x, ir_scale(g, 0.044715, x3)));
  return ir_mul(g, half, ir_add(g, ir_const(g, 1), ir_tanh(g, inner)));
}

/* ---- reductions ------------------------------------------------------------ */

static int axes_mask(ir_graph *g, const char *op, const ir_node *x, int naxes, const int *axes,
                     unsigned *mask) {
  char sb[96];
  *mask = 0;
  for (int i = 0; i < naxes; i++) {
    int ax = axes[i] < 0 ? axes[i] + x->shape.rank : axes[i];
    if (ax < 0 || ax >= x->shape.rank || (*mask >> ax & 1)) {
      berr(g, "%s: bad or repeated axis %d for %s", op, axes[i],
           ir_shape_str(&x->shape, sb, sizeof sb));
      return -1;
    }
    *mask |= 1u << ax;
  }
  return 0;
}

static ir_node *reduce(ir_graph *g, ir_op op, ir_node *x, int naxes, const int *axes,
                       int keepdims) {
  if (!x)
    return NULL;
  ir_attr a = {0};
  if (axes_mask(g, ir_op_name(op), x, naxes, axes, &a.axes) < 0)
    return NULL;
  a.keepdims = keepdims;
  return ir_node_new(g, op, 1, &x, &a);
}

static int all_axes(const ir_node *x, int *axes) {
  for (int i = 0; i < x->shape.rank; i++)
    axes[i] = i;
  return x->shape.rank;
}

ir_node *ir_sum(ir_graph *g, ir_node *x, int naxes, const int *axes, int keepdims) {
  return reduce(g, IR_SUM, x, naxes, axes, keepdims);
}

ir_node *ir_max(ir_graph *g, ir_node *x, int naxes, const int *axes, int keepdims) {
  return reduce(g, IR_RMAX, x, naxes, axes, keepdims);
}

ir_node *ir_mean(ir_graph *g, ir_node *x, int naxes, const int *axes, int keepdims) {
  ir_node *s = ir_sum(g, x, naxes, axes, keepdims);
  if (!s)
    return NULL;
  return ir_scale(g, (double)ir_numel(&s->shape) / (double)ir_numel(&x->shape), s);
}

ir_node *ir_sum_all(ir_graph *g, ir_node *x) {
  int axes[IR_MAX_RANK];
  return x ? ir_sum(g, x, all_axes(x, axes), axes, 0) : NULL;
}

ir_node *ir_mean_all(ir_graph *g, ir_node *x) {
  int axes[IR_MAX_RANK];
  return x ? ir_mean(g, x, all_axes(x, axes), axes, 0) : NULL;
}

ir_node *ir_max_all(ir_graph *g, ir_node *x) {
  int axes[IR_MAX_RANK];
  return x ? ir_max(g, x, all_axes(x, axes), axes, 0) : NULL;
}

/* ---- shape operations ------------------------------------------------------ */

static ir_node *with_target(ir_graph *g, ir_op op, ir_node *x, int rank, const long *shape) {
  if (!x)
    return NULL;
  if (rank < 0 || rank > IR_MAX_RANK)
    return berr(g, "%s: rank %d exceeds the maximum %d", ir_op_name(op), rank, IR_MAX_RANK);
  ir_attr a = {0};
  a.target = ir_shape_of(rank, shape);
  if (ir_shape_eq(&a.target, &x->shape))
    return x;
  return ir_node_new(g, op, 1, &x, &a);
}

ir_node *ir_reshape(ir_graph *g, ir_node *x, int rank, const long *shape) {
  return with_target(g, IR_RESHAPE, x, rank, shape);
}

ir_node *ir_broadcast_to(ir_graph *g, ir_node *x, int rank, const long *shape) {
  return with_target(g, IR_BROADCAST, x, rank, shape);
}

ir_node *ir_permute(ir_graph *g, ir_node *x, const int *perm) {
  if (!x)
    return NULL;
  ir_attr a = {0};
  int identity = 1;
  for (int i = 0; i < x->shape.rank; i++) {
    a.perm[i] = perm[i];
    identity &= perm[i] == i;
  }
  return identity ? x : ir_node_new(g, IR_PERMUTE, 1, &x, &a);
}

ir_node *ir_transpose(ir_graph *g, ir_node *x) {
  if (!x)
    return NULL;
  int r = x->shape.rank, perm[IR_MAX_RANK];
  char sb[96];
  if (r < 2)
    return berr(g, "transpose: needs rank >= 2, got %s", ir_shape_str(&x->shape, sb, sizeof sb));
  for (int i = 0; i < r; i++)
    perm[i] = i;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return ir_permute(g, x, perm);
}

ir_node *ir_slice(ir_graph *g, ir_node *x, int axis, long start, long len) {
  if (!x)
    return NULL;
  ir_attr a = {0};
  a.axis = axis < 0 ? axis + x->shape.rank : axis;
  a.start = start;
  a.len = len;
  if (a.axis >= 0 && a.axis < x->shape.rank && start == 0 && len == x->shape.d[a.axis])
    return x;
  return ir_node_new(g, IR_SLICE, 1, &x, &a);
}

ir_node *ir_concat(ir_graph *g, int n, ir_node *const *xs, int axis) {
  if (n < 1)
    return berr(g, "concat: no operands");
  for (int i = 0; i < n; i++)
    if (!xs[i])
      return NULL;
  if (n == 1)
    return xs[0];
  ir_attr a = {0};
  a.axis = axis < 0 ? axis + xs[0]->shape.rank : axis;
  return ir_node_new(g, IR_CONCAT, n, xs, &a);
}

/* ---- runtime operations ---------------------------------------------------- */

/* A permute that only swaps the last two axes, folded into a GEMM flag. */
static int is_last_swap(const ir_node *x) {
  if (x->op != IR_PERMUTE)
    return 0;
  int r = x->shape.rank;
  for (int i = 0; i < r - 2; i++)
    if (x->attr.perm[i] != i)
      return 0;
  return x->attr.perm[r - 2] == r - 1 && x->attr.perm[r - 1] == r - 2;
}

ir_node *ir_matmul(ir_graph *g, ir_node *a, ir_node *b, int trans_a, int trans_b) {
  if (!a || !b)
    return NULL;
  ir_attr at = {0};
  at.trans_a = !!trans_a;
  at.trans_b = !!trans_b;
  if (is_last_swap(a)) {
    a = a->in[0];
    at.trans_a ^= 1;
  }
  if (is_last_swap(b)) {
    b = b->in[0];
    at.trans_b ^= 1;
  }
  ir_node *in[2] = {a, b};
  return ir_node_new(g, IR_MATMUL, 2, in, &at);
}

ir_node *ir_conv2d(ir_graph *g, ir_node *x, ir_node *w, int stride, int pad) {
  ir_attr a = {0};
  a.stride = stride;
  a.pad = pad;
  ir_node *in[2] = {x, w};
  return ir_node_new(g, IR_CONV2D, 2, in, &a);
}

static ir_node *pool(ir_graph *g, ir_op op, ir_node *x, int k, int stride) {
  ir_attr a = {0};
  a.k = k;
  a.stride = stride;
  return ir_node_new(g, op, 1, &x, &a);
}

/* Rewrite "pooling before a constant floor": maxpool2d(max(c, x)) builds
 * max(c, maxpool2d(x)) for a constant c, so the floor runs on the pooled
 * quarter (forward and backward). max(c, .) is non-decreasing, hence the
 * values agree bit for bit, NaNs included (max(c, NaN) is NaN, and a NaN
 * wins a window exactly where it is the window's first element, before and
 * after). For a finite dy the gradients agree as numbers (a zero may change
 * sign): where the window's maximum m exceeds c both give dy to its first
 * largest element; where m <= c both give 0, since the derivative of
 * max(c, x) at x = c is 0 (a tie goes to the left operand); an infinite or
 * NaN dy there makes a NaN (0 * dy) at the window's first element before,
 * at its first largest after. max(x, c) is not rewritten:
 * its derivative at x = c is 1, and a window whose maximum equals c at an
 * element after one below c gets dy there after the rewrite, 0 before. */
ir_node *ir_maxpool2d(ir_graph *g, ir_node *x, int k, int stride) {
  if (x && x->op == IR_MAX && x->in[0]->op == IR_CONST &&
      ir_shape_eq(&x->in[1]->shape, &x->shape)) {
    ir_node *m = ir_binary(g, IR_MAX, x->in[0], pool(g, IR_MAXPOOL2D, x->in[1], k, stride));
    if (m)
      m->loc = x->loc; /* the floor keeps its source position */
    return m;
  }
  return pool(g, IR_MAXPOOL2D, x, k, stride);
}

ir_node *ir_avgpool2d(ir_graph *g, ir_node *x, int k, int stride) {
  return pool(g, IR_AVGPOOL2D, x, k, stride);
}

static ir_node *pair(ir_graph *g, ir_op op, ir_node *a, ir_node *b) {
  ir_node *in[2] = {a, b};
  return ir_node_new(g, op, 2, in, NULL);
}

ir_node *ir_softmax_xent(ir_graph *g, ir_node *logits, ir_node *labels) {
  return pair(g, IR_XENT, logits, labels);
}

ir_node *ir_count_correct(ir_graph *g, ir_node *logits, ir_node *labels) {
  return pair(g, IR_CORRECT, logits, labels);
}

ir_node *ir_mse(ir_graph *g, ir_node *a, ir_node *b) { return pair(g, IR_MSE, a, b); }

static ir_node *with_value(ir_graph *g, ir_op op, ir_node *x, double value) {
  ir_attr a = {0};
  a.value = value;
  return ir_node_new(g, op, 1, &x, &a);
}

ir_node *ir_softmax(ir_graph *g, ir_node *x, int axis, double scale) {
  if (!x)
    return NULL;
  int r = x->shape.rank, ax = axis < 0 ? axis + r : axis;
  char sb[96];
  if (ax < 0 || ax >= r)
    return berr(g, "softmax: axis %d out of range for %s", axis,
                ir_shape_str(&x->shape, sb, sizeof sb));
  if (ax == r - 1)
    return with_value(g, IR_SOFTMAX, x, scale);
  int perm[IR_MAX_RANK];
  for (int i = 0; i < r; i++)
    perm[i] = i;
  perm[ax] = r - 1;
  perm[r - 1] = ax;
  ir_node *y = with_value(g, IR_SOFTMAX, ir_permute(g, x, perm), scale);
  return ir_permute(g, y, perm);
}

ir_node *ir_rmsnorm(ir_graph *g, ir_node *x, double eps) {
  return ir_part(g, with_value(g, IR_RMSNORM, x, eps), 0);
}

ir_node *ir_layernorm(ir_graph *g, ir_node *x, double eps) {
  return ir_part(g, with_value(g, IR_LAYERNORM, x, eps), 0);
}

ir_node *ir_attention(ir_graph *g, ir_node *q, ir_node *k, ir_node *v, double scale, int causal) {
  ir_attr a = {0};
  a.value = scale;
  a.k = causal;
  ir_node *in[3] = {q, k, v};
  return ir_part(g, ir_node_new(g, IR_ATTENTION, 3, in, &a), 0);
}

ir_node *ir_rope(ir_graph *g, ir_node *x, double base) { return with_value(g, IR_ROPE, x, base); }

ir_node *ir_embedding(ir_graph *g, ir_node *table, ir_node *tokens) {
  return pair(g, IR_EMBED, table, tokens);
}

ir_node *ir_polar_ns(ir_graph *g, ir_node *x, int schedule, int steps, double eps, int precision) {
  ir_attr a = {0};
  a.schedule = schedule;
  a.steps = steps;
  a.value = eps;
  a.precision = precision;
  return ir_node_new(g, IR_POLAR_NS, 1, &x, &a);
}

ir_node *ir_polar_svd(ir_graph *g, ir_node *x) { return ir_node_new(g, IR_POLAR_SVD, 1, &x, NULL); }

ir_node *ir_spectral_norm(ir_graph *g, ir_node *x) {
  return ir_node_new(g, IR_SPECTRAL_NORM, 1, &x, NULL);
}

ir_node *ir_spectral_lanczos(ir_graph *g, ir_node *x, ir_node *v, int steps) {
  ir_attr a = {0};
  a.steps = steps;
  ir_node *in[2] = {x, v};
  return ir_node_new(g, IR_SPECTRAL_LANCZOS, 2, in, &a);
}

ir_node *ir_spd_pow(ir_graph *g, ir_node *x, double p, double eps) {
  ir_attr a = {0};
  a.value = eps;
  a.value2 = p;
  return ir_node_new(g, IR_SPD_POW, 1, &x, &a);
}
