/*
 * ad.c - reverse-mode autodiff: marks the nodes between the parameters and
 * the loss, sweeps them in reverse order and appends each operation's
 * vector-Jacobian product, accumulating adjoints of shared nodes.
 */
#include "ad.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ad_ctx {
  ir_graph *g;
  int n; /* forward nodes: those that existed before ad_grad */
  unsigned char *active;
  ir_node **adj; /* adjoint per forward node, NULL = zero */
  int failed;    /* a builder call failed (message in g->err) */
} ad_ctx;

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

static ir_node *K(ad_ctx *c, double v) { return ir_const(c->g, v); }

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

static void acc_ub(ad_ctx *c, ir_node *x, ir_node *contrib) {
  if (act(c, x))
    acc(c, x, unbroadcast(c, contrib, &x->shape));
}

/* Keepdims view of a reduction result or its adjoint. */
static ir_node *keepdims(ad_ctx *c, const ir_node *red, ir_node *v) {
  ir_shape s = red->in[0]->shape;
  for (int i = 0; i < s.rank; i++)
    if (red->attr.axes >> i & 1)
      s.d[i] = 1;
  return ir_reshape(c->g, v, s.rank, s.d);
}

static ir_node *with_target(ad_ctx *c, ir_op op, int nin, ir_node *const *in, const ir_attr *base,
                            const ir_shape *target) {
  ir_attr a = *base;
  a.target = *target;
  return ir_node_new(c->g, op, nin, in, &a);
}

static void vjp_unary(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = c->g;
  ir_node *x = n->in[0], *d;
  switch (n->op) {
  case IR_NEG:
    d = ir_unary(g, IR_NEG, gy);
    break;
  case IR_EXP:
    d = ir_mul(g, gy, n);
    break;
  case IR_LOG:
    d = ir_div(g, gy, x);
    break;
  case IR_SQRT:
    d = ir_div(g, ir_mul(g, K(c, 0.5), gy), n);
    break;
  case IR_RSQRT:
    d = ir_mul(g, gy, ir_mul(g, K(c, -0.5), ir_mul(g, ir_unary(g, IR_SQUARE, n), n)));
    break;
  case IR_TANH:
    d = ir_mul(g, gy, ir_sub(g, K(c, 1), ir_unary(g, IR_SQUARE, n)));
    break;
  case IR_SIGMOID:
    d = ir_mul(g, gy, ir_mul(g, n, ir_sub(g, K(c, 1), n)));
    break;
  case IR_ABS:
    d = ir_mul(g, gy, ir_unary(g, IR_SIGN, x));
    break;
  case IR_SIGN:
    return;
  case IR_RELU:
    d = ir_mul(g, gy, ir_binary(g, IR_GT, x, K(c, 0)));
    break;
  case IR_GELU:
    d = ir_mul(g, gy, ir_unary(g, IR_GELU_GRAD, x));
    break;
  case IR_SQUARE:
    d = ir_mul(g, gy, ir_mul(g, K(c, 2), x));
    break;
  case IR_RECIP:
    d = ir_unary(g, IR_NEG, ir_mul(g, gy, ir_unary(g, IR_SQUARE, n)));
    break;
  default:
    assert(0);
    return;
  }
  acc(c, x, d);
}

static void vjp_binary(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = c->g;
  ir_node *a = n->in[0], *b = n->in[1];
  switch (n->op) {
  case IR_ADD:
    acc_ub(c, a, gy);
    acc_ub(c, b, gy);
    return;
  case IR_SUB:
    acc_ub(c, a, gy);
    if (act(c, b))
      acc_ub(c, b, ir_unary(g, IR_NEG, gy));
    return;
  case IR_MUL:
    if (act(c, a))
      acc_ub(c, a, ir_mul(g, gy, b));
    if (act(c, b))
      acc_ub(c, b, ir_mul(g, gy, a));
    return;
  case IR_DIV:
    if (act(c, a))
      acc_ub(c, a, ir_div(g, gy, b));
    if (act(c, b))
      acc_ub(c, b, ir_unary(g, IR_NEG, ir_div(g, ir_mul(g, gy, n), b)));
    return;
  case IR_MAX:
  case IR_MIN: {
    /* ties go to the left operand */
    ir_op ca = n->op == IR_MAX ? IR_GE : IR_LE, cb = n->op == IR_MAX ? IR_LT : IR_GT;
    if (act(c, a))
      acc_ub(c, a, ir_mul(g, gy, ir_binary(g, ca, a, b)));
    if (act(c, b))
      acc_ub(c, b, ir_mul(g, gy, ir_binary(g, cb, a, b)));
    return;
  }
  case IR_POW:
    if (act(c, a))
      acc_ub(c, a, ir_mul(g, gy, ir_mul(g, b, ir_binary(g, IR_POW, a, ir_sub(g, b, K(c, 1))))));
    if (act(c, b))
      acc_ub(c, b, ir_mul(g, gy, ir_mul(g, n, ir_unary(g, IR_LOG, a))));
    return;
  default: /* comparisons: zero derivative */
    return;
  }
}

