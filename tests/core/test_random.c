/*
 * test_random.c - differential test of lowering and code generation: random
 * graphs of elementwise operations (with broadcasting), reductions and shape
 * operations (permute, slice, broadcast, reshape, concat) are compiled, run,
 * and compared with a direct interpretation of the IR in double precision
 * (relative error <= 1e-12; reductions may sum in a different order).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kp_math.h"
#include "tc.h"

enum { ENTRIES = 40, NODES = 18, INPUTS = 3, MAXN = 4096 };

typedef struct value {
  ir_shape s;
  double *v; /* malloc-owned, row-major */
} value;

static long offset_of(const ir_shape *out, const long *idx, const ir_shape *x) {
  long off = 0, acc = 1;
  int lead = out->rank - x->rank;
  for (int j = x->rank - 1; j >= 0; j--) {
    if (x->d[j] != 1)
      off += idx[j + lead] * acc;
    acc *= x->d[j];
  }
  return off;
}

static void unravel(const ir_shape *s, long i, long *idx) {
  for (int d = s->rank - 1; d >= 0; d--) {
    idx[d] = i % s->d[d];
    i /= s->d[d];
  }
}

static double apply(ir_op op, double a, double b, double c) {
  switch (op) {
  case IR_NEG:
    return -a;
  case IR_TANH:
    return kp_tanh_f64(a);
  case IR_SIGMOID:
    return kp_sigmoid_f64(a);
  case IR_ABS:
    return fabs(a);
  case IR_RELU:
    return kp_relu_f64(a);
  case IR_SQUARE:
    return a * a;
  case IR_EXP:
    return kp_exp_f64(a);
  case IR_ADD:
    return a + b;
  case IR_SUB:
    return a - b;
  case IR_MUL:
    return a * b;
  case IR_MAX:
    return kp_max_f64(a, b);
  case IR_MIN:
    return kp_min_f64(a, b);
  case IR_GT:
    return a > b;
  case IR_SELECT:
    return a != 0 ? b : c;
  default:
    return NAN;
  }
}

/* Direct evaluation of node n from the values of its operands. */
static void eval(const ir_program *p, const ir_node *n, value *vals, double *const *inputs) {
  value *o = &vals[n->id];
  o->s = n->shape;
  long cnt = ir_numel(&n->shape), idx[IR_MAX_RANK], xi[IR_MAX_RANK];
  o->v = calloc((size_t)cnt, sizeof(double));
  const value *x = n->nin ? &vals[n->in[0]->id] : NULL;
  switch (ir_op_kind(n->op)) {
  case IR_K_LEAF:
    if (n->op == IR_CONST)
      o->v[0] = n->attr.value;
    else
      memcpy(o->v, inputs[n->attr.index], sizeof(double) * (size_t)cnt);
    (void)p;
    return;
  case IR_K_UNARY:
  case IR_K_BINARY:
  case IR_K_SELECT:
    for (long i = 0; i < cnt; i++) {
      double a[3] = {0, 0, 0};
      unravel(&n->shape, i, idx);
      for (int k = 0; k < n->nin; k++)
        a[k] = vals[n->in[k]->id].v[offset_of(&n->shape, idx, &n->in[k]->shape)];
      o->v[i] = apply(n->op, a[0], a[1], a[2]);
    }
    return;
  case IR_K_REDUCE: {
    for (long i = 0; i < cnt; i++)
      o->v[i] = n->op == IR_SUM ? 0 : -INFINITY;
    long xc = ir_numel(&x->s);
    for (long i = 0; i < xc; i++) {
      unravel(&x->s, i, xi);
      long off = 0, acc = 1;
      for (int d = x->s.rank - 1; d >= 0; d--)
        if (!(n->attr.axes >> d & 1)) {
          off += xi[d] * acc;
          acc *= x->s.d[d];
        }
      o->v[off] = n->op == IR_SUM ? o->v[off] + x->v[i] : kp_max_f64(o->v[off], x->v[i]);
    }
    return;
  }
  default:
    break;
  }
  for (long i = 0; i < cnt; i++) {
    unravel(&n->shape, i, idx);
    switch (n->op) {
    case IR_RESHAPE:
      o->v[i] = x->v[i];
      break;
    case IR_BROADCAST:
      o->v[i] = x->v[offset_of(&n->shape, idx, &x->s)];
      break;
    case IR_PERMUTE:
    case IR_SLICE: {
      memcpy(xi, idx, sizeof xi);
      if (n->op == IR_PERMUTE)
        for (int d = 0; d < n->shape.rank; d++)
          xi[n->attr.perm[d]] = idx[d];
      else
        xi[n->attr.axis] += n->attr.start;
      long off = 0;
      for (int d = 0; d < x->s.rank; d++)
        off = off * x->s.d[d] + xi[d];
      o->v[i] = x->v[off];
      break;
    }
    case IR_CONCAT: {
      int k = 0;
      long a = idx[n->attr.axis];
      while (a >= n->in[k]->shape.d[n->attr.axis])
        a -= n->in[k++]->shape.d[n->attr.axis];
      memcpy(xi, idx, sizeof xi);
      xi[n->attr.axis] = a;
      const value *src = &vals[n->in[k]->id];
      long off = 0;
      for (int d = 0; d < src->s.rank; d++)
        off = off * src->s.d[d] + xi[d];
      o->v[i] = src->v[off];
      break;
    }
    default:
      o->v[i] = NAN;
    }
  }
}

