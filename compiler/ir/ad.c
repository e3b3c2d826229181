/*
 * ad.c - reverse-mode autodiff: marks the nodes between the parameters and
 * the loss, sweeps them in reverse order and appends each operation's
 * vector-Jacobian product (its registry gradient), accumulating adjoints of
 * shared nodes.
 */
#include "ad.h"

#include "ops.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

struct ad_ctx {
  ir_graph *g;
  int n; /* forward nodes: those that existed before ad_grad */
  unsigned char *active;
  ir_node **adj; /* adjoint per forward node, NULL = zero */
  int failed;    /* a builder call failed (message in g->err) */
};

static int act(const ad_ctx *c, const ir_node *x) { return x->id < c->n && c->active[x->id]; }

static void acc(ad_ctx *c, ir_node *x, ir_node *contrib) {
  if (!act(c, x))
    return;
  if (!contrib) {
    c->failed = 1;
    return;
  }
  c->adj[x->id] = c->adj[x->id] ? ir_add(c->g, c->adj[x->id], contrib) : contrib;
}

/* Sums a gradient of a broadcast result back to the operand's shape. */
static ir_node *unbroadcast(ad_ctx *c, ir_node *gy, const ir_shape *to) {
  if (!gy || ir_shape_eq(&gy->shape, to))
    return gy;
  int lead = gy->shape.rank - to->rank, axes[IR_MAX_RANK], na = 0;
  assert(lead >= 0);
  for (int i = 0; i < gy->shape.rank; i++)
    if ((i < lead || to->d[i - lead] == 1) && gy->shape.d[i] != 1)
      axes[na++] = i;
  ir_node *s = na ? ir_sum(c->g, gy, na, axes, 0) : gy;
  return ir_reshape(c->g, s, to->rank, to->d);
}

void ad_acc_unbroadcast(ad_ctx *c, ir_node *x, ir_node *contrib) {
  if (act(c, x))
    acc(c, x, unbroadcast(c, contrib, &x->shape));
}

void ad_acc(ad_ctx *c, ir_node *x, ir_node *contrib) { acc(c, x, contrib); }
int ad_active(const ad_ctx *c, const ir_node *x) { return act(c, x); }
ir_graph *ad_graph(const ad_ctx *c) { return c->g; }

int ad_no_gradient(ad_ctx *c, const ir_node *n, const char *what) {
  snprintf(c->g->err, IR_ERR_LEN, "autodiff: %s%s has no gradient, but the loss depends on it",
           ir_op_name(n->op), what);
  return -1;
}

ir_node *ad_part_adjoint(const ad_ctx *c, const ir_node *t, int i) { return c->adj[t->id + 1 + i]; }

/* The vector-Jacobian product of n: its registry gradient, applied when n
 * (or, for a tuple, one of its parts) has an adjoint. */
static int vjp(ad_ctx *c, ir_node *n) {
  const op_def *d = ops_def(n->op);
  ir_node *gy = NULL;
  if (d->kind == IR_K_LEAF || d->kind == IR_K_PART)
    return 0;
  if (d->kind == IR_K_TUPLE) {
    int any = 0;
    for (int i = 0; i < d->nparts; i++)
      any |= ad_part_adjoint(c, n, i) != NULL;
    if (!any)
      return 0;
  } else if (!(gy = c->adj[n->id])) {
    return 0;
  }
  return d->grad ? d->grad(c, n, gy) : ad_no_gradient(c, n, "");
}

static void mark(ad_ctx *c, ir_node *loss, int nw, ir_node *const *wrt) {
  unsigned char *from = calloc((size_t)c->n, 1), *to = calloc((size_t)c->n, 1);
  if (!from || !to)
    abort();
  for (int i = 0; i < nw; i++)
    from[wrt[i]->id] = 1;
  /* int32 values (indices) carry no derivative */
  for (int i = 0; i < c->n; i++) {
    ir_node *x = c->g->nodes[i];
    for (int j = 0; j < x->nin && !from[i] && x->dtype != IR_I32; j++)
      from[i] = from[x->in[j]->id];
  }
  to[loss->id] = 1;
  for (int i = c->n - 1; i >= 0; i--) {
    ir_node *x = c->g->nodes[i];
    if (to[i])
      for (int j = 0; j < x->nin; j++)
        to[x->in[j]->id] = 1;
  }
  for (int i = 0; i < c->n; i++)
    c->active[i] = from[i] && to[i];
  free(from);
  free(to);
}

