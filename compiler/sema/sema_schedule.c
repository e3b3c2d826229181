/* sema_schedule.c: an experiment's learning-rate schedule: `a >> b >> ...`
 * of calls of schedule declarations, each bound to its arguments and
 * compiled into a value program of `t` and `total` (rt_io.h): what does
 * not depend on them is computed now, as compile-time numbers compute;
 * the rest becomes instructions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

typedef struct code {
  rt_sched_instr *v;
  int n, cap;
  int depth, max_depth; /* of the value stack */
} code;

static void emit(sema_ctx *c, code *k, int op, double imm, int pushes) {
  if (k->n == k->cap) {
    int cap = k->cap ? 2 * k->cap : 16;
    k->v = arena_grow(c->a, k->v, (size_t)k->n * sizeof *k->v, (size_t)cap * sizeof *k->v);
    k->cap = cap;
  }
  k->v[k->n++] = (rt_sched_instr){op, imm};
  k->depth += pushes;
  if (k->depth > k->max_depth)
    k->max_depth = k->depth;
}

/* The functions of a schedule's body: the compile-time ones and sin, cos
 * and tanh, with their value program operations. */
static const struct {
  const char *name;
  int nargs;
  rt_sched_opcode op;
} functions[] = {
    {"sqrt", 1, RT_SCHED_SQRT}, {"exp", 1, RT_SCHED_EXP},     {"log", 1, RT_SCHED_LOG},
    {"abs", 1, RT_SCHED_ABS},   {"floor", 1, RT_SCHED_FLOOR}, {"ceil", 1, RT_SCHED_CEIL},
    {"sin", 1, RT_SCHED_SIN},   {"cos", 1, RT_SCHED_COS},     {"tanh", 1, RT_SCHED_TANH},
    {"min", 2, RT_SCHED_MIN},   {"max", 2, RT_SCHED_MAX},
};

static int function_of(const char *name) {
  for (int i = 0; i < (int)(sizeof functions / sizeof functions[0]); i++)
    if (strcmp(functions[i].name, name) == 0)
      return i;
  return -1;
}

/* Whether e must be computed at every step: it reads t or total, or calls
 * a function compile-time numbers lack (sin, cos, tanh). */
static bool varies(const ast_expr *e) {
  switch (e->kind) {
  case AST_NAME:
    return strcmp(e->name, "t") == 0 || strcmp(e->name, "total") == 0;
  case AST_UNARY:
    return varies(e->unary.operand);
  case AST_BINARY:
    return varies(e->binary.lhs) || varies(e->binary.rhs);
  case AST_TERNARY:
    return varies(e->ternary.cond) || varies(e->ternary.then_e) || varies(e->ternary.else_e);
  case AST_CALL: {
    int f = function_of(e->call.name);
    bool v = f >= 0 && functions[f].op >= RT_SCHED_SIN && functions[f].op <= RT_SCHED_TANH;
    for (int i = 0; i < e->call.nargs && !v; i++)
      v = varies(e->call.args[i].value);
    return v;
  }
  default:
    return false;
  }
}

static const rt_sched_opcode binary_ops[] = {
    [AST_OP_OR] = RT_SCHED_OR,   [AST_OP_AND] = RT_SCHED_AND, [AST_OP_EQ] = RT_SCHED_EQ,
    [AST_OP_NE] = RT_SCHED_NE,   [AST_OP_LT] = RT_SCHED_LT,   [AST_OP_LE] = RT_SCHED_LE,
    [AST_OP_GT] = RT_SCHED_GT,   [AST_OP_GE] = RT_SCHED_GE,   [AST_OP_ADD] = RT_SCHED_ADD,
    [AST_OP_SUB] = RT_SCHED_SUB, [AST_OP_MUL] = RT_SCHED_MUL, [AST_OP_DIV] = RT_SCHED_DIV,
    [AST_OP_POW] = RT_SCHED_POW};

static bool compile(sema_ctx *c, const ast_expr *e, sema_env *env, code *k);

/* A call of a schedule function: its arguments, then the operation. */
static bool compile_call(sema_ctx *c, const ast_expr *e, sema_env *env, code *k) {
  int f = function_of(e->call.name);
  if (f < 0) {
    diag_error(c->d, e->call.name_loc, "'%s' cannot be used in a schedule", e->call.name);
    diag_hint(c->d, "a schedule computes with numbers, t and total: + - * / ^, comparisons, "
                    "c ? a : b, sqrt exp log abs floor ceil sin cos tanh min max");
    return false;
  }
  bool keywords = false;
  for (int i = 0; i < e->call.nargs; i++)
    keywords |= e->call.args[i].name != NULL;
  if (e->call.nargs != functions[f].nargs || keywords) {
    diag_error(c->d, e->loc, "%s takes %d argument%s here", functions[f].name, functions[f].nargs,
               functions[f].nargs == 1 ? "" : "s");
    return false;
  }
  bool ok = true;
  for (int i = 0; i < e->call.nargs; i++)
    ok = compile(c, e->call.args[i].value, env, k) && ok;
  emit(c, k, functions[f].op, 0, 1 - functions[f].nargs);
  return ok;
}

/* The value program of e (rule: schedule bodies): a part that does not
 * vary is one constant; `c ? a : b` with a constant condition is the
 * branch it chooses. */
