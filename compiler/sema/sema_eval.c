/* sema_eval.c: compile-time evaluation. Evaluates module arguments,
 * dimensions, masses, sensitivities and settings to numbers (cnum.h: exact
 * int64 or double, the arithmetic of every phase), bools, strings or
 * unexpanded module expressions (closures over their environment), and
 * binds call arguments to declared parameters. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "sema_internal.h"

/* ---- environments ------------------------------------------------------ */

sema_env *sema_env_new(sema_ctx *c, sema_env *parent, int cap) {
  sema_env *env = arena_alloc(c->a, sizeof *env);
  env->parent = parent;
  env->b = arena_alloc(c->a, (size_t)(cap > 0 ? cap : 1) * sizeof *env->b);
  return env;
}

/* The caller allocated room for every binding (sema_env_new's cap). */
void sema_env_add(sema_env *env, const char *name, sv val, const ast_expr *lazy) {
  env->b[env->n++] = (sema_bind){name, val, lazy, false};
}

static sema_bind *find_in(sema_env *env, const char *name, sema_env **where) {
  for (; env; env = env->parent)
    for (int i = env->n - 1; i >= 0; i--)
      if (strcmp(env->b[i].name, name) == 0) {
        if (where)
          *where = env;
        return &env->b[i];
      }
  return NULL;
}

sema_bind *sema_env_find(sema_env *env, const char *name) { return find_in(env, name, NULL); }

static sv err(void) { return (sv){.kind = SV_ERROR}; }
static sv mk_num(cnum n) { return (sv){.kind = SV_NUM, .num = n}; }
static sv mk_bool(bool b) { return (sv){.kind = SV_BOOL, .b = b}; }
static sv mk_module(const ast_expr *e, sema_env *env) {
  return (sv){.kind = SV_MODULE, .mod = {e, env}};
}

static bool is_num(sv v) { return v.kind == SV_NUM; }
double sema_num(sv v) { return cnum_to_double(v.num); }
static bool integral(sv v) {
  int64_t i;
  return v.kind == SV_NUM && cnum_integral(v.num, &i);
}

/* A failed cnum operation's message at e. */
static sv cnum_error(sema_ctx *c, diag_loc loc, const char *msg) {
  diag_error(c->d, loc, "%s", msg);
  return err();
}

const char *sema_describe(sema_ctx *c, sv v) {
  char buf[64];
  switch (v.kind) {
  case SV_NUM:
    return arena_printf(c->a, "%s %s", v.num.is_int ? "int" : "float",
                        cnum_format(v.num, buf, sizeof buf));
  case SV_BOOL:
    return v.b ? "bool true" : "bool false";
  case SV_STRING:
    return arena_printf(c->a, "string \"%s\"", v.s);
  case SV_TENSOR:
    return "a tensor";
  case SV_ERROR:
    return "an error";
  case SV_MODULE:
    if (v.mod.e->kind == AST_CALL)
      return arena_printf(c->a, "module '%s'", v.mod.e->call.name);
    if (v.mod.e->kind == AST_NAME)
      return arena_printf(c->a, "module '%s'", v.mod.e->name);
    return "a module";
  }
  return "?";
}

bool sema_to_mt(sv v, mt_value *out) {
  switch (v.kind) {
  case SV_NUM:
    *out = mt_value_of_cnum(v.num);
    return true;
  case SV_BOOL:
    *out = (mt_value){.kind = MT_BOOL, .b = v.b};
    return true;
  case SV_STRING:
    *out = (mt_value){.kind = MT_STRING, .s = v.s};
    return true;
  default:
    return false;
  }
}

bool sema_want_num(sema_ctx *c, sv v, const ast_expr *e, const char *what, double *out) {
  if (v.kind == SV_ERROR)
    return false;
  if (!is_num(v)) {
    diag_error(c->d, e->loc, "expected a number for %s, got %s", what, sema_describe(c, v));
    return false;
  }
  *out = sema_num(v);
  return true;
}

bool sema_want_int(sema_ctx *c, sv v, const ast_expr *e, const char *what, long long *out) {
  double f;
  if (!sema_want_num(c, v, e, what, &f))
    return false;
  int64_t i;
  if (!cnum_integral(v.num, &i)) {
    diag_error(c->d, e->loc, "expected an integer for %s, got %s", what, sema_describe(c, v));
    return false;
  }
  *out = i;
  return true;
}

