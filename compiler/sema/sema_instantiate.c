/* sema_instantiate.c: expands a model expression into a module tree
 * (mtree.h). Module calls are expanded with their arguments bound, module
 * values are instantiated afresh at every use, `m ^ n` makes n fresh copies,
 * chains of `>>` and `+` are flattened, and every atom gets its parameters,
 * weights with concrete shapes, mass and sensitivity. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

typedef struct thunk {
  const ast_expr *e;
  sema_env *env;
} thunk;

typedef struct thunks {
  thunk *v;
  int n, cap;
} thunks;

static mt_node *inst(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path);

static void push_thunk(sema_ctx *c, thunks *t, const ast_expr *e, sema_env *env) {
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 8;
    t->v = arena_grow(c->a, t->v, (size_t)t->n * sizeof *t->v, (size_t)cap * sizeof *t->v);
    t->cap = cap;
  }
  t->v[t->n++] = (thunk){e, env};
}

/* Counts one unit of expansion work; false (reported once) past the limit. */
static bool within_limit(sema_ctx *c, diag_loc loc) {
  if (++c->nnodes <= SEMA_MAX_NODES)
    return true;
  if (!c->too_big)
    diag_error(c->d, loc, "the model is too large to expand (the limit is %d modules)",
               SEMA_MAX_NODES);
  c->too_big = true;
  return false;
}

static mt_node *new_node(sema_ctx *c, mt_kind kind, const char *path, diag_loc loc) {
  if (!within_limit(c, loc))
    return NULL;
  mt_node *n = arena_alloc(c->a, sizeof *n);
  n->kind = kind;
  n->path = path;
  n->loc = loc;
  return n;
}

static mt_node *compound(sema_ctx *c, mt_kind kind, const char *path, diag_loc loc, int nchildren) {
  mt_node *n = new_node(c, kind, path, loc);
  if (n) {
    n->nchildren = nchildren;
    n->children = arena_alloc(c->a, (size_t)nchildren * sizeof *n->children);
  }
  return n;
}

/* Instantiates every thunk as a child of n (children paths path[i]). */
static mt_node *fill_children(sema_ctx *c, mt_node *n, const thunks *t) {
  if (!n)
    return NULL;
  bool ok = true;
  for (int i = 0; i < t->n && !c->too_big; i++) {
    mt_node *ch = inst(c, t->v[i].e, t->v[i].env, arena_printf(c->a, "%s[%d]", n->path, i));
    if (!ch) {
      ok = false;
      continue;
    }
    ch->parent = n;
    n->children[i] = ch;
  }
  return ok && !c->too_big ? n : NULL;
}

/* ---- flattening -------------------------------------------------------- */

static bool collect(sema_ctx *c, const ast_expr *e, sema_env *env, ast_op op, thunks *out);

/* `m ^ n` inside a sequence: n copies of m. */
static bool collect_power(sema_ctx *c, const ast_expr *e, sema_env *env, thunks *out) {
  sv m = sema_evaluate(c, e->binary.lhs, env);
  if (m.kind == SV_ERROR)
    return false;
  if (m.kind != SV_MODULE) {
    diag_error(c->d, e->binary.lhs->loc, "expected a module to repeat, got %s",
               sema_describe(c, m));
    return false;
  }
  long long n;
  if (!sema_want_int(c, sema_evaluate(c, e->binary.rhs, env), e->binary.rhs, "a repetition count",
                     &n))
    return false;
  if (n < 0 || n > SEMA_MAX_NODES) {
    diag_error(c->d, e->binary.rhs->loc, "repetition count %lld is out of range (0 to %d)", n,
               SEMA_MAX_NODES);
    return false;
  }
  for (long long i = 0; i < n; i++)
    if (!collect(c, e->binary.lhs, env, AST_OP_SEQ, out))
      return false;
  return true;
}

static bool collect_in(sema_ctx *c, const ast_expr *e, sema_env *env, ast_op op, thunks *out);

/* The operands of a chain of `op` (>> or +), following module parameters
 * and conditionals; for >> also repetitions. */
static bool collect(sema_ctx *c, const ast_expr *e, sema_env *env, ast_op op, thunks *out) {
  /* the work limit also bounds empty repetitions such as (id ^ 0) ^ n */
  if (!within_limit(c, e->loc) || !sema_enter(c, e->loc))
    return false;
  bool ok = collect_in(c, e, env, op, out);
  sema_leave(c);
  return ok;
}

