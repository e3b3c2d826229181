/*
 * ops_nn.c - rules of convolution, pooling and softmax and of their
 * backward kernels, their gradients, and the builders of their builtins.
 */
#include "ops_family.h"

/* ---- shape rules --------------------------------------------------------- */

/* Output size of a 2-D window op (conv or pool). */
static int window_out(ops_infer *c, long h, long w, long kh, long kw, int stride, int pad, long *ho,
                      long *wo) {
  if (stride < 1 || pad < 0)
    return ops_fail(c, "stride %d and padding %d must be >= 1 and >= 0", stride, pad);
  if (h + 2 * pad < kh || w + 2 * pad < kw)
    return ops_fail(c, "window %ldx%ld larger than the padded input %ldx%ld", kh, kw, h + 2 * pad,
                    w + 2 * pad);
  *ho = (h + 2 * pad - kh) / stride + 1;
  *wo = (w + 2 * pad - kw) / stride + 1;
  return 0;
}

static int conv_out(ops_infer *c, const ir_shape *x, const ir_shape *wt, int stride, int pad,
                    ir_shape *y) {
  ops_shape_strs ss;
  if (x->rank != 4 || wt->rank != 4)
    return ops_fail(c, "expects x [n, c, h, w] and W [o, c, kh, kw], got %s and %s",
                    ops_shape_str(&ss, 0, x), ops_shape_str(&ss, 1, wt));
  if (x->d[1] != wt->d[1])
    return ops_fail(c, "input channels differ: x %s, W %s", ops_shape_str(&ss, 0, x),
                    ops_shape_str(&ss, 1, wt));
  long ho = 0, wo = 0;
  if (window_out(c, x->d[2], x->d[3], wt->d[2], wt->d[3], stride, pad, &ho, &wo) < 0)
    return -1;
  long d[4] = {x->d[0], wt->d[0], ho, wo};
  *y = ir_shape_of(4, d);
  return 0;
}

static int pool_out(ops_infer *c, const ir_shape *x, int k, int stride, ir_shape *y) {
  ops_shape_strs ss;
  if (x->rank != 4)
    return ops_fail(c, "expects x [n, c, h, w], got %s", ops_shape_str(&ss, 0, x));
  if (k < 1)
    return ops_fail(c, "window %d must be >= 1", k);
  long ho = 0, wo = 0;
  if (window_out(c, x->d[2], x->d[3], k, k, stride, 0, &ho, &wo) < 0)
    return -1;
  long d[4] = {x->d[0], x->d[1], ho, wo};
  *y = ir_shape_of(4, d);
  return 0;
}

/* dy must be the shape of the forward value y. */
static int match_dy(ops_infer *c, const ir_node *dy, const ir_shape *y, const char *what) {
  ops_shape_strs ss;
  if (!ir_shape_eq(y, &dy->shape))
    return ops_fail(c, "dy %s does not match the %s output %s", ops_shape_str(&ss, 0, &dy->shape),
                    what, ops_shape_str(&ss, 1, y));
  return 0;
}

static int infer_conv(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  if (ops_need_real(c, in[0], "x") || ops_need_real(c, in[1], "W"))
    return -1;
  return conv_out(c, &in[0]->shape, &in[1]->shape, a->stride, a->pad, shape);
}

/* conv2d_bwd_data (dy, W) -> x's shape (target); conv2d_bwd_weight (x, dy)
 * -> W's shape (target) */
static int infer_conv_bwd(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                          ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  int data = c->def->op == IR_CONV2D_BWD_DATA;
  const ir_shape *xs = data ? &a->target : &in[0]->shape;
  const ir_shape *ws = data ? &in[1]->shape : &a->target;
  ir_shape y;
  if (ops_need_real(c, in[0], "operand") || ops_need_real(c, in[1], "operand") ||
      conv_out(c, xs, ws, a->stride, a->pad, &y) < 0 ||
      match_dy(c, in[data ? 0 : 1], &y, "convolution") < 0)
    return -1;
  *shape = a->target;
  return 0;
}

static int infer_pool(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  if (ops_need_real(c, in[0], "x"))
    return -1;
  return pool_out(c, &in[0]->shape, a->k, a->stride, shape);
}

