/* sema_decls.c: checks every atom, bond, module and optimizer declaration
 * on its own: parameters, which items a body holds, that every name and
 * function used in a body is defined, optimizer assignment targets, the
 * parts of composite optimizers, and cycles among module definitions. */
#include <string.h>

#include "sema_internal.h"

/* Names visible in a body, with where each was declared. */
typedef struct scope {
  const char **names;
  diag_loc *locs;
  int n, cap;
} scope;

static void scope_add(sema_ctx *c, scope *s, const char *name, diag_loc loc) {
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 16;
    s->names =
        arena_grow(c->a, s->names, (size_t)s->n * sizeof *s->names, (size_t)cap * sizeof *s->names);
    s->locs =
        arena_grow(c->a, s->locs, (size_t)s->n * sizeof *s->locs, (size_t)cap * sizeof *s->locs);
    s->cap = cap;
  }
  s->names[s->n] = name;
  s->locs[s->n++] = loc;
}

static int scope_find(const scope *s, const char *name) {
  for (int i = s->n - 1; i >= 0; i--)
    if (strcmp(s->names[i], name) == 0)
      return i;
  return -1;
}

/* Adds a declared name, reporting a clash with one already in scope. */
static bool declare(sema_ctx *c, scope *s, const char *name, diag_loc loc, const char *what) {
  int prev = scope_find(s, name);
  if (prev >= 0) {
    diag_error(c->d, loc, "duplicate %s '%s'", what, name);
    if (s->locs[prev].file)
      diag_note(c->d, s->locs[prev], "'%s' is already declared here", name);
    return false;
  }
  scope_add(c, s, name, loc);
  return true;
}

/* ---- expressions in bodies --------------------------------------------- */

/* What a body may call: builtins of the `uses` bits, plus dualize(u) in
 * optimizers. */
typedef struct body_ctx {
  sema_ctx *c;
  const scope *sc;
  unsigned uses;
  bool allow_dualize;
  bool called_dualize;
  /* the initial value of state `init_of`: names of `step` outside sc are
   * per-step values it cannot use */
  const char *init_of;
  const scope *step;
} body_ctx;

static void unknown_function(body_ctx *b, const ast_expr *e) {
  sema_ctx *c = b->c;
  const char *name = e->call.name;
  sema_sym *s = sema_lookup(c, name);
  if (scope_find(b->sc, name) >= 0) {
    diag_error(c->d, e->call.name_loc, "'%s' is not a function", name);
  } else if (s && s->decl->kind != AST_EXPERIMENT) {
    diag_error(c->d, e->call.name_loc, "%s '%s' cannot be called in this body",
               ast_decl_kind_name(s->decl->kind), name);
    diag_hint(c->d, "bodies are tensor code: they call builtin functions such as polar(G)");
  } else {
    diag_error(c->d, e->call.name_loc, "unknown function '%s'", name);
    const char *cands[128];
    int n = 0;
    for (int i = 0; i < sema_builtin_count() && n < 127; i++)
      if (sema_builtin_at(i)->use & b->uses)
        cands[n++] = sema_builtin_at(i)->name;
    if (b->allow_dualize)
      cands[n++] = "dualize";
    sema_hint_closest(c, name, cands, n);
  }
}

static bool check_body(body_ctx *b, const ast_expr *e);

static bool check_args(body_ctx *b, const ast_expr *e) {
  bool ok = true;
  for (int i = 0; i < e->call.nargs; i++)
    ok = check_body(b, e->call.args[i].value) && ok;
  return ok;
}

static bool check_call(body_ctx *b, const ast_expr *e) {
  sema_ctx *c = b->c;
  if (b->allow_dualize && strcmp(e->call.name, "dualize") == 0 &&
      scope_find(b->sc, "dualize") < 0) {
    b->called_dualize = true;
    const bool precision = e->call.nargs == 2 && e->call.args[1].name &&
                           strcmp(e->call.args[1].name, "precision") == 0;
    if ((e->call.nargs != 1 && !precision) || e->call.args[0].name) {
      diag_error(c->d, e->call.name_loc,
                 "dualize takes one positional argument and an optional 'precision = ...', got "
                 "%d arguments",
                 e->call.nargs);
      return false;
    }
    return check_args(b, e);
  }
  const sema_builtin *bt =
      scope_find(b->sc, e->call.name) < 0 ? sema_builtin_find(e->call.name, b->uses) : NULL;
  if (!bt) {
    unknown_function(b, e);
    check_args(b, e);
    return false;
  }
  bool ok = sema_check_builtin_args(c, bt, e);
  return check_args(b, e) && ok;
}

