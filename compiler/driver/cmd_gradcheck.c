/* cmd_gradcheck.c: `duet gradcheck FILE [EXPERIMENT] [--batch N] [--tol X]
 * [--directions K] [--step H]`: compiles the experiment's model in double
 * precision at a small batch and compares its reverse-mode gradients with
 * central finite differences of the loss (drv_fd_check), per weight: along K
 * random unit directions and along the coordinates of largest gradient, each
 * difference with its estimated error. Prints one verdict per weight (ok,
 * too small to resolve, wrong) and the wrong derivatives; exit 1 when one
 * is wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_data.h"
#include "drv_gradient.h"
#include "drv_machine.h"

typedef struct gc_opts {
  long batch;
  drv_fd_settings fd;
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
    g->fd.directions = (long)v;
  else if (strcmp(opt, "--tol") == 0)
    g->fd.tol = v;
  else
    g->fd.step = v;
  return 2;
}

typedef struct checker {
  drv_machine m;
  int loss_entry;
} checker;

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
  core_init(c->m.exe, c->m.arena, (uint64_t)e->seed);
  uint32_t *idx = malloc((size_t)batch * sizeof *idx);
  if (!idx)
    abort();
  for (long i = 0; i < batch; i++)
    idx[i] = (uint32_t)i;
  drv_data_gather(train, idx, (uint32_t)batch, IR_F64, c->m.inputs[x], c->m.inputs[y]);
  free(idx);
  return 0;
}

/* "[24, 11]": a shape, or with flat >= 0 the index of that element. */
static void index_str(const mt_weight *w, long flat, char *buf, size_t len) {
  long idx[IR_MAX_RANK];
  for (int d = w->rank - 1; d >= 0; d--) {
    idx[d] = flat < 0 ? w->dims[d] : flat % w->dims[d];
    flat = flat < 0 ? flat : flat / w->dims[d];
  }
  int n = 0;
  for (int d = 0; d < w->rank; d++)
    n += snprintf(buf + n, len - (size_t)n, "%s%ld", d ? ", " : "[", idx[d]);
  snprintf(buf + n, len - (size_t)n, "]");
}

/* The row of one weight: |grad|, the worst relative error and the worst
 * relative finite-difference error of its derivatives that are not too
 * small to resolve, the verdict; then a line per wrong derivative. */
static void print_row(const mt_weight *w, int width, const drv_fd_result *r, double tol,
                      double *worst) {
  double rel = -1, fd = 0, floor = INFINITY;
  for (int k = 0; k < r->nprobes; k++) {
    const drv_fd_probe *p = &r->probes[k];
    floor = fmin(floor, DRV_FD_MARGIN * p->error);
    if (drv_fd_probe_verdict(p, tol) == DRV_FD_TOO_SMALL)
      continue;
    double size = fmax(fabs(p->ad), fabs(p->fd));
    rel = fmax(rel, fabs(p->fd - p->ad) / size);
    fd = fmax(fd, p->error / size);
  }
  char shape[64], rs[16] = "-", fs[16] = "-", verdict[64];
  index_str(w, -1, shape, sizeof shape);
  if (rel >= 0) {
    snprintf(rs, sizeof rs, "%.2e", rel);
    snprintf(fs, sizeof fs, "%.2e", fd);
    *worst = fmax(*worst, rel);
  }
  if (r->verdict == DRV_FD_TOO_SMALL)
    snprintf(verdict, sizeof verdict, "too small to resolve (floor %.1e)", floor);
  else
    snprintf(verdict, sizeof verdict, "%s", r->verdict == DRV_FD_OK ? "ok" : "WRONG");
  printf("%-*s  %-16s %11.4e %10s %10s  %s\n", width, w->path, shape, r->grad_norm, rs, fs,
         verdict);
  for (int k = 0; k < r->nprobes; k++) {
    const drv_fd_probe *p = &r->probes[k];
    if (drv_fd_probe_verdict(p, tol) != DRV_FD_WRONG)
      continue;
    char where[80];
    if (p->coord < 0)
      snprintf(where, sizeof where, "random direction %d", k + 1);
    else
      index_str(w, p->coord, where, sizeof where);
    printf("    %s: reverse mode %.6e, finite differences %.6e +- %.1e (step %.1e)\n", where, p->ad,
           p->fd, p->error, p->step);
  }
}

static int check_all(const sema_experiment *e, const gc_opts *o, checker *c) {
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(&c->m, core_entry(c->m.exe, "gradcheck_grad"), out);
  printf("gradcheck %s: float64, batch %ld, loss %.10g\n", e->name, o->batch, out[0]);
  if (o->fd.step > 0)
    printf("per weight: %ld random unit directions and the %d largest gradient coordinates, "
           "central differences at step %g x max(1, RMS of the weight)\n",
           o->fd.directions, DRV_FD_COORDS, o->fd.step);
  else
    printf("per weight: %ld random unit directions and the %d largest gradient coordinates, "
           "central differences at the step of least estimated error\n",
           o->fd.directions, DRV_FD_COORDS);
  printf("wrong: a difference above %g relative + %g x the estimated finite-difference error\n",
         o->fd.tol, DRV_FD_MARGIN);
  const mt_model *m = e->model;
  int width = 6, count[3] = {0};
  for (int i = 0; i < m->nweights; i++)
    if ((int)strlen(m->weights[i]->path) > width)
      width = (int)strlen(m->weights[i]->path);
  printf("%-*s  %-16s %11s %10s %10s  %s\n", width, "weight", "shape", "|grad|", "rel. error",
         "fd error", "verdict");
  double worst = -1;
  for (int i = 0; i < m->nweights; i++) {
    const mt_weight *w = m->weights[i];
    char gname[1024];
    snprintf(gname, sizeof gname, DRV_GRAD_PREFIX "%s", w->path);
    long n, ng;
    double *wd = core_tensor_data(c->m.exe, c->m.arena, w->path, &n);
    const double *gd = core_tensor_data(c->m.exe, c->m.arena, gname, &ng);
    if (!wd || !gd || n != ng) {
      fprintf(stderr, "duet: internal error: no gradient for %s\n", w->path);
      return 2;
    }
    drv_fd_result r;
    drv_fd_check(&c->m, c->loss_entry, wd, gd, n, &o->fd, (uint64_t)i + 1, &r);
    print_row(w, width, &r, o->fd.tol, &worst);
    count[r.verdict]++;
    drv_fd_free(&r);
  }
  printf("%d weight%s: %d ok, %d too small to resolve, %d wrong; ", m->nweights,
         m->nweights == 1 ? "" : "s", count[DRV_FD_OK], count[DRV_FD_TOO_SMALL],
         count[DRV_FD_WRONG]);
  if (worst >= 0)
    printf("worst relative error %.3e where resolved", worst);
  else
    printf("no derivative resolved");
  printf(": %s\n", count[DRV_FD_WRONG] ? "FAILED" : "ok");
  return count[DRV_FD_WRONG] ? 1 : 0;
}
int drv_cmd_gradcheck(int argc, char **argv) {
  gc_opts o = {.batch = 4, .fd = {.directions = 3, .tol = 1e-6}};
  drv_cli cli;
  int rc = drv_cli_parse(&cli, "gradcheck", argc, argv, gc_option, &o);
  drv_source s = {0};
  sema_experiment *e = NULL;
  checker c = {0};
  drv_data train = {0};
  if (rc == 0)
    rc = drv_cli_experiment(&cli, &s, &e);
  if (rc == 0)
    o.fd.seed = (uint64_t)e->seed;
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
