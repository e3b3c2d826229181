/* sema_experiment.c: binds an experiment: its settings (with overrides from
 * --set, compare and sweep), data sources, model (expanded and derived),
 * loss, optimizers per weight group, schedule and evaluation; and checks
 * compare/sweep declarations against the experiments they vary. */
#include <math.h>
#include <string.h>

#include "sema_internal.h"

typedef enum setting {
  K_MODEL,
  K_LOSS,
  K_OPTIMIZER,
  K_BATCH,
  K_EPOCHS,
  K_STEPS,
  K_SEED,
  K_SCHEDULE,
  NSETTINGS
} setting;

static const char *const setting_names[NSETTINGS] = {"model",  "loss",  "optimizer", "batch",
                                                     "epochs", "steps", "seed",      "schedule"};

typedef struct settings {
  const ast_expr *value[NSETTINGS];
  diag_loc loc[NSETTINGS]; /* the key as written */
} settings;

static int setting_index(const char *name) {
  for (int k = 0; k < NSETTINGS; k++)
    if (strcmp(setting_names[k], name) == 0)
      return k;
  return -1;
}

static bool read_settings(sema_ctx *c, const ast_decl *exp, settings *st) {
  bool ok = true;
  for (int i = 0; i < exp->nitems; i++) {
    const ast_item *it = exp->items[i];
    if (it->kind != AST_ITEM_ASSIGN)
      continue;
    int k = setting_index(it->name);
    if (k < 0) {
      diag_error(c->d, it->name_loc, "unknown experiment setting '%s'", it->name);
      sema_hint_closest(c, it->name, setting_names, NSETTINGS);
      ok = false;
    } else if (st->value[k]) {
      diag_error(c->d, it->name_loc, "setting '%s' is given twice", it->name);
      diag_note(c->d, st->loc[k], "first given here");
      ok = false;
    } else {
      st->value[k] = it->value;
      st->loc[k] = it->name_loc;
    }
  }
  return ok;
}

/* ---- overrides --------------------------------------------------------- */

/* A copy of call (or bare name) `base` with parameter `p` (index j) set to
 * `value`. */
static ast_expr *with_arg(sema_ctx *c, const ast_expr *base, const ast_param *p, int j,
                          const ast_expr *value) {
  ast_expr *e = arena_alloc(c->a, sizeof *e);
  *e = *base;
  if (base->kind == AST_NAME) {
    e->kind = AST_CALL;
    e->call.name = base->name;
    e->call.name_loc = base->loc;
    e->call.nargs = 0;
    e->call.args = NULL;
  }
  int n = e->call.nargs;
  ast_arg *args = arena_alloc(c->a, (size_t)(n + 1) * sizeof *args);
  if (n)
    memcpy(args, e->call.args, (size_t)n * sizeof *args);
  int pos = 0, found = -1;
  for (int i = 0; i < n; i++)
    if (args[i].name ? strcmp(args[i].name, p->name) == 0 : pos++ == j)
      found = i;
  if (found >= 0)
    args[found].value = (ast_expr *)value;
  else
    args[n++] = (ast_arg){p->name, value->loc, (ast_expr *)value};
  e->call.args = args;
  e->call.nargs = n;
  return e;
}

/* Setting `param` in the calls a setting's expression makes: of `callee`
 * only, or (NULL) of any declaration that has the parameter. */
typedef struct param_search {
  sema_ctx *c;
  const char *callee, *param;
  const ast_expr *value; /* NULL: count the calls only */
  int ncalls;
} param_search;

static const ast_expr *set_param(param_search *ps, const ast_expr *e);

static ast_expr *copy_expr(param_search *ps, const ast_expr *e) {
  ast_expr *copy = arena_alloc(ps->c->a, sizeof *copy);
  *copy = *e;
  return copy;
}

