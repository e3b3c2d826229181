/*
 * ops_shape.c - rules of the shape operations (any dtype: index tensors
 * are sliced and reshaped too), their gradients, and the builders of the
 * shape builtins.
 */
#include "ops_family.h"

/* ---- shape rules --------------------------------------------------------- */

static int infer_reshape(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                         ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  *dtype = x->dtype;
  if (ops_check_target(c, &a->target) < 0)
    return -1;
  if (ir_numel(&a->target) != ir_numel(&x->shape))
    return ops_fail(c, "element counts differ: %s to %s", ops_shape_str(&ss, 0, &x->shape),
                    ops_shape_str(&ss, 1, &a->target));
  *shape = a->target;
  return 0;
}

static int infer_permute(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                         ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  *dtype = x->dtype;
  unsigned seen = 0;
  shape->rank = x->shape.rank;
  for (int i = 0; i < x->shape.rank; i++) {
    int p = a->perm[i];
    if (p < 0 || p >= x->shape.rank || (seen >> p & 1))
      return ops_fail(c, "not a permutation of the axes of %s", ops_shape_str(&ss, 0, &x->shape));
    seen |= 1u << p;
    shape->d[i] = x->shape.d[p];
  }
  return 0;
}

static int infer_broadcast_to(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                              ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  *dtype = x->dtype;
  ir_shape r;
  if (ops_check_target(c, &a->target) < 0)
    return -1;
  if (ops_broadcast2(&x->shape, &a->target, &r) < 0 || !ir_shape_eq(&r, &a->target))
    return ops_fail(c, "cannot broadcast %s to %s", ops_shape_str(&ss, 0, &x->shape),
                    ops_shape_str(&ss, 1, &a->target));
  *shape = a->target;
  return 0;
}

static int infer_slice(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                       ir_dtype *dtype) {
  (void)nin;
  ops_shape_strs ss;
  const ir_node *x = in[0];
  *dtype = x->dtype;
  if (a->axis < 0 || a->axis >= x->shape.rank)
    return ops_fail(c, "axis %d out of range for %s", a->axis, ops_shape_str(&ss, 0, &x->shape));
  if (a->start < 0 || a->len < 1 || a->start + a->len > x->shape.d[a->axis])
    return ops_fail(c, "range [%ld, %ld) out of bounds for axis %d of %s", a->start,
                    a->start + a->len, a->axis, ops_shape_str(&ss, 0, &x->shape));
  *shape = x->shape;
  shape->d[a->axis] = a->len;
  return 0;
}

static int infer_concat(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                        ir_shape *shape, ir_dtype *dtype) {
  ops_shape_strs ss;
  const ir_node *x = in[0];
  *dtype = x->dtype;
  if (a->axis < 0 || a->axis >= x->shape.rank)
    return ops_fail(c, "axis %d out of range for %s", a->axis, ops_shape_str(&ss, 0, &x->shape));
  *shape = x->shape;
  for (int i = 1; i < nin; i++) {
    const ir_shape *s = &in[i]->shape;
    int ok = s->rank == x->shape.rank && in[i]->dtype == x->dtype;
    for (int j = 0; ok && j < s->rank; j++)
      ok = j == a->axis || s->d[j] == x->shape.d[j];
    if (!ok)
      return ops_fail(c, "pieces differ off axis %d: %s and %s", a->axis,
                      ops_shape_str(&ss, 0, &x->shape), ops_shape_str(&ss, 1, s));
    shape->d[a->axis] += s->d[a->axis];
  }
  return 0;
}

static void dump_permute(FILE *out, const ir_program *p, const ir_node *n) {
  (void)p;
  fputs(" perm=(", out);
  for (int i = 0; i < n->shape.rank; i++)
    fprintf(out, i ? ",%d" : "%d", n->attr.perm[i]);
  fputc(')', out);
}

/* ---- gradients ------------------------------------------------------------- */

static int grad_reshape(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_node *x = n->in[0];
  ad_acc(c, x, ir_reshape(ad_graph(c), gy, x->shape.rank, x->shape.d));
  return 0;
}

static int grad_permute(ad_ctx *c, ir_node *n, ir_node *gy) {
  int inv[IR_MAX_RANK];
  for (int i = 0; i < n->shape.rank; i++)
    inv[n->attr.perm[i]] = i;
  ad_acc(c, n->in[0], ir_permute(ad_graph(c), gy, inv));
  return 0;
}

static int grad_broadcast(ad_ctx *c, ir_node *n, ir_node *gy) {
  ad_acc_unbroadcast(c, n->in[0], gy);
  return 0;
}

/* zeros before and after the slice */
static int grad_slice(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *x = n->in[0], *pieces[3];
  const ir_attr *a = &n->attr;
  int np = 0;
  long before = a->start, after = x->shape.d[a->axis] - a->start - a->len;
  ir_shape z = x->shape;
  if (before > 0) {
    z.d[a->axis] = before;
    pieces[np++] = ir_broadcast_to(g, ir_const(g, 0), z.rank, z.d);
  }
  pieces[np++] = gy;
  if (after > 0) {
    z.d[a->axis] = after;
    pieces[np++] = ir_broadcast_to(g, ir_const(g, 0), z.rank, z.d);
  }
  ad_acc(c, x, ir_concat(g, np, pieces, a->axis));
  return 0;
}

