/* elab_builtins.c: the tensor builtins of the expression language and their
 * translation to IR, as one table (name, parameters, handler, operation).
 * The names and parameter lists are those semantic analysis accepts
 * (compiler/sema/sema_builtins.c), which has checked arity and keywords. */
#include <math.h>
#include <string.h>

#include "elab_int.h"

typedef struct el_builtin el_builtin;

/* Arguments bound to parameters: arg[j] (EV_NONE when not given) and, for
 * variadic builtins, the further positional arguments. */
typedef struct bt_args {
  ev arg[4];
  diag_loc loc[4];
  int nextra;
  ev *extra;
  diag_loc *extra_loc;
} bt_args;

typedef ev (*bt_fn)(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a);

struct el_builtin {
  const char *name;
  bt_fn fn;
  int nparams;
  const char *params[4];
  bool variadic;
  ir_op op;               /* the operation of a family handler */
  double (*fold)(double); /* unary: its value on a number, or NULL */
  int variant;            /* row/column helpers: the axis they reduce (-1
                             rows, -2 columns); reductions: a red_kind */
};

typedef enum red_kind { RED_SUM, RED_MEAN, RED_RMS } red_kind;

/* ---- argument helpers -------------------------------------------------- */

static bool tensor_arg(el_tx *x, const el_builtin *b, bt_args *a, int j, ir_node **out) {
  char what[64];
  snprintf(what, sizeof what, "'%s' of %s", b->params[j], b->name);
  if (!el_want_tensor(x, a->arg[j], a->loc[j], what))
    return false;
  *out = a->arg[j].node;
  return true;
}

static bool num_arg(el_tx *x, const el_builtin *b, bt_args *a, int j, double def, double *out) {
  ev v = a->arg[j];
  if (v.kind == EV_NONE) {
    *out = def;
    return true;
  }
  if (v.kind == EV_ERR)
    return false;
  if (v.kind != EV_NUM) {
    el_fail(x, a->loc[j], "expected a compile-time number for '%s' of %s, got %s", b->params[j],
            b->name, el_describe(x, v));
    return false;
  }
  *out = v.num;
  return true;
}

static bool int_arg(el_tx *x, const el_builtin *b, bt_args *a, int j, long long def,
                    long long *out) {
  if (a->arg[j].kind == EV_NONE) {
    *out = def;
    return true;
  }
  char what[64];
  snprintf(what, sizeof what, "'%s' of %s", b->params[j], b->name);
  return el_want_int(x, a->arg[j], a->loc[j], what, out);
}

/* An axis argument in [-rank, rank), normalized to [0, rank). */
static bool axis_of(el_tx *x, diag_loc loc, long long ax, const ir_node *t, int *out) {
  int r = t->shape.rank;
  if (ax < -r || ax >= r) {
    char sb[96];
    el_fail(x, loc, "axis %lld is out of range for %s", ax, ir_shape_str(&t->shape, sb, sizeof sb));
    return false;
  }
  *out = (int)(ax < 0 ? ax + r : ax);
  return true;
}

static bool need_rank(el_tx *x, const el_builtin *b, const ast_expr *call, const ir_node *t,
                      int lo) {
  if (t->shape.rank >= lo)
    return true;
  char sb[96];
  el_fail(x, call->loc, "%s needs a tensor of rank %d or more, got %s", b->name, lo,
          ir_shape_str(&t->shape, sb, sizeof sb));
  return false;
}

static ev node(el_tx *x, const ast_expr *call, ir_node *n) { return el_ir(x, call->loc, n); }

/* ---- elementwise ------------------------------------------------------- */

static double f_sigmoid(double v) { return 1 / (1 + exp(-v)); }
static double f_sign(double v) { return (v > 0) - (v < 0); }
static double f_relu(double v) { return v > 0 ? v : 0; }
static double f_square(double v) { return v * v; }
static double f_rsqrt(double v) { return 1 / sqrt(v); }

