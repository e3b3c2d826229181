/*
 * lower_call.c - lowering of the IR operations that run in the runtime
 * (rt_kernels.h): the operation's registry entry names the kernel and its C
 * parameter list, and each parameter is passed by name (ops.h, RUNTIME
 * CALLS): operand and result buffers, scalars, dimensions of the declared
 * layouts, attributes, constants and a workspace sized by the kernel's *_ws
 * function; operands and results the kernel takes as strided views, with
 * their strides, and the layout of such results. GEMM's batch strides (and
 * operands broadcast over part of the batch, materialized) are the one
 * binding computed here (bind_gemm).
 */
#include "lower_int.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include "ops.h"

enum { MAX_BINDINGS = 64 };

/* Names bound to argument values for one call. */
typedef struct binder {
  lower_ctx *c;
  const ir_node *n;
  const op_def *d;
  int np;
  ops_param p[OPS_MAX_CPARAMS]; /* the kernel's parameters */
  int nb;
  struct {
    const char *name; /* the registry's layout strings or static names */
    int len;
    const ir_node *operand, *result; /* passed as its buffer or its value */
    kp_arg arg; /* else the value (LONG for integers, converted to the type); a strided operand's
                   view (PTR) */
  } b[MAX_BINDINGS];
  int too_big; /* an int argument overflowed */
} binder;

static int find(binder *b, const char *name, int len) {
  for (int i = 0; i < b->nb; i++)
    if (b->b[i].len == len && strncmp(b->b[i].name, name, (size_t)len) == 0)
      return i;
  return -1;
}

static void bind_node(binder *b, const char *name, int len, kp_arg arg, const ir_node *operand,
                      const ir_node *result) {
  assert(b->nb < MAX_BINDINGS && find(b, name, len) < 0);
  b->b[b->nb].name = name;
  b->b[b->nb].len = len;
  b->b[b->nb].operand = operand;
  b->b[b->nb].result = result;
  b->b[b->nb++].arg = arg;
}

static void bind(binder *b, const char *name, int len, kp_arg arg) {
  bind_node(b, name, len, arg, NULL, NULL);
}

static kp_arg long_arg(long v) { return (kp_arg){.kind = KP_A_LONG, .ival = v}; }
static kp_arg ptr_arg(kp_ref r) { return (kp_arg){.kind = KP_A_PTR, .ref = r}; }
static kp_arg real_arg(kp_scalar s) { return (kp_arg){.kind = KP_A_REAL, .val = s}; }
static kp_arg imm_arg(double v) { return real_arg((kp_scalar){KP_S_IMM, v, 0, {0}}); }

/* Binds the dimension names of a layout "x[..rows, cols]" to shape s: a
 * name after ".." is the product of the leading axes. Returns the length of
 * the operand's name. */
static int bind_layout(binder *b, const char *layout, const ir_shape *s) {
  const char *br = strchr(layout, '[');
  int namelen = br ? (int)(br - layout) : (int)strlen(layout);
  if (!br)
    return namelen;
  int ndims = 1;
  for (const char *p = br; *p != ']'; p++)
    ndims += *p == ',';
  const char *p = br + 1;
  for (int i = 0, axis = 0; i < ndims; i++) {
    while (*p == ' ')
      p++;
    int lead = p[0] == '.' && p[1] == '.';
    p += lead ? 2 : 0;
    const char *name = p;
    while (*p != ',' && *p != ']')
      p++;
    long v = 1;
    int naxes = lead ? s->rank - (ndims - 1) : 1;
    assert(naxes >= 0 && axis + naxes <= s->rank);
    for (int k = 0; k < naxes; k++)
      v *= s->d[axis++];
    int old = find(b, name, (int)(p - name));
    assert(old < 0 || b->b[old].arg.ival == v); /* the shape rule checked the layouts */
    if (old < 0)
      bind(b, name, (int)(p - name), long_arg(v));
    p++;
  }
  return namelen;
}

/* Whether the kernel takes the operand or result of `layout` as a strided
 * view: it has a stride parameter for it. */
