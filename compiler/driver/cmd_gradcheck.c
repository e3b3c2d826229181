/* cmd_gradcheck.c: `duet gradcheck FILE [EXPERIMENT] [--batch N] [--tol X]
 * [--directions K] [--step H]`: compiles the experiment's model in double precision
 * at a small batch and compares its reverse-mode gradients with central
 * finite differences of the loss, per weight: along K random unit
 * directions (all coordinates at once) and along the 3 coordinates of
 * largest gradient. Prints the worst relative error of every weight; exit
 * 1 when one exceeds the bound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_data.h"
#include "drv_gradient.h"
#include "drv_machine.h"
#include "rt_kernels.h"

enum { TOP_COORDS = 3 };

/* Both derivatives below this count as zero (relative error 0). */
#define ZERO_GRAD 1e-13

typedef struct gc_opts {
  long batch, directions;
  double tol;
  double step; /* finite-difference step, relative to max(1, RMS of the weight) */
} gc_opts;

static int gc_option(void *ctx, int i, int argc, char **argv) {
  gc_opts *g = ctx;
  const char *opt = argv[i];
  bool is_count = strcmp(opt, "--batch") == 0 || strcmp(opt, "--directions") == 0;
  if (!is_count && strcmp(opt, "--tol") != 0 && strcmp(opt, "--step") != 0)
    return 0;
  if (i + 1 == argc) {
    drv_usage_error("gradcheck", "%s needs a value", opt);
    return -1;
  }
  char *end;
  double v = strtod(argv[i + 1], &end);
  if (end == argv[i + 1] || *end || !(v > 0) || (is_count && v != floor(v))) {
    drv_usage_error("gradcheck", "%s needs a positive %s, got '%s'", opt,
                    is_count ? "integer" : "number", argv[i + 1]);
    return -1;
  }
  if (strcmp(opt, "--batch") == 0)
    g->batch = (long)v;
  else if (strcmp(opt, "--directions") == 0)
    g->directions = (long)v;
  else if (strcmp(opt, "--tol") == 0)
    g->tol = v;
  else
    g->step = v;
  return 2;
}

typedef struct checker {
  drv_machine m;
  int loss_entry;
  uint64_t seed;
} checker;

static double loss_at(checker *c) {
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(&c->m, c->loss_entry, out);
  return out[0];
}

static double rel_error(double a, double b) {
  double scale = fmax(fabs(a), fabs(b));
  return scale < ZERO_GRAD ? 0 : fabs(a - b) / scale;
}

/* Central difference of the loss along v (n values) from w, step h; w is
 * restored from `saved`. */
static double central(checker *c, double *w, const double *saved, const double *v, long n,
                      double h) {
  for (long i = 0; i < n; i++)
    w[i] = saved[i] + h * v[i];
  double up = loss_at(c);
  for (long i = 0; i < n; i++)
    w[i] = saved[i] - h * v[i];
  double down = loss_at(c);
  memcpy(w, saved, (size_t)n * sizeof *w);
  return (up - down) / (2 * h);
}

/* Worst relative error of the gradient g of weight w (n values). */
static double check_weight(checker *c, double *w, const double *g, long n, const gc_opts *o,
                           uint64_t stream) {
  double *saved = malloc((size_t)n * sizeof *saved), *v = malloc((size_t)n * sizeof *v);
  if (!saved || !v)
    abort();
  memcpy(saved, w, (size_t)n * sizeof *w);
  double ss = 0;
  for (long i = 0; i < n; i++)
    ss += w[i] * w[i];
  double h = o->step * fmax(1, sqrt(ss / (double)n)), worst = 0;
  for (long k = 0; k < o->directions; k++) {
    rt_init_normal_f64(v, (size_t)n, 0, 1, c->seed, stream * 64 + (uint64_t)k);
    double norm = 0, ad = 0;
    for (long i = 0; i < n; i++)
      norm += v[i] * v[i];
    norm = sqrt(norm);
    for (long i = 0; i < n; i++) {
      v[i] /= norm;
      ad += g[i] * v[i];
    }
    worst = fmax(worst, rel_error(central(c, w, saved, v, n, h), ad));
  }
  /* the coordinates of largest |g|: one at a time */
  long top[TOP_COORDS];
  int ntop = 0;
  for (long i = 0; i < n; i++) {
    if (ntop == TOP_COORDS && fabs(g[i]) <= fabs(g[top[ntop - 1]]))
      continue;
    int pos = ntop < TOP_COORDS ? ntop++ : TOP_COORDS - 1;
    while (pos > 0 && fabs(g[i]) > fabs(g[top[pos - 1]])) {
      top[pos] = top[pos - 1];
      pos--;
    }
    top[pos] = i;
  }
  memset(v, 0, (size_t)n * sizeof *v);
  for (int k = 0; k < ntop; k++) {
    v[top[k]] = 1;
    worst = fmax(worst, rel_error(central(c, w, saved, v, n, h), g[top[k]]));
    v[top[k]] = 0;
  }
  free(saved);
  free(v);
  return worst;
}

