/* explain.c: prints the derived optimizer of each experiment (see
 * explain.h): a column-aligned table over the weights and the modular-norm
 * formula. Expressions are printed from the declarations' syntax trees. */
#include "explain.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { NCOLS = 10 };

static const char *const headers[NCOLS] = {"weight", "shape",     "mass",  "sens", "share",
                                           "lr_eff", "optimizer", "polar", "norm", "dualize"};

/* ---- cells: malloc'd strings ------------------------------------------- */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char *s = arena_heap_vprintf(f, ap);
  va_end(ap);
  return s;
}

/* An in-memory stream whose text becomes a cell. */
typedef struct sink {
  char *text;
  size_t len;
  FILE *f;
} sink;

static FILE *sink_open(sink *s) {
  s->text = NULL;
  s->f = open_memstream(&s->text, &s->len);
  if (!s->f)
    arena_out_of_memory();
  return s->f;
}

static char *sink_close(sink *s) {
  fclose(s->f);
  return s->text;
}

static char *expr_text(const ast_expr *e) {
  sink s;
  sema_print_expr(sink_open(&s), e);
  return sink_close(&s);
}

/* `dualize(G) = ...` or `norm(D) = ...` as declared. */
static char *define_text(const ast_item *it) {
  sink s;
  FILE *f = sink_open(&s);
  fprintf(f, "%s(", it->name);
  for (int i = 0; i < it->define.ninputs; i++)
    fprintf(f, "%s%s", i ? ", " : "", it->define.inputs[i].name);
  fputs(") = ", f);
  sema_print_expr(f, it->value);
  return sink_close(&s);
}

/* `Name(a = 1, b = 2)` */
static void print_call(FILE *out, const char *name, const mt_binding *b, int n) {
  fprintf(out, "%s(", name);
  for (int i = 0; i < n; i++) {
    fprintf(out, "%s%s = ", i ? ", " : "", b[i].name);
    mt_value_print(out, b[i].value);
  }
  fputc(')', out);
}

/* ---- the table --------------------------------------------------------- */

static const mt_value *opt_arg(const sema_optimizer *o, const char *name) {
  for (int i = 0; i < o->nargs; i++)
    if (strcmp(o->args[i].name, name) == 0)
      return &o->args[i].value;
  return NULL;
}

static char *lr_text(const sema_optimizer *o, double share) {
  const mt_value *lr = opt_arg(o, "lr");
  if (!lr || (lr->kind != MT_INT && lr->kind != MT_FLOAT))
    return fmt("-");
  return fmt("%.6g", mt_value_num(*lr) * (o->uses_dualize ? share : 1.0));
}

/* ---- the precision of Newton-Schulz ------------------------------------ */

/* The distinct precisions of the polar calls of one weight's update. */
typedef struct precisions {
  const char *name[8];
  int n;
} precisions;

static void add_precision(precisions *p, const char *name) {
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->name[i], name) == 0)
      return;
  if (p->n < 8)
    p->name[p->n++] = name;
}

/* The argument `name` (or positional argument `pos`) of a call, or NULL. */
static const ast_expr *call_arg(const ast_expr *e, const char *name, int pos) {
  for (int i = 0; i < e->call.nargs; i++)
    if (e->call.args[i].name ? strcmp(e->call.args[i].name, name) == 0 : i == pos)
      return e->call.args[i].value;
  return NULL;
}

/* A precision argument as text: a string, or a parameter bound to one in
 * `b` (the optimizer's arguments or the atom's parameters). */
static const char *precision_value(const ast_expr *e, const mt_binding *b, int n) {
  if (e->kind == AST_STRING)
    return e->str.s;
  if (e->kind == AST_NAME)
    for (int i = 0; i < n; i++)
      if (strcmp(b[i].name, e->name) == 0 && b[i].value.kind == MT_STRING)
        return b[i].value.s;
  return "?";
}

typedef struct walk {
  const sema_optimizer *o;
  const mt_node *atom;
  precisions *out;
} walk;

static void walk_expr(const walk *k, const ast_expr *e, const char *dflt, int in_atom);

