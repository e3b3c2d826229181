/*
 * ir_ops.c - the operation table (names, kinds, arities) and shape/dtype
 * inference for every IR operation. The builder and the verifier both call
 * ir_infer(), so a node's stored shape is always the inferred one.
 */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct op_info {
  const char *name;
  ir_kind kind;
  int arity;  /* -1: variable (concat) */
  int nparts; /* tuple ops */
} op_info;

static const op_info OPS[IR_NUM_OPS] = {
    [IR_CONST] = {"const", IR_K_LEAF, 0, 0},
    [IR_SCALAR] = {"scalar", IR_K_LEAF, 0, 0},
    [IR_TENSOR] = {"tensor", IR_K_LEAF, 0, 0},
    [IR_INPUT] = {"input", IR_K_LEAF, 0, 0},
    [IR_RAND_NORMAL] = {"rand_normal", IR_K_CALL, 1, 0},
    [IR_RAND_UNIFORM] = {"rand_uniform", IR_K_CALL, 1, 0},
    [IR_RAND_ORTHOGONAL] = {"rand_orthogonal", IR_K_CALL, 1, 0},
    [IR_NEG] = {"neg", IR_K_UNARY, 1, 0},
    [IR_EXP] = {"exp", IR_K_UNARY, 1, 0},
    [IR_LOG] = {"log", IR_K_UNARY, 1, 0},
    [IR_SQRT] = {"sqrt", IR_K_UNARY, 1, 0},
    [IR_RSQRT] = {"rsqrt", IR_K_UNARY, 1, 0},
    [IR_TANH] = {"tanh", IR_K_UNARY, 1, 0},
    [IR_SIGMOID] = {"sigmoid", IR_K_UNARY, 1, 0},
    [IR_ABS] = {"abs", IR_K_UNARY, 1, 0},
    [IR_SIGN] = {"sign", IR_K_UNARY, 1, 0},
    [IR_RELU] = {"relu", IR_K_UNARY, 1, 0},
    [IR_GELU] = {"gelu", IR_K_UNARY, 1, 0},
    [IR_SQUARE] = {"square", IR_K_UNARY, 1, 0},
    [IR_RECIP] = {"recip", IR_K_UNARY, 1, 0},
    [IR_GELU_GRAD] = {"gelu_grad", IR_K_UNARY, 1, 0},
    [IR_ADD] = {"add", IR_K_BINARY, 2, 0},
    [IR_SUB] = {"sub", IR_K_BINARY, 2, 0},
    [IR_MUL] = {"mul", IR_K_BINARY, 2, 0},
    [IR_DIV] = {"div", IR_K_BINARY, 2, 0},
    [IR_MAX] = {"max", IR_K_BINARY, 2, 0},
    [IR_MIN] = {"min", IR_K_BINARY, 2, 0},
    [IR_POW] = {"pow", IR_K_BINARY, 2, 0},
    [IR_LT] = {"lt", IR_K_BINARY, 2, 0},
    [IR_LE] = {"le", IR_K_BINARY, 2, 0},
    [IR_GT] = {"gt", IR_K_BINARY, 2, 0},
    [IR_GE] = {"ge", IR_K_BINARY, 2, 0},
    [IR_EQ] = {"eq", IR_K_BINARY, 2, 0},
    [IR_NE] = {"ne", IR_K_BINARY, 2, 0},
    [IR_SELECT] = {"select", IR_K_SELECT, 3, 0},
    [IR_SUM] = {"sum", IR_K_REDUCE, 1, 0},
    [IR_RMAX] = {"reduce_max", IR_K_REDUCE, 1, 0},
    [IR_RESHAPE] = {"reshape", IR_K_SHAPE, 1, 0},
    [IR_PERMUTE] = {"permute", IR_K_SHAPE, 1, 0},
    [IR_BROADCAST] = {"broadcast", IR_K_SHAPE, 1, 0},
    [IR_SLICE] = {"slice", IR_K_SHAPE, 1, 0},
    [IR_CONCAT] = {"concat", IR_K_SHAPE, -1, 0},
    [IR_MATMUL] = {"matmul", IR_K_CALL, 2, 0},
    [IR_CONV2D] = {"conv2d", IR_K_CALL, 2, 0},
    [IR_CONV2D_BWD_DATA] = {"conv2d_bwd_data", IR_K_CALL, 2, 0},
    [IR_CONV2D_BWD_WEIGHT] = {"conv2d_bwd_weight", IR_K_CALL, 2, 0},
    [IR_MAXPOOL2D] = {"maxpool2d", IR_K_CALL, 1, 0},
    [IR_MAXPOOL2D_BWD] = {"maxpool2d_bwd", IR_K_CALL, 2, 0},
    [IR_AVGPOOL2D] = {"avgpool2d", IR_K_CALL, 1, 0},
    [IR_AVGPOOL2D_BWD] = {"avgpool2d_bwd", IR_K_CALL, 1, 0},
    [IR_XENT] = {"softmax_xent", IR_K_CALL, 2, 0},
    [IR_XENT_BWD] = {"softmax_xent_bwd", IR_K_CALL, 3, 0},
    [IR_CORRECT] = {"count_correct", IR_K_CALL, 2, 0},
    [IR_MSE] = {"mse", IR_K_CALL, 2, 0},
    [IR_MSE_BWD] = {"mse_bwd", IR_K_CALL, 3, 0},
    [IR_SOFTMAX] = {"softmax", IR_K_CALL, 1, 0},
    [IR_SOFTMAX_BWD] = {"softmax_bwd", IR_K_CALL, 2, 0},
    [IR_RMSNORM] = {"rmsnorm", IR_K_TUPLE, 1, 2},
    [IR_RMSNORM_BWD] = {"rmsnorm_bwd", IR_K_CALL, 3, 0},
    [IR_LAYERNORM] = {"layernorm", IR_K_TUPLE, 1, 3},
    [IR_LAYERNORM_BWD] = {"layernorm_bwd", IR_K_CALL, 4, 0},
    [IR_ATTENTION] = {"attention", IR_K_TUPLE, 3, 2},
    [IR_ATTENTION_BWD] = {"attention_bwd", IR_K_TUPLE, 5, 3},
    [IR_ROPE] = {"rope", IR_K_CALL, 1, 0},
    [IR_ROPE_BWD] = {"rope_bwd", IR_K_CALL, 1, 0},
    [IR_EMBED] = {"embedding", IR_K_CALL, 2, 0},
    [IR_EMBED_BWD] = {"embedding_bwd", IR_K_CALL, 2, 0},
    [IR_POLAR_NS] = {"polar_ns", IR_K_CALL, 1, 0},
    [IR_POLAR_SVD] = {"polar_svd", IR_K_CALL, 1, 0},
    [IR_SPECTRAL_NORM] = {"spectral_norm", IR_K_CALL, 1, 0},
    [IR_SPECTRAL_LANCZOS] = {"spectral_lanczos", IR_K_TUPLE, 2, 2},
    [IR_SPD_POW] = {"spd_pow", IR_K_CALL, 1, 0},
    [IR_PART] = {"part", IR_K_PART, 1, 0},
};