static bool collect_in(sema_ctx *c, const ast_expr *e, sema_env *env, ast_op op, thunks *out) {
  if (e->kind == AST_NAME) {
    sema_bind *b = sema_env_find(env, e->name);
    if (b && b->val.kind == SV_MODULE)
      return collect(c, b->val.mod.e, b->val.mod.env, op, out);
  } else if (e->kind == AST_TERNARY) {
    sv cond = sema_evaluate(c, e->ternary.cond, env);
    if (cond.kind == SV_BOOL)
      return collect(c, cond.b ? e->ternary.then_e : e->ternary.else_e, env, op, out);
  } else if (e->kind == AST_BINARY && e->binary.op == op) {
    bool ok = collect(c, e->binary.lhs, env, op, out);
    return collect(c, e->binary.rhs, env, op, out) && ok;
  } else if (e->kind == AST_BINARY && e->binary.op == AST_OP_POW && op == AST_OP_SEQ) {
    return collect_power(c, e, env, out);
  }
  push_thunk(c, out, e, env);
  return true;
}

static mt_node *sequence(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path) {
  thunks t = {0};
  if (!collect(c, e, env, AST_OP_SEQ, &t))
    return NULL;
  if (t.n == 0)
    return new_node(c, MT_IDENTITY, arena_printf(c->a, "%s.id", path), e->loc);
  if (t.n == 1)
    return inst(c, t.v[0].e, t.v[0].env, path);
  return fill_children(c, compound(c, MT_SEQ, path, e->loc, t.n), &t);
}

static mt_node *sum(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path) {
  thunks t = {0};
  if (!collect(c, e, env, AST_OP_ADD, &t))
    return NULL;
  return fill_children(c, compound(c, MT_SUM, path, e->loc, t.n), &t);
}

static mt_node *scale(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path) {
  sv l = sema_evaluate(c, e->binary.lhs, env);
  sv r = sema_evaluate(c, e->binary.rhs, env);
  sv m = l.kind == SV_MODULE ? l : r;
  sv a = l.kind == SV_MODULE ? r : l;
  mt_node *n = compound(c, MT_SCALE, path, e->loc, 1);
  if (!n)
    return NULL;
  n->factor = sema_num(a);
  mt_node *child = inst(c, m.mod.e, m.mod.env, path);
  if (!child)
    return NULL;
  child->parent = n;
  n->children[0] = child;
  return n;
}

/* ---- atoms and bonds --------------------------------------------------- */

static void note_instance(sema_ctx *c, const ast_expr *call, const char *path) {
  diag_note(c->d, call->loc, "in %s, instantiated here", path);
}

/* Evaluates a `mass`/`sensitivity` item of an instance (or the default). */
static bool instance_number(sema_ctx *c, const ast_item *it, double dflt, sema_env *env,
                            const ast_expr *call, const char *path, double *out) {
  *out = dflt;
  if (!it)
    return true;
  int errors = diag_error_count(c->d);
  sv v = sema_evaluate(c, it->value, env);
  bool ok = sema_want_num(c, v, it->value, it->name, out);
  if (!ok && diag_error_count(c->d) > errors)
    note_instance(c, call, path);
  return ok;
}

static bool check_mass_sens(sema_ctx *c, const sema_sym *s, mt_node *n, const ast_expr *call) {
  bool ok = true;
  if (!(n->mass >= 0) || !isfinite(n->mass)) {
    diag_error(c->d, call->loc, "%s has mass %g; a mass must be zero or positive", n->path,
               n->mass);
    if (s->mass)
      diag_note(c->d, s->mass->value->loc, "the mass of %s is declared here", s->name);
    ok = false;
  }
  if (!(n->sens > 0) || !isfinite(n->sens)) {
    diag_error(c->d, call->loc, "%s has sensitivity %g; a sensitivity must be positive", n->path,
               n->sens);
    if (s->sens)
      diag_note(c->d, s->sens->value->loc, "the sensitivity of %s is declared here", s->name);
    ok = false;
  }
  return ok;
}

static void print_dims(FILE *out, const ast_item *w) {
  fputc('[', out);
  for (int i = 0; i < w->weight.ndims; i++) {
    if (i)
      fputs(", ", out);
    sema_print_expr(out, w->weight.dims[i]);
  }
  fputc(']', out);
}

static char *dims_text(sema_ctx *c, const ast_item *w) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return arena_strdup(c->a, "[...]");
  print_dims(f, w);
  fclose(f);
  char *s = arena_strdup(c->a, buf);
  free(buf);
  return s;
}

