/* cmd_dualcheck.c: `duet dualcheck FILE [EXPERIMENT] [--points N]
 * [--directions K] [--batch N] [--tol X]`: checks numerically, for every
 * atom of the experiment's model, that its `dualize` rule is the duality
 * map of its declared `norm`: D = dualize(G) has norm 1, and no sampled
 * direction of norm 1 has a larger pairing <G, .> with G. The model is
 * compiled in double precision with every polar(.) exact (SVD, not
 * Newton-Schulz) and every norm exact (elab_add_dualcheck). G is the
 * model's gradient at a random batch of the training set, and a random
 * Gaussian G, at the initial weights and at N - 1 random points near them;
 * the competitors are G, sign(G), polar(G) and D on all weights of the
 * atom or on one (directions that are steepest under common norms), K
 * random directions and K perturbations of D, each divided by its norm. An atom whose rule fails on the model's gradients is
 * reported as an error at its dualize rule (exit 1); one that holds for
 * the model's gradients but not for every G (the gradients lie in a
 * subspace, e.g. by the shift symmetry of a softmax) is reported so. */
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

/* Relative sizes of the perturbations of D, cycled over the K probes. */
static const double PERTURB[] = {1e-1, 1e-2, 1e-3, 1e-4};
#define NPERTURB     ((int)(sizeof PERTURB / sizeof PERTURB[0]))
/* The points away from the initial weights: every weight moved by this
 * many times its RMS along a random Gaussian direction. */
#define POINT_SPREAD 0.5

typedef struct dc_opts {
  long batch, points, directions;
  double tol;
} dc_opts;

static int dc_option(void *ctx, int i, int argc, char **argv) {
  dc_opts *o = ctx;
  const char *opt = argv[i];
  long *count = strcmp(opt, "--batch") == 0        ? &o->batch
                : strcmp(opt, "--points") == 0     ? &o->points
                : strcmp(opt, "--directions") == 0 ? &o->directions
                                                   : NULL;
  if (!count && strcmp(opt, "--tol") != 0)
    return 0;
  if (i + 1 == argc) {
    drv_usage_error("dualcheck", "%s needs a value", opt);
    return -1;
  }
  char *end;
  double v = strtod(argv[i + 1], &end);
  if (end == argv[i + 1] || *end || !(v > 0) || (count && v != floor(v))) {
    drv_usage_error("dualcheck", "%s needs a positive %s, got '%s'", opt,
                    count ? "integer" : "number", argv[i + 1]);
    return -1;
  }
  if (count)
    *count = (long)v;
  else
    o->tol = v;
  return 2;
}

/* One weight of an atom in the arena: its values and the check's tensors. */
typedef struct dc_weight {
  long n;
  double *w, *grad, *g, *d, *p;
} dc_weight;

typedef struct dc_machine {
  drv_machine m;
  int grad_entry, x, y;
  long batch;
  uint64_t seed;
  dc_weight *w; /* per model weight */
} dc_machine;

/* What one atom's samples found. */
typedef struct dc_result {
  double norm_err;  /* max |norm(D) - 1| */
  double gap[2];    /* per kind of G: max (best probe - <G, D>) / <G, D> */
  double inner_min; /* min <G, D> / |G|: must be > 0 */
  int samples[2];   /* per kind: G that were not zero */
} dc_result;

enum { KIND_GRADIENT, KIND_RANDOM };

/* The tensor "<prefix><path>" of n values in the arena; NULL after
 * reporting an internal error. */
static double *tensor(dc_machine *c, const char *prefix, const char *path, long n) {
  char name[1024];
  snprintf(name, sizeof name, "%s%s", prefix, path);
  long k;
  double *v = core_tensor_data(c->m.exe, c->m.arena, name, &k);
  if (!v || k != n)
    fprintf(stderr, "duet: internal error: no tensor %s of %ld values\n", name, n);
  return v && k == n ? v : NULL;
}