static ev h_unary(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ev v = a->arg[0];
  if (v.kind == EV_NUM && b->fold)
    return ev_num(b->fold(v.num));
  if (v.kind == EV_NUM)
    return node(x, call, ir_unary(x->g, b->op, el_node(x, v)));
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  return node(x, call, ir_unary(x->g, b->op, t));
}

/* max/min: of two operands elementwise; of one tensor, its extreme element. */
static ev h_minmax(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  if (a->arg[1].kind != EV_NONE)
    return el_binop(x, call->loc, b->op, a->arg[0], a->arg[1]);
  if (a->arg[0].kind == EV_NUM)
    return a->arg[0];
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  if (b->op == IR_MAX)
    return node(x, call, ir_max_all(x->g, t));
  return node(x, call, ir_unary(x->g, IR_NEG, ir_max_all(x->g, ir_unary(x->g, IR_NEG, t))));
}

static ev h_where(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *c;
  if (!tensor_arg(x, b, a, 0, &c))
    return ev_err();
  ir_node *t = el_node(x, a->arg[1]), *f = el_node(x, a->arg[2]);
  if (!t || !f)
    return el_fail(x, call->loc, "the values of where must be tensors or numbers");
  return node(x, call, ir_select(x->g, c, t, f));
}

/* ---- shapes ------------------------------------------------------------ */

static ev h_dim(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  long long ax;
  int i;
  if (!tensor_arg(x, b, a, 0, &t) || !int_arg(x, b, a, 1, 0, &ax) ||
      !axis_of(x, a->loc[1], ax, t, &i))
    return ev_err();
  (void)call;
  return ev_int(t->shape.d[i]);
}

static ev h_permute(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  char sb[96];
  if (a->nextra != t->shape.rank)
    return el_fail(x, call->loc, "permute of %s needs %d axes, got %d",
                   ir_shape_str(&t->shape, sb, sizeof sb), t->shape.rank, a->nextra);
  int perm[IR_MAX_RANK];
  for (int i = 0; i < a->nextra; i++) {
    long long ax;
    if (!el_want_int(x, a->extra[i], a->extra_loc[i], "an axis of permute", &ax) ||
        !axis_of(x, a->extra_loc[i], ax, t, &perm[i]))
      return ev_err();
  }
  return node(x, call, ir_permute(x->g, t, perm));
}

/* reshape(x, d0, d1, ...): at most one dimension may be -1 (inferred). */
static ev h_reshape(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  if (a->nextra > IR_MAX_RANK)
    return el_fail(x, call->loc, "reshape to more than %d dimensions", IR_MAX_RANK);
  long d[IR_MAX_RANK], known = 1;
  int infer = -1;
  for (int i = 0; i < a->nextra; i++) {
    long long v;
    if (!el_want_int(x, a->extra[i], a->extra_loc[i], "a dimension of reshape", &v))
      return ev_err();
    if (v == -1 && infer < 0) {
      infer = i;
      d[i] = 1;
    } else if (v < 1) {
      return el_fail(x, a->extra_loc[i], "dimension %lld of reshape is not positive", v);
    } else {
      d[i] = (long)v;
      known *= d[i];
    }
  }
  if (infer >= 0 && ir_numel(&t->shape) % known == 0)
    d[infer] = ir_numel(&t->shape) / known;
  return node(x, call, ir_reshape(x->g, t, a->nextra, d));
}

/* [n, d1, d2, ...] -> [n, d1 * d2 * ...] */
static ev h_flatten(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  if (t->shape.rank <= 2)
    return ev_tensor(t);
  long d[2] = {t->shape.d[0], ir_numel(&t->shape) / t->shape.d[0]};
  return node(x, call, ir_reshape(x->g, t, 2, d));
}