const char *ir_op_name(ir_op op) { return OPS[op].name; }
ir_kind ir_op_kind(ir_op op) { return OPS[op].kind; }
int ir_op_nparts(ir_op op) { return OPS[op].nparts; }

int ir_is_elementwise(ir_op op) {
  ir_kind k = OPS[op].kind;
  return k == IR_K_UNARY || k == IR_K_BINARY || k == IR_K_SELECT;
}

const char *ir_dtype_name(ir_dtype t) {
  static const char *names[] = {"f32", "f64", "i32", "void"};
  return names[t];
}

size_t ir_dtype_size(ir_dtype t) {
  static const size_t sizes[] = {4, 8, 4, 0};
  return sizes[t];
}

long ir_numel(const ir_shape *s) {
  long n = 1;
  for (int i = 0; i < s->rank; i++)
    n *= s->d[i];
  return n;
}

int ir_shape_eq(const ir_shape *a, const ir_shape *b) {
  if (a->rank != b->rank)
    return 0;
  for (int i = 0; i < a->rank; i++)
    if (a->d[i] != b->d[i])
      return 0;
  return 1;
}

ir_shape ir_shape_of(int rank, const long *d) {
  ir_shape s = {0};
  s.rank = rank;
  for (int i = 0; i < rank; i++)
    s.d[i] = d[i];
  return s;
}