static int takes_view(const ops_param *p, int np, const char *layout) {
  for (int j = 0; j < np; j++)
    if (ops_stride_axis(p[j].name, layout) >= 0)
      return 1;
  return 0;
}

/* Binds the stride parameters of `layout` to the element strides st. */
static void bind_strides(binder *b, const char *layout, const long *st) {
  for (int j = 0; j < b->np; j++) {
    int axis = ops_stride_axis(b->p[j].name, layout);
    if (axis >= 0)
      bind(b, b->p[j].name, (int)strlen(b->p[j].name), long_arg(st[axis]));
  }
}

/* An operand the kernel takes as a strided view: its view when its last
 * axis is contiguous, else a row-major copy. */
static void bind_view(binder *b, const char *layout, int len, const ir_node *x) {
  lower_ctx *c = b->c;
  const val *v = &c->val[x->id];
  int r = x->shape.rank;
  kp_ref ref;
  long st[IR_MAX_RANK];
  if (v->kind == V_BUF && (v->st[r - 1] == 1 || x->shape.d[r - 1] == 1)) {
    ref = lower_vref(v->vb, v->off * (long)ir_dtype_size(x->dtype));
    memcpy(st, v->st, sizeof st);
  } else {
    ref = lower_materialize(c, x, &x->shape);
    lower_rowmajor(&x->shape, st);
  }
  bind_node(b, layout, len, ptr_arg(ref), NULL, NULL);
  bind_strides(b, layout, st);
}

/* The operands, results and their dimensions (operands and results are
 * lowered when passed, in parameter order; strided operands here). */
static void bind_operands(binder *b) {
  const op_def *d = b->d;
  const ir_node *n = b->n;
  kp_arg none = {0};
  for (int i = 0; i < n->nin && d->in[i]; i++) {
    int len = bind_layout(b, d->in[i], &n->in[i]->shape);
    if (find(b, d->in[i], len) >= 0) /* bound by bind_gemm */
      continue;
    if (takes_view(b->p, b->np, d->in[i]))
      bind_view(b, d->in[i], len, n->in[i]);
    else
      bind_node(b, d->in[i], len, none, n->in[i], NULL);
  }
  for (int i = 0; i < OPS_MAX_OUT && d->out[i]; i++) {
    const ir_node *r = d->nparts ? ir_part(b->c->g, n, i) : n;
    bind_node(b, d->out[i], bind_layout(b, d->out[i], &r->shape), none, NULL, r);
    bind_strides(b, d->out[i], b->c->val[r->id].st);
  }
}

void lower_call_results(lower_ctx *c, const ir_node *n) {
  const op_def *d = ops_def(n->op);
  ops_param p[OPS_MAX_CPARAMS];
  int np = d->call.name ? ops_parse_params(d->call.params, p) : 0;
  for (int i = 0; i < (d->nparts ? d->nparts : 1); i++) {
    const ir_node *r = d->nparts ? ir_part(c->g, n, i) : n;
    lower_set_own(c, r);
    int u = c->user[r->id], rank = r->shape.rank;
    const ir_node *perm = u >= 0 ? c->g->nodes[u] : NULL;
    if (!d->out[i] || !perm || perm->op != IR_PERMUTE || perm->attr.perm[rank - 1] != rank - 1 ||
        !takes_view(p, np, d->out[i]))
      continue;
    long rs[IR_MAX_RANK];
    lower_rowmajor(&perm->shape, rs);
    for (int k = 0; k < rank; k++)
      c->val[r->id].st[perm->attr.perm[k]] = rs[k];
  }
}

/* Batch stride of a matmul operand: 0 for one matrix, else its matrix size;
 * an operand broadcast over only some batch dimensions is materialized. */