static bool check_name(body_ctx *b, const ast_expr *e) {
  if (scope_find(b->sc, e->name) >= 0)
    return true;
  const sema_builtin *bt = sema_builtin_find(e->name, b->uses);
  if (bt && bt->nrequired == 0)
    return true;
  sema_ctx *c = b->c;
  if (b->init_of && scope_find(b->step, e->name) >= 0) {
    diag_error(c->d, e->loc, "the initial value of state '%s' cannot use '%s'", b->init_of,
               e->name);
    diag_hint(c->d, "it is computed once before the first step, from the parameters, 'weight' "
                    "and the states declared before it");
    return false;
  }
  if (bt) {
    diag_error(c->d, e->loc, "'%s' needs arguments: write %s(...)", e->name, e->name);
    return false;
  }
  diag_error(c->d, e->loc, "undefined name '%s'", e->name);
  const char *cands[256];
  int n = 0;
  for (int i = 0; i < b->sc->n && n < 128; i++)
    cands[n++] = b->sc->names[i];
  for (int i = 0; i < sema_builtin_count() && n < 256; i++)
    if ((sema_builtin_at(i)->use & b->uses) && sema_builtin_at(i)->nrequired == 0)
      cands[n++] = sema_builtin_at(i)->name;
  sema_hint_closest(c, e->name, cands, n);
  return false;
}

static bool check_body(body_ctx *b, const ast_expr *e) {
  bool ok = true;
  switch (e->kind) {
  case AST_NAME:
    return check_name(b, e);
  case AST_CALL:
    return check_call(b, e);
  case AST_UNARY:
    return check_body(b, e->unary.operand);
  case AST_BINARY:
    ok = check_body(b, e->binary.lhs);
    return check_body(b, e->binary.rhs) && ok;
  case AST_TERNARY:
    ok = check_body(b, e->ternary.cond);
    ok = check_body(b, e->ternary.then_e) && ok;
    return check_body(b, e->ternary.else_e) && ok;
  case AST_INDEX:
    ok = check_body(b, e->index.base);
    for (int i = 0; i < e->index.n; i++)
      ok = check_body(b, e->index.items[i]) && ok;
    return ok;
  case AST_LIST:
  case AST_TUPLE:
    for (int i = 0; i < e->list.n; i++)
      ok = check_body(b, e->list.items[i]) && ok;
    return ok;
  case AST_ERROR:
    return false;
  default:
    return true;
  }
}

static bool check_in(sema_ctx *c, const ast_expr *e, const scope *sc, unsigned uses) {
  body_ctx b = {c, sc, uses, false, false, NULL, NULL};
  return check_body(&b, e);
}

/* ---- parameters -------------------------------------------------------- */

/* Declares the parameters of d in sc (defaults checked with the earlier
 * parameters in scope when `def_uses` is not 0). */
static bool check_params(sema_ctx *c, const ast_decl *d, scope *sc, unsigned def_uses) {
  bool ok = true;
  for (int i = 0; i < d->nparams; i++) {
    const ast_param *p = &d->params[i];
    if (p->type == AST_TYPE_MODULE && d->kind != AST_MODULE) {
      diag_error(c->d, p->type_loc, "parameters of %s %s must be constants, not modules",
                 d->kind == AST_ATOM || d->kind == AST_OPTIMIZER ? "an" : "a",
                 ast_decl_kind_name(d->kind));
      ok = false;
    }
    if (p->def && def_uses)
      ok = check_in(c, p->def, sc, def_uses) && ok;
    ok = declare(c, sc, p->name, p->name_loc, "parameter") && ok;
  }
  return ok;
}

/* ---- atoms and bonds --------------------------------------------------- */

/* Records a defining item in *slot, reporting a second definition. */
static bool set_once(sema_ctx *c, const ast_item **slot, const ast_item *it) {
  if (*slot) {
    diag_error(c->d, it->name_loc, "'%s' is defined twice", it->name);
    diag_note(c->d, (*slot)->name_loc, "first definition of '%s'", it->name);
    return false;
  }
  *slot = it;
  return true;
}

/* forward(x[.., n, h, w]) = ...: the inputs, and dimension names not yet
 * in scope (h, w: bound by the input's shape), are local to the item; so
 * are the lets of a block body, each visible from the next one on. */