const char *ir_shape_str(const ir_shape *s, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < s->rank && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, i ? ", %ld" : "%ld", s->d[i]);
  if (n < len)
    snprintf(buf + n, len - n, "]");
  return buf;
}

/* ---- inference helpers ---------------------------------------------------- */

typedef struct infer_ctx {
  const ir_program *prog;
  ir_op op;
  char *err;
  size_t errlen;
} infer_ctx;

static int fail(infer_ctx *c, const char *fmt, ...) {
  int n = snprintf(c->err, c->errlen, "%s: ", OPS[c->op].name);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < c->errlen)
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* Scratch strings for shapes in messages (three per message suffice). */
typedef struct shape_strs {
  char s[3][96];
} shape_strs;

static const char *S(shape_strs *ss, int i, const ir_shape *s) {
  return ir_shape_str(s, ss->s[i], sizeof ss->s[i]);
}

static int need_real(infer_ctx *c, const ir_node *x, const char *what) {
  shape_strs ss;
  if (x->dtype != c->prog->real)
    return fail(c, "%s must be a %s tensor, got %s %s", what, ir_dtype_name(c->prog->real),
                ir_dtype_name(x->dtype), S(&ss, 0, &x->shape));
  return 0;
}

static int need_rank(infer_ctx *c, const ir_node *x, int lo, int hi, const char *what) {
  shape_strs ss;
  if (x->shape.rank < lo || x->shape.rank > hi) {
    if (lo == hi)
      return fail(c, "%s must have rank %d, got %s", what, lo, S(&ss, 0, &x->shape));
    return fail(c, "%s must have rank %d..%d, got %s", what, lo, hi, S(&ss, 0, &x->shape));
  }
  return 0;
}

static int need_same(infer_ctx *c, const ir_node *a, const ir_node *b, const char *an,
                     const char *bn) {
  shape_strs ss;
  if (!ir_shape_eq(&a->shape, &b->shape))
    return fail(c, "%s and %s shapes differ: %s vs %s", an, bn, S(&ss, 0, &a->shape),
                S(&ss, 1, &b->shape));
  return 0;
}

/* numpy broadcasting of two shapes; -1 if incompatible */
static int broadcast2(const ir_shape *a, const ir_shape *b, ir_shape *out) {
  int r = a->rank > b->rank ? a->rank : b->rank;
  out->rank = r;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    long da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return -1;
    out->d[i] = da > db ? da : db;
  }
  return 0;
}

static int infer_broadcast_all(infer_ctx *c, int nin, ir_node *const *in, ir_shape *out) {
  shape_strs ss;
  *out = in[0]->shape;
  for (int i = 1; i < nin; i++) {
    ir_shape r;
    if (broadcast2(out, &in[i]->shape, &r) < 0)
      return fail(c, "shapes do not broadcast: %s and %s", S(&ss, 0, &in[0]->shape),
                  S(&ss, 1, &in[i]->shape));
    *out = r;
  }
  return 0;
}

static int check_target(infer_ctx *c, const ir_shape *t) {
  if (t->rank < 0 || t->rank > IR_MAX_RANK)
    return fail(c, "rank %d exceeds the maximum %d", t->rank, IR_MAX_RANK);
  for (int i = 0; i < t->rank; i++)
    if (t->d[i] < 1)
      return fail(c, "dimension %d is %ld (must be >= 1)", i, t->d[i]);
  return 0;
}

