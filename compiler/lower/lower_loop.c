/*
 * lower_loop.c - emission of fused loops: strided views of values, the loop
 * builder that inlines the elementwise operations lower_fuse.c marked and
 * stores the deferred nodes it computes as further outputs, the loops of
 * maps, reductions and concatenation, and copies that materialize a value
 * contiguously.
 */
#include "lower_int.h"

#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- strides and buffers ------------------------------------------------------ */

void lower_rowmajor(const ir_shape *s, long *st) {
  long acc = 1;
  for (int i = s->rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s->d[i];
  }
}

int lower_contiguous(const val *v, const ir_shape *s) {
  long acc = 1;
  for (int i = s->rank - 1; i >= 0; i--) {
    if (s->d[i] != 1 && v->st[i] != acc)
      return 0;
    acc *= s->d[i];
  }
  return 1;
}

/* Strides of a value of shape xs (strides xst) read in the loop space `loop`
 * (numpy broadcasting, right-aligned). */
void lower_map_strides(const ir_shape *xs, const long *xst, const ir_shape *loop, long *out) {
  int lead = loop->rank - xs->rank;
  assert(lead >= 0);
  for (int i = 0; i < loop->rank; i++) {
    int j = i - lead;
    out[i] = j >= 0 && xs->d[j] != 1 ? xst[j] : 0;
  }
}

void lower_set_own(lower_ctx *c, const ir_node *n) {
  val *v = &c->val[n->id];
  v->kind = V_BUF;
  v->vb = lower_temp(c, ir_numel(&n->shape) * (long)ir_dtype_size(n->dtype));
  v->off = 0;
  lower_rowmajor(&n->shape, v->st);
}

kp_ref lower_own(lower_ctx *c, const ir_node *x) {
  lower_flush(c, x);
  const val *v = &c->val[x->id];
  assert(v->kind == V_BUF && v->off == 0);
  return lower_vref(v->vb, 0);
}

/* ---- loop construction ---------------------------------------------------- */

typedef struct loop_b {
  lower_ctx *c;
  kp_loop l;
  ir_shape space;
  int incap, ecap, hcap;
  kp_access *in;          /* malloc-owned while building */
  kp_expr *expr;          /* malloc-owned while building */
  int nhosted;            /* deferred nodes this loop computes and stores */
  const ir_node **hosted; /* malloc-owned while building */
  int *hosted_expr;       /* ... and the expression of each */
} loop_b;

static void lb_init(loop_b *b, lower_ctx *c, const ir_shape *space, kp_dtype dt, kp_reduce red) {
  memset(b, 0, sizeof *b);
  b->c = c;
  b->space = *space;
  b->l.dtype = dt;
  b->l.reduce = red;
}

static int lb_expr(loop_b *b, kp_eop op, int x, int y, int z, double imm) {
  if (b->l.nexpr == b->ecap) {
    b->ecap = b->ecap ? 2 * b->ecap : 16;
    b->expr = realloc(b->expr, (size_t)b->ecap * sizeof *b->expr);
    if (!b->expr)
      abort();
  }
  kp_expr e = {op, x, y, z, imm};
  b->expr[b->l.nexpr] = e;
  return b->l.nexpr++;
}

/* LOAD of a buffer view (shared between identical accesses). */
static int lb_load(loop_b *b, int vb, long off_bytes, const long *st, kp_dtype dt) {
  int k;
  for (k = 0; k < b->l.nin; k++) {
    const kp_access *a = &b->in[k];
    if (a->ref.input == vb && a->ref.off == off_bytes && a->dtype == dt &&
        !memcmp(a->stride, st, (size_t)b->space.rank * sizeof *st))
      break;
  }
  if (k == b->l.nin) {
    if (b->l.nin == b->incap) {
      b->incap = b->incap ? 2 * b->incap : 8;
      b->in = realloc(b->in, (size_t)b->incap * sizeof *b->in);
      if (!b->in)
        abort();
    }
    kp_access *a = &b->in[b->l.nin++];
    memset(a, 0, sizeof *a);
    a->ref = lower_vref(vb, off_bytes);
    a->dtype = dt;
    memcpy(a->stride, st, (size_t)b->space.rank * sizeof *st);
  }
  for (int i = 0; i < b->l.nexpr; i++)
    if (b->expr[i].op == KP_E_LOAD && b->expr[i].a == k)
      return i;
  return lb_expr(b, KP_E_LOAD, k, 0, 0, 0);
}

