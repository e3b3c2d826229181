/* sema_experiment.c: binds an experiment: its settings (with overrides),
 * the counts (batch, epochs, steps, seed), data, model (expanded and
 * derived), loss, optimizers, schedule and evaluation, each checked by the
 * file of its concern; and the check of a builtin reference (loss, data
 * source, schedule piece, metric). */
#include <string.h>

#include "sema_internal.h"

const sema_builtin *sema_want_builtin(sema_ctx *c, const ast_expr *e, unsigned use,
                                      const char *what) {
  const char *name = e->kind == AST_CALL ? e->call.name : e->kind == AST_NAME ? e->name : NULL;
  if (!name) {
    diag_error(c->d, e->loc, "expected a %s", what);
    return NULL;
  }
  const sema_builtin *b = sema_builtin_find(name, use);
  if (!b) {
    diag_error(c->d, e->kind == AST_CALL ? e->call.name_loc : e->loc, "unknown %s '%s'", what,
               name);
    const char *cands[64];
    int n = 0;
    for (int i = 0; i < sema_builtin_count() && n < 64; i++)
      if (sema_builtin_at(i)->use & use)
        cands[n++] = sema_builtin_at(i)->name;
    sema_hint_closest(c, name, cands, n);
    return NULL;
  }
  if (e->kind == AST_NAME && b->nrequired > 0) {
    diag_error(c->d, e->loc, "%s '%s' needs arguments: write %s(...)", what, name, name);
    return NULL;
  }
  return e->kind == AST_NAME || sema_check_builtin_args(c, b, e) ? b : NULL;
}

static bool want_count(sema_ctx *c, const sema_settings *st, sema_setting k, long long min,
                       long long *out) {
  const ast_expr *e = st->value[k];
  if (!e)
    return true;
  if (!sema_want_int(c, sema_evaluate(c, e, NULL), e, sema_setting_names[k], out))
    return false;
  if (*out < min) {
    diag_error(c->d, e->loc, "'%s' must be at least %lld, got %lld", sema_setting_names[k], min,
               *out);
    return false;
  }
  return true;
}

static bool bind_counts(sema_ctx *c, const sema_settings *st, sema_experiment *x) {
  x->batch = 128;
  bool ok = want_count(c, st, SETTING_BATCH, 1, &x->batch);
  ok = want_count(c, st, SETTING_EPOCHS, 1, &x->epochs) && ok;
  ok = want_count(c, st, SETTING_STEPS, 1, &x->steps) && ok;
  ok = want_count(c, st, SETTING_SEED, 0, &x->seed) && ok;
  if (st->value[SETTING_EPOCHS] && st->value[SETTING_STEPS]) {
    diag_error(c->d, st->loc[SETTING_STEPS], "both 'epochs' and 'steps' are set; give one of them");
    ok = false;
  }
  if (!st->value[SETTING_EPOCHS] && !st->value[SETTING_STEPS])
    x->epochs = 1;
  return ok;
}

static bool required(sema_ctx *c, const ast_decl *exp, const sema_settings *st, sema_setting k,
                     const char *example) {
  if (st->value[k])
    return true;
  diag_error(c->d, exp->name_loc, "experiment %s has no '%s'", exp->name, sema_setting_names[k]);
  diag_hint(c->d, "add e.g. '%s'", example);
  return false;
}

sema_experiment *sema_build(sema_ctx *c, const ast_decl *exp, int nov, const sema_override *ov) {
  sema_settings st = {0};
  bool ok = sema_read_settings(c, exp, &st);
  for (int i = 0; i < nov; i++)
    if (strncmp(ov[i].key, "data.", 5) != 0) /* those go to the data bindings */
      ok = sema_apply_override(c, &st, &ov[i]) && ok;
  sema_experiment *x = arena_alloc(c->a, sizeof *x);
  x->decl = exp;
  x->name = exp->name;
  ok = sema_bind_all_data(c, exp, x, nov, ov) && ok;
  ok = required(c, exp, &st, SETTING_MODEL, "model = MLP(784, 512, 10)") && ok;
  ok = required(c, exp, &st, SETTING_LOSS, "loss = cross_entropy") && ok;
  ok = required(c, exp, &st, SETTING_OPTIMIZER, "optimizer = Dual(lr = 0.05)") && ok;
  ok = bind_counts(c, &st, x) && ok;
  if (st.value[SETTING_LOSS]) {
    const sema_builtin *b = sema_want_builtin(c, st.value[SETTING_LOSS], BT_LOSS, "loss");
    x->loss = b ? b->name : NULL;
    x->loss_loc = st.value[SETTING_LOSS]->loc;
    ok = b && ok;
  }
  if (st.value[SETTING_OPTIMIZER])
    ok = sema_bind_default(c, st.value[SETTING_OPTIMIZER], x) && ok;
  ok = sema_bind_groups(c, exp, x) && ok;
  if (st.value[SETTING_SCHEDULE])
    ok = sema_bind_schedule(c, st.value[SETTING_SCHEDULE], x) && ok;
  ok = sema_bind_evals(c, exp, x) && ok;
  if (st.value[SETTING_MODEL]) {
    x->model = sema_instantiate_model(c, st.value[SETTING_MODEL], NULL);
    ok = x->model && derive_model(x->model, c->d) && ok;
    ok = x->model && sema_resolve_spectra(c, x) && ok;
    ok = x->model && sema_resolve_ablations(c, x) && ok;
  }
  for (int i = 0; i < x->ndata; i++)
    x->data[i].seed = x->seed;
  if (!ok)
    return NULL;
  x->norm = derive_modular_norm(c->a, x->model);
  sema_assign_optimizers(c, x);
  return x;
}