/* ---- names ------------------------------------------------------------- */

static void undefined_name(sema_ctx *c, const ast_expr *e, sema_env *env) {
  diag_error(c->d, e->loc, "undefined name '%s'", e->name);
  const char *cands[256];
  int n = 0;
  for (sema_env *s = env; s; s = s->parent)
    for (int i = 0; i < s->n && n < 128; i++)
      cands[n++] = s->b[i].name;
  n += sema_global_names(c, SEMA_KIND(AST_ATOM) | SEMA_KIND(AST_BOND) | SEMA_KIND(AST_MODULE),
                         cands + n, 255 - n);
  if (!sema_hint_use(c, e->name))
    sema_hint_closest(c, e->name, cands, n);
}

static sv eval_name(sema_ctx *c, const ast_expr *e, sema_env *env) {
  sema_env *where = NULL;
  sema_bind *b = find_in(env, e->name, &where);
  if (b) {
    if (b->lazy) {
      if (b->busy) {
        diag_error(c->d, e->loc, "'%s' is defined in terms of itself", e->name);
        return err();
      }
      b->busy = true;
      sv v = sema_evaluate(c, b->lazy, where);
      b->busy = false;
      b->val = v;
      b->lazy = NULL;
    }
    if (b->val.kind == SV_TENSOR) {
      diag_error(c->d, e->loc, "'%s' is a tensor, but a compile-time value is needed here",
                 e->name);
      return err();
    }
    return b->val;
  }
  sema_sym *s = sema_lookup(c, e->name);
  if (s) {
    switch (s->decl->kind) {
    case AST_ATOM:
    case AST_BOND:
    case AST_MODULE:
      return mk_module(e, env);
    default:
      diag_error(c->d, e->loc, "%s '%s' is not a value here", ast_decl_kind_name(s->decl->kind),
                 e->name);
      return err();
    }
  }
  ast_decl_kind kind;
  if (sema_builtin_find(e->name, ~0u) && !sema_stdlib_declaring(c, e->name, &kind)) {
    diag_error(c->d, e->loc, "'%s' is a builtin function, not a compile-time value", e->name);
    return err();
  }
  undefined_name(c, e, env);
  return err();
}

/* ---- arithmetic -------------------------------------------------------- */

/* + - * / ^ of two numbers (cnum.h); messages at the operator, a division
 * by zero at the divisor. */
static sv arith(sema_ctx *c, const ast_expr *e, ast_op op, sv l, sv r) {
  if (!is_num(l) || !is_num(r)) {
    sv bad = is_num(l) ? r : l;
    const ast_expr *be = is_num(l) ? e->binary.rhs : e->binary.lhs;
    diag_error(c->d, be->loc, "expected a number as operand of '%s', got %s", ast_op_name(op),
               sema_describe(c, bad));
    return err();
  }
  cnum_op cop = op == AST_OP_ADD   ? CNUM_ADD
                : op == AST_OP_SUB ? CNUM_SUB
                : op == AST_OP_MUL ? CNUM_MUL
                : op == AST_OP_DIV ? CNUM_DIV
                                   : CNUM_POW;
  cnum v;
  char msg[160];
  if (!cnum_arith(cop, l.num, r.num, &v, msg, sizeof msg))
    return cnum_error(c, op == AST_OP_DIV ? e->binary.rhs->loc : e->loc, msg);
  return mk_num(v);
}

