/*
 * lower_fuse.c - the fusion schedule: which elementwise nodes are computed
 * inside their consumers' loops instead of being stored, from use counts,
 * whether every consumer can absorb the node, and the node's inline cost;
 * and which stored ones wait to be stored by a consumer's loop.
 */
#include "lower_int.h"

#include "ops.h"

#include <stdlib.h>

/* Whether consumer u can compute its operand n inside its own loop: an
 * elementwise operation over as many elements (no recomputation under
 * broadcasting) or a reduction (its loop runs over n's elements). */
static int absorbs(const ir_node *u, const ir_node *n) {
  if (ir_op_kind(u->op) == IR_K_REDUCE)
    return 1;
  return ir_is_elementwise(u->op) && ir_numel(&u->shape) == ir_numel(&n->shape);
}

void lower_count_uses(lower_ctx *c, unsigned char *needed) {
  const ir_graph *g = c->g;
  for (int i = 0; i < g->noutputs; i++)
    needed[g->outputs[i].node->id] = 1;
  for (int i = 0; i < g->nassigns; i++)
    needed[g->assigns[i].node->id] = 1;
  unsigned char *cond = calloc((size_t)g->nnodes + 1, 1);
  if (!cond)
    abort();
  for (int i = g->nnodes - 1; i >= 0; i--)
    if (needed[i]) {
      for (int j = 0; j < g->nodes[i]->nin; j++)
        needed[g->nodes[i]->in[j]->id] = 1;
      for (int r = g->nodes[i]->region; r; r = ir_region_of(g, r)->parent)
        needed[ir_region_of(g, r)->cond->id] = cond[ir_region_of(g, r)->cond->id] = 1;
    }
  for (int i = 0; i < g->nnodes; i++) {
    c->user[i] = -1;
    c->absorbable[i] = 1;
  }
  for (int i = 0; i < g->nnodes; i++)
    if (needed[i])
      for (int j = 0; j < g->nodes[i]->nin; j++) {
        const ir_node *u = g->nodes[i], *x = u->in[j];
        c->user[x->id] = c->uses[x->id]++ ? -1 : i;
        c->absorbable[x->id] &= absorbs(u, x);
        c->deferrable[x->id] |= ir_is_elementwise(u->op) && u->region == x->region &&
                                ir_numel(&u->shape) == ir_numel(&x->shape) && !cond[x->id];
      }
  for (int i = 0; i < g->noutputs; i++) {
    c->uses[g->outputs[i].node->id] += 2;
    c->absorbable[g->outputs[i].node->id] = 0;
  }
  for (int i = 0; i < g->nassigns; i++) {
    c->uses[g->assigns[i].node->id] += 2;
    c->absorbable[g->assigns[i].node->id] = 0;
  }
  for (int i = 0; i < g->nnodes; i++)
    if (cond[i]) {
      c->uses[i] += 2;
      c->absorbable[i] = 0;
    }
  free(cond);
}

/* The most an elementwise node with several consumers may cost (the
 * registry's inline cost, OPS_COST_*) to be recomputed in each of their
 * loops instead of being stored once and loaded by each: a few arithmetic
 * operations are cheaper than the round trip through memory, a
 * transcendental function is not. */
enum { RECOMPUTE_MAX_COST = 8 };
_Static_assert((int)OPS_COST_TRANSCENDENTAL > (int)RECOMPUTE_MAX_COST,
               "a transcendental function is not recomputed");

/* The most buffers an elementwise node with several consumers may read
 * (its operands computed inline with it included) to be recomputed in each
 * of their loops: every consumer reads them all again, so a sum gathered
 * from many buffers (the residual stream's gradient, summed over the blocks
 * above, read by each block's backward) is stored once instead, by its
 * first consumer's loop, and each consumer reads one buffer. */
enum { RECOMPUTE_MAX_LOADS = 2 };

/* Computed inside its consumers' loops instead of stored: used once by a
 * loop that can absorb it, or by several such loops (or several times by
 * one) when its inline cost and the buffers it reads, including the
 * operands computed inline with it, are few. */
int lower_fusible(lower_ctx *c, const ir_node *n) {
  int cost = ops_def(n->op)->cost, loads = 0;
  for (int i = 0; i < n->nin; i++) {
    const val *v = &c->val[n->in[i]->id];
    if (v->kind == V_INLINE) {
      cost += c->inline_cost[n->in[i]->id];
      loads += c->inline_loads[n->in[i]->id];
    } else if (v->kind != V_UNIFORM) {
      loads++;
    }
  }
  c->inline_cost[n->id] = cost;
  c->inline_loads[n->id] = loads;
  if (!c->absorbable[n->id] || c->uses[n->id] == 0)
    return 0;
  return c->uses[n->id] == 1 || (cost <= RECOMPUTE_MAX_COST && loads <= RECOMPUTE_MAX_LOADS);
}

/* Stored with a consumer: an elementwise node that must be stored (several
 * consumers, an inline cost too high to recompute, an output, an
 * assignment, a later phase that reads it) gets no pass of its own at its
 * place when some consumer is elementwise over as many elements in its
 * guarded region. It waits (V_PENDING) for the first loop over its own
 * elements, in its region, that reads it (that consumer's map, or the loop
 * an inline consumer is fused into), which computes it and stores it as one
 * more output (lower_loop.c). A use before that which needs it in memory
 * (a call, a view, a reduction, a loop over another space, an output) gives
 * it its own loop first, so no consumer ever reads it before it is stored.
 * Siblings that feed one consumer thus share its loop: AdamW's new moments
 * m and v are stored by the loop of the weight's update, which reads them;
 * a forward value that the backward pass reads again is stored by the loop
 * of its forward consumer. */
int lower_deferred(const lower_ctx *c, const ir_node *n) { return c->deferrable[n->id]; }

/* An elementwise operation on uniform operands only: a derived scalar. */
int lower_all_uniform(const lower_ctx *c, const ir_node *n) {
  for (int i = 0; i < n->nin; i++)
    if (c->val[n->in[i]->id].kind != V_UNIFORM)
      return 0;
  return 1;
}
