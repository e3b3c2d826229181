/* drv_study.c: compare and sweep: enumerate the variants (the product of
 * the axes' values, last axis fastest), train each one as its own run with
 * the axis values as extra `--set` settings, and report them side by side
 * (with the value of --metric when given): a table on stdout,
 * compare.json, compare.svg and sweep.svg (drv_plot.h),
 * and singular_values.svg and heads.svg when the experiment tracks them.
 * Under mpirun every rank trains every variant, one after another, and
 * rank 0 alone writes and prints (host_dist.h). */
#include "drv_study.h"
#include "drv_plot.h"
#include "host_dist.h"
#include "host_evaluate.h"
#include "host_interrupt.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_VARIANT_FIELDS = 32 };

typedef struct variant {
  const char *label; /* shown in the table and plots (arena) */
  char **sets;       /* o->sets, then one "key=value" per axis (arena) */
  int rc;
  host_run_result res;
} variant;

/* Source text of an expression, in the arena. */
static const char *expr_text(arena *a, const ast_expr *e) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    abort();
  sema_print_expr(f, e);
  fclose(f);
  const char *s = arena_strdup(a, buf);
  free(buf);
  return s;
}

/* A directory name for a variant: "<i>-<label>" with only [A-Za-z0-9._=-]. */
static void variant_dir(char *out, size_t cap, const char *root, int i, const char *label) {
  char safe[64];
  size_t n = 0;
  for (const char *p = label; *p && n + 1 < sizeof safe; p++)
    if (isalnum((unsigned char)*p) || strchr("._=-", *p))
      safe[n++] = *p;
    else if (n && safe[n - 1] != '_')
      safe[n++] = '_';
  safe[n] = 0;
  snprintf(out, cap, "%s/%d-%s", root, i, safe);
}

/* The number of settings one variant sets: one per key of every axis. */
static int keys_per_variant(const ast_decl *d) {
  int n = 0;
  for (int k = 0; k < d->naxes; k++)
    n += d->axes[k].nkeys;
  return n;
}

/* Each variant's --set settings "key=value" (after o->sets) and label: a
 * compare's values as written ("Dual(lr = 0.02)"; the items of a tuple
 * value joined by ", "), a sweep's "key=value, ..." */
static void build_variants(drv_source *s, const ast_decl *d, const drv_run_opts *o, variant *v,
                           int nv) {
  arena *a = s->unit.arena;
  for (int i = 0; i < nv; i++) {
    v[i].sets = arena_alloc(a, (size_t)(o->nsets + keys_per_variant(d) + 1) * sizeof *v[i].sets);
    int n = 0;
    for (; n < o->nsets; n++)
      v[i].sets[n] = o->sets[n];
    const char *label = "";
    for (int k = 0, rest = i, stride = nv; k < d->naxes; k++) {
      const ast_axis *ax = &d->axes[k];
      stride /= ax->nvalues;
      int j = rest / stride;
      rest %= stride;
      for (int key = 0; key < ax->nkeys; key++) {
        const ast_expr *val = ast_axis_value(ax, j, key);
        assert(val && "sema checks the values of every axis");
        const char *text = expr_text(a, val), *sep = *label ? ", " : "";
        v[i].sets[n++] = arena_printf(a, "%s=%s", ax->keys[key].key, text);
        label = d->kind == AST_COMPARE
                    ? arena_printf(a, "%s%s%s", label, sep, text)
                    : arena_printf(a, "%s%s%s=%s", label, sep, ax->keys[key].key, text);
      }
    }
    v[i].label = label;
  }
}

/* The first evaluation key with `suffix` over all variants' histories. */
static const char *eval_key(const variant *v, int nv, const char *suffix) {
  for (int i = 0; i < nv; i++)
    for (int k = 0; v[i].rc == 0 && k < v[i].res.history.n; k++) {
      const char *key = v[i].res.history.s[k].key;
      size_t n = strlen(key), m = strlen(suffix);
      if (n > m && strcmp(key + n - m, suffix) == 0 && host_is_eval_key(key))
        return key;
    }
  return NULL;
}

/* Final and best value of a history key (NaN when absent). */
static void final_best(const host_run_result *r, const char *key, double *final, double *best) {
  const host_series *s = key ? host_history_get(&r->history, key) : NULL;
  *final = *best = NAN;
  for (long i = 0; s && i < s->n; i++) {
    *final = s->y[i];
    *best = i ? fmax(*best, s->y[i]) : s->y[i];
  }
}

/* The value of --metric `key` for a run: train_loss (the mean of the last
 * steps), an evaluation key (its last value) or best_<evaluation key> (the
 * largest accuracy, the smallest of anything else). NaN when the run has
 * no such key. */
static double metric_value(const host_run_result *r, const char *key) {
  if (strcmp(key, "train_loss") == 0)
    return r->summary.train_loss;
  bool best = strncmp(key, "best_", 5) == 0 && !host_history_get(&r->history, key);
  const host_series *s = host_history_get(&r->history, best ? key + 5 : key);
  bool higher = strstr(key, "accuracy") != NULL;
  double v = NAN;
  for (long i = 0; s && i < s->n; i++)
    v = !best || i == 0 ? s->y[i] : higher ? fmax(v, s->y[i]) : fmin(v, s->y[i]);
  return v;
}

