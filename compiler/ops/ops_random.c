/*
 * ops_random.c - the rule of the initializers: a rank-0 real seed to a
 * tensor of the target shape (orthogonal ones of rank >= 2). They have no
 * gradient.
 */
#include "ops_family.h"

static int infer_rand(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                      ir_dtype *dtype) {
  (void)nin;
  (void)dtype;
  ops_shape_strs ss;
  if (ops_need_real(c, in[0], "seed") || ops_need_rank(c, in[0], 0, 0, "seed") ||
      ops_check_target(c, &a->target))
    return -1;
  if (c->def->op == IR_RAND_ORTHOGONAL && a->target.rank < 2)
    return ops_fail(c, "needs rank >= 2, got %s", ops_shape_str(&ss, 0, &a->target));
  *shape = a->target;
  return 0;
}

#include "ops_random.def"
