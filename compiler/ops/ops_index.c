/*
 * ops_index.c - rules of argmax, one_hot and topk (int32 indices along the
 * last axis), the gradient of topk's values (scattered back to their
 * columns; indices and argmax have none, one_hot's operand is an index),
 * and the builders of their builtins.
 */
#include "ops_family.h"

/* ---- shape rules --------------------------------------------------------- */

static int infer_argmax(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                        ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)a;
  const ir_node *x = in[0];
  if (ops_need_real(c, x, "operand") || ops_need_rank(c, x, 1, IR_MAX_RANK, "operand"))
    return -1;
  *shape = ir_shape_of(x->shape.rank - 1, x->shape.d);
  *dtype = IR_I32;
  return 0;
}

static int infer_one_hot(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                         ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  const ir_node *x = in[0];
  if (x->dtype != IR_I32)
    return ops_fail(c, "index must be i32, got %s", ir_dtype_name(x->dtype));
  if (ops_need_rank(c, x, 0, IR_MAX_RANK - 1, "index"))
    return -1;
  if (a->len < 1 || a->len > 1L << 24)
    return ops_fail(c, "n must be 1 to 2^24, got %ld", a->len);
  *shape = x->shape;
  shape->d[shape->rank++] = a->len;
  return 0;
}

static int infer_topk(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  (void)shape;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  *dtype = IR_VOID;
  if (ops_need_real(c, x, "operand") || ops_need_rank(c, x, 1, IR_MAX_RANK, "operand"))
    return -1;
  if (a->k < 1 || a->k > x->shape.d[x->shape.rank - 1])
    return ops_fail(c, "k = %d is not in 1..%ld for %s", a->k, x->shape.d[x->shape.rank - 1],
                    ops_shape_str(&ss, 0, &x->shape));
  return 0;
}

/* values (real) and indices (i32), both x's shape with k last */
static int part_topk(ops_infer *c, const ir_node *t, int i, ir_shape *shape, ir_dtype *dtype) {
  (void)c;
  *shape = t->in[0]->shape;
  shape->d[shape->rank - 1] = t->attr.k;
  if (i == 1)
    *dtype = IR_I32;
  return 0;
}

/* (indices, dvalues) -> target, x's shape */
static int infer_topk_bwd(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                          ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  ops_shape_strs ss;
  const ir_node *ix = in[0], *dv = in[1];
  const ir_shape *t = &a->target;
  if (ix->dtype != IR_I32)
    return ops_fail(c, "indices must be i32, got %s", ir_dtype_name(ix->dtype));
  if (ops_need_real(c, dv, "dvalues") || ops_need_same(c, ix, dv, "indices", "dvalues") ||
      ops_need_rank(c, ix, 1, IR_MAX_RANK, "indices") || ops_check_target(c, t) < 0)
    return -1;
  int r = ix->shape.rank, ok = t->rank == r && t->d[r - 1] >= ix->shape.d[r - 1];
  for (int i = 0; ok && i < r - 1; i++)
    ok = t->d[i] == ix->shape.d[i];
  if (!ok)
    return ops_fail(c, "indices %s do not fit %s", ops_shape_str(&ss, 0, &ix->shape),
                    ops_shape_str(&ss, 1, t));
  *shape = *t;
  return 0;
}

/* ---- gradient --------------------------------------------------------------- */

/* The values' adjoint scattered to their columns; the indices have none. */
static int grad_topk(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  gy = ad_part_adjoint(c, n, 0);
  if (!gy)
    return 0;
  ir_node *x = n->in[0], *in[2] = {ir_part(g, n, 1), gy};
  ad_acc(c, x, ops_with_target(g, IR_TOPK_BWD, 2, in, &n->attr, &x->shape));
  return 0;
}

/* ---- builtins ---------------------------------------------------------------- */

/* argmax(x, axis): the axis moved last (the others keep their order). */
static ops_val build_argmax(ops_args *a) {
  ir_node *t;
  long long ax;
  int axis;
  if (!ops_tensor_arg(a, 0, &t) || !ops_int_arg(a, 1, &ax) || !ops_axis(a, 1, ax, t, &axis))
    return ops_err();
  int perm[IR_MAX_RANK], r = t->shape.rank;
  for (int i = 0, j = 0; i < r; i++)
    if (i != axis)
      perm[j++] = i;
  perm[r - 1] = axis;
  ir_node *x = ir_permute(a->g, t, perm);
  return ops_result(a, ir_node_new(a->g, IR_ARGMAX, 1, &x, NULL));
}

static ops_val build_one_hot(ops_args *a) {
  ir_node *t;
  long long n;
  if (!ops_tensor_arg(a, 0, &t) || !ops_int_arg(a, 1, &n))
    return ops_err();
  ir_attr at = {0};
  at.len = (long)n;
  return ops_result(a, ir_node_new(a->g, IR_ONE_HOT, 1, &t, &at));
}

static ops_val build_topk(ops_args *a) {
  ir_node *t;
  long long k;
  if (!ops_tensor_arg(a, 0, &t) || !ops_int_arg(a, 1, &k))
    return ops_err();
  ir_attr at = {0};
  at.k = k > 0 && k <= 1 << 30 ? (int)k : 0;
  ir_node *tup = ir_node_new(a->g, IR_TOPK, 1, &t, &at);
  if (!tup)
    return ops_result(a, NULL);
  ops_val v = {.kind = OPS_V_TUPLE, .n = 2};
  v.items[0] = ir_part(a->g, tup, 0);
  v.items[1] = ir_part(a->g, tup, 1);
  return v;
}

#include "ops_index.def"
