/* drv_plot.c: the plots of runs drawn from their histories (metrics.jsonl
 * read back): loss.svg of a run, compare.svg and sweep.svg of a study, and
 * `duet plot`. Curves take one color per run and one dash style per
 * metric; runs that differ only in their seed are drawn as one mean curve
 * with a band of one standard deviation. */
#include "drv_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NAME_CHARS = 160 };

static void *alloc(size_t n, size_t size) {
  void *p = calloc(n + 1, size);
  if (!p)
    abort();
  return p;
}

static bool is_loss_key(const char *key) {
  size_t n = strlen(key);
  return strcmp(key, "loss") == 0 || (n > 5 && strcmp(key + n - 5, "_loss") == 0);
}

void drv_metric_name(char *out, size_t cap, const char *key) {
  size_t n = strlen(key);
  if (strcmp(key, "loss") == 0)
    snprintf(out, cap, "train loss");
  else if (n > 5 && strcmp(key + n - 5, "_loss") == 0 && drv_is_eval_key(key))
    snprintf(out, cap, "%.*s loss", (int)(n - 5), key);
  else
    snprintf(out, cap, "%s", key);
}

/* The default metrics: "loss", then every evaluated loss of the runs in
 * order of first appearance. Returns how many went into keys[cap]. */
static int default_keys(const drv_plot_run *runs, int n, const char **keys, int cap) {
  int nk = 0;
  keys[nk++] = "loss";
  for (int r = 0; r < n; r++)
    for (int i = 0; runs[r].h && i < runs[r].h->n; i++) {
      const char *key = runs[r].h->s[i].key;
      bool have = false;
      for (int k = 0; k < nk; k++)
        have = have || strcmp(keys[k], key) == 0;
      if (!have && nk < cap && drv_is_eval_key(key) && is_loss_key(key))
        keys[nk++] = key;
    }
  return nk;
}

/* One curve: a run's series of a key, or the mean (and band) of the
 * series of a group's runs. Arrays are owned. */
typedef struct curve {
  double *x, *y, *lo, *hi;
  size_t n;
} curve;

/* The curve of `key` over the runs members[0..m): the points of the first
 * run's series, each the mean of the runs that have a point at the same
 * step at the same index; a band of one standard deviation (sample) when
 * m > 1. Empty when no run has the key. */
static curve group_curve(const drv_plot_run *runs, const int *members, int m, const char *key) {
  curve c = {0};
  const drv_series *first = NULL;
  for (int j = 0; j < m && !first; j++)
    first = runs[members[j]].h ? drv_history_get(runs[members[j]].h, key) : NULL;
  if (!first)
    return c;
  c.n = (size_t)first->n;
  c.x = alloc(c.n, sizeof *c.x);
  c.y = alloc(c.n, sizeof *c.y);
  if (m > 1) {
    c.lo = alloc(c.n, sizeof *c.lo);
    c.hi = alloc(c.n, sizeof *c.hi);
  }
  for (size_t i = 0; i < c.n; i++) {
    double sum = 0, sq = 0;
    int count = 0;
    for (int j = 0; j < m; j++) {
      const drv_series *s = runs[members[j]].h ? drv_history_get(runs[members[j]].h, key) : NULL;
      if (s && (long)i < s->n && s->x[i] == first->x[i]) {
        sum += s->y[i];
        sq += s->y[i] * s->y[i];
        count++;
      }
    }
    double mean = sum / count;
    double sd = count > 1 ? sqrt(fmax(0, (sq - count * mean * mean) / (count - 1))) : 0;
    c.x[i] = first->x[i];
    c.y[i] = mean;
    if (c.lo) {
      c.lo[i] = mean - sd;
      c.hi[i] = mean + sd;
    }
  }
  return c;
}

/* The runs grouped: group g holds members[start[g] .. start[g + 1]); a run
 * without a group is a group of its own, a run without history none.
 * Returns the number of groups. */