static const ast_expr *set_param_call(param_search *ps, const ast_expr *e) {
  ast_expr *copy = NULL;
  for (int i = 0; e->kind == AST_CALL && i < e->call.nargs; i++) {
    const ast_expr *v = set_param(ps, e->call.args[i].value);
    if (v == e->call.args[i].value)
      continue;
    if (!copy) {
      copy = copy_expr(ps, e);
      copy->call.args = arena_alloc(ps->c->a, (size_t)e->call.nargs * sizeof(ast_arg));
      memcpy(copy->call.args, e->call.args, (size_t)e->call.nargs * sizeof(ast_arg));
    }
    copy->call.args[i].value = (ast_expr *)v;
  }
  const ast_expr *cur = copy ? copy : e;
  const char *name = e->kind == AST_CALL ? e->call.name : e->name;
  sema_sym *s = sema_lookup(ps->c, name);
  if (!s || (ps->callee && strcmp(ps->callee, name) != 0))
    return cur;
  for (int j = 0; j < s->decl->nparams; j++)
    if (strcmp(s->decl->params[j].name, ps->param) == 0) {
      ps->ncalls++;
      return ps->value ? with_arg(ps->c, cur, &s->decl->params[j], j, ps->value) : cur;
    }
  return cur;
}

static const ast_expr *set_param(param_search *ps, const ast_expr *e) {
  switch (e->kind) {
  case AST_CALL:
  case AST_NAME:
    return set_param_call(ps, e);
  case AST_UNARY: {
    const ast_expr *o = set_param(ps, e->unary.operand);
    if (o == e->unary.operand)
      return e;
    ast_expr *copy = copy_expr(ps, e);
    copy->unary.operand = (ast_expr *)o;
    return copy;
  }
  case AST_BINARY: {
    const ast_expr *l = set_param(ps, e->binary.lhs), *r = set_param(ps, e->binary.rhs);
    if (l == e->binary.lhs && r == e->binary.rhs)
      return e;
    ast_expr *copy = copy_expr(ps, e);
    copy->binary.lhs = (ast_expr *)l;
    copy->binary.rhs = (ast_expr *)r;
    return copy;
  }
  case AST_TERNARY: {
    const ast_expr *t = set_param(ps, e->ternary.then_e), *f = set_param(ps, e->ternary.else_e);
    if (t == e->ternary.then_e && f == e->ternary.else_e)
      return e;
    ast_expr *copy = copy_expr(ps, e);
    copy->ternary.then_e = (ast_expr *)t;
    copy->ternary.else_e = (ast_expr *)f;
    return copy;
  }
  case AST_TUPLE: {
    ast_expr *copy = NULL;
    for (int i = 0; i < e->list.n; i++) {
      const ast_expr *v = set_param(ps, e->list.items[i]);
      if (v == e->list.items[i])
        continue;
      if (!copy) {
        copy = copy_expr(ps, e);
        copy->list.items = arena_alloc(ps->c->a, (size_t)e->list.n * sizeof *copy->list.items);
        memcpy(copy->list.items, e->list.items, (size_t)e->list.n * sizeof *copy->list.items);
      }
      copy->list.items[i] = (ast_expr *)v;
    }
    return copy ? copy : e;
  }
  default:
    return e;
  }
}

/* Splits "model.MLP.width" into its parts (at most 4 kept). */
static int split_key(sema_ctx *c, const char *key, const char *parts[4]) {
  int n = 0;
  for (const char *p = key;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (n < 4)
      parts[n] = arena_strndup(c->a, p, len);
    n++;
    if (!dot)
      return n;
    p = dot + 1;
  }
}

/* Why no call matched: the parameters of the setting's own callee, if any. */
static void no_such_param(sema_ctx *c, const sema_override *ov, const char *setting,
                          const ast_expr *value, const char *callee, const char *param) {
  const char *name = value->kind == AST_CALL   ? value->call.name
                     : value->kind == AST_NAME ? value->name
                                               : NULL;
  sema_sym *s = name && !callee ? sema_lookup(c, name) : NULL;
  if (!s) {
    diag_error(c->d, ov->loc, "no call%s%s in '%s' has a parameter '%s'", callee ? " of " : "",
               callee ? callee : "", setting, param);
    return;
  }
  diag_error(c->d, ov->loc, "%s %s has no parameter '%s'", ast_decl_kind_name(s->decl->kind),
             s->name, param);
  const char *cands[64];
  int nc = 0;
  for (int j = 0; j < s->decl->nparams && nc < 64; j++)
    cands[nc++] = s->decl->params[j].name;
  sema_hint_closest(c, param, cands, nc);
}