static bool check_define(sema_ctx *c, const ast_item *it, const scope *outer, unsigned uses) {
  scope sc = *outer;
  sc.cap = sc.n; /* full: the first local added copies the arrays */
  bool ok = true;
  for (int i = 0; i < it->define.ninputs; i++) {
    const ast_pattern *p = &it->define.inputs[i];
    for (int j = 0; j < p->ndims; j++) {
      const ast_expr *dim = p->dims[j];
      if (dim->kind == AST_NAME && scope_find(&sc, dim->name) < 0)
        scope_add(c, &sc, dim->name, dim->loc);
      else
        ok = check_in(c, dim, &sc, BT_CONST) && ok;
    }
    ok = declare(c, &sc, p->name, p->name_loc, "input") && ok;
  }
  for (int i = 0; i < it->define.nlets; i++) {
    const ast_item *let = it->define.lets[i];
    ok = check_in(c, let->value, &sc, uses) && ok;
    ok = declare(c, &sc, let->name, let->name_loc, "local") && ok;
  }
  return check_in(c, it->value, &sc, uses) && ok;
}

/* The slot of a defining item; the parser admits only these names here
 * (forward, dualize, norm(...); norm, mass, sensitivity). */
static const ast_item **item_slot(sema_sym *s, const ast_item *it) {
  const char *n = it->name;
  if (it->kind == AST_ITEM_DEFINE)
    return strcmp(n, "forward") == 0 ? &s->forward
           : strcmp(n, "norm") == 0  ? &s->norm
                                     : &s->dualize;
  return strcmp(n, "norm") == 0 ? &s->norm : strcmp(n, "mass") == 0 ? &s->mass : &s->sens;
}

static bool check_atom_or_bond(sema_ctx *c, sema_sym *s) {
  const ast_decl *d = s->decl;
  bool atom = d->kind == AST_ATOM;
  scope sc = {0};
  bool ok = check_params(c, d, &sc, BT_CONST);
  int nweights = 0;
  /* weights are visible in every item; lets from their declaration on */
  for (int i = 0; i < d->nitems; i++)
    if (d->items[i]->kind == AST_ITEM_WEIGHT) {
      ok = declare(c, &sc, d->items[i]->name, d->items[i]->name_loc, "weight") && ok;
      nweights++;
    }
  for (int i = 0; i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    switch (it->kind) {
    case AST_ITEM_WEIGHT:
      for (int j = 0; j < it->weight.ndims; j++)
        ok = check_in(c, it->weight.dims[j], &sc, BT_CONST) && ok;
      ok = check_in(c, it->value, &sc, BT_CONST | BT_INIT) && ok;
      break;
    case AST_ITEM_LET:
      ok = check_in(c, it->value, &sc, BT_CONST | BT_TENSOR) && ok;
      ok = declare(c, &sc, it->name, it->name_loc, "local") && ok;
      break;
    case AST_ITEM_DEFINE:
      ok = set_once(c, item_slot(s, it), it) && ok;
      ok = check_define(c, it, &sc, BT_CONST | BT_TENSOR) && ok;
      break;
    case AST_ITEM_ASSIGN:
      ok = set_once(c, item_slot(s, it), it) && ok;
      ok = check_in(c, it->value, &sc, BT_CONST | BT_TENSOR) && ok;
      break;
    default:
      break; /* the parser allows no other items here */
    }
  }
  const char *what = atom ? "atom" : "bond";
  if (!s->forward) {
    diag_error(c->d, d->name_loc, "%s %s has no forward(...) definition", what, s->name);
    ok = false;
  }
  if (!atom)
    return ok;
  if (nweights == 0) {
    diag_error(c->d, d->name_loc, "atom %s declares no weights", s->name);
    diag_hint(c->d, "a module without weights is a bond: 'bond %s { ... }'", s->name);
    return false;
  }
  if (!s->norm) {
    diag_error(c->d, d->name_loc, "atom %s has no norm", s->name);
    diag_hint(c->d, "declare the norm of its weights, e.g. 'norm = spectral(W)'");
    ok = false;
  }
  if (!s->dualize) {
    diag_error(c->d, d->name_loc, "atom %s has no dualize(...) definition", s->name);
    diag_hint(c->d, "define the steepest-descent direction of a gradient, e.g. "
                    "'dualize(G) = polar(G)'");
    ok = false;
  } else if (s->dualize->define.ninputs != nweights) {
    diag_error(c->d, s->dualize->name_loc,
               "dualize of %s takes one gradient per weight: expected %d input%s, got %d", s->name,
               nweights, nweights == 1 ? "" : "s", s->dualize->define.ninputs);
    ok = false;
  }
  if (s->norm && s->norm->kind == AST_ITEM_DEFINE && s->norm->define.ninputs != nweights) {
    diag_error(c->d, s->norm->name_loc,
               "norm(...) of %s takes one direction per weight: expected %d input%s, got %d",
               s->name, nweights, nweights == 1 ? "" : "s", s->norm->define.ninputs);
    ok = false;
  }
  return ok;
}