static int group_runs(const drv_plot_run *runs, int n, int *members, int *start) {
  int ng = 0, nm = 0;
  bool *done = alloc((size_t)n, sizeof *done);
  for (int r = 0; r < n; r++) {
    if (done[r] || !runs[r].h)
      continue;
    start[ng++] = nm;
    for (int q = r; q < n; q++)
      if (!done[q] && runs[q].h &&
          (q == r ||
           (runs[r].group && runs[q].group && strcmp(runs[r].group, runs[q].group) == 0))) {
        members[nm++] = q;
        done[q] = true;
      }
  }
  start[ng] = nm;
  free(done);
  return ng;
}

int drv_plot_runs(const char *path, const drv_plot_spec *spec, const drv_plot_run *runs, int n,
                  rt_error *err) {
  enum { MAX_KEYS = 16 };
  const char *keys[MAX_KEYS];
  int nk = spec->nkeys > 0 ? (spec->nkeys < MAX_KEYS ? spec->nkeys : MAX_KEYS)
                           : default_keys(runs, n, keys, MAX_KEYS);
  if (spec->nkeys > 0)
    memcpy(keys, spec->keys, (size_t)nk * sizeof *keys);
  int *members = alloc((size_t)n, sizeof *members), *start = alloc((size_t)n + 1, sizeof *start);
  int ng = group_runs(runs, n, members, start);
  size_t cap = (size_t)ng * (size_t)nk + (size_t)ng + (size_t)nk;
  rt_series *series = alloc(cap, sizeof *series);
  curve *curves = alloc(cap, sizeof *curves);
  char(*names)[NAME_CHARS] = alloc(cap, sizeof *names);
  size_t ns = 0;
  bool several = ng > 1 && nk > 1; /* legend: runs by color, then metrics by style */
  for (int g = 0; g < ng; g++) {
    int m = start[g + 1] - start[g];
    const drv_plot_run *r = &runs[members[start[g]]];
    const char *label = m > 1 ? r->group : r->label;
    for (int k = 0; k < nk; k++) {
      curve c = group_curve(runs, members + start[g], m, keys[k]);
      if (c.n == 0)
        continue;
      curves[ns] = c;
      char *name = names[ns];
      if (ng == 1)
        drv_metric_name(name, NAME_CHARS, keys[k]);
      else
        snprintf(name, NAME_CHARS, "%s", label);
      if (m > 1)
        snprintf(name + strlen(name), NAME_CHARS - strlen(name), " (mean \xc2\xb1 std of %d)", m);
      series[ns] = (rt_series){.name = several ? NULL : name,
                               .x = c.x,
                               .y = c.y,
                               .n = c.n,
                               .lo = c.lo,
                               .hi = c.hi,
                               .color = 1 + (ng == 1 ? k : g),
                               .dash = k};
      ns++;
    }
  }
  size_t ncurves = ns;
  for (int g = 0; several && g < ng; g++) { /* legend entries of the runs */
    int m = start[g + 1] - start[g];
    const drv_plot_run *r = &runs[members[start[g]]];
    snprintf(names[ns], NAME_CHARS, "%s", m > 1 ? r->group : r->label);
    if (m > 1)
      snprintf(names[ns] + strlen(names[ns]), NAME_CHARS - strlen(names[ns]),
               " (mean \xc2\xb1 std of %d)", m);
    series[ns] = (rt_series){.name = names[ns], .color = 1 + g};
    ns++;
  }
  bool losses = true;
  for (int k = 0; k < nk; k++) {
    losses = losses && is_loss_key(keys[k]);
    if (!several)
      continue;
    drv_metric_name(names[ns], NAME_CHARS, keys[k]);
    series[ns] = (rt_series){.name = names[ns], .color = RT_COLOR_GRAY, .dash = k};
    ns++;
  }
  char ylabel[NAME_CHARS];
  drv_metric_name(ylabel, sizeof ylabel, nk == 1 ? keys[0] : "");
  rt_plot_opts po = {.title = spec->title,
                     .xlabel = "step",
                     .ylabel = losses    ? "loss"
                               : nk == 1 ? ylabel
                                         : NULL,
                     .y_scale = spec->y_scale};
  int rc = rt_svg_plot(path, &po, series, ns, err);
  for (size_t i = 0; i < ncurves; i++) {
    free(curves[i].x);
    free(curves[i].y);
    free(curves[i].lo);
    free(curves[i].hi);
  }
  free(curves);
  free(series);
  free(names);
  free(members);
  free(start);
  return rc;
}