static int grad_concat(ad_ctx *c, ir_node *n, ir_node *gy) {
  long off = 0;
  for (int i = 0; i < n->nin; i++) {
    long len = n->in[i]->shape.d[n->attr.axis];
    if (ad_active(c, n->in[i]))
      ad_acc(c, n->in[i], ir_slice(ad_graph(c), gy, n->attr.axis, off, len));
    off += len;
  }
  return 0;
}

/* ---- builtins ---------------------------------------------------------------- */

static ops_val build_dim(ops_args *a) {
  ir_node *t;
  long long ax;
  int i;
  if (!ops_tensor_arg(a, 0, &t) || !ops_int_arg(a, 1, &ax) || !ops_axis(a, 1, ax, t, &i))
    return ops_err();
  return ops_num_val(cnum_int(t->shape.d[i]));
}

static ops_val build_permute(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  char sb[96];
  if (a->nextra != t->shape.rank)
    return ops_report(a, OPS_AT_CALL, "permute of %s needs %d axes, got %d",
                      ir_shape_str(&t->shape, sb, sizeof sb), t->shape.rank, a->nextra);
  int perm[IR_MAX_RANK];
  int where = a->b->lang.nparams;
  for (int i = 0; i < a->nextra; i++) {
    long long ax;
    if (!ops_want_int(a, &a->extra[i], where + i, "an axis of permute", &ax) ||
        !ops_axis(a, where + i, ax, t, &perm[i]))
      return ops_err();
  }
  return ops_result(a, ir_permute(a->g, t, perm));
}

/* reshape(x, d0, d1, ...): at most one dimension may be -1 (inferred). */
static ops_val build_reshape(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  if (a->nextra > IR_MAX_RANK)
    return ops_report(a, OPS_AT_CALL, "reshape to more than %d dimensions", IR_MAX_RANK);
  long d[IR_MAX_RANK], known = 1;
  int infer = -1, where = a->b->lang.nparams;
  for (int i = 0; i < a->nextra; i++) {
    long long v;
    if (!ops_want_int(a, &a->extra[i], where + i, "a dimension of reshape", &v))
      return ops_err();
    if (v == -1 && infer < 0) {
      infer = i;
      d[i] = 1;
    } else if (v < 1) {
      return ops_report(a, where + i, "dimension %lld of reshape is not positive", v);
    } else {
      d[i] = (long)v;
      known *= d[i];
    }
  }
  if (infer >= 0 && ir_numel(&t->shape) % known == 0)
    d[infer] = ir_numel(&t->shape) / known;
  return ops_result(a, ir_reshape(a->g, t, a->nextra, d));
}

static ops_val build_reshape_as(ops_args *a) {
  ir_node *t, *like;
  if (!ops_tensor_arg(a, 0, &t) || !ops_tensor_arg(a, 1, &like))
    return ops_err();
  return ops_result(a, ir_reshape(a->g, t, like->shape.rank, like->shape.d));
}

static ops_val build_flatten(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  if (t->shape.rank <= 2)
    return ops_tensor_val(t);
  long d[2] = {t->shape.d[0], ir_numel(&t->shape) / t->shape.d[0]};
  return ops_result(a, ir_reshape(a->g, t, 2, d));
}

static ops_val build_split_heads(ops_args *a) {
  ir_node *t;
  long long h;
  if (!ops_tensor_arg(a, 0, &t) || !ops_int_arg(a, 1, &h) || !ops_need_rank_arg(a, t, 2))
    return ops_err();
  int r = t->shape.rank;
  char sb[96];
  if (h < 1 || t->shape.d[r - 1] % h || r + 1 > IR_MAX_RANK)
    return ops_report(a, OPS_AT_CALL, "cannot split %s into %lld heads",
                      ir_shape_str(&t->shape, sb, sizeof sb), h);
  long d[IR_MAX_RANK];
  int perm[IR_MAX_RANK];
  for (int i = 0; i < r - 1; i++)
    d[i] = t->shape.d[i];
  d[r - 1] = (long)h;
  d[r] = t->shape.d[r - 1] / (long)h;
  for (int i = 0; i <= r; i++)
    perm[i] = i;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return ops_result(a, ir_permute(a->g, ir_reshape(a->g, t, r + 1, d), perm));
}

static ops_val build_merge_heads(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t) || !ops_need_rank_arg(a, t, 3))
    return ops_err();
  int r = t->shape.rank, perm[IR_MAX_RANK];
  for (int i = 0; i < r; i++)
    perm[i] = i;
  perm[r - 3] = r - 2;
  perm[r - 2] = r - 3;
  ir_node *p = ir_permute(a->g, t, perm);
  long d[IR_MAX_RANK];
  for (int i = 0; i < r - 2; i++)
    d[i] = t->shape.d[i == r - 3 ? r - 2 : i];
  d[r - 2] = t->shape.d[r - 3] * t->shape.d[r - 1];
  return ops_result(a, ir_reshape(a->g, p, r - 1, d));
}

#include "ops_shape.def"