/* `setting = v`; `setting.param = v` (in every call written in the
 * setting's expression that has the parameter); `setting.Name.param = v`
 * (in every call of Name there); `param = v` (as model.param). */
static bool apply_override(sema_ctx *c, settings *st, const sema_override *ov) {
  const char *parts[4];
  int n = split_key(c, ov->key, parts);
  int k = setting_index(parts[0]);
  if (k < 0 && n == 1 && st->value[K_MODEL]) {
    param_search probe = {c, NULL, parts[0], NULL, 0};
    set_param(&probe, st->value[K_MODEL]);
    if (probe.ncalls) {
      k = K_MODEL;
      parts[1] = parts[0];
      n = 2;
    }
  }
  if (k < 0) {
    diag_error(c->d, ov->loc, "unknown experiment setting '%s'", parts[0]);
    if (sema_closest(parts[0], setting_names, NSETTINGS))
      sema_hint_closest(c, parts[0], setting_names, NSETTINGS);
    else if (n == 1)
      diag_hint(c->d, "'%s' is neither a setting nor a parameter of a call in the model", parts[0]);
    return false;
  }
  if (n == 1) {
    st->value[k] = ov->value;
    return true;
  }
  if (n > 3 || !st->value[k]) {
    diag_error(c->d, ov->loc,
               n > 3 ? "'%s' has too many parts: write setting.param or "
                       "setting.Module.param"
                     : "'%s' cannot be set: the experiment has no '%s'",
               ov->key, parts[0]);
    return false;
  }
  param_search ps = {c, n == 3 ? parts[1] : NULL, parts[n - 1], ov->value, 0};
  const ast_expr *set = set_param(&ps, st->value[k]);
  if (ps.ncalls == 0) {
    no_such_param(c, ov, parts[0], st->value[k], ps.callee, ps.param);
    return false;
  }
  st->value[k] = set;
  return true;
}

/* ---- builtin references (loss, data, schedule, metrics) ----------------- */

