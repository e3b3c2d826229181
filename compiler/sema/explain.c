/* explain.c: prints the derived optimizer of each experiment (see
 * explain.h): a column-aligned table over the weights and the modular-norm
 * formula. Expressions are printed from the declarations' syntax trees. */
#include "explain.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { NCOLS = 9 };

static const char *const headers[NCOLS] = {"weight", "shape",     "mass", "sens",   "share",
                                           "lr_eff", "optimizer", "norm", "dualize"};

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
  row[7] = a->norm->kind == AST_ITEM_DEFINE ? define_text(a->norm) : expr_text(a->norm->value);
  row[8] = define_text(a->dualize);
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
