/*
 * ops_elementwise.c - rules of the elementwise operations (real operands;
 * binary ones and select broadcast), their gradients, and the builders of
 * the elementwise builtins.
 */
#include "ops_family.h"

/* ---- shape rules --------------------------------------------------------- */

static int infer_unary(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                       ir_dtype *dtype) {
  return ops_infer_same(c, nin, in, a, shape, dtype);
}

static int infer_broadcast(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                           ir_shape *shape, ir_dtype *dtype) {
  (void)a;
  (void)dtype;
  ops_shape_strs ss;
  for (int i = 0; i < nin; i++)
    if (ops_need_real(c, in[i], "operand"))
      return -1;
  *shape = in[0]->shape;
  for (int i = 1; i < nin; i++) {
    ir_shape r;
    if (ops_broadcast2(shape, &in[i]->shape, &r) < 0)
      return ops_fail(c, "shapes do not broadcast: %s and %s", ops_shape_str(&ss, 0, &in[0]->shape),
                      ops_shape_str(&ss, 1, &in[i]->shape));
    *shape = r;
  }
  return 0;
}

/* ---- gradients ------------------------------------------------------------- */

static ir_node *K(ad_ctx *c, double v) { return ir_const(ad_graph(c), v); }

static int grad_neg(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc(c, n->in[0], ir_neg(ad_graph(c), gy));
  return 0;
}

static int grad_exp(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc(c, n->in[0], ir_mul(ad_graph(c), gy, n));
  return 0;
}

static int grad_log(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc(c, n->in[0], ir_div(ad_graph(c), gy, n->in[0]));
  return 0;
}

static int grad_sqrt(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_div(g, ir_mul(g, K(c, 0.5), gy), n));
  return 0;
}

static int grad_rsqrt(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_mul(g, K(c, -0.5), ir_mul(g, ir_square(g, n), n))));
  return 0;
}

static int grad_tanh(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_sub(g, K(c, 1), ir_square(g, n))));
  return 0;
}

static int grad_sigmoid(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_mul(g, n, ir_sub(g, K(c, 1), n))));
  return 0;
}

static int grad_abs(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_sign(g, n->in[0])));
  return 0;
}

/* the mask x > 0 has zero derivative */
static int grad_relu(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_binary(g, IR_GT, n->in[0], K(c, 0))));
  return 0;
}

static int grad_square(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_mul(g, K(c, 2), n->in[0])));
  return 0;
}

static int grad_recip(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_neg(g, ir_mul(g, gy, ir_square(g, n))));
  return 0;
}

static int grad_sin(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_mul(g, gy, ir_unary(g, IR_COS, n->in[0])));
  return 0;
}

static int grad_cos(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ad_acc(c, n->in[0], ir_neg(g, ir_mul(g, gy, ir_unary(g, IR_SIN, n->in[0]))));
  return 0;
}

static int grad_add(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc_unbroadcast(c, n->in[0], gy);
  ad_acc_unbroadcast(c, n->in[1], gy);
  return 0;
}

static int grad_sub(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc_unbroadcast(c, n->in[0], gy);
  if (ad_active(c, n->in[1]))
    ad_acc_unbroadcast(c, n->in[1], ir_neg(ad_graph(c), gy));
  return 0;
}

static int grad_mul(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *a = n->in[0], *b = n->in[1];
  if (ad_active(c, a))
    ad_acc_unbroadcast(c, a, ir_mul(g, gy, b));
  if (ad_active(c, b))
    ad_acc_unbroadcast(c, b, ir_mul(g, gy, a));
  return 0;
}

static int grad_div(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *a = n->in[0], *b = n->in[1];
  if (ad_active(c, a))
    ad_acc_unbroadcast(c, a, ir_div(g, gy, b));
  if (ad_active(c, b))
    ad_acc_unbroadcast(c, b, ir_neg(g, ir_div(g, ir_mul(g, gy, n), b)));
  return 0;
}