static void vjp_matmul(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = c->g;
  ir_node *a = n->in[0], *b = n->in[1];
  int ta = n->attr.trans_a, tb = n->attr.trans_b;
  if (act(c, a)) {
    ir_node *d = !ta ? ir_matmul(g, gy, b, 0, !tb) : ir_matmul(g, b, gy, tb, 1);
    acc_ub(c, a, d);
  }
  if (!act(c, b))
    return;
  if (b->shape.rank == 2 && a->shape.rank > 2 && !ta) {
    /* [.., k] @ [k, n]: one GEMM over the collapsed rows */
    long k = a->shape.d[a->shape.rank - 1], m = ir_numel(&a->shape) / k;
    long ga[2] = {m, k}, gg[2] = {m, gy->shape.d[gy->shape.rank - 1]};
    ir_node *a2 = ir_reshape(g, a, 2, ga), *g2 = ir_reshape(g, gy, 2, gg);
    acc(c, b, tb ? ir_matmul(g, g2, a2, 1, 0) : ir_matmul(g, a2, g2, 1, 0));
    return;
  }
  ir_node *d = !tb ? ir_matmul(g, a, gy, !ta, 0) : ir_matmul(g, gy, a, 1, ta);
  acc_ub(c, b, d);
}

static void vjp_shape(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = c->g;
  ir_node *x = n->in[0];
  const ir_attr *a = &n->attr;
  switch (n->op) {
  case IR_RESHAPE:
    acc(c, x, ir_reshape(g, gy, x->shape.rank, x->shape.d));
    return;
  case IR_PERMUTE: {
    int inv[IR_MAX_RANK];
    for (int i = 0; i < n->shape.rank; i++)
      inv[a->perm[i]] = i;
    acc(c, x, ir_permute(g, gy, inv));
    return;
  }
  case IR_BROADCAST:
    acc_ub(c, x, gy);
    return;
  case IR_SLICE: {
    ir_node *pieces[3];
    int np = 0;
    long before = a->start, after = x->shape.d[a->axis] - a->start - a->len;
    ir_shape z = x->shape;
    if (before > 0) {
      z.d[a->axis] = before;
      pieces[np++] = ir_broadcast_to(g, K(c, 0), z.rank, z.d);
    }
    pieces[np++] = gy;
    if (after > 0) {
      z.d[a->axis] = after;
      pieces[np++] = ir_broadcast_to(g, K(c, 0), z.rank, z.d);
    }
    acc(c, x, ir_concat(g, np, pieces, a->axis));
    return;
  }
  case IR_CONCAT: {
    long off = 0;
    for (int i = 0; i < n->nin; i++) {
      long len = n->in[i]->shape.d[a->axis];
      if (act(c, n->in[i]))
        acc(c, n->in[i], ir_slice(g, gy, a->axis, off, len));
      off += len;
    }
    return;
  }
  default:
    assert(0);
  }
}

static int no_gradient(ad_ctx *c, const ir_node *n, const char *what) {
  snprintf(c->g->err, IR_ERR_LEN, "autodiff: %s%s has no gradient, but the loss depends on it",
           ir_op_name(n->op), what);
  return -1;
}

/* Adjoint of part i of a tuple node. */
static ir_node *part_adj(ad_ctx *c, const ir_node *t, int i) { return c->adj[t->id + 1 + i]; }

static int vjp_call(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = c->g;
  ir_node *x = n->in[0];
  const ir_attr *a = &n->attr;
  switch (n->op) {
  case IR_MATMUL:
    vjp_matmul(c, n, gy);
    return 0;
  case IR_CONV2D: {
    ir_node *w = n->in[1];
    if (act(c, x)) {
      ir_node *in[2] = {gy, w};
      acc(c, x, with_target(c, IR_CONV2D_BWD_DATA, 2, in, a, &x->shape));
    }
    if (act(c, w)) {
      ir_node *in[2] = {x, gy};
      acc(c, w, with_target(c, IR_CONV2D_BWD_WEIGHT, 2, in, a, &w->shape));
    }
    return 0;
  }
  case IR_MAXPOOL2D: {
    ir_node *in[2] = {x, gy};
    acc(c, x, ir_node_new(g, IR_MAXPOOL2D_BWD, 2, in, a));
    return 0;
  }
  case IR_AVGPOOL2D:
    acc(c, x, with_target(c, IR_AVGPOOL2D_BWD, 1, &gy, a, &x->shape));
    return 0;
  case IR_XENT: {
    ir_node *in[3] = {x, n->in[1], gy};
    acc(c, x, ir_node_new(g, IR_XENT_BWD, 3, in, a));
    return 0;
  }
  case IR_CORRECT:
    return 0;
  case IR_MSE: {
    ir_node *in[3] = {x, n->in[1], gy};
    ir_node *d = ir_node_new(g, IR_MSE_BWD, 3, in, a);
    acc(c, x, d);
    if (act(c, n->in[1]))
      acc(c, n->in[1], ir_unary(g, IR_NEG, d));
    return 0;
  }
  case IR_SOFTMAX: {
    ir_node *in[2] = {n, gy};
    acc(c, x, ir_node_new(g, IR_SOFTMAX_BWD, 2, in, a));
    return 0;
  }
  case IR_ROPE:
    acc(c, x, ir_node_new(g, IR_ROPE_BWD, 1, &gy, a));
    return 0;
  case IR_EMBED: {
    ir_node *in[2] = {n->in[1], gy};
    acc(c, x, with_target(c, IR_EMBED_BWD, 2, in, a, &x->shape));
    return 0;
  }
  default:
    return no_gradient(c, n, "");
  }
}

