/*
 * lower.c - lowering of IR programs to kernel programs: lays out the
 * persistent tensors, decides for every node how its value is available
 * (uniform scalar, fused into its consumers' loops, strided view, own buffer),
 * turns operations on scalars alone into derived scalars (evaluated in
 * double), emits fused elementwise and reduction loops, and appends the
 * outputs and the simultaneous write-back of assignments.
 */
#include "lower.h"
#include "lower_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int lower_fail(lower_ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (c->err && c->errlen)
    vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static kp_dtype kp_of(ir_dtype t) { return t == IR_F64 ? KP_F64 : t == IR_I32 ? KP_I32 : KP_F32; }

static int new_vbuf(lower_ctx *c, vb_kind kind, int index, long bytes) {
  if (c->nvb == c->vbcap) {
    c->vbcap = c->vbcap ? 2 * c->vbcap : 64;
    c->vb = realloc(c->vb, (size_t)c->vbcap * sizeof *c->vb);
    if (!c->vb)
      abort();
  }
  vbuf *v = &c->vb[c->nvb];
  memset(v, 0, sizeof *v);
  v->kind = kind;
  v->index = index;
  v->bytes = bytes;
  v->alias = -1;
  v->def_instr = -1;
  return c->nvb++;
}

int lower_temp(lower_ctx *c, long bytes) { return new_vbuf(c, VB_TEMP, -1, bytes); }

kp_ref lower_vref(int vb, long off_bytes) {
  kp_ref r = {LOWER_VSPACE, vb, off_bytes};
  return r;
}

kp_instr *lower_emit(lower_ctx *c, kp_kind kind, const ir_node *src) {
  if (c->ninstr == c->icap) {
    c->icap = c->icap ? 2 * c->icap : 64;
    c->ins = realloc(c->ins, (size_t)c->icap * sizeof *c->ins);
    c->wb_target = realloc(c->wb_target, (size_t)c->icap * sizeof *c->wb_target);
    if (!c->ins || !c->wb_target)
      abort();
  }
  kp_instr *in = &c->ins[c->ninstr];
  memset(in, 0, sizeof *in);
  in->kind = kind;
  if (src) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s%s", ir_op_name(src->op), src->loc.path ? " " : "",
             src->loc.path ? src->loc.path : "");
    in->what = ir_pool_strdup(c->pool, buf);
  }
  c->wb_target[c->ninstr++] = -1;
  return in;
}

char *lower_fn_name(lower_ctx *c, const char *base) {
  char buf[96];
  snprintf(buf, sizeof buf, "%s%s", base, c->real == KP_F64 ? "_f64" : "_f32");
  return ir_pool_strdup(c->pool, buf);
}

static void rowmajor(const ir_shape *s, long *st) {
  long acc = 1;
  for (int i = s->rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s->d[i];
  }
}