/* A value that is not computed in this loop: uniform scalar or buffer view. */
static int lb_leaf(loop_b *b, const ir_node *x) {
  lower_flush(b->c, x);
  const val *v = &b->c->val[x->id];
  if (v->kind == V_UNIFORM)
    return v->leaf->op == IR_CONST ? lb_expr(b, KP_E_CONST, 0, 0, 0, v->leaf->attr.value)
                                   : lb_expr(b, KP_E_SCALAR, v->scalar, 0, 0, 0);
  assert(v->kind == V_BUF);
  long st[IR_MAX_RANK];
  lower_map_strides(&x->shape, v->st, &b->space, st);
  return lb_load(b, v->vb, v->off * (long)ir_dtype_size(x->dtype), st, lower_dtype(x->dtype));
}

kp_eop lower_eop(ir_op op) {
  assert(ir_is_elementwise(op));
  return ops_def(op)->eop;
}

/* Whether loop b can compute deferred node x and store it (lower_fuse.c): a
 * real map over x's own elements (a space that only adds size-1
 * dimensions), in x's guarded region. */
static int lb_can_host(const loop_b *b, const ir_node *x) {
  const ir_shape *s = &b->space;
  int lead = s->rank - x->shape.rank;
  if (b->l.reduce != KP_MAP || b->l.dtype != b->c->real || x->region != b->c->region || lead < 0 ||
      ir_numel(s) != ir_numel(&x->shape))
    return 0;
  for (int d = 0; d < x->shape.rank; d++)
    if (x->shape.d[d] != s->d[lead + d])
      return 0;
  return 1;
}

static int lb_value(loop_b *b, const ir_node *x, int root);

/* Deferred x computed in loop b and stored to its own buffer as one more
 * output of the loop. */
static int lb_host(loop_b *b, const ir_node *x) {
  int e = lb_value(b, x, 1);
  lower_set_own(b->c, x);
  if (b->nhosted == b->hcap) {
    b->hcap = b->hcap ? 2 * b->hcap : 4;
    b->hosted = realloc(b->hosted, (size_t)b->hcap * sizeof *b->hosted);
    b->hosted_expr = realloc(b->hosted_expr, (size_t)b->hcap * sizeof *b->hosted_expr);
    if (!b->hosted || !b->hosted_expr)
      abort();
  }
  b->hosted[b->nhosted] = x;
  b->hosted_expr[b->nhosted++] = e;
  return e;
}

/* Expression of x: its operation over its operands when x is the loop's own
 * node, fused into it or a deferred node it hosts, else a leaf. */
static int lb_value(loop_b *b, const ir_node *x, int root) {
  for (int k = 0; k < b->nhosted; k++)
    if (b->hosted[k] == x)
      return b->hosted_expr[k];
  if (!root && b->c->val[x->id].kind == V_PENDING && lb_can_host(b, x))
    return lb_host(b, x);
  if (!root && b->c->val[x->id].kind != V_INLINE)
    return lb_leaf(b, x);
  int a[3] = {0, 0, 0};
  for (int i = 0; i < x->nin; i++)
    a[i] = lb_value(b, x->in[i], 0);
  return lb_expr(b, lower_eop(x->op), a[0], a[1], a[2], 0);
}

/* Access k of l: output k, or input k - nout. */
static kp_access *access_k(kp_loop *l, int k) {
  return k < l->nout ? &l->out[k] : &l->in[k - l->nout];
}

