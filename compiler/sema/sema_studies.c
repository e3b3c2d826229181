/* sema_studies.c: checks compare and sweep declarations: each names an
 * experiment that was built, and every value of every axis builds that
 * experiment with the axis' settings overridden. */
#include <string.h>

#include "sema_internal.h"

/* The keys of an axis as written: "optimizer.lr", "(optimizer, model.rule)". */
static const char *axis_keys_text(sema_ctx *c, const ast_axis *ax) {
  if (ax->nkeys == 1)
    return ax->keys[0].key;
  const char *s = "(";
  for (int k = 0; k < ax->nkeys; k++)
    s = arena_printf(c->a, "%s%s%s", s, k ? ", " : "", ax->keys[k].key);
  return arena_printf(c->a, "%s)", s);
}

/* Checks one axis: every key once (a key may appear once), that each value
 * has one item per key, then every value by building the experiment with
 * it. */
static void check_axis(sema_ctx *c, const ast_decl *exp, const ast_axis *ax) {
  sema_settings st = {0};
  sema_read_settings(c, exp, &st); /* no errors: exp was built before */
  sema_override *ov = arena_alloc(c->a, (size_t)ax->nkeys * sizeof *ov);
  bool keys_ok = true;
  for (int k = 0; k < ax->nkeys; k++) {
    const ast_expr *v = ast_axis_value(ax, 0, k);
    ov[k] = (sema_override){ax->keys[k].key, v ? v : ax->values[0], ax->keys[k].loc};
    for (int j = 0; j < k; j++)
      if (strcmp(ax->keys[j].key, ax->keys[k].key) == 0) {
        diag_error(c->d, ax->keys[k].loc, "'%s' is varied twice in this axis", ax->keys[k].key);
        keys_ok = false;
      }
    /* data.* keys are checked against the data bindings by sema_build */
    if (strncmp(ov[k].key, "data.", 5) != 0)
      keys_ok = sema_apply_override(c, &st, &ov[k]) && keys_ok;
  }
  if (!keys_ok)
    return;
  const char *keys = axis_keys_text(c, ax);
  for (int j = 0; j < ax->nvalues; j++) {
    bool shaped = true;
    for (int k = 0; k < ax->nkeys; k++)
      shaped = shaped && (ov[k].value = ast_axis_value(ax, j, k)) != NULL;
    if (!shaped) {
      diag_error(c->d, ax->values[j]->loc,
                 "each value of %s must be a tuple of %d values, one per setting", keys, ax->nkeys);
      diag_hint(c->d, "write the values of one variant in parentheses, in the order of %s", keys);
      continue;
    }
    if (!sema_build(c, exp, ax->nkeys, ov))
      diag_note(c->d, ax->values[j]->loc, "in experiment %s with %s set to this value", exp->name,
                keys);
  }
}

void sema_check_studies(sema_ctx *c) {
  const ast_program *p = c->prog;
  for (int i = 0; i < p->ndecls; i++) {
    const ast_decl *d = p->decls[i];
    if (d->kind != AST_COMPARE && d->kind != AST_SWEEP)
      continue;
    sema_sym *s = sema_lookup(c, d->name);
    if (!s || s->decl->kind != AST_EXPERIMENT) {
      if (s)
        diag_error(c->d, d->name_loc, "'%s' is %s %s, not an experiment", d->name,
                   s->decl->kind == AST_ATOM || s->decl->kind == AST_OPTIMIZER ? "an" : "a",
                   ast_decl_kind_name(s->decl->kind));
      else
        diag_error(c->d, d->name_loc, "unknown experiment '%s'", d->name);
      const char *cands[128];
      int n = sema_global_names(c, SEMA_KIND(AST_EXPERIMENT), cands, 128);
      sema_hint_closest(c, d->name, cands, n);
      continue;
    }
    bool built = false;
    for (int k = 0; k < c->res->nexperiments; k++)
      built |= c->res->experiments[k]->decl == s->decl;
    if (!built)
      continue; /* its own errors were reported */
    for (int k = 0; k < d->naxes; k++)
      check_axis(c, s->decl, &d->axes[k]);
    c->res->studies =
        arena_grow(c->a, c->res->studies, (size_t)c->res->nstudies * sizeof(sema_study),
                   (size_t)(c->res->nstudies + 1) * sizeof(sema_study));
    c->res->studies[c->res->nstudies++] = (sema_study){d, s->decl};
  }
}