static sv compare(sema_ctx *c, const ast_expr *e, ast_op op, sv l, sv r) {
  if (is_num(l) && is_num(r)) {
    int o = cnum_compare(l.num, r.num);
    switch (op) {
    case AST_OP_EQ:
      return mk_bool(o == 0);
    case AST_OP_NE:
      return mk_bool(o != 0);
    case AST_OP_LT:
      return mk_bool(o == -1);
    case AST_OP_LE:
      return mk_bool(o == -1 || o == 0);
    case AST_OP_GT:
      return mk_bool(o == 1);
    default:
      return mk_bool(o == 1 || o == 0);
    }
  }
  bool eq_op = op == AST_OP_EQ || op == AST_OP_NE;
  if (eq_op && l.kind == r.kind && (l.kind == SV_BOOL || l.kind == SV_STRING)) {
    bool eq = l.kind == SV_BOOL ? l.b == r.b : strcmp(l.s, r.s) == 0;
    return mk_bool(op == AST_OP_EQ ? eq : !eq);
  }
  diag_error(c->d, e->loc, "cannot compare %s with %s using '%s'", sema_describe(c, l),
             sema_describe(c, r), ast_op_name(op));
  return err();
}

static bool want_bool(sema_ctx *c, sv v, const ast_expr *e, const char *what, bool *out) {
  if (v.kind == SV_ERROR)
    return false;
  if (v.kind != SV_BOOL) {
    diag_error(c->d, e->loc, "expected a bool for %s, got %s", what, sema_describe(c, v));
    return false;
  }
  *out = v.b;
  return true;
}

/* Module algebra: whether the operands (at least one a module) make a
 * module (m + m, a * m, m * a, m ^ n); reports why not. */
static bool module_binary(sema_ctx *c, const ast_expr *e, sv l, sv r) {
  ast_op op = e->binary.op;
  bool lm = l.kind == SV_MODULE, rm = r.kind == SV_MODULE;
  if ((op == AST_OP_ADD && lm && rm) || (op == AST_OP_MUL && lm != rm && is_num(lm ? r : l)) ||
      (op == AST_OP_POW && lm && is_num(r)))
    return true;
  if (op == AST_OP_ADD && is_num(lm ? r : l)) {
    diag_error(c->d, e->loc, "cannot add %s and %s", sema_describe(c, l), sema_describe(c, r));
    diag_hint(c->d, "a sum of modules needs modules on both sides; scale a module with 'a * m'");
  } else if (op == AST_OP_MUL && lm && rm) {
    diag_error(c->d, e->loc, "cannot multiply two modules");
    diag_hint(c->d, "compose modules with '>>'; scale a module by a number with 'a * m'");
  } else {
    const ast_expr *me = lm ? e->binary.lhs : e->binary.rhs;
    diag_error(c->d, me->loc, "expected a number as operand of '%s', got %s", ast_op_name(op),
               sema_describe(c, lm ? l : r));
  }
  return false;
}

/* ---- calls ------------------------------------------------------------- */

bool sema_check_builtin_args(sema_ctx *c, const sema_builtin *b, const ast_expr *call) {
  bool ok = true, seen_kw = false;
  bool set[sizeof b->params / sizeof b->params[0]] = {false};
  int pos = 0;
  for (int i = 0; i < call->call.nargs; i++) {
    const ast_arg *a = &call->call.args[i];
    int idx = -1;
    if (!a->name) {
      if (seen_kw) {
        diag_error(c->d, a->value->loc, "positional argument after keyword arguments");
        ok = false;
        continue;
      }
      if (pos >= b->nparams) {
        if (b->variadic)
          continue;
        diag_error(c->d, a->value->loc, "too many arguments to '%s': it takes %s%d, got %d",
                   b->name, b->nrequired < b->nparams ? "at most " : "", b->nparams,
                   call->call.nargs);
        return false;
      }
      idx = pos++;
    } else {
      seen_kw = true;
      for (int j = 0; j < b->nparams; j++)
        if (strcmp(b->params[j], a->name) == 0)
          idx = j;
      if (idx < 0) {
        diag_error(c->d, a->name_loc, "unknown argument '%s' of '%s'", a->name, b->name);
        sema_hint_closest(c, a->name, b->params, b->nparams);
        ok = false;
        continue;
      }
      if (set[idx]) {
        diag_error(c->d, a->name_loc, "argument '%s' of '%s' given twice", a->name, b->name);
        ok = false;
        continue;
      }
    }
    set[idx] = true;
  }
  for (int j = 0; j < b->nrequired && ok; j++)
    if (!set[j]) {
      diag_error(c->d, call->call.name_loc, "missing argument '%s' of '%s'", b->params[j], b->name);
      ok = false;
    }
  return ok;
}

