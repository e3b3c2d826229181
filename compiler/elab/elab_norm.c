/* elab_norm.c: the model's modular norm as IR: the maximum over the terms
 * of derive_modular_norm (coef * the atom's declared `norm`), each norm
 * translated with the atom's weights bound to the weights themselves or to
 * their updates, and its spectral norms estimated by warm-started Lanczos
 * (el_spectral_est). */
#include "elab_int.h"

/* At most this many Lanczos steps per spectral norm and logged step (the
 * kernel stops earlier once the estimate has converged). On the
 * Fashion-MNIST MLP trained with AdamW and logged every 10 steps, the
 * weights took 2-8 steps from their previous direction, the updates 5-8
 * from theirs, and the logged norms after the second log were within 5e-7
 * of the exact values (docs/language.md). */
enum { LANCZOS_STEPS = 8 };

/* The declared norm of an atom on its weights, or on vals[] when given
 * (`update`: vals are updates). With `estimate`, its k-th spectral norm is
 * estimated from the state "<atom>:norm_v<k>" (weights) or
 * "<atom>:update_norm_v<k>" (updates); else it is exact. */
ev el_atom_norm(el_tx *x, const mt_node *atom, ir_node *const *vals, bool update, bool estimate) {
  el_ctx *c = x->c;
  el_spectral_est est = {.prefix =
                             arena_printf(c->a, "%s:%snorm_v", atom->path, update ? "update_" : ""),
                         .steps = LANCZOS_STEPS};
  el_env *env = el_instance_env(c, atom);
  const ast_item *nm = atom->norm;
  bool local = nm->kind == AST_ITEM_DEFINE; /* norm(D, ...): a norm at the weights */
  if (local)
    env = el_env_new(c->a, env);
  for (int i = 0; i < atom->nweights; i++) {
    int k = atom->weights[i].index;
    if (local)
      el_env_set(c->a, env, nm->define.inputs[i].name,
                 ev_tensor(vals ? vals[k] : el_weight_node(x, k)));
    else if (vals)
      el_env_set(c->a, env, atom->weights[i].name, ev_tensor(vals[k]));
  }
  x->what = arena_printf(c->a, "norm of %s", atom->path);
  x->inst = atom->loc;
  x->inst_note = arena_printf(c->a, "%s is created here", atom->path);
  el_set_loc(x, atom->norm->loc);
  x->est = estimate ? &est : NULL;
  ev v = el_expr(x, atom->norm->value, env);
  x->est = NULL;
  if (v.kind == EV_NUM || (v.kind == EV_TENSOR && v.node->shape.rank == 0))
    return v;
  if (v.kind == EV_ERR)
    return v;
  return el_fail(x, atom->norm->value->loc, "a norm must be a number, got %s", el_describe(x, v));
}

ir_node *el_modular_norm(el_tx *x, ir_node *const *vals, bool update) {
  const derive_norm *nm = x->c->e->norm;
  ev acc = ev_num(0);
  bool ok = true;
  for (int i = 0; i < nm->nterms; i++) {
    ev v = el_atom_norm(x, nm->terms[i].atom, vals, update, true);
    ok = v.kind != EV_ERR && ok;
    if (!ok)
      continue;
    v = el_binop(x, nm->terms[i].atom->loc, IR_MUL, ev_num(nm->terms[i].coef), v);
    acc = i == 0 ? v : el_binop(x, nm->terms[i].atom->loc, IR_MAX, acc, v);
    ok = acc.kind != EV_ERR;
  }
  return ok ? el_node(x, acc) : NULL;
}