/* max and min: ties go to the left operand */
static int grad_extreme(ad_ctx *c, ir_node *n, ir_node *gy, ir_op ca, ir_op cb) {
  ir_graph *g = ad_graph(c);
  ir_node *a = n->in[0], *b = n->in[1];
  if (ad_active(c, a))
    ad_acc_unbroadcast(c, a, ir_mul(g, gy, ir_binary(g, ca, a, b)));
  if (ad_active(c, b))
    ad_acc_unbroadcast(c, b, ir_mul(g, gy, ir_binary(g, cb, a, b)));
  return 0;
}

static int grad_max(ad_ctx *c, ir_node *n, ir_node *gy) {
  return grad_extreme(c, n, gy, IR_GE, IR_LT);
}

static int grad_min(ad_ctx *c, ir_node *n, ir_node *gy) {
  return grad_extreme(c, n, gy, IR_LE, IR_GT);
}

static int grad_pow(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *a = n->in[0], *b = n->in[1];
  if (ad_active(c, a))
    ad_acc_unbroadcast(c, a,
                       ir_mul(g, gy, ir_mul(g, b, ir_binary(g, IR_POW, a, ir_sub(g, b, K(c, 1))))));
  if (ad_active(c, b))
    ad_acc_unbroadcast(c, b, ir_mul(g, gy, ir_mul(g, n, ir_log(g, a))));
  return 0;
}

static int grad_select(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  if (ad_active(c, n->in[1]))
    ad_acc_unbroadcast(c, n->in[1], ir_select(g, n->in[0], gy, K(c, 0)));
  if (ad_active(c, n->in[2]))
    ad_acc_unbroadcast(c, n->in[2], ir_select(g, n->in[0], K(c, 0), gy));
  return 0;
}

/* ---- builtins ---------------------------------------------------------------- */

/* op(x) of a tensor, or of a number that has no fold (a constant node) */
static ops_val build_unary(ops_args *a) {
  ir_node *t;
  if (a->arg[0].kind == OPS_V_NUM)
    return ops_result(a, ir_unary(a->g, a->b->op, ops_node(a, &a->arg[0])));
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  if (t->dtype == IR_I32) {
    char buf[128];
    return ops_report(a, 0, "%s needs a real tensor, got %s (one_hot(i, n) makes indices real)",
                      a->b->lang.name, ops_describe(&a->arg[0], buf, sizeof buf));
  }
  return ops_result(a, ir_unary(a->g, a->b->op, t));
}

static ops_val build_gelu(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  if (t->dtype == IR_I32) {
    char buf[128];
    return ops_report(a, 0, "gelu needs a real tensor, got %s (one_hot(i, n) makes indices real)",
                      ops_describe(&a->arg[0], buf, sizeof buf));
  }
  return ops_result(a, ir_gelu(a->g, t));
}

/* max/min: of two operands elementwise; of one tensor, its extreme element;
 * of one number, the number. */
static ops_val build_minmax(ops_args *a) {
  char buf[96];
  if (a->arg[1].kind != OPS_V_NONE) {
    for (int j = 0; j < 2; j++)
      if (a->arg[j].kind != OPS_V_NUM && a->arg[j].kind != OPS_V_TENSOR)
        return ops_report(a, OPS_AT_CALL,
                          "expected a number or a tensor as operand of '%s', got %s",
                          a->b->lang.name, ops_describe(&a->arg[j], buf, sizeof buf));
    return ops_result(a,
                      ir_binary(a->g, a->b->op, ops_node(a, &a->arg[0]), ops_node(a, &a->arg[1])));
  }
  if (a->arg[0].kind == OPS_V_NUM)
    return a->arg[0];
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  ir_graph *g = a->g;
  if (a->b->op == IR_MAX)
    return ops_result(a, ir_max_all(g, t));
  return ops_result(a, ir_neg(g, ir_max_all(g, ir_neg(g, t))));
}

static ops_val build_where(ops_args *a) {
  ir_node *cond;
  if (!ops_tensor_arg(a, 0, &cond))
    return ops_err();
  ir_node *t = ops_node(a, &a->arg[1]), *f = ops_node(a, &a->arg[2]);
  if (!t || !f)
    return ops_report(a, OPS_AT_CALL, "the values of where must be tensors or numbers");
  return ops_result(a, ir_select(a->g, cond, t, f));
}

#include "ops_elementwise.def"