const ast_expr *sema_builtin_arg(const sema_builtin *b, const ast_expr *call, int j) {
  if (call->kind != AST_CALL)
    return NULL;
  int pos = 0;
  for (int i = 0; i < call->call.nargs; i++) {
    const ast_arg *a = &call->call.args[i];
    if (a->name ? strcmp(a->name, b->params[j]) == 0 : pos++ == j)
      return a->value;
  }
  return NULL;
}

/* A compile-time builtin (sqrt, min, floor, ...) of numbers: its fold. */
static sv const_call(sema_ctx *c, const sema_builtin *b, const ast_expr *e, sema_env *env) {
  if (!sema_check_builtin_args(c, b, e))
    return err();
  cnum_fn f = sema_builtin_fold(b);
  cnum args[2];
  for (int j = 0; j < cnum_fn_arity(f); j++) {
    const ast_expr *a = sema_builtin_arg(b, e, j);
    if (!a) {
      diag_error(c->d, e->loc,
                 "%s of one argument is a tensor reduction; a compile-time %s "
                 "takes two numbers",
                 b->name, b->name);
      return err();
    }
    sv v = sema_evaluate(c, a, env);
    if (v.kind == SV_ERROR)
      return err();
    if (!is_num(v)) {
      diag_error(c->d, a->loc, "expected a number as argument of '%s', got %s", b->name,
                 sema_describe(c, v));
      return err();
    }
    args[j] = v.num;
  }
  cnum v;
  char msg[160];
  if (!cnum_call(f, args, &v, msg, sizeof msg))
    return cnum_error(c, e->loc, msg);
  return mk_num(v);
}

static sv eval_call(sema_ctx *c, const ast_expr *e, sema_env *env) {
  const char *name = e->call.name;
  sema_bind *b = sema_env_find(env, name);
  if (b) {
    diag_error(c->d, e->call.name_loc, "'%s' is a parameter and cannot be called", name);
    return err();
  }
  sema_sym *s = sema_lookup(c, name);
  if (s) {
    if (s->decl->kind == AST_ATOM || s->decl->kind == AST_BOND || s->decl->kind == AST_MODULE)
      return mk_module(e, env);
    diag_error(c->d, e->call.name_loc, "%s '%s' cannot be used here",
               ast_decl_kind_name(s->decl->kind), name);
    if (s->decl->kind == AST_OPTIMIZER)
      diag_hint(c->d, "optimizers are chosen in an experiment: 'optimizer = %s(...)'", name);
    return err();
  }
  const sema_builtin *bt = sema_builtin_find(name, BT_CONST);
  if (bt)
    return const_call(c, bt, e, env);
  bt = sema_builtin_find(name, BT_MODULE);
  if (bt) /* arguments are evaluated when the module is expanded */
    return sema_check_builtin_args(c, bt, e) ? mk_module(e, env) : err();
  ast_decl_kind kind;
  if (sema_builtin_find(name, ~0u) && !sema_stdlib_declaring(c, name, &kind)) {
    diag_error(c->d, e->call.name_loc,
               "'%s' is not a compile-time function; a compile-time value is needed here", name);
    return err();
  }
  diag_error(c->d, e->call.name_loc, "unknown module or function '%s'", name);
  const char *cands[300];
  int n = sema_global_names(c, SEMA_KIND(AST_ATOM) | SEMA_KIND(AST_BOND) | SEMA_KIND(AST_MODULE),
                            cands, 200);
  for (int i = 0; i < sema_builtin_count() && n < 300; i++)
    if (sema_builtin_at(i)->use & (BT_CONST | BT_MODULE))
      cands[n++] = sema_builtin_at(i)->name;
  if (!sema_hint_use(c, name))
    sema_hint_closest(c, name, cands, n);
  return err();
}

/* ---- expressions ------------------------------------------------------- */