/* Whether the trained variant r has the metric `key`; else a message that
 * names the keys it has. */
static bool metric_known(const host_run_result *r, const char *key) {
  if (strcmp(key, "train_loss") == 0 ||
      host_history_get(&r->history, strncmp(key, "best_", 5) == 0 ? key + 5 : key) ||
      host_history_get(&r->history, key))
    return true;
  fprintf(stderr, "duet: error: --metric %s: the runs have no such value; they have train_loss",
          key);
  for (int k = 0; k < r->history.n; k++)
    if (host_is_eval_key(r->history.s[k].key))
      fprintf(stderr, ", %s, best_%s", r->history.s[k].key, r->history.s[k].key);
  fprintf(stderr, "\n");
  return false;
}

static void print_table(const variant *v, int nv, const char *acc, const char *loss,
                        const char *metric) {
  int width = 32, mw = metric ? (int)strlen(metric) : 0;
  mw = mw < 10 ? 10 : mw;
  for (int i = 0; i < nv; i++)
    width = (int)strlen(v[i].label) > width ? (int)strlen(v[i].label) : width;
  printf("\n%-*s %14s %8s %10s %12s %8s %8s", width, "variant", acc ? acc : "accuracy", "best",
         "train_loss", loss ? loss : "eval_loss", "wall_s", "ms/step");
  printf(metric ? " %*s\n" : "\n", mw, metric);
  for (int i = 0; i < nv; i++) {
    printf("%-*s", width, v[i].label);
    if (v[i].rc != 0) {
      printf(" %14s\n", "failed");
      continue;
    }
    double fa, ba, fl, bl;
    final_best(&v[i].res, acc, &fa, &ba);
    final_best(&v[i].res, loss, &fl, &bl);
    const host_summary *s = &v[i].res.summary;
    char n1[RT_NUM_CHARS], n2[RT_NUM_CHARS], n3[RT_NUM_CHARS], n4[RT_NUM_CHARS];
    printf(" %14s %8s %10s %12s", acc ? rt_num_text(n1, fa) : "-", acc ? rt_num_text(n2, ba) : "-",
           rt_num_text(n3, s->train_loss), loss ? rt_num_text(n4, fl) : "-");
    printf(" %8.1f %8.2f", s->wall_s, s->ms_per_step);
    char n5[RT_NUM_CHARS];
    printf(metric ? " %*s\n" : "\n", mw,
           metric ? rt_num_text(n5, metric_value(&v[i].res, metric)) : "");
  }
  fflush(stdout);
}

static int write_json(const char *path, const ast_decl *d, const variant *v, int nv,
                      rt_error *err) {
  rt_field *vars = calloc((size_t)nv + 1, sizeof *vars);
  rt_field(*fields)[MAX_VARIANT_FIELDS] = calloc((size_t)nv + 1, sizeof *fields);
  char(*best)[MAX_VARIANT_FIELDS][96] = calloc((size_t)nv + 1, sizeof *best);
  if (!vars || !fields || !best)
    abort();
  for (int i = 0; i < nv; i++) {
    rt_field *f = fields[i];
    size_t n = 0;
    f[n++] = RT_STR("dir", v[i].res.dir);
    f[n++] = RT_STR("status", v[i].rc == 0 ? "ok" : "failed");
    if (v[i].rc == 0) {
      const host_summary *s = &v[i].res.summary;
      f[n++] = RT_INT("steps", s->steps);
      f[n++] = RT_NUM("train_loss", s->train_loss);
      for (int k = 0; k < v[i].res.history.n && n + 4 < MAX_VARIANT_FIELDS; k++) {
        const char *key = v[i].res.history.s[k].key;
        if (!host_is_eval_key(key))
          continue;
        double fin, b;
        final_best(&v[i].res, key, &fin, &b);
        f[n++] = RT_NUM(key, fin);
        if (!strstr(key, "_accuracy"))
          continue;
        snprintf(best[i][n], sizeof best[i][n], "best_%s", key);
        f[n] = RT_NUM(best[i][n], b);
        n++;
      }
      f[n++] = RT_NUM("ms_per_step", s->ms_per_step);
      f[n++] = RT_NUM("wall_s", s->wall_s);
    }
    vars[i] = RT_OBJ(v[i].label, f, n);
  }
  rt_field top[3] = {RT_STR("experiment", d->name), RT_STR("kind", ast_decl_kind_name(d->kind)),
                     RT_OBJ("variants", vars, (size_t)nv)};
  int rc = rt_summary_write(path, top, 3, err);
  free(vars);
  free(fields);
  free(best);
  return rc;
}