static int vjp_tuple(ad_ctx *c, ir_node *n) {
  ir_graph *g = c->g;
  int np = ir_op_nparts(n->op), any = 0;
  for (int i = 0; i < np; i++)
    any |= part_adj(c, n, i) != NULL;
  if (!any)
    return 0;
  if (n->op == IR_ATTENTION_BWD || n->op == IR_SPECTRAL_LANCZOS)
    return no_gradient(c, n, "");
  for (int i = 1; i < np; i++)
    if (part_adj(c, n, i))
      return no_gradient(c, n, " (auxiliary output)");
  ir_node *gy = part_adj(c, n, 0);
  if (n->op == IR_ATTENTION) {
    ir_node *in[5] = {n->in[0], n->in[1], n->in[2], ir_part(g, n, 1), gy};
    ir_node *t = ir_node_new(g, IR_ATTENTION_BWD, 5, in, &n->attr);
    for (int i = 0; i < 3; i++)
      acc(c, n->in[i], ir_part(g, t, i));
    return 0;
  }
  ir_node *x = n->in[0];
  ir_node *in[4] = {x, ir_part(g, n, 1), NULL, NULL};
  if (n->op == IR_RMSNORM) {
    in[2] = gy;
    acc(c, x, ir_node_new(g, IR_RMSNORM_BWD, 3, in, NULL));
  } else {
    in[2] = ir_part(g, n, 2);
    in[3] = gy;
    acc(c, x, ir_node_new(g, IR_LAYERNORM_BWD, 4, in, NULL));
  }
  return 0;
}

static int vjp(ad_ctx *c, ir_node *n) {
  ir_graph *g = c->g;
  ir_kind k = ir_op_kind(n->op);
  if (k == IR_K_TUPLE)
    return vjp_tuple(c, n);
  ir_node *gy = c->adj[n->id];
  if (!gy || k == IR_K_LEAF || k == IR_K_PART)
    return 0;
  switch (k) {
  case IR_K_UNARY:
    if (n->op == IR_GELU_GRAD)
      return no_gradient(c, n, "");
    vjp_unary(c, n, gy);
    return 0;
  case IR_K_BINARY:
    vjp_binary(c, n, gy);
    return 0;
  case IR_K_SELECT:
    if (act(c, n->in[1]))
      acc_ub(c, n->in[1], ir_select(g, n->in[0], gy, K(c, 0)));
    if (act(c, n->in[2]))
      acc_ub(c, n->in[2], ir_select(g, n->in[0], K(c, 0), gy));
    return 0;
  case IR_K_REDUCE: {
    ir_node *x = n->in[0], *gk = keepdims(c, n, gy);
    if (n->op == IR_SUM)
      acc(c, x, ir_broadcast_to(g, gk, x->shape.rank, x->shape.d));
    else /* ties: every maximal element receives the gradient */
      acc(c, x, ir_mul(g, gk, ir_binary(g, IR_EQ, x, keepdims(c, n, n))));
    return 0;
  }
  case IR_K_SHAPE:
    vjp_shape(c, n, gy);
    return 0;
  default:
    return vjp_call(c, n, gy);
  }
}

static void mark(ad_ctx *c, ir_node *loss, int nw, ir_node *const *wrt) {
  unsigned char *from = calloc((size_t)c->n, 1), *to = calloc((size_t)c->n, 1);
  if (!from || !to)
    abort();
  for (int i = 0; i < nw; i++)
    from[wrt[i]->id] = 1;
  for (int i = 0; i < c->n; i++) {
    ir_node *x = c->g->nodes[i];
    for (int j = 0; j < x->nin && !from[i]; j++)
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
