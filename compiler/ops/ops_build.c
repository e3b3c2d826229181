/*
 * ops_build.c - what builders share: their values, their messages (through
 * the translation's fail callback, at an argument or the call), the
 * conversion of arguments with the declared defaults, and the application
 * of a builtin (its fold on numbers, else its builder).
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "ops.h"

ops_val ops_err(void) { return (ops_val){.kind = OPS_V_ERR}; }

ops_val ops_tensor_val(ir_node *n) {
  return n ? (ops_val){.kind = OPS_V_TENSOR, .node = n} : ops_err();
}

ops_val ops_num_val(double v, bool is_int) {
  return (ops_val){.kind = OPS_V_NUM, .num = v, .is_int = is_int};
}

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
    *out = d->num;
    return true;
  }
  if (v->kind == OPS_V_ERR)
    return false;
  if (v->kind != OPS_V_NUM) {
    ops_report(a, j, "expected a compile-time number for %s, got %s",
               param_what(a, j, what, sizeof what), ops_describe(v, buf, sizeof buf));
    return false;
  }
  *out = v->num;
  return true;
}

bool ops_want_int(ops_args *a, const ops_val *v, int where, const char *what, long long *out) {
  char buf[128];
  if (v->kind == OPS_V_ERR)
    return false;
  if (v->kind != OPS_V_NUM || v->num != floor(v->num) || fabs(v->num) > 9e15) {
    ops_report(a, where, "expected a compile-time integer for %s, got %s", what,
               ops_describe(v, buf, sizeof buf));
    return false;
  }
  *out = (long long)v->num;
  return true;
}

bool ops_int_arg(ops_args *a, int j, long long *out) {
  if (a->arg[j].kind == OPS_V_NONE) {
    const ops_default *d = &a->b->defaults[j];
    assert(d->kind == OPS_D_INT);
    *out = (long long)d->num;
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
    return ir_const(a->g, v->num);
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

/* ---- folds ------------------------------------------------------------------- */

ops_val ops_fold_apply(ops_fold f, const ops_val *x, const ops_val *y) {
  double v = x->num;
  switch (f) {
  case OPS_FOLD_SQRT:
    return ops_num_val(sqrt(v), false);
  case OPS_FOLD_EXP:
    return ops_num_val(exp(v), false);
  case OPS_FOLD_LOG:
    return ops_num_val(log(v), false);
  case OPS_FOLD_ABS:
    return ops_num_val(fabs(v), false);
  case OPS_FOLD_RSQRT:
    return ops_num_val(1 / sqrt(v), false);
  case OPS_FOLD_TANH:
    return ops_num_val(tanh(v), false);
  case OPS_FOLD_SIGMOID:
    return ops_num_val(1 / (1 + exp(-v)), false);
  case OPS_FOLD_SIGN:
    return ops_num_val((v > 0) - (v < 0), false);
  case OPS_FOLD_RELU:
    return ops_num_val(v > 0 ? v : 0, false);
  case OPS_FOLD_SQUARE:
    return ops_num_val(v * v, false);
  case OPS_FOLD_MIN:
  case OPS_FOLD_MAX: {
    double r = f == OPS_FOLD_MIN ? (v < y->num ? v : y->num) : (v > y->num ? v : y->num);
    return ops_num_val(r, x->is_int && y->is_int && fabs(r) <= 9e15);
  }
  case OPS_FOLD_FLOOR:
    return ops_num_val(floor(v), true);
  case OPS_FOLD_CEIL:
    return ops_num_val(ceil(v), true);
  case OPS_FOLD_NONE:
    break;
  }
  return ops_err();
}

ops_val ops_apply(ops_args *a) {
  const op_builtin *b = a->b;
  bool binary = b->fold == OPS_FOLD_MIN || b->fold == OPS_FOLD_MAX;
  if (b->fold != OPS_FOLD_NONE && a->arg[0].kind == OPS_V_NUM &&
      (!binary || a->arg[1].kind == OPS_V_NUM))
    return ops_fold_apply(b->fold, &a->arg[0], &a->arg[1]);
  if (!b->build)
    return ops_report(a, OPS_AT_CALL, "'%s' is not a tensor function", b->lang.name);
  return a->b->build(a);
}
