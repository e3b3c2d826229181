/* sema_data.c: the data bindings of an experiment (`data train = ...`):
 * each a data source of the data-source table (host/data_sources.h) with
 * constant arguments, checked against the table (kinds, lists, splits,
 * sizes), each name bound once, one of them the training data; the sources
 * as builtins usable as data (BT_DATA), and a checked binding as the
 * table's host_binding. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdlib.h>
#include <string.h>

#include "data_sources.h"
#include "sema_internal.h"

void sema_data_builtin(int i, sema_builtin *out) {
  const host_source *s = host_source_at(i);
  *out = (sema_builtin){
      .name = s->name, .use = BT_DATA, .nrequired = s->nrequired, .nparams = s->nparams};
  for (int j = 0; j < s->nparams; j++)
    out->params[j] = s->params[j].name;
}

int sema_data_builtin_count(void) { return host_source_count(); }

void sema_data_binding(const sema_data *d, host_arg *args, host_binding *out) {
  *out = (host_binding){.name = d->name, .source = d->source, .nargs = d->nargs, .args = args};
  for (int i = 0; i < d->nargs && i < HOST_MAX_PARAMS; i++) {
    const mt_value *v = &d->args[i].value;
    host_arg *a = &args[i];
    *a = (host_arg){.name = d->args[i].name, .kind = HOST_NUMBER};
    if (v->kind == MT_STRING) {
      a->kind = HOST_STRING;
      a->s = v->s;
    } else if (v->kind == MT_INTS) {
      a->kind = HOST_INT_LIST;
      a->ints = v->ints.v;
      a->nints = v->ints.n;
    } else {
      a->num = mt_value_num(*v);
    }
  }
}

bool sema_data_example(const sema_data *d, host_example *out, diag_ctx *dg) {
  if (d->example) {
    *out = *d->example;
    return true;
  }
  host_arg args[HOST_MAX_PARAMS];
  host_binding b;
  rt_error err, hint;
  sema_data_binding(d, args, &b);
  if (host_binding_check(&b, out, &err, &hint) == 0)
    return true;
  diag_error(dg, d->loc, "%s", err.msg);
  if (hint.msg[0])
    diag_hint(dg, "%s", hint.msg);
  return false;
}

bool sema_check_data(sema_ctx *c, sema_data *d) {
  if (!c->files) { /* the arguments only; the files when built to run */
    host_arg args[HOST_MAX_PARAMS];
    host_binding b;
    host_example ex;
    rt_error err, hint;
    sema_data_binding(d, args, &b);
    if (host_binding_check_args(&b, &ex, &err, &hint) == 0)
      return true;
    diag_error(c->d, d->loc, "%s", err.msg);
    if (hint.msg[0])
      diag_hint(c->d, "%s", hint.msg);
    return false;
  }
  host_example *ex = arena_alloc(c->a, sizeof *ex);
  if (!sema_data_example(d, ex, c->d))
    return false;
  d->example = ex;
  return true;
}

/* A file argument (HOST_PATH) relative to the directory of the .duet file
 * that binds it: resolved to that directory, so that every phase and the
 * emitted programs read the same file whatever the working directory. */
static void resolve_path(sema_ctx *c, const ast_expr *a, mt_value *v) {
  if (v->kind != MT_STRING || !v->s || v->s[0] == '/')
    return;
  const char *file = a->loc.file ? a->loc.file->path : NULL; /* "--set": the working directory */
  const char *slash = file ? strrchr(file, '/') : NULL;
  char *dir = realpath(slash ? arena_strndup(c->a, file, (size_t)(slash - file + 1)) : ".", NULL);
  size_t cap = (dir ? strlen(dir) : 0) + strlen(v->s) + 2;
  char *out = arena_alloc(c->a, cap);
  if (dir && host_path_resolve(out, cap, dir, v->s) == 0)
    v->s = out;
  free(dir);
}

/* The override of parameter `param` of binding `name` among ov: the last
 * `data.NAME.param` or `data.param`, or NULL; marks it used. */
static const ast_expr *data_override(const char *name, const char *param, int nov,
                                     const sema_override *ov, bool *used) {
  const ast_expr *v = NULL;
  for (int i = 0; i < nov; i++) {
    const char *k = ov[i].key;
    if (strncmp(k, "data.", 5) != 0)
      continue;
    k += 5;
    size_t n = strlen(name);
    if (strncmp(k, name, n) == 0 && k[n] == '.')
      k += n + 1;
    if (strcmp(k, param) == 0) {
      v = ov[i].value;
      used[i] = true;
    }
  }
  return v;
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

static bool bind_data(sema_ctx *c, const ast_arg *bnd, sema_data *out, int nov,
                      const sema_override *ov, bool *used) {
  out->name = bnd->name;
  out->loc = bnd->value->loc;
  const sema_builtin *b = sema_want_builtin(c, bnd->value, BT_DATA, "data source");
  if (!b)
    return false;
  out->source = b->name;
  out->args = arena_alloc(c->a, (size_t)b->nparams * sizeof *out->args);
  bool ok = true;
  for (int j = 0; j < b->nparams; j++) {
    const ast_expr *a = data_override(bnd->name, b->params[j], nov, ov, used);
    if (!a)
      a = sema_builtin_arg(b, bnd->value, j);
    if (!a)
      continue;
    mt_binding *m = &out->args[out->nargs];
    m->name = b->params[j];
    if (a->kind == AST_LIST ? bind_int_list(c, a, &m->value)
                            : bind_constant(c, b, j, a, &m->value)) {
      if (host_source_find(b->name)->params[j].kind == HOST_PATH)
        resolve_path(c, a, &m->value);
      out->nargs++;
    } else {
      ok = false;
    }
  }
  return ok && sema_check_data(c, out);
}

bool sema_bind_all_data(sema_ctx *c, const ast_decl *exp, sema_experiment *x, int nov,
                        const sema_override *ov) {
  bool ok = true, train = false;
  bool *used = arena_alloc(c->a, (size_t)(nov + 1) * sizeof *used);
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
      if (bind_data(c, b, &x->data[x->ndata], nov, ov, used))
        x->ndata++;
      else
        ok = false;
      train |= strcmp(b->name, "train") == 0;
    }
  }
  for (int i = 0; i < nov; i++)
    if (strncmp(ov[i].key, "data.", 5) == 0 && !used[i] && ok) {
      diag_error(c->d, ov[i].loc, "no data binding of experiment %s has a parameter '%s'",
                 exp->name, strrchr(ov[i].key, '.') + 1);
      diag_hint(c->d, "write data.PARAM or data.NAME.PARAM, e.g. data.file=\"corpus.txt\"");
      ok = false;
    }
  if (!train && ok) {
    diag_error(c->d, exp->name_loc, "experiment %s has no training data", exp->name);
    diag_hint(c->d, "add e.g. 'data train = fashion_mnist(\"train\")'");
    ok = false;
  }
  return ok;
}