/* Drops size-1 dimensions and merges dimensions contiguous for all accesses. */
static void canonicalize(kp_loop *l, const ir_shape *space) {
  int nacc = l->nout + l->nin, r = 0;
  for (int d = 0; d < space->rank; d++) {
    long n = space->d[d];
    if (n == 1)
      continue;
    int merge = r > 0;
    for (int k = 0; k < nacc && merge; k++) {
      kp_access *a = access_k(l, k);
      merge = a->stride[r - 1] == a->stride[d] * n;
    }
    for (int k = 0; k < nacc; k++) {
      kp_access *a = access_k(l, k);
      a->stride[merge ? r - 1 : r] = a->stride[d];
    }
    if (merge) {
      l->shape[r - 1] *= n;
    } else {
      l->shape[r++] = n;
    }
  }
  l->rank = r;
  for (int k = 0; k < nacc; k++) {
    kp_access *a = access_k(l, k);
    for (int d = r; d < KP_MAX_RANK; d++)
      a->stride[d] = 0;
  }
}

/* Output k of l writes all of temporary vbuf vb, in order: the loop
 * defines it (lower_plan.c may compute it in place of a tensor). */
static int writes_whole(lower_ctx *c, const kp_loop *l, int k, int vb, long bytes) {
  if (l->reduce != KP_MAP || l->out[k].ref.off != 0 || c->vb[vb].kind != VB_TEMP ||
      c->vb[vb].bytes != bytes)
    return 0;
  for (int d = 0; d < l->rank; d++) {
    long acc = 1;
    for (int e = d + 1; e < l->rank; e++)
      acc *= l->shape[e];
    if (l->out[k].stride[d] != acc)
      return 0;
  }
  return 1;
}

/* Appends the loop writing `out_vb` at out_off (bytes) with strides out_st
 * over the loop space, and the deferred nodes it hosts to their own
 * buffers; returns the instruction index. */
static int lb_finish(loop_b *b, int out_vb, long out_off, const long *out_st, const ir_node *src) {
  lower_ctx *c = b->c;
  kp_loop *l = &b->l;
  l->nout = 1 + b->nhosted;
  l->out = ir_pool_alloc(c->pool, (size_t)l->nout * sizeof *l->out);
  l->out_expr = ir_pool_alloc(c->pool, (size_t)l->nout * sizeof *l->out_expr);
  memset(l->out, 0, (size_t)l->nout * sizeof *l->out);
  for (int k = 0; k < l->nout; k++) {
    kp_access *a = &l->out[k];
    a->dtype = l->dtype;
    if (k == 0) {
      a->ref = lower_vref(out_vb, out_off);
      memcpy(a->stride, out_st, (size_t)b->space.rank * sizeof *out_st);
      l->out_expr[k] = l->nexpr - 1;
    } else {
      const ir_node *x = b->hosted[k - 1];
      const val *v = &c->val[x->id];
      a->ref = lower_vref(v->vb, 0);
      lower_map_strides(&x->shape, v->st, &b->space, a->stride);
      l->out_expr[k] = b->hosted_expr[k - 1];
    }
  }
  l->in = ir_pool_alloc(c->pool, (size_t)(l->nin ? l->nin : 1) * sizeof *l->in);
  if (l->nin)
    memcpy(l->in, b->in, (size_t)l->nin * sizeof *l->in);
  l->expr = ir_pool_alloc(c->pool, (size_t)l->nexpr * sizeof *l->expr);
  memcpy(l->expr, b->expr, (size_t)l->nexpr * sizeof *l->expr);
  free(b->in);
  free(b->expr);
  free(b->hosted);
  free(b->hosted_expr);
  canonicalize(l, &b->space);
  kp_instr *in = lower_emit(c, KP_LOOP, src);
  in->u.loop = *l;
  int idx = c->ninstr - 1;
  long bytes = ir_numel(&b->space) * (long)kp_dtype_size(l->dtype);
  for (int k = 0; k < l->nout; k++) {
    int vb = l->out[k].ref.input;
    if (writes_whole(c, l, k, vb, bytes)) {
      c->vb[vb].def_instr = idx;
      c->vb[vb].def_loop = 1;
    }
  }
  return idx;
}

/* Copies the value x (uniform or view), broadcast to `shape`, into a
 * contiguous region. */