static int contiguous(const val *v, const ir_shape *s) {
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
static void map_strides(const ir_shape *xs, const long *xst, const ir_shape *loop, long *out) {
  int lead = loop->rank - xs->rank;
  assert(lead >= 0);
  for (int i = 0; i < loop->rank; i++) {
    int j = i - lead;
    out[i] = j >= 0 && xs->d[j] != 1 ? xst[j] : 0;
  }
}

static void set_own(lower_ctx *c, const ir_node *n) {
  val *v = &c->val[n->id];
  v->kind = V_BUF;
  v->vb = lower_temp(c, ir_numel(&n->shape) * (long)ir_dtype_size(n->dtype));
  v->off = 0;
  rowmajor(&n->shape, v->st);
}

kp_ref lower_own(lower_ctx *c, const ir_node *x) {
  const val *v = &c->val[x->id];
  assert(v->kind == V_BUF && v->off == 0);
  return lower_vref(v->vb, 0);
}

/* ---- loop construction ---------------------------------------------------- */

typedef struct loop_b {
  lower_ctx *c;
  kp_loop l;
  ir_shape space;
  int incap, ecap;
  kp_access *in; /* malloc-owned while building */
  kp_expr *expr; /* malloc-owned while building */
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
  const val *v = &b->c->val[x->id];
  if (v->kind == V_UNIFORM)
    return v->leaf->op == IR_CONST ? lb_expr(b, KP_E_CONST, 0, 0, 0, v->leaf->attr.value)
                                   : lb_expr(b, KP_E_SCALAR, v->scalar, 0, 0, 0);
  assert(v->kind == V_BUF);
  long st[IR_MAX_RANK];
  map_strides(&x->shape, v->st, &b->space, st);
  return lb_load(b, v->vb, v->off * (long)ir_dtype_size(x->dtype), st, kp_of(x->dtype));
}

static kp_eop eop_of(ir_op op) {
  switch (op) {
  case IR_NEG:
    return KP_E_NEG;
  case IR_EXP:
    return KP_E_EXP;
  case IR_LOG:
    return KP_E_LOG;
  case IR_SQRT:
    return KP_E_SQRT;
  case IR_RSQRT:
    return KP_E_RSQRT;
  case IR_TANH:
    return KP_E_TANH;
  case IR_SIGMOID:
    return KP_E_SIGMOID;
  case IR_ABS:
    return KP_E_ABS;
  case IR_SIGN:
    return KP_E_SIGN;
  case IR_RELU:
    return KP_E_RELU;
  case IR_GELU:
    return KP_E_GELU;
  case IR_GELU_GRAD:
    return KP_E_GELU_GRAD;
  case IR_SQUARE:
    return KP_E_SQUARE;
  case IR_RECIP:
    return KP_E_RECIP;
  case IR_ADD:
    return KP_E_ADD;
  case IR_SUB:
    return KP_E_SUB;
  case IR_MUL:
    return KP_E_MUL;
  case IR_DIV:
    return KP_E_DIV;
  case IR_MAX:
    return KP_E_MAX;
  case IR_MIN:
    return KP_E_MIN;
  case IR_POW:
    return KP_E_POW;
  case IR_LT:
    return KP_E_LT;
  case IR_LE:
    return KP_E_LE;
  case IR_GT:
    return KP_E_GT;
  case IR_GE:
    return KP_E_GE;
  case IR_EQ:
    return KP_E_EQ;
  case IR_NE:
    return KP_E_NE;
  case IR_SELECT:
    return KP_E_SELECT;
  default:
    assert(0);
    return KP_E_CONST;
  }
}

/* Expression of x: its operation over its operands when x is the loop's own
 * node or fused into it, else a leaf. */
static int lb_value(loop_b *b, const ir_node *x, int root) {
  if (!root && b->c->val[x->id].kind != V_INLINE)
    return lb_leaf(b, x);
  int a[3] = {0, 0, 0};
  for (int i = 0; i < x->nin; i++)
    a[i] = lb_value(b, x->in[i], 0);
  return lb_expr(b, eop_of(x->op), a[0], a[1], a[2], 0);
}

/* Drops size-1 dimensions and merges dimensions contiguous for all accesses. */
static void canonicalize(kp_loop *l, const ir_shape *space) {
  int nacc = l->nin + 1, r = 0;
  for (int d = 0; d < space->rank; d++) {
    long n = space->d[d];
    if (n == 1)
      continue;
    int merge = r > 0;
    for (int k = 0; k < nacc && merge; k++) {
      kp_access *a = k ? &l->in[k - 1] : &l->out;
      merge = a->stride[r - 1] == a->stride[d] * n;
    }
    for (int k = 0; k < nacc; k++) {
      kp_access *a = k ? &l->in[k - 1] : &l->out;
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
    kp_access *a = k ? &l->in[k - 1] : &l->out;
    for (int d = r; d < KP_MAX_RANK; d++)
      a->stride[d] = 0;
  }
}

/* Appends the loop writing `out_vb` at out_off (bytes) with strides out_st
 * over the loop space; returns the instruction index. */
static int lb_finish(loop_b *b, int out_vb, long out_off, const long *out_st, const ir_node *src) {
  lower_ctx *c = b->c;
  kp_loop *l = &b->l;
  l->out.ref = lower_vref(out_vb, out_off);
  l->out.dtype = l->dtype;
  memcpy(l->out.stride, out_st, (size_t)b->space.rank * sizeof *out_st);
  l->in = ir_pool_alloc(c->pool, (size_t)(l->nin ? l->nin : 1) * sizeof *l->in);
  if (l->nin)
    memcpy(l->in, b->in, (size_t)l->nin * sizeof *l->in);
  l->expr = ir_pool_alloc(c->pool, (size_t)l->nexpr * sizeof *l->expr);
  memcpy(l->expr, b->expr, (size_t)l->nexpr * sizeof *l->expr);
  free(b->in);
  free(b->expr);
  canonicalize(l, &b->space);
  kp_instr *in = lower_emit(c, KP_LOOP, src);
  in->u.loop = *l;
  int idx = c->ninstr - 1;
  long bytes = ir_numel(&b->space) * (long)kp_dtype_size(l->dtype);
  int full = l->reduce == KP_MAP && out_off == 0 && c->vb[out_vb].kind == VB_TEMP &&
             c->vb[out_vb].bytes == bytes;
  for (int d = 0; full && d < l->rank; d++) {
    long acc = 1;
    for (int e = d + 1; e < l->rank; e++)
      acc *= l->shape[e];
    full = l->out.stride[d] == acc;
  }
  if (full) {
    c->vb[out_vb].def_instr = idx;
    c->vb[out_vb].def_loop = 1;
  }
  return idx;
}

/* Copies the value x (uniform or view), broadcast to `shape`, into a
 * contiguous region. */
static void copy_into(lower_ctx *c, const ir_node *x, const ir_shape *shape, int vb, long off_bytes,
                      const ir_node *src) {
  loop_b b;
  lb_init(&b, c, shape, kp_of(x->dtype), KP_MAP);
  lb_leaf(&b, x);
  long st[IR_MAX_RANK];
  rowmajor(shape, st);
  lb_finish(&b, vb, off_bytes, st, src);
}

kp_ref lower_materialize(lower_ctx *c, const ir_node *x, const ir_shape *shape) {
  int t = lower_temp(c, ir_numel(shape) * (long)ir_dtype_size(x->dtype));
  copy_into(c, x, shape, t, 0, x);
  return lower_vref(t, 0);
}

kp_ref lower_operand(lower_ctx *c, const ir_node *x) {
  const val *v = &c->val[x->id];
  if (v->kind == V_BUF && contiguous(v, &x->shape))
    return lower_vref(v->vb, v->off * (long)ir_dtype_size(x->dtype));
  assert(v->kind == V_BUF || v->kind == V_UNIFORM);
  return lower_materialize(c, x, &x->shape);
}

/* The value of a uniform node as a scalar. */
static kp_scalar uniform_scalar(const val *v) {
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
  const val *v = &c->val[x->id];
  kp_scalar s = {0};
  assert(x->shape.rank == 0);
  if (v->kind == V_UNIFORM) {
    s = uniform_scalar(v);
  } else {
    assert(v->kind == V_BUF);
    s.kind = KP_S_LOAD;
    s.ref = lower_vref(v->vb, v->off * (long)c->esize);
  }
  return s;
}

/* ---- node lowering ---------------------------------------------------------- */

/* Whether consumer u can compute its operand n inside its own loop: an
 * elementwise operation over as many elements (no recomputation under
 * broadcasting) or a reduction (its loop runs over n's elements). */
static int absorbs(const ir_node *u, const ir_node *n) {
  if (ir_op_kind(u->op) == IR_K_REDUCE)
    return 1;
  return ir_is_elementwise(u->op) && ir_numel(&u->shape) == ir_numel(&n->shape);
}

static void count_uses(lower_ctx *c, unsigned char *needed) {
  const ir_graph *g = c->g;
  for (int i = 0; i < g->noutputs; i++)
    needed[g->outputs[i].node->id] = 1;
  for (int i = 0; i < g->nassigns; i++)
    needed[g->assigns[i].node->id] = 1;
  for (int i = g->nnodes - 1; i >= 0; i--)
    if (needed[i])
      for (int j = 0; j < g->nodes[i]->nin; j++)
        needed[g->nodes[i]->in[j]->id] = 1;
  for (int i = 0; i < g->nnodes; i++) {
    c->user[i] = -1;
    c->absorbable[i] = 1;
  }
  for (int i = 0; i < g->nnodes; i++)
    if (needed[i])
      for (int j = 0; j < g->nodes[i]->nin; j++) {
        const ir_node *x = g->nodes[i]->in[j];
        c->user[x->id] = c->uses[x->id]++ ? -1 : i;
        c->absorbable[x->id] &= absorbs(g->nodes[i], x);
      }
  for (int i = 0; i < g->noutputs; i++) {
    c->uses[g->outputs[i].node->id] += 2;
    c->absorbable[g->outputs[i].node->id] = 0;
  }
  for (int i = 0; i < g->nassigns; i++) {
    c->uses[g->assigns[i].node->id] += 2;
    c->absorbable[g->assigns[i].node->id] = 0;
  }
}

/* Operations an elementwise node costs when computed inline, and the most
 * a node with several consumers may cost to be recomputed in each of their
 * loops instead of being stored once and loaded by each: a few arithmetic
 * operations are cheaper than the round trip through memory, a
 * transcendental function is not. */
enum { RECOMPUTE_MAX_COST = 8 };

static int op_cost(ir_op op) {
  switch (op) {
  case IR_EXP:
  case IR_LOG:
  case IR_TANH:
  case IR_SIGMOID:
  case IR_GELU:
  case IR_GELU_GRAD:
  case IR_POW:
    return RECOMPUTE_MAX_COST + 1;
  case IR_DIV:
  case IR_SQRT:
  case IR_RSQRT:
  case IR_RECIP:
    return 4;
  default:
    return 1;
  }
}

/* Computed inside its consumers' loops instead of stored: used once by a
 * loop that can absorb it, or by several such loops (or several times by
 * one) when its inline cost, including the operands computed inline with
 * it, is small. */
static int fusible(lower_ctx *c, const ir_node *n) {
  int cost = op_cost(n->op);
  for (int i = 0; i < n->nin; i++)
    if (c->val[n->in[i]->id].kind == V_INLINE)
      cost += c->inline_cost[n->in[i]->id];
  c->inline_cost[n->id] = cost;
  if (!c->absorbable[n->id] || c->uses[n->id] == 0)
    return 0;
  return c->uses[n->id] == 1 || cost <= RECOMPUTE_MAX_COST;
}

static void lower_map(lower_ctx *c, const ir_node *n) {
  set_own(c, n);
  loop_b b;
  lb_init(&b, c, &n->shape, c->real, KP_MAP);
  lb_value(&b, n, 1);
  lb_finish(&b, c->val[n->id].vb, 0, c->val[n->id].st, n);
}

static void lower_reduce(lower_ctx *c, const ir_node *n) {
  const ir_node *x = n->in[0];
  set_own(c, n);
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

static void lower_concat(lower_ctx *c, const ir_node *n) {
  set_own(c, n);
  const val *v = &c->val[n->id];
  int ax = n->attr.axis;
  long off = 0;
  for (int i = 0; i < n->nin; i++) {
    const ir_node *x = n->in[i];
    loop_b b;
    lb_init(&b, c, &x->shape, kp_of(n->dtype), KP_MAP);
    lb_leaf(&b, x);
    lb_finish(&b, v->vb, off * v->st[ax] * (long)ir_dtype_size(n->dtype), v->st, n);
    off += x->shape.d[ax];
  }
}

/* Shape operations become views when possible, else copies. */
static void lower_shape(lower_ctx *c, const ir_node *n) {
  if (n->op == IR_CONCAT) {
    lower_concat(c, n);
    return;
  }
  const ir_node *x = n->in[0];
  const val *xv = &c->val[x->id];
  val *v = &c->val[n->id];
  if (xv->kind == V_UNIFORM) {
    *v = *xv;
    return;
  }
  assert(xv->kind == V_BUF);
  *v = *xv;
  switch (n->op) {
  case IR_PERMUTE:
    for (int i = 0; i < n->shape.rank; i++)
      v->st[i] = xv->st[n->attr.perm[i]];
    return;
  case IR_BROADCAST:
    map_strides(&x->shape, xv->st, &n->shape, v->st);
    return;
  case IR_SLICE:
    v->off += n->attr.start * xv->st[n->attr.axis];
    return;
  case IR_RESHAPE:
    if (!contiguous(xv, &x->shape)) {
      /* copy x in its own element order; the copy is contiguous */
      v->vb = lower_materialize(c, x, &x->shape).input;
      v->off = 0;
    }
    rowmajor(&n->shape, v->st);
    return;
  default:
    assert(0);
  }
}

static void lower_leaf(lower_ctx *c, const ir_node *n) {
  val *v = &c->val[n->id];
  if (n->op == IR_CONST || n->op == IR_SCALAR) {
    v->kind = V_UNIFORM;
    v->leaf = n;
    v->scalar = n->op == IR_SCALAR ? n->attr.index : -1;
    return;
  }
  v->kind = V_BUF;
  v->vb = n->op == IR_TENSOR ? c->tensor_vb[n->attr.index] : c->input_vb[n->attr.index];
  v->off = 0;
  rowmajor(&n->shape, v->st);
}

/* An elementwise operation on uniform operands only: a derived scalar. */
static int all_uniform(const lower_ctx *c, const ir_node *n) {
  for (int i = 0; i < n->nin; i++)
    if (c->val[n->in[i]->id].kind != V_UNIFORM)
      return 0;
  return 1;
}

static int same_derived(const kp_derived *a, const kp_derived *b) {
  if (a->op != b->op || a->nargs != b->nargs)
    return 0;
  for (int k = 0; k < a->nargs; k++)
    if (a->arg[k].kind != b->arg[k].kind ||
        (a->arg[k].kind == KP_S_IMM ? memcmp(&a->arg[k].imm, &b->arg[k].imm, sizeof(double))
                                    : a->arg[k].index != b->arg[k].index))
      return 0;
  return 1;
}

/* n as a derived scalar; one that repeats an earlier one shares its slot. */
static void lower_derived(lower_ctx *c, const ir_node *n) {
  if (c->nderived == c->dcap) {
    c->dcap = c->dcap ? 2 * c->dcap : 16;
    c->derived = realloc(c->derived, (size_t)c->dcap * sizeof *c->derived);
    if (!c->derived)
      abort();
  }
  kp_derived *d = &c->derived[c->nderived];
  memset(d, 0, sizeof *d);
  d->op = eop_of(n->op);
  d->nargs = n->nin;
  for (int i = 0; i < n->nin; i++)
    d->arg[i] = uniform_scalar(&c->val[n->in[i]->id]);
  int slot = 0;
  while (!same_derived(&c->derived[slot], d))
    slot++;
  c->nderived += slot == c->nderived;
  val *v = &c->val[n->id];
  v->kind = V_UNIFORM;
  v->leaf = n;
  v->scalar = c->prog->nscalars + slot;
}

static int lower_node(lower_ctx *c, const ir_node *n) {
  switch (ir_op_kind(n->op)) {
  case IR_K_LEAF:
    lower_leaf(c, n);
    return 0;
  case IR_K_UNARY:
  case IR_K_BINARY:
  case IR_K_SELECT:
    if (all_uniform(c, n))
      lower_derived(c, n);
    else if (fusible(c, n))
      c->val[n->id].kind = V_INLINE;
    else
      lower_map(c, n);
    return 0;
  case IR_K_REDUCE:
    lower_reduce(c, n);
    return 0;
  case IR_K_SHAPE:
    lower_shape(c, n);
    return 0;
  case IR_K_CALL:
    set_own(c, n);
    if (lower_call(c, n) < 0)
      return -1;
    c->vb[c->val[n->id].vb].def_instr = c->ninstr - 1;
    return 0;
  case IR_K_TUPLE:
    c->val[n->id].kind = V_TUPLE;
    for (int i = 0; i < ir_op_nparts(n->op); i++)
      set_own(c, ir_part(c->g, n, i));
    if (lower_call(c, n) < 0)
      return -1;
    for (int i = 0; i < ir_op_nparts(n->op); i++)
      c->vb[c->val[ir_part(c->g, n, i)->id].vb].def_instr = c->ninstr - 1;
    return 0;
  case IR_K_PART:
    return 0;
  }
  return lower_fail(c, "unknown operation kind");
}

/* ---- outputs and assignments ------------------------------------------------ */

static void lower_outputs(lower_ctx *c) {
  for (int i = 0; i < c->g->noutputs; i++) {
    kp_instr *in = lower_emit(c, KP_OUTPUT, NULL);
    in->u.out.index = i;
    in->u.out.value = lower_scalar(c, c->g->outputs[i].node);
  }
}

/* The assignments take effect together: values still in a persistent tensor
 * are first copied to temporaries, then everything is written back. Write-
 * backs that lower_plan() can replace by computing in place are KP_COPYs. */
static void lower_assigns(lower_ctx *c) {
  const ir_graph *g = c->g;
  int n = g->nassigns;
  int *src = malloc((size_t)(n ? n : 1) * sizeof *src); /* contiguous source vbuf */
  long *srcoff = malloc((size_t)(n ? n : 1) * sizeof *srcoff);
  if (!src || !srcoff)
    abort();
  for (int i = 0; i < n; i++) {
    const ir_node *x = g->assigns[i].node;
    const val *v = &c->val[x->id];
    int tvb = c->tensor_vb[g->assigns[i].tensor];
    src[i] = -1;
    if (v->kind != V_BUF)
      continue;
    if (c->vb[v->vb].kind == VB_TENSOR) {
      if (v->vb == tvb && v->off == 0 && contiguous(v, &x->shape)) {
        src[i] = -2; /* unchanged */
        continue;
      }
      src[i] = lower_materialize(c, x, &x->shape).input;
      srcoff[i] = 0;
    } else if (contiguous(v, &x->shape)) {
      src[i] = v->vb;
      srcoff[i] = v->off * (long)c->esize;
    }
  }
  for (int i = 0; i < n; i++) {
    const ir_node *x = g->assigns[i].node;
    int tvb = c->tensor_vb[g->assigns[i].tensor];
    if (src[i] == -2)
      continue;
    if (src[i] >= 0) {
      kp_instr *in = lower_emit(c, KP_COPY, NULL);
      in->u.copy.dst = lower_vref(tvb, 0);
      in->u.copy.src = lower_vref(src[i], srcoff[i]);
      in->u.copy.bytes = ir_numel(&x->shape) * (long)c->esize;
    } else {
      copy_into(c, x, &x->shape, tvb, 0, x);
    }
    char what[256];
    snprintf(what, sizeof what, "assign %s", c->prog->tensors[g->assigns[i].tensor].name);
    c->ins[c->ninstr - 1].what = ir_pool_strdup(c->pool, what);
    c->wb_target[c->ninstr - 1] = tvb;
  }
  free(src);
  free(srcoff);
}

/* ---- programs ---------------------------------------------------------------- */

static long align64(long x) { return (x + 63) & ~63L; }

static int lower_entry(kp_program *kp, const ir_program *p, const ir_graph *g, kp_entry *e,
                       char *err, size_t errlen) {
  lower_ctx c = {0};
  c.prog = p;
  c.g = g;
  c.kp = kp;
  c.pool = kp->pool;
  c.real = kp->real;
  c.esize = kp_dtype_size(kp->real);
  c.err = err;
  c.errlen = errlen;
  int nn = g->nnodes;
  c.tensor_vb = malloc((size_t)(p->ntensors + 1) * sizeof(int));
  c.input_vb = malloc((size_t)(p->ninputs + 1) * sizeof(int));
  c.val = calloc((size_t)nn + 1, sizeof *c.val);
  c.uses = calloc((size_t)nn + 1, sizeof(int));
  c.user = calloc((size_t)nn + 1, sizeof(int));
  c.absorbable = calloc((size_t)nn + 1, 1);
  c.inline_cost = calloc((size_t)nn + 1, sizeof(int));
  unsigned char *needed = calloc((size_t)nn + 1, 1);
  if (!c.tensor_vb || !c.input_vb || !c.val || !c.uses || !c.user || !c.absorbable ||
      !c.inline_cost || !needed)
    abort();
  for (int i = 0; i < p->ntensors; i++)
    c.tensor_vb[i] = new_vbuf(&c, VB_TENSOR, i, 0);
  for (int i = 0; i < p->ninputs; i++)
    c.input_vb[i] = new_vbuf(&c, VB_INPUT, i, 0);
  count_uses(&c, needed);
  int rc = 0;
  for (int i = 0; i < nn && rc == 0; i++) {
    for (int k = 0; k < 2; k++)
      if (g->phase_nodes[k] && i == g->phase_nodes[k])
        c.phase[k] = c.ninstr;
    if (needed[i])
      rc = lower_node(&c, g->nodes[i]);
  }
  if (rc == 0) {
    lower_outputs(&c);
    lower_assigns(&c);
    e->name = ir_pool_strdup(kp->pool, g->name);
    e->noutputs = g->noutputs;
    e->outputs = ir_pool_alloc(kp->pool, (size_t)(g->noutputs + 1) * sizeof(char *));
    for (int i = 0; i < g->noutputs; i++)
      e->outputs[i] = ir_pool_strdup(kp->pool, g->outputs[i].name);
    e->nderived = c.nderived;
    e->derived = ir_pool_alloc(kp->pool, (size_t)(c.nderived + 1) * sizeof *e->derived);
    if (c.nderived)
      memcpy(e->derived, c.derived, (size_t)c.nderived * sizeof *e->derived);
    rc = lower_plan(&c, e);
  }
  free(needed);
  free(c.tensor_vb);
  free(c.input_vb);
  free(c.val);
  free(c.uses);
  free(c.user);
  free(c.absorbable);
  free(c.inline_cost);
  free(c.vb);
  free(c.ins);
  free(c.wb_target);
  free(c.derived);
  return rc;
}

static void lower_decls(kp_program *kp, const ir_program *p) {
  long off = 0;
  kp->ntensors = p->ntensors;
  kp->tensors = ir_pool_alloc(kp->pool, (size_t)(p->ntensors + 1) * sizeof *kp->tensors);
  for (int i = 0; i < p->ntensors; i++) {
    const ir_tensor_decl *t = &p->tensors[i];
    kp_tensor *k = &kp->tensors[i];
    k->name = ir_pool_strdup(kp->pool, t->name);
    k->is_param = t->kind == IR_PARAM;
    k->rank = t->shape.rank;
    memcpy(k->shape, t->shape.d, sizeof k->shape);
    k->count = ir_numel(&t->shape);
    k->off = off;
    off = align64(off + k->count * (long)kp_dtype_size(kp->real));
  }
  kp->persistent_bytes = off;
  kp->ninputs = p->ninputs;
  kp->inputs = ir_pool_alloc(kp->pool, (size_t)(p->ninputs + 1) * sizeof *kp->inputs);
  for (int i = 0; i < p->ninputs; i++) {
    kp_input *k = &kp->inputs[i];
    k->name = ir_pool_strdup(kp->pool, p->inputs[i].name);
    k->dtype = kp_of(p->inputs[i].dtype);
    k->rank = p->inputs[i].shape.rank;
    memcpy(k->shape, p->inputs[i].shape.d, sizeof k->shape);
  }
  kp->nscalars = p->nscalars;
  kp->scalars = ir_pool_alloc(kp->pool, (size_t)(p->nscalars + 1) * sizeof(char *));
  for (int i = 0; i < p->nscalars; i++)
    kp->scalars[i] = ir_pool_strdup(kp->pool, p->scalars[i]);
}

kp_program *lower_program(const ir_program *p, char *err, size_t errlen) {
  for (int i = 0; i < p->nentries; i++)
    if (ir_verify(p->entries[i]) < 0) {
      snprintf(err, errlen, "entry '%s': %s", p->entries[i]->name, p->entries[i]->err);
      return NULL;
    }
  kp_program *kp = calloc(1, sizeof *kp);
  if (!kp)
    abort();
  kp->pool = ir_pool_new();
  kp->real = kp_of(p->real);
  lower_decls(kp, p);
  kp->nentries = p->nentries;
  kp->entries = ir_pool_alloc(kp->pool, (size_t)(p->nentries + 1) * sizeof *kp->entries);
  long temps = 0;
  for (int i = 0; i < p->nentries; i++) {
    if (lower_entry(kp, p, p->entries[i], &kp->entries[i], err, errlen) < 0) {
      kp_free(kp);
      return NULL;
    }
    if (kp->entries[i].temp_bytes > temps)
      temps = kp->entries[i].temp_bytes;
  }
  kp->arena_bytes = kp->persistent_bytes + temps;
  return kp;
}
