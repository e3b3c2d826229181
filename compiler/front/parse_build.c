/* parse_build.c: builds AST nodes for the grammar actions, enforces the
 * expression depth limit and checks which items each block may contain
 * (see parse_build.h). */
#include "parse_build.h"

#include <string.h>

#include "parse.h"

void parse_vec_push(arena *a, parse_vec *v, size_t elem_size, const void *elem) {
  /* capacity is implicit: grow when n is 0 or a power of two */
  if (v->n == 0 || (v->n & (v->n - 1)) == 0) {
    size_t cap = v->n ? 2 * (size_t)v->n : 1;
    v->items = arena_grow(a, v->items, (size_t)v->n * elem_size, cap * elem_size);
  }
  memcpy((char *)v->items + (size_t)v->n * elem_size, elem, elem_size);
  v->n++;
}

/* ---- expressions ------------------------------------------------------- */

static ast_expr *new_expr(parse_state *ps, ast_expr_kind kind, diag_loc loc, int depth) {
  if (depth > PARSE_MAX_EXPR_DEPTH) {
    if (!ps->depth_reported)
      diag_error(ps->d, loc, "expression nested too deeply (the limit is %d levels)",
                 PARSE_MAX_EXPR_DEPTH);
    ps->depth_reported = true;
    kind = AST_ERROR;
    depth = 1;
  }
  ast_expr *e = arena_alloc(ps->a, sizeof *e);
  e->kind = kind;
  e->loc = loc;
  e->depth = depth;
  return e;
}

static int max_depth(ast_expr **items, int n) {
  int m = 0;
  for (int i = 0; i < n; i++)
    if (items[i]->depth > m)
      m = items[i]->depth;
  return m;
}

ast_expr *parse_leaf(parse_state *ps, ast_expr_kind kind, diag_loc loc) {
  return new_expr(ps, kind, loc, 1);
}

ast_expr *parse_name(parse_state *ps, const char *name, diag_loc loc) {
  ast_expr *e = new_expr(ps, AST_NAME, loc, 1);
  e->name = name;
  return e;
}

ast_expr *parse_unary(parse_state *ps, ast_op op, ast_expr *operand, diag_loc loc) {
  /* -literal is folded into the literal */
  if (op == AST_OP_NEG && operand->kind == AST_INT) {
    operand->ival = -operand->ival;
    operand->loc = loc;
    return operand;
  }
  if (op == AST_OP_NEG && operand->kind == AST_FLOAT) {
    operand->fval = -operand->fval;
    operand->loc = loc;
    return operand;
  }
  ast_expr *e = new_expr(ps, AST_UNARY, loc, operand->depth + 1);
  if (e->kind == AST_UNARY) {
    e->unary.op = op;
    e->unary.operand = operand;
  }
  return e;
}

ast_expr *parse_binary(parse_state *ps, ast_op op, ast_expr *lhs, ast_expr *rhs) {
  if (op == AST_OP_POW && rhs->kind == AST_NAME && strcmp(rhs->name, "T") == 0) {
    diag_error(ps->d, rhs->loc, "'^ T' raises to the power T; it is not a transpose");
    diag_hint(ps->d, "a transpose is written as a suffix: W.T");
  }
  ast_expr *items[2] = {lhs, rhs};
  ast_expr *e =
      new_expr(ps, AST_BINARY, diag_loc_join(lhs->loc, rhs->loc), max_depth(items, 2) + 1);
  if (e->kind == AST_BINARY) {
    e->binary.op = op;
    e->binary.lhs = lhs;
    e->binary.rhs = rhs;
  }
  return e;
}

ast_expr *parse_ternary(parse_state *ps, ast_expr *c, ast_expr *a, ast_expr *b) {
  ast_expr *items[3] = {c, a, b};
  ast_expr *e = new_expr(ps, AST_TERNARY, diag_loc_join(c->loc, b->loc), max_depth(items, 3) + 1);
  if (e->kind == AST_TERNARY) {
    e->ternary.cond = c;
    e->ternary.then_e = a;
    e->ternary.else_e = b;
  }
  return e;
}

ast_expr *parse_call(parse_state *ps, const char *name, diag_loc name_loc, parse_vec args,
                     diag_loc loc) {
  ast_arg *v = args.items;
  int depth = 0;
  for (int i = 0; i < args.n; i++)
    if (v[i].value->depth > depth)
      depth = v[i].value->depth;
  ast_expr *e = new_expr(ps, AST_CALL, loc, depth + 1);
  if (e->kind == AST_CALL) {
    e->call.name = name;
    e->call.name_loc = name_loc;
    e->call.nargs = args.n;
    e->call.args = args.items;
  }
  return e;
}

