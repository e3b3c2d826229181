/* elab_builtins.c: calls of the builtins of the expression language. The
 * operation registry (compiler/ops) declares each builtin and its builder;
 * this file binds a call's arguments to the declared parameters (sema has
 * checked their names and count), hands them to the registry, and passes
 * its messages on with the argument's or the call's location. */
#include <string.h>

#include "elab_int.h"
#include "ops.h"

/* The translation's side of one call, the context of the registry's
 * callbacks. */
typedef struct call_ctx {
  el_tx *x;
  const ast_expr *call;
  diag_loc loc[OPS_MAX_PARAMS]; /* of each parameter's argument */
  diag_loc *extra_loc;
  int nparams;
} call_ctx;

static void fail_at(void *ctx, int where, const char *msg) {
  call_ctx *cc = ctx;
  diag_loc loc = where < 0             ? cc->call->loc
                 : where < cc->nparams ? cc->loc[where]
                                       : cc->extra_loc[where - cc->nparams];
  el_fail(cc->x, loc, "%s", msg);
}

/* The start directions of one spectral(W) estimate: the state tensor
 * "<prefix><k>" for the k-th call (el_spectral_est). */
static int lanczos_state(void *ctx, int rank, const long *dims) {
  call_ctx *cc = ctx;
  el_ctx *c = cc->x->c;
  el_spectral_est *est = cc->x->est;
  const char *name = arena_printf(c->a, "%s%d", est->prefix, est->calls++);
  int v = ir_find_tensor(c->p, name);
  if (v < 0)
    v = ir_state(c->p, name, rank, dims, (ir_init){.kind = IR_INIT_ZEROS});
  if (v < 0)
    diag_internal(c->d, cc->call->loc, "%s", c->p->err);
  return v;
}

/* aux_loss: the term joins the translation's auxiliary loss. */
static void add_loss(void *ctx, ir_node *loss) {
  el_tx *x = ((call_ctx *)ctx)->x;
  x->aux = x->aux ? ir_add(x->g, x->aux, loss) : loss;
}

ops_val el_to_ops(ev v) {
  switch (v.kind) {
  case EV_NUM:
    return ops_num_val(v.num);
  case EV_BOOL:
    return (ops_val){.kind = OPS_V_BOOL, .b = v.b};
  case EV_STR:
    return (ops_val){.kind = OPS_V_STR, .s = v.s};
  case EV_TENSOR:
    return ops_tensor_val(v.node);
  case EV_TUPLE:
    return (ops_val){.kind = OPS_V_TUPLE, .n = v.n};
  case EV_NONE:
    return (ops_val){.kind = OPS_V_NONE};
  default:
    return ops_err();
  }
}

static ev from_ops(el_tx *x, ops_val v) {
  switch (v.kind) {
  case OPS_V_NUM:
    return ev_cnum(v.num);
  case OPS_V_BOOL:
    return ev_bool(v.b);
  case OPS_V_STR:
    return (ev){.kind = EV_STR, .s = v.s};
  case OPS_V_TENSOR:
    return ev_tensor(v.node);
  case OPS_V_TUPLE: {
    ev t = {.kind = EV_TUPLE, .n = v.n};
    t.items = arena_alloc(x->c->a, (size_t)v.n * sizeof *t.items);
    for (int i = 0; i < v.n; i++)
      t.items[i] = ev_tensor(v.items[i]);
    return t;
  }
  default:
    return ev_err();
  }
}

/* Binds the call's arguments to b's parameters (sema checked the names). */
static bool bind(el_tx *x, const ops_lang *b, const ast_expr *call, el_env *env, ops_args *a,
                 call_ctx *cc) {
  int n = call->call.nargs, pos = 0;
  ops_val *extra = arena_alloc(x->c->a, (size_t)(n ? n : 1) * sizeof *extra);
  cc->extra_loc = arena_alloc(x->c->a, (size_t)(n ? n : 1) * sizeof *cc->extra_loc);
  for (int j = 0; j < OPS_MAX_PARAMS; j++)
    a->arg[j] = (ops_val){.kind = OPS_V_NONE};
  bool ok = true;
  for (int i = 0; i < n; i++) {
    const ast_arg *arg = &call->call.args[i];
    ev v = el_expr(x, arg->value, env);
    ok = v.kind != EV_ERR && ok;
    int j = -1;
    if (arg->name) {
      for (int k = 0; k < b->nparams; k++)
        if (strcmp(b->params[k], arg->name) == 0)
          j = k;
    } else if (pos < b->nparams) {
      j = pos++;
    }
    if (j >= 0) {
      a->arg[j] = el_to_ops(v);
      cc->loc[j] = arg->value->loc;
    } else if (b->variadic && !arg->name) {
      cc->extra_loc[a->nextra] = arg->value->loc;
      extra[a->nextra++] = el_to_ops(v);
    } else {
      el_fail(x, arg->value->loc, "unexpected argument of %s", b->name);
      ok = false;
    }
  }
  a->extra = extra;
  return ok;
}

ev el_call_builtin(el_tx *x, const ast_expr *call, el_env *env) {
  const char *name = call->call.name;
  const op_builtin *b = ops_builtin_find(name);
  /* a function of numbers only (floor, ceil) computes here too, on numbers */
  if (!b || !(b->lang.use & (OPS_USE_TENSOR | OPS_USE_CONST)))
    return el_fail(x, call->call.name_loc, "'%s' is not a tensor function", name);
  call_ctx cc = {.x = x, .call = call, .nparams = b->lang.nparams};
  ops_args a = {.b = b,
                .g = x->g,
                .ctx = &cc,
                .fail = fail_at,
                .precision = x->precision,
                .polar_exact = x->polar_exact};
  if (x->forward)
    a.add_loss = add_loss;
  if (x->est) {
    a.lanczos_steps = x->est->steps;
    a.lanczos_state = lanczos_state;
  }
  if (!bind(x, &b->lang, call, env, &a, &cc))
    return ev_err();
  if (a.arg[0].kind == OPS_V_NONE)
    return el_fail(x, call->loc, "missing argument '%s' of %s", b->lang.params[0], name);
  return from_ops(x, ops_apply(&a));
}