/* ---- modules ----------------------------------------------------------- */

/* Names in a module body: parameters, atoms, bonds and modules; calls of
 * those and of compile-time functions. Also records the module references
 * for the recursion check. */
typedef struct module_ref {
  sema_sym *to;
  diag_loc loc;
} module_ref;

typedef struct module_refs {
  module_ref *v;
  int n, cap;
} module_refs;

static void add_ref(sema_ctx *c, module_refs *r, sema_sym *to, diag_loc loc) {
  if (r->n == r->cap) {
    int cap = r->cap ? 2 * r->cap : 8;
    r->v = arena_grow(c->a, r->v, (size_t)r->n * sizeof *r->v, (size_t)cap * sizeof *r->v);
    r->cap = cap;
  }
  r->v[r->n++] = (module_ref){to, loc};
}

static bool check_module_expr(sema_ctx *c, const ast_expr *e, const scope *sc, module_refs *refs);

static bool module_name(sema_ctx *c, const char *name, diag_loc loc, bool call, const scope *sc,
                        module_refs *refs) {
  if (scope_find(sc, name) >= 0) {
    if (call) {
      diag_error(c->d, loc, "'%s' is a parameter and cannot be called", name);
      return false;
    }
    return true;
  }
  sema_sym *s = sema_lookup(c, name);
  if (s &&
      (s->decl->kind == AST_ATOM || s->decl->kind == AST_BOND || s->decl->kind == AST_MODULE)) {
    if (s->decl->kind == AST_MODULE)
      add_ref(c, refs, s, loc);
    return true;
  }
  if (s) {
    diag_error(c->d, loc, "%s '%s' cannot be used in a module", ast_decl_kind_name(s->decl->kind),
               name);
    return false;
  }
  if (call && sema_builtin_find(name, BT_CONST | BT_MODULE))
    return true;
  if (call && sema_builtin_find(name, ~0u)) {
    diag_error(c->d, loc, "'%s' is not a compile-time function", name);
    diag_hint(c->d, "tensor functions belong in the forward(...) of an atom or bond");
    return false;
  }
  diag_error(c->d, loc, call ? "unknown module or function '%s'" : "undefined name '%s'", name);
  const char *cands[256];
  int n = 0;
  for (int i = 0; i < sc->n && n < 64; i++)
    cands[n++] = sc->names[i];
  n += sema_global_names(c, SEMA_KIND(AST_ATOM) | SEMA_KIND(AST_BOND) | SEMA_KIND(AST_MODULE),
                         cands + n, 256 - n);
  if (!sema_hint_use(c, name))
    sema_hint_closest(c, name, cands, n);
  return false;
}

static bool check_module_expr(sema_ctx *c, const ast_expr *e, const scope *sc, module_refs *refs) {
  bool ok = true;
  switch (e->kind) {
  case AST_NAME:
    return module_name(c, e->name, e->loc, false, sc, refs);
  case AST_CALL:
    ok = module_name(c, e->call.name, e->call.name_loc, true, sc, refs);
    for (int i = 0; i < e->call.nargs; i++)
      ok = check_module_expr(c, e->call.args[i].value, sc, refs) && ok;
    return ok;
  case AST_UNARY:
    return check_module_expr(c, e->unary.operand, sc, refs);
  case AST_BINARY:
    ok = check_module_expr(c, e->binary.lhs, sc, refs);
    return check_module_expr(c, e->binary.rhs, sc, refs) && ok;
  case AST_TERNARY:
    ok = check_module_expr(c, e->ternary.cond, sc, refs);
    ok = check_module_expr(c, e->ternary.then_e, sc, refs) && ok;
    return check_module_expr(c, e->ternary.else_e, sc, refs) && ok;
  case AST_TUPLE:
  case AST_LIST:
    for (int i = 0; i < e->list.n; i++)
      ok = check_module_expr(c, e->list.items[i], sc, refs) && ok;
    return ok;
  case AST_INDEX:
    diag_error(c->d, e->loc, "indexing is a tensor operation and cannot appear in a module");
    return false;
  case AST_ERROR:
    return false;
  default:
    return true;
  }
}