ast_expr *parse_index(parse_state *ps, ast_expr *base, parse_vec items, diag_loc loc) {
  int depth = max_depth(items.items, items.n);
  if (base->depth > depth)
    depth = base->depth;
  ast_expr *e = new_expr(ps, AST_INDEX, loc, depth + 1);
  if (e->kind == AST_INDEX) {
    e->index.base = base;
    e->index.n = items.n;
    e->index.items = items.items;
  }
  return e;
}

ast_expr *parse_list(parse_state *ps, ast_expr_kind kind, parse_vec items, diag_loc loc) {
  ast_expr *e = new_expr(ps, kind, loc, max_depth(items.items, items.n) + 1);
  if (e->kind == kind) {
    e->list.n = items.n;
    e->list.items = items.items;
  }
  return e;
}

ast_expr *parse_suffix(parse_state *ps, ast_expr *base, const char *suffix, diag_loc suffix_loc,
                       diag_loc loc) {
  if (strcmp(suffix, "T") != 0) {
    diag_error(ps->d, suffix_loc, "unknown suffix '.%s'", suffix);
    diag_hint(ps->d, "the only suffix is '.T' (transpose of the last two dimensions)");
    return parse_leaf(ps, AST_ERROR, loc);
  }
  return parse_unary(ps, AST_OP_TRANSPOSE, base, loc);
}

/* ---- parameters -------------------------------------------------------- */

ast_type parse_type(parse_state *ps, const char *name, diag_loc loc) {
  static const struct {
    const char *name;
    ast_type type;
  } types[] = {{"int", AST_TYPE_INT},
               {"float", AST_TYPE_FLOAT},
               {"bool", AST_TYPE_BOOL},
               {"string", AST_TYPE_STRING},
               {"module", AST_TYPE_MODULE}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(name, types[i].name) == 0)
      return types[i].type;
  diag_error(ps->d, loc, "unknown parameter type '%s'", name);
  diag_hint(ps->d, "the types are int, float, bool, string and module");
  return AST_TYPE_NONE;
}

/* ---- items ------------------------------------------------------------- */

ast_item *parse_item(parse_state *ps, ast_item_kind kind, diag_loc loc, const char *name,
                     diag_loc name_loc, ast_expr *value) {
  ast_item *it = arena_alloc(ps->a, sizeof *it);
  it->kind = kind;
  it->loc = loc;
  it->name = name;
  it->name_loc = name_loc;
  it->value = value;
  return it;
}

ast_item *parse_checkpoint(parse_state *ps, diag_loc loc, const char *word, diag_loc word_loc,
                           double n, const char *unit, diag_loc n_loc, diag_loc unit_loc) {
  if (strcmp(word, "checkpoint") != 0) {
    diag_error(ps->d, word_loc, "unknown item '%s every ...'", word);
    diag_hint(ps->d, "periodic items are 'eval every ...' and 'checkpoint every ...'");
    return NULL;
  }
  bool steps = strcmp(unit, "step") == 0 || strcmp(unit, "steps") == 0;
  bool seconds = strcmp(unit, "second") == 0 || strcmp(unit, "seconds") == 0;
  bool minutes = strcmp(unit, "minute") == 0 || strcmp(unit, "minutes") == 0;
  if (!steps && !seconds && !minutes) {
    diag_error(ps->d, unit_loc, "unknown checkpoint period '%s'", unit);
    diag_hint(ps->d, "write 'checkpoint every N steps', 'every N seconds' or 'every N minutes'");
    return NULL;
  }
  if (steps && n != (double)(long long)n) {
    diag_error(ps->d, n_loc, "a number of steps is a whole number");
    return NULL;
  }
  ast_item *it = parse_item(ps, AST_ITEM_CHECKPOINT, loc, NULL, (diag_loc){0}, NULL);
  it->checkpoint.by_time = !steps;
  it->checkpoint.every = minutes ? 60 * n : n;
  it->checkpoint.period_loc = n_loc;
  return it;
}