/* polar(...) with the default `dflt` ("dtype": the program's real type),
 * and dualize(u, precision = p), which walks the atom's rule with p. */
static void walk_call(const walk *k, const ast_expr *e, const char *dflt, int in_atom) {
  const mt_binding *b = in_atom ? k->atom->params : k->o->args;
  const int nb = in_atom ? k->atom->nparams : k->o->nargs;
  if (strcmp(e->call.name, "polar") == 0) {
    const ast_expr *p = call_arg(e, "precision", 3);
    const ast_expr *s = call_arg(e, "schedule", 2);
    const char *sched = s ? precision_value(s, b, nb) : "muon";
    add_precision(k->out, strcmp(sched, "exact") == 0 ? "svd"
                          : p                         ? precision_value(p, b, nb)
                                                      : dflt);
  } else if (strcmp(e->call.name, "polar_exact") == 0) {
    add_precision(k->out, "svd");
  } else if (!in_atom && strcmp(e->call.name, "dualize") == 0) {
    const ast_expr *p = call_arg(e, "precision", -1);
    walk_expr(k, k->atom->dualize->value, p ? precision_value(p, b, nb) : dflt, 1);
  }
  for (int i = 0; i < e->call.nargs; i++)
    walk_expr(k, e->call.args[i].value, dflt, in_atom);
}

static void walk_expr(const walk *k, const ast_expr *e, const char *dflt, int in_atom) {
  switch (e->kind) {
  case AST_UNARY:
    walk_expr(k, e->unary.operand, dflt, in_atom);
    break;
  case AST_BINARY:
    walk_expr(k, e->binary.lhs, dflt, in_atom);
    walk_expr(k, e->binary.rhs, dflt, in_atom);
    break;
  case AST_TERNARY:
    walk_expr(k, e->ternary.cond, dflt, in_atom);
    walk_expr(k, e->ternary.then_e, dflt, in_atom);
    walk_expr(k, e->ternary.else_e, dflt, in_atom);
    break;
  case AST_CALL:
    walk_call(k, e, dflt, in_atom);
    break;
  case AST_TUPLE:
  case AST_LIST:
    for (int i = 0; i < e->list.n; i++)
      walk_expr(k, e->list.items[i], dflt, in_atom);
    break;
  default:
    break;
  }
}

/* The precisions of the Newton-Schulz products in w's update: "bf16",
 * "f32", "f64", "dtype" (the program's real type), "svd" (the exact
 * factor); "-" when it has none. */
static char *polar_text(const sema_optimizer *o, const mt_weight *w) {
  precisions p = {.n = 0};
  const walk k = {o, w->atom, &p};
  for (int i = 0; i < o->decl->nitems; i++) {
    const ast_item *it = o->decl->items[i];
    if (it->kind == AST_ITEM_LET || it->kind == AST_ITEM_ASSIGN)
      walk_expr(&k, it->value, "dtype", 0);
  }
  if (p.n == 0)
    return fmt("-");
  sink s;
  FILE *f = sink_open(&s);
  for (int i = 0; i < p.n; i++)
    fprintf(f, "%s%s", i ? ", " : "", p.name[i]);
  return sink_close(&s);
}

static void fill_row(char **row, const sema_experiment *x, const mt_weight *w) {
  const mt_node *a = w->atom;
  const sema_optimizer *o = x->weight_opt[w->index];
  row[0] = fmt("%s", w->path);
  row[1] = arena_heap_realloc(NULL, SEMA_SHAPE_TEXT_CAP(w->rank));
  sema_shape_text(row[1], SEMA_SHAPE_TEXT_CAP(w->rank), w);
  row[2] = fmt("%.6g", a->mass);
  row[3] = fmt("%.6g", a->sens);
  row[4] = fmt("%.6g", a->share);
  row[5] = lr_text(o, a->share);
  row[6] = fmt("%s", o->decl->name);
  row[7] = polar_text(o, w);
  row[8] = a->norm->kind == AST_ITEM_DEFINE ? define_text(a->norm) : expr_text(a->norm->value);
  row[9] = define_text(a->dualize);
}

