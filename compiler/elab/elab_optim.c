/* elab_optim.c: one optimizer step for one weight. Runs the optimizer's
 * statements in order with `grad`, `weight`, `t`, `schedule`, its bound
 * arguments and its state buffers in scope, binds `dualize(u)` to the
 * weight's atom's dualize rule times its derived step share, and assigns
 * the state buffers their final values. */
#include <string.h>

#include "elab_int.h"

/* ---- dualize ------------------------------------------------------------ */

/* Whether expression e mentions the name. */
static const ast_expr *find_name(const ast_expr *e, const char *name) {
  const ast_expr *r = NULL;
  switch (e->kind) {
  case AST_NAME:
    return strcmp(e->name, name) == 0 ? e : NULL;
  case AST_UNARY:
    return find_name(e->unary.operand, name);
  case AST_BINARY:
    r = find_name(e->binary.lhs, name);
    return r ? r : find_name(e->binary.rhs, name);
  case AST_TERNARY:
    r = find_name(e->ternary.cond, name);
    r = r ? r : find_name(e->ternary.then_e, name);
    return r ? r : find_name(e->ternary.else_e, name);
  case AST_CALL:
    for (int i = 0; i < e->call.nargs && !r; i++)
      r = find_name(e->call.args[i].value, name);
    return r;
  case AST_TUPLE:
  case AST_LIST:
    for (int i = 0; i < e->list.n && !r; i++)
      r = find_name(e->list.items[i], name);
    return r;
  case AST_INDEX:
    r = find_name(e->index.base, name);
    for (int i = 0; i < e->index.n && !r; i++)
      r = find_name(e->index.items[i], name);
    return r;
  default:
    return NULL;
  }
}

ev el_atom_dualize(el_tx *x, const mt_node *atom, int k, ev u) {
  el_ctx *c = x->c;
  const ast_item *dz = atom->dualize;
  const mt_weight *w = &atom->weights[k];
  x->what = arena_printf(c->a, "dualize of %s", atom->path);
  x->inst = atom->loc;
  x->inst_note = arena_printf(c->a, "%s is created here", atom->path);
  const ast_expr *body = dz->value;
  if (atom->nweights > 1) {
    if (body->kind != AST_TUPLE || body->list.n != atom->nweights)
      return el_fail(x, body->loc,
                     "an atom with %d weights needs a tuple of %d maps, one per weight",
                     atom->nweights, atom->nweights);
    body = body->list.items[k];
    for (int i = 0; i < dz->define.ninputs; i++) {
      const ast_expr *use = i == k ? NULL : find_name(body, dz->define.inputs[i].name);
      if (use)
        return el_fail(x, use->loc,
                       "the map of weight %s uses '%s', the gradient of another weight; each "
                       "weight's map may use only its own gradient",
                       w->name, use->name);
    }
  }
  el_env *env = el_env_new(c->a, el_instance_env(c, atom));
  el_env_set(c->a, env, dz->define.inputs[k].name, u);
  el_set_loc(x, dz->loc);
  ev v = el_expr(x, body, env);
  if (v.kind == EV_TENSOR && !ir_shape_eq(&v.node->shape, &u.node->shape)) {
    char a[96], b[96];
    return el_fail(x, body->loc, "the update of weight %s has shape %s, expected %s", w->name,
                   ir_shape_str(&v.node->shape, a, sizeof a),
                   ir_shape_str(&u.node->shape, b, sizeof b));
  }
  return v;
}

static int weight_slot(const mt_weight *w) { return (int)(w - w->atom->weights); }

/* The step size along D, the owner's dualize(u) of a weight w, when other
 * atoms are tied to w: the largest multiple of D whose norm under every
 * atom using the weight is within that atom's share, min over the tied
 * atoms t of share_t / norm_t(D), and the owner's share (D has norm 1 under
 * the owner's norm). Without ties: the owner's share. */
static ev tied_step(el_tx *x, const ast_expr *call, const mt_weight *w, ev d) {
  ev f = ev_num(w->atom->share);
  const mt_model *m = x->c->m;
  ir_node **upd = NULL;
  for (int a = 0; a < m->natoms && f.kind != EV_ERR && d.kind == EV_TENSOR; a++) {
    const mt_node *t = m->atoms[a];
    if (t->nweights != 1 || t->weights[0].tied_to != w)
      continue;
    if (!upd) {
      upd = arena_alloc(x->c->a, (size_t)m->nweights * sizeof *upd);
      upd[w->index] = d.node;
    }
    el_tx saved = *x;
    ev nt = el_atom_norm(x, t, upd, true, false);
    *x = saved;
    el_set_loc(x, call->loc);
    f = el_binop(x, call->loc, IR_MIN, f, el_binop(x, call->loc, IR_DIV, ev_num(t->share), nt));
  }
  return f;
}

/* dualize(u) inside an optimizer body: share * the atom's rule (with tied
 * atoms: tied_step * the rule). */
static ev dualize(el_tx *x, const ast_expr *call, ev u) {
  const mt_weight *w = x->weight;
  if (!el_want_tensor(x, u, call->call.args[0].value->loc, "the argument of dualize"))
    return ev_err();
  el_tx saved = *x;
  ev v = el_atom_dualize(x, w->atom, weight_slot(w), u);
  *x = saved;
  el_set_loc(x, call->loc);
  if (w->atom->share == 0 && v.kind != EV_ERR)
    return ev_num(0); /* a zero-mass part of the model is not updated */
  return el_binop(x, call->loc, IR_MUL, tied_step(x, call, w, v), v);
}