void parse_check_dims(parse_state *ps, parse_vec dims, const char *what) {
  ast_expr **v = dims.items;
  for (int i = 0; i < dims.n; i++)
    if (v[i]->kind == AST_ELLIPSIS) {
      diag_error(ps->d, v[i]->loc, "a %s's shape cannot contain '..'", what);
      diag_hint(ps->d, "'..' (any leading dimensions) is only allowed in input shapes such as "
                       "forward(x[.., n])");
    }
}

void parse_eval_period(parse_state *ps, ast_item *it, long long n, bool has_n, const char *unit,
                       diag_loc loc) {
  bool epoch = strcmp(unit, "epoch") == 0 || strcmp(unit, "epochs") == 0;
  bool step = strcmp(unit, "step") == 0 || strcmp(unit, "steps") == 0;
  it->eval.unit = step ? AST_EVERY_STEP : AST_EVERY_EPOCH;
  it->eval.every = has_n ? n : 1;
  it->eval.period_loc = loc;
  if (!epoch && !step) {
    diag_error(ps->d, loc, "unknown evaluation period '%s'", unit);
    diag_hint(ps->d, "write 'every epoch', 'every N epochs' or 'every N steps'");
  } else if (has_n && n <= 0) {
    diag_error(ps->d, loc, "the evaluation period must be positive");
  }
}

void parse_update_every(parse_state *ps, ast_item *it, long long n, const char *unit,
                        diag_loc loc) {
  it->optfor.every = n;
  it->optfor.every_loc = loc;
  if (strcmp(unit, "step") != 0 && strcmp(unit, "steps") != 0) {
    diag_error(ps->d, loc, "unknown update period '%s'", unit);
    diag_hint(ps->d, "write 'every N steps'");
  } else if (n <= 0) {
    diag_error(ps->d, loc, "the update period must be positive");
  }
}

/* ---- declarations ------------------------------------------------------ */

ast_decl *parse_decl(parse_state *ps, ast_decl_kind kind, diag_loc loc, const char *name,
                     diag_loc name_loc) {
  ast_decl *d = arena_alloc(ps->a, sizeof *d);
  d->kind = kind;
  d->loc = loc;
  d->file = ps->file;
  d->name = name;
  d->name_loc = name_loc;
  return d;
}

void parse_set_params(ast_decl *d, parse_params params) {
  d->has_params = params.written;
  d->nparams = params.list.n;
  d->params = params.list.items;
}

/* Which items a block may hold: item kinds, and for `name = ...` and
 * `name(...) = ...` the allowed names (NULL: any name). */
typedef struct block_rules {
  const char *what; /* "an atom" */
  unsigned kinds;   /* bit set of ast_item_kind */
  const char *const *assign_names;
  const char *const *define_names;
  const char *summary; /* hint listing what the block holds */
} block_rules;

#define BIT(k) (1u << (k))
static const char *const atom_assign[] = {"norm", "mass", "sensitivity", NULL};
static const char *const atom_define[] = {"forward", "dualize", "norm", NULL};
static const char *const bond_assign[] = {"sensitivity", NULL};
static const char *const bond_define[] = {"forward", NULL};

static const block_rules *rules_for(ast_decl_kind kind) {
  static const block_rules atom = {
      "an atom",
      BIT(AST_ITEM_WEIGHT) | BIT(AST_ITEM_LET) | BIT(AST_ITEM_DEFINE) | BIT(AST_ITEM_ASSIGN),
      atom_assign, atom_define,
      "an atom holds weight, let, forward(...), dualize(...), norm, mass and sensitivity"};
  static const block_rules bond = {
      "a bond", BIT(AST_ITEM_LET) | BIT(AST_ITEM_DEFINE) | BIT(AST_ITEM_ASSIGN), bond_assign,
      bond_define, "a bond holds let, forward(...) and sensitivity"};
  static const block_rules optimizer = {
      "an optimizer",
      BIT(AST_ITEM_STATE) | BIT(AST_ITEM_LET) | BIT(AST_ITEM_ASSIGN) | BIT(AST_ITEM_OPTIMIZER_FOR),
      NULL, NULL,
      "an optimizer holds state, let and assignments 'name = expression', or, to combine "
      "optimizers, 'optimizer = ...' and 'optimizer for ...'"};
  static const block_rules experiment = {
      "an experiment",
      BIT(AST_ITEM_DATA) | BIT(AST_ITEM_ASSIGN) | BIT(AST_ITEM_OPTIMIZER_FOR) | BIT(AST_ITEM_EVAL) |
          BIT(AST_ITEM_CHECKPOINT),
      NULL, NULL,
      "an experiment holds data, settings 'key = value', 'optimizer for ...', eval and "
      "checkpoint"};
  switch (kind) {
  case AST_ATOM:
    return &atom;
  case AST_BOND:
    return &bond;
  case AST_OPTIMIZER:
    return &optimizer;
  case AST_EXPERIMENT:
    return &experiment;
  default:
    return NULL;
  }
}