void lower_copy_into(lower_ctx *c, const ir_node *x, const ir_shape *shape, int vb, long off_bytes,
                     const ir_node *src) {
  loop_b b;
  lb_init(&b, c, shape, lower_dtype(x->dtype), KP_MAP);
  lb_leaf(&b, x);
  long st[IR_MAX_RANK];
  lower_rowmajor(shape, st);
  lb_finish(&b, vb, off_bytes, st, src);
}

kp_ref lower_materialize(lower_ctx *c, const ir_node *x, const ir_shape *shape) {
  int t = lower_temp(c, ir_numel(shape) * (long)ir_dtype_size(x->dtype));
  lower_copy_into(c, x, shape, t, 0, x);
  return lower_vref(t, 0);
}

kp_ref lower_operand(lower_ctx *c, const ir_node *x) {
  lower_flush(c, x);
  const val *v = &c->val[x->id];
  if (v->kind == V_BUF && lower_contiguous(v, &x->shape))
    return lower_vref(v->vb, v->off * (long)ir_dtype_size(x->dtype));
  assert(v->kind == V_BUF || v->kind == V_UNIFORM);
  return lower_materialize(c, x, &x->shape);
}

/* The value of a uniform node as a scalar. */
kp_scalar lower_uniform_scalar(const val *v) {
  kp_scalar s = {0};
  assert(v->kind == V_UNIFORM);
  if (v->leaf->op == IR_CONST) {
    s.kind = KP_S_IMM;
    s.imm = v->leaf->attr.value;
  } else {
    s.kind = KP_S_INPUT;
    s.index = v->scalar;
  }
  return s;
}

kp_scalar lower_scalar(lower_ctx *c, const ir_node *x) {
  lower_flush(c, x);
  const val *v = &c->val[x->id];
  kp_scalar s = {0};
  assert(ir_numel(&x->shape) == 1);
  if (v->kind == V_UNIFORM) {
    s = lower_uniform_scalar(v);
  } else {
    assert(v->kind == V_BUF);
    s.kind = KP_S_LOAD;
    s.ref = lower_vref(v->vb, v->off * (long)c->esize);
  }
  return s;
}

/* ---- loops of nodes ------------------------------------------------------------ */

void lower_flush(lower_ctx *c, const ir_node *x) {
  if (c->val[x->id].kind != V_PENDING)
    return;
  int region = c->region;
  c->region = x->region;
  lower_map_loop(c, x);
  c->region = region;
}

void lower_map_loop(lower_ctx *c, const ir_node *n) {
  lower_set_own(c, n);
  loop_b b;
  lb_init(&b, c, &n->shape, c->real, KP_MAP);
  lb_value(&b, n, 1);
  lb_finish(&b, c->val[n->id].vb, 0, c->val[n->id].st, n);
}

void lower_reduce_loop(lower_ctx *c, const ir_node *n) {
  const ir_node *x = n->in[0];
  lower_set_own(c, n);
  loop_b b;
  lb_init(&b, c, &x->shape, c->real, n->op == IR_SUM ? KP_SUM : KP_MAX);
  lb_value(&b, x, 0);
  long st[IR_MAX_RANK], acc = 1;
  for (int i = x->shape.rank - 1; i >= 0; i--) {
    st[i] = n->attr.axes >> i & 1 ? 0 : acc;
    acc *= n->attr.axes >> i & 1 ? 1 : x->shape.d[i];
  }
  lb_finish(&b, c->val[n->id].vb, 0, st, n);
}

void lower_concat_loop(lower_ctx *c, const ir_node *n) {
  lower_set_own(c, n);
  const val *v = &c->val[n->id];
  int ax = n->attr.axis;
  long off = 0;
  for (int i = 0; i < n->nin; i++) {
    const ir_node *x = n->in[i];
    loop_b b;
    lb_init(&b, c, &x->shape, lower_dtype(n->dtype), KP_MAP);
    lb_leaf(&b, x);
    lb_finish(&b, v->vb, off * v->st[ax] * (long)ir_dtype_size(n->dtype), v->st, n);
    off += x->shape.d[ax];
  }
}