/* [.., T, D] -> [.., H, T, D / H] */
static ev h_split_heads(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  long long h;
  if (!tensor_arg(x, b, a, 0, &t) || !int_arg(x, b, a, 1, 1, &h) || !need_rank(x, b, call, t, 2))
    return ev_err();
  int r = t->shape.rank;
  char sb[96];
  if (h < 1 || t->shape.d[r - 1] % h || r + 1 > IR_MAX_RANK)
    return el_fail(x, call->loc, "cannot split %s into %lld heads",
                   ir_shape_str(&t->shape, sb, sizeof sb), h);
  long d[IR_MAX_RANK];
  int perm[IR_MAX_RANK];
  for (int i = 0; i < r - 1; i++)
    d[i] = t->shape.d[i];
  d[r - 1] = (long)h;
  d[r] = t->shape.d[r - 1] / (long)h;
  for (int i = 0; i <= r; i++)
    perm[i] = i;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return node(x, call, ir_permute(x->g, ir_reshape(x->g, t, r + 1, d), perm));
}

/* [.., H, T, Dh] -> [.., T, H * Dh] */
static ev h_merge_heads(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t) || !need_rank(x, b, call, t, 3))
    return ev_err();
  int r = t->shape.rank, perm[IR_MAX_RANK];
  for (int i = 0; i < r; i++)
    perm[i] = i;
  perm[r - 3] = r - 2;
  perm[r - 2] = r - 3;
  ir_node *p = ir_permute(x->g, t, perm);
  long d[IR_MAX_RANK];
  for (int i = 0; i < r - 2; i++)
    d[i] = t->shape.d[i == r - 3 ? r - 2 : i];
  d[r - 2] = t->shape.d[r - 3] * t->shape.d[r - 1];
  return node(x, call, ir_reshape(x->g, p, r - 1, d));
}

/* ---- reductions and norms ---------------------------------------------- */

/* sum, mean, rms over everything, or over one axis kept as size 1. */
static ev h_reduce(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  bool rms = b->variant == RED_RMS, sum = b->variant == RED_SUM;
  if (a->arg[0].kind == EV_NUM && a->arg[1].kind == EV_NONE)
    return rms ? ev_num(fabs(a->arg[0].num)) : a->arg[0];
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  ir_graph *g = x->g;
  ir_node *v = rms ? ir_unary(g, IR_SQUARE, t) : t;
  ir_node *r;
  if (a->arg[1].kind == EV_NONE) {
    r = sum ? ir_sum_all(g, v) : ir_mean_all(g, v);
  } else {
    long long ax;
    int i;
    if (!int_arg(x, b, a, 1, 0, &ax) || !axis_of(x, a->loc[1], ax, t, &i))
      return ev_err();
    r = sum ? ir_sum(g, v, 1, &i, 1) : ir_mean(g, v, 1, &i, 1);
  }
  return node(x, call, rms ? ir_unary(g, IR_SQRT, r) : r);
}

/* The mean square over `axis` (-1: along rows, -2: along columns), kept. */
static ir_node *mean_square(el_tx *x, ir_node *t, int axis) {
  return ir_mean(x->g, ir_unary(x->g, IR_SQUARE, t), 1, &axis, 1);
}

/* rms_rows: [.., m, n] -> [.., m, 1]; rms_cols: -> [.., 1, n] (the reduced axis
 * kept, as for every reduction over one axis). */
static ev h_rms_lines(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t) || !need_rank(x, b, call, t, -b->variant))
    return ev_err();
  return node(x, call, ir_unary(x->g, IR_SQRT, mean_square(x, t, b->variant)));
}

/* Each row (column) divided by its RMS; a zero row stays zero. */
static ev h_normalize_lines(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t) || !need_rank(x, b, call, t, -b->variant))
    return ev_err();
  ir_graph *g = x->g;
  ir_node *ms = mean_square(x, t, b->variant);
  ir_node *zero = ir_const(g, 0);
  ir_node *inv = ir_select(g, ir_binary(g, IR_GT, ms, zero), ir_unary(g, IR_RSQRT, ms), zero);
  return node(x, call, ir_mul(g, t, inv));
}

/* Subtracts the mean over the rows (axis -2) from every row. */
static ev h_center_rows(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t) || !need_rank(x, b, call, t, 2))
    return ev_err();
  int ax = -2;
  return node(x, call, ir_sub(x->g, t, ir_mean(x->g, t, 1, &ax, 1)));
}