static bool make_weight(sema_ctx *c, mt_node *n, const ast_item *it, sema_env *env,
                        const ast_expr *call, mt_weight *w) {
  w->name = it->name;
  w->path = arena_printf(c->a, "%s.%s", n->path, it->name);
  w->decl = it;
  w->atom = n;
  w->rank = it->weight.ndims;
  w->dims = arena_alloc(c->a, (size_t)w->rank * sizeof *w->dims);
  w->numel = 1;
  for (int i = 0; i < w->rank; i++) {
    const ast_expr *de = it->weight.dims[i];
    int errors = diag_error_count(c->d);
    if (!sema_want_int(c, sema_evaluate(c, de, env), de, "a dimension", &w->dims[i])) {
      if (diag_error_count(c->d) > errors)
        note_instance(c, call, n->path);
      return false;
    }
    if (w->dims[i] <= 0) {
      diag_error(c->d, call->loc, "weight %s has non-positive dimension %lld (dimension %d of %s)",
                 w->path, w->dims[i], i + 1, dims_text(c, it));
      diag_note(c->d, de->loc, "the dimension is declared here");
      return false;
    }
    if (__builtin_mul_overflow(w->numel, w->dims[i], &w->numel) ||
        w->numel > SEMA_MAX_WEIGHT_NUMEL) {
      diag_error(c->d, call->loc, "weight %s is too large (more than 2^34 elements)", w->path);
      return false;
    }
  }
  return true;
}

static mt_node *make_instance(sema_ctx *c, const sema_sym *s, const ast_expr *call, sema_env *args,
                              const char *path) {
  const ast_decl *d = s->decl;
  mt_node *n = new_node(c, d->kind == AST_ATOM ? MT_ATOM : MT_BOND, path, call->loc);
  if (!n)
    return NULL;
  n->decl = d;
  n->nparams = d->nparams;
  n->params = arena_alloc(c->a, (size_t)d->nparams * sizeof *n->params);
  for (int i = 0; i < d->nparams; i++) {
    n->params[i].name = d->params[i].name;
    bool constant = sema_to_mt(args->b[i].val, &n->params[i].value);
    (void)constant;
    assert(constant); /* sema_bind_args refuses modules for atoms and bonds */
  }
  n->forward = s->forward;
  sema_env *env = sema_instance_env(c, n);
  bool ok = instance_number(c, s->sens, 1.0, env, call, path, &n->sens);
  if (d->kind == AST_BOND)
    return ok && check_mass_sens(c, s, n, call) ? n : NULL;

  n->norm = s->norm;
  n->dualize = s->dualize;
  ok = instance_number(c, s->mass, 1.0, env, call, path, &n->mass) && ok;
  ok = ok && check_mass_sens(c, s, n, call);
  for (int i = 0; i < d->nitems; i++)
    n->nweights += d->items[i]->kind == AST_ITEM_WEIGHT;
  n->weights = arena_alloc(c->a, (size_t)n->nweights * sizeof *n->weights);
  for (int i = 0, k = 0; i < d->nitems; i++)
    if (d->items[i]->kind == AST_ITEM_WEIGHT)
      ok = make_weight(c, n, d->items[i], env, call, &n->weights[k++]) && ok;
  return ok ? n : NULL;
}

/* A call (or bare name) of an atom, bond or module declaration. */
static mt_node *inst_call(sema_ctx *c, const sema_sym *s, const ast_expr *e, sema_env *env,
                          const char *path) {
  if (s->bad || s->recursive)
    return NULL; /* reported with the declaration */
  const ast_decl *d = s->decl;
  if (c->expansion >= SEMA_MAX_EXPANSION) {
    if (!c->too_deep)
      diag_error(c->d, e->loc, "module calls nested more than %d deep", SEMA_MAX_EXPANSION);
    c->too_deep = true;
    return NULL;
  }
  sema_env *args = sema_bind_args(c, d, e, env);
  if (!args)
    return NULL;
  const char *sub = arena_printf(c->a, "%s.%s", path, d->name);
  if (d->kind != AST_MODULE)
    return make_instance(c, s, e, args, sub);
  int errors = diag_error_count(c->d);
  c->expansion++;
  mt_node *n = inst(c, d->body, args, sub);
  c->expansion--;
  if (!n && c->expansion == 0 && diag_error_count(c->d) > errors)
    note_instance(c, e, sub); /* where the model expression uses it */
  return n;
}

/* ---- with_mass(m, mass) ------------------------------------------------ */

static double atoms_mass(const mt_node *n) {
  double m = n->kind == MT_ATOM ? n->mass : 0;
  for (int i = 0; i < n->nchildren; i++)
    m += atoms_mass(n->children[i]);
  return m;
}