/* Output shape of a 2-D window op (conv or pool). */
static int window_out(infer_ctx *c, long h, long w, long kh, long kw, int stride, int pad, long *ho,
                      long *wo) {
  if (stride < 1 || pad < 0)
    return fail(c, "stride %d and padding %d must be >= 1 and >= 0", stride, pad);
  if (h + 2 * pad < kh || w + 2 * pad < kw)
    return fail(c, "window %ldx%ld larger than the padded input %ldx%ld", kh, kw, h + 2 * pad,
                w + 2 * pad);
  *ho = (h + 2 * pad - kh) / stride + 1;
  *wo = (w + 2 * pad - kw) / stride + 1;
  return 0;
}

static int infer_conv(infer_ctx *c, const ir_shape *x, const ir_shape *wt, int stride, int pad,
                      ir_shape *y) {
  shape_strs ss;
  if (x->rank != 4 || wt->rank != 4)
    return fail(c, "expects x [n, c, h, w] and W [o, c, kh, kw], got %s and %s", S(&ss, 0, x),
                S(&ss, 1, wt));
  if (x->d[1] != wt->d[1])
    return fail(c, "input channels differ: x %s, W %s", S(&ss, 0, x), S(&ss, 1, wt));
  long ho = 0, wo = 0;
  if (window_out(c, x->d[2], x->d[3], wt->d[2], wt->d[3], stride, pad, &ho, &wo) < 0)
    return -1;
  long d[4] = {x->d[0], wt->d[0], ho, wo};
  *y = ir_shape_of(4, d);
  return 0;
}

static int infer_pool(infer_ctx *c, const ir_shape *x, int k, int stride, ir_shape *y) {
  shape_strs ss;
  if (x->rank != 4)
    return fail(c, "expects x [n, c, h, w], got %s", S(&ss, 0, x));
  if (k < 1)
    return fail(c, "window %d must be >= 1", k);
  long ho = 0, wo = 0;
  if (window_out(c, x->d[2], x->d[3], k, k, stride, 0, &ho, &wo) < 0)
    return -1;
  long d[4] = {x->d[0], x->d[1], ho, wo};
  *y = ir_shape_of(4, d);
  return 0;
}

static int infer_matmul(infer_ctx *c, const ir_node *a, const ir_node *b, const ir_attr *at,
                        ir_shape *out) {
  shape_strs ss;
  if (need_real(c, a, "left operand") || need_real(c, b, "right operand"))
    return -1;
  if (a->shape.rank < 2 || b->shape.rank < 2)
    return fail(c, "operands must have rank >= 2, got %s @ %s", S(&ss, 0, &a->shape),
                S(&ss, 1, &b->shape));
  int ra = a->shape.rank, rb = b->shape.rank;
  long m = a->shape.d[ra - (at->trans_a ? 1 : 2)], ka = a->shape.d[ra - (at->trans_a ? 2 : 1)];
  long kb = b->shape.d[rb - (at->trans_b ? 1 : 2)], n = b->shape.d[rb - (at->trans_b ? 2 : 1)];
  if (ka != kb)
    return fail(c, "inner dimensions differ: %s%s @ %s%s", S(&ss, 0, &a->shape),
                at->trans_a ? "^T" : "", S(&ss, 1, &b->shape), at->trans_b ? "^T" : "");
  ir_shape ba = ir_shape_of(ra - 2, a->shape.d), bb = ir_shape_of(rb - 2, b->shape.d);
  if (broadcast2(&ba, &bb, out) < 0)
    return fail(c, "batch dimensions do not broadcast: %s @ %s", S(&ss, 0, &a->shape),
                S(&ss, 1, &b->shape));
  if (out->rank + 2 > IR_MAX_RANK)
    return fail(c, "result rank exceeds %d", IR_MAX_RANK);
  out->d[out->rank++] = m;
  out->d[out->rank++] = n;
  return 0;
}

/* Shape of part i of a tuple node. */
static int infer_part(infer_ctx *c, const ir_node *t, int i, ir_shape *out) {
  if (OPS[t->op].kind != IR_K_TUPLE || i < 0 || i >= OPS[t->op].nparts)
    return fail(c, "no output %d of %s", i, OPS[t->op].name);
  const ir_shape *x = &t->in[0]->shape;
  switch (t->op) {
  case IR_RMSNORM:
  case IR_LAYERNORM:
    *out = *x;
    if (i > 0)
      out->rank--;
    return 0;
  case IR_ATTENTION:
    *out = *x;
    if (i == 1)
      out->d[3] = x->d[2];
    return 0;
  case IR_ATTENTION_BWD:
    *out = t->in[i]->shape;
    return 0;
  case IR_SPECTRAL_LANCZOS:
    *out = i == 0 ? ir_shape_of(x->rank - 2, x->d) : t->in[1]->shape;
    return 0;
  default:
    return fail(c, "unknown tuple %s", OPS[t->op].name);
  }
}

