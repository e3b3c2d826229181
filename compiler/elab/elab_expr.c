/* elab_expr.c: translation of body expressions (forward, norm, dualize,
 * optimizer) into IR nodes. Numbers and bools stay compile-time values and
 * are folded with cnum.h's arithmetic (sema's: exact int64, overflow an
 * error); an operation with a tensor operand becomes IR, with numbers
 * turned into constants; calls go to the registry's builtins
 * (elab_builtins.c). */
#include <assert.h>
#include <string.h>

#include "elab_int.h"

ir_node *el_node(el_tx *x, ev v) {
  switch (v.kind) {
  case EV_TENSOR:
    return v.node;
  case EV_NUM:
    return ir_const(x->g, cnum_to_double(v.num));
  case EV_BOOL:
    return ir_const(x->g, v.b ? 1 : 0);
  default:
    return NULL;
  }
}

bool el_want_int(el_tx *x, ev v, diag_loc loc, const char *what, long long *out) {
  if (v.kind == EV_ERR)
    return false;
  int64_t i;
  if (v.kind != EV_NUM || !cnum_integral(v.num, &i)) {
    el_fail(x, loc, "expected a compile-time integer for %s, got %s", what, el_describe(x, v));
    return false;
  }
  *out = i;
  return true;
}

bool el_want_real(el_tx *x, ev v, diag_loc loc, const char *op) {
  if (v.kind != EV_TENSOR || v.node->dtype != IR_I32)
    return true;
  el_fail(x, loc, "'%s' needs real operands, got %s", op, el_describe(x, v));
  diag_hint(x->c->d, "one_hot(i, n) turns int32 indices into real numbers");
  return false;
}

bool el_want_tensor(el_tx *x, ev v, diag_loc loc, const char *what) {
  if (v.kind == EV_ERR)
    return false;
  if (v.kind != EV_TENSOR) {
    el_fail(x, loc, "expected a tensor for %s, got %s", what, el_describe(x, v));
    return false;
  }
  return true;
}

/* ---- operators --------------------------------------------------------- */

static const struct {
  ast_op ast;
  ir_op ir;
} binops[] = {
    {AST_OP_ADD, IR_ADD}, {AST_OP_SUB, IR_SUB}, {AST_OP_MUL, IR_MUL}, {AST_OP_DIV, IR_DIV},
    {AST_OP_POW, IR_POW}, {AST_OP_EQ, IR_EQ},   {AST_OP_NE, IR_NE},   {AST_OP_LT, IR_LT},
    {AST_OP_LE, IR_LE},   {AST_OP_GT, IR_GT},   {AST_OP_GE, IR_GE},
};

static const char *op_symbol(ir_op op) {
  for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
    if (binops[i].ir == op)
      return ast_op_name(binops[i].ast);
  return ir_op_name(op); /* max, min */
}

/* op of two numbers, with sema's arithmetic (cnum.h). */
static ev fold(el_tx *x, diag_loc loc, ir_op op, ev a, ev b) {
  cnum v;
  char msg[160];
  int o = cnum_compare(a.num, b.num);
  switch (op) {
  case IR_LT:
    return ev_bool(o == -1);
  case IR_LE:
    return ev_bool(o == -1 || o == 0);
  case IR_GT:
    return ev_bool(o == 1);
  case IR_GE:
    return ev_bool(o == 1 || o == 0);
  case IR_EQ:
    return ev_bool(o == 0);
  case IR_NE:
    return ev_bool(o != 0);
  case IR_MAX:
  case IR_MIN: {
    cnum args[2] = {a.num, b.num};
    if (!cnum_call(op == IR_MAX ? CNUM_FN_MAX : CNUM_FN_MIN, args, &v, msg, sizeof msg))
      return el_fail(x, loc, "%s", msg);
    return ev_cnum(v);
  }
  default: {
    cnum_op cop = op == IR_ADD   ? CNUM_ADD
                  : op == IR_SUB ? CNUM_SUB
                  : op == IR_MUL ? CNUM_MUL
                  : op == IR_DIV ? CNUM_DIV
                                 : CNUM_POW;
    assert(op == IR_ADD || op == IR_SUB || op == IR_MUL || op == IR_DIV || op == IR_POW);
    if (!cnum_arith(cop, a.num, b.num, &v, msg, sizeof msg))
      return el_fail(x, loc, "%s", msg);
    return ev_cnum(v);
  }
  }
}