static int check_args(ir_graph *g, ir_node *loss, int n, ir_node *const *wrt) {
  if (!loss || loss->id >= g->nnodes || g->nodes[loss->id] != loss)
    return snprintf(g->err, IR_ERR_LEN, "autodiff: the loss is not a node of '%s'", g->name), -1;
  if (loss->shape.rank != 0 || loss->dtype != g->prog->real)
    return snprintf(g->err, IR_ERR_LEN, "autodiff: the loss must be a real scalar"), -1;
  for (int i = 0; i < n; i++) {
    if (!wrt[i] || wrt[i]->id >= g->nnodes || g->nodes[wrt[i]->id] != wrt[i])
      return snprintf(g->err, IR_ERR_LEN, "autodiff: operand %d is not a node of '%s'", i, g->name),
             -1;
    if (wrt[i]->dtype != g->prog->real)
      return snprintf(g->err, IR_ERR_LEN,
                      "autodiff: cannot differentiate with respect "
                      "to a %s value",
                      ir_dtype_name(wrt[i]->dtype)),
             -1;
  }
  return 0;
}

int ad_grad(ir_graph *g, ir_node *loss, int n, ir_node *const *wrt, ir_node **grads) {
  if (check_args(g, loss, n, wrt) < 0)
    return -1;
  ad_ctx c = {g, g->nnodes, calloc((size_t)g->nnodes, 1),
              calloc((size_t)g->nnodes, sizeof(ir_node *)), 0};
  if (!c.active || !c.adj)
    abort();
  mark(&c, loss, n, wrt);
  ir_loc saved = g->loc;
  int rc = 0;
  if (c.active[loss->id])
    c.adj[loss->id] = ir_const(g, 1);
  for (int i = loss->id; i >= 0 && rc == 0; i--) {
    ir_node *x = g->nodes[i];
    if (!c.active[i])
      continue;
    g->loc = x->loc;
    rc = vjp(&c, x);
    if (c.failed)
      rc = -1;
  }
  for (int i = 0; i < n && rc == 0; i++) {
    const ir_shape *s = &wrt[i]->shape;
    g->loc = wrt[i]->loc;
    grads[i] =
        c.adj[wrt[i]->id] ? c.adj[wrt[i]->id] : ir_broadcast_to(g, ir_const(g, 0), s->rank, s->d);
    if (!grads[i])
      rc = -1;
  }
  g->loc = saved;
  free(c.active);
  free(c.adj);
  return rc;
}

static int is_zero(const ir_node *x) {
  return (x->op == IR_CONST && x->attr.value == 0) || (x->op == IR_BROADCAST && is_zero(x->in[0]));
}

int ad_grad_tensors(ir_graph *g, ir_node *loss, int n, const int *tensors, ir_node **grads) {
  int nn = g->nnodes, nw = 0;
  ir_node **wrt = calloc((size_t)nn + (size_t)n + 1, sizeof *wrt);
  int *owner = malloc(((size_t)nn + (size_t)n + 1) * sizeof *owner);
  ir_node **gw = malloc(((size_t)nn + (size_t)n + 1) * sizeof *gw);
  if (!wrt || !owner || !gw)
    abort();
  for (int i = 0; i < n; i++) {
    int found = 0;
    for (int j = 0; j < nn; j++) {
      ir_node *x = g->nodes[j];
      if (x->op == IR_TENSOR && x->attr.index == tensors[i]) {
        owner[nw] = i;
        wrt[nw++] = x;
        found = 1;
      }
    }
    if (!found) { /* not read: a zero gradient of the tensor's shape */
      owner[nw] = i;
      wrt[nw++] = ir_tensor_ref(g, tensors[i]);
    }
  }
  int rc = ad_grad(g, loss, nw, wrt, gw);
  for (int i = 0; i < n && rc == 0; i++)
    grads[i] = NULL;
  for (int k = 0; k < nw && rc == 0; k++) {
    ir_node **d = &grads[owner[k]];
    if (!*d || is_zero(*d))
      *d = gw[k];
    else if (!is_zero(gw[k]))
      *d = ir_add(g, *d, gw[k]);
    if (!*d)
      rc = -1;
  }
  free(wrt);
  free(owner);
  free(gw);
  return rc;
}