static sv eval_binary(sema_ctx *c, const ast_expr *e, sema_env *env) {
  ast_op op = e->binary.op;
  if (op == AST_OP_SEQ)
    return mk_module(e, env);
  if (op == AST_OP_AND || op == AST_OP_OR) {
    bool l, r;
    if (!want_bool(c, sema_evaluate(c, e->binary.lhs, env), e->binary.lhs,
                   op == AST_OP_AND ? "'&&'" : "'||'", &l))
      return err();
    if (op == AST_OP_AND ? !l : l)
      return mk_bool(l);
    if (!want_bool(c, sema_evaluate(c, e->binary.rhs, env), e->binary.rhs,
                   op == AST_OP_AND ? "'&&'" : "'||'", &r))
      return err();
    return mk_bool(r);
  }
  if (op == AST_OP_MATMUL) {
    diag_error(c->d, e->loc, "'@' is a tensor operation; a compile-time value is needed here");
    return err();
  }
  sv l = sema_evaluate(c, e->binary.lhs, env);
  sv r = sema_evaluate(c, e->binary.rhs, env);
  if (l.kind == SV_ERROR || r.kind == SV_ERROR)
    return err();
  if (l.kind == SV_MODULE || r.kind == SV_MODULE)
    return module_binary(c, e, l, r) ? mk_module(e, env) : err();
  switch (op) {
  case AST_OP_EQ:
  case AST_OP_NE:
  case AST_OP_LT:
  case AST_OP_LE:
  case AST_OP_GT:
  case AST_OP_GE:
    return compare(c, e, op, l, r);
  default:
    return arith(c, e, op, l, r);
  }
}

static sv eval_unary(sema_ctx *c, const ast_expr *e, sema_env *env) {
  if (e->unary.op == AST_OP_TRANSPOSE) {
    diag_error(c->d, e->loc, "'.T' is a tensor operation; a compile-time value is needed here");
    return err();
  }
  sv v = sema_evaluate(c, e->unary.operand, env);
  if (v.kind == SV_ERROR)
    return err();
  if (e->unary.op == AST_OP_NOT) {
    bool b;
    return want_bool(c, v, e->unary.operand, "'!'", &b) ? mk_bool(!b) : err();
  }
  if (is_num(v)) {
    cnum n;
    char msg[160];
    return cnum_neg(v.num, &n, msg, sizeof msg) ? mk_num(n) : cnum_error(c, e->loc, msg);
  }
  diag_error(c->d, e->unary.operand->loc, "expected a number after '-', got %s",
             sema_describe(c, v));
  if (v.kind == SV_MODULE)
    diag_hint(c->d, "write '-1 * m' for a negative multiple of a module");
  return err();
}

bool sema_enter(sema_ctx *c, diag_loc loc) {
  if (c->depth < SEMA_MAX_DEPTH) {
    c->depth++;
    return true;
  }
  if (!c->too_deep)
    diag_error(c->d, loc, "modules and values nested too deeply (the limit is %d levels)",
               SEMA_MAX_DEPTH);
  c->too_deep = true;
  return false;
}

void sema_leave(sema_ctx *c) { c->depth--; }

static sv evaluate(sema_ctx *c, const ast_expr *e, sema_env *env);

sv sema_evaluate(sema_ctx *c, const ast_expr *e, sema_env *env) {
  if (!sema_enter(c, e->loc))
    return err();
  sv v = evaluate(c, e, env);
  sema_leave(c);
  return v;
}

static sv evaluate(sema_ctx *c, const ast_expr *e, sema_env *env) {
  switch (e->kind) {
  case AST_INT:
    return mk_num(cnum_int(e->ival));
  case AST_FLOAT:
    return mk_num(cnum_float(e->fval));
  case AST_BOOL:
    return mk_bool(e->bval);
  case AST_STRING:
    return (sv){.kind = SV_STRING, .s = e->str.s};
  case AST_NAME:
    return eval_name(c, e, env);
  case AST_UNARY:
    return eval_unary(c, e, env);
  case AST_BINARY:
    return eval_binary(c, e, env);
  case AST_CALL:
    return eval_call(c, e, env);
  case AST_TERNARY: {
    bool cond;
    if (!want_bool(c, sema_evaluate(c, e->ternary.cond, env), e->ternary.cond, "the condition",
                   &cond))
      return err();
    return sema_evaluate(c, cond ? e->ternary.then_e : e->ternary.else_e, env);
  }
  case AST_TUPLE:
    for (int i = 0; i < e->list.n; i++) {
      sv v = sema_evaluate(c, e->list.items[i], env);
      if (v.kind == SV_ERROR)
        return err();
      if (v.kind != SV_MODULE) {
        diag_error(c->d, e->list.items[i]->loc, "expected a module in a tuple, got %s",
                   sema_describe(c, v));
        diag_hint(c->d,
                  "a tuple of modules runs them side by side; tuples of numbers are not values");
        return err();
      }
    }
    return mk_module(e, env);
  case AST_LIST:
    diag_error(c->d, e->loc, "a list is not a value here");
    return err();
  case AST_INDEX:
    diag_error(c->d, e->loc, "indexing is a tensor operation; a compile-time value is needed here");
    return err();
  case AST_ELLIPSIS:
    diag_error(c->d, e->loc, "'..' is only allowed in a shape");
    return err();
  case AST_ERROR:
    return err();
  }
  return err();
}

