/* expr_print.c: source text for `duet explain` and for messages: an
 * expression in duet's infix syntax with the fewest parentheses that keep
 * its meaning (the precedence table of ast.h), and a weight's shape. */

#include "sema.h"

enum {
  P_TERNARY = 1,
  P_SEQ,
  P_OR,
  P_AND,
  P_EQ,
  P_REL,
  P_ADD,
  P_MUL,
  P_PREFIX,
  P_POW,
  P_POSTFIX,
  P_PRIMARY
};

static int binary_prec(ast_op op) {
  switch (op) {
  case AST_OP_SEQ:
    return P_SEQ;
  case AST_OP_OR:
    return P_OR;
  case AST_OP_AND:
    return P_AND;
  case AST_OP_EQ:
  case AST_OP_NE:
    return P_EQ;
  case AST_OP_LT:
  case AST_OP_LE:
  case AST_OP_GT:
  case AST_OP_GE:
    return P_REL;
  case AST_OP_ADD:
  case AST_OP_SUB:
    return P_ADD;
  case AST_OP_POW:
    return P_POW;
  default:
    return P_MUL;
  }
}

static int prec(const ast_expr *e) {
  switch (e->kind) {
  case AST_TERNARY:
    return P_TERNARY;
  case AST_BINARY:
    return binary_prec(e->binary.op);
  case AST_UNARY:
    return e->unary.op == AST_OP_TRANSPOSE ? P_POSTFIX : P_PREFIX;
  case AST_INT:
    return e->ival < 0 ? P_PREFIX : P_PRIMARY;
  case AST_FLOAT:
    return e->fval < 0 ? P_PREFIX : P_PRIMARY;
  case AST_CALL:
  case AST_INDEX:
    return P_POSTFIX;
  default:
    return P_PRIMARY;
  }
}

static void print(FILE *out, const ast_expr *e, int min);

static void print_list(FILE *out, ast_expr **items, int n) {
  for (int i = 0; i < n; i++) {
    if (i)
      fputs(", ", out);
    print(out, items[i], P_TERNARY);
  }
}

static void print_inner(FILE *out, const ast_expr *e) {
  switch (e->kind) {
  case AST_INT:
  case AST_FLOAT:
  case AST_STRING:
  case AST_BOOL:
  case AST_NAME:
  case AST_ELLIPSIS:
    ast_print_leaf(out, e);
    break;
  case AST_ERROR:
    fputs("<error>", out);
    break;
  case AST_UNARY:
    if (e->unary.op == AST_OP_TRANSPOSE) {
      print(out, e->unary.operand, P_POSTFIX);
      fputs(".T", out);
    } else {
      fputs(ast_op_name(e->unary.op), out);
      print(out, e->unary.operand, P_PREFIX);
    }
    break;
  case AST_BINARY: {
    int p = binary_prec(e->binary.op);
    bool right = e->binary.op == AST_OP_POW;
    bool nonassoc = p == P_EQ || p == P_REL;
    print(out, e->binary.lhs, right || nonassoc ? p + 1 : p);
    fprintf(out, " %s ", ast_op_name(e->binary.op));
    print(out, e->binary.rhs, right ? p : p + 1);
    break;
  }
  case AST_TERNARY:
    print(out, e->ternary.cond, P_SEQ);
    fputs(" ? ", out);
    print(out, e->ternary.then_e, P_TERNARY);
    fputs(" : ", out);
    print(out, e->ternary.else_e, P_TERNARY);
    break;
  case AST_CALL:
    fprintf(out, "%s(", e->call.name);
    for (int i = 0; i < e->call.nargs; i++) {
      if (i)
        fputs(", ", out);
      if (e->call.args[i].name)
        fprintf(out, "%s = ", e->call.args[i].name);
      print(out, e->call.args[i].value, P_TERNARY);
    }
    fputc(')', out);
    break;
  case AST_INDEX:
    print(out, e->index.base, P_POSTFIX);
    fputc('[', out);
    print_list(out, e->index.items, e->index.n);
    fputc(']', out);
    break;
  case AST_LIST:
    fputc('[', out);
    print_list(out, e->list.items, e->list.n);
    fputc(']', out);
    break;
  case AST_TUPLE:
    fputc('(', out);
    print_list(out, e->list.items, e->list.n);
    fputc(')', out);
    break;
  }
}

static void print(FILE *out, const ast_expr *e, int min) {
  bool paren = prec(e) < min;
  if (paren)
    fputc('(', out);
  print_inner(out, e);
  if (paren)
    fputc(')', out);
}

void sema_print_expr(FILE *out, const ast_expr *e) { print(out, e, P_TERNARY); }

void sema_shape_text(char *out, size_t cap, const mt_weight *w) {
  size_t len = (size_t)snprintf(out, cap, "[");
  for (int i = 0; i < w->rank && len < cap; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? ", " : "", w->dims[i]);
  if (len < cap)
    snprintf(out + len, cap - len, "]");
}
