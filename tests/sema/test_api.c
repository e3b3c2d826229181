/* test_api.c: the parts of semantic analysis other passes call: rebuilding
 * an experiment with overrides (as compare and sweep do), the optimizer
 * chosen per weight, compile-time evaluation inside an atom instance, glob
 * matching, and the expression printer (printed, parsed again and printed
 * again it gives the same tree). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse.h"
#include "tunit.h"

/* tunit_compile(), showing the diagnostics of a program that should be fine. */
static bool must_compile(check_ctx *t, tunit *u, const char *src) {
  bool ok = tunit_compile(u, "api.duet", src);
  if (!ok) {
    check(t, false, "program compiles");
    diag_print(u->d, stdout);
    tunit_free(u);
  }
  return ok;
}

static const mt_value *arg(const sema_optimizer *o, const char *name) {
  for (int i = 0; i < o->nargs; i++)
    if (strcmp(o->args[i].name, name) == 0)
      return &o->args[i].value;
  return NULL;
}

static const char program[] = "use std.nn\nuse std.optim\n"
                              "experiment t {\n"
                              "  data train = fashion_mnist(\"train\")\n"
                              "  model = MLP(784, 64, 10)\n"
                              "  loss = cross_entropy\n"
                              "  optimizer = Dual(lr = 0.05)\n"
                              "  optimizer for Linear = Muon\n"
                              "  optimizer for \"*MLP[4]*\" = AdamW(lr = 0.003)\n"
                              "  batch = 256\n"
                              "}\n"
                              "sweep t over optimizer.lr in [0.5], width in [128], batch in [32]\n";

/* The sweep's axes applied one at a time and all together. */
static void test_overrides(check_ctx *t) {
  tunit u;
  if (!must_compile(t, &u, program))
    return;
  const sema_experiment *x = u.r->experiments[0];
  check(t, u.r->nstudies == 1 && u.r->studies[0].experiment == x->decl, "one sweep over t");
  const sema_optimizer *o = x->optimizer;
  check(t,
        o && fabs(mt_value_num(*arg(o, "lr")) - 0.05) < 1e-15 && arg(o, "beta")->kind == MT_FLOAT,
        "default optimizer Dual(lr = 0.05) with defaults bound");
  check(t, x->batch == 256 && x->epochs == 1 && x->steps == 0 && x->seed == 0,
        "batch 256, epochs 1 (default), seed 0 (default)");
  check(t,
        strcmp(x->weight_opt[0]->decl->name, "Muon") == 0 &&
            strcmp(x->weight_opt[1]->decl->name, "Muon") == 0 &&
            strcmp(x->weight_opt[2]->decl->name, "AdamW") == 0,
        "groups: Muon for Linear, the later glob wins for model.MLP[4]: %s %s %s",
        x->weight_opt[0]->decl->name, x->weight_opt[1]->decl->name, x->weight_opt[2]->decl->name);

  const ast_decl *sw = u.r->studies[0].decl;
  sema_override ov[3];
  for (int i = 0; i < 3; i++)
    ov[i] =
        (sema_override){sw->axes[i].keys[0].key, sw->axes[i].values[0], sw->axes[i].keys[0].loc};
  const sema_experiment *y = sema_build_experiment(u.r, x->decl, 3, ov);
  check(t, y != NULL, "rebuilt with optimizer.lr, model.width and batch set");
  if (y) {
    check(t, fabs(mt_value_num(*arg(y->optimizer, "lr")) - 0.5) < 1e-15, "lr = %g",
          mt_value_num(*arg(y->optimizer, "lr")));
    check(t, y->batch == 32, "batch = %lld", y->batch);
    const mt_weight *w = y->model->weights[1];
    check(t, w->dims[0] == 128 && w->dims[1] == 128 && y->model->weights[0]->dims[0] == 128,
          "hidden weight %s is [%lld, %lld]", w->path, w->dims[0], w->dims[1]);
    check(t, x->model->weights[1]->dims[0] == 64, "the original experiment is unchanged");
  }
  tunit_free(&u);
}

/* Keys reach into calls inside the model expression: `model.width` sets
 * the one call with a parameter `width`; `model.Linear.fan_out` every call
 * of Linear written there (not those inside MLP's body). */
