/* elab_env.c: environments of names for the translation of bodies: scopes
 * of values, lazily translated `let`s, weights read through the graph's
 * tensor nodes, and the environment of an atom or bond instance. */
#include <string.h>

#include "elab_int.h"

el_env *el_env_new(arena *a, el_env *parent) {
  el_env *env = arena_alloc(a, sizeof *env);
  env->parent = parent;
  return env;
}

static el_bind *push(arena *a, el_env *env, const char *name) {
  if (env->n == env->cap) {
    int cap = env->cap ? 2 * env->cap : 8;
    env->b = arena_grow(a, env->b, (size_t)env->n * sizeof *env->b, (size_t)cap * sizeof *env->b);
    env->cap = cap;
  }
  el_bind *b = &env->b[env->n++];
  *b = (el_bind){.name = name, .tensor = -1};
  return b;
}

/* Rebinds name in env itself when it is there (assignment), else adds it. */
void el_env_set(arena *a, el_env *env, const char *name, ev v) {
  for (int i = 0; i < env->n; i++)
    if (strcmp(env->b[i].name, name) == 0) {
      env->b[i] = (el_bind){.name = name, .val = v, .tensor = -1};
      return;
    }
  push(a, env, name)->val = v;
}

void el_env_lazy(arena *a, el_env *env, const char *name, const ast_expr *e) {
  push(a, env, name)->lazy = e;
}

void el_env_weight(arena *a, el_env *env, const char *name, int tensor) {
  push(a, env, name)->tensor = tensor;
}

el_bind *el_env_find(el_env *env, const char *name, el_env **where) {
  for (; env; env = env->parent)
    for (int i = env->n - 1; i >= 0; i--)
      if (strcmp(env->b[i].name, name) == 0) {
        if (where)
          *where = env;
        return &env->b[i];
      }
  return NULL;
}

ev el_value_of_mt(mt_value v) {
  switch (v.kind) {
  case MT_INT:
  case MT_FLOAT:
    return ev_cnum(mt_value_cnum(v));
  case MT_BOOL:
    return ev_bool(v.b);
  case MT_STRING:
    return (ev){.kind = EV_STR, .s = v.s};
  case MT_INTS: /* only data-source arguments hold lists */
    break;
  }
  return ev_err();
}

el_env *el_instance_env(el_ctx *c, const mt_node *n) {
  el_env *env = el_env_new(c->a, NULL);
  for (int i = 0; i < n->nparams; i++)
    el_env_set(c->a, env, n->params[i].name, el_value_of_mt(n->params[i].value));
  for (int i = 0; i < n->nweights; i++)
    el_env_weight(c->a, env, n->weights[i].name, n->weights[i].index);
  for (int i = 0; i < n->decl->nitems; i++) {
    const ast_item *it = n->decl->items[i];
    if (it->kind == AST_ITEM_LET)
      el_env_lazy(c->a, env, it->name, it->value);
  }
  return env;
}

ir_node *el_weight_node(el_tx *x, int i) {
  if (!x->wref[i])
    x->wref[i] = ir_tensor_ref(x->g, i);
  return x->wref[i];
}
