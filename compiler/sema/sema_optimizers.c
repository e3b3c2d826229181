/* sema_optimizers.c: an experiment's optimizers: the default (an optimizer
 * with an update rule, or a composite whose default and groups it takes
 * over), the groups of `optimizer for`, and the optimizer of each weight. */
#include <string.h>

#include "sema_internal.h"

/* ---- optimizers -------------------------------------------------------- */

/* The optimizer declaration an expression calls, or NULL after reporting. */
static sema_sym *optimizer_sym(sema_ctx *c, const ast_expr *e) {
  const char *name = e->kind == AST_CALL ? e->call.name : e->kind == AST_NAME ? e->name : NULL;
  sema_sym *s = name ? sema_lookup(c, name) : NULL;
  if (!s || s->decl->kind != AST_OPTIMIZER) {
    diag_loc at = e->kind == AST_CALL ? e->call.name_loc : e->loc;
    if (s)
      diag_error(c->d, at, "expected an optimizer, got %s '%s'", ast_decl_kind_name(s->decl->kind),
                 name);
    else if (name)
      diag_error(c->d, at, "unknown optimizer '%s'", name);
    else
      diag_error(c->d, at, "expected an optimizer such as Dual(lr = 0.05)");
    if (name && !s && !sema_hint_use(c, name)) {
      const char *cands[128];
      int n = sema_global_names(c, SEMA_KIND(AST_OPTIMIZER), cands, 128);
      sema_hint_closest(c, name, cands, n);
    }
    return NULL;
  }
  return s->bad ? NULL : s;
}

/* An optimizer with an update rule bound to the arguments of call e,
 * evaluated in env (NULL: globals). */
static sema_optimizer *bind_rule(sema_ctx *c, sema_sym *s, const ast_expr *e, sema_env *env) {
  sema_env *args = sema_bind_args(c, s->decl, e, env);
  if (!args)
    return NULL;
  sema_optimizer *o = arena_alloc(c->a, sizeof *o);
  o->decl = s->decl;
  o->loc = e->loc;
  o->uses_dualize = s->uses_dualize;
  o->every = 1;
  o->nargs = args->n;
  o->args = arena_alloc(c->a, (size_t)args->n * sizeof *o->args);
  for (int i = 0; i < args->n; i++) {
    o->args[i].name = args->b[i].name;
    bool constant = sema_to_mt(args->b[i].val, &o->args[i].value);
    (void)constant; /* sema_bind_args refuses modules for optimizers */
  }
  return o;
}

/* Appends one weight group to x->groups. */
static bool add_group(sema_ctx *c, sema_experiment *x, const ast_item *it, sema_env *env,
                      const char *via) {
  sema_sym *s = optimizer_sym(c, it->value);
  if (s && sema_is_composite(s->decl)) {
    diag_error(c->d, it->value->loc, "composite optimizer %s cannot be given to a group", s->name);
    diag_hint(c->d, "use it as the experiment's 'optimizer = %s(...)'", s->name);
    return false;
  }
  sema_optimizer *o = s ? bind_rule(c, s, it->value, env) : NULL;
  if (!o)
    return false;
  o->group = it->optfor.group;
  o->is_glob = it->optfor.is_glob;
  o->group_loc = it->optfor.group_loc;
  o->every = it->optfor.every > 0 ? it->optfor.every : 1;
  o->via = via;
  x->groups = arena_grow(c->a, x->groups, (size_t)x->ngroups * sizeof *x->groups,
                         (size_t)(x->ngroups + 1) * sizeof *x->groups);
  x->groups[x->ngroups++] = *o;
  return true;
}

/* The experiment's `optimizer = e`: an optimizer with an update rule, or a
 * composite, whose default and groups it takes over. */
