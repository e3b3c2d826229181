/*
 * ir_ops.c - shapes, dtypes, and the operation table of the IR read from
 * the operation registry (compiler/ops): names, kinds, tuple parts, and
 * ir_infer(), which checks what every operation shares (arity, no tuple
 * operands) and applies the operation's shape rule. The builder and the
 * verifier both call it, so a node's stored shape is always the inferred one.
 */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

const char *ir_op_name(ir_op op) { return ops_def(op)->name; }
ir_kind ir_op_kind(ir_op op) { return ops_def(op)->kind; }
int ir_op_nparts(ir_op op) { return ops_def(op)->nparts; }

int ir_is_elementwise(ir_op op) {
  ir_kind k = ops_def(op)->kind;
  return k == IR_K_UNARY || k == IR_K_BINARY || k == IR_K_SELECT;
}

const char *ir_dtype_name(ir_dtype t) {
  static const char *names[] = {"f32", "f64", "i32", "void"};
  return names[t];
}

size_t ir_dtype_size(ir_dtype t) {
  static const size_t sizes[] = {4, 8, 4, 0};
  return sizes[t];
}

long ir_numel(const ir_shape *s) {
  long n = 1;
  for (int i = 0; i < s->rank; i++)
    n *= s->d[i];
  return n;
}

int ir_shape_eq(const ir_shape *a, const ir_shape *b) {
  if (a->rank != b->rank)
    return 0;
  for (int i = 0; i < a->rank; i++)
    if (a->d[i] != b->d[i])
      return 0;
  return 1;
}

ir_shape ir_shape_of(int rank, const long *d) {
  ir_shape s = {0};
  s.rank = rank;
  for (int i = 0; i < rank; i++)
    s.d[i] = d[i];
  return s;
}

const char *ir_shape_str(const ir_shape *s, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < s->rank && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, i ? ", %ld" : "%ld", s->d[i]);
  if (n < len)
    snprintf(buf + n, len - n, "]");
  return buf;
}

int ir_infer(const ir_program *p, ir_op op, int nin, ir_node *const *in, const ir_attr *a,
             ir_shape *shape, ir_dtype *dtype, char *err, size_t errlen) {
  if (op < 0 || op >= IR_NUM_OPS) {
    snprintf(err, errlen, "unknown operation %d", (int)op);
    return -1;
  }
  ops_infer c = {p, ops_def(op), err, errlen};
  if (c.def->arity >= 0 ? nin != c.def->arity : nin < 1)
    return ops_fail(&c, "expects %d operands, got %d", c.def->arity, nin);
  *dtype = p->real;
  *shape = (ir_shape){0};
  for (int i = 0; i < nin && op != IR_PART; i++)
    if (in[i]->dtype == IR_VOID)
      return ops_fail(&c, "operand %d has several outputs (%s); use one of its parts", i,
                      ir_op_name(in[i]->op));
  return c.def->infer(&c, nin, in, a, shape, dtype);
}
