/*
 * ops_infer.c - what the shape rules of the families share: messages that
 * name the operation and the shapes, the checks of dtype, rank and equal
 * shapes, and numpy broadcasting.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ops.h"

int ops_fail(ops_infer *c, const char *fmt, ...) {
  int n = snprintf(c->err, c->errlen, "%s: ", c->def->name);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < c->errlen)
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

const char *ops_shape_str(ops_shape_strs *ss, int i, const ir_shape *s) {
  return ir_shape_str(s, ss->s[i], sizeof ss->s[i]);
}

int ops_need_real(ops_infer *c, const ir_node *x, const char *what) {
  ops_shape_strs ss;
  if (x->dtype != c->prog->real)
    return ops_fail(c, "%s must be a %s tensor, got %s %s", what, ir_dtype_name(c->prog->real),
                    ir_dtype_name(x->dtype), ops_shape_str(&ss, 0, &x->shape));
  return 0;
}

int ops_need_rank(ops_infer *c, const ir_node *x, int lo, int hi, const char *what) {
  ops_shape_strs ss;
  if (x->shape.rank < lo || x->shape.rank > hi) {
    if (lo == hi)
      return ops_fail(c, "%s must have rank %d, got %s", what, lo,
                      ops_shape_str(&ss, 0, &x->shape));
    return ops_fail(c, "%s must have rank %d..%d, got %s", what, lo, hi,
                    ops_shape_str(&ss, 0, &x->shape));
  }
  return 0;
}

int ops_need_same(ops_infer *c, const ir_node *a, const ir_node *b, const char *an,
                  const char *bn) {
  ops_shape_strs ss;
  if (!ir_shape_eq(&a->shape, &b->shape))
    return ops_fail(c, "%s and %s shapes differ: %s vs %s", an, bn,
                    ops_shape_str(&ss, 0, &a->shape), ops_shape_str(&ss, 1, &b->shape));
  return 0;
}

int ops_check_target(ops_infer *c, const ir_shape *t) {
  if (t->rank < 0 || t->rank > IR_MAX_RANK)
    return ops_fail(c, "rank %d exceeds the maximum %d", t->rank, IR_MAX_RANK);
  for (int i = 0; i < t->rank; i++)
    if (t->d[i] < 1)
      return ops_fail(c, "dimension %d is %ld (must be >= 1)", i, t->d[i]);
  return 0;
}

int ops_broadcast2(const ir_shape *a, const ir_shape *b, ir_shape *out) {
  int r = a->rank > b->rank ? a->rank : b->rank;
  out->rank = r;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    long da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return -1;
    out->d[i] = da > db ? da : db;
  }
  return 0;
}

int ops_infer_same(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                   ir_dtype *dtype) {
  (void)nin;
  (void)a;
  (void)dtype;
  if (ops_need_real(c, in[0], "operand"))
    return -1;
  *shape = in[0]->shape;
  return 0;
}
