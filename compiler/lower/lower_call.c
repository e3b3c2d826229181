/*
 * lower_call.c - lowering of the IR operations that run in the runtime
 * (rt_kernels.h): GEMM with batch strides, convolution, pooling, losses,
 * normalization, attention, rope, embedding, orthogonalization and random
 * initializers. Workspaces are temporaries sized by the runtime's *_ws().
 */
#include "lower_int.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include "rt_kernels.h"

#define CALL_MAX_ARGS 24

/* Workspace size in elements from the runtime, for the program's dtype. */
#define WS(c, fn, ...) ((c)->real == KP_F64 ? fn##_f64(__VA_ARGS__) : fn##_f32(__VA_ARGS__))

typedef struct call_b {
  lower_ctx *c;
  int n;
  kp_arg a[CALL_MAX_ARGS];
  int too_big; /* an int argument overflowed */
} call_b;

static kp_arg *next(call_b *b, kp_arg_kind kind) {
  assert(b->n < CALL_MAX_ARGS);
  kp_arg *a = &b->a[b->n++];
  memset(a, 0, sizeof *a);
  a->kind = kind;
  return a;
}

static void a_ptr(call_b *b, kp_ref r) { next(b, KP_A_PTR)->ref = r; }
static void a_long(call_b *b, long v) { next(b, KP_A_LONG)->ival = v; }
static void a_size(call_b *b, long v) { next(b, KP_A_SIZE)->ival = v; }
static void a_real(call_b *b, kp_scalar s) { next(b, KP_A_REAL)->val = s; }
static void a_u64(call_b *b, kp_scalar s) { next(b, KP_A_U64)->val = s; }

static void a_int(call_b *b, long v) {
  b->too_big |= v > INT_MAX || v < INT_MIN;
  next(b, KP_A_INT)->ival = v;
}

static void a_imm(call_b *b, double v) {
  kp_scalar s = {KP_S_IMM, v, 0, {0}};
  a_real(b, s);
}

static void a_ints(call_b *b, int n, const long *v) {
  for (int i = 0; i < n; i++)
    a_int(b, v[i]);
}

/* A workspace temporary of `elems` reals. */
static void a_ws(call_b *b, size_t elems) {
  int t = lower_temp(b->c, (long)(elems ? elems : 1) * (long)b->c->esize);
  a_ptr(b, lower_vref(t, 0));
}

static kp_call *finish(call_b *b, const char *base, const ir_node *src) {
  lower_ctx *c = b->c;
  kp_instr *in = lower_emit(c, KP_CALL, src);
  in->u.call.fn = lower_fn_name(c, base);
  in->u.call.nargs = b->n;
  in->u.call.args = ir_pool_alloc(c->pool, (size_t)b->n * sizeof(kp_arg));
  memcpy(in->u.call.args, b->a, (size_t)b->n * sizeof(kp_arg));
  return &in->u.call;
}

static kp_ref own(call_b *b, const ir_node *n) { return lower_own(b->c, n); }
static kp_ref opnd(call_b *b, const ir_node *x) { return lower_operand(b->c, x); }
static kp_ref part(call_b *b, const ir_node *t, int i) { return own(b, ir_part(b->c->g, t, i)); }

/* ---- GEMM ------------------------------------------------------------------- */

/* Batch stride of a matmul operand: 0 for one matrix, else its matrix size;
 * an operand broadcast over only some batch dimensions is materialized. */
static kp_ref gemm_operand(call_b *b, const ir_node *x, const ir_shape *batch, long *stride) {
  ir_shape xb = ir_shape_of(x->shape.rank - 2, x->shape.d);
  long mat = x->shape.d[x->shape.rank - 1] * x->shape.d[x->shape.rank - 2];
  if (ir_numel(&xb) == 1) {
    *stride = 0;
    return opnd(b, x);
  }
  *stride = mat;
  if (ir_numel(&xb) == ir_numel(batch))
    return opnd(b, x);
  /* broadcast x to the full batch */
  ir_shape full = *batch;
  full.d[full.rank++] = x->shape.d[x->shape.rank - 2];
  full.d[full.rank++] = x->shape.d[x->shape.rank - 1];
  return lower_materialize(b->c, x, &full);
}