/* maxpool2d_bwd (x, dy) -> x's shape; avgpool2d_bwd (dy) -> target */
static int infer_pool_bwd(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                          ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  int max = c->def->op == IR_MAXPOOL2D_BWD;
  const ir_shape *xs = max ? &in[0]->shape : &a->target;
  const ir_node *dy = in[max ? 1 : 0];
  ir_shape y;
  if (ops_need_real(c, dy, "dy") || pool_out(c, xs, a->k, a->stride, &y) < 0 ||
      match_dy(c, dy, &y, "pooling") < 0)
    return -1;
  *shape = *xs;
  return 0;
}

static int infer_softmax(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                         ir_shape *shape, ir_dtype *dtype) {
  if (ops_infer_same(c, nin, in, a, shape, dtype) < 0)
    return -1;
  return ops_need_rank(c, in[0], 1, IR_MAX_RANK, "operand");
}

static int infer_softmax_bwd(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                             ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)a;
  (void)dtype;
  if (ops_need_real(c, in[0], "y") || ops_need_real(c, in[1], "dy") ||
      ops_need_same(c, in[0], in[1], "y", "dy"))
    return -1;
  *shape = in[0]->shape;
  return 0;
}

/* ---- gradients ------------------------------------------------------------- */

static int grad_conv(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *x = n->in[0], *w = n->in[1];
  if (ad_active(c, x)) {
    ir_node *in[2] = {gy, w};
    ad_acc(c, x, ops_with_target(g, IR_CONV2D_BWD_DATA, 2, in, &n->attr, &x->shape));
  }
  if (ad_active(c, w)) {
    ir_node *in[2] = {x, gy};
    ad_acc(c, w, ops_with_target(g, IR_CONV2D_BWD_WEIGHT, 2, in, &n->attr, &w->shape));
  }
  return 0;
}

static int grad_maxpool(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_node *in[2] = {n->in[0], gy};
  ad_acc(c, n->in[0], ir_node_new(ad_graph(c), IR_MAXPOOL2D_BWD, 2, in, &n->attr));
  return 0;
}

static int grad_avgpool(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_node *x = n->in[0];
  ad_acc(c, x, ops_with_target(ad_graph(c), IR_AVGPOOL2D_BWD, 1, &gy, &n->attr, &x->shape));
  return 0;
}

static int grad_softmax(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_node *in[2] = {n, gy};
  ad_acc(c, n->in[0], ir_node_new(ad_graph(c), IR_SOFTMAX_BWD, 2, in, &n->attr));
  return 0;
}

/* ---- builtins ---------------------------------------------------------------- */

static ops_val build_softmax(ops_args *a) {
  ir_node *t;
  double scale;
  if (!ops_tensor_arg(a, 0, &t) || !ops_real_arg(a, 1, &scale))
    return ops_err();
  return ops_result(a, ir_softmax(a->g, t, -1, scale));
}

static ops_val build_conv2d(ops_args *a) {
  ir_node *x, *w;
  long long stride, pad;
  if (!ops_tensor_arg(a, 0, &x) || !ops_tensor_arg(a, 1, &w) || !ops_int_arg(a, 2, &stride) ||
      !ops_int_arg(a, 3, &pad))
    return ops_err();
  return ops_result(a, ir_conv2d(a->g, x, w, (int)stride, (int)pad));
}

/* maxpool2d(x, k, stride = k), avgpool2d(...) */
static ops_val build_pool(ops_args *a) {
  ir_node *x;
  long long k, stride;
  if (!ops_tensor_arg(a, 0, &x) || !ops_int_arg(a, 1, &k))
    return ops_err();
  stride = k;
  if (a->arg[2].kind != OPS_V_NONE && !ops_int_arg(a, 2, &stride))
    return ops_err();
  ir_node *n = a->b->op == IR_MAXPOOL2D ? ir_maxpool2d(a->g, x, (int)k, (int)stride)
                                        : ir_avgpool2d(a->g, x, (int)k, (int)stride);
  return ops_result(a, n);
}

#include "ops_nn.def"