static bool compile(sema_ctx *c, const ast_expr *e, sema_env *env, code *k) {
  if (!varies(e)) {
    sv v = sema_evaluate(c, e, env);
    if (v.kind == SV_BOOL) {
      emit(c, k, RT_SCHED_CONST, v.b, 1);
      return true;
    }
    double x;
    if (!sema_want_num(c, v, e, "a schedule", &x))
      return false;
    emit(c, k, RT_SCHED_CONST, x, 1);
    return true;
  }
  switch (e->kind) {
  case AST_NAME:
    emit(c, k, strcmp(e->name, "t") == 0 ? RT_SCHED_T : RT_SCHED_TOTAL, 0, 1);
    return true;
  case AST_UNARY:
    if (e->unary.op == AST_OP_TRANSPOSE)
      break;
    if (!compile(c, e->unary.operand, env, k))
      return false;
    emit(c, k, e->unary.op == AST_OP_NEG ? RT_SCHED_NEG : RT_SCHED_NOT, 0, 0);
    return true;
  case AST_BINARY: {
    if (e->binary.op == AST_OP_SEQ || e->binary.op == AST_OP_MATMUL)
      break;
    bool ok = compile(c, e->binary.lhs, env, k);
    ok = compile(c, e->binary.rhs, env, k) && ok;
    emit(c, k, binary_ops[e->binary.op], 0, -1);
    return ok;
  }
  case AST_TERNARY:
    if (!varies(e->ternary.cond)) {
      sv v = sema_evaluate(c, e->ternary.cond, env);
      if (v.kind != SV_BOOL) {
        if (v.kind != SV_ERROR)
          diag_error(c->d, e->ternary.cond->loc, "expected a bool condition, got %s",
                     sema_describe(c, v));
        return false;
      }
      return compile(c, v.b ? e->ternary.then_e : e->ternary.else_e, env, k);
    } else {
      bool ok = compile(c, e->ternary.cond, env, k);
      ok = compile(c, e->ternary.then_e, env, k) && ok;
      ok = compile(c, e->ternary.else_e, env, k) && ok;
      emit(c, k, RT_SCHED_SELECT, 0, -2);
      return ok;
    }
  case AST_CALL:
    return compile_call(c, e, env, k);
  default:
    break;
  }
  diag_error(c->d, e->loc, "a schedule computes a number of t and total; this is not one");
  return false;
}

/* The schedule declaration that e (a call or a bare name) names, or NULL
 * after reporting. */
static sema_sym *schedule_sym(sema_ctx *c, const ast_expr *e) {
  const char *name = e->kind == AST_CALL ? e->call.name : e->kind == AST_NAME ? e->name : NULL;
  sema_sym *s = name ? sema_lookup(c, name) : NULL;
  if (s && s->decl->kind == AST_SCHEDULE)
    return s->bad ? NULL : s;
  diag_loc at = e->kind == AST_CALL ? e->call.name_loc : e->loc;
  if (s)
    diag_error(c->d, at, "expected a schedule, got %s '%s'", ast_decl_kind_name(s->decl->kind),
               name);
  else if (name)
    diag_error(c->d, at, "unknown schedule '%s'", name);
  else
    diag_error(c->d, at, "expected a schedule such as warmup(100) >> linear_decay");
  if (name && !s && !sema_hint_use(c, name)) {
    const char *cands[128];
    int n = sema_global_names(c, SEMA_KIND(AST_SCHEDULE), cands, 128);
    sema_hint_closest(c, name, cands, n);
  }
  return NULL;
}

/* Source text of an expression, in the arena. */
static const char *expr_text(sema_ctx *c, const ast_expr *e) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return "";
  sema_print_expr(f, e);
  fclose(f);
  const char *s = arena_strdup(c->a, buf);
  free(buf);
  return s;
}

/* One piece: the declaration's arguments bound, its length evaluated, its
 * body compiled. */
static bool bind_piece(sema_ctx *c, const ast_expr *e, rt_sched_piece *p) {
  sema_sym *s = schedule_sym(c, e);
  if (!s)
    return false;
  const ast_decl *d = s->decl;
  sema_env *env = sema_bind_args(c, d, e, NULL);
  if (!env)
    return false;
  *p = (rt_sched_piece){.text = expr_text(c, e), .steps = NAN};
  if (d->over) {
    double steps;
    if (!sema_want_num(c, sema_evaluate(c, d->over, env), e, "the length of a schedule", &steps))
      return false;
    if (!(steps >= 0)) {
      diag_error(c->d, e->loc, "%s lasts %g steps; a length is at least 0", p->text, steps);
      diag_note(c->d, d->over->loc, "schedule %s declares its length here", d->name);
      return false;
    }
    p->steps = steps;
  }
  code k = {0};
  if (!compile(c, d->body, env, &k)) {
    diag_note(c->d, e->loc, "in schedule %s called here", d->name);
    return false;
  }
  if (k.max_depth > RT_SCHED_STACK) {
    diag_error(c->d, d->body->loc, "schedule %s is nested too deeply (at most %d values at once)",
               d->name, RT_SCHED_STACK);
    return false;
  }
  p->ncode = k.n;
  p->code = k.v;
  return true;
}

bool sema_bind_schedule(sema_ctx *c, const ast_expr *e, sema_experiment *x) {
  if (e->kind == AST_BINARY && e->binary.op == AST_OP_SEQ) {
    bool ok = sema_bind_schedule(c, e->binary.lhs, x);
    return sema_bind_schedule(c, e->binary.rhs, x) && ok;
  }
  rt_sched_piece p;
  if (!bind_piece(c, e, &p))
    return false;
  x->sched =
      arena_grow(c->a, x->sched, (size_t)x->nsched * sizeof p, (size_t)(x->nsched + 1) * sizeof p);
  x->sched[x->nsched++] = p;
  return true;
}
