/*
 * ir_clone.c - copying a part of one entry point into another entry point of
 * the same program: the nodes a set of roots depends on, in their order,
 * with their attributes and source locations (see ir_graph_copy in ir.h).
 */
#include "ir.h"

#include <assert.h>
#include <stdlib.h>

int ir_graph_copy(ir_graph *dst, const ir_graph *src, int n, ir_node *const *roots,
                  ir_node **copies) {
  assert(dst->prog == src->prog && dst != src);
  int nn = src->nnodes, maxin = 1;
  char *needed = calloc((size_t)nn + 1, 1);
  ir_node **map = calloc((size_t)nn + 1, sizeof *map);
  if (!needed || !map)
    abort();
  for (int i = 0; i < n; i++) {
    assert(roots[i]->id < nn && src->nodes[roots[i]->id] == roots[i]);
    needed[roots[i]->id] = 1;
  }
  /* Operands precede their users: one backward sweep marks the cone. */
  for (int i = nn - 1; i >= 0; i--) {
    const ir_node *s = src->nodes[i];
    for (int k = 0; needed[i] && k < s->nin; k++)
      needed[s->in[k]->id] = 1;
    if (s->nin > maxin)
      maxin = s->nin;
  }
  ir_node **in = malloc((size_t)maxin * sizeof *in);
  if (!in)
    abort();
  ir_loc saved = dst->loc;
  int rc = 0;
  for (int i = 0; rc == 0 && i < nn; i++) {
    const ir_node *s = src->nodes[i];
    /* Parts are made with their tuple, below. */
    if (!needed[i] || s->op == IR_PART)
      continue;
    for (int k = 0; k < s->nin; k++)
      in[k] = map[s->in[k]->id];
    /* Same program, same pool: the location strings stay valid. */
    dst->loc = s->loc;
    map[i] = ir_node_new(dst, s->op, s->nin, in, &s->attr);
    if (!map[i]) {
      rc = -1;
      break;
    }
    for (int k = 0; k < ir_op_nparts(s->op); k++)
      map[i + 1 + k] = ir_part(dst, map[i], k);
  }
  dst->loc = saved;
  for (int i = 0; rc == 0 && i < n; i++)
    copies[i] = map[roots[i]->id];
  free(needed);
  free(map);
  free(in);
  return rc;
}