/* ---- argument binding -------------------------------------------------- */

typedef enum { KIND_ANY, KIND_INT, KIND_NUM, KIND_BOOL, KIND_STRING, KIND_MODULE } param_kind;

static param_kind kind_of_param(const ast_param *p) {
  switch (p->type) {
  case AST_TYPE_INT:
    return KIND_INT;
  case AST_TYPE_FLOAT:
    return KIND_NUM;
  case AST_TYPE_BOOL:
    return KIND_BOOL;
  case AST_TYPE_STRING:
    return KIND_STRING;
  case AST_TYPE_MODULE:
    return KIND_MODULE;
  case AST_TYPE_NONE:
    break;
  }
  switch (p->def ? p->def->kind : AST_ERROR) {
  case AST_INT:
  case AST_FLOAT:
    return KIND_NUM;
  case AST_BOOL:
    return KIND_BOOL;
  case AST_STRING:
    return KIND_STRING;
  default:
    return KIND_ANY;
  }
}

static const char *kind_word(param_kind k) {
  switch (k) {
  case KIND_INT:
    return "an int";
  case KIND_NUM:
    return "a number";
  case KIND_BOOL:
    return "a bool";
  case KIND_STRING:
    return "a string";
  case KIND_MODULE:
    return "a module";
  case KIND_ANY:
    break;
  }
  return "a value";
}

/* Checks an argument, converting an int for a float parameter and an
 * integral float (such as 512 / 2) for an int parameter. */
static bool fit_param(sema_ctx *c, const ast_decl *decl, const ast_param *p, sv *v,
                      const ast_expr *at) {
  param_kind k = kind_of_param(p);
  bool constant = decl->kind != AST_MODULE;
  bool ok;
  switch (k) {
  case KIND_INT:
    ok = integral(*v);
    break;
  case KIND_NUM:
    ok = is_num(*v);
    break;
  case KIND_BOOL:
    ok = v->kind == SV_BOOL;
    break;
  case KIND_STRING:
    ok = v->kind == SV_STRING;
    break;
  case KIND_MODULE:
    ok = v->kind == SV_MODULE;
    break;
  default:
    ok = !(constant && v->kind == SV_MODULE);
    break;
  }
  if (!ok) {
    diag_error(c->d, at->loc, "expected %s for '%s' of %s %s, got %s",
               k == KIND_ANY ? "a constant" : kind_word(k), p->name, ast_decl_kind_name(decl->kind),
               decl->name, sema_describe(c, *v));
    return false;
  }
  int64_t i;
  if (p->type == AST_TYPE_FLOAT && v->num.is_int)
    *v = mk_num(cnum_float((double)v->num.i));
  if (p->type == AST_TYPE_INT && cnum_integral(v->num, &i))
    *v = mk_num(cnum_int(i));
  return true;
}

static int param_index(const ast_decl *decl, const char *name) {
  for (int j = 0; j < decl->nparams; j++)
    if (strcmp(decl->params[j].name, name) == 0)
      return j;
  return -1;
}