static int prepare(drv_source *s, const sema_experiment *e, const dc_opts *o, dc_machine *c,
                   drv_data *train) {
  const sema_data *bind = NULL;
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, "train") == 0)
      bind = &e->data[i];
  if (!drv_data_load(train, bind, s->unit.diag))
    return drv_report_diags(s);
  if (train->n < o->batch)
    return drv_error("the training set has fewer than %ld examples", o->batch);
  elab_options eo = {.dtype = IR_F64, .batch = o->batch, .eval_batch = -1, .no_logged = true};
  ir_program *p = drv_elaborate(s, e, &eo);
  if (!p)
    return drv_failure_code(s);
  char err[1024];
  if (!elab_add_dualcheck(p, s->sema, e, s->unit.diag)) {
    ir_program_free(p);
    return drv_report_diags(s);
  }
  if (!drv_gradient_entries(p, "dualcheck_grad", "dualcheck_loss", err, sizeof err) ||
      !elab_entry_inputs(p, "train_step", &c->x, &c->y, &c->batch)) {
    fprintf(stderr, "duet: internal error: %s\n", err);
    ir_program_free(p);
    return 2;
  }
  if (!drv_machine_init(&c->m, p))
    return 2;
  c->grad_entry = core_entry(c->m.exe, "dualcheck_grad");
  c->seed = (uint64_t)e->seed;
  core_init(c->m.exe, c->m.arena, c->seed);
  const mt_model *m = e->model;
  c->w = calloc((size_t)m->nweights + 1, sizeof *c->w);
  if (!c->w)
    abort();
  for (int i = 0; i < m->nweights; i++) {
    const mt_weight *w = m->weights[i];
    dc_weight *t = &c->w[i];
    t->n = (long)w->numel;
    t->w = tensor(c, "", w->path, t->n);
    t->grad = tensor(c, DRV_GRAD_PREFIX, w->path, t->n);
    t->g = tensor(c, ELAB_DUALCHECK_G, w->path, t->n);
    t->d = tensor(c, ELAB_DUALCHECK_D, w->path, t->n);
    t->p = tensor(c, ELAB_DUALCHECK_P, w->path, t->n);
    if (!t->w || !t->grad || !t->g || !t->d || !t->p)
      return 2;
  }
  return 0;
}

static void gaussian(double *v, long n, uint64_t seed, uint64_t stream) {
  rt_init_normal_f64(v, (size_t)n, 0, 1, seed, stream);
}

/* Moves every weight to point k (0: the initial weights, kept in init). */
static void move_to_point(dc_machine *c, const mt_model *m, double *const *init, long k) {
  for (int i = 0; i < m->nweights; i++) {
    dc_weight *t = &c->w[i];
    memcpy(t->w, init[i], (size_t)t->n * sizeof *t->w);
    if (k == 0)
      continue;
    double ss = 0;
    for (long j = 0; j < t->n; j++)
      ss += t->w[j] * t->w[j];
    double scale = POINT_SPREAD * sqrt(ss / (double)t->n);
    gaussian(t->p, t->n, c->seed, (uint64_t)k << 40 | (uint64_t)i);
    for (long j = 0; j < t->n; j++)
      t->w[j] += scale * t->p[j];
  }
}

/* The model's gradient at a random batch of the training set. */
static void model_gradient(dc_machine *c, const drv_data *train, long k) {
  uint32_t *idx = malloc((size_t)c->batch * sizeof *idx);
  if (!idx)
    abort();
  for (long i = 0; i < c->batch; i++) {
    uint32_t r[4];
    rt_philox4x32(c->seed, 0xdc, (uint64_t)k << 32 | (uint64_t)i, r);
    idx[i] = (uint32_t)(((uint64_t)r[0] << 32 | r[1]) % (uint64_t)train->n);
  }
  drv_data_gather(train, idx, (uint32_t)c->batch, IR_F64, c->m.inputs[c->x], c->m.inputs[c->y]);
  free(idx);
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(&c->m, c->grad_entry, out);
}