/* ---- algebraic identities -------------------------------------------------- */

static ir_shape shape_of(ev v) { return v.kind == EV_TENSOR ? v.node->shape : (ir_shape){0}; }

/* A number equal to c, or (for c = 0) a zero tensor made by simplify. */
static bool equals(ev v, double c) {
  if (v.kind == EV_NUM)
    return cnum_to_double(v.num) == c;
  const ir_node *n = v.node->op == IR_BROADCAST ? v.node->in[0] : v.node;
  return c == 0 && n->op == IR_CONST && n->attr.value == 0;
}

/* Whether broadcasting shape s against t gives t. */
static bool fits_into(ir_shape s, ir_shape t) {
  if (s.rank > t.rank)
    return false;
  for (int i = 1; i <= s.rank; i++)
    if (s.d[s.rank - i] != 1 && s.d[s.rank - i] != t.d[t.rank - i])
      return false;
  return true;
}

/* Identities that keep the result's shape: x + 0, 0 + x, x - 0, x * 1,
 * 1 * x, x / 1, x ^ 1, and 0 * x = 0 * 1 = a zero of the result's shape (the
 * number 0 for rank 0), so that terms such as `wd * weight` with wd = 0
 * vanish. One operand is a tensor. */
static bool simplify(el_tx *x, ir_op op, ev a, ev b, ev *out) {
  ir_shape sa = shape_of(a), sb = shape_of(b);
  bool b_in_a = fits_into(sb, sa), a_in_b = fits_into(sa, sb);
  if (b_in_a &&
      ((equals(b, 0) && (op == IR_ADD || op == IR_SUB)) ||
       (b.kind == EV_NUM && equals(b, 1) && (op == IR_MUL || op == IR_DIV || op == IR_POW)))) {
    *out = a;
    return true;
  }
  if (a_in_b &&
      ((equals(a, 0) && op == IR_ADD) || (a.kind == EV_NUM && equals(a, 1) && op == IR_MUL))) {
    *out = b;
    return true;
  }
  if (op == IR_MUL && (equals(a, 0) || equals(b, 0)) && (a_in_b || b_in_a)) {
    ir_shape s = b_in_a ? sa : sb;
    *out =
        s.rank == 0 ? ev_num(0) : ev_tensor(ir_broadcast_to(x->g, ir_const(x->g, 0), s.rank, s.d));
    return true;
  }
  return false;
}

ev el_binop(el_tx *x, diag_loc loc, ir_op op, ev a, ev b) {
  if (a.kind == EV_ERR || b.kind == EV_ERR)
    return ev_err();
  if ((op == IR_EQ || op == IR_NE) && a.kind == b.kind && (a.kind == EV_BOOL || a.kind == EV_STR)) {
    bool eq = a.kind == EV_BOOL ? a.b == b.b : strcmp(a.s, b.s) == 0;
    return ev_bool(op == IR_EQ ? eq : !eq);
  }
  for (int i = 0; i < 2; i++) {
    ev v = i ? b : a;
    if (v.kind != EV_NUM && v.kind != EV_TENSOR)
      return el_fail(x, loc, "expected a number or a tensor as operand of '%s', got %s",
                     op_symbol(op), el_describe(x, v));
    if (!el_want_real(x, v, loc, op_symbol(op)))
      return ev_err();
  }
  if (a.kind == EV_NUM && b.kind == EV_NUM)
    return fold(x, loc, op, a, b);
  ev s;
  if (simplify(x, op, a, b, &s))
    return s;
  if (op == IR_POW && a.kind == EV_TENSOR && b.kind == EV_NUM && (equals(b, 2) || equals(b, 3))) {
    ir_node *sq = ir_unary(x->g, IR_SQUARE, a.node); /* exact and cheap */
    return el_ir(x, loc, equals(b, 2) ? sq : ir_mul(x->g, a.node, sq));
  }
  return el_ir(x, loc, ir_binary(x->g, op, el_node(x, a), el_node(x, b)));
}

