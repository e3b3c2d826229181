/*
 * ops_norm.c - rules of rmsnorm and layernorm and of their backward
 * kernels, their gradients, and the builders of the normalization
 * builtins (the row and column ones are compositions).
 */
#include "ops_family.h"

/* ---- shape rules --------------------------------------------------------- */

static int infer_norm(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  (void)a;
  (void)shape;
  *dtype = IR_VOID;
  return ops_need_real(c, in[0], "operand") || ops_need_rank(c, in[0], 1, IR_MAX_RANK, "operand")
             ? -1
             : 0;
}

/* part 0 the normalized x, the others one statistic per row */
static int part_norm(ops_infer *c, const ir_node *t, int i, ir_shape *shape, ir_dtype *dtype) {
  (void)c;
  (void)dtype;
  *shape = t->in[0]->shape;
  if (i > 0)
    shape->rank--;
  return 0;
}

/* (x, statistics.., dy) -> dx */
static int infer_norm_bwd(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                          ir_shape *shape, ir_dtype *dtype) {
  (void)a;
  (void)dtype;
  ops_shape_strs ss;
  const ir_node *x = in[0], *dy = in[nin - 1];
  if (ops_need_real(c, x, "x") || ops_need_same(c, x, dy, "x", "dy"))
    return -1;
  ir_shape rows = ir_shape_of(x->shape.rank - 1, x->shape.d);
  for (int i = 1; i < nin - 1; i++)
    if (!ir_shape_eq(&in[i]->shape, &rows))
      return ops_fail(c, "statistics %s do not match rows %s", ops_shape_str(&ss, 0, &in[i]->shape),
                      ops_shape_str(&ss, 1, &rows));
  *shape = x->shape;
  return 0;
}

/* ---- gradients ------------------------------------------------------------- */

/* The normalized value's adjoint; the statistics must have none. */
static int value_adjoint(ad_ctx *c, ir_node *n, ir_node **gy) {
  for (int i = 1; i < ir_op_nparts(n->op); i++)
    if (ad_part_adjoint(c, n, i))
      return ad_no_gradient(c, n, " (auxiliary output)");
  *gy = ad_part_adjoint(c, n, 0);
  return 0;
}

static int grad_rmsnorm(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  if (value_adjoint(c, n, &gy) < 0)
    return -1;
  ir_node *in[3] = {n->in[0], ir_part(g, n, 1), gy};
  ad_acc(c, n->in[0], ir_node_new(g, IR_RMSNORM_BWD, 3, in, NULL));
  return 0;
}

static int grad_layernorm(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  if (value_adjoint(c, n, &gy) < 0)
    return -1;
  ir_node *in[4] = {n->in[0], ir_part(g, n, 1), ir_part(g, n, 2), gy};
  ad_acc(c, n->in[0], ir_node_new(g, IR_LAYERNORM_BWD, 4, in, NULL));
  return 0;
}

/* ---- builtins ---------------------------------------------------------------- */

/* The mean square over `axis` (-1: along rows, -2: along columns), kept. */
static ir_node *mean_square(ir_graph *g, ir_node *t, int axis) {
  return ir_mean(g, ir_square(g, t), 1, &axis, 1);
}

/* rms_rows: [.., m, n] -> [.., m, 1]; rms_cols: -> [.., 1, n] (the reduced
 * axis kept, as for every reduction over one axis). */
static ops_val rms_lines(ops_args *a, int axis) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t) || !ops_need_rank_arg(a, t, -axis))
    return ops_err();
  return ops_result(a, ir_sqrt(a->g, mean_square(a->g, t, axis)));
}

static ops_val build_rms_rows(ops_args *a) { return rms_lines(a, -1); }
static ops_val build_rms_cols(ops_args *a) { return rms_lines(a, -2); }

/* Each row (column) divided by its RMS; a zero row stays zero. */
static ops_val normalize_lines(ops_args *a, int axis) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t) || !ops_need_rank_arg(a, t, -axis))
    return ops_err();
  ir_graph *g = a->g;
  ir_node *ms = mean_square(g, t, axis);
  ir_node *zero = ir_const(g, 0);
  ir_node *inv = ir_select(g, ir_binary(g, IR_GT, ms, zero), ir_rsqrt(g, ms), zero);
  return ops_result(a, ir_mul(g, t, inv));
}

static ops_val build_normalize_rows(ops_args *a) { return normalize_lines(a, -1); }
static ops_val build_normalize_cols(ops_args *a) { return normalize_lines(a, -2); }

static ops_val build_center_rows(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t) || !ops_need_rank_arg(a, t, 2))
    return ops_err();
  int ax = -2;
  return ops_result(a, ir_sub(a->g, t, ir_mean(a->g, t, 1, &ax, 1)));
}

/* rmsnorm(x, eps), layernorm(x, eps) */
static ops_val build_norm(ops_args *a) {
  ir_node *t;
  double eps;
  if (!ops_tensor_arg(a, 0, &t) || !ops_real_arg(a, 1, &eps))
    return ops_err();
  return ops_result(a,
                    a->b->op == IR_RMSNORM ? ir_rmsnorm(a->g, t, eps) : ir_layernorm(a->g, t, eps));
}

#include "ops_norm.def"