void sema_hint_params(sema_ctx *c, const ast_decl *decl, const char *name) {
  const char *cands[64];
  int nc = 0;
  for (int j = 0; j < decl->nparams && nc < 64; j++)
    cands[nc++] = decl->params[j].name;
  const char *near = nc ? sema_closest(name, cands, nc) : NULL;
  const char *list = "";
  for (int j = 0; j < nc; j++)
    list = arena_printf(c->a, "%s%s%s", list, j ? ", " : "", cands[j]);
  const char *what = ast_decl_kind_name(decl->kind);
  if (nc == 0)
    diag_hint(c->d, "%s %s takes no arguments", what, decl->name);
  else if (near)
    diag_hint(c->d, "did you mean '%s'? %s %s takes %s", near, what, decl->name, list);
  else
    diag_hint(c->d, "%s %s takes %s", what, decl->name, list);
}

sema_env *sema_bind_args(sema_ctx *c, const ast_decl *decl, const ast_expr *call,
                         sema_env *caller) {
  int n = decl->nparams;
  sv *vals = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *vals);
  bool *set = arena_alloc(c->a, (size_t)(n ? n : 1));
  int nargs = call->kind == AST_CALL ? call->call.nargs : 0;
  bool ok = true, seen_kw = false;
  int pos = 0;
  for (int i = 0; i < nargs; i++) {
    const ast_arg *a = &call->call.args[i];
    int idx;
    if (!a->name) {
      if (seen_kw) {
        diag_error(c->d, a->value->loc, "positional argument after keyword arguments");
        ok = false;
        continue;
      }
      if (pos >= n) {
        diag_error(c->d, a->value->loc, "too many arguments to %s %s: it takes %d, got %d",
                   ast_decl_kind_name(decl->kind), decl->name, n, nargs);
        ok = false;
        break;
      }
      idx = pos++;
    } else {
      seen_kw = true;
      idx = param_index(decl, a->name);
      if (idx < 0) {
        diag_error(c->d, a->name_loc, "unknown argument '%s' of %s %s", a->name,
                   ast_decl_kind_name(decl->kind), decl->name);
        sema_hint_params(c, decl, a->name);
        ok = false;
        continue;
      }
      if (set[idx]) {
        diag_error(c->d, a->name_loc, "argument '%s' of %s %s given twice", a->name,
                   ast_decl_kind_name(decl->kind), decl->name);
        ok = false;
        continue;
      }
    }
    set[idx] = true;
    vals[idx] = sema_evaluate(c, a->value, caller);
    if (vals[idx].kind == SV_ERROR || !fit_param(c, decl, &decl->params[idx], &vals[idx], a->value))
      ok = false;
  }
  sema_env *env = sema_env_new(c, NULL, n);
  diag_loc at = call->kind == AST_CALL ? call->call.name_loc : call->loc;
  for (int j = 0; j < n; j++) {
    const ast_param *p = &decl->params[j];
    if (!set[j]) {
      if (p->def) {
        vals[j] = sema_evaluate(c, p->def, env);
        if (vals[j].kind == SV_ERROR || !fit_param(c, decl, p, &vals[j], p->def))
          ok = false;
      } else {
        diag_error(c->d, at, "missing argument '%s' of %s %s", p->name,
                   ast_decl_kind_name(decl->kind), decl->name);
        ok = false;
      }
    }
    sema_env_add(env, p->name, ok ? vals[j] : err(), NULL);
  }
  return ok ? env : NULL;
}

sema_env *sema_instance_env(sema_ctx *c, const mt_node *n) {
  const ast_decl *d = n->decl;
  sema_env *env = sema_env_new(c, NULL, n->nparams + d->nitems);
  for (int i = 0; i < n->nparams; i++) {
    const mt_value *v = &n->params[i].value;
    sv s = v->kind == MT_INT || v->kind == MT_FLOAT ? mk_num(mt_value_cnum(*v))
           : v->kind == MT_BOOL                     ? mk_bool(v->b)
                                                    : (sv){.kind = SV_STRING, .s = v->s};
    sema_env_add(env, n->params[i].name, s, NULL);
  }
  for (int i = 0; i < d->nitems; i++) {
    const ast_item *it = d->items[i];
    if (it->kind == AST_ITEM_LET)
      sema_env_add(env, it->name, err(), it->value);
    else if (it->kind == AST_ITEM_WEIGHT)
      sema_env_add(env, it->name, (sv){.kind = SV_TENSOR}, NULL);
  }
  return env;
}
