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

/* The value tensor ti starts from in g, the entry "init" (its initial
 * value) or "init_state" (`current`: its value before the entry runs),
 * unless g assigns it: then the assigned one. */
static ir_node *start_value(ir_graph *g, int ti, bool current) {
  for (int i = 0; i < g->nassigns; i++)
    if (g->assigns[i].tensor == ti)
      return g->assigns[i].node;
  if (current)
    return ir_tensor_ref(g, ti);
  ir_node *v = ir_init_value(g, ti);
  return v && ir_assign_add(g, ti, v) == 0 ? v : NULL;
}

/* The shape written in `state NAME[dims] = ...`, numbers of the step. */
static bool state_dims(el_tx *x, const ast_item *it, el_env *env, long *dims) {
  for (int j = 0; j < it->weight.ndims; j++) {
    const ast_expr *e = it->weight.dims[j];
    long long n;
    el_set_loc(x, e->loc);
    if (!el_want_int(x, el_expr(x, e, env), e->loc, "a dimension of a state", &n))
      return false;
    if (n < 1) {
      el_fail(x, e->loc, "a dimension of state %s is %lld, must be at least 1", it->name, n);
      return false;
    }
    dims[j] = (long)n;
  }
  return true;
}

static ir_graph *entry(el_ctx *c, const char *name, diag_loc at) {
  ir_graph *g = ir_find_entry(c->p, name);
  if (!g && !(g = ir_entry(c->p, name)))
    diag_internal(c->d, at, "%s", c->p->err);
  return g;
}

/* The value of `state NAME = EXPR` computed in entry g from the parameters,
 * `weight` and the earlier states (start_value), broadcast to the written
 * shape if any (rank, dims), else a number to the weight's shape. */
static ir_node *computed_value(el_tx *x, const sema_optimizer *o, const ast_item *it, ir_graph *g,
                               bool current, int rank, const long *dims) {
  const mt_weight *w = x->weight;
  el_ctx *c = x->c;
  el_tx xi;
  el_tx_init(&xi, c, g);
  xi.what = arena_printf(c->a, "the initial value of state %s of %s", it->name, w->path);
  xi.inst = x->inst;
  xi.inst_note = x->inst_note;
  xi.weight = w;
  el_env *env = el_env_new(c->a, NULL);
  for (int i = 0; i < o->nargs; i++)
    el_env_set(c->a, env, o->args[i].name, el_value_of_mt(o->args[i].value));
  el_env_set(c->a, env, "weight", ev_tensor(start_value(g, w->index, current)));
  const ast_decl *d = o->decl;
  for (int i = 0; i < d->nitems && d->items[i] != it; i++) {
    int t = d->items[i]->kind == AST_ITEM_STATE
                ? ir_find_tensor(c->p, arena_printf(c->a, "%s:%s", w->path, d->items[i]->name))
                : -1;
    if (t >= 0)
      el_env_set(c->a, env, d->items[i]->name, ev_tensor(start_value(g, t, current)));
  }
  el_set_loc(&xi, it->value->loc);
  ev v = el_expr(&xi, it->value, env);
  if (v.kind == EV_ERR)
    return NULL;
  ir_node *n = el_node(&xi, v);
  if (!n || n->dtype != c->p->real) {
    el_fail(&xi, it->value->loc, "the initial value of a state must be real numbers, got %s",
            el_describe(&xi, v));
    return NULL;
  }
  ir_shape want = n->shape;
  if (it->weight.ndims || v.kind == EV_NUM)
    want = ir_shape_of(rank, dims);
  ir_node *b = ir_broadcast_to(g, n, want.rank, want.d);
  if (!b) {
    char a[96], s[96];
    el_fail(&xi, it->value->loc, "it has shape %s, the state's shape is %s",
            ir_shape_str(&n->shape, a, sizeof a), ir_shape_str(&want, s, sizeof s));
  }
  return b;
}

/* `state NAME = EXPR` where EXPR is not an initializer: computed in the
 * entry "init" from the initial weight, and in the entry "init_state"
 * from the current one (the host runs it after loading weights). */
