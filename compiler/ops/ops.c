/*
 * ops.c - the index of the operation registry: the declaration of every
 * ir_op and the list of builtins, gathered from the families' .def files,
 * and what several families' rules share.
 */
#include <string.h>

#include "ops.h"

/* One global op_def per operation and op_builtin per builtin, defined by
 * the family .c files (ops_family.h). */
#define OPS_OP(id, ...)      extern const op_def ops_def_##id;
#define OPS_BUILTIN(nm, ...) extern const op_builtin ops_builtin_##nm;
#include "ops_all.def"
#undef OPS_OP
#undef OPS_BUILTIN

static const op_def *const DEFS[IR_NUM_OPS] = {
#define OPS_OP(id, ...) [IR_##id] = &ops_def_##id,
#define OPS_BUILTIN(...)
#include "ops_all.def"
#undef OPS_OP
#undef OPS_BUILTIN
};

static const op_builtin *const BUILTINS[] = {
#define OPS_OP(...)
#define OPS_BUILTIN(nm, ...) &ops_builtin_##nm,
#include "ops_all.def"
#undef OPS_OP
#undef OPS_BUILTIN
};

enum { NBUILTINS = sizeof BUILTINS / sizeof BUILTINS[0] };

const op_def *ops_def(ir_op op) { return DEFS[op]; }

int ops_builtin_count(void) { return NBUILTINS; }

const op_builtin *ops_builtin_at(int i) { return BUILTINS[i]; }

const op_builtin *ops_builtin_find(const char *name) {
  for (int i = 0; i < NBUILTINS; i++)
    if (strcmp(BUILTINS[i]->lang.name, name) == 0)
      return BUILTINS[i];
  return NULL;
}

double ops_attr_value(const ir_attr *a, ops_field f) {
  switch (f) {
  case OPS_F_VALUE:
    return a->value;
  case OPS_F_VALUE2:
    return a->value2;
  case OPS_F_INDEX:
    return a->index;
  case OPS_F_AXIS:
    return a->axis;
  case OPS_F_START:
    return (double)a->start;
  case OPS_F_LEN:
    return (double)a->len;
  case OPS_F_K:
    return a->k;
  case OPS_F_STRIDE:
    return a->stride;
  case OPS_F_PAD:
    return a->pad;
  case OPS_F_STEPS:
    return a->steps;
  case OPS_F_SCHEDULE:
    return a->schedule;
  case OPS_F_PRECISION:
    return a->precision;
  case OPS_F_FLAG_A:
    return a->trans_a;
  case OPS_F_FLAG_B:
    return a->trans_b;
  case OPS_F_NONE:
    break;
  }
  return 0;
}

int ops_grad_zero(ad_ctx *c, ir_node *n, ir_node *gy) {
  (void)c;
  (void)n;
  (void)gy;
  return 0;
}

ir_node *ops_with_target(ir_graph *g, ir_op op, int nin, ir_node *const *in, const ir_attr *base,
                         const ir_shape *target) {
  ir_attr a = *base;
  a.target = *target;
  return ir_node_new(g, op, nin, in, &a);
}