static int infer_reduce(infer_ctx *c, const ir_node *x, const ir_attr *a, ir_shape *out) {
  if (need_real(c, x, "operand"))
    return -1;
  if (a->axes >> x->shape.rank)
    return fail(c, "axis out of range for rank %d", x->shape.rank);
  out->rank = 0;
  for (int i = 0; i < x->shape.rank; i++) {
    if (!(a->axes >> i & 1))
      out->d[out->rank++] = x->shape.d[i];
    else if (a->keepdims)
      out->d[out->rank++] = 1;
  }
  return 0;
}

static int infer_shape_op(infer_ctx *c, ir_op op, int nin, ir_node *const *in, const ir_attr *a,
                          ir_shape *out, ir_dtype *dt) {
  shape_strs ss;
  const ir_node *x = in[0];
  *dt = x->dtype;
  switch (op) {
  case IR_RESHAPE:
    if (check_target(c, &a->target) < 0)
      return -1;
    if (ir_numel(&a->target) != ir_numel(&x->shape))
      return fail(c, "element counts differ: %s to %s", S(&ss, 0, &x->shape),
                  S(&ss, 1, &a->target));
    *out = a->target;
    return 0;
  case IR_PERMUTE: {
    unsigned seen = 0;
    out->rank = x->shape.rank;
    for (int i = 0; i < x->shape.rank; i++) {
      int p = a->perm[i];
      if (p < 0 || p >= x->shape.rank || (seen >> p & 1))
        return fail(c, "not a permutation of the axes of %s", S(&ss, 0, &x->shape));
      seen |= 1u << p;
      out->d[i] = x->shape.d[p];
    }
    return 0;
  }
  case IR_BROADCAST: {
    ir_shape r;
    if (check_target(c, &a->target) < 0)
      return -1;
    if (broadcast2(&x->shape, &a->target, &r) < 0 || !ir_shape_eq(&r, &a->target))
      return fail(c, "cannot broadcast %s to %s", S(&ss, 0, &x->shape), S(&ss, 1, &a->target));
    *out = a->target;
    return 0;
  }
  case IR_SLICE:
    if (a->axis < 0 || a->axis >= x->shape.rank)
      return fail(c, "axis %d out of range for %s", a->axis, S(&ss, 0, &x->shape));
    if (a->start < 0 || a->len < 1 || a->start + a->len > x->shape.d[a->axis])
      return fail(c, "range [%ld, %ld) out of bounds for axis %d of %s", a->start,
                  a->start + a->len, a->axis, S(&ss, 0, &x->shape));
    *out = x->shape;
    out->d[a->axis] = a->len;
    return 0;
  case IR_CONCAT:
    if (a->axis < 0 || a->axis >= x->shape.rank)
      return fail(c, "axis %d out of range for %s", a->axis, S(&ss, 0, &x->shape));
    *out = x->shape;
    for (int i = 1; i < nin; i++) {
      const ir_shape *s = &in[i]->shape;
      int ok = s->rank == x->shape.rank && in[i]->dtype == x->dtype;
      for (int j = 0; ok && j < s->rank; j++)
        ok = j == a->axis || s->d[j] == x->shape.d[j];
      if (!ok)
        return fail(c, "pieces differ off axis %d: %s and %s", a->axis, S(&ss, 0, &x->shape),
                    S(&ss, 1, s));
      out->d[a->axis] += s->d[a->axis];
    }
    return 0;
  default:
    return fail(c, "not a shape operation");
  }
}