static void call_matmul(call_b *b, const ir_node *n) {
  const ir_node *A = n->in[0], *B = n->in[1];
  int ta = n->attr.trans_a, tb = n->attr.trans_b, r = n->shape.rank;
  long m = n->shape.d[r - 2], nn = n->shape.d[r - 1];
  long k = A->shape.d[A->shape.rank - (ta ? 2 : 1)];
  ir_shape batch = ir_shape_of(r - 2, n->shape.d);
  long nb = ir_numel(&batch), sa, sb, sc = m * nn;
  kp_ref ra = gemm_operand(b, A, &batch, &sa);
  kp_ref rb = gemm_operand(b, B, &batch, &sb);
  if (nb > 1 && sb == 0 && !ta) {
    /* [batch, m, k] rows are contiguous: one GEMM with batch * m rows */
    m *= nb;
    nb = 1;
    sa = 0;
    sc = m * nn;
  }
  long head[5] = {ta, tb, m, nn, k};
  a_ints(b, 5, head);
  a_imm(b, 1);
  a_ptr(b, ra);
  a_long(b, sa);
  a_ptr(b, rb);
  a_long(b, sb);
  a_imm(b, 0);
  a_ptr(b, own(b, n));
  a_long(b, sc);
  a_int(b, nb);
  finish(b, "rt_gemm", n);
}

/* ---- convolution and pooling -------------------------------------------------- */

static void call_conv(call_b *b, const ir_node *n) {
  const ir_shape *xs = n->op == IR_CONV2D_BWD_DATA ? &n->shape : &n->in[0]->shape;
  const ir_shape *ws = n->op == IR_CONV2D            ? &n->in[1]->shape
                       : n->op == IR_CONV2D_BWD_DATA ? &n->in[1]->shape
                                                     : &n->shape;
  int st = n->attr.stride, pad = n->attr.pad;
  long dims[9] = {xs->d[0], xs->d[1], xs->d[2], xs->d[3], ws->d[0], ws->d[2], ws->d[3], st, pad};
  static const char *fn[] = {"rt_conv2d_fwd", "rt_conv2d_bwd_data", "rt_conv2d_bwd_weight"};
  int which = n->op == IR_CONV2D ? 0 : n->op == IR_CONV2D_BWD_DATA ? 1 : 2;
  a_ptr(b, opnd(b, n->in[0]));
  a_ptr(b, opnd(b, n->in[1]));
  a_ptr(b, own(b, n));
  a_ints(b, 9, dims);
  a_ws(b, WS(b->c, rt_conv2d_ws, (int)dims[0], (int)dims[1], (int)dims[2], (int)dims[3],
             (int)dims[4], (int)dims[5], (int)dims[6], st, pad));
  finish(b, fn[which], n);
}

static void call_pool(call_b *b, const ir_node *n) {
  int bwd = n->op == IR_MAXPOOL2D_BWD || n->op == IR_AVGPOOL2D_BWD;
  const ir_shape *xs = bwd ? &n->shape : &n->in[0]->shape;
  for (int i = 0; i < n->nin; i++)
    a_ptr(b, opnd(b, n->in[i]));
  a_ptr(b, own(b, n));
  long dims[6] = {xs->d[0], xs->d[1], xs->d[2], xs->d[3], n->attr.k, n->attr.stride};
  a_ints(b, 6, dims);
  const char *fn = n->op == IR_MAXPOOL2D       ? "rt_maxpool2d_fwd"
                   : n->op == IR_MAXPOOL2D_BWD ? "rt_maxpool2d_bwd"
                   : n->op == IR_AVGPOOL2D     ? "rt_avgpool2d_fwd"
                                               : "rt_avgpool2d_bwd";
  finish(b, fn, n);
}

/* ---- losses and row-wise operations --------------------------------------------- */

static long last_dim(const ir_node *x) { return x->shape.rank ? x->shape.d[x->shape.rank - 1] : 1; }

static void call_xent(call_b *b, const ir_node *n) {
  const ir_node *logits = n->in[0];
  a_ptr(b, opnd(b, logits));
  a_ptr(b, opnd(b, n->in[1]));
  if (n->op == IR_XENT_BWD)
    a_real(b, lower_scalar(b->c, n->in[2]));
  if (n->op != IR_CORRECT)
    a_ptr(b, own(b, n));
  a_long(b, logits->shape.d[0]);
  a_long(b, logits->shape.d[1]);
  const char *fn = n->op == IR_XENT       ? "rt_softmax_xent_fwd"
                   : n->op == IR_XENT_BWD ? "rt_softmax_xent_bwd"
                                          : "rt_count_correct";
  kp_call *k = finish(b, fn, n);
  if (n->op == IR_CORRECT) {
    k->has_ret = 1;
    k->ret = own(b, n);
  }
}