bool el_check_dualize(el_tx *x, const mt_node *atom) {
  bool ok = true;
  for (int k = 0; k < atom->nweights; k++) {
    ev w = ev_tensor(el_weight_node(x, atom->weights[k].index));
    ok = el_atom_dualize(x, atom, k, w).kind != EV_ERR && ok;
  }
  return ok;
}

/* ---- the step ----------------------------------------------------------- */

static ir_node *scalar(el_tx *x, const char *name) {
  int s = ir_find_scalar(x->c->p, name);
  if (s < 0)
    s = ir_scalar(x->c->p, name);
  return ir_scalar_ref(x->g, s);
}

/* A state buffer of the weight: declared once per program. */
static int state_tensor(el_tx *x, const mt_weight *w, const ast_item *it, el_env *env) {
  el_ctx *c = x->c;
  const char *name = arena_printf(c->a, "%s:%s", w->path, it->name);
  int t = ir_find_tensor(c->p, name);
  if (t >= 0)
    return t;
  ir_init init;
  if (!el_init_of(x, it->value, NULL, env, w->rank, &init))
    return -1;
  long dims[IR_MAX_RANK];
  for (int j = 0; j < w->rank; j++)
    dims[j] = (long)w->dims[j];
  t = ir_state(c->p, name, w->rank, dims, init);
  if (t < 0)
    diag_internal(c->d, it->loc, "%s", c->p->err);
  return t;
}

/* The final value of a buffer: a tensor of the weight's shape. */
static ir_node *fit(el_tx *x, const ast_decl *opt, const char *name, const mt_weight *w, ev v) {
  if (v.kind == EV_ERR)
    return NULL;
  ir_node *n = el_node(x, v);
  char a[96], b[96];
  long dims[IR_MAX_RANK];
  for (int j = 0; j < w->rank; j++)
    dims[j] = (long)w->dims[j];
  ir_shape want = ir_shape_of(w->rank, dims);
  if (n && n->dtype == x->c->p->real && n->shape.rank <= w->rank) {
    ir_node *r = ir_broadcast_to(x->g, n, w->rank, dims);
    if (r)
      return r;
  }
  el_fail(x, opt->loc, "the new value of %s has %s, expected %s", name,
          n ? ir_shape_str(&n->shape, a, sizeof a) : el_describe(x, v),
          ir_shape_str(&want, b, sizeof b));
  return NULL;
}

ir_node *el_optimizer_step(el_tx *x, const mt_weight *w, const sema_optimizer *o, ir_node *grad) {
  el_ctx *c = x->c;
  const ast_decl *d = o->decl;
  x->what = arena_printf(c->a, "optimizer %s for %s", d->name, w->path);
  x->inst = o->loc;
  x->inst_note = arena_printf(c->a, "optimizer %s is chosen here", d->name);
  x->dualize = dualize;
  x->weight = w;
  el_set_loc(x, d->loc);
  el_env *env = el_env_new(c->a, NULL);
  for (int i = 0; i < o->nargs; i++)
    el_env_set(c->a, env, o->args[i].name, el_value_of_mt(o->args[i].value));
  el_env_set(c->a, env, "grad", ev_tensor(grad));
  el_env_set(c->a, env, "weight", ev_tensor(el_weight_node(x, w->index)));
  el_env_set(c->a, env, "t", ev_tensor(scalar(x, "t")));
  el_env_set(c->a, env, "schedule", ev_tensor(scalar(x, "schedule")));
  bool ok = true;
  int nstates = 0;
  int *states = arena_alloc(c->a, (size_t)(d->nitems ? d->nitems : 1) * sizeof *states);
  for (int i = 0; i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    if (it->kind == AST_ITEM_STATE) {
      int t = state_tensor(x, w, it, env);
      ok = t >= 0 && ok;
      if (t >= 0) {
        states[nstates++] = i;
        el_env_set(c->a, env, it->name, ev_tensor(ir_tensor_ref(x->g, t)));
      }
    } else if (it->kind == AST_ITEM_LET || it->kind == AST_ITEM_ASSIGN) {
      el_set_loc(x, it->loc);
      ev v = el_expr(x, it->value, env);
      ok = v.kind != EV_ERR && ok;
      el_env_set(c->a, env, it->name, v);
    }
  }
  x->dualize = NULL;
  if (!ok)
    return NULL;
  for (int i = 0; i < nstates; i++) {
    const ast_item *it = d->items[states[i]];
    ev v = el_env_find(env, it->name, NULL)->val;
    int t = ir_find_tensor(c->p, arena_printf(c->a, "%s:%s", w->path, it->name));
    if (v.kind == EV_TENSOR && v.node->op == IR_TENSOR && v.node->attr.index == t)
      continue; /* never assigned */
    ir_node *n = fit(x, d, arena_printf(c->a, "state %s", it->name), w, v);
    if (!n || ir_assign_add(x->g, t, n) < 0) {
      if (n)
        diag_internal(c->d, it->loc, "%s", ir_error(x->g));
      ok = false;
    }
  }
  ir_node *nw = fit(x, d, "weight", w, el_env_find(env, "weight", NULL)->val);
  return ok ? nw : NULL;
}