/* Frobenius norm of each matrix of [.., m, n] (of the whole of a vector). */
static ev h_frobenius(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  ir_node *sq = ir_unary(x->g, IR_SQUARE, t);
  int axes[2] = {-2, -1};
  ir_node *s = t->shape.rank >= 2 ? ir_sum(x->g, sq, 2, axes, 0) : ir_sum_all(x->g, sq);
  return node(x, call, ir_unary(x->g, IR_SQRT, s));
}

/* spectral(t) estimated as x->est says, for t of rank >= 2. */
static ev spectral_estimate(el_tx *x, const ast_expr *call, ir_node *t) {
  el_ctx *c = x->c;
  el_spectral_est *est = x->est;
  int r = t->shape.rank;
  long dims[IR_MAX_RANK];
  for (int i = 0; i < r - 1; i++)
    dims[i] = t->shape.d[i];
  if (t->shape.d[r - 1] < dims[r - 2])
    dims[r - 2] = t->shape.d[r - 1];
  const char *name = arena_printf(c->a, "%s%d", est->prefix, est->calls++);
  int v = ir_find_tensor(c->p, name);
  if (v < 0)
    v = ir_state(c->p, name, r - 1, dims, (ir_init){.kind = IR_INIT_ZEROS});
  if (v < 0) {
    diag_internal(c->d, call->loc, "%s", c->p->err);
    return ev_err();
  }
  ir_node *tup = ir_spectral_lanczos(x->g, t, ir_tensor_ref(x->g, v), est->steps);
  if (tup && ir_assign_add(x->g, v, ir_part(x->g, tup, 1)) < 0) {
    diag_internal(c->d, call->loc, "%s", ir_error(x->g));
    return ev_err();
  }
  return node(x, call, tup ? ir_part(x->g, tup, 0) : NULL);
}

/* One-operand runtime operations: spectral, polar_exact. */
static ev h_matrix_fn(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  if (b->op == IR_SPECTRAL_NORM && x->est && t->shape.rank >= 2)
    return spectral_estimate(x, call, t);
  return node(x, call,
              b->op == IR_SPECTRAL_NORM ? ir_spectral_norm(x->g, t) : ir_polar_svd(x->g, t));
}

/* ---- matrix functions -------------------------------------------------- */

/* Newton-Schulz coefficient schedules (runtime rt_ns_schedule order) and
 * their default numbers of steps. */
static const struct {
  const char *name;
  int steps;
} ns_schedules[] = {{"muon", 5}, {"you", 6}, {"polar_express", 5}};

/* polar(G, steps, schedule): Newton-Schulz, or the SVD for the schedule
 * "exact" (so that a rule can take its method as a parameter). */
static ev h_polar(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  if (!tensor_arg(x, b, a, 0, &t))
    return ev_err();
  int sched = 0;
  if (a->arg[2].kind != EV_NONE) {
    ev s = a->arg[2];
    if (s.kind == EV_STR && strcmp(s.s, "exact") == 0)
      return node(x, call, ir_polar_svd(x->g, t));
    sched = -1;
    for (int i = 0; s.kind == EV_STR && i < 3; i++)
      if (strcmp(s.s, ns_schedules[i].name) == 0)
        sched = i;
    if (sched < 0)
      return el_fail(x, a->loc[2],
                     "unknown polar schedule: expected \"muon\", \"you\", "
                     "\"polar_express\" or \"exact\"");
  }
  long long steps;
  if (!int_arg(x, b, a, 1, ns_schedules[sched].steps, &steps))
    return ev_err();
  if (steps < 1 || steps > 100)
    return el_fail(x, a->loc[1], "polar needs 1 to 100 steps, got %lld", steps);
  return node(x, call, ir_polar_ns(x->g, t, sched, (int)steps, 1e-7));
}

static ev h_spd_pow(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  double p, eps;
  if (!tensor_arg(x, b, a, 0, &t) || !num_arg(x, b, a, 1, 0, &p) || !num_arg(x, b, a, 2, 0, &eps))
    return ev_err();
  return node(x, call, ir_spd_pow(x->g, t, p, eps));
}

