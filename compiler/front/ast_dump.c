/* ast_dump.c: names of AST enums, literals as source text and the stable
 * S-expression dump used by `duet check --dump-ast` and the golden tests.
 * Declarations, items and parameters print their position as @line:col;
 * expressions print inline. */
#include "ast.h"

#include <stdlib.h>
#include <string.h>

const char *ast_op_name(ast_op op) {
  static const char *const names[] = {
      [AST_OP_SEQ] = ">>", [AST_OP_OR] = "||",       [AST_OP_AND] = "&&", [AST_OP_EQ] = "==",
      [AST_OP_NE] = "!=",  [AST_OP_LT] = "<",        [AST_OP_LE] = "<=",  [AST_OP_GT] = ">",
      [AST_OP_GE] = ">=",  [AST_OP_ADD] = "+",       [AST_OP_SUB] = "-",  [AST_OP_MUL] = "*",
      [AST_OP_DIV] = "/",  [AST_OP_MATMUL] = "@",    [AST_OP_POW] = "^",  [AST_OP_NEG] = "-",
      [AST_OP_NOT] = "!",  [AST_OP_TRANSPOSE] = ".T"};
  return names[op];
}

const char *ast_type_name(ast_type t) {
  static const char *const names[] = {
      [AST_TYPE_NONE] = "",     [AST_TYPE_INT] = "int",       [AST_TYPE_FLOAT] = "float",
      [AST_TYPE_BOOL] = "bool", [AST_TYPE_STRING] = "string", [AST_TYPE_MODULE] = "module"};
  return names[t];
}

const char *ast_item_kind_name(ast_item_kind k) {
  static const char *const names[] = {[AST_ITEM_WEIGHT] = "weight",
                                      [AST_ITEM_DEFINE] = "define",
                                      [AST_ITEM_ASSIGN] = "assign",
                                      [AST_ITEM_LET] = "let",
                                      [AST_ITEM_STATE] = "state",
                                      [AST_ITEM_DATA] = "data",
                                      [AST_ITEM_OPTIMIZER_FOR] = "optimizer-for",
                                      [AST_ITEM_EVAL] = "eval"};
  return names[k];
}

const char *ast_decl_kind_name(ast_decl_kind k) {
  static const char *const names[] = {
      [AST_USE] = "use",         [AST_ATOM] = "atom",           [AST_BOND] = "bond",
      [AST_MODULE] = "module",   [AST_OPTIMIZER] = "optimizer", [AST_EXPERIMENT] = "experiment",
      [AST_COMPARE] = "compare", [AST_SWEEP] = "sweep"};
  return names[k];
}

/* ---- literals ---------------------------------------------------------- */

