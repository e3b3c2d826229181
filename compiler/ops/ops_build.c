/*
 * ops_build.c - what builders share: their values, their messages (through
 * the translation's fail callback, at an argument or the call), the
 * conversion of arguments with the declared defaults, and the application
 * of a builtin (its fold on numbers, else its builder).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "ops.h"

ops_val ops_err(void) { return (ops_val){.kind = OPS_V_ERR}; }

ops_val ops_tensor_val(ir_node *n) {
  return n ? (ops_val){.kind = OPS_V_TENSOR, .node = n} : ops_err();
}

ops_val ops_num_val(cnum v) { return (ops_val){.kind = OPS_V_NUM, .num = v}; }

ops_val ops_report(ops_args *a, int where, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  a->fail(a->ctx, where, msg);
  return ops_err();
}

ops_val ops_result(ops_args *a, ir_node *n) {
  return n ? ops_tensor_val(n) : ops_report(a, OPS_AT_CALL, "%s", ir_error(a->g));
}

const char *ops_describe(const ops_val *v, char *buf, size_t len) {
  char sb[96];
  switch (v->kind) {
  case OPS_V_NUM:
    return "a number";
  case OPS_V_BOOL:
    return "a bool";
  case OPS_V_STR:
    return "a string";
  case OPS_V_TUPLE:
    snprintf(buf, len, "a tuple of %d", v->n);
    return buf;
  case OPS_V_TENSOR:
    snprintf(buf, len, "%s%s", v->node->dtype == IR_I32 ? "int32 " : "",
             ir_shape_str(&v->node->shape, sb, sizeof sb));
    return buf;
  default:
    return "nothing";
  }
}

/* "'x' of rmsnorm" */
static const char *param_what(const ops_args *a, int j, char *buf, size_t len) {
  snprintf(buf, len, "'%s' of %s", a->b->lang.params[j], a->b->lang.name);
  return buf;
}

bool ops_tensor_arg(ops_args *a, int j, ir_node **out) {
  const ops_val *v = &a->arg[j];
  char what[64], buf[128];
  if (v->kind == OPS_V_ERR)
    return false;
  if (v->kind != OPS_V_TENSOR) {
    ops_report(a, j, "expected a tensor for %s, got %s", param_what(a, j, what, sizeof what),
               ops_describe(v, buf, sizeof buf));
    return false;
  }
  *out = v->node;
  return true;
}

bool ops_real_arg(ops_args *a, int j, double *out) {
  const ops_val *v = &a->arg[j];
  char what[64], buf[128];
  if (v->kind == OPS_V_NONE) {
    const ops_default *d = &a->b->defaults[j];
    assert(d->kind == OPS_D_REAL || d->kind == OPS_D_INT);
    *out = cnum_to_double(d->num);
    return true;
  }
  if (v->kind == OPS_V_ERR)
    return false;
  if (v->kind != OPS_V_NUM) {
    ops_report(a, j, "expected a compile-time number for %s, got %s",
               param_what(a, j, what, sizeof what), ops_describe(v, buf, sizeof buf));
    return false;
  }
  *out = cnum_to_double(v->num);
  return true;
}

bool ops_want_int(ops_args *a, const ops_val *v, int where, const char *what, long long *out) {
  char buf[128];
  if (v->kind == OPS_V_ERR)
    return false;
  int64_t i;
  if (v->kind != OPS_V_NUM || !cnum_integral(v->num, &i)) {
    ops_report(a, where, "expected a compile-time integer for %s, got %s", what,
               ops_describe(v, buf, sizeof buf));
    return false;
  }
  *out = i;
  return true;
}

bool ops_int_arg(ops_args *a, int j, long long *out) {
  if (a->arg[j].kind == OPS_V_NONE) {
    const ops_default *d = &a->b->defaults[j];
    assert(d->kind == OPS_D_INT && d->num.is_int);
    *out = d->num.i;
    return true;
  }
  char what[64];
  return ops_want_int(a, &a->arg[j], j, param_what(a, j, what, sizeof what), out);
}

ir_node *ops_node(ops_args *a, const ops_val *v) {
  switch (v->kind) {
  case OPS_V_TENSOR:
    return v->node;
  case OPS_V_NUM:
    return ir_const(a->g, cnum_to_double(v->num));
  case OPS_V_BOOL:
    return ir_const(a->g, v->b ? 1 : 0);
  default:
    return NULL;
  }
}

bool ops_axis(ops_args *a, int where, long long ax, const ir_node *t, int *out) {
  int r = t->shape.rank;
  if (ax < -r || ax >= r) {
    char sb[96];
    ops_report(a, where, "axis %lld is out of range for %s", ax,
               ir_shape_str(&t->shape, sb, sizeof sb));
    return false;
  }
  *out = (int)(ax < 0 ? ax + r : ax);
  return true;
}

bool ops_need_rank_arg(ops_args *a, const ir_node *t, int lo) {
  if (t->shape.rank >= lo)
    return true;
  char sb[96];
  ops_report(a, OPS_AT_CALL, "%s needs a tensor of rank %d or more, got %s", a->b->lang.name, lo,
             ir_shape_str(&t->shape, sb, sizeof sb));
  return false;
}

ops_val ops_apply(ops_args *a) {
  const op_builtin *b = a->b;
  int n = cnum_fn_arity(b->fold);
  if (b->fold != CNUM_FN_NONE && a->arg[0].kind == OPS_V_NUM &&
      (n == 1 || a->arg[1].kind == OPS_V_NUM)) {
    cnum args[2] = {a->arg[0].num, a->arg[n - 1].num}, v;
    char err[160];
    if (!cnum_call(b->fold, args, &v, err, sizeof err))
      return ops_report(a, OPS_AT_CALL, "%s", err);
    return ops_num_val(v);
  }
  if (!b->build)
    return ops_report(a, OPS_AT_CALL, "'%s' is not a tensor function", b->lang.name);
  return a->b->build(a);
}