/* <G, P> / norm(P) for the probe in the P tensors of the atom. */
static double probe_value(dc_machine *c, const mt_node *atom, int norm_entry) {
  double gp = 0, out[DRV_MAX_OUTPUTS];
  for (int k = 0; k < atom->nweights; k++) {
    const dc_weight *t = &c->w[atom->weights[k].index];
    for (long j = 0; j < t->n; j++)
      gp += t->g[j] * t->p[j];
  }
  drv_machine_run(&c->m, norm_entry, out);
  return gp / out[0];
}

/* Directions that are steepest under common norms, as competitors: G
 * (Frobenius), sign(G) (max-abs), polar(G) of the weight as a [dim 0, rest]
 * matrix (spectral), and D itself, on all of the atom's weights or on one. */
enum { FORM_G, FORM_SIGN, FORM_POLAR, FORM_D, NFORMS };

static void form(int f, const dc_weight *t, const mt_weight *w, double *ws) {
  if (f == FORM_POLAR) {
    int m = w->rank > 1 ? (int)w->dims[0] : 1, n = (int)(t->n / m);
    rt_polar_svd_f64(t->g, t->p, 1, m, n, ws);
    return;
  }
  for (long j = 0; j < t->n; j++)
    t->p[j] = f == FORM_G ? t->g[j] : f == FORM_D ? t->d[j] : (t->g[j] > 0) - (t->g[j] < 0);
}

/* The best <G, P> / norm(P) over the forms, on every support. */
static double best_form(dc_machine *c, const mt_node *atom, int norm) {
  size_t wsn = 1;
  for (int k = 0; k < atom->nweights; k++) {
    const mt_weight *w = &atom->weights[k];
    int m = w->rank > 1 ? (int)w->dims[0] : 1;
    size_t need = rt_polar_svd_ws_f64(m, (int)(w->numel / m));
    wsn = need > wsn ? need : wsn;
  }
  double *ws = malloc(wsn * sizeof *ws), best = -INFINITY;
  if (!ws)
    abort();
  for (int f = 0; f < NFORMS; f++)
    for (int only = atom->nweights > 1 ? -1 : 0; only < atom->nweights; only++) {
      if (f == FORM_D && only < 0)
        continue;
      for (int k = 0; k < atom->nweights; k++) {
        dc_weight *t = &c->w[atom->weights[k].index];
        if (only < 0 || only == k)
          form(f, t, &atom->weights[k], ws);
        else
          memset(t->p, 0, (size_t)t->n * sizeof *t->p);
      }
      best = fmax(best, probe_value(c, atom, norm));
    }
  free(ws);
  return best;
}

/* One G (in the G tensors): D, its norm, and the best of the probes. */
static void check_sample(dc_machine *c, const mt_node *atom, const dc_opts *o, int kind,
                         uint64_t stream, dc_result *r) {
  char name[64];
  snprintf(name, sizeof name, ELAB_DUALCHECK_DUALIZE "%d", atom->atom_index);
  int dual = core_entry(c->m.exe, name);
  snprintf(name, sizeof name, ELAB_DUALCHECK_NORM "%d", atom->atom_index);
  int norm = core_entry(c->m.exe, name);
  double out[DRV_MAX_OUTPUTS], gg = 0, dd = 0;
  for (int k = 0; k < atom->nweights; k++) {
    const dc_weight *t = &c->w[atom->weights[k].index];
    for (long j = 0; j < t->n; j++)
      gg += t->g[j] * t->g[j];
  }
  if (gg == 0)
    return;
  r->samples[kind]++;
  drv_machine_run(&c->m, dual, out);
  int on = drv_machine_output(&c->m, dual, "norm"), oi = drv_machine_output(&c->m, dual, "inner");
  double nd = out[on], value = out[oi] / nd;
  r->norm_err = fmax(r->norm_err, fabs(nd - 1));
  r->inner_min = fmin(r->inner_min, out[oi] / sqrt(gg));
  for (int k = 0; k < atom->nweights; k++) {
    const dc_weight *t = &c->w[atom->weights[k].index];
    for (long j = 0; j < t->n; j++)
      dd += t->d[j] * t->d[j];
  }
  /* the forms, random directions, then perturbations of D by eps |D|
   * along random directions of Frobenius norm |D| */
  double best = best_form(c, atom, norm);
  for (long q = 0; q < 2 * o->directions; q++) {
    bool perturb = q >= o->directions;
    double rr = 0;
    for (int k = 0; k < atom->nweights; k++) {
      const dc_weight *t = &c->w[atom->weights[k].index];
      gaussian(t->p, t->n, c->seed, stream << 24 | (uint64_t)q << 8 | (uint64_t)k);
      for (long j = 0; j < t->n; j++)
        rr += t->p[j] * t->p[j];
    }
    double eps = PERTURB[q % NPERTURB] * sqrt(dd / rr);
    for (int k = 0; perturb && k < atom->nweights; k++) {
      const dc_weight *t = &c->w[atom->weights[k].index];
      for (long j = 0; j < t->n; j++)
        t->p[j] = t->d[j] + eps * t->p[j];
    }
    best = fmax(best, probe_value(c, atom, norm));
  }
  double gap = (best - value) / fabs(value);
  r->gap[kind] = isnan(gap) ? INFINITY : fmax(r->gap[kind], gap);
}