/* Relative error; non-finite values must agree exactly. */
static double rel_err(double got, double want) {
  if (!isfinite(got) || !isfinite(want))
    return (isnan(got) && isnan(want)) || got == want ? 0 : INFINITY;
  return fabs(got - want) / fmax(1, fabs(want));
}

static int pick(check_ctx *t, int n) { return (int)check_uniform(t, 0, n); }

static ir_shape random_shape(check_ctx *t) {
  ir_shape s = {0};
  s.rank = 1 + pick(t, 3);
  for (int i = 0; i < s.rank; i++)
    s.d[i] = 1 + pick(t, 5);
  return s;
}

static int broadcastable(const ir_shape *a, const ir_shape *b) {
  for (int i = 1; i <= a->rank && i <= b->rank; i++) {
    long x = a->d[a->rank - i], y = b->d[b->rank - i];
    if (x != y && x != 1 && y != 1)
      return 0;
  }
  return 1;
}

/* One random operation on existing nodes; NULL if the draw does not apply. */
static ir_node *random_op(check_ctx *t, ir_graph *g, ir_node **nodes, int n) {
  static const ir_op unary[] = {IR_NEG, IR_TANH, IR_SIGMOID, IR_ABS, IR_RELU, IR_SQUARE, IR_EXP};
  static const ir_op binary[] = {IR_ADD, IR_SUB, IR_MUL, IR_MAX, IR_MIN, IR_GT};
  ir_node *a = nodes[pick(t, n)], *b = nodes[pick(t, n)];
  const ir_shape *s = &a->shape;
  int r = s->rank;
  switch (pick(t, 9)) {
  case 0: {
    ir_op op = unary[pick(t, 8)]; /* exp and square of bounded values */
    return ir_unary(g, op, op == IR_SQUARE || op == IR_EXP ? ir_tanh(g, a) : a);
  }
  case 1:
    return broadcastable(s, &b->shape)
               ? ir_binary(g, binary[pick(t, 6)], a, b)
               : ir_binary(g, binary[pick(t, 6)], a, ir_const(g, check_uniform(t, -1, 1)));
  case 2: {
    ir_node *c = nodes[pick(t, n)];
    if (!broadcastable(s, &b->shape) || !broadcastable(s, &c->shape))
      return NULL;
    ir_shape ab = a->shape.rank >= b->shape.rank ? a->shape : b->shape;
    return broadcastable(&ab, &c->shape)
               ? ir_select(g, ir_binary(g, IR_GT, a, ir_const(g, 0)), b, c)
               : NULL;
  }
  case 3: {
    int axes[IR_MAX_RANK], na = 0;
    for (int i = 0; i < r; i++)
      if (pick(t, 2))
        axes[na++] = i;
    return pick(t, 2) ? ir_sum(g, a, na, axes, pick(t, 2)) : ir_max(g, a, na, axes, pick(t, 2));
  }
  case 4: {
    int perm[IR_MAX_RANK];
    for (int i = 0; i < r; i++)
      perm[i] = i;
    for (int i = r - 1; i > 0; i--) {
      int j = pick(t, i + 1), tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    return ir_permute(g, a, perm);
  }
  case 5: {
    int ax = pick(t, r);
    long len = 1 + pick(t, (int)s->d[ax]);
    return ir_slice(g, a, ax, pick(t, (int)(s->d[ax] - len + 1)), len);
  }
  case 6: {
    ir_shape to = *s;
    for (int i = 0; i < r; i++)
      if (to.d[i] == 1)
        to.d[i] = 1 + pick(t, 4);
    if (r < 4 && pick(t, 2)) {
      memmove(&to.d[1], &to.d[0], sizeof(long) * (size_t)r);
      to.d[0] = 2 + pick(t, 3);
      to.rank++;
    }
    return ir_broadcast_to(g, a, to.rank, to.d);
  }
  case 7: {
    long cnt = ir_numel(s), d0 = 1;
    for (long k = 2; k <= cnt; k++)
      if (cnt % k == 0 && pick(t, 2)) {
        d0 = k;
        break;
      }
    long shape[2] = {d0, cnt / d0};
    return pick(t, 2) ? ir_reshape(g, a, 2, shape) : ir_reshape(g, a, 1, &cnt);
  }
  default: {
    int ax = pick(t, r);
    ir_shape bs = *s;
    bs.d[ax] = 1 + pick(t, 3);
    ir_node *piece = ir_broadcast_to(g, ir_tanh(g, ir_sum_all(g, b)), bs.rank, bs.d);
    ir_node *parts[2] = {a, piece};
    return ir_concat(g, 2, parts, ax);
  }
  }
}

int main(void) {
  check_ctx t = {.rng = 2024};
  ir_program *p = ir_program_new(IR_F64);
  ir_shape in_shapes[INPUTS];
  double *inputs[INPUTS];
  for (int i = 0; i < INPUTS; i++) {
    char name[8];
    snprintf(name, sizeof name, "x%d", i);
    in_shapes[i] = random_shape(&t);
    if (i == 1) { /* a shape that broadcasts with x0 */
      in_shapes[1] = in_shapes[0];
      in_shapes[1].d[0] = 1;
    }
    tc_decl(p, ir_input(p, name, IR_F64, in_shapes[i].rank, in_shapes[i].d));
    inputs[i] = malloc(sizeof(double) * (size_t)ir_numel(&in_shapes[i]));
    tc_fill(&t, inputs[i], ir_numel(&in_shapes[i]), -2, 2);
  }
  for (int e = 0; e < ENTRIES; e++) {
    char name[16];
    snprintf(name, sizeof name, "g%d", e);
    ir_graph *g = ir_entry(p, name);
    ir_node *nodes[NODES + INPUTS];
    int n = 0;
    for (int i = 0; i < INPUTS; i++)
      nodes[n++] = ir_input_ref(g, i);
    while (n < NODES + INPUTS) {
      ir_node *x = random_op(&t, g, nodes, n);
      if (x && ir_numel(&x->shape) <= 256)
        nodes[n++] = x;
    }
    /* the last nodes become states and outputs: several values stay live */
    for (int k = 0; k < 3; k++) {
      ir_node *x = nodes[n - 1 - k];
      snprintf(name, sizeof name, "s%d_%d", e, k);
      int si = tc_decl(p, ir_state(p, name, x->shape.rank, x->shape.d, (ir_init){0}));
      ir_assign_add(g, si, x);
      snprintf(name, sizeof name, "o%d", k);
      ir_output_add(g, name, ir_sum_all(g, nodes[n - 4 - k]));
    }
    check(&t, g->nassigns == 3 && g->noutputs == 3, "graph %d: %s", e, ir_error(g));
  }
  core_exe *exe = tc_compile(p);
  printf("%d random graphs of %d operations: compile %.3f s\n", ENTRIES, NODES,
         core_compile_seconds(exe));
  char *arena = core_arena_alloc(exe);
  int compared = 0;
  for (int e = 0; e < ENTRIES; e++) {
    ir_graph *g = p->entries[e];
    double out[3];
    core_run(exe, e, arena, (void **)inputs, NULL, out);
    value *vals = calloc((size_t)g->nnodes, sizeof *vals);
    for (int i = 0; i < g->nnodes; i++)
      eval(p, g->nodes[i], vals, inputs);
    double worst = 0;
    for (int k = 0; k < g->nassigns; k++) {
      const ir_assign *a = &g->assigns[k];
      const double *got = core_tensor_data(exe, arena, p->tensors[a->tensor].name, NULL);
      const value *want = &vals[a->node->id];
      for (long i = 0; i < ir_numel(&want->s); i++, compared++)
        worst = fmax(worst, rel_err(got[i], want->v[i]));
    }
    for (int k = 0; k < g->noutputs; k++, compared++)
      worst = fmax(worst, rel_err(out[k], vals[g->outputs[k].node->id].v[0]));
    check(&t, worst <= 1e-12, "graph %d: JIT and interpreter differ by %g", e, worst);
    if (worst > 1e-12)
      ir_dump_graph(g, stdout);
    for (int i = 0; i < g->nnodes; i++)
      free(vals[i].v);
    free(vals);
  }
  printf("%d values compared\n", compared);
  for (int i = 0; i < INPUTS; i++)
    free(inputs[i]);
  free(arena);
  core_free(exe);
  ir_program_free(p);
  return check_done(&t, "test_random");
}
