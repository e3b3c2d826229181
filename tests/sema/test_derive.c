/* test_derive.c: the duality derivation against hand-computed values.
 * Each case is a small duet program (stdlib included); the test checks the
 * mass, sensitivity and step share of chosen atoms, that the modular norm's
 * coefficient times the share is 1 for every term, and that a residual
 * stack gives its atoms the same shares at every depth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tunit.h"

static bool close_to(double got, double want) {
  return fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want));
}

/* Compiles `extra` declarations and an experiment with `model`. Returns
 * its experiment, or NULL (diagnostics kept in u->d). */
static const sema_experiment *load(tunit *u, const char *extra, const char *model) {
  char src[4096];
  snprintf(src, sizeof src,
           "use std.nn\nuse std.attention\nuse std.optim\n%s\n"
           "experiment t {\n  data train = fashion_mnist(\"train\")\n  model = %s\n"
           "  loss = cross_entropy\n  optimizer = Dual\n}\n",
           extra, model);
  tunit_compile(u, "case.duet", src);
  return u->r && u->r->nexperiments == 1 ? u->r->experiments[0] : NULL;
}

static const mt_node *atom_at(const sema_experiment *x, const char *path) {
  for (int i = 0; i < x->model->natoms; i++)
    if (strcmp(x->model->atoms[i]->path, path) == 0)
      return x->model->atoms[i];
  return NULL;
}

static void expect_share(check_ctx *t, const sema_experiment *x, const char *path, double want) {
  const mt_node *n = atom_at(x, path);
  if (!n) {
    check(t, false, "no atom %s", path);
    return;
  }
  check(t, close_to(n->share, want), "share %-34s = %.12g (expected %.12g)", path, n->share, want);
}

static void expect_root(check_ctx *t, const sema_experiment *x, double mass, double sens) {
  const mt_node *r = x->model->root;
  check(t, close_to(r->mass, mass) && close_to(r->sens, sens),
        "root %s: mass %.12g sens %.12g (expected %.12g, %.12g)", r->path, r->mass, r->sens, mass,
        sens);
}

/* coef * share = 1 for every term of the modular norm; atoms of mass 0 have
 * no term. */
static void expect_norm_consistent(check_ctx *t, const sema_experiment *x) {
  int massive = 0;
  for (int i = 0; i < x->model->natoms; i++)
    massive += x->model->atoms[i]->mass > 0;
  bool ok = x->norm->nterms == massive;
  for (int i = 0; i < x->norm->nterms; i++)
    ok = ok && close_to(x->norm->terms[i].coef * x->norm->terms[i].atom->share, 1.0);
  check(t, ok, "modular norm: %d terms, coef * share = 1 for each", x->norm->nterms);
}

static const sema_experiment *must_load(check_ctx *t, tunit *u, const char *name, const char *extra,
                                        const char *model) {
  printf("-- %s: model = %s\n", name, model);
  const sema_experiment *x = load(u, extra, model);
  if (!x) {
    check(t, false, "%s compiles", name);
    diag_print(u->d, stdout);
  }
  return x;
}

/* sqrt(E[f(z)^2]) for z ~ N(0, 1), by Simpson's rule on [-12, 12]: the RMS
 * gain that the stdlib declares as an element-wise bond's sensitivity. */
static double rms_gain(double (*f)(double)) {
  const int n = 24000;
  const double a = -12, h = 24.0 / n;
  double sum = 0;
  for (int i = 0; i <= n; i++) {
    double z = a + i * h, y = f(z);
    sum += (i == 0 || i == n ? 1 : i % 2 ? 4 : 2) * y * y * exp(-z * z / 2);
  }
  return sqrt(sum * h / 3 / sqrt(2 * 3.14159265358979323846));
}