static bool kind_ok(const dc_result *r, int kind, double tol) {
  return r->samples[kind] == 0 || r->gap[kind] <= tol;
}

static bool grad_ok(const dc_result *r, double tol) {
  return r->norm_err <= tol && r->inner_min > 0 && kind_ok(r, KIND_GRADIENT, tol);
}

static const char *verdict(const dc_result *r, double tol) {
  if (!grad_ok(r, tol))
    return "WRONG";
  if (!kind_ok(r, KIND_RANDOM, tol))
    return "ok (gradients only)";
  return r->samples[KIND_GRADIENT] ? "ok" : "ok (random G only)";
}

/* The error at the atom's dualize rule, with what was measured. */
static void report(drv_source *s, const mt_node *atom, const dc_result *r, double tol) {
  diag_ctx *d = s->unit.diag;
  char why[512];
  int n = 0;
  if (r->norm_err > tol)
    n +=
        snprintf(why + n, sizeof why - (size_t)n, "norm(dualize(G)) is off 1 by %.3g", r->norm_err);
  if (!(r->inner_min > 0))
    n += snprintf(why + n, sizeof why - (size_t)n, "%s<G, dualize(G)> is not positive",
                  n ? "; " : "");
  if (!kind_ok(r, KIND_GRADIENT, tol))
    snprintf(why + n, sizeof why - (size_t)n,
             "%sa direction of norm 1 pairs with G %.3g%% more than dualize(G)", n ? "; " : "",
             100 * r->gap[KIND_GRADIENT]);
  diag_error(d, atom->dualize->loc, "dualize of %s is not the duality map of its norm: %s",
             atom->decl->name, why);
  diag_hint(d, "dualize(G) must be the direction D of norm 1 that maximizes <G, D>");
  diag_note(d, atom->loc, "%s is created here", atom->path);
}

static void print_gap(const dc_result *r, int kind) {
  if (!r->samples[kind])
    printf(" %12s", "-");
  else
    printf(" %12.2e", fmax(0, r->gap[kind]));
}

