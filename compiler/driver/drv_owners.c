/* drv_owners.c: the owners of the weights' optimizer steps (drv_owners.h):
 * the update cost of each weight from the nodes of apply_step, the greedy
 * balance of the costs over the ranks, the assignments a rank keeps and
 * the optimizer state it stores. */
#include "drv_owners.h"

#include <stdlib.h>

#include "elab.h"

/* Floating-point operations of node n (an estimate). */
static double node_flops(const ir_node *n) {
  double numel = (double)ir_numel(&n->shape);
  if (n->op == IR_MATMUL) {
    const ir_shape *a = &n->in[0]->shape;
    return 2 * numel * (double)a->d[a->rank - (n->attr.trans_a ? 2 : 1)];
  }
  if (n->op == IR_POLAR_NS || n->op == IR_POLAR_SVD) {
    int r = n->shape.rank;
    double rows = (double)n->shape.d[r - 2], cols = (double)n->shape.d[r - 1];
    double m = rows < cols ? rows : cols, k = rows < cols ? cols : rows, batch = numel / (m * k);
    double steps = n->op == IR_POLAR_NS ? n->attr.steps : 10; /* SVD: about 10 products */
    return batch * steps * (4 * m * m * k + 2 * m * m * m);
  }
  return numel;
}

/* Adds the flops of node n and everything it needs that is not marked yet
 * (mark[id] == stamp) to *sum. */
static void add_needed(const ir_node *n, int *mark, int stamp, double *sum) {
  if (mark[n->id] == stamp)
    return;
  mark[n->id] = stamp;
  *sum += node_flops(n);
  for (int j = 0; j < n->nin; j++)
    add_needed(n->in[j], mark, stamp, sum);
}

/* Whether tensor t is weight w's or one of its state tensors. */
static bool belongs(const elab_weight *w, int t) {
  if (w->tensor == t)
    return true;
  for (int k = 0; k < w->nstates; k++)
    if (w->states[k] == t)
      return true;
  return false;
}

bool drv_update_flops(const ir_program *p, const sema_experiment *e, arena *a, double *flops) {
  const ir_graph *g = ir_find_entry(p, "apply_step");
  elab_weight *w = g ? elab_weights(a, p, e) : NULL;
  if (!w)
    return false;
  int *mark = calloc((size_t)g->nnodes + 1, sizeof *mark);
  if (!mark)
    abort();
  for (int i = 0; i < e->model->nweights; i++) {
    flops[i] = 0;
    for (int k = 0; k < g->nassigns; k++)
      if (belongs(&w[i], g->assigns[k].tensor))
        add_needed(g->assigns[k].node, mark, i + 1, &flops[i]);
  }
  free(mark);
  return true;
}

void drv_owners_assign(const double *flops, int nweights, int ranks, int *owner) {
  double *load = calloc((size_t)ranks, sizeof *load);
  bool *done = calloc((size_t)nweights + 1, sizeof *done);
  if (!load || !done)
    abort();
  for (int placed = 0; placed < nweights; placed++) {
    int next = -1; /* the costliest weight left (the first of equal ones) */
    for (int i = 0; i < nweights; i++)
      if (!done[i] && (next < 0 || flops[i] > flops[next]))
        next = i;
    int r = 0; /* the rank with the least work (the first of equal ones) */
    for (int k = 1; k < ranks; k++)
      if (load[k] < load[r])
        r = k;
    owner[next] = r;
    load[r] += flops[next];
    done[next] = true;
  }
  free(load);
  free(done);
}

void drv_owners_keep(ir_program *p, const sema_experiment *e, arena *a, const int *owner,
                     int rank) {
  ir_graph *g = ir_find_entry(p, "apply_step");
  elab_weight *w = elab_weights(a, p, e);
  int kept = 0;
  for (int k = 0; k < g->nassigns; k++) {
    bool mine = false;
    for (int i = 0; i < e->model->nweights && !mine; i++)
      mine = owner[i] == rank && belongs(&w[i], g->assigns[k].tensor);
    if (mine)
      g->assigns[kept++] = g->assigns[k];
  }
  g->nassigns = kept;
  for (int i = 0; i < e->model->nweights; i++)
    for (int k = 0; owner[i] != rank && k < w[i].nstates; k++)
      if (p->tensors[w[i].states[k]].kind == IR_STATE)
        ir_keep_elsewhere(p, w[i].states[k]);
}