static bool check_module(sema_ctx *c, sema_sym *s, module_refs *refs) {
  const ast_decl *d = s->decl;
  scope sc = {0};
  bool ok = true;
  for (int i = 0; i < d->nparams; i++) {
    const ast_param *p = &d->params[i];
    if (p->def)
      ok = check_module_expr(c, p->def, &sc, refs) && ok;
    ok = declare(c, &sc, p->name, p->name_loc, "parameter") && ok;
  }
  return check_module_expr(c, d->body, &sc, refs) && ok;
}

/* Cycles among module definitions (DFS over the references). */
typedef struct cycle_search {
  sema_ctx *c;
  module_refs *refs; /* per symbol index */
  int *state;        /* 0 new, 1 on the stack, 2 done */
  int *stack;        /* symbol indices */
  diag_loc *via;     /* reference taken from stack[i] */
  int depth;
} cycle_search;

static void report_cycle(cycle_search *cs, int from) {
  sema_ctx *c = cs->c;
  bool fresh = false;
  for (int i = from; i < cs->depth; i++)
    fresh |= !c->syms[cs->stack[i]].recursive;
  if (!fresh)
    return;
  char *chain = arena_strdup(c->a, "");
  for (int i = from; i < cs->depth; i++)
    chain = arena_printf(c->a, "%s%s -> ", chain, c->syms[cs->stack[i]].name);
  chain = arena_printf(c->a, "%s%s", chain, c->syms[cs->stack[from]].name);
  diag_error(c->d, cs->via[cs->depth - 1], "recursive module definition: %s", chain);
  diag_hint(c->d, "a module cannot use itself; build repetition with 'm ^ n'");
  for (int i = from; i < cs->depth; i++)
    c->syms[cs->stack[i]].recursive = true;
}

static void dfs(cycle_search *cs, int k) {
  cs->state[k] = 1;
  cs->stack[cs->depth] = k;
  for (int i = 0; i < cs->refs[k].n; i++) {
    int to = (int)(cs->refs[k].v[i].to - cs->c->syms);
    cs->via[cs->depth] = cs->refs[k].v[i].loc;
    if (cs->state[to] == 1) {
      int from = cs->depth;
      while (cs->stack[from] != to)
        from--;
      cs->depth++;
      report_cycle(cs, from);
      cs->depth--;
    } else if (cs->state[to] == 0) {
      cs->depth++;
      dfs(cs, to);
      cs->depth--;
    }
  }
  cs->state[k] = 2;
}

static void check_recursion(sema_ctx *c, module_refs *refs) {
  int n = c->nsyms;
  cycle_search cs = {c,
                     refs,
                     arena_alloc(c->a, (size_t)n * sizeof(int)),
                     arena_alloc(c->a, (size_t)n * sizeof(int)),
                     arena_alloc(c->a, (size_t)n * sizeof(diag_loc)),
                     0};
  for (int k = 0; k < n; k++)
    if (cs.state[k] == 0 && c->syms[k].decl->kind == AST_MODULE)
      dfs(&cs, k);
}

/* ---- optimizers -------------------------------------------------------- */

static const char *const optimizer_builtins[] = {"grad", "weight", "t", "schedule"};

static bool check_assign_target(sema_ctx *c, const ast_item *it, const scope *assignable,
                                const ast_decl *d) {
  if (strcmp(it->name, "weight") == 0 || scope_find(assignable, it->name) >= 0)
    return true;
  for (int i = 0; i < d->nparams; i++)
    if (strcmp(d->params[i].name, it->name) == 0) {
      diag_error(c->d, it->name_loc, "cannot assign to parameter '%s'", it->name);
      return false;
    }
  for (int i = 0; i < 4; i++)
    if (strcmp(optimizer_builtins[i], it->name) == 0) {
      diag_error(c->d, it->name_loc, "cannot assign to '%s'", it->name);
      diag_hint(c->d, "an optimizer assigns 'weight', its state buffers and its locals");
      return false;
    }
  diag_error(c->d, it->name_loc,
             "assignment to '%s', which is neither a state buffer, a local nor 'weight'", it->name);
  const char *best = sema_closest(it->name, assignable->names, assignable->n);
  if (best)
    diag_hint(c->d, "did you mean '%s'?", best);
  else
    diag_hint(c->d, "declare a local with 'let %s = ...' or a buffer with 'state %s = 0'", it->name,
              it->name);
  return false;
}

