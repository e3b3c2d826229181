/* sema_settings.c: an experiment's settings (model, loss, optimizer, batch,
 * epochs, steps, seed, schedule): read from its declaration, each once, and
 * overridden by --set and by the axes of compare and sweep (a whole
 * setting, or one parameter of the calls written in it). */
#include <string.h>

#include "sema_internal.h"

const char *const sema_setting_names[SETTING_COUNT] = {"model",  "loss",  "optimizer", "batch",
                                                       "epochs", "steps", "seed",      "schedule"};

static int setting_index(const char *name) {
  for (int k = 0; k < SETTING_COUNT; k++)
    if (strcmp(sema_setting_names[k], name) == 0)
      return k;
  return -1;
}

bool sema_read_settings(sema_ctx *c, const ast_decl *exp, sema_settings *st) {
  bool ok = true;
  for (int i = 0; i < exp->nitems; i++) {
    const ast_item *it = exp->items[i];
    if (it->kind != AST_ITEM_ASSIGN)
      continue;
    int k = setting_index(it->name);
    if (k < 0) {
      diag_error(c->d, it->name_loc, "unknown experiment setting '%s'", it->name);
      sema_hint_closest(c, it->name, sema_setting_names, SETTING_COUNT);
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
 * (in every call of Name there); `param = v` (as model.param). `data.*`
 * keys are the data bindings' (sema_bind_all_data). */
bool sema_apply_override(sema_ctx *c, sema_settings *st, const sema_override *ov) {
  const char *parts[4];
  int n = split_key(c, ov->key, parts);
  int k = setting_index(parts[0]);
  if (k < 0 && n == 1 && st->value[SETTING_MODEL]) {
    param_search probe = {c, NULL, parts[0], NULL, 0};
    set_param(&probe, st->value[SETTING_MODEL]);
    if (probe.ncalls) {
      k = SETTING_MODEL;
      parts[1] = parts[0];
      n = 2;
    }
  }
  if (k < 0 && strcmp(parts[0], "data") == 0) { /* data.PARAM reaches sema_bind_all_data */
    diag_error(c->d, ov->loc, "'%s' cannot be set: write data.param or data.name.param", ov->key);
    diag_hint(c->d, "e.g. data.intensity=2 (every data binding whose source has 'intensity') or "
                    "data.train.intensity=2");
    return false;
  }
  if (k < 0) {
    diag_error(c->d, ov->loc, "unknown experiment setting '%s'", parts[0]);
    if (sema_closest(parts[0], sema_setting_names, SETTING_COUNT))
      sema_hint_closest(c, parts[0], sema_setting_names, SETTING_COUNT);
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