static void scale_masses(mt_node *n, double k) {
  if (n->kind == MT_ATOM)
    n->mass *= k;
  for (int i = 0; i < n->nchildren; i++)
    scale_masses(n->children[i], k);
}

/* Rescales the masses of m's atoms so that they sum to `mass` (Modula's
 * `tare`); the node keeps m's path. */
static mt_node *with_mass(sema_ctx *c, const sema_builtin *b, const ast_expr *e, sema_env *env,
                          const char *path) {
  if (!sema_check_builtin_args(c, b, e))
    return NULL;
  const ast_expr *me = sema_builtin_arg(b, e, 0), *ke = sema_builtin_arg(b, e, 1);
  double mass;
  if (!sema_want_num(c, sema_evaluate(c, ke, env), ke, "the mass", &mass))
    return NULL;
  if (!(mass >= 0) || !isfinite(mass)) {
    diag_error(c->d, ke->loc, "a mass must be zero or positive, got %g", mass);
    return NULL;
  }
  mt_node *n = inst(c, me, env, path);
  if (!n)
    return NULL;
  double total = atoms_mass(n);
  if (total == 0 && mass > 0) {
    diag_error(c->d, me->loc, "%s has no mass to rescale", n->path);
    return NULL;
  }
  if (total > 0)
    scale_masses(n, mass / total);
  return n;
}

/* ---- tie(m, weight, to) ------------------------------------------------- */

/* The weights of n's subtree whose paths match glob: the count, and the
 * last one in *out. */
static int find_weights(const mt_node *n, const char *glob, mt_weight **out) {
  int count = 0;
  for (int i = 0; i < n->nweights; i++)
    if (sema_glob_match(glob, n->weights[i].path)) {
      *out = &n->weights[i];
      count++;
    }
  for (int i = 0; i < n->nchildren; i++)
    count += find_weights(n->children[i], glob, out);
  return count;
}

/* The one weight of m's subtree a glob argument names; NULL after an error. */
static mt_weight *tie_operand(sema_ctx *c, const mt_node *m, const ast_expr *ge, sema_env *env) {
  sv v = sema_evaluate(c, ge, env);
  if (v.kind == SV_ERROR)
    return NULL;
  if (v.kind != SV_STRING) {
    diag_error(c->d, ge->loc, "expected a weight path glob (a string), got %s",
               sema_describe(c, v));
    return NULL;
  }
  mt_weight *w = NULL;
  int n = find_weights(m, v.s, &w);
  if (n != 1) {
    diag_error(c->d, ge->loc, "\"%s\" matches %d weights of %s; a tie names one weight", v.s, n,
               m->path);
    return NULL;
  }
  if (w->tied_to) {
    diag_error(c->d, ge->loc, "%s is already tied to %s", w->path, w->tied_to->path);
    return NULL;
  }
  return w;
}

/* Ties one weight of m to another (docs/language.md, "Weight tying"): the
 * same shape, the tied weight the only one of its atom; the node is m's. */
static mt_node *tie(sema_ctx *c, const sema_builtin *b, const ast_expr *e, sema_env *env,
                    const char *path) {
  if (!sema_check_builtin_args(c, b, e))
    return NULL;
  const ast_expr *we = sema_builtin_arg(b, e, 1), *te = sema_builtin_arg(b, e, 2);
  mt_node *n = inst(c, sema_builtin_arg(b, e, 0), env, path);
  mt_weight *w = n ? tie_operand(c, n, we, env) : NULL;
  mt_weight *to = w ? tie_operand(c, n, te, env) : NULL;
  if (!to)
    return NULL;
  bool same = w->rank == to->rank;
  for (int i = 0; same && i < w->rank; i++)
    same = w->dims[i] == to->dims[i];
  if (w == to || !same || w->atom->nweights != 1) {
    diag_error(c->d, e->loc, "cannot tie %s to %s: %s", w->path, to->path,
               w == to ? "it is the same weight"
               : !same ? "their shapes differ"
                       : "a tied weight must be the only weight of its atom");
    return NULL;
  }
  w->tied_to = to;
  return n;
}

/* ---- dispatch ---------------------------------------------------------- */

static mt_node *not_a_module(sema_ctx *c, const ast_expr *e, sema_env *env) {
  sv v = sema_evaluate(c, e, env);
  if (v.kind != SV_ERROR)
    diag_error(c->d, e->loc, "expected a module, got %s", sema_describe(c, v));
  return NULL;
}

static mt_node *expand(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path);

static mt_node *inst(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path) {
  if (c->too_big || c->too_deep || !sema_enter(c, e->loc))
    return NULL; /* a limit error was reported: stop expanding */
  mt_node *n = expand(c, e, env, path);
  sema_leave(c);
  return n;
}