static bool want_bool(el_tx *x, ev v, diag_loc loc, const char *what, bool *out) {
  if (v.kind == EV_ERR)
    return false;
  if (v.kind != EV_BOOL) {
    el_fail(x, loc, "expected a compile-time bool for %s, got %s", what, el_describe(x, v));
    return false;
  }
  *out = v.b;
  return true;
}

static ev binary(el_tx *x, const ast_expr *e, el_env *env) {
  ast_op op = e->binary.op;
  if (op == AST_OP_SEQ)
    return el_fail(x, e->loc, "'>>' composes modules; it is not a tensor operation");
  if (op == AST_OP_AND || op == AST_OP_OR) {
    const char *what = op == AST_OP_AND ? "'&&'" : "'||'";
    bool l, r;
    if (!want_bool(x, el_expr(x, e->binary.lhs, env), e->binary.lhs->loc, what, &l))
      return ev_err();
    if (op == AST_OP_AND ? !l : l)
      return ev_bool(l);
    if (!want_bool(x, el_expr(x, e->binary.rhs, env), e->binary.rhs->loc, what, &r))
      return ev_err();
    return ev_bool(r);
  }
  ev a = el_expr(x, e->binary.lhs, env);
  ev b = el_expr(x, e->binary.rhs, env);
  if (op == AST_OP_MATMUL) {
    if (!el_want_tensor(x, a, e->binary.lhs->loc, "the left operand of '@'") ||
        !el_want_tensor(x, b, e->binary.rhs->loc, "the right operand of '@'"))
      return ev_err();
    return el_ir(x, e->loc, ir_matmul(x->g, a.node, b.node, 0, 0));
  }
  for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
    if (binops[i].ast == op)
      return el_binop(x, e->loc, binops[i].ir, a, b);
  return el_fail(x, e->loc, "operator '%s' is not a tensor operation", ast_op_name(op));
}

static ev unary(el_tx *x, const ast_expr *e, el_env *env) {
  ev v = el_expr(x, e->unary.operand, env);
  if (v.kind == EV_ERR)
    return v;
  switch (e->unary.op) {
  case AST_OP_NOT: {
    bool b;
    return want_bool(x, v, e->unary.operand->loc, "'!'", &b) ? ev_bool(!b) : ev_err();
  }
  case AST_OP_NEG:
    if (v.kind == EV_NUM) {
      char msg[160];
      return cnum_neg(v.num, &v.num, msg, sizeof msg) ? v : el_fail(x, e->loc, "%s", msg);
    }
    if (!el_want_tensor(x, v, e->unary.operand->loc, "'-'") ||
        !el_want_real(x, v, e->unary.operand->loc, "-"))
      return ev_err();
    return el_ir(x, e->loc, ir_unary(x->g, IR_NEG, v.node));
  default:
    if (!el_want_tensor(x, v, e->unary.operand->loc, "'.T'"))
      return ev_err();
    return el_ir(x, e->loc, ir_transpose(x->g, v.node));
  }
}

/* A branch of `c ? a : b`; with cond, in a region of the step evaluated
 * only where cond holds (negate: where it does not). */
static ev branch(el_tx *x, const ast_expr *e, el_env *env, ir_node *cond, int negate) {
  if (cond && ir_region_begin(x->g, cond, negate) < 0)
    return el_fail(x, e->loc, "%s", ir_error(x->g));
  ev v = el_expr(x, e, env);
  if (cond)
    ir_region_end(x->g);
  return v;
}

/* `c ? a : b`: a boolean chooses a branch while translating; a tensor
 * selects elementwise. In an optimizer body (the step is not
 * differentiated) a condition of one value evaluates only the chosen
 * branch: each is a guarded region, merged by the select. */