/* The n x n identity matrix. The pattern (1, 0, ..., 0) of length n + 1,
 * repeated, has its ones at the multiples of n + 1; read in rows of n, its
 * first n * n entries have them on the diagonal. */
static ir_node *identity(ir_graph *g, long n) {
  long one[2] = {1, 1}, zeros[2] = {1, n}, rows[2] = {n, n + 1}, square[2] = {n, n};
  long all = n * (n + 1);
  ir_node *parts[2] = {ir_broadcast_to(g, ir_const(g, 1), 2, one),
                       ir_broadcast_to(g, ir_const(g, 0), 2, zeros)};
  ir_node *pattern = ir_broadcast_to(g, ir_concat(g, 2, parts, 1), 2, rows);
  ir_node *flat = ir_slice(g, ir_reshape(g, pattern, 1, &all), 0, 0, n * n);
  return ir_reshape(g, flat, 2, square);
}

/* eye(n): the n x n identity matrix. */
static ev h_eye(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  long long n;
  if (!int_arg(x, b, a, 0, 1, &n))
    return ev_err();
  if (n < 1 || n > 1L << 20)
    return el_fail(x, a->loc[0], "eye needs a size from 1 to 2^20, got %lld", n);
  return node(x, call, identity(x->g, (long)n));
}

/* ---- network operations ------------------------------------------------ */

/* softmax(x, scale), rmsnorm(x, eps), layernorm(x, eps), rope(x, base):
 * one tensor and one number with a default. */
static ev h_tensor_num(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *t;
  double v;
  double def = b->op == IR_SOFTMAX   ? 1
               : b->op == IR_ROPE    ? 10000
               : b->op == IR_RMSNORM ? 1e-6
                                     : 1e-5;
  if (!tensor_arg(x, b, a, 0, &t) || !num_arg(x, b, a, 1, def, &v))
    return ev_err();
  switch (b->op) {
  case IR_SOFTMAX:
    return node(x, call, ir_softmax(x->g, t, -1, v));
  case IR_RMSNORM:
    return node(x, call, ir_rmsnorm(x->g, t, v));
  case IR_LAYERNORM:
    return node(x, call, ir_layernorm(x->g, t, v));
  default:
    return node(x, call, ir_rope(x->g, t, v));
  }
}

/* Causal attention on [B, H, T, D], scores scaled by 1/sqrt(D). */
static ev h_attention(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *q, *k, *v;
  if (!tensor_arg(x, b, a, 0, &q) || !tensor_arg(x, b, a, 1, &k) || !tensor_arg(x, b, a, 2, &v))
    return ev_err();
  ev c = a->arg[3];
  if (c.kind == EV_ERR)
    return c;
  if (c.kind != EV_NONE && !(c.kind == EV_BOOL && c.b))
    return el_fail(x, a->loc[3], "only causal attention is supported (causal = true)");
  double d = q->shape.rank ? (double)q->shape.d[q->shape.rank - 1] : 1;
  return node(x, call, ir_attention(x->g, q, k, v, 1 / sqrt(d)));
}

static ev h_gather(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *table, *idx;
  if (!tensor_arg(x, b, a, 0, &table) || !tensor_arg(x, b, a, 1, &idx))
    return ev_err();
  return node(x, call, ir_embedding(x->g, table, idx));
}

static ev h_conv2d(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *in, *w;
  long long stride, pad;
  if (!tensor_arg(x, b, a, 0, &in) || !tensor_arg(x, b, a, 1, &w) ||
      !int_arg(x, b, a, 2, 1, &stride) || !int_arg(x, b, a, 3, 0, &pad))
    return ev_err();
  return node(x, call, ir_conv2d(x->g, in, w, (int)stride, (int)pad));
}

/* maxpool2d(x, k, stride = k), avgpool2d(...) */
static ev h_pool(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  ir_node *in;
  long long k, stride;
  if (!tensor_arg(x, b, a, 0, &in) || !int_arg(x, b, a, 1, 2, &k) ||
      !int_arg(x, b, a, 2, k, &stride))
    return ev_err();
  ir_node *n = b->op == IR_MAXPOOL2D ? ir_maxpool2d(x->g, in, (int)k, (int)stride)
                                     : ir_avgpool2d(x->g, in, (int)k, (int)stride);
  return node(x, call, n);
}

