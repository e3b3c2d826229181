/*
 * ops_loss.c - rules of the cross-entropy, the count of correct
 * predictions and the mean squared error, and their gradients.
 */
#include "ops_family.h"

static int need_dloss(ops_infer *c, const ir_node *d) {
  return ops_need_real(c, d, "dloss") || ops_need_rank(c, d, 0, 0, "dloss") ? -1 : 0;
}

/* (logits [N, C], labels i32 [N] [, dloss]) -> a scalar, or d/dlogits */
static int infer_xent(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)a;
  (void)dtype;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  if (ops_need_real(c, x, "logits") || ops_need_rank(c, x, 2, 2, "logits") ||
      ops_need_rank(c, in[1], 1, 1, "labels"))
    return -1;
  if (in[1]->dtype != IR_I32)
    return ops_fail(c, "labels must be i32, got %s", ir_dtype_name(in[1]->dtype));
  if (in[1]->shape.d[0] != x->shape.d[0])
    return ops_fail(c, "rows differ: logits %s, labels %s", ops_shape_str(&ss, 0, &x->shape),
                    ops_shape_str(&ss, 1, &in[1]->shape));
  if (nin == 3 && need_dloss(c, in[2]) < 0)
    return -1;
  *shape = nin == 3 ? x->shape : (ir_shape){0};
  return 0;
}

/* (a, b [, dloss]) -> a scalar, or d/da */
static int infer_mse(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                     ir_dtype *dtype) {
  (void)a;
  (void)dtype;
  if (ops_need_real(c, in[0], "a") || ops_need_real(c, in[1], "b") ||
      ops_need_same(c, in[0], in[1], "a", "b"))
    return -1;
  if (nin == 3 && need_dloss(c, in[2]) < 0)
    return -1;
  *shape = nin == 3 ? in[0]->shape : (ir_shape){0};
  return 0;
}

static int grad_xent(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_node *in[3] = {n->in[0], n->in[1], gy};
  ad_acc(c, n->in[0], ir_node_new(ad_graph(c), IR_XENT_BWD, 3, in, &n->attr));
  return 0;
}

static int grad_mse(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *in[3] = {n->in[0], n->in[1], gy};
  ir_node *d = ir_node_new(g, IR_MSE_BWD, 3, in, &n->attr);
  ad_acc(c, n->in[0], d);
  if (ad_active(c, n->in[1]))
    ad_acc(c, n->in[1], ir_neg(g, d));
  return 0;
}

/* aux_loss(x, loss): a term of a forward body in the training loss (a
 * load-balancing loss of a router); x passes through. */
static ops_val build_aux_loss(ops_args *a) {
  ir_node *x, *loss;
  if (!ops_tensor_arg(a, 0, &x) || !ops_tensor_arg(a, 1, &loss))
    return ops_err();
  if (loss->shape.rank != 0)
    return ops_report(a, 1, "aux_loss needs a scalar loss, got a tensor of rank %d",
                      loss->shape.rank);
  if (!a->add_loss)
    return ops_report(a, OPS_AT_CALL, "aux_loss is allowed only in forward bodies");
  a->add_loss(a->ctx, loss);
  return ops_result(a, x);
}

#include "ops_loss.def"