static void call_mse(call_b *b, const ir_node *n) {
  a_ptr(b, opnd(b, n->in[0]));
  a_ptr(b, opnd(b, n->in[1]));
  if (n->op == IR_MSE_BWD)
    a_real(b, lower_scalar(b->c, n->in[2]));
  a_ptr(b, own(b, n));
  a_long(b, ir_numel(&n->in[0]->shape));
  finish(b, n->op == IR_MSE ? "rt_mse_fwd" : "rt_mse_bwd", n);
}

/* Operations on rows of the last axis: inputs, outputs, rows, cols, extras. */
static void call_rows(call_b *b, const ir_node *n) {
  const ir_node *x = n->in[0];
  long cols = last_dim(x), rows = ir_numel(&x->shape) / cols;
  for (int i = 0; i < n->nin; i++)
    a_ptr(b, opnd(b, n->in[i]));
  int np = ir_op_nparts(n->op);
  for (int i = 0; i < np; i++)
    a_ptr(b, part(b, n, i));
  if (!np)
    a_ptr(b, own(b, n));
  a_long(b, rows);
  a_long(b, cols);
  const char *fn;
  switch (n->op) {
  case IR_SOFTMAX:
    fn = "rt_softmax_fwd";
    a_imm(b, n->attr.value);
    break;
  case IR_SOFTMAX_BWD:
    fn = "rt_softmax_bwd";
    a_imm(b, n->attr.value);
    break;
  case IR_RMSNORM:
    fn = "rt_rmsnorm_fwd";
    a_imm(b, n->attr.value);
    break;
  case IR_RMSNORM_BWD:
    fn = "rt_rmsnorm_bwd";
    break;
  case IR_LAYERNORM:
    fn = "rt_layernorm_fwd";
    a_imm(b, n->attr.value);
    break;
  default:
    fn = "rt_layernorm_bwd";
    break;
  }
  finish(b, fn, n);
}

/* ---- attention, rope, embedding ---------------------------------------------------- */

static void call_attention(call_b *b, const ir_node *n) {
  const ir_shape *s = &n->in[0]->shape;
  for (int i = 0; i < n->nin; i++)
    a_ptr(b, opnd(b, n->in[i]));
  for (int i = 0; i < ir_op_nparts(n->op); i++)
    a_ptr(b, part(b, n, i));
  a_ints(b, 4, s->d);
  a_imm(b, n->attr.value);
  if (n->op == IR_ATTENTION_BWD)
    a_ws(b, WS(b->c, rt_attention_ws, (int)s->d[0], (int)s->d[1], (int)s->d[2], (int)s->d[3]));
  finish(b, n->op == IR_ATTENTION ? "rt_attention_fwd" : "rt_attention_bwd", n);
}

static void call_rope(call_b *b, const ir_node *n) {
  a_ptr(b, opnd(b, n->in[0]));
  a_ptr(b, own(b, n));
  a_ints(b, 4, n->shape.d);
  a_imm(b, n->attr.value);
  finish(b, n->op == IR_ROPE ? "rt_rope_fwd" : "rt_rope_bwd", n);
}

static void call_embed(call_b *b, const ir_node *n) {
  int fwd = n->op == IR_EMBED;
  const ir_node *tokens = n->in[fwd ? 1 : 0];
  const ir_shape *table = fwd ? &n->in[0]->shape : &n->shape;
  a_ptr(b, opnd(b, n->in[0]));
  a_ptr(b, opnd(b, n->in[1]));
  a_ptr(b, own(b, n));
  a_long(b, ir_numel(&tokens->shape));
  a_long(b, table->d[0]);
  a_long(b, table->d[1]);
  finish(b, fwd ? "rt_embed_fwd" : "rt_embed_bwd", n);
}

/* ---- matrix functions and initializers ------------------------------------------ */

static void call_matrix(call_b *b, const ir_node *n) {
  const ir_shape *s = &n->in[0]->shape;
  int m = (int)s->d[s->rank - 2], nc = (int)s->d[s->rank - 1];
  long batch = ir_numel(s) / ((long)m * nc);
  a_ptr(b, opnd(b, n->in[0]));
  a_ptr(b, own(b, n));
  a_int(b, batch);
  a_int(b, m);
  switch (n->op) {
  case IR_POLAR_NS:
    a_int(b, nc);
    a_int(b, n->attr.schedule);
    a_int(b, n->attr.steps);
    a_imm(b, n->attr.value);
    a_ws(b, WS(b->c, rt_polar_ns_ws, m, nc));
    finish(b, "rt_polar_ns", n);
    return;
  case IR_POLAR_SVD:
    a_int(b, nc);
    a_ws(b, WS(b->c, rt_polar_svd_ws, m, nc));
    finish(b, "rt_polar_svd", n);
    return;
  case IR_SPECTRAL_NORM:
    a_int(b, nc);
    a_ws(b, WS(b->c, rt_spectral_norm_ws, m, nc));
    finish(b, "rt_spectral_norm", n);
    return;
  default: /* IR_SPD_POW */
    a_imm(b, n->attr.value2);
    a_imm(b, n->attr.value);
    a_ws(b, WS(b->c, rt_spd_pow_ws, m));
    finish(b, "rt_spd_pow", n);
    return;
  }
}

