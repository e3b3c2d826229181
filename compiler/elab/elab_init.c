/* elab_init.c: initializers and parameters. Translates an init expression
 * (`orthogonal(scale)`, `normal(std)`, `uniform(lo, hi)`, `zeros`, `ones`,
 * or the numbers 0 and 1 for state buffers) into an ir_init, and declares
 * one IR parameter per model weight. */
#include <string.h>

#include "elab_int.h"

typedef struct init_spec {
  const char *name;
  ir_init_kind kind;
  int nparams;
  const char *params[2];
  double def[2];
} init_spec;

/* The initializers (as sema_builtins.c lists them) and their defaults. */
static const init_spec inits[] = {
    {"orthogonal", IR_INIT_ORTHOGONAL, 1, {"scale"}, {1, 0}},
    {"normal", IR_INIT_NORMAL, 1, {"std"}, {1, 0}},
    {"uniform", IR_INIT_UNIFORM, 2, {"low", "high"}, {0, 0}},
    {"zeros", IR_INIT_ZEROS, 0, {0}, {0, 0}},
    {"ones", IR_INIT_ONES, 0, {0}, {0, 0}},
};

/* A compile-time number: in the atom's scope (sema_eval_const) for weights,
 * or translated in `env` for state buffers. */
static bool number(el_tx *x, const ast_expr *e, const mt_node *scope, el_env *env, double *out) {
  if (scope) {
    mt_value v;
    if (sema_eval_const(x->c->r, scope, e, &v) && (v.kind == MT_INT || v.kind == MT_FLOAT)) {
      *out = mt_value_num(v);
      return true;
    }
    el_fail(x, e->loc, "an initializer argument must be a compile-time number");
    return false;
  }
  ev v = el_expr(x, e, env);
  if (v.kind == EV_ERR)
    return false;
  if (v.kind != EV_NUM) {
    el_fail(x, e->loc, "an initializer argument must be a compile-time number, got %s",
            el_describe(x, v));
    return false;
  }
  *out = cnum_to_double(v.num);
  return true;
}

static bool bind_args(el_tx *x, const init_spec *s, const ast_expr *e, const mt_node *scope,
                      el_env *env, double *val) {
  val[0] = s->def[0];
  val[1] = s->def[1];
  int nargs = e->kind == AST_CALL ? e->call.nargs : 0, pos = 0;
  for (int i = 0; i < nargs; i++) {
    const ast_arg *a = &e->call.args[i];
    int j = a->name ? -1 : pos++;
    for (int k = 0; a->name && k < s->nparams; k++)
      if (strcmp(a->name, s->params[k]) == 0)
        j = k;
    if (j < 0 || j >= s->nparams) {
      el_fail(x, a->value->loc, "unexpected argument of %s", s->name);
      return false;
    }
    if (!number(x, a->value, scope, env, &val[j]))
      return false;
  }
  if (s->kind == IR_INIT_UNIFORM && nargs < 2) {
    el_fail(x, e->loc, "uniform needs the arguments low and high");
    return false;
  }
  return true;
}

bool el_is_initializer(const ast_expr *e) {
  if (e->kind == AST_INT || e->kind == AST_FLOAT) {
    double v = e->kind == AST_INT ? (double)e->ival : e->fval;
    return v == 0 || v == 1;
  }
  const char *name = e->kind == AST_CALL ? e->call.name : e->kind == AST_NAME ? e->name : NULL;
  for (size_t i = 0; name && i < sizeof inits / sizeof inits[0]; i++)
    if (strcmp(inits[i].name, name) == 0)
      return true;
  return false;
}

bool el_init_of(el_tx *x, const ast_expr *e, const mt_node *scope, el_env *env, int rank,
                ir_init *out) {
  *out = (ir_init){0};
  if (!scope && (e->kind == AST_INT || e->kind == AST_FLOAT)) {
    double v = e->kind == AST_INT ? (double)e->ival : e->fval;
    if (v == 0 || v == 1) {
      out->kind = v == 0 ? IR_INIT_ZEROS : IR_INIT_ONES;
      return true;
    }
  }
  const char *name = e->kind == AST_CALL ? e->call.name : e->kind == AST_NAME ? e->name : NULL;
  const init_spec *s = NULL;
  for (size_t i = 0; name && i < sizeof inits / sizeof inits[0]; i++)
    if (strcmp(inits[i].name, name) == 0)
      s = &inits[i];
  if (!s) {
    el_fail(x, e->loc, "expected an initializer (orthogonal, normal, uniform, zeros, ones%s)",
            scope ? "" : " or the numbers 0 and 1");
    return false;
  }
  double val[2];
  if (!bind_args(x, s, e, scope, env, val))
    return false;
  out->kind = s->kind;
  out->a = val[0];
  out->b = val[1];
  if (s->kind == IR_INIT_ORTHOGONAL) {
    if (rank < 2) {
      el_fail(x, e->loc, "orthogonal initialization needs a tensor of rank 2 or more, got rank %d",
              rank);
      return false;
    }
    /* axes 0, 1 are the matrix [out, in]; the trailing axes index matrices */
    out->batch_axes = ((1u << rank) - 1) & ~3u;
  }
  return true;
}

bool el_declare_params(el_ctx *c) {
  bool ok = true;
  for (int i = 0; i < c->m->nweights; i++) {
    const mt_weight *w = c->m->weights[i];
    el_tx x = {.c = c,
               .what = w->path,
               .inst = w->atom->loc,
               .inst_note = arena_printf(c->a, "%s is created here", w->atom->path)};
    ir_init init;
    if (w->rank > IR_MAX_RANK) {
      el_fail(&x, w->decl->loc, "weights of rank %d are not supported (at most %d)", w->rank,
              IR_MAX_RANK);
      ok = false;
      continue;
    }
    if (!el_init_of(&x, w->decl->value, w->atom, NULL, w->rank, &init)) {
      ok = false;
      continue;
    }
    if (!ok)
      continue; /* keep checking initializers; declare nothing more */
    long dims[IR_MAX_RANK];
    for (int j = 0; j < w->rank; j++)
      dims[j] = (long)w->dims[j];
    int t = ir_param(c->p, w->path, w->rank, dims, init);
    if (t != w->index) {
      diag_internal(c->d, w->decl->loc, "parameter %s: %s", w->path,
                    t < 0 ? c->p->err : "declared out of order");
      return false;
    }
  }
  return ok;
}
