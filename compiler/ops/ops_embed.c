/*
 * ops_embed.c - rules of the embedding lookup and its backward kernel, its
 * gradient, and the builder of `gather`.
 */
#include "ops_family.h"

static int infer_embed(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                       ir_dtype *dtype) {
  (void)nin;
  (void)a;
  (void)dtype;
  const ir_node *x = in[0];
  if (ops_need_real(c, x, "table") || ops_need_rank(c, x, 2, 2, "table") ||
      ops_need_rank(c, in[1], 0, IR_MAX_RANK - 1, "tokens"))
    return -1;
  if (in[1]->dtype != IR_I32)
    return ops_fail(c, "tokens must be i32, got %s", ir_dtype_name(in[1]->dtype));
  *shape = in[1]->shape;
  shape->d[shape->rank++] = x->shape.d[1];
  return 0;
}

/* (tokens, dy) -> the table's shape (target) */
static int infer_embed_bwd(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                           ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  if (x->dtype != IR_I32)
    return ops_fail(c, "tokens must be i32, got %s", ir_dtype_name(x->dtype));
  if (ops_need_real(c, in[1], "dy") || ops_check_target(c, &a->target))
    return -1;
  if (a->target.rank != 2 || in[1]->shape.rank != x->shape.rank + 1 ||
      in[1]->shape.d[x->shape.rank] != a->target.d[1])
    return ops_fail(c, "dy %s does not match tokens %s and table %s",
                    ops_shape_str(&ss, 0, &in[1]->shape), ops_shape_str(&ss, 1, &x->shape),
                    ops_shape_str(&ss, 2, &a->target));
  *shape = a->target;
  return 0;
}

static int grad_embed(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_node *E = n->in[0], *in[2] = {n->in[1], gy};
  ad_acc(c, E, ops_with_target(ad_graph(c), IR_EMBED_BWD, 2, in, &n->attr, &E->shape));
  return 0;
}

static ops_val build_gather(ops_args *a) {
  ir_node *table, *idx;
  if (!ops_tensor_arg(a, 0, &table) || !ops_tensor_arg(a, 1, &idx))
    return ops_err();
  return ops_result(a, ir_embedding(a->g, table, idx));
}

#include "ops_embed.def"