int drv_plot_losses(const char *path, const char *experiment, const drv_history *h, rt_error *err) {
  char title[NAME_CHARS];
  snprintf(title, sizeof title, "%s: loss", experiment);
  drv_plot_spec spec = {.title = title};
  drv_plot_run run = {.h = h, .label = experiment};
  return drv_plot_runs(path, &spec, &run, 1, err);
}

/* ---- studies ------------------------------------------------------------- */

/* The axis of a study that varies the seed alone, or -1. */
static int seed_axis(const ast_decl *d) {
  int s = -1;
  for (int k = 0; k < d->naxes; k++)
    if (d->axes[k].nkeys == 1 && strcmp(d->axes[k].keys[0].key, "seed") == 0)
      s = k;
  return s;
}

/* The index of variant v's value on axis k (the last axis varies fastest). */
static int axis_index(const ast_decl *d, int v, int k) {
  int stride = 1;
  for (int j = d->naxes - 1; j > k; j--)
    stride *= d->axes[j].nvalues;
  return v / stride % d->axes[k].nvalues;
}

/* "key=value, ..." of variant v's values on every axis but skip1 and skip2
 * into out[cap] ("" when none is left). */
static void axes_label(char *out, size_t cap, const ast_decl *d, int v, int skip1, int skip2) {
  out[0] = '\0';
  for (int k = 0; k < d->naxes; k++) {
    if (k == skip1 || k == skip2)
      continue;
    const ast_axis *ax = &d->axes[k];
    for (int key = 0; key < ax->nkeys; key++) {
      char *text = NULL;
      size_t len = 0;
      FILE *f = open_memstream(&text, &len);
      if (!f)
        abort();
      sema_print_expr(f, ast_axis_value(ax, axis_index(d, v, k), key));
      fclose(f);
      size_t used = strlen(out);
      snprintf(out + used, cap - used, "%s%s=%s", used ? ", " : "", ax->keys[key].key, text);
      free(text);
    }
  }
}

static bool numeric(const ast_expr *e, double *out) {
  bool neg = e->kind == AST_UNARY && e->unary.op == AST_OP_NEG;
  const ast_expr *x = neg ? e->unary.operand : e;
  if (x->kind != AST_INT && x->kind != AST_FLOAT)
    return false;
  double v = x->kind == AST_INT ? (double)x->ival : x->fval;
  *out = neg ? -v : v;
  return true;
}

/* compare.svg: the losses of every variant; with a seed axis the variants
 * that differ only in their seed as one curve. */
static int plot_curves(const char *path, const ast_decl *d, const drv_study_result *v, int nv,
                       rt_error *err) {
  int s = seed_axis(d);
  drv_plot_run *runs = alloc((size_t)nv, sizeof *runs);
  char(*groups)[NAME_CHARS] = alloc((size_t)nv, sizeof *groups);
  for (int i = 0; i < nv; i++) {
    runs[i] = (drv_plot_run){.h = v[i].h, .label = v[i].label};
    if (s >= 0) {
      axes_label(groups[i], NAME_CHARS, d, i, s, -1);
      runs[i].group = groups[i][0] ? groups[i] : d->name;
    }
  }
  char title[NAME_CHARS];
  snprintf(title, sizeof title, "%s %s: loss", d->name, ast_decl_kind_name(d->kind));
  drv_plot_spec spec = {.title = title};
  int rc = drv_plot_runs(path, &spec, runs, nv, err);
  free(runs);
  free(groups);
  return rc;
}

/* The line of variant v in sweep.svg: the rank of its values on the axes
 * other than skip1 and skip2 (mixed radix, the last axis fastest). */
static int line_of(const ast_decl *d, int v, int skip1, int skip2) {
  int l = 0;
  for (int k = 0; k < d->naxes; k++)
    if (k != skip1 && k != skip2)
      l = l * d->axes[k].nvalues + axis_index(d, v, k);
  return l;
}

