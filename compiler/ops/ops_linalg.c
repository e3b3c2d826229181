/*
 * ops_linalg.c - rules of matrix products and matrix functions, the
 * gradient of the product, the Newton-Schulz schedule names (the runtime's
 * RT_NS_SCHEDULES table), and the builders of the matrix builtins.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "ops_family.h"
#include "rt_kernels.h"

/* ---- Newton-Schulz schedules ------------------------------------------------ */

static const struct {
  const char *name;
  int steps;
} NS_SCHEDULES[] = {
#define OPS_NS_ENTRY(id, nm, st) [RT_NS_##id] = {nm, st},
    RT_NS_SCHEDULES(OPS_NS_ENTRY)
#undef OPS_NS_ENTRY
};

/* The schedule called name, or -1. */
static int ns_schedule(const char *name) {
  for (int i = 0; i < RT_NS_COUNT; i++)
    if (strcmp(NS_SCHEDULES[i].name, name) == 0)
      return i;
  return -1;
}

const char *ops_ns_schedule_name(int s) {
  return s >= 0 && s < RT_NS_COUNT ? NS_SCHEDULES[s].name : "?";
}

/* ---- shape rules ------------------------------------------------------------ */

static int infer_matmul(ops_infer *c, int nin, ir_node *const *in, const ir_attr *at, ir_shape *out,
                        ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  ops_shape_strs ss;
  const ir_node *a = in[0], *b = in[1];
  if (ops_need_real(c, a, "left operand") || ops_need_real(c, b, "right operand"))
    return -1;
  if (a->shape.rank < 2 || b->shape.rank < 2)
    return ops_fail(c, "operands must have rank >= 2, got %s @ %s",
                    ops_shape_str(&ss, 0, &a->shape), ops_shape_str(&ss, 1, &b->shape));
  int ra = a->shape.rank, rb = b->shape.rank;
  long m = a->shape.d[ra - (at->trans_a ? 1 : 2)], ka = a->shape.d[ra - (at->trans_a ? 2 : 1)];
  long kb = b->shape.d[rb - (at->trans_b ? 1 : 2)], n = b->shape.d[rb - (at->trans_b ? 2 : 1)];
  if (ka != kb)
    return ops_fail(c, "inner dimensions differ: %s%s @ %s%s", ops_shape_str(&ss, 0, &a->shape),
                    at->trans_a ? "^T" : "", ops_shape_str(&ss, 1, &b->shape),
                    at->trans_b ? "^T" : "");
  ir_shape ba = ir_shape_of(ra - 2, a->shape.d), bb = ir_shape_of(rb - 2, b->shape.d);
  if (ops_broadcast2(&ba, &bb, out) < 0)
    return ops_fail(c, "batch dimensions do not broadcast: %s @ %s",
                    ops_shape_str(&ss, 0, &a->shape), ops_shape_str(&ss, 1, &b->shape));
  if (out->rank + 2 > IR_MAX_RANK)
    return ops_fail(c, "result rank exceeds %d", IR_MAX_RANK);
  out->d[out->rank++] = m;
  out->d[out->rank++] = n;
  return 0;
}

/* A batch of matrices [.., m, n] to one of the same shape. */
static int infer_matrix(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                        ir_shape *shape, ir_dtype *dtype) {
  if (ops_infer_same(c, nin, in, a, shape, dtype) < 0)
    return -1;
  return ops_need_rank(c, in[0], 2, IR_MAX_RANK, "operand");
}

static int infer_polar_ns(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                          ir_shape *shape, ir_dtype *dtype) {
  if (infer_matrix(c, nin, in, a, shape, dtype) < 0)
    return -1;
  if (a->steps < 1 || a->schedule < 0 || a->schedule >= RT_NS_COUNT)
    return ops_fail(c, "bad schedule %d or steps %d", a->schedule, a->steps);
  return 0;
}

static int infer_spectral_norm(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                               ir_shape *shape, ir_dtype *dtype) {
  if (infer_matrix(c, nin, in, a, shape, dtype) < 0)
    return -1;
  shape->rank -= 2;
  return 0;
}

static int infer_spd_pow(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                         ir_shape *shape, ir_dtype *dtype) {
  ops_shape_strs ss;
  if (infer_matrix(c, nin, in, a, shape, dtype) < 0)
    return -1;
  const ir_shape *x = &in[0]->shape;
  if (x->d[x->rank - 1] != x->d[x->rank - 2])
    return ops_fail(c, "matrices must be square, got %s", ops_shape_str(&ss, 0, x));
  return 0;
}