/* fail("message"): an error at the call when the translation reaches it,
 * so that a body can reject a parameter value in its last `c ? a : b`. */
static ev h_fail(el_tx *x, const el_builtin *b, const ast_expr *call, bt_args *a) {
  (void)b;
  if (a->arg[0].kind != EV_STR)
    return el_fail(x, a->loc[0], "the message of fail must be a string, got %s",
                   el_describe(x, a->arg[0]));
  return el_fail(x, call->loc, "%s", a->arg[0].s);
}

/* ---- the table ----------------------------------------------------------- */

/* Fields a handler does not read are left zero. */
#define UNARY(n, o, f) \
  { .name = n, .fn = h_unary, .nparams = 1, .params = {"x"}, .op = o, .fold = f }

static const el_builtin builtins[] = {
    UNARY("sqrt", IR_SQRT, sqrt),
    UNARY("exp", IR_EXP, exp),
    UNARY("log", IR_LOG, log),
    UNARY("abs", IR_ABS, fabs),
    UNARY("rsqrt", IR_RSQRT, f_rsqrt),
    UNARY("tanh", IR_TANH, tanh),
    UNARY("sigmoid", IR_SIGMOID, f_sigmoid),
    UNARY("sign", IR_SIGN, f_sign),
    UNARY("relu", IR_RELU, f_relu),
    UNARY("gelu", IR_GELU, NULL),
    UNARY("square", IR_SQUARE, f_square),
    {.name = "min", .fn = h_minmax, .nparams = 2, .params = {"a", "b"}, .op = IR_MIN},
    {.name = "max", .fn = h_minmax, .nparams = 2, .params = {"a", "b"}, .op = IR_MAX},
    {.name = "where", .fn = h_where, .nparams = 3, .params = {"cond", "a", "b"}},
    {.name = "dim", .fn = h_dim, .nparams = 2, .params = {"x", "axis"}},
    {.name = "permute", .fn = h_permute, .nparams = 1, .params = {"x"}, .variadic = true},
    {.name = "reshape", .fn = h_reshape, .nparams = 1, .params = {"x"}, .variadic = true},
    {.name = "flatten", .fn = h_flatten, .nparams = 1, .params = {"x"}},
    {.name = "split_heads", .fn = h_split_heads, .nparams = 2, .params = {"x", "heads"}},
    {.name = "merge_heads", .fn = h_merge_heads, .nparams = 1, .params = {"x"}},
    {.name = "sum", .fn = h_reduce, .nparams = 2, .params = {"x", "axis"}, .variant = RED_SUM},
    {.name = "mean", .fn = h_reduce, .nparams = 2, .params = {"x", "axis"}, .variant = RED_MEAN},
    {.name = "rms", .fn = h_reduce, .nparams = 2, .params = {"x", "axis"}, .variant = RED_RMS},
    {.name = "rms_rows", .fn = h_rms_lines, .nparams = 1, .params = {"x"}, .variant = -1},
    {.name = "rms_cols", .fn = h_rms_lines, .nparams = 1, .params = {"x"}, .variant = -2},
    {.name = "frobenius", .fn = h_frobenius, .nparams = 1, .params = {"x"}},
    {.name = "spectral", .fn = h_matrix_fn, .nparams = 1, .params = {"W"}, .op = IR_SPECTRAL_NORM},
    {.name = "polar", .fn = h_polar, .nparams = 3, .params = {"G", "steps", "schedule"}},
    {.name = "polar_exact", .fn = h_matrix_fn, .nparams = 1, .params = {"G"}, .op = IR_POLAR_SVD},
    {.name = "normalize_rows",
     .fn = h_normalize_lines,
     .nparams = 1,
     .params = {"x"},
     .variant = -1},
    {.name = "normalize_cols",
     .fn = h_normalize_lines,
     .nparams = 1,
     .params = {"x"},
     .variant = -2},
    {.name = "center_rows", .fn = h_center_rows, .nparams = 1, .params = {"x"}},
    {.name = "spd_pow", .fn = h_spd_pow, .nparams = 3, .params = {"A", "p", "eps"}},
    {.name = "eye", .fn = h_eye, .nparams = 1, .params = {"n"}},
    {.name = "softmax",
     .fn = h_tensor_num,
     .nparams = 2,
     .params = {"x", "scale"},
     .op = IR_SOFTMAX},
    {.name = "rmsnorm", .fn = h_tensor_num, .nparams = 2, .params = {"x", "eps"}, .op = IR_RMSNORM},
    {.name = "layernorm",
     .fn = h_tensor_num,
     .nparams = 2,
     .params = {"x", "eps"},
     .op = IR_LAYERNORM},
    {.name = "rope", .fn = h_tensor_num, .nparams = 2, .params = {"x", "base"}, .op = IR_ROPE},
    {.name = "attention", .fn = h_attention, .nparams = 4, .params = {"q", "k", "v", "causal"}},
    {.name = "fail", .fn = h_fail, .nparams = 1, .params = {"message"}},
    {.name = "gather", .fn = h_gather, .nparams = 2, .params = {"table", "index"}},
    {.name = "conv2d", .fn = h_conv2d, .nparams = 4, .params = {"x", "W", "stride", "pad"}},
    {.name = "maxpool2d",
     .fn = h_pool,
     .nparams = 3,
     .params = {"x", "k", "stride"},
     .op = IR_MAXPOOL2D},
    {.name = "avgpool2d",
     .fn = h_pool,
     .nparams = 3,
     .params = {"x", "k", "stride"},
     .op = IR_AVGPOOL2D},
};