/* `state NAME[dims] = value`: the dims are numbers of the step (sc); the
 * value, an initializer or an expression computed before the first step,
 * sees the parameters, `weight` and the earlier states (init). */
static bool check_state(sema_ctx *c, const ast_item *it, const scope *sc, const scope *init) {
  bool ok = true;
  for (int j = 0; j < it->weight.ndims; j++)
    ok = check_in(c, it->weight.dims[j], sc, BT_CONST | BT_TENSOR) && ok;
  body_ctx b = {c, init, BT_CONST | BT_TENSOR | BT_INIT, false, false, it->name, sc};
  return check_body(&b, it->value) && ok;
}

static bool check_optimizer(sema_ctx *c, sema_sym *s) {
  const ast_decl *d = s->decl;
  scope sc = {0}, assignable = {0}, init = {0};
  diag_loc none = {0};
  for (int i = 0; i < 4; i++)
    scope_add(c, &sc, optimizer_builtins[i], none);
  bool ok = check_params(c, d, &sc, BT_CONST);
  scope_add(c, &init, "weight", none);
  for (int i = 0; i < d->nparams; i++)
    scope_add(c, &init, d->params[i].name, d->params[i].name_loc);
  bool assigns_weight = false;
  body_ctx b = {c, &sc, BT_CONST | BT_TENSOR | BT_INIT, true, false, NULL, NULL};
  for (int i = 0; i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    if (it->kind != AST_ITEM_STATE && it->kind != AST_ITEM_LET && it->kind != AST_ITEM_ASSIGN)
      continue; /* the parser allows no other items here */
    if (it->kind == AST_ITEM_STATE) {
      ok = check_state(c, it, &sc, &init) && ok;
      scope_add(c, &init, it->name, it->name_loc);
    } else {
      ok = check_body(&b, it->value) && ok;
    }
    if (it->kind == AST_ITEM_ASSIGN) {
      ok = check_assign_target(c, it, &assignable, d) && ok;
      assigns_weight |= strcmp(it->name, "weight") == 0;
    } else {
      ok =
          declare(c, &sc, it->name, it->name_loc, it->kind == AST_ITEM_STATE ? "state" : "local") &&
          ok;
      scope_add(c, &assignable, it->name, it->name_loc);
    }
  }
  s->uses_dualize = b.called_dualize;
  if (!assigns_weight) {
    diag_error(c->d, d->name_loc, "optimizer %s never assigns 'weight'", s->name);
    diag_hint(c->d, "the update is written 'weight = weight - lr * ...'");
    ok = false;
  }
  return ok;
}

/* ---- composite optimizers ---------------------------------------------- */

bool sema_is_composite(const ast_decl *d) {
  for (int i = 0; d->kind == AST_OPTIMIZER && i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    if (it->kind == AST_ITEM_OPTIMIZER_FOR ||
        (it->kind == AST_ITEM_ASSIGN && strcmp(it->name, "optimizer") == 0))
      return true;
  }
  return false;
}

/* One optimizer a composite assigns: a call (or bare name) of an optimizer
 * with an update rule, its arguments compile-time expressions of the
 * composite's parameters. */
static bool check_part(sema_ctx *c, const ast_expr *e, const scope *sc) {
  const char *name = e->kind == AST_CALL ? e->call.name : e->kind == AST_NAME ? e->name : NULL;
  sema_sym *s = name ? sema_lookup(c, name) : NULL;
  diag_loc at = e->kind == AST_CALL ? e->call.name_loc : e->loc;
  if (!s || s->decl->kind != AST_OPTIMIZER) {
    diag_error(c->d, at, name ? "'%s' is not an optimizer" : "expected an optimizer%s",
               name ? name : " such as AdamW(lr = 0.001)");
    return false;
  }
  if (sema_is_composite(s->decl)) {
    diag_error(c->d, at, "optimizer %s is itself a composite optimizer", name);
    diag_hint(c->d, "a composite names optimizers with an update rule; list its groups here");
    return false;
  }
  bool ok = true;
  for (int i = 0; e->kind == AST_CALL && i < e->call.nargs; i++)
    ok = check_in(c, e->call.args[i].value, sc, BT_CONST) && ok;
  return ok;
}