/* Runtime-call operations (everything with arguments beyond elementwise). */
static int infer_call(infer_ctx *c, ir_op op, ir_node *const *in, const ir_attr *a, ir_shape *out) {
  shape_strs ss;
  const ir_node *x = in[0];
  ir_shape y;
  switch (op) {
  case IR_RAND_NORMAL:
  case IR_RAND_UNIFORM:
  case IR_RAND_ORTHOGONAL:
    if (need_real(c, x, "seed") || need_rank(c, x, 0, 0, "seed") || check_target(c, &a->target))
      return -1;
    if (op == IR_RAND_ORTHOGONAL && a->target.rank < 2)
      return fail(c, "needs rank >= 2, got %s", S(&ss, 0, &a->target));
    *out = a->target;
    return 0;
  case IR_MATMUL:
    return infer_matmul(c, in[0], in[1], a, out);
  case IR_CONV2D:
    if (need_real(c, in[0], "x") || need_real(c, in[1], "W"))
      return -1;
    return infer_conv(c, &in[0]->shape, &in[1]->shape, a->stride, a->pad, out);
  case IR_CONV2D_BWD_DATA:
  case IR_CONV2D_BWD_WEIGHT: {
    int data = op == IR_CONV2D_BWD_DATA;
    const ir_shape *xs = data ? &a->target : &in[0]->shape;
    const ir_shape *ws = data ? &in[1]->shape : &a->target;
    const ir_node *dy = in[data ? 0 : 1];
    if (need_real(c, in[0], "operand") || need_real(c, in[1], "operand") ||
        infer_conv(c, xs, ws, a->stride, a->pad, &y) < 0)
      return -1;
    if (!ir_shape_eq(&y, &dy->shape))
      return fail(c, "dy %s does not match the convolution output %s", S(&ss, 0, &dy->shape),
                  S(&ss, 1, &y));
    *out = a->target;
    return 0;
  }
  case IR_MAXPOOL2D:
  case IR_AVGPOOL2D:
    return need_real(c, x, "x") ? -1 : infer_pool(c, &x->shape, a->k, a->stride, out);
  case IR_MAXPOOL2D_BWD:
  case IR_AVGPOOL2D_BWD: {
    const ir_shape *xs = op == IR_MAXPOOL2D_BWD ? &x->shape : &a->target;
    const ir_node *dy = in[op == IR_MAXPOOL2D_BWD ? 1 : 0];
    if (need_real(c, dy, "dy") || infer_pool(c, xs, a->k, a->stride, &y) < 0)
      return -1;
    if (!ir_shape_eq(&y, &dy->shape))
      return fail(c, "dy %s does not match the pooling output %s", S(&ss, 0, &dy->shape),
                  S(&ss, 1, &y));
    *out = *xs;
    return 0;
  }
  case IR_XENT:
  case IR_XENT_BWD:
  case IR_CORRECT:
    if (need_real(c, x, "logits") || need_rank(c, x, 2, 2, "logits") ||
        need_rank(c, in[1], 1, 1, "labels"))
      return -1;
    if (in[1]->dtype != IR_I32)
      return fail(c, "labels must be i32, got %s", ir_dtype_name(in[1]->dtype));
    if (in[1]->shape.d[0] != x->shape.d[0])
      return fail(c, "rows differ: logits %s, labels %s", S(&ss, 0, &x->shape),
                  S(&ss, 1, &in[1]->shape));
    if (op == IR_XENT_BWD && (need_real(c, in[2], "dloss") || need_rank(c, in[2], 0, 0, "dloss")))
      return -1;
    *out = op == IR_XENT_BWD ? x->shape : (ir_shape){0};
    return 0;
  case IR_MSE:
  case IR_MSE_BWD:
    if (need_real(c, x, "a") || need_real(c, in[1], "b") || need_same(c, x, in[1], "a", "b"))
      return -1;
    if (op == IR_MSE_BWD && (need_real(c, in[2], "dloss") || need_rank(c, in[2], 0, 0, "dloss")))
      return -1;
    *out = op == IR_MSE_BWD ? x->shape : (ir_shape){0};
    return 0;
  case IR_SOFTMAX:
  case IR_ROPE:
  case IR_ROPE_BWD:
  case IR_POLAR_NS:
  case IR_POLAR_SVD:
  case IR_SPECTRAL_NORM:
  case IR_SPD_POW:
    if (need_real(c, x, "operand"))
      return -1;
    *out = x->shape;
    if (op == IR_SOFTMAX)
      return need_rank(c, x, 1, IR_MAX_RANK, "operand");
    if (op == IR_ROPE || op == IR_ROPE_BWD) {
      if (need_rank(c, x, 4, 4, "operand"))
        return -1;
      if (x->shape.d[3] % 2)
        return fail(c, "head dimension must be even, got %s", S(&ss, 0, &x->shape));
      return 0;
    }
    if (need_rank(c, x, 2, IR_MAX_RANK, "operand"))
      return -1;
    if (op == IR_SPECTRAL_NORM)
      out->rank -= 2;
    if (op == IR_SPD_POW && x->shape.d[x->shape.rank - 1] != x->shape.d[x->shape.rank - 2])
      return fail(c, "matrices must be square, got %s", S(&ss, 0, &x->shape));
    if (op == IR_POLAR_NS && (a->steps < 1 || a->schedule < 0 || a->schedule > 2))
      return fail(c, "bad schedule %d or steps %d", a->schedule, a->steps);
    return 0;
  case IR_SOFTMAX_BWD:
    if (need_real(c, x, "y") || need_real(c, in[1], "dy") || need_same(c, x, in[1], "y", "dy"))
      return -1;
    *out = x->shape;
    return 0;
  case IR_RMSNORM_BWD:
  case IR_LAYERNORM_BWD: {
    int n = op == IR_RMSNORM_BWD ? 3 : 4;
    const ir_node *dy = in[n - 1];
    if (need_real(c, x, "x") || need_same(c, x, dy, "x", "dy"))
      return -1;
    ir_shape rows = ir_shape_of(x->shape.rank - 1, x->shape.d);
    for (int i = 1; i < n - 1; i++)
      if (!ir_shape_eq(&in[i]->shape, &rows))
        return fail(c, "statistics %s do not match rows %s", S(&ss, 0, &in[i]->shape),
                    S(&ss, 1, &rows));
    *out = x->shape;
    return 0;
  }
  case IR_EMBED:
    if (need_real(c, x, "table") || need_rank(c, x, 2, 2, "table") ||
        need_rank(c, in[1], 0, IR_MAX_RANK - 1, "tokens"))
      return -1;
    if (in[1]->dtype != IR_I32)
      return fail(c, "tokens must be i32, got %s", ir_dtype_name(in[1]->dtype));
    *out = in[1]->shape;
    out->d[out->rank++] = x->shape.d[1];
    return 0;
  case IR_EMBED_BWD:
    if (x->dtype != IR_I32 || need_real(c, in[1], "dy") || check_target(c, &a->target))
      return -1;
    if (a->target.rank != 2 || in[1]->shape.rank != x->shape.rank + 1 ||
        in[1]->shape.d[x->shape.rank] != a->target.d[1])
      return fail(c, "dy %s does not match tokens %s and table %s", S(&ss, 0, &in[1]->shape),
                  S(&ss, 1, &x->shape), S(&ss, 2, &a->target));
    *out = a->target;
    return 0;
  default:
    return fail(c, "not a runtime operation");
  }
}