/* spectral_lanczos: W [.., m, n] and v [.., min(m, n)], at least one step. */
static int infer_lanczos(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                         ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)shape;
  *dtype = IR_VOID;
  ops_shape_strs ss;
  const ir_node *W = in[0], *v = in[1];
  if (ops_need_real(c, W, "W") || ops_need_real(c, v, "v") ||
      ops_need_rank(c, W, 2, IR_MAX_RANK, "W"))
    return -1;
  const int r = W->shape.rank;
  ir_shape want = ir_shape_of(r - 1, W->shape.d);
  want.d[r - 2] = W->shape.d[r - 2] < W->shape.d[r - 1] ? W->shape.d[r - 2] : W->shape.d[r - 1];
  if (!ir_shape_eq(&v->shape, &want))
    return ops_fail(c, "v %s should be %s for W %s", ops_shape_str(&ss, 0, &v->shape),
                    ops_shape_str(&ss, 1, &want), ops_shape_str(&ss, 2, &W->shape));
  return a->steps < 1 ? ops_fail(c, "steps must be at least 1, got %d", a->steps) : 0;
}

/* part 0 the estimates [..], part 1 the next directions (v's shape) */
static int part_lanczos(ops_infer *c, const ir_node *t, int i, ir_shape *shape, ir_dtype *dtype) {
  (void)c;
  (void)dtype;
  const ir_shape *x = &t->in[0]->shape;
  *shape = i == 0 ? ir_shape_of(x->rank - 2, x->d) : t->in[1]->shape;
  return 0;
}

/* ---- gradient of the product ------------------------------------------------ */

static int grad_matmul(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *a = n->in[0], *b = n->in[1];
  int ta = n->attr.trans_a, tb = n->attr.trans_b;
  if (ad_active(c, a)) {
    ir_node *d = !ta ? ir_matmul(g, gy, b, 0, !tb) : ir_matmul(g, b, gy, tb, 1);
    ad_acc_unbroadcast(c, a, d);
  }
  if (!ad_active(c, b))
    return 0;
  if (b->shape.rank == 2 && a->shape.rank > 2 && !ta) {
    /* [.., k] @ [k, n]: one GEMM over the collapsed rows */
    long k = a->shape.d[a->shape.rank - 1], m = ir_numel(&a->shape) / k;
    long ga[2] = {m, k}, gg[2] = {m, gy->shape.d[gy->shape.rank - 1]};
    ir_node *a2 = ir_reshape(g, a, 2, ga), *g2 = ir_reshape(g, gy, 2, gg);
    ad_acc(c, b, tb ? ir_matmul(g, g2, a2, 1, 0) : ir_matmul(g, a2, g2, 1, 0));
    return 0;
  }
  ir_node *d = !tb ? ir_matmul(g, a, gy, !ta, 0) : ir_matmul(g, gy, a, 1, ta);
  ad_acc_unbroadcast(c, b, d);
  return 0;
}

/* ---- builtins ---------------------------------------------------------------- */

/* Frobenius norm of each matrix of [.., m, n] (of the whole of a vector). */
static ops_val build_frobenius(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  ir_graph *g = a->g;
  ir_node *sq = ir_square(g, t);
  int axes[2] = {-2, -1};
  ir_node *s = t->shape.rank >= 2 ? ir_sum(g, sq, 2, axes, 0) : ir_sum_all(g, sq);
  return ops_result(a, ir_sqrt(g, s));
}

/* spectral(t) for t of rank >= 2 by warm-started Lanczos (ops_args). */
static ops_val spectral_estimate(ops_args *a, ir_node *t) {
  ir_graph *g = a->g;
  int r = t->shape.rank;
  long dims[IR_MAX_RANK];
  for (int i = 0; i < r - 1; i++)
    dims[i] = t->shape.d[i];
  if (t->shape.d[r - 1] < dims[r - 2])
    dims[r - 2] = t->shape.d[r - 1];
  int v = a->lanczos_state(a->ctx, r - 1, dims);
  if (v < 0)
    return ops_err();
  ir_node *tup = ir_spectral_lanczos(g, t, ir_tensor_ref(g, v), a->lanczos_steps);
  if (tup) {
    int rc = ir_assign_add(g, v, ir_part(g, tup, 1));
    assert(rc == 0); /* the state is fresh */
    (void)rc;
  }
  return ops_result(a, tup ? ir_part(g, tup, 0) : NULL);
}