static kp_ref gemm_operand(lower_ctx *c, const ir_node *x, const ir_shape *batch, long *stride) {
  ir_shape xb = ir_shape_of(x->shape.rank - 2, x->shape.d);
  long mat = x->shape.d[x->shape.rank - 1] * x->shape.d[x->shape.rank - 2];
  if (ir_numel(&xb) == 1) {
    *stride = 0;
    return lower_operand(c, x);
  }
  *stride = mat;
  if (ir_numel(&xb) == ir_numel(batch))
    return lower_operand(c, x);
  ir_shape full = *batch;
  full.d[full.rank++] = x->shape.d[x->shape.rank - 2];
  full.d[full.rank++] = x->shape.d[x->shape.rank - 1];
  return lower_materialize(c, x, &full);
}

/* rt_gemm's operands, sizes and batch strides; [batch, m, k] @ [k, n] is
 * one GEMM of batch * m rows. */
static void bind_gemm(binder *b) {
  const ir_node *n = b->n, *A = n->in[0], *B = n->in[1];
  int ta = n->attr.trans_a, tb = n->attr.trans_b, r = n->shape.rank;
  long m = n->shape.d[r - 2], nn = n->shape.d[r - 1];
  long k = A->shape.d[A->shape.rank - (ta ? 2 : 1)];
  ir_shape batch = ir_shape_of(r - 2, n->shape.d);
  long nb = ir_numel(&batch), sa, sb, sc = m * nn;
  kp_ref ra = gemm_operand(b->c, A, &batch, &sa);
  kp_ref rb = gemm_operand(b->c, B, &batch, &sb);
  if (nb > 1 && sb == 0 && !ta) {
    m *= nb;
    nb = 1;
    sa = 0;
    sc = m * nn;
  }
  static const char *names[] = {"ta", "tb", "m", "n", "k", "sa", "sb", "sc", "batch"};
  long vals[] = {ta, tb, m, nn, k, sa, sb, sc, nb};
  for (int i = 0; i < 9; i++)
    bind(b, names[i], (int)strlen(names[i]), long_arg(vals[i]));
  bind(b, "A", 1, ptr_arg(ra));
  bind(b, "B", 1, ptr_arg(rb));
}

/* The attributes and constants the registry names. */
static void bind_attrs(binder *b) {
  for (int i = 0; i < OPS_MAX_ATTRS && b->d->attrs[i].name; i++) {
    const ops_attr *at = &b->d->attrs[i];
    if (find(b, at->name, (int)strlen(at->name)) >= 0)
      continue; /* also a layout dimension (one_hot's n, topk's k) */
    double v = ops_attr_value(&b->n->attr, at->field);
    kp_arg arg =
        at->field == OPS_F_VALUE || at->field == OPS_F_VALUE2 ? imm_arg(v) : long_arg((long)v);
    bind(b, at->name, (int)strlen(at->name), arg);
  }
  for (int i = 0; i < 2 && b->d->consts[i].name; i++)
    bind(b, b->d->consts[i].name, (int)strlen(b->d->consts[i].name),
         imm_arg(b->d->consts[i].value));
}

/* The value bound to p's name as an argument of p's C type: an operand's
 * buffer or (rank 0, passed as a number) value, a result's buffer, or a
 * bound value converted. */
static int convert(binder *b, const ops_param *p, kp_arg *out) {
  int i = find(b, p->name, (int)strlen(p->name));
  if (i < 0)
    return lower_fail(b->c, "%s: no value for parameter '%s' of %s", b->d->name, p->name,
                      b->d->call.name);
  if (b->b[i].result) {
    assert(p->ctype == OPS_C_PTR);
    *out = ptr_arg(lower_own(b->c, b->b[i].result));
    return 0;
  }
  if (b->b[i].operand) {
    const ir_node *x = b->b[i].operand;
    if (p->ctype == OPS_C_PTR) {
      *out = ptr_arg(lower_operand(b->c, x));
      return 0;
    }
    assert(x->shape.rank == 0 && (p->ctype == OPS_C_REAL || p->ctype == OPS_C_U64));
    *out = real_arg(lower_scalar(b->c, x));
    out->kind = p->ctype == OPS_C_REAL ? KP_A_REAL : KP_A_U64;
    return 0;
  }
  const kp_arg *v = &b->b[i].arg;
  *out = *v;
  switch (p->ctype) {
  case OPS_C_PTR:
    assert(v->kind == KP_A_PTR);
    return 0;
  case OPS_C_INT:
    assert(v->kind == KP_A_LONG);
    b->too_big |= v->ival > INT_MAX || v->ival < INT_MIN;
    out->kind = KP_A_INT;
    return 0;
  case OPS_C_LONG:
  case OPS_C_SIZE:
    assert(v->kind == KP_A_LONG);
    out->kind = p->ctype == OPS_C_LONG ? KP_A_LONG : KP_A_SIZE;
    return 0;
  case OPS_C_REAL:
  case OPS_C_U64:
    if (v->kind == KP_A_LONG)
      *out = imm_arg((double)v->ival);
    assert(out->kind == KP_A_REAL);
    out->kind = p->ctype == OPS_C_REAL ? KP_A_REAL : KP_A_U64;
    return 0;
  }
  return -1;
}