#undef UNARY

enum { NBUILTINS = sizeof builtins / sizeof builtins[0] };

/* Binds the call's arguments to b's parameters (sema checked the names). */
static bool bind(el_tx *x, const el_builtin *b, const ast_expr *call, el_env *env, bt_args *a) {
  int n = call->call.nargs, pos = 0;
  for (int j = 0; j < 4; j++)
    a->arg[j] = (ev){.kind = EV_NONE};
  a->extra = arena_alloc(x->c->a, (size_t)(n ? n : 1) * sizeof *a->extra);
  a->extra_loc = arena_alloc(x->c->a, (size_t)(n ? n : 1) * sizeof *a->extra_loc);
  a->nextra = 0;
  bool ok = true;
  for (int i = 0; i < n; i++) {
    const ast_arg *arg = &call->call.args[i];
    ev v = el_expr(x, arg->value, env);
    ok = v.kind != EV_ERR && ok;
    int j = -1;
    if (arg->name) {
      for (int k = 0; k < b->nparams; k++)
        if (strcmp(b->params[k], arg->name) == 0)
          j = k;
    } else if (pos < b->nparams) {
      j = pos++;
    }
    if (j >= 0) {
      a->arg[j] = v;
      a->loc[j] = arg->value->loc;
    } else if (b->variadic && !arg->name) {
      a->extra_loc[a->nextra] = arg->value->loc;
      a->extra[a->nextra++] = v;
    } else {
      el_fail(x, arg->value->loc, "unexpected argument of %s", b->name);
      ok = false;
    }
  }
  return ok;
}

ev el_call_builtin(el_tx *x, const ast_expr *call, el_env *env) {
  const char *name = call->call.name;
  for (int i = 0; i < NBUILTINS; i++) {
    const el_builtin *b = &builtins[i];
    if (strcmp(b->name, name) != 0)
      continue;
    bt_args a;
    if (!bind(x, b, call, env, &a))
      return ev_err();
    if (a.arg[0].kind == EV_NONE)
      return el_fail(x, call->loc, "missing argument '%s' of %s", b->params[0], name);
    return b->fn(x, b, call, &a);
  }
  return el_fail(x, call->call.name_loc, "'%s' is not a tensor function", name);
}