static ops_val build_spectral(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  if (a->lanczos_steps > 0 && t->shape.rank >= 2)
    return spectral_estimate(a, t);
  return ops_result(a, ir_spectral_norm(a->g, t));
}

static ops_val build_polar_exact(ops_args *a) {
  ir_node *t;
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  return ops_result(a, ir_polar_svd(a->g, t));
}

static const char *const NS_PRECISIONS[RT_NS_PRECISIONS] = {"bf16", "f32", "f64"};

const char *ops_ns_precision_name(int p) {
  return p >= 0 && p < RT_NS_PRECISIONS ? NS_PRECISIONS[p] : "?";
}

/* The precision of polar's iteration: argument 3, else the enclosing
 * dualize's, else the real type. Sets *p; false (reported) for another
 * value. */
static bool polar_precision(ops_args *a, const ir_node *t, rt_ns_precision *p) {
  const ops_val *v = &a->arg[3];
  const char *name = v->kind == OPS_V_STR ? v->s
                     : a->precision       ? a->precision
                     : t->dtype == IR_F64 ? "f64"
                                          : "f32";
  for (int i = 0; i < RT_NS_PRECISIONS && (v->kind == OPS_V_NONE || v->kind == OPS_V_STR); i++)
    if (strcmp(name, NS_PRECISIONS[i]) == 0) {
      *p = (rt_ns_precision)i;
      return true;
    }
  ops_report(a, v->kind == OPS_V_NONE ? OPS_AT_CALL : 3,
             "the precision of polar is \"bf16\", \"f32\" or \"f64\", got %s%s%s",
             v->kind == OPS_V_NONE || v->kind == OPS_V_STR ? "\"" : "",
             v->kind == OPS_V_NONE || v->kind == OPS_V_STR ? name : "a value that is no string",
             v->kind == OPS_V_NONE || v->kind == OPS_V_STR ? "\"" : "");
  return false;
}

/* polar(G, steps, schedule, precision): Newton-Schulz, or the SVD for the
 * schedule "exact" (so that a rule can take its method as a parameter; the
 * SVD runs in the real type whatever the precision) and when the
 * translation asks for the exact polar factor (a->polar_exact). */
static ops_val build_polar(ops_args *a) {
  ir_node *t;
  rt_ns_precision precision;
  if (!ops_tensor_arg(a, 0, &t) || !polar_precision(a, t, &precision))
    return ops_err();
  const ops_val *s = &a->arg[2];
  const char *name = s->kind == OPS_V_NONE ? a->b->defaults[2].s : s->kind == OPS_V_STR ? s->s : "";
  if (strcmp(name, "exact") == 0 || a->polar_exact)
    return ops_result(a, ir_polar_svd(a->g, t));
  int sched = ns_schedule(name);
  if (sched < 0) {
    char list[256];
    size_t n = 0;
    for (int i = 0; i < RT_NS_COUNT && n < sizeof list; i++)
      n += (size_t)snprintf(list + n, sizeof list - n, "%s\"%s\"", i ? ", " : "",
                            NS_SCHEDULES[i].name);
    return ops_report(a, 2, "unknown polar schedule: expected %s or \"exact\"", list);
  }
  long long steps = NS_SCHEDULES[sched].steps;
  if (a->arg[1].kind != OPS_V_NONE && !ops_want_int(a, &a->arg[1], 1, "'steps' of polar", &steps))
    return ops_err();
  if (steps < 1 || steps > 100)
    return ops_report(a, 1, "polar needs 1 to 100 steps, got %lld", steps);
  return ops_result(a, ir_polar_ns(a->g, t, sched, (int)steps, 1e-7, (int)precision));
}

static ops_val build_spd_pow(ops_args *a) {
  ir_node *t;
  double p, eps;
  if (!ops_tensor_arg(a, 0, &t) || !ops_real_arg(a, 1, &p) || !ops_real_arg(a, 2, &eps))
    return ops_err();
  return ops_result(a, ir_spd_pow(a->g, t, p, eps));
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

static ops_val build_eye(ops_args *a) {
  long long n;
  if (!ops_int_arg(a, 0, &n))
    return ops_err();
  if (n < 1 || n > 1L << 20)
    return ops_report(a, 0, "eye needs a size from 1 to 2^20, got %lld", n);
  return ops_result(a, identity(a->g, (long)n));
}

#include "ops_linalg.def"
