/*
 * ir_verify.c - structural checks of an entry-point graph: topological order,
 * ownership of operands, placement of tuple parts, and agreement of every
 * node's stored shape and dtype with shape inference, and the nesting of
 * guarded regions.
 */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>

static int owned(const ir_graph *g, const ir_node *n, int before) {
  return n && n->id >= 0 && n->id < before && g->nodes[n->id] == n;
}

static int bad(ir_graph *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->err, IR_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

/* Whether operand j of n may read x (ir.h, guarded regions): x is in n's
 * region or one around it, or n merges x's region. */
static int visible(const ir_graph *g, const ir_node *n, int j, const ir_node *x) {
  if (ir_region_within(g, n->region, x->region))
    return 1;
  const ir_region *r = ir_region_of(g, x->region);
  return n->op == IR_SELECT && j == 1 + r->negate && n->in[0] == r->cond &&
         ir_region_within(g, n->region, r->parent);
}

static int check_node(ir_graph *g, int i) {
  ir_node *n = g->nodes[i];
  if (n->id != i)
    return bad(g, "node %%%d: stored position %d", i, n->id);
  if (n->region < 0 || n->region > g->nregions ||
      (n->region &&
       (ir_op_kind(n->op) == IR_K_LEAF || !owned(g, ir_region_of(g, n->region)->cond, i))))
    return bad(g, "node %%%d (%s): region %d is not a region around it", i, ir_op_name(n->op),
               n->region);
  for (int j = 0; j < n->nin; j++) {
    if (!owned(g, n->in[j], i))
      return bad(g, "node %%%d (%s): operand %d does not precede it in '%s'", i, ir_op_name(n->op),
                 j, g->name);
    if (!visible(g, n, j, n->in[j]))
      return bad(g, "node %%%d (%s): operand %d is inside region %d, which it does not merge", i,
                 ir_op_name(n->op), j, n->in[j]->region);
  }
  for (int j = 0; j < ir_op_nparts(n->op); j++) {
    const ir_node *p = i + 1 + j < g->nnodes ? g->nodes[i + 1 + j] : NULL;
    if (!p || p->op != IR_PART || p->in[0] != n || p->attr.index != j)
      return bad(g, "node %%%d (%s): part %d does not follow it", i, ir_op_name(n->op), j);
  }
  ir_shape s;
  ir_dtype t;
  char msg[IR_ERR_LEN / 2];
  if (ir_infer(g->prog, n->op, n->nin, n->in, &n->attr, &s, &t, msg, sizeof msg) < 0)
    return bad(g, "node %%%d: %s", i, msg);
  if (!ir_shape_eq(&s, &n->shape) || t != n->dtype) {
    char a[96], b[96];
    return bad(g, "node %%%d (%s): stored %s %s, inferred %s %s", i, ir_op_name(n->op),
               ir_dtype_name(n->dtype), ir_shape_str(&n->shape, a, sizeof a), ir_dtype_name(t),
               ir_shape_str(&s, b, sizeof b));
  }
  return 0;
}

int ir_verify(ir_graph *g) {
  for (int i = 0; i < g->nnodes; i++)
    if (check_node(g, i) < 0)
      return -1;
  for (int i = 0; i < g->noutputs; i++)
    if (!owned(g, g->outputs[i].node, g->nnodes) || g->outputs[i].node->shape.rank != 0 ||
        g->outputs[i].node->region)
      return bad(g, "output '%s' is not a scalar of '%s'", g->outputs[i].name, g->name);
  for (int i = 0; i < g->nassigns; i++) {
    const ir_assign *a = &g->assigns[i];
    if (!owned(g, a->node, g->nnodes) || a->node->region ||
        !ir_shape_eq(&a->node->shape, &g->prog->tensors[a->tensor].shape))
      return bad(g, "assignment to '%s' does not match in '%s'", g->prog->tensors[a->tensor].name,
                 g->name);
  }
  return 0;
}
