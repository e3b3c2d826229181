/*
 * ops_reduce.c - rules of the reductions (sum and maximum over an axes
 * bitmask), their gradients, and the builders of sum, mean and rms.
 */
#include "ops_family.h"

static int infer_reduce(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                        ir_shape *shape, ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  const ir_node *x = in[0];
  if (ops_need_real(c, x, "operand"))
    return -1;
  if (a->axes >> x->shape.rank)
    return ops_fail(c, "axis out of range for rank %d", x->shape.rank);
  shape->rank = 0;
  for (int i = 0; i < x->shape.rank; i++) {
    if (!(a->axes >> i & 1))
      shape->d[shape->rank++] = x->shape.d[i];
    else if (a->keepdims)
      shape->d[shape->rank++] = 1;
  }
  return 0;
}

static void dump_reduce(FILE *out, const ir_program *p, const ir_node *n) {
  (void)p;
  fputs(" axes=(", out);
  const char *sep = "";
  for (int i = 0; i < n->in[0]->shape.rank; i++)
    if (n->attr.axes >> i & 1) {
      fprintf(out, "%s%d", sep, i);
      sep = ",";
    }
  fputc(')', out);
  if (n->attr.keepdims)
    fputs(" keepdims", out);
}

/* Keepdims view of a reduction result or its adjoint. */
static ir_node *keepdims(ir_graph *g, const ir_node *red, ir_node *v) {
  ir_shape s = red->in[0]->shape;
  for (int i = 0; i < s.rank; i++)
    if (red->attr.axes >> i & 1)
      s.d[i] = 1;
  return ir_reshape(g, v, s.rank, s.d);
}

static int grad_sum(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *x = n->in[0];
  ad_acc(c, x, ir_broadcast_to(g, keepdims(g, n, gy), x->shape.rank, x->shape.d));
  return 0;
}

/* ties: every maximal element receives the gradient */
static int grad_rmax(ad_ctx *c, ir_node *n, ir_node *gy) {
  ir_graph *g = ad_graph(c);
  ir_node *x = n->in[0];
  ad_acc(c, x, ir_mul(g, keepdims(g, n, gy), ir_binary(g, IR_EQ, x, keepdims(g, n, n))));
  return 0;
}

typedef enum red_kind { RED_SUM, RED_MEAN, RED_RMS } red_kind;

/* sum, mean, rms over everything, or over one axis kept as size 1. */
static ops_val reduce(ops_args *a, red_kind k) {
  ir_node *t;
  if (a->arg[0].kind == OPS_V_NUM && a->arg[1].kind == OPS_V_NONE) {
    cnum v = a->arg[0].num;
    char err[160];
    if (k == RED_RMS && !cnum_call(CNUM_FN_ABS, &v, &v, err, sizeof err))
      return ops_report(a, OPS_AT_CALL, "%s", err);
    return ops_num_val(v);
  }
  if (!ops_tensor_arg(a, 0, &t))
    return ops_err();
  ir_graph *g = a->g;
  ir_node *v = k == RED_RMS ? ir_square(g, t) : t;
  ir_node *r;
  if (a->arg[1].kind == OPS_V_NONE) {
    r = k == RED_SUM ? ir_sum_all(g, v) : ir_mean_all(g, v);
  } else {
    long long ax;
    int i;
    if (!ops_int_arg(a, 1, &ax) || !ops_axis(a, 1, ax, t, &i))
      return ops_err();
    r = k == RED_SUM ? ir_sum(g, v, 1, &i, 1) : ir_mean(g, v, 1, &i, 1);
  }
  return ops_result(a, k == RED_RMS ? ir_sqrt(g, r) : r);
}

static ops_val build_sum(ops_args *a) { return reduce(a, RED_SUM); }
static ops_val build_mean(ops_args *a) { return reduce(a, RED_MEAN); }
static ops_val build_rms(ops_args *a) { return reduce(a, RED_RMS); }

#include "ops_reduce.def"
