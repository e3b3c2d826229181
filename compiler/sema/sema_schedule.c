/* sema_schedule.c: an experiment's learning-rate schedule: a sequence of
 * schedule pieces, each with non-negative numeric arguments (NAN where not
 * given). */
#include <math.h>

#include "sema_internal.h"

bool sema_bind_schedule(sema_ctx *c, const ast_expr *e, sema_experiment *x) {
  if (e->kind == AST_BINARY && e->binary.op == AST_OP_SEQ) {
    bool ok = sema_bind_schedule(c, e->binary.lhs, x);
    return sema_bind_schedule(c, e->binary.rhs, x) && ok;
  }
  const sema_builtin *b = sema_want_builtin(c, e, BT_SCHED, "schedule");
  if (!b)
    return false;
  sema_sched_piece p = {b->name, b->nparams, arena_alloc(c->a, (size_t)b->nparams * sizeof(double)),
                        e->loc};
  bool ok = true;
  for (int j = 0; j < b->nparams; j++) {
    const ast_expr *a = sema_builtin_arg(b, e, j);
    p.args[j] = NAN; /* not given */
    if (!a)
      continue;
    if (!sema_want_num(c, sema_evaluate(c, a, NULL), a, b->params[j], &p.args[j])) {
      ok = false;
    } else if (p.args[j] < 0) {
      diag_error(c->d, a->loc, "'%s' of %s must not be negative", b->params[j], b->name);
      ok = false;
    }
  }
  x->sched =
      arena_grow(c->a, x->sched, (size_t)x->nsched * sizeof p, (size_t)(x->nsched + 1) * sizeof p);
  x->sched[x->nsched++] = p;
  return ok;
}