bool sema_bind_default(sema_ctx *c, const ast_expr *e, sema_experiment *x) {
  sema_sym *s = optimizer_sym(c, e);
  if (!s)
    return false;
  if (!sema_is_composite(s->decl)) {
    x->optimizer = bind_rule(c, s, e, NULL);
    return x->optimizer != NULL;
  }
  sema_env *env = sema_bind_args(c, s->decl, e, NULL);
  if (!env)
    return false;
  bool ok = true;
  for (int i = 0; i < s->decl->nitems; i++) {
    const ast_item *it = s->decl->items[i];
    if (it->kind == AST_ITEM_OPTIMIZER_FOR) {
      ok = add_group(c, x, it, env, s->name) && ok;
    } else { /* the default (sema_decls checked that there is one) */
      sema_sym *part = optimizer_sym(c, it->value);
      x->optimizer = part ? bind_rule(c, part, it->value, env) : NULL;
      ok = x->optimizer && ok;
    }
  }
  if (x->optimizer)
    x->optimizer->via = s->name;
  return ok;
}

static bool bind_group(sema_ctx *c, const ast_item *it, sema_experiment *x) {
  if (!it->optfor.is_glob) {
    sema_sym *s = sema_lookup(c, it->optfor.group);
    if (!s || s->decl->kind != AST_ATOM) {
      if (s)
        diag_error(c->d, it->optfor.group_loc, "'%s' is %s %s, not an atom kind", it->optfor.group,
                   s->decl->kind == AST_OPTIMIZER || s->decl->kind == AST_EXPERIMENT ? "an" : "a",
                   ast_decl_kind_name(s->decl->kind));
      else
        diag_error(c->d, it->optfor.group_loc, "unknown atom kind '%s'", it->optfor.group);
      const char *cands[128];
      int n = sema_global_names(c, SEMA_KIND(AST_ATOM), cands, 128);
      if (!sema_closest(it->optfor.group, cands, n))
        diag_hint(c->d, "group weights by atom kind (Linear) or by a path glob (\"*.MLP*\")");
      else
        sema_hint_closest(c, it->optfor.group, cands, n);
      add_group(c, x, it, NULL, NULL); /* reports errors in the optimizer too */
      return false;
    }
  }
  return add_group(c, x, it, NULL, NULL);
}

static bool group_matches(const sema_optimizer *g, const mt_weight *w) {
  return g->is_glob ? sema_glob_match(g->group, w->path)
                    : strcmp(g->group, w->atom->decl->name) == 0;
}

/* Every weight gets the last group that matches it, or the default; a
 * group that matches nothing is worth a warning. */
void sema_assign_optimizers(sema_ctx *c, sema_experiment *x) {
  const mt_model *m = x->model;
  x->weight_opt = arena_alloc(c->a, (size_t)m->nweights * sizeof *x->weight_opt);
  for (int i = 0; i < m->nweights; i++)
    x->weight_opt[i] = x->optimizer;
  for (int g = 0; g < x->ngroups; g++) {
    const sema_optimizer *grp = &x->groups[g];
    int matched = 0;
    for (int i = 0; i < m->nweights; i++)
      if (group_matches(grp, m->weights[i])) {
        x->weight_opt[i] = grp;
        matched++;
      }
    if (matched || !m->nweights)
      continue;
    const char *q = grp->is_glob ? "\"" : "";
    diag_warning(c->d, grp->group_loc, "optimizer for %s%s%s matches no weight", q, grp->group, q);
    if (grp->is_glob)
      diag_hint(c->d, "a glob matches a weight path such as '%s', or its end from a '.'",
                m->weights[0]->path);
  }
}

/* The experiment's own groups, after those of a composite default. */
bool sema_bind_groups(sema_ctx *c, const ast_decl *exp, sema_experiment *x) {
  bool ok = true;
  for (int i = 0; i < exp->nitems; i++)
    if (exp->items[i]->kind == AST_ITEM_OPTIMIZER_FOR)
      ok = bind_group(c, exp->items[i], x) && ok;
  return ok;
}