/* sweep.svg: the final training loss against the last axis that is not a
 * seed axis (on a log axis when its values are positive and span a factor
 * of 10 or more), one line per combination of the other axes; with a seed
 * axis the mean over the seeds and a band of one standard deviation.
 * Skipped when there is no such axis or its values are not numbers. */
static int plot_sweep(const char *path, const ast_decl *d, const drv_study_result *v, int nv,
                      rt_error *err) {
  int s = seed_axis(d), xa = d->naxes - 1 == s ? d->naxes - 2 : d->naxes - 1;
  if (xa < 0)
    return 0;
  const ast_axis *ax = &d->axes[xa];
  int per = ax->nvalues, seeds = s >= 0 ? d->axes[s].nvalues : 1, lines = nv / per / seeds;
  size_t np = (size_t)lines * (size_t)per;
  double *xs = alloc(np, sizeof *xs), lo = INFINITY, hi = -INFINITY;
  for (int j = 0; j < per; j++) {
    if (!numeric(ax->values[j], &xs[j])) {
      free(xs);
      return 0;
    }
    lo = fmin(lo, xs[j]);
    hi = fmax(hi, xs[j]);
  }
  for (size_t p = (size_t)per; p < np; p++)
    xs[p] = xs[p % (size_t)per];
  double *sum = alloc(np, sizeof *sum), *sq = alloc(np, sizeof *sq);
  int *count = alloc(np, sizeof *count);
  char(*names)[NAME_CHARS] = alloc((size_t)lines, sizeof *names);
  for (int i = 0; i < nv; i++) {
    int l = line_of(d, i, xa, s);
    size_t p = (size_t)l * (size_t)per + (size_t)axis_index(d, i, xa);
    if (!names[l][0])
      axes_label(names[l], NAME_CHARS, d, i, xa, s);
    if (v[i].h && isfinite(v[i].train_loss)) {
      sum[p] += v[i].train_loss;
      sq[p] += v[i].train_loss * v[i].train_loss;
      count[p]++;
    }
  }
  double *ys = alloc(np, sizeof *ys), *ylo = alloc(np, sizeof *ylo), *yhi = alloc(np, sizeof *yhi);
  for (size_t p = 0; p < np; p++) {
    int c = count[p];
    double mean = c ? sum[p] / c : NAN;
    double sd = c > 1 ? sqrt(fmax(0, (sq[p] - c * mean * mean) / (c - 1))) : 0;
    ys[p] = mean;
    ylo[p] = mean - sd;
    yhi[p] = mean + sd;
  }
  rt_series *series = alloc((size_t)lines, sizeof *series);
  for (int l = 0; l < lines; l++) {
    size_t at = (size_t)l * (size_t)per;
    series[l] = (rt_series){.name = names[l][0] ? names[l] : "final train loss",
                            .x = xs + at,
                            .y = ys + at,
                            .n = (size_t)per,
                            .lo = seeds > 1 ? ylo + at : NULL,
                            .hi = seeds > 1 ? yhi + at : NULL};
  }
  char title[NAME_CHARS], ylabel[NAME_CHARS];
  snprintf(title, sizeof title, "%s sweep: final training loss", d->name);
  snprintf(ylabel, sizeof ylabel,
           seeds > 1 ? "train loss (mean \xc2\xb1 std of %d seeds)" : "train loss", seeds);
  rt_plot_opts po = {.title = title,
                     .xlabel = ax->keys[0].key,
                     .ylabel = ylabel,
                     .log_x = lo > 0 && hi >= 10 * lo};
  int rc = rt_svg_plot(path, &po, series, (size_t)lines, err);
  free(xs);
  free(sum);
  free(sq);
  free(count);
  free(names);
  free(ys);
  free(ylo);
  free(yhi);
  free(series);
  return rc;
}

int drv_plot_study(const char *dir, const ast_decl *d, const drv_study_result *v, int nv,
                   rt_error *err) {
  char path[4200];
  drv_rundir_file(path, sizeof path, dir, "compare.svg");
  if (plot_curves(path, d, v, nv, err) < 0)
    return -1;
  drv_rundir_file(path, sizeof path, dir, "sweep.svg");
  return d->kind == AST_SWEEP ? plot_sweep(path, d, v, nv, err) : 0;
}
