/*
 * ops_graph.c - rules of the graph's leaves and of tuple parts (whose shape
 * the tuple's own part rule gives), and the builtin `fail`.
 */
#include "ops_family.h"

static int infer_leaf(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  (void)in;
  const ir_program *p = c->prog;
  switch (c->def->op) {
  case IR_TENSOR:
    if (a->index < 0 || a->index >= p->ntensors)
      return ops_fail(c, "no declaration %d", a->index);
    *shape = p->tensors[a->index].shape;
    return 0;
  case IR_INPUT:
    if (a->index < 0 || a->index >= p->ninputs)
      return ops_fail(c, "no declaration %d", a->index);
    *shape = p->inputs[a->index].shape;
    *dtype = p->inputs[a->index].dtype;
    return 0;
  case IR_SCALAR:
    if (a->index < 0 || a->index >= p->nscalars)
      return ops_fail(c, "no scalar input %d", a->index);
    return 0;
  default: /* IR_CONST */
    return 0;
  }
}

static void dump_leaf(FILE *out, const ir_program *p, const ir_node *n) {
  const ir_attr *a = &n->attr;
  switch (n->op) {
  case IR_CONST:
    fprintf(out, " %.9g", a->value);
    return;
  case IR_SCALAR:
    fprintf(out, " %s", p->scalars[a->index]);
    return;
  case IR_TENSOR:
    fprintf(out, " %s", p->tensors[a->index].name);
    return;
  default:
    fprintf(out, " %s", p->inputs[a->index].name);
    return;
  }
}

/* Part a->index of the tuple in[0], by the tuple's part rule. */
static int infer_part(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  const op_def *t = ops_def(in[0]->op);
  if (t->kind != IR_K_TUPLE || a->index < 0 || a->index >= t->nparts)
    return ops_fail(c, "no output %d of %s", a->index, t->name);
  return t->part(c, in[0], a->index, shape, dtype);
}

static void dump_part(FILE *out, const ir_program *p, const ir_node *n) {
  (void)p;
  fprintf(out, " %d", n->attr.index);
}

static ops_val build_fail(ops_args *a) {
  char buf[96];
  if (a->arg[0].kind != OPS_V_STR)
    return ops_report(a, 0, "the message of fail must be a string, got %s",
                      ops_describe(&a->arg[0], buf, sizeof buf));
  return ops_report(a, OPS_AT_CALL, "%s", a->arg[0].s);
}

#include "ops_graph.def"