void ast_print_string(FILE *out, const char *s, size_t len) {
  fputc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", out);
    else if (c == '\t')
      fputs("\\t", out);
    else if (c == '\r')
      fputs("\\r", out);
    else if (c < 0x20 || c == 0x7f)
      fprintf(out, "\\x%02x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

void ast_print_float(FILE *out, double v) {
  char buf[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  fputs(buf, out);
  if (!strpbrk(buf, ".eni"))
    fputs(".0", out);
}

/* ---- dump -------------------------------------------------------------- */

static void pos(FILE *out, diag_loc l) { fprintf(out, " @%d:%d", l.line, l.col); }

static void exprs(FILE *out, ast_expr **v, int n) {
  for (int i = 0; i < n; i++) {
    fputc(' ', out);
    ast_dump_expr(out, v[i]);
  }
}

/* Literals, names and `..` as their source text; false for other kinds. */
bool ast_print_leaf(FILE *out, const ast_expr *e) {
  switch (e->kind) {
  case AST_INT:
    fprintf(out, "%lld", e->ival);
    break;
  case AST_FLOAT:
    ast_print_float(out, e->fval);
    break;
  case AST_STRING:
    ast_print_string(out, e->str.s, e->str.len);
    break;
  case AST_BOOL:
    fputs(e->bval ? "true" : "false", out);
    break;
  case AST_NAME:
    fputs(e->name, out);
    break;
  case AST_ELLIPSIS:
    fputs("..", out);
    break;
  default:
    return false;
  }
  return true;
}

void ast_dump_expr(FILE *out, const ast_expr *e) {
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
    fputs("(error)", out);
    break;
  case AST_UNARY:
    fprintf(out, "(%s ", ast_op_name(e->unary.op));
    ast_dump_expr(out, e->unary.operand);
    fputc(')', out);
    break;
  case AST_BINARY:
    fprintf(out, "(%s ", ast_op_name(e->binary.op));
    ast_dump_expr(out, e->binary.lhs);
    fputc(' ', out);
    ast_dump_expr(out, e->binary.rhs);
    fputc(')', out);
    break;
  case AST_TERNARY:
    fputs("(? ", out);
    ast_dump_expr(out, e->ternary.cond);
    fputc(' ', out);
    ast_dump_expr(out, e->ternary.then_e);
    fputc(' ', out);
    ast_dump_expr(out, e->ternary.else_e);
    fputc(')', out);
    break;
  case AST_CALL:
    fprintf(out, "(call %s", e->call.name);
    for (int i = 0; i < e->call.nargs; i++) {
      const ast_arg *a = &e->call.args[i];
      if (a->name)
        fprintf(out, " (kw %s ", a->name);
      else
        fputc(' ', out);
      ast_dump_expr(out, a->value);
      if (a->name)
        fputc(')', out);
    }
    fputc(')', out);
    break;
  case AST_INDEX:
    fputs("(index ", out);
    ast_dump_expr(out, e->index.base);
    exprs(out, e->index.items, e->index.n);
    fputc(')', out);
    break;
  case AST_LIST:
  case AST_TUPLE:
    fputs(e->kind == AST_LIST ? "(list" : "(tuple", out);
    exprs(out, e->list.items, e->list.n);
    fputc(')', out);
    break;
  }
}

static void params(FILE *out, const ast_decl *d) {
  if (!d->has_params)
    return;
  fputs("\n    (params", out);
  for (int i = 0; i < d->nparams; i++) {
    const ast_param *p = &d->params[i];
    fprintf(out, " (%s", p->name);
    pos(out, p->name_loc);
    if (p->type != AST_TYPE_NONE)
      fprintf(out, " %s", ast_type_name(p->type));
    if (p->def) {
      fputs(" = ", out);
      ast_dump_expr(out, p->def);
    }
    fputc(')', out);
  }
  fputc(')', out);
}

static void item(FILE *out, const ast_item *it) {
  fprintf(out, "\n    (%s", ast_item_kind_name(it->kind));
  if (it->name)
    fprintf(out, " %s", it->name);
  switch (it->kind) {
  case AST_ITEM_OPTIMIZER_FOR:
    fputc(' ', out);
    if (it->optfor.is_glob)
      ast_print_string(out, it->optfor.group, strlen(it->optfor.group));
    else
      fputs(it->optfor.group, out);
    break;
  case AST_ITEM_EVAL:
    fprintf(out, " every %lld %s", it->eval.every,
            it->eval.unit == AST_EVERY_STEP ? "steps" : "epochs");
    break;
  default:
    break;
  }
  pos(out, it->loc);
  switch (it->kind) {
  case AST_ITEM_WEIGHT:
    fputs(" (dims", out);
    exprs(out, it->weight.dims, it->weight.ndims);
    fputc(')', out);
    break;
  case AST_ITEM_DEFINE:
    for (int i = 0; i < it->define.ninputs; i++) {
      const ast_pattern *p = &it->define.inputs[i];
      fprintf(out, " (input %s", p->name);
      if (p->has_shape) {
        fputs(" (shape", out);
        exprs(out, p->dims, p->ndims);
        fputc(')', out);
      }
      fputc(')', out);
    }
    break;
  case AST_ITEM_DATA:
    for (int i = 0; i < it->data.nbindings; i++) {
      fprintf(out, " (%s ", it->data.bindings[i].name);
      ast_dump_expr(out, it->data.bindings[i].value);
      fputc(')', out);
    }
    break;
  case AST_ITEM_EVAL:
    exprs(out, it->eval.metrics, it->eval.nmetrics);
    break;
  default:
    break;
  }
  if (it->value) {
    fputc(' ', out);
    ast_dump_expr(out, it->value);
  }
  fputc(')', out);
}

static void decl(FILE *out, const ast_decl *d) {
  fprintf(out, "\n  (%s", ast_decl_kind_name(d->kind));
  if (d->kind == AST_USE) {
    if (d->use.is_std)
      fputs(" std", out);
    fputc(' ', out);
    ast_print_string(out, d->use.path, strlen(d->use.path));
  } else {
    fprintf(out, " %s", d->name);
  }
  pos(out, d->loc);
  params(out, d);
  for (int i = 0; i < d->nitems; i++)
    item(out, d->items[i]);
  if (d->body) {
    fputs("\n    ", out);
    ast_dump_expr(out, d->body);
  }
  for (int i = 0; i < d->naxes; i++) {
    const ast_axis *a = &d->axes[i];
    fputs("\n    (axis", out);
    for (int k = 0; k < a->nkeys; k++) {
      fprintf(out, "%s%s", k ? " " : a->nkeys > 1 ? " (" : " ", a->keys[k].key);
      pos(out, a->keys[k].loc);
    }
    if (a->nkeys > 1)
      fputc(')', out);
    exprs(out, a->values, a->nvalues);
    fputc(')', out);
  }
  fputc(')', out);
}

void ast_dump_file(FILE *out, const ast_file *f) {
  fputs("(file ", out);
  ast_print_string(out, f->source->path, strlen(f->source->path));
  for (int i = 0; i < f->ndecls; i++)
    decl(out, f->decls[i]);
  fputs(")\n", out);
}