static void test_override_paths(check_ctx *t) {
  tunit u;
  static const char src[] =
      "use std.nn\nuse std.optim\n"
      "experiment t {\n"
      "  data train = fashion_mnist(\"train\")\n"
      "  model = flatten >> (MLP(784, 64, 10), Linear(784, 10)) >> Linear(10, 10)\n"
      "  loss = cross_entropy\n"
      "  optimizer = Dual\n"
      "}\n"
      "sweep t over model.width in [32], model.Linear.fan_out in [7], optimizer.lr in [0.25]\n";
  if (!must_compile(t, &u, src))
    return;
  const ast_decl *sw = u.r->studies[0].decl;
  sema_override ov[3];
  for (int i = 0; i < 3; i++)
    ov[i] =
        (sema_override){sw->axes[i].keys[0].key, sw->axes[i].values[0], sw->axes[i].keys[0].loc};
  const sema_experiment *y = sema_build_experiment(u.r, u.r->experiments[0]->decl, 3, ov);
  check(t, y != NULL, "rebuilt with model.width, model.Linear.fan_out and optimizer.lr");
  if (y) {
    const mt_model *m = y->model;
    const char *want[] = {"model[1][0].MLP[0].Linear.W [32, 784]",
                          "model[1][0].MLP[2].Linear.W [32, 32]",
                          "model[1][0].MLP[4].Linear.W [10, 32]", "model[1][1].Linear.W [7, 784]",
                          "model[2].Linear.W [7, 10]"};
    for (int i = 0; i < m->nweights && i < 5; i++) {
      char got[128];
      const mt_weight *w = m->weights[i];
      snprintf(got, sizeof got, "%s [%lld, %lld]", w->path, w->dims[0], w->dims[1]);
      check(t, strcmp(got, want[i]) == 0, "%s (expected %s)", got, want[i]);
    }
    check(t, m->nweights == 5, "%d weights", m->nweights);
    check(t, fabs(mt_value_num(*arg(y->optimizer, "lr")) - 0.25) < 1e-15,
          "optimizer = Dual became Dual(lr = 0.25)");
  }
  tunit_free(&u);
}

/* Compile-time parts of an atom's norm evaluate; tensor parts do not. */
static void test_eval_const(check_ctx *t) {
  tunit u;
  if (!must_compile(t, &u, program))
    return;
  const mt_node *lin = u.r->experiments[0]->model->atoms[0];
  const ast_expr *norm = lin->norm->value; /* sqrt(fan_in / fan_out) * spectral(W) */
  mt_value v;
  bool ok = norm->kind == AST_BINARY && sema_eval_const(u.r, lin, norm->binary.lhs, &v);
  check(t, ok && v.kind == MT_FLOAT && fabs(v.f - sqrt(784.0 / 64.0)) < 1e-15,
        "sqrt(fan_in / fan_out) in %s = %g", lin->path, ok ? v.f : NAN);
  check(t, !sema_eval_const(u.r, lin, norm, &v), "spectral(W) is not a compile-time value");
  ok = sema_eval_const(u.r, lin, lin->weights[0].decl->weight.dims[0], &v);
  check(t, ok && v.kind == MT_INT && v.i == 64, "dimension fan_out = %lld", ok ? v.i : -1);
  const mt_value *fan_in = mt_param(lin, "fan_in");
  check(t, fan_in && fan_in->kind == MT_INT && fan_in->i == 784 && !mt_param(lin, "width"),
        "bound parameter fan_in = 784");
  tunit_free(&u);
}