static double gelu_tanh(double x) {
  return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

static double relu(double x) { return x > 0 ? x : 0; }

/* MLP(depth) with activation `act` (sensitivity v): layer i of n is followed
 * by n - i activations, so its share is 1 / (n * v^(n-i)). */
static void test_mlp(check_ctx *t, int depth, const char *act, double v) {
  tunit u;
  char model[128], name[64];
  snprintf(model, sizeof model, "MLP(784, 64, 10, depth = %d, act = %s)", depth, act);
  snprintf(name, sizeof name, "MLP depth %d, %s", depth, act);
  const sema_experiment *x = must_load(t, &u, name, "", model);
  if (x) {
    expect_root(t, x, depth, pow(v, depth - 1));
    for (int i = 1; i <= depth; i++) {
      char path[64];
      snprintf(path, sizeof path, "model.MLP[%d].Linear", 2 * (i - 1));
      expect_share(t, x, path, 1.0 / (depth * pow(v, depth - i)));
    }
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
}

/* residual(L, Linear >> sgelu >> Linear) ^ L: every block has mass 2 and
 * sensitivity 1 (sgelu's RMS gain is 1), so block k gets 1/L, its scaled branch 1/L too, the branch
 * (after dividing by the factor 1/L) 1, and each Linear 1/2, at any depth. */
static void test_residual_depth(check_ctx *t) {
  double first[3], last[3];
  int depths[3] = {2, 4, 8};
  for (int k = 0; k < 3; k++) {
    int L = depths[k];
    tunit u;
    char model[160], name[64], path[64];
    snprintf(model, sizeof model, "residual(%d, Linear(32, 32) >> sgelu >> Linear(32, 32)) ^ %d", L,
             L);
    snprintf(name, sizeof name, "residual stack, L = %d", L);
    const sema_experiment *x = must_load(t, &u, name, "", model);
    if (x) {
      expect_root(t, x, 2.0 * L, 1.0);
      for (int b = 0; b < L; b++) {
        snprintf(path, sizeof path, "model[%d].residual[1][0].Linear", b);
        expect_share(t, x, path, 0.5);
        snprintf(path, sizeof path, "model[%d].residual[1][2].Linear", b);
        expect_share(t, x, path, 0.5);
      }
      first[k] = atom_at(x, "model[0].residual[1][0].Linear")->share;
      snprintf(path, sizeof path, "model[%d].residual[1][2].Linear", L - 1);
      last[k] = atom_at(x, path)->share;
      expect_norm_consistent(t, x);
    } else {
      first[k] = last[k] = NAN;
    }
    tunit_free(&u);
  }
  check(t,
        close_to(first[0], first[1]) && close_to(first[1], first[2]) &&
            close_to(last[0], last[1]) && close_to(last[1], last[2]),
        "residual shares independent of depth: first block %g %g %g, last block %g %g %g", first[0],
        first[1], first[2], last[0], last[1], last[2]);
}

/* Input layer, residual stack with its mass fixed at 5 (Modula's GPT
 * recipe), head: total mass 7; input and head get 1/7; block k has mass
 * 5/L and target 5/(7L), its branch (divided by the factor 1/L) 5/7, and
 * each of the branch's two Linears half of that, 5/14, at any depth. */
static void test_residual_with_mass(check_ctx *t) {
  double shares[3][2];
  int depths[3] = {2, 4, 8};
  for (int k = 0; k < 3; k++) {
    int L = depths[k];
    tunit u;
    char model[200], name[64], path[64];
    snprintf(
        model, sizeof model,
        "Linear(16, 32) >> with_mass(residual(%d, Linear(32, 32) >> sgelu >> Linear(32, 32)) ^ "
        "%d, 5) >> Linear(32, 10)",
        L, L);
    snprintf(name, sizeof name, "input, stack of mass 5, head, L = %d", L);
    const sema_experiment *x = must_load(t, &u, name, "", model);
    shares[k][0] = shares[k][1] = NAN;
    if (x) {
      expect_root(t, x, 7, 1);
      expect_share(t, x, "model[0].Linear", 1.0 / 7);
      expect_share(t, x, "model[2].Linear", 1.0 / 7);
      for (int b = 0; b < L; b++) {
        snprintf(path, sizeof path, "model[1][%d].residual[1][0].Linear", b);
        expect_share(t, x, path, 5.0 / 14);
        check(t, close_to(atom_at(x, path)->mass, 5.0 / (2 * L)), "mass %s = %g", path,
              atom_at(x, path)->mass);
      }
      shares[k][0] = atom_at(x, "model[1][0].residual[1][0].Linear")->share;
      snprintf(path, sizeof path, "model[1][%d].residual[1][2].Linear", L - 1);
      shares[k][1] = atom_at(x, path)->share;
      expect_norm_consistent(t, x);
    }
    tunit_free(&u);
  }
  check(t,
        close_to(shares[0][0], shares[1][0]) && close_to(shares[1][0], shares[2][0]) &&
            close_to(shares[0][1], shares[1][1]) && close_to(shares[1][1], shares[2][1]),
        "block shares independent of depth with the stack's mass fixed: %g %g %g, %g %g %g",
        shares[0][0], shares[1][0], shares[2][0], shares[0][1], shares[1][1], shares[2][1]);
}

/* residual(2, Linear >> relu >> Linear) ^ 2, relu sensitivity s = 1/sqrt(2):
 * a block has sensitivity r = 1/2 + s/2, so block 0 gets (2/4) / r and
 * block 1 gets 2/4; inside a block with target T the branch gets 2T, its
 * second Linear T and its first Linear T / s. */
static void test_residual_relu(check_ctx *t) {
  tunit u;
  const sema_experiment *x = must_load(t, &u, "residual, relu block", "",
                                       "residual(2, Linear(8, 8) >> relu >> Linear(8, 8)) ^ 2");
  if (x) {
    double s = 1 / sqrt(2), r = 0.5 + s / 2, t0 = 0.5 / r, t1 = 0.5;
    expect_root(t, x, 4, r * r);
    expect_share(t, x, "model[0].residual[1][0].Linear", t0 / s);
    expect_share(t, x, "model[0].residual[1][2].Linear", t0);
    expect_share(t, x, "model[1].residual[1][0].Linear", t1 / s);
    expect_share(t, x, "model[1].residual[1][2].Linear", t1);
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
}

/* Linear >> (A, B1 >> relu >> B2): the tuple has mass 3 and sensitivity
 * 1 + s; the first Linear gets 1 / (4 (1 + s)), the tuple 3/4, A 1/4, the
 * B chain 1/2, B2 1/4 and B1 1/(4 s). */
static void test_tuple(check_ctx *t) {
  tunit u;
  const sema_experiment *x = must_load(
      t, &u, "tuple", "", "Linear(8, 4) >> (Linear(4, 3), Linear(4, 5) >> relu >> Linear(5, 2))");
  if (x) {
    double s = 1 / sqrt(2);
    expect_root(t, x, 4, 1 + s);
    expect_share(t, x, "model[0].Linear", 1 / (4 * (1 + s)));
    expect_share(t, x, "model[1][0].Linear", 0.25);
    expect_share(t, x, "model[1][1][0].Linear", 1 / (4 * s));
    expect_share(t, x, "model[1][1][2].Linear", 0.25);
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
}

/* a * m has the sensitivity |a| v(m) and passes target / |a| to m. */
static void test_scale(check_ctx *t) {
  tunit u;
  const sema_experiment *x =
      must_load(t, &u, "scalar multiples", "", "0.5 * Linear(4, 4) >> -2 * Linear(4, 4)");
  if (x) {
    /* mass 2; the second factor (sensitivity 2) follows the first: the
     * scaled first Linear gets 1/(2*2) and divides by 0.5; the second gets
     * 1/2 and divides by 2 */
    expect_root(t, x, 2, 1.0);
    expect_share(t, x, "model[0].Linear", 0.25 / 0.5);
    expect_share(t, x, "model[1].Linear", 0.5 / 2);
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
  x = must_load(t, &u, "sum", "", "Linear(4, 4) + 3 * Linear(4, 4)");
  if (x) {
    expect_root(t, x, 2, 4);
    expect_share(t, x, "model[0].Linear", 0.5);
    expect_share(t, x, "model[1].Linear", 0.5 / 3);
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
}

/* An atom of mass 0 and a model of bonds only get no update. */
static void test_zero_mass(check_ctx *t) {
  static const char frozen[] =
      "atom Frozen(n: int) {\n  weight W[n, n] init zeros\n  forward(x) = x @ W.T\n"
      "  norm = spectral(W)\n  dualize(G) = polar(G)\n  mass = 0\n}\n";
  tunit u;
  const sema_experiment *x =
      must_load(t, &u, "zero-mass atom", frozen, "Linear(4, 4) >> Frozen(4) >> Linear(4, 4)");
  if (x) {
    expect_root(t, x, 2, 1);
    expect_share(t, x, "model[0].Linear", 0.5);
    expect_share(t, x, "model[1].Frozen", 0);
    expect_share(t, x, "model[2].Linear", 0.5);
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
  x = must_load(t, &u, "zero-mass subtree", frozen, "(Frozen(4), relu) >> Linear(4, 4)");
  if (x) {
    expect_share(t, x, "model[0][0].Frozen", 0);
    expect_share(t, x, "model[1].Linear", 1);
    check(t, x->model->root->children[0]->share == 0, "tuple of mass 0 gets share 0");
    expect_norm_consistent(t, x);
  }
  tunit_free(&u);
  x = must_load(t, &u, "bonds only", "", "relu >> gelu");
  if (x) {
    expect_root(t, x, 0, 1 / sqrt(2) * rms_gain(gelu_tanh));
    check(t, x->norm->nterms == 0, "no norm terms without mass");
  }
  tunit_free(&u);
}

/* A zero sensitivity is a compile error at the scaled module. */
static void test_zero_sensitivity(check_ctx *t) {
  tunit u;
  printf("-- zero sensitivity: model = Linear(4, 4) >> 0 * Linear(4, 4)\n");
  const sema_experiment *x = load(&u, "", "Linear(4, 4) >> 0 * Linear(4, 4)");
  char *text = tunit_diagnostics(&u);
  const char *want =
      "case.duet:7:27: error: module model[1] has sensitivity 0: it is multiplied by 0";
  check(t, !x && strstr(text, want), "rejected with: %s", want);
  if (!strstr(text, want))
    printf("got:\n%s", text);
  free(text);
  tunit_free(&u);
}

int main(void) {
  check_ctx ctx = {.verbose = true}, *t = &ctx;
  check(t, close_to(rms_gain(relu), 1 / sqrt(2)), "relu's RMS gain %.15g is 1/sqrt(2)",
        rms_gain(relu));
  test_mlp(t, 3, "gelu", rms_gain(gelu_tanh));
  test_mlp(t, 9, "gelu", rms_gain(gelu_tanh));
  test_mlp(t, 3, "tanh", rms_gain(tanh));
  test_mlp(t, 3, "sgelu", 1);
  test_mlp(t, 3, "relu", 1 / sqrt(2));
  test_mlp(t, 9, "relu", 1 / sqrt(2));
  test_residual_depth(t);
  test_residual_with_mass(t);
  test_residual_relu(t);
  test_tuple(t);
  test_scale(t);
  test_zero_mass(t);
  test_zero_sensitivity(t);
  return check_done(t, "sema_test_derive");
}