static const sema_builtin *want_builtin(sema_ctx *c, const ast_expr *e, unsigned use,
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

/* A data-source argument written as a list of integers, `[1, -1, 2]`. */
static bool bind_int_list(sema_ctx *c, const ast_expr *a, mt_value *out) {
  long long *v = arena_alloc(c->a, (size_t)(a->list.n ? a->list.n : 1) * sizeof *v);
  bool ok = true;
  for (int i = 0; i < a->list.n; i++)
    ok = sema_want_int(c, sema_evaluate(c, a->list.items[i], NULL), a->list.items[i],
                       "an item of the list", &v[i]) &&
         ok;
  *out = (mt_value){.kind = MT_INTS, .ints = {v, a->list.n}};
  return ok;
}

/* Argument a of parameter j of data source b, a constant. */
static bool bind_constant(sema_ctx *c, const sema_builtin *b, int j, const ast_expr *a,
                          mt_value *out) {
  sv v = sema_evaluate(c, a, NULL);
  if (v.kind == SV_ERROR)
    return false;
  if (sema_to_mt(v, out))
    return true;
  diag_error(c->d, a->loc, "expected a constant for '%s' of %s, got %s", b->params[j], b->name,
             sema_describe(c, v));
  return false;
}

static bool bind_data(sema_ctx *c, const ast_arg *bnd, sema_data *out) {
  out->name = bnd->name;
  out->loc = bnd->value->loc;
  const sema_builtin *b = want_builtin(c, bnd->value, BT_DATA, "data source");
  if (!b)
    return false;
  out->source = b->name;
  out->args = arena_alloc(c->a, (size_t)b->nparams * sizeof *out->args);
  bool ok = true;
  for (int j = 0; j < b->nparams; j++) {
    const ast_expr *a = sema_builtin_arg(b, bnd->value, j);
    if (!a)
      continue;
    mt_binding *m = &out->args[out->nargs];
    m->name = b->params[j];
    if (a->kind == AST_LIST ? bind_int_list(c, a, &m->value) : bind_constant(c, b, j, a, &m->value))
      out->nargs++;
    else
      ok = false;
  }
  return ok && sema_check_data(c, out);
}

static bool bind_schedule(sema_ctx *c, const ast_expr *e, sema_experiment *x) {
  if (e->kind == AST_BINARY && e->binary.op == AST_OP_SEQ) {
    bool ok = bind_schedule(c, e->binary.lhs, x);
    return bind_schedule(c, e->binary.rhs, x) && ok;
  }
  const sema_builtin *b = want_builtin(c, e, BT_SCHED, "schedule");
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

static bool bind_metric(sema_ctx *c, const sema_builtin *b, const ast_expr *e,
                        const sema_experiment *x, sema_metric *m) {
  const ast_expr *a = sema_builtin_arg(b, e, 0);
  m->name = b->name;
  m->loc = e->loc;
  if (a->kind == AST_NAME)
    for (int i = 0; i < x->ndata; i++)
      if (strcmp(x->data[i].name, a->name) == 0) {
        m->data = a->name;
        return true;
      }
  diag_error(c->d, a->loc, "%s of what? expected the name of a data binding of experiment %s",
             b->name, x->name);
  if (a->kind == AST_NAME) {
    const char *cands[64];
    int n = 0;
    for (int i = 0; i < x->ndata && n < 64; i++)
      cands[n++] = x->data[i].name;
    sema_hint_closest(c, a->name, cands, n);
  }
  return false;
}

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
    if (name && !s) {
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
  o->via = via;
  x->groups = arena_grow(c->a, x->groups, (size_t)x->ngroups * sizeof *x->groups,
                         (size_t)(x->ngroups + 1) * sizeof *x->groups);
  x->groups[x->ngroups++] = *o;
  return true;
}

/* The experiment's `optimizer = e`: an optimizer with an update rule, or a
 * composite, whose default and groups it takes over. */
static bool bind_default(sema_ctx *c, const ast_expr *e, sema_experiment *x) {
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
static void assign_optimizers(sema_ctx *c, sema_experiment *x) {
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

/* ---- experiments ------------------------------------------------------- */

static bool want_count(sema_ctx *c, const settings *st, setting k, long long min, long long *out) {
  const ast_expr *e = st->value[k];
  if (!e)
    return true;
  if (!sema_want_int(c, sema_evaluate(c, e, NULL), e, setting_names[k], out))
    return false;
  if (*out < min) {
    diag_error(c->d, e->loc, "'%s' must be at least %lld, got %lld", setting_names[k], min, *out);
    return false;
  }
  return true;
}

static bool bind_counts(sema_ctx *c, const settings *st, sema_experiment *x) {
  x->batch = 128;
  bool ok = want_count(c, st, K_BATCH, 1, &x->batch);
  ok = want_count(c, st, K_EPOCHS, 1, &x->epochs) && ok;
  ok = want_count(c, st, K_STEPS, 1, &x->steps) && ok;
  ok = want_count(c, st, K_SEED, 0, &x->seed) && ok;
  if (st->value[K_EPOCHS] && st->value[K_STEPS]) {
    diag_error(c->d, st->loc[K_STEPS], "both 'epochs' and 'steps' are set; give one of them");
    ok = false;
  }
  if (!st->value[K_EPOCHS] && !st->value[K_STEPS])
    x->epochs = 1;
  return ok;
}

static bool bind_all_data(sema_ctx *c, const ast_decl *exp, sema_experiment *x) {
  bool ok = true, train = false;
  for (int i = 0; i < exp->nitems; i++) {
    const ast_item *it = exp->items[i];
    if (it->kind != AST_ITEM_DATA)
      continue;
    for (int j = 0; j < it->data.nbindings; j++) {
      const ast_arg *b = &it->data.bindings[j];
      for (int k = 0; k < x->ndata; k++)
        if (strcmp(x->data[k].name, b->name) == 0) {
          diag_error(c->d, b->name_loc, "data '%s' is bound twice", b->name);
          ok = false;
        }
      x->data = arena_grow(c->a, x->data, (size_t)x->ndata * sizeof *x->data,
                           (size_t)(x->ndata + 1) * sizeof *x->data);
      if (bind_data(c, b, &x->data[x->ndata]))
        x->ndata++;
      else
        ok = false;
      train |= strcmp(b->name, "train") == 0;
    }
  }
  if (!train && ok) {
    diag_error(c->d, exp->name_loc, "experiment %s has no training data", exp->name);
    diag_hint(c->d, "add e.g. 'data train = fashion_mnist(\"train\")'");
    ok = false;
  }
  return ok;
}

/* Argument j of metric e, a glob over weight paths; false after reporting. */
static bool glob_arg(sema_ctx *c, const sema_builtin *b, const ast_expr *e, int j,
                     const char *example, const char **out) {
  const ast_expr *a = sema_builtin_arg(b, e, j);
  sv v = sema_evaluate(c, a, NULL);
  if (v.kind == SV_STRING) {
    *out = v.s;
    return true;
  }
  if (v.kind != SV_ERROR)
    diag_error(c->d, a->loc, "%s takes a glob over weight paths such as \"%s\", got %s", b->name,
               example, sema_describe(c, v));
  return false;
}

/* A metric of the weights, `singular_values("glob")`: the glob here, the
 * weights once the model exists (resolve_spectra). */
static bool bind_spectrum(sema_ctx *c, const sema_builtin *b, const ast_expr *e, bool first,
                          sema_spectrum *out) {
  const char *glob;
  if (!glob_arg(c, b, e, 0, "*.W", &glob))
    return false;
  if (!first) {
    diag_error(c->d, e->loc, "an experiment tracks the singular values of one product");
    diag_hint(c->d, "name every weight of the product in one glob");
    return false;
  }
  *out = (sema_spectrum){.glob = glob, .loc = e->loc};
  return true;
}

/* A metric of the weights on a data set, `head_ablation(data, "glob")`:
 * the data set, whose loss the eval item logs as well, and the glob here;
 * the weights once the model exists (resolve_ablations). */
static bool bind_ablation(sema_ctx *c, const sema_builtin *b, const ast_expr *e,
                          const sema_experiment *x, bool first, sema_eval *ev) {
  sema_metric base;
  const char *glob;
  if (!bind_metric(c, b, e, x, &base) || !glob_arg(c, b, e, 1, "*.O", &glob))
    return false;
  if (!first) {
    diag_error(c->d, e->loc, "an experiment ablates the heads of one head_ablation");
    diag_hint(c->d, "name every weight whose heads are ablated in one glob");
    return false;
  }
  base.name = "loss";
  ev->metrics[ev->nmetrics++] = base;
  ev->ablations[ev->nablations++] = (sema_ablation){.data = base.data, .glob = glob, .loc = e->loc};
  return true;
}

static bool bind_evals(sema_ctx *c, const ast_decl *exp, sema_experiment *x) {
  bool ok = true;
  int spectra = 0, ablations = 0;
  for (int i = 0; i < exp->nitems; i++) {
    const ast_item *it = exp->items[i];
    if (it->kind != AST_ITEM_EVAL)
      continue;
    size_t n = (size_t)it->eval.nmetrics;
    sema_eval ev = {it->eval.unit,
                    it->eval.every,
                    0,
                    arena_alloc(c->a, n * sizeof(sema_metric)),
                    0,
                    arena_alloc(c->a, n * sizeof(sema_spectrum)),
                    0,
                    arena_alloc(c->a, n * sizeof(sema_ablation))};
    for (int j = 0; j < it->eval.nmetrics; j++) {
      const ast_expr *m = it->eval.metrics[j];
      const sema_builtin *b = want_builtin(c, m, BT_METRIC, "metric");
      /* of the weights, of the weights on a data set, or of a data set */
      bool weights = b && strcmp(b->params[0], "weights") == 0;
      bool heads = b && b->nparams == 2 && strcmp(b->params[1], "weights") == 0;
      if (weights && bind_spectrum(c, b, m, spectra++ == 0, &ev.spectra[ev.nspectra]))
        ev.nspectra++;
      else if (heads)
        ok = bind_ablation(c, b, m, x, ablations++ == 0, &ev) && ok;
      else if (b && !weights && bind_metric(c, b, m, x, &ev.metrics[ev.nmetrics]))
        ev.nmetrics++;
      else
        ok = false;
    }
    x->evals = arena_grow(c->a, x->evals, (size_t)x->nevals * sizeof ev,
                          (size_t)(x->nevals + 1) * sizeof ev);
    x->evals[x->nevals++] = ev;
  }
  return ok;
}

static void shape_text(char *out, size_t cap, const mt_weight *w) {
  size_t len = (size_t)snprintf(out, cap, "[");
  for (int i = 0; i < w->rank && len < cap; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? ", " : "", w->dims[i]);
  if (len < cap)
    snprintf(out + len, cap - len, "]");
}

static void no_match(sema_ctx *c, diag_loc loc, const char *metric, const char *glob,
                     const mt_model *m) {
  diag_error(c->d, loc, "%s(\"%s\") matches no weight", metric, glob);
  if (m->nweights)
    diag_hint(c->d, "a glob matches a weight path such as '%s', or its end from a '.'",
              m->weights[0]->path);
}

/* The weights of every singular_values metric: the matched matrices in
 * data-flow order, each taking the output of the one before. */
static bool resolve_spectra(sema_ctx *c, sema_experiment *x) {
  const mt_model *m = x->model;
  bool ok = true;
  for (int i = 0; i < x->nevals; i++)
    for (int j = 0; j < x->evals[i].nspectra; j++) {
      sema_spectrum *sp = &x->evals[i].spectra[j];
      size_t cap = (size_t)(m->nweights ? m->nweights : 1);
      sp->weights = arena_alloc(c->a, cap * sizeof *sp->weights);
      for (int k = 0; k < m->nweights; k++) {
        const mt_weight *w = m->weights[k];
        if (!sema_glob_match(sp->glob, w->path))
          continue;
        const mt_weight *prev = sp->nweights ? sp->weights[sp->nweights - 1] : NULL;
        char a[96], b[96];
        shape_text(a, sizeof a, w);
        if (w->rank != 2) {
          diag_error(c->d, sp->loc, "singular_values: %s %s is not a matrix", w->path, a);
          ok = false;
        } else if (prev && w->dims[1] != prev->dims[0]) {
          shape_text(b, sizeof b, prev);
          diag_error(c->d, sp->loc, "singular_values: %s %s cannot multiply %s %s", w->path, a,
                     prev->path, b);
          diag_hint(c->d, "the product is W_k ... W_1 in data-flow order: each [out, in] "
                          "weight's in must be the out of the one before");
          ok = false;
        }
        sp->weights[sp->nweights++] = w;
      }
      if (!sp->nweights) {
        no_match(c, sp->loc, "singular_values", sp->glob, m);
        ok = false;
      } else {
        sp->rows = sp->weights[sp->nweights - 1]->dims[0];
        sp->cols = sp->weights[0]->dims[sp->weights[0]->rank - 1];
      }
    }
  return ok;
}

/* The weights of every head_ablation metric: the matched weights of atoms
 * with an integer parameter `heads` whose last axis splits into that many
 * heads, at most SEMA_MAX_ABLATED_HEADS heads in all. */
static bool resolve_ablations(sema_ctx *c, sema_experiment *x) {
  const mt_model *m = x->model;
  bool ok = true;
  for (int i = 0; i < x->nevals; i++)
    for (int j = 0; j < x->evals[i].nablations; j++) {
      sema_ablation *ab = &x->evals[i].ablations[j];
      size_t cap = (size_t)(m->nweights ? m->nweights : 1);
      ab->weights = arena_alloc(c->a, cap * sizeof *ab->weights);
      ab->heads = arena_alloc(c->a, cap * sizeof *ab->heads);
      long long total = 0;
      for (int k = 0; k < m->nweights; k++) {
        const mt_weight *w = m->weights[k];
        if (!sema_glob_match(ab->glob, w->path))
          continue;
        const mt_value *h = mt_param(w->atom, "heads");
        if (!h || h->kind != MT_INT || h->i < 1) {
          diag_error(c->d, ab->loc, "head_ablation: %s is not a weight of an atom with heads",
                     w->path);
          diag_hint(c->d, "the atom needs an integer parameter 'heads' (e.g. Attention)");
          ok = false;
        } else if (w->dims[w->rank - 1] % h->i != 0) {
          char shape[96];
          shape_text(shape, sizeof shape, w);
          diag_error(c->d, ab->loc,
                     "head_ablation: the last axis of %s %s does not split into "
                     "%lld heads",
                     w->path, shape, h->i);
          ok = false;
        } else {
          total += h->i;
          ab->heads[ab->nweights] = (int)h->i;
          ab->weights[ab->nweights++] = w;
        }
      }
      if (!ab->nweights && ok) {
        no_match(c, ab->loc, "head_ablation", ab->glob, m);
        ok = false;
      } else if (total > SEMA_MAX_ABLATED_HEADS) {
        diag_error(c->d, ab->loc,
                   "head_ablation(%s, \"%s\") matches %lld heads; at most %d "
                   "are ablated",
                   ab->data, ab->glob, total, SEMA_MAX_ABLATED_HEADS);
        ok = false;
      }
    }
  return ok;
}

/* The experiment's own groups, after those of a composite default. */
static bool bind_groups(sema_ctx *c, const ast_decl *exp, sema_experiment *x) {
  bool ok = true;
  for (int i = 0; i < exp->nitems; i++)
    if (exp->items[i]->kind == AST_ITEM_OPTIMIZER_FOR)
      ok = bind_group(c, exp->items[i], x) && ok;
  return ok;
}

static bool required(sema_ctx *c, const ast_decl *exp, const settings *st, setting k,
                     const char *example) {
  if (st->value[k])
    return true;
  diag_error(c->d, exp->name_loc, "experiment %s has no '%s'", exp->name, setting_names[k]);
  diag_hint(c->d, "add e.g. '%s'", example);
  return false;
}

sema_experiment *sema_build(sema_ctx *c, const ast_decl *exp, int nov, const sema_override *ov) {
  settings st = {0};
  bool ok = read_settings(c, exp, &st);
  for (int i = 0; i < nov; i++)
    ok = apply_override(c, &st, &ov[i]) && ok;
  sema_experiment *x = arena_alloc(c->a, sizeof *x);
  x->decl = exp;
  x->name = exp->name;
  ok = bind_all_data(c, exp, x) && ok;
  ok = required(c, exp, &st, K_MODEL, "model = MLP(784, 512, 10)") && ok;
  ok = required(c, exp, &st, K_LOSS, "loss = cross_entropy") && ok;
  ok = required(c, exp, &st, K_OPTIMIZER, "optimizer = Dual(lr = 0.05)") && ok;
  ok = bind_counts(c, &st, x) && ok;
  if (st.value[K_LOSS]) {
    const sema_builtin *b = want_builtin(c, st.value[K_LOSS], BT_LOSS, "loss");
    x->loss = b ? b->name : NULL;
    x->loss_loc = st.value[K_LOSS]->loc;
    ok = b && ok;
  }
  if (st.value[K_OPTIMIZER])
    ok = bind_default(c, st.value[K_OPTIMIZER], x) && ok;
  ok = bind_groups(c, exp, x) && ok;
  if (st.value[K_SCHEDULE])
    ok = bind_schedule(c, st.value[K_SCHEDULE], x) && ok;
  ok = bind_evals(c, exp, x) && ok;
  if (st.value[K_MODEL]) {
    x->model = sema_instantiate_model(c, st.value[K_MODEL], NULL);
    ok = x->model && derive_model(x->model, c->d) && ok;
    ok = x->model && resolve_spectra(c, x) && ok;
    ok = x->model && resolve_ablations(c, x) && ok;
  }
  for (int i = 0; i < x->ndata; i++)
    x->data[i].seed = x->seed;
  if (!ok)
    return NULL;
  x->norm = derive_modular_norm(c->a, x->model);
  assign_optimizers(c, x);
  return x;
}

/* ---- compare and sweep ------------------------------------------------- */

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
  settings st = {0};
  read_settings(c, exp, &st); /* no errors: exp was built before */
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
    keys_ok = apply_override(c, &st, &ov[k]) && keys_ok;
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