static void print_table(FILE *out, char **cells, int rows) {
  size_t width[NCOLS] = {0};
  for (int r = 0; r < rows; r++)
    for (int k = 0; k < NCOLS; k++) {
      size_t len = strlen(cells[r * NCOLS + k]);
      if (len > width[k])
        width[k] = len;
    }
  for (int r = 0; r < rows; r++) {
    fputs("  ", out);
    for (int k = 0; k < NCOLS; k++) {
      const char *cell = cells[r * NCOLS + k];
      if (k == NCOLS - 1)
        fprintf(out, "%s\n", cell);
      else
        fprintf(out, "%-*s  ", (int)width[k], cell);
    }
  }
}

static void print_weights(FILE *out, const sema_experiment *x) {
  const mt_model *m = x->model;
  int rows = m->nweights + 1;
  char **cells = arena_heap_realloc(NULL, (size_t)rows * NCOLS * sizeof *cells);
  for (int k = 0; k < NCOLS; k++)
    cells[k] = fmt("%s", headers[k]);
  for (int i = 0; i < m->nweights; i++)
    fill_row(cells + (size_t)(i + 1) * NCOLS, x, m->weights[i]);
  print_table(out, cells, rows);
  for (int i = 0; i < rows * NCOLS; i++)
    free(cells[i]);
  free(cells);
}

/* ---- the experiment ---------------------------------------------------- */

static void print_optimizer(FILE *out, const sema_optimizer *o) {
  if (!o->group)
    fputs("  optimizer = ", out);
  else if (o->is_glob)
    fprintf(out, "  optimizer for \"%s\" = ", o->group);
  else
    fprintf(out, "  optimizer for %s = ", o->group);
  print_call(out, o->decl->name, o->args, o->nargs);
  if (o->every > 1)
    fprintf(out, " every %lld steps", o->every);
  if (o->via)
    fprintf(out, "  (from %s)", o->via);
  fputc('\n', out);
}

static void print_norm(FILE *out, const sema_experiment *x) {
  fputs("\n  modular norm:\n    ", out);
  derive_norm_print(out, x->norm);
  fputc('\n', out);
  for (int i = 0; i < x->norm->nterms; i++) {
    const mt_node *a = x->norm->terms[i].atom;
    fprintf(out, "    ||%s|| = ", a->path);
    if (a->norm->kind == AST_ITEM_DEFINE) {
      char *text = define_text(a->norm);
      fputs(text, out);
      free(text);
    } else {
      sema_print_expr(out, a->norm->value);
    }
    fputs("  with ", out);
    print_call(out, a->decl->name, a->params, a->nparams);
    fputc('\n', out);
  }
}

/* `tie(m, weight, to)`: which atom reads which weight, and the step rule. */
static void print_ties(FILE *out, const mt_model *m) {
  for (int a = 0; a < m->natoms; a++) {
    const mt_weight *w = &m->atoms[a]->weights[0];
    if (m->atoms[a]->nweights == 1 && w->tied_to)
      fprintf(out,
              "  tied: %s is %s (one gradient, the sum over both uses; one step along %s's "
              "dualize, of size min(share of each atom / its norm of the step))\n",
              w->path, w->tied_to->path, w->tied_to->atom->decl->name);
  }
}

void sema_explain_experiment(FILE *out, const sema_experiment *x) {
  const mt_model *m = x->model;
  fprintf(out, "experiment %s: %d atom%s, %d weight%s, %lld parameters\n", x->name, m->natoms,
          m->natoms == 1 ? "" : "s", m->nweights, m->nweights == 1 ? "" : "s", m->nparams);
  print_optimizer(out, x->optimizer);
  for (int g = 0; g < x->ngroups; g++)
    print_optimizer(out, &x->groups[g]);
  fputc('\n', out);
  print_weights(out, x);
  print_ties(out, x->model);
  print_norm(out, x);
}

void sema_explain(FILE *out, const sema_result *r) {
  for (int i = 0; i < r->nexperiments; i++) {
    if (i)
      fputc('\n', out);
    sema_explain_experiment(out, r->experiments[i]);
  }
}