static int computed_state(el_tx *x, const sema_optimizer *o, const ast_item *it, const char *name,
                          int rank, const long *dims) {
  el_ctx *c = x->c;
  ir_graph *gi = entry(c, "init", it->loc), *gs = entry(c, "init_state", it->loc);
  ir_node *first = gi && gs ? computed_value(x, o, it, gi, false, rank, dims) : NULL;
  if (!first)
    return -1;
  int t =
      ir_state(c->p, name, first->shape.rank, first->shape.d, (ir_init){.kind = IR_INIT_COMPUTED});
  ir_node *again = t >= 0 ? computed_value(x, o, it, gs, true, rank, dims) : NULL;
  if (t < 0 || !again || ir_assign_add(gi, t, first) < 0 || ir_assign_add(gs, t, again) < 0) {
    diag_internal(c->d, it->loc, "%s", t < 0 ? c->p->err : "computed state not assigned");
    return -1;
  }
  return t;
}

/* A state buffer of the weight, declared once per program: of the written
 * shape or the weight's, from an initializer (0, 1, normal(...), ...), or
 * computed (computed_state). */
static int state_tensor(el_tx *x, const sema_optimizer *o, const ast_item *it, el_env *env) {
  el_ctx *c = x->c;
  const mt_weight *w = x->weight;
  const char *name = arena_printf(c->a, "%s:%s", w->path, it->name);
  int t = ir_find_tensor(c->p, name);
  if (t >= 0)
    return t;
  long dims[IR_MAX_RANK];
  int rank = it->weight.ndims ? it->weight.ndims : w->rank;
  if (rank > IR_MAX_RANK) {
    el_fail(x, it->loc, "states of rank %d are not supported (at most %d)", rank, IR_MAX_RANK);
    return -1;
  }
  for (int j = 0; j < w->rank; j++)
    dims[j] = (long)w->dims[j];
  if (it->weight.ndims && !state_dims(x, it, env, dims))
    return -1;
  if (!el_is_initializer(it->value))
    return computed_state(x, o, it, name, rank, dims);
  ir_init init;
  if (!el_init_of(x, it->value, NULL, env, rank, &init))
    return -1;
  t = ir_state(c->p, name, rank, dims, init);
  if (t < 0)
    diag_internal(c->d, it->loc, "%s", c->p->err);
  return t;
}

/* The loc of the last assignment of `name` in d, or of d. */
static diag_loc last_assignment(const ast_decl *d, const char *name) {
  diag_loc at = d->loc;
  for (int i = 0; i < d->nitems; i++)
    if (d->items[i]->kind == AST_ITEM_ASSIGN && strcmp(d->items[i]->name, name) == 0)
      at = d->items[i]->loc;
  return at;
}

/* The final value of a buffer: a tensor of the shape of tensor ti. */
static ir_node *fit(el_tx *x, const ast_decl *opt, const char *name, int ti, ev v) {
  if (v.kind == EV_ERR)
    return NULL;
  ir_node *n = el_node(x, v);
  char a[96], b[96];
  ir_shape want = x->c->p->tensors[ti].shape;
  if (n && n->dtype == x->c->p->real && n->shape.rank <= want.rank) {
    ir_node *r = ir_broadcast_to(x->g, n, want.rank, want.d);
    if (r)
      return r;
  }
  el_fail(x, last_assignment(opt, name), "the new value of %s%s has %s, expected %s",
          x->c->p->tensors[ti].kind == IR_STATE ? "state " : "", name,
          n ? ir_shape_str(&n->shape, a, sizeof a) : el_describe(x, v),
          ir_shape_str(&want, b, sizeof b));
  return NULL;
}

/* A state of the weight's update period that no optimizer body can name
 * (`.` is not part of a name): zeros of the given shape, declared once. */
static int period_state(el_tx *x, const mt_weight *w, const char *what, int rank) {
  el_ctx *c = x->c;
  const char *name = arena_printf(c->a, "%s:every.%s", w->path, what);
  int t = ir_find_tensor(c->p, name);
  if (t >= 0)
    return t;
  long dims[IR_MAX_RANK];
  for (int j = 0; j < rank; j++)
    dims[j] = (long)w->dims[j];
  t = ir_state(c->p, name, rank, dims, (ir_init){.kind = IR_INIT_ZEROS});
  if (t < 0)
    diag_internal(c->d, x->inst, "%s", c->p->err);
  return t;
}

/* `optimizer for G = X every N steps`: the gradient is summed into
 * `every.grad` and the steps counted in `every.count`; at every N-th step
 * (`due`, returned) the optimizer runs on the sum and both restart. */