static ev ternary(el_tx *x, const ast_expr *e, el_env *env) {
  ev c = el_expr(x, e->ternary.cond, env);
  if (c.kind == EV_BOOL)
    return el_expr(x, c.b ? e->ternary.then_e : e->ternary.else_e, env);
  if (!el_want_tensor(x, c, e->ternary.cond->loc, "the condition"))
    return ev_err();
  ir_node *guard =
      x->dualize && ir_numel(&c.node->shape) == 1 && c.node->dtype == x->c->p->real ? c.node : NULL;
  ev a = branch(x, e->ternary.then_e, env, guard, 0);
  ev b = branch(x, e->ternary.else_e, env, guard, 1);
  if (a.kind == EV_ERR || b.kind == EV_ERR)
    return ev_err();
  ir_node *na = el_node(x, a), *nb = el_node(x, b);
  if (!na || !nb)
    return el_fail(x, e->loc, "the branches of a tensor condition must be tensors or numbers");
  return el_ir(x, e->loc, ir_select(x->g, c.node, na, nb));
}

static ev name(el_tx *x, const ast_expr *e, el_env *env) {
  el_env *where = NULL;
  el_bind *b = el_env_find(env, e->name, &where);
  if (!b)
    return el_fail(x, e->loc, "undefined name '%s'", e->name);
  if (b->tensor >= 0)
    return ev_tensor(el_weight_node(x, b->tensor));
  if (b->lazy) {
    if (b->busy)
      return el_fail(x, e->loc, "'%s' is defined in terms of itself", e->name);
    b->busy = true;
    ev v = el_expr(x, b->lazy, where);
    b->busy = false;
    b->val = v;
    b->lazy = NULL;
  }
  return b->val;
}

static ev tuple(el_tx *x, const ast_expr *e, el_env *env) {
  ev t = {.kind = EV_TUPLE, .n = e->list.n};
  t.items = arena_alloc(x->c->a, (size_t)t.n * sizeof *t.items);
  bool ok = true;
  for (int i = 0; i < t.n; i++) {
    t.items[i] = el_expr(x, e->list.items[i], env);
    ok = t.items[i].kind != EV_ERR && ok;
  }
  return ok ? t : ev_err();
}

/* dualize(u) or dualize(u, precision = p) in an optimizer body (sema
 * checked the form): the polar calls of the atom's rule that name no
 * precision take p. */
static ev dualize_call(el_tx *x, const ast_expr *e, el_env *env) {
  ev u = el_expr(x, e->call.args[0].value, env);
  if (u.kind == EV_ERR)
    return u;
  const char *saved = x->precision;
  if (e->call.nargs == 2) {
    ev p = el_expr(x, e->call.args[1].value, env);
    if (p.kind == EV_ERR)
      return p;
    if (p.kind != EV_STR ||
        (strcmp(p.s, "bf16") != 0 && strcmp(p.s, "f32") != 0 && strcmp(p.s, "f64") != 0))
      return el_fail(x, e->call.args[1].value->loc,
                     "the precision of dualize is \"bf16\", \"f32\" or \"f64\", got %s",
                     p.kind == EV_STR ? arena_printf(x->c->a, "\"%s\"", p.s) : el_describe(x, p));
    x->precision = p.s;
  }
  ev v = x->dualize(x, e, u);
  x->precision = saved;
  return v;
}

ev el_expr(el_tx *x, const ast_expr *e, el_env *env) {
  switch (e->kind) {
  case AST_INT:
    return ev_int(e->ival);
  case AST_FLOAT:
    return ev_num(e->fval);
  case AST_BOOL:
    return ev_bool(e->bval);
  case AST_STRING:
    return (ev){.kind = EV_STR, .s = e->str.s};
  case AST_NAME:
    return name(x, e, env);
  case AST_UNARY:
    return unary(x, e, env);
  case AST_BINARY:
    return binary(x, e, env);
  case AST_TERNARY:
    return ternary(x, e, env);
  case AST_TUPLE:
    return tuple(x, e, env);
  case AST_CALL:
    if (x->dualize && strcmp(e->call.name, "dualize") == 0 && !el_env_find(env, "dualize", NULL))
      return dualize_call(x, e, env);
    return el_call_builtin(x, e, env);
  case AST_ERROR:
    return ev_err();
  default:
    return el_fail(x, e->loc, "%s is not supported in tensor code",
                   e->kind == AST_INDEX ? "indexing" : "a list");
  }
}