static int check_all(drv_source *s, const sema_experiment *e, const dc_opts *o, dc_machine *c,
                     const drv_data *train) {
  const mt_model *m = e->model;
  printf("dualcheck %s: float64; polar(.) exact (SVD) in place of any Newton-Schulz schedule, "
         "norms exact\n",
         e->name);
  printf("G: the model's gradient at a random batch of %ld and a random Gaussian G, at the "
         "initial weights and %ld random point%s near them\n",
         c->batch, o->points - 1, o->points == 2 ? "" : "s");
  printf("competitors of D = dualize(G): G, sign(G), polar(G) and D on all weights of the atom "
         "or on one, %ld random directions and %ld perturbations of D, each divided by its "
         "norm; gap: (best <G, .> - <G, D>) / <G, D>, tolerance %g\n",
         o->directions, o->directions, o->tol);
  double **init = calloc((size_t)m->nweights + 1, sizeof *init);
  dc_result *res = calloc((size_t)m->natoms + 1, sizeof *res);
  if (!init || !res)
    abort();
  for (int i = 0; i < m->nweights; i++) {
    init[i] = malloc((size_t)c->w[i].n * sizeof **init);
    if (!init[i])
      abort();
    memcpy(init[i], c->w[i].w, (size_t)c->w[i].n * sizeof **init);
  }
  for (int a = 0; a < m->natoms; a++)
    res[a].inner_min = INFINITY;
  for (long k = 0; k < o->points; k++) {
    move_to_point(c, m, init, k);
    model_gradient(c, train, k);
    for (int a = 0; a < m->natoms; a++) {
      const mt_node *atom = m->atoms[a];
      for (int kind = KIND_GRADIENT; kind <= KIND_RANDOM; kind++) {
        uint64_t stream = ((uint64_t)k * 2 + (uint64_t)kind) << 16 | (uint64_t)a;
        for (int q = 0; q < atom->nweights; q++) {
          dc_weight *t = &c->w[atom->weights[q].index];
          if (kind == KIND_GRADIENT)
            memcpy(t->g, t->grad, (size_t)t->n * sizeof *t->g);
          else
            gaussian(t->g, t->n, c->seed, (uint64_t)1 << 62 | stream << 8 | (uint64_t)q);
        }
        check_sample(c, atom, o, kind, stream, &res[a]);
      }
    }
  }
  for (int i = 0; i < m->nweights; i++) {
    memcpy(c->w[i].w, init[i], (size_t)c->w[i].n * sizeof **init);
    free(init[i]);
  }
  free(init);
  int width = 4, wrong = 0, partial = 0;
  for (int a = 0; a < m->natoms; a++)
    if ((int)strlen(m->atoms[a]->path) > width)
      width = (int)strlen(m->atoms[a]->path);
  printf("%-*s %12s %12s %12s  %-20s %s\n", width, "atom", "|norm(D)-1|", "gap (grad.)",
         "gap (random)", "verdict", "dualize at");
  for (int a = 0; a < m->natoms; a++) {
    const mt_node *atom = m->atoms[a];
    const dc_result *r = &res[a];
    printf("%-*s %12.2e", width, atom->path, r->norm_err);
    print_gap(r, KIND_GRADIENT);
    print_gap(r, KIND_RANDOM);
    printf("  %-20s %s:%d:%d\n", verdict(r, o->tol), atom->dualize->loc.file->path,
           atom->dualize->loc.line, atom->dualize->loc.col);
    if (!grad_ok(r, o->tol)) {
      wrong++;
      report(s, atom, r, o->tol);
    } else if (!kind_ok(r, KIND_RANDOM, o->tol)) {
      partial++;
    }
  }
  free(res);
  printf("%d atom%s: %d ok, %d ok for the model's gradients only, %d wrong: %s\n", m->natoms,
         m->natoms == 1 ? "" : "s", m->natoms - wrong - partial, partial, wrong,
         wrong ? "FAILED" : "ok");
  fflush(stdout);
  if (wrong)
    drv_report_diags(s);
  return wrong ? 1 : 0;
}

int drv_cmd_dualcheck(int argc, char **argv) {
  dc_opts o = {.batch = 8, .points = 3, .directions = 16, .tol = 1e-6};
  drv_cli cli;
  int rc = drv_cli_parse(&cli, "dualcheck", argc, argv, dc_option, &o);
  drv_source s = {0};
  sema_experiment *e = NULL;
  dc_machine c = {0};
  drv_data train = {0};
  if (rc == 0)
    rc = drv_cli_experiment(&cli, &s, &e);
  if (rc == 0)
    rc = prepare(&s, e, &o, &c, &train);
  if (rc == 0)
    rc = check_all(&s, e, &o, &c, &train);
  free(c.w);
  drv_machine_free(&c.m);
  drv_data_free(&train);
  drv_source_free(&s);
  drv_cli_free(&cli);
  return rc;
}