/* Calls the workspace-size kernel (int parameters only) for the program's
 * dtype. */
static size_t ws_size(binder *b) {
  const ops_rt *ws = &b->d->ws;
  ops_param p[OPS_MAX_CPARAMS];
  int np = ops_parse_params(ws->params, p);
  int v[9];
  assert(np >= 1 && np <= 9);
  for (int i = 0; i < np; i++) {
    kp_arg a;
    assert(p[i].ctype == OPS_C_INT);
    if (convert(b, &p[i], &a) < 0)
      return 0;
    v[i] = (int)a.ival;
  }
  ops_fnptr f = b->c->real == KP_F64 ? ws->f64 : ws->f32;
  typedef size_t (*ws1)(int);
  typedef size_t (*ws2)(int, int);
  typedef size_t (*ws3)(int, int, int);
  typedef size_t (*ws4)(int, int, int, int);
  typedef size_t (*ws5)(int, int, int, int, int);
  typedef size_t (*ws9)(int, int, int, int, int, int, int, int, int);
  switch (np) {
  case 1:
    return ((ws1)f)(v[0]);
  case 2:
    return ((ws2)f)(v[0], v[1]);
  case 3:
    return ((ws3)f)(v[0], v[1], v[2]);
  case 4:
    return ((ws4)f)(v[0], v[1], v[2], v[3]);
  case 5:
    return ((ws5)f)(v[0], v[1], v[2], v[3], v[4]);
  case 9:
    return ((ws9)f)(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
  default:
    assert(0);
    return 0;
  }
}

int lower_call(lower_ctx *c, const ir_node *n) {
  binder b = {0};
  b.c = c;
  b.n = n;
  b.d = ops_def(n->op);
  if (!b.d->call.name)
    return lower_fail(c, "no lowering for %s", b.d->name);
  b.np = ops_parse_params(b.d->call.params, b.p);
  assert(b.np >= 0);
  if (n->op == IR_MATMUL)
    bind_gemm(&b);
  bind_operands(&b);
  bind_attrs(&b);
  const ops_param *p = b.p;
  int np = b.np;
  kp_arg args[OPS_MAX_CPARAMS];
  for (int i = 0; i < np; i++) {
    if (strcmp(p[i].name, "ws") == 0) {
      size_t elems = ws_size(&b);
      int t = lower_temp(c, (long)(elems ? elems : 1) * (long)c->esize);
      args[i] = ptr_arg(lower_vref(t, 0));
    } else if (convert(&b, &p[i], &args[i]) < 0) {
      return -1;
    }
  }
  if (b.too_big)
    return lower_fail(c, "%s: a dimension exceeds the runtime's int range", b.d->name);
  kp_instr *in = lower_emit(c, KP_CALL, n);
  kp_call *k = &in->u.call;
  k->fn = lower_fn_name(c, b.d->call.name);
  k->nargs = np;
  k->args = ir_pool_alloc(c->pool, (size_t)(np ? np : 1) * sizeof(kp_arg));
  memcpy(k->args, args, (size_t)np * sizeof(kp_arg));
  if (strcmp(b.d->call.ret, "long") == 0) {
    k->has_ret = 1;
    k->ret = lower_own(c, n);
  }
  return 0;
}