static bool check_group_kind(sema_ctx *c, const ast_item *it) {
  if (it->optfor.is_glob)
    return true;
  sema_sym *s = sema_lookup(c, it->optfor.group);
  if (s && s->decl->kind == AST_ATOM)
    return true;
  diag_error(c->d, it->optfor.group_loc, "unknown atom kind '%s'", it->optfor.group);
  diag_hint(c->d, "group weights by atom kind (Linear) or by a path glob (\"*.MLP*\")");
  return false;
}

/* `optimizer = X(...)` once, `optimizer for G = Y(...)` any number of
 * times, and nothing else. */
static bool check_composite(sema_ctx *c, sema_sym *s) {
  const ast_decl *d = s->decl;
  scope sc = {0};
  bool ok = check_params(c, d, &sc, BT_CONST);
  const ast_item *dflt = NULL;
  for (int i = 0; i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    if (it->kind == AST_ITEM_OPTIMIZER_FOR) {
      ok = check_group_kind(c, it) && ok;
      ok = check_part(c, it->value, &sc) && ok;
    } else if (it->kind == AST_ITEM_ASSIGN && strcmp(it->name, "optimizer") == 0) {
      ok = set_once(c, &dflt, it) && check_part(c, it->value, &sc) && ok;
    } else {
      diag_error(c->d, it->loc, "optimizer %s combines optimizers, so it cannot also have %s",
                 s->name,
                 it->kind == AST_ITEM_STATE ? "state buffers"
                 : it->kind == AST_ITEM_LET ? "locals"
                                            : "an update rule");
      diag_hint(c->d, "a composite optimizer holds 'optimizer = ...' and 'optimizer for ...' "
                      "only; write the update rule in an optimizer of its own");
      ok = false;
    }
  }
  if (!dflt) {
    diag_error(c->d, d->name_loc, "composite optimizer %s has no 'optimizer = ...'", s->name);
    diag_hint(c->d, "it names the optimizer of the weights that no 'optimizer for' matches");
    ok = false;
  }
  return ok;
}

/* ---- schedules ---------------------------------------------------------- */

/* schedule name(params) [over steps] = body: the length sees the
 * parameters, the body also `t` and `total` (which no parameter may be
 * called); what the body may compute is checked where it is compiled
 * (sema_schedule.c). */
static bool check_schedule(sema_ctx *c, sema_sym *s) {
  const ast_decl *d = s->decl;
  scope sc = {0};
  bool ok = check_params(c, d, &sc, BT_CONST);
  for (int i = 0; i < d->nparams; i++)
    if (strcmp(d->params[i].name, "t") == 0 || strcmp(d->params[i].name, "total") == 0) {
      diag_error(c->d, d->params[i].name_loc, "a schedule's parameter cannot be called '%s'",
                 d->params[i].name);
      diag_hint(c->d, "in a schedule, t is the step and total the steps it spans");
      ok = false;
    }
  if (d->over)
    ok = check_in(c, d->over, &sc, BT_CONST) && ok;
  scope_add(c, &sc, "t", (diag_loc){0});
  scope_add(c, &sc, "total", (diag_loc){0});
  return check_in(c, d->body, &sc, BT_CONST | BT_TENSOR) && ok;
}

/* ---- all declarations -------------------------------------------------- */

void sema_check_decls(sema_ctx *c) {
  module_refs *refs = arena_alloc(c->a, (size_t)(c->nsyms ? c->nsyms : 1) * sizeof *refs);
  for (int k = 0; k < c->nsyms; k++) {
    sema_sym *s = &c->syms[k];
    switch (s->decl->kind) {
    case AST_ATOM:
    case AST_BOND:
      s->bad = !check_atom_or_bond(c, s);
      break;
    case AST_MODULE:
      s->bad = !check_module(c, s, &refs[k]);
      break;
    case AST_OPTIMIZER:
      s->bad = sema_is_composite(s->decl) ? !check_composite(c, s) : !check_optimizer(c, s);
      break;
    case AST_SCHEDULE:
      s->bad = !check_schedule(c, s);
      break;
    default:
      break;
    }
  }
  check_recursion(c, refs);
}
