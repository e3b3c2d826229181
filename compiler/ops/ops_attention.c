/*
 * ops_attention.c - rules of attention and rope and of their backward
 * kernels, their gradients, and the builders of their builtins.
 */
#include <math.h>

#include "ops_family.h"

/* q [B, H, Tq, D], k and v [B, H, Tk, D] (Tq == Tk when causal); the
 * backward also takes probs [B, H, Tq, Tk] and dout (q's shape). */
static int infer_attention(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                           ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)shape;
  *dtype = IR_VOID;
  ops_shape_strs ss;
  const ir_node *q = in[0], *k = in[1];
  if (ops_need_rank(c, q, 4, 4, "q") || ops_need_rank(c, k, 4, 4, "k"))
    return -1;
  for (int i = 0; i < 3; i++)
    if (ops_need_real(c, in[i], "q, k and v"))
      return -1;
  if (ops_need_same(c, k, in[2], "k", "v"))
    return -1;
  long want_k[4] = {q->shape.d[0], q->shape.d[1], k->shape.d[2], q->shape.d[3]};
  ir_shape ks = ir_shape_of(4, want_k);
  if (!ir_shape_eq(&k->shape, &ks))
    return ops_fail(c, "k %s should be %s: q's batch, heads and head width",
                    ops_shape_str(&ss, 0, &k->shape), ops_shape_str(&ss, 1, &ks));
  if (a->k && k->shape.d[2] != q->shape.d[2])
    return ops_fail(c, "causal attention needs as many keys as queries: q %s, k %s",
                    ops_shape_str(&ss, 0, &q->shape), ops_shape_str(&ss, 1, &k->shape));
  if (c->def->op == IR_ATTENTION_BWD) {
    long d[4] = {q->shape.d[0], q->shape.d[1], q->shape.d[2], k->shape.d[2]};
    ir_shape ps = ir_shape_of(4, d);
    if (!ir_shape_eq(&in[3]->shape, &ps))
      return ops_fail(c, "probs %s should be %s", ops_shape_str(&ss, 0, &in[3]->shape),
                      ops_shape_str(&ss, 1, &ps));
    if (ops_need_same(c, q, in[4], "q", "dout"))
      return -1;
  }
  return 0;
}

/* attention: out (q's shape), probs [B, H, Tq, Tk]; backward: the gradients
 * of q, k and v */
static int part_attention(ops_infer *c, const ir_node *t, int i, ir_shape *shape, ir_dtype *dtype) {
  (void)c;
  (void)dtype;
  if (t->op == IR_ATTENTION_BWD) {
    *shape = t->in[i]->shape;
    return 0;
  }
  *shape = t->in[0]->shape;
  if (i == 1)
    shape->d[3] = t->in[1]->shape.d[2];
  return 0;
}

static int infer_rope(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  ops_shape_strs ss;
  if (ops_infer_same(c, nin, in, a, shape, dtype) < 0 || ops_need_rank(c, in[0], 4, 4, "operand"))
    return -1;
  if (in[0]->shape.d[3] % 2)
    return ops_fail(c, "head dimension must be even, got %s", ops_shape_str(&ss, 0, &in[0]->shape));
  return 0;
}

static int grad_attention(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  if (ad_part_adjoint(c, n, 1))
    return ad_no_gradient(c, n, " (auxiliary output)");
  gy = ad_part_adjoint(c, n, 0);
  ir_node *in[5] = {n->in[0], n->in[1], n->in[2], ir_part(g, n, 1), gy};
  ir_node *t = ir_node_new(g, IR_ATTENTION_BWD, 5, in, &n->attr);
  for (int i = 0; i < 3; i++)
    ad_acc(c, n->in[i], ir_part(g, t, i));
  return 0;
}

static int grad_rope(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc(c, n->in[0], ir_node_new(ad_graph(c), IR_ROPE_BWD, 1, &gy, &n->attr));
  return 0;
}

/* Attention on [B, H, T, D], causal or not, scores scaled by 1/sqrt(D). */
static ops_val build_attention(ops_args *a) {
  ir_node *q, *k, *v;
  if (!ops_tensor_arg(a, 0, &q) || !ops_tensor_arg(a, 1, &k) || !ops_tensor_arg(a, 2, &v))
    return ops_err();
  const ops_val *causal = &a->arg[3];
  if (causal->kind != OPS_V_NONE && causal->kind != OPS_V_BOOL)
    return ops_report(a, 3, "causal must be true or false");
  double d = q->shape.rank ? (double)q->shape.d[q->shape.rank - 1] : 1;
  bool masked = causal->kind == OPS_V_NONE || causal->b;
  return ops_result(a, ir_attention(a->g, q, k, v, 1 / sqrt(d), masked));
}

static ops_val build_rope(ops_args *a) {
  ir_node *t;
  double base;
  if (!ops_tensor_arg(a, 0, &t) || !ops_real_arg(a, 1, &base))
    return ops_err();
  return ops_result(a, ir_rope(a->g, t, base));
}

#include "ops_attention.def"