static const sema_data *train_binding(const sema_experiment *e) {
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, "train") == 0)
      return &e->data[i];
  return NULL;
}

/* Compiles the checking program and fills the inputs with the first batch
 * of the training data. */
static int prepare(drv_source *s, const sema_experiment *e, const gc_opts *o, checker *c,
                   drv_data *train) {
  if (!drv_data_load(train, train_binding(e), s->unit.diag))
    return drv_report_diags(s);
  if (train->n < o->batch) {
    fprintf(stderr, "duet: error: the training set has fewer than %ld examples\n", o->batch);
    return 1;
  }
  elab_options eo = {.dtype = IR_F64, .batch = o->batch, .eval_batch = -1, .no_logged = true};
  ir_program *p = drv_elaborate(s, e, &eo);
  if (!p)
    return drv_failure_code(s);
  char err[1024];
  int x, y;
  long batch;
  if (!drv_gradient_entries(p, "gradcheck_grad", "gradcheck_loss", err, sizeof err) ||
      !elab_entry_inputs(p, "train_step", &x, &y, &batch)) {
    fprintf(stderr, "duet: internal error: %s\n", err);
    ir_program_free(p);
    return 2;
  }
  if (!drv_machine_init(&c->m, p))
    return 2;
  c->loss_entry = core_entry(c->m.exe, "gradcheck_loss");
  c->seed = (uint64_t)e->seed;
  core_init(c->m.exe, c->m.arena, c->seed);
  uint32_t *idx = malloc((size_t)batch * sizeof *idx);
  if (!idx)
    abort();
  for (long i = 0; i < batch; i++)
    idx[i] = (uint32_t)i;
  drv_data_gather(train, idx, (uint32_t)batch, IR_F64, c->m.inputs[x], c->m.inputs[y]);
  free(idx);
  return 0;
}

static int check_all(const sema_experiment *e, const gc_opts *o, checker *c) {
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(&c->m, core_entry(c->m.exe, "gradcheck_grad"), out);
  printf("gradcheck %s: float64, batch %ld, loss %.10g, %ld random directions and the %d largest "
         "gradient coordinates per weight\n",
         e->name, o->batch, out[0], o->directions, TOP_COORDS);
  printf("%-44s %-16s %12s %12s\n", "weight", "shape", "|grad|", "rel. error");
  double worst = 0;
  const mt_model *m = e->model;
  for (int i = 0; i < m->nweights; i++) {
    const mt_weight *w = m->weights[i];
    char gname[1024], shape[64];
    snprintf(gname, sizeof gname, DRV_GRAD_PREFIX "%s", w->path);
    long n, ng;
    double *wd = core_tensor_data(c->m.exe, c->m.arena, w->path, &n);
    const double *gd = core_tensor_data(c->m.exe, c->m.arena, gname, &ng);
    if (!wd || !gd || n != ng) {
      fprintf(stderr, "duet: internal error: no gradient for %s\n", w->path);
      return 2;
    }
    double gn = 0;
    for (long k = 0; k < n; k++)
      gn += gd[k] * gd[k];
    double err = check_weight(c, wd, gd, n, o, (uint64_t)i + 1);
    int len = 0;
    for (int d = 0; d < w->rank; d++)
      len +=
          snprintf(shape + len, sizeof shape - (size_t)len, "%s%lld", d ? ", " : "[", w->dims[d]);
    snprintf(shape + len, sizeof shape - (size_t)len, "]");
    printf("%-44s %-16s %12.4e %12.3e\n", w->path, shape, sqrt(gn), err);
    worst = fmax(worst, err);
  }
  bool ok = worst <= o->tol;
  printf("worst relative error %.3e (bound %.1e): %s\n", worst, o->tol, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

int drv_cmd_gradcheck(int argc, char **argv) {
  gc_opts o = {.batch = 4, .directions = 3, .tol = 1e-5, .step = 1e-5};
  drv_cli cli;
  int rc = drv_cli_parse(&cli, "gradcheck", argc, argv, gc_option, &o);
  drv_source s = {0};
  sema_experiment *e = NULL;
  checker c = {0};
  drv_data train = {0};
  if (rc == 0)
    rc = drv_cli_experiment(&cli, &s, &e);
  if (rc == 0)
    rc = prepare(&s, e, &o, &c, &train);
  if (rc == 0)
    rc = check_all(e, &o, &c);
  drv_machine_free(&c.m);
  drv_data_free(&train);
  drv_source_free(&s);
  drv_cli_free(&cli);
  return rc;
}