static void test_glob(check_ctx *t) {
  static const struct {
    const char *glob, *path;
    bool match;
  } cases[] = {
      {"*", "model.MLP[0].Linear.W", true},
      {"model.*", "model.MLP[0].Linear.W", true},
      {"*.W", "model.MLP[0].Linear.W", true},
      {"*MLP[2]*", "model.MLP[2].Linear.W", true},
      {"*MLP[2]*", "model.MLP[0].Linear.W", false},
      {"model", "model.MLP[0].Linear.W", false},
      {"MLP", "model.MLP[0].Linear.W", false},
      {"head*", "model[3].head.Linear.W", true},
      {"Linear.W", "model.MLP[0].Linear.W", true},
      {"W", "model.MLP[0].Linear.W", true},
      {"inear.W", "model.MLP[0].Linear.W", false},
      {"model.MLP[0].Linear.W", "model.MLP[0].Linear.W", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXcYb", false},
      {"**", "", true},
      {"", "x", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    check(t, sema_glob_match(cases[i].glob, cases[i].path) == cases[i].match,
          "glob \"%s\" %s \"%s\"", cases[i].glob, cases[i].match ? "matches" : "does not match",
          cases[i].path);
}

/* Text of an expression printed by f. */
static char *render(void (*f)(FILE *, const ast_expr *), const ast_expr *e) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  f(out, e);
  fclose(out);
  return text;
}

/* Prints e, parses the text back as a module body, and compares the trees. */
static void round_trip(check_ctx *t, const ast_expr *e) {
  char *text = render(sema_print_expr, e);
  char *src = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&src, &len);
  fprintf(out, "module m = %s\n", text);
  fclose(out);
  arena *a = arena_new();
  diag_ctx *d = diag_new();
  ast_program *p = parse_string(a, d, "print.duet", src, len, NULL);
  bool ok = diag_error_count(d) == 0 && p->ndecls == 1;
  char *want = render(ast_dump_expr, e);
  char *got = ok ? render(ast_dump_expr, p->decls[0]->body) : NULL;
  check(t, ok && strcmp(want, got) == 0, "printed and parsed back: %s", text);
  free(text);
  free(src);
  free(want);
  free(got);
  diag_free(d);
  arena_free(a);
}

/* Every expression of the stdlib and of some tricky operator mixes. */
static void test_printer(check_ctx *t) {
  tunit u;
  static const char tricky[] =
      "module a(x: float = 1) = -x ^ 2 + (-x) ^ 2 - (1 - 2) - -3 * 2 ^ 3 ^ 2\n"
      "module b(p: bool = true) = (p ? 1 : 2) + (p ? 3 : p ? 4 : 5) * (1 + 2) / (3 * 4)\n"
      "module c(p: bool = true) = !(p && (p || !p)) == (1 < 2) && 1.5e-9 != 2.0\n";
  if (!must_compile(t, &u, tricky))
    return;
  for (int i = 0; i < u.p->ndecls; i++)
    round_trip(t, u.p->decls[i]->body);
  tunit_free(&u);
  if (!must_compile(t, &u, "use std.nn\nuse std.optim\n"))
    return;
  for (int i = 0; i < u.p->ndecls; i++) {
    const ast_decl *d = u.p->decls[i];
    if (d->body)
      round_trip(t, d->body);
    for (int j = 0; j < d->nitems; j++)
      if (d->items[j]->value)
        round_trip(t, d->items[j]->value);
  }
  tunit_free(&u);
}

/* Compiles src and checks that the diagnostics contain `want`. */
static void expect_error(check_ctx *t, const char *what, const char *src, const char *want) {
  tunit u;
  bool ok = tunit_compile(&u, "api.duet", src) == false;
  char *text = tunit_diagnostics(&u);
  check(t, ok && strstr(text, want), "%s: reported '%s'", what, want);
  free(text);
  tunit_free(&u);
}

/* Appends to a growing malloc'd source text. */
static void append(char **src, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char **src, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  *src = realloc(*src, *len + (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(*src + *len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  *len += (size_t)n;
}

/* Hostile models end in one clean error each, not in a crash: 15 modules
 * of 240 nested tuples each (deeper than the nesting limit), 250 nested
 * module calls, and an exponential model. */
static void test_limits(check_ctx *t) {
  static const char tail[] = "experiment e {\n  data train = fashion_mnist(\"train\")\n"
                             "  model = top\n  loss = mse\n  optimizer = Dual\n}\n";
  char *src = NULL;
  size_t len = 0;
  append(&src, &len, "use std.nn\nuse std.optim\nmodule m0 = Linear(2, 2)\n");
  for (int k = 1; k <= 15; k++) {
    append(&src, &len, "module m%d = ", k);
    for (int i = 0; i < 240; i++)
      append(&src, &len, "(");
    append(&src, &len, "m%d", k - 1);
    for (int i = 0; i < 240; i++)
      append(&src, &len, ", relu)");
    append(&src, &len, "\n");
  }
  append(&src, &len, "module top = m15\n%s", tail);
  expect_error(t, "240 x 15 nested tuples", src, "nested too deeply (the limit is 3000 levels)");
  len = 0;
  append(&src, &len, "use std.nn\nuse std.optim\nmodule m0 = Linear(2, 2)\n");
  for (int k = 1; k <= 250; k++)
    append(&src, &len, "module m%d = m%d >> relu\n", k, k - 1);
  append(&src, &len, "module top = m250\n%s", tail);
  expect_error(t, "250 nested module calls", src, "module calls nested more than 200 deep");
  len = 0;
  append(&src, &len, "use std.nn\nuse std.optim\nmodule m0 = Linear(2, 2)\n");
  for (int k = 1; k <= 40; k++)
    append(&src, &len, "module m%d = m%d >> m%d\n", k, k - 1, k - 1);
  append(&src, &len, "module top = m40\n%s", tail);
  expect_error(t, "2^40 modules", src, "the model is too large to expand");
  free(src);
}

int main(void) {
  check_ctx ctx = {.verbose = true}, *t = &ctx;
  test_overrides(t);
  test_override_paths(t);
  test_eval_const(t);
  test_glob(t);
  test_printer(t);
  test_limits(t);
  return check_done(t, "sema_test_api");
}