static mt_node *expand(sema_ctx *c, const ast_expr *e, sema_env *env, const char *path) {
  switch (e->kind) {
  case AST_NAME: {
    sema_bind *b = sema_env_find(env, e->name);
    if (b && b->val.kind == SV_MODULE)
      return inst(c, b->val.mod.e, b->val.mod.env, path);
    sema_sym *s = b ? NULL : sema_lookup(c, e->name);
    if (s &&
        (s->decl->kind == AST_ATOM || s->decl->kind == AST_BOND || s->decl->kind == AST_MODULE))
      return inst_call(c, s, e, env, path);
    return not_a_module(c, e, env);
  }
  case AST_CALL: {
    bool local = sema_env_find(env, e->call.name) != NULL;
    sema_sym *s = local ? NULL : sema_lookup(c, e->call.name);
    if (s &&
        (s->decl->kind == AST_ATOM || s->decl->kind == AST_BOND || s->decl->kind == AST_MODULE))
      return inst_call(c, s, e, env, path);
    const sema_builtin *b = local || s ? NULL : sema_builtin_find(e->call.name, BT_MODULE);
    if (b)
      return strcmp(b->name, "tie") == 0 ? tie(c, b, e, env, path) : with_mass(c, b, e, env, path);
    return not_a_module(c, e, env);
  }
  case AST_BINARY: {
    ast_op op = e->binary.op;
    if (op != AST_OP_SEQ && op != AST_OP_ADD && op != AST_OP_MUL && op != AST_OP_POW)
      return not_a_module(c, e, env);
    if (op != AST_OP_SEQ) {
      sv v = sema_evaluate(c, e, env); /* reports operand kind errors */
      if (v.kind != SV_MODULE)
        return not_a_module(c, e, env);
    }
    return op == AST_OP_ADD   ? sum(c, e, env, path)
           : op == AST_OP_MUL ? scale(c, e, env, path)
                              : sequence(c, e, env, path);
  }
  case AST_TUPLE: {
    thunks t = {0};
    for (int i = 0; i < e->list.n; i++)
      push_thunk(c, &t, e->list.items[i], env);
    return fill_children(c, compound(c, MT_TUPLE, path, e->loc, t.n), &t);
  }
  case AST_TERNARY: {
    sv cond = sema_evaluate(c, e->ternary.cond, env);
    if (cond.kind == SV_ERROR)
      return NULL;
    if (cond.kind != SV_BOOL) {
      diag_error(c->d, e->ternary.cond->loc, "expected a bool for the condition, got %s",
                 sema_describe(c, cond));
      return NULL;
    }
    return inst(c, cond.b ? e->ternary.then_e : e->ternary.else_e, env, path);
  }
  default:
    return not_a_module(c, e, env);
  }
}

/* Lists the atoms and weights of the tree in data-flow order (fill: false
 * only counts them); tied weights are left out. */
static void index_model(mt_model *m, mt_node *n, bool fill) {
  if (n->kind == MT_ATOM) {
    if (fill) {
      n->atom_index = m->natoms;
      m->atoms[m->natoms] = n;
    }
    m->natoms++;
    for (int i = 0; i < n->nweights; i++) {
      if (n->weights[i].tied_to)
        continue;
      if (fill) {
        n->weights[i].index = m->nweights;
        m->weights[m->nweights] = &n->weights[i];
        m->nparams += n->weights[i].numel;
      }
      m->nweights++;
    }
  }
  for (int i = 0; i < n->nchildren; i++)
    index_model(m, n->children[i], fill);
}

mt_model *sema_instantiate_model(sema_ctx *c, const ast_expr *e, sema_env *env) {
  c->nnodes = 0;
  c->expansion = 0;
  c->too_big = false;
  c->too_deep = false;
  mt_node *root = inst(c, e, env, "model");
  if (!root)
    return NULL;
  mt_model *m = arena_alloc(c->a, sizeof *m);
  m->root = root;
  index_model(m, root, false);
  m->atoms = arena_alloc(c->a, (size_t)m->natoms * sizeof *m->atoms);
  m->weights = arena_alloc(c->a, (size_t)m->nweights * sizeof *m->weights);
  m->natoms = m->nweights = 0;
  index_model(m, root, true);
  for (int a = 0; a < m->natoms; a++) /* a tied weight is its owner's tensor */
    for (int i = 0; i < m->atoms[a]->nweights; i++)
      if (m->atoms[a]->weights[i].tied_to)
        m->atoms[a]->weights[i].index = m->atoms[a]->weights[i].tied_to->index;
  return m;
}
