/*
 * lower.c - lowering of IR programs to kernel programs: lays out the
 * persistent tensors, gives every node its value (uniform scalar, fused into
 * its consumers' loops as lower_fuse.c decides, strided view, own buffer),
 * turns operations on scalars alone into derived scalars (evaluated in
 * double), puts the instructions of a guarded region between KP_IF and
 * KP_END, and appends the outputs and the simultaneous write-back of
 * assignments. Loops are built by lower_loop.c, runtime calls by
 * lower_call.c, the arena by lower_plan.c.
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

kp_dtype lower_dtype(ir_dtype t) { return t == IR_F64 ? KP_F64 : t == IR_I32 ? KP_I32 : KP_F32; }

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

static kp_instr *append(lower_ctx *c, kp_kind kind, const ir_node *src) {
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

/* Closes the open KP_IFs of regions that do not enclose c->region, then
 * opens those from the innermost open one down to c->region. */
static void sync_regions(lower_ctx *c) {
  const ir_graph *g = c->g;
  while (!ir_region_within(g, c->region, c->open)) {
    append(c, KP_END, NULL);
    c->open = ir_region_of(g, c->open)->parent;
  }
  while (c->open != c->region) {
    int r = c->region;
    while (ir_region_of(g, r)->parent != c->open)
      r = ir_region_of(g, r)->parent;
    const ir_region *rg = ir_region_of(g, r);
    kp_scalar cond = lower_scalar(c, rg->cond);
    kp_instr *in = append(c, KP_IF, rg->cond);
    in->u.cond.cond = cond;
    in->u.cond.negate = rg->negate;
    c->open = r;
  }
}

kp_instr *lower_emit(lower_ctx *c, kp_kind kind, const ir_node *src) {
  sync_regions(c);
  return append(c, kind, src);
}

char *lower_fn_name(lower_ctx *c, const char *base) {
  char buf[96];
  snprintf(buf, sizeof buf, "%s%s", base, c->real == KP_F64 ? "_f64" : "_f32");
  return ir_pool_strdup(c->pool, buf);
}

/* ---- node lowering ---------------------------------------------------------- */

/* Shape operations become views when possible, else copies. */
static void lower_shape(lower_ctx *c, const ir_node *n) {
  if (n->op == IR_CONCAT) {
    lower_concat_loop(c, n);
    return;
  }
  const ir_node *x = n->in[0];
  lower_flush(c, x);
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
    lower_map_strides(&x->shape, xv->st, &n->shape, v->st);
    return;
  case IR_SLICE:
    v->off += n->attr.start * xv->st[n->attr.axis];
    return;
  case IR_RESHAPE:
    if (!lower_contiguous(xv, &x->shape)) {
      /* copy x in its own element order; the copy is contiguous */
      v->vb = lower_materialize(c, x, &x->shape).input;
      v->off = 0;
    }
    lower_rowmajor(&n->shape, v->st);
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
  lower_rowmajor(&n->shape, v->st);
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
  d->op = lower_eop(n->op);
  d->nargs = n->nin;
  for (int i = 0; i < n->nin; i++)
    d->arg[i] = lower_uniform_scalar(&c->val[n->in[i]->id]);
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
    if (lower_all_uniform(c, n))
      lower_derived(c, n);
    else if (lower_fusible(c, n))
      c->val[n->id].kind = V_INLINE;
    else if (lower_deferred(c, n))
      c->val[n->id].kind = V_PENDING;
    else
      lower_map_loop(c, n);
    return 0;
  case IR_K_REDUCE:
    lower_reduce_loop(c, n);
    return 0;
  case IR_K_SHAPE:
    lower_shape(c, n);
    return 0;
  case IR_K_CALL:
    lower_call_results(c, n);
    if (lower_call(c, n) < 0)
      return -1;
    c->vb[c->val[n->id].vb].def_instr = c->ninstr - 1;
    return 0;
  case IR_K_TUPLE:
    lower_call_results(c, n);
    c->val[n->id].kind = V_TUPLE;
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
  for (int i = 0; i < n; i++)
    lower_flush(c, g->assigns[i].node);
  for (int i = 0; i < n; i++) {
    const ir_node *x = g->assigns[i].node;
    const val *v = &c->val[x->id];
    int tvb = c->tensor_vb[g->assigns[i].tensor];
    src[i] = -1;
    if (v->kind != V_BUF)
      continue;
    if (c->vb[v->vb].kind == VB_TENSOR) {
      if (v->vb == tvb && v->off == 0 && lower_contiguous(v, &x->shape)) {
        src[i] = -2; /* unchanged */
        continue;
      }
      src[i] = lower_materialize(c, x, &x->shape).input;
      srcoff[i] = 0;
    } else if (lower_contiguous(v, &x->shape)) {
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
      lower_copy_into(c, x, &x->shape, tvb, 0, x);
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
  c.inline_loads = calloc((size_t)nn + 1, sizeof(int));
  c.deferrable = calloc((size_t)nn + 1, 1);
  unsigned char *needed = calloc((size_t)nn + 1, 1);
  if (!c.tensor_vb || !c.input_vb || !c.val || !c.uses || !c.user || !c.absorbable ||
      !c.inline_cost || !c.inline_loads || !c.deferrable || !needed)
    abort();
  for (int i = 0; i < p->ntensors; i++)
    c.tensor_vb[i] = new_vbuf(&c, VB_TENSOR, i, 0);
  for (int i = 0; i < p->ninputs; i++)
    c.input_vb[i] = new_vbuf(&c, VB_INPUT, i, 0);
  lower_count_uses(&c, needed);
  int rc = 0;
  for (int i = 0; i < nn && rc == 0; i++) {
    for (int k = 0; k < 2; k++)
      if (g->phase_nodes[k] && i == g->phase_nodes[k])
        c.phase[k] = c.ninstr;
    c.region = g->nodes[i]->region;
    if (needed[i] && g->nodes[i]->op == IR_TENSOR && p->tensors[g->nodes[i]->attr.index].elsewhere)
      rc = lower_fail(&c, "entry '%s' reads '%s', which another rank keeps", g->name,
                      p->tensors[g->nodes[i]->attr.index].name);
    else if (needed[i])
      rc = lower_node(&c, g->nodes[i]);
  }
  c.region = 0;
  sync_regions(&c);
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
  free(c.inline_loads);
  free(c.deferrable);
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
    k->is_grad = t->kind == IR_GRAD;
    k->rank = t->shape.rank;
    memcpy(k->shape, t->shape.d, sizeof k->shape);
    k->count = ir_numel(&t->shape);
    k->off = t->elsewhere ? -1 : off;
    if (!t->elsewhere)
      off = align64(off + k->count * (long)kp_dtype_size(kp->real));
  }
  kp->persistent_bytes = off;
  kp->ninputs = p->ninputs;
  kp->inputs = ir_pool_alloc(kp->pool, (size_t)(p->ninputs + 1) * sizeof *kp->inputs);
  for (int i = 0; i < p->ninputs; i++) {
    kp_input *k = &kp->inputs[i];
    k->name = ir_pool_strdup(kp->pool, p->inputs[i].name);
    k->dtype = lower_dtype(p->inputs[i].dtype);
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
  kp->real = lower_dtype(p->real);
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