static ir_node *accumulate(el_tx *x, const mt_weight *w, long long every, ir_node **grad) {
  ir_graph *g = x->g;
  int ts = period_state(x, w, "grad", w->rank), tc = period_state(x, w, "count", 0);
  if (ts < 0 || tc < 0)
    return NULL;
  ir_node *sum = ir_add(g, ir_tensor_ref(g, ts), *grad);
  ir_node *count = ir_add(g, ir_tensor_ref(g, tc), ir_const(g, 1));
  ir_node *due = ir_binary(g, IR_GE, count, ir_const(g, (double)every));
  ir_node *zero = ir_const(g, 0);
  ir_node *next_sum = ir_broadcast_to(g, ir_select(g, due, zero, sum), w->rank, sum->shape.d);
  if (!next_sum || ir_assign_add(g, ts, next_sum) < 0 ||
      ir_assign_add(g, tc, ir_select(g, due, zero, count)) < 0) {
    diag_internal(x->c->d, x->inst, "%s", ir_error(g));
    return NULL;
  }
  *grad = sum;
  return due;
}

/* The new value n of tensor ti where an update is due, its old one
 * elsewhere (due == NULL: every step): the select that merges the region
 * of the step. */
static ir_node *unless_due(el_tx *x, ir_node *due, ir_node *n, int ti) {
  return due && n ? ir_select(x->g, due, n, ir_tensor_ref(x->g, ti)) : n;
}

/* The body of optimizer o for weight w: its states' tensors into ts[] and
 * their new values into next[] (NULL: never assigned), returns the new
 * weight (NULL on error). */
static ir_node *step_body(el_tx *x, const mt_weight *w, const sema_optimizer *o, ir_node *grad,
                          ir_node *t_opt, int *ts, ir_node **next, int *nstates) {
  el_ctx *c = x->c;
  const ast_decl *d = o->decl;
  el_env *env = el_env_new(c->a, NULL);
  for (int i = 0; i < o->nargs; i++)
    el_env_set(c->a, env, o->args[i].name, el_value_of_mt(o->args[i].value));
  el_env_set(c->a, env, "grad", ev_tensor(grad));
  el_env_set(c->a, env, "weight", ev_tensor(el_weight_node(x, w->index)));
  el_env_set(c->a, env, "t", ev_tensor(t_opt));
  el_env_set(c->a, env, "schedule", ev_tensor(scalar(x, "schedule")));
  bool ok = true;
  *nstates = 0;
  for (int i = 0; i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    if (it->kind == AST_ITEM_STATE) {
      int t = state_tensor(x, o, it, env);
      ok = t >= 0 && ok;
      if (t >= 0)
        ts[(*nstates)++] = i;
      el_env_set(c->a, env, it->name, t >= 0 ? ev_tensor(ir_tensor_ref(x->g, t)) : ev_err());
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
  for (int i = 0; i < *nstates; i++) {
    const ast_item *it = d->items[ts[i]];
    ev v = el_env_find(env, it->name, NULL)->val;
    int t = ir_find_tensor(c->p, arena_printf(c->a, "%s:%s", w->path, it->name));
    ts[i] = t;
    next[i] = NULL;
    if (v.kind == EV_TENSOR && v.node->op == IR_TENSOR && v.node->attr.index == t)
      continue; /* never assigned */
    ok = (next[i] = fit(x, d, it->name, t, v)) && ok;
  }
  ir_node *nw = fit(x, d, "weight", w->index, el_env_find(env, "weight", NULL)->val);
  return ok ? nw : NULL;
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
  /* with a period, t counts the updates: it is t / every when one is due,
     and the step is a region of the graph evaluated only then */
  ir_node *t_opt = scalar(x, "t"), *due = NULL;
  if (o->every > 1) {
    if (!(due = accumulate(x, w, o->every, &grad)))
      return NULL;
    t_opt = ir_div(x->g, t_opt, ir_const(x->g, (double)o->every));
    if (ir_region_begin(x->g, due, 0) < 0) {
      diag_internal(c->d, o->loc, "%s", ir_error(x->g));
      return NULL;
    }
  }
  int nstates = 0;
  int *ts = arena_alloc(c->a, (size_t)(d->nitems ? d->nitems : 1) * sizeof *ts);
  ir_node **next = arena_alloc(c->a, (size_t)(d->nitems ? d->nitems : 1) * sizeof *next);
  ir_node *nw = step_body(x, w, o, grad, t_opt, ts, next, &nstates);
  if (due)
    ir_region_end(x->g);
  if (!nw)
    return NULL;
  for (int i = 0; i < nstates; i++) {
    ir_node *n = unless_due(x, due, next[i], ts[i]);
    if (next[i] && (!n || ir_assign_add(x->g, ts[i], n) < 0)) {
      diag_internal(c->d, d->loc, "%s", ir_error(x->g));
      return NULL;
    }
  }
  return unless_due(x, due, nw, w->index);
}