/* spectral_lanczos: W [.., m, n] and v [.., min(m, n)], at least one step. */
static int infer_lanczos(infer_ctx *c, const ir_node *W, const ir_node *v, int steps) {
  shape_strs ss;
  if (need_real(c, W, "W") || need_real(c, v, "v") || need_rank(c, W, 2, IR_MAX_RANK, "W"))
    return -1;
  const int r = W->shape.rank;
  ir_shape want = ir_shape_of(r - 1, W->shape.d);
  want.d[r - 2] = W->shape.d[r - 2] < W->shape.d[r - 1] ? W->shape.d[r - 2] : W->shape.d[r - 1];
  if (!ir_shape_eq(&v->shape, &want))
    return fail(c, "v %s should be %s for W %s", S(&ss, 0, &v->shape), S(&ss, 1, &want),
                S(&ss, 2, &W->shape));
  return steps < 1 ? fail(c, "steps must be at least 1, got %d", steps) : 0;
}

static int infer_tuple(infer_ctx *c, ir_op op, ir_node *const *in, const ir_attr *a) {
  shape_strs ss;
  const ir_node *x = in[0];
  if (op == IR_RMSNORM || op == IR_LAYERNORM)
    return need_real(c, x, "operand") || need_rank(c, x, 1, IR_MAX_RANK, "operand") ? -1 : 0;
  if (op == IR_SPECTRAL_LANCZOS)
    return infer_lanczos(c, x, in[1], a->steps);
  /* attention and its backward: q, k, v of one shape [B, H, T, D] */
  if (need_rank(c, x, 4, 4, "q"))
    return -1;
  for (int i = 0; i < 3; i++)
    if (need_real(c, in[i], "q, k and v") || need_same(c, x, in[i], "q", i == 1 ? "k" : "v"))
      return -1;
  if (op == IR_ATTENTION_BWD) {
    long d[4] = {x->shape.d[0], x->shape.d[1], x->shape.d[2], x->shape.d[2]};
    ir_shape ps = ir_shape_of(4, d);
    if (!ir_shape_eq(&in[3]->shape, &ps))
      return fail(c, "probs %s should be %s", S(&ss, 0, &in[3]->shape), S(&ss, 1, &ps));
    if (need_same(c, x, in[4], "q", "dout"))
      return -1;
  }
  return 0;
}