/* compare.svg and sweep.svg (drv_plot_study). */
static int plot_study(const char *root, const ast_decl *d, const variant *v, int nv,
                      const char *metric, rt_error *err) {
  drv_study_result *r = calloc((size_t)nv, sizeof *r);
  if (!r)
    abort();
  for (int i = 0; i < nv; i++)
    r[i] = (drv_study_result){v[i].label, v[i].rc == 0 ? &v[i].res.history : NULL,
                              metric_value(&v[i].res, metric ? metric : "train_loss")};
  int rc = drv_plot_study(root, d, r, nv, metric, err);
  free(r);
  return rc;
}

/* A plot of a tracked family of series (host_plot_spectra, host_plot_heads)
 * of every variant. */
typedef int (*plot_runs_fn)(const char *path, const host_history *const *runs,
                            const char *const *labels, int n, rt_error *err);

static int plot_variants(const char *path, plot_runs_fn plot, const variant *v, int nv,
                         rt_error *err) {
  const host_history **runs = calloc((size_t)nv, sizeof *runs);
  const char **labels = calloc((size_t)nv, sizeof *labels);
  if (!runs || !labels)
    abort();
  for (int i = 0; i < nv; i++) {
    runs[i] = v[i].rc == 0 ? &v[i].res.history : NULL;
    labels[i] = v[i].label;
  }
  int rc = plot(path, runs, labels, nv, err);
  free(runs);
  free(labels);
  return rc;
}

int drv_study_run(drv_source *s, const drv_target *t, const drv_run_opts *o) {
  const ast_decl *d = t->study->decl;
  int nv = 1;
  for (int k = 0; k < d->naxes; k++)
    nv *= d->axes[k].nvalues;
  char root[3072];
  rt_error err;
  const char *kind = ast_decl_kind_name(d->kind);
  bool writer = host_dist_rank() == 0;
  root[0] = 0;
  if (writer && host_rundir_create(root, sizeof root, o->run.out_dir,
                                   arena_printf(s->unit.arena, "%s-%s", d->name, kind), &err) < 0) {
    fprintf(stderr, "duet: error: %s\n", err.msg);
    return 1;
  }
  variant *v = calloc((size_t)nv, sizeof *v);
  if (!v)
    abort();
  build_variants(s, d, o, v, nv);
  int failed = 0, ran = 0, stop = 0;
  for (int i = 0; i < nv && !stop; i++) {
    char dir[sizeof v[i].res.dir];
    variant_dir(dir, sizeof dir, root, i, v[i].label);
    drv_run_opts vo = *o;
    vo.sets = v[i].sets;
    vo.nsets = o->nsets + keys_per_variant(d);
    vo.run.out_dir = dir;
    if (writer)
      printf("== %s %s: variant %d of %d: %s\n", kind, d->name, i + 1, nv, v[i].label);
    fflush(stdout);
    v[i].rc = drv_train(s, t->experiment, &vo, &v[i].res);
    if (v[i].rc != 0)
      snprintf(v[i].res.dir, sizeof v[i].res.dir, "%s", dir);
    failed += v[i].rc != 0;
    ran++;
    int sig = host_interrupt_signal();
    host_dist_max(&sig, 1); /* every rank stops after the same variant */
    if (o->metric && v[i].rc == 0 && !metric_known(&v[i].res, o->metric))
      stop = 2;
    else if (sig)
      stop = host_interrupt_exit_code(sig);
    else if (v[i].rc == DRV_DATA_ERROR)
      stop = 1;
  }
  if (stop && writer) {
    fprintf(stderr, "duet: %s %s stopped after variant %d of %d%s\n", kind, d->name, ran, nv,
            stop == 1   ? ": its data is missing, which the other variants read too"
            : stop == 2 ? ": the metric to report is not one of its values"
                        : "");
  }
  stop = stop == 2 ? 1 : stop;
  if (stop || !writer) {
    for (int i = 0; i < ran; i++)
      if (v[i].rc == 0)
        host_history_free(&v[i].res.history);
    free(v);
    return stop ? stop : failed ? 1 : 0;
  }
  print_table(v, nv, eval_key(v, nv, "_accuracy"), eval_key(v, nv, "_loss"), o->metric);
  char path[4200];
  int rc = 0;
  host_rundir_file(path, sizeof path, root, "compare.json");
  rc = rc || write_json(path, d, v, nv, &err) < 0;
  rc = rc || plot_study(root, d, v, nv, o->metric, &err) < 0;
  host_rundir_file(path, sizeof path, root, "singular_values.svg");
  rc = rc || plot_variants(path, host_plot_spectra, v, nv, &err) < 0;
  host_rundir_file(path, sizeof path, root, "heads.svg");
  rc = rc || plot_variants(path, host_plot_heads, v, nv, &err) < 0;
  if (rc)
    fprintf(stderr, "duet: error: %s\n", err.msg);
  else
    printf("%s directory: %s\n", kind, root);
  for (int i = 0; i < nv; i++)
    if (v[i].rc == 0)
      host_history_free(&v[i].res.history);
  free(v);
  return rc || failed ? 1 : 0;
}