static bool name_allowed(const char *const *names, const char *name) {
  if (!names)
    return true;
  for (; *names; names++)
    if (strcmp(*names, name) == 0)
      return true;
  return false;
}

static const char *item_word(const ast_item *it) {
  switch (it->kind) {
  case AST_ITEM_WEIGHT:
    return "'weight'";
  case AST_ITEM_LET:
    return "'let'";
  case AST_ITEM_STATE:
    return "'state'";
  case AST_ITEM_DATA:
    return "'data'";
  case AST_ITEM_OPTIMIZER_FOR:
    return "'optimizer for'";
  case AST_ITEM_EVAL:
    return "'eval'";
  case AST_ITEM_CHECKPOINT:
    return "'checkpoint'";
  case AST_ITEM_DEFINE:
    return "a definition 'name(...) = ...'";
  case AST_ITEM_ASSIGN:
    return "an assignment";
  }
  return "this item";
}

void parse_set_items(parse_state *ps, ast_decl *d, parse_vec items) {
  d->nitems = items.n;
  d->items = items.items;
  const block_rules *r = rules_for(d->kind);
  if (!r)
    return;
  for (int i = 0; i < items.n; i++) {
    const ast_item *it = d->items[i];
    if (!(r->kinds & BIT(it->kind))) {
      diag_error(ps->d, it->loc, "%s is not allowed in %s", item_word(it), r->what);
      diag_hint(ps->d, "%s", r->summary);
    } else if (it->kind == AST_ITEM_ASSIGN && !name_allowed(r->assign_names, it->name)) {
      diag_error(ps->d, it->name_loc, "'%s' is not a property of %s", it->name, r->what);
      diag_hint(ps->d, "%s; local names are declared with 'let %s = ...'", r->summary, it->name);
    } else if (it->kind == AST_ITEM_DEFINE && !name_allowed(r->define_names, it->name)) {
      diag_error(ps->d, it->name_loc, "'%s(...)' cannot be defined in %s", it->name, r->what);
      diag_hint(ps->d, "%s", r->summary);
    } else if (it->kind == AST_ITEM_DEFINE && it->define.block &&
               strcmp(it->name, "forward") != 0) {
      diag_error(ps->d, it->name_loc, "only forward(...) takes a block body");
      diag_hint(ps->d, "write '%s(...) = expression'; the atom's lets are in scope", it->name);
    }
  }
}

void parse_stray_name(parse_state *ps, const char *name, diag_loc loc) {
  diag_error(ps->d, loc, "unexpected name '%s' at the start of a declaration", name);
  diag_hint(ps->d,
            "a declaration starts with use, atom, bond, module, optimizer, schedule, "
            "experiment, compare or sweep; settings such as '%s = ...' go inside an "
            "experiment { }",
            name);
}

ast_decl *parse_schedule(parse_state *ps, diag_loc loc, const char *word, diag_loc word_loc,
                         const char *name, diag_loc name_loc, ast_expr *over, ast_expr *body) {
  if (strcmp(word, "schedule") != 0)
    parse_stray_name(ps, word, word_loc);
  ast_decl *d = parse_decl(ps, AST_SCHEDULE, loc, name, name_loc);
  d->over = over;
  d->body = body;
  return d;
}

ast_key parse_key(parse_state *ps, parse_vec parts, diag_loc loc) {
  const char **part = parts.items;
  size_t len = 0;
  for (int i = 0; i < parts.n; i++)
    len += strlen(part[i]) + 1;
  char *key = arena_alloc(ps->a, len);
  for (int i = 0; i < parts.n; i++) {
    if (i)
      strcat(key, ".");
    strcat(key, part[i]);
  }
  return (ast_key){key, loc};
}

ast_axis parse_axis(parse_vec keys, parse_vec values, diag_loc loc) {
  return (ast_axis){
      .nkeys = keys.n, .keys = keys.items, .loc = loc, .nvalues = values.n, .values = values.items};
}