static void call_lanczos(call_b *b, const ir_node *n) {
  const ir_shape *s = &n->in[0]->shape;
  int m = (int)s->d[s->rank - 2], nc = (int)s->d[s->rank - 1], steps = n->attr.steps;
  a_ptr(b, opnd(b, n->in[0]));
  a_ptr(b, opnd(b, n->in[1]));
  a_ptr(b, part(b, n, 0));
  a_ptr(b, part(b, n, 1));
  a_int(b, ir_numel(s) / ((long)m * nc));
  a_int(b, m);
  a_int(b, nc);
  a_int(b, steps);
  a_ws(b, WS(b->c, rt_spectral_lanczos_ws, m, nc, steps));
  finish(b, "rt_spectral_lanczos", n);
}

static void call_rand(call_b *b, const ir_node *n) {
  kp_scalar seed = lower_scalar(b->c, n->in[0]);
  kp_scalar stream = {KP_S_IMM, (double)n->attr.index, 0, {0}};
  a_ptr(b, own(b, n));
  if (n->op == IR_RAND_ORTHOGONAL) {
    const ir_shape *s = &n->shape;
    int m = (int)s->d[s->rank - 2], nc = (int)s->d[s->rank - 1];
    a_int(b, ir_numel(s) / ((long)m * nc));
    a_int(b, m);
    a_int(b, nc);
    a_imm(b, n->attr.value);
    a_u64(b, seed);
    a_u64(b, stream);
    a_ws(b, WS(b->c, rt_init_orthogonal_ws, m, nc));
    finish(b, "rt_init_orthogonal", n);
    return;
  }
  a_size(b, ir_numel(&n->shape));
  a_imm(b, n->op == IR_RAND_NORMAL ? 0 : n->attr.value);
  a_imm(b, n->op == IR_RAND_NORMAL ? n->attr.value : n->attr.value2);
  a_u64(b, seed);
  a_u64(b, stream);
  finish(b, n->op == IR_RAND_NORMAL ? "rt_init_normal" : "rt_init_uniform", n);
}

int lower_call(lower_ctx *c, const ir_node *n) {
  call_b b = {0};
  b.c = c;
  switch (n->op) {
  case IR_MATMUL:
    call_matmul(&b, n);
    break;
  case IR_CONV2D:
  case IR_CONV2D_BWD_DATA:
  case IR_CONV2D_BWD_WEIGHT:
    call_conv(&b, n);
    break;
  case IR_MAXPOOL2D:
  case IR_MAXPOOL2D_BWD:
  case IR_AVGPOOL2D:
  case IR_AVGPOOL2D_BWD:
    call_pool(&b, n);
    break;
  case IR_XENT:
  case IR_XENT_BWD:
  case IR_CORRECT:
    call_xent(&b, n);
    break;
  case IR_MSE:
  case IR_MSE_BWD:
    call_mse(&b, n);
    break;
  case IR_SOFTMAX:
  case IR_SOFTMAX_BWD:
  case IR_RMSNORM:
  case IR_RMSNORM_BWD:
  case IR_LAYERNORM:
  case IR_LAYERNORM_BWD:
    call_rows(&b, n);
    break;
  case IR_ATTENTION:
  case IR_ATTENTION_BWD:
    call_attention(&b, n);
    break;
  case IR_ROPE:
  case IR_ROPE_BWD:
    call_rope(&b, n);
    break;
  case IR_EMBED:
  case IR_EMBED_BWD:
    call_embed(&b, n);
    break;
  case IR_POLAR_NS:
  case IR_POLAR_SVD:
  case IR_SPECTRAL_NORM:
  case IR_SPD_POW:
    call_matrix(&b, n);
    break;
  case IR_SPECTRAL_LANCZOS:
    call_lanczos(&b, n);
    break;
  case IR_RAND_NORMAL:
  case IR_RAND_UNIFORM:
  case IR_RAND_ORTHOGONAL:
    call_rand(&b, n);
    break;
  default:
    return lower_fail(c, "no lowering for %s", ir_op_name(n->op));
  }
  if (b.too_big)
    return lower_fail(c, "%s: a dimension exceeds the runtime's int range", ir_op_name(n->op));
  return 0;
}