int ir_infer(const ir_program *p, ir_op op, int nin, ir_node *const *in, const ir_attr *a,
             ir_shape *shape, ir_dtype *dtype, char *err, size_t errlen) {
  infer_ctx c = {p, op, err, errlen};
  if (op < 0 || op >= IR_NUM_OPS)
    return fail(&c, "unknown operation");
  if (OPS[op].arity >= 0 ? nin != OPS[op].arity : nin < 1)
    return fail(&c, "expects %d operands, got %d", OPS[op].arity, nin);
  *dtype = p->real;
  *shape = (ir_shape){0};
  for (int i = 0; i < nin && op != IR_PART; i++)
    if (in[i]->dtype == IR_VOID)
      return fail(&c, "operand %d has several outputs (%s); use one of its parts", i,
                  OPS[in[i]->op].name);
  switch (OPS[op].kind) {
  case IR_K_LEAF:
    if (op == IR_TENSOR || op == IR_INPUT) {
      int n = op == IR_TENSOR ? p->ntensors : p->ninputs;
      if (a->index < 0 || a->index >= n)
        return fail(&c, "no declaration %d", a->index);
      if (op == IR_TENSOR) {
        *shape = p->tensors[a->index].shape;
      } else {
        *shape = p->inputs[a->index].shape;
        *dtype = p->inputs[a->index].dtype;
      }
    } else if (op == IR_SCALAR && (a->index < 0 || a->index >= p->nscalars)) {
      return fail(&c, "no scalar input %d", a->index);
    }
    return 0;
  case IR_K_UNARY:
    return need_real(&c, in[0], "operand") ? -1 : (*shape = in[0]->shape, 0);
  case IR_K_BINARY:
  case IR_K_SELECT:
    for (int i = 0; i < nin; i++)
      if (need_real(&c, in[i], "operand"))
        return -1;
    return infer_broadcast_all(&c, nin, in, shape);
  case IR_K_REDUCE:
    return infer_reduce(&c, in[0], a, shape);
  case IR_K_SHAPE:
    return infer_shape_op(&c, op, nin, in, a, shape, dtype);
  case IR_K_CALL:
    return infer_call(&c, op, in, a, shape);
  case IR_K_TUPLE:
    *dtype = IR_VOID;
    return infer_tuple(&c, op, in, a);
  case IR_K_PART:
    if (infer_part(&c, in[0], a->index, shape) < 0)
      return -1;
    *dtype = in[0]->in[0]->dtype;
    return 0;
  }
  return fail(&c, "unknown kind");
}
