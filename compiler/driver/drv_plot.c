/* drv_plot.c: the plots of a compare or sweep: compare.svg, the curves of
 * every variant (host_plot_runs), and sweep.svg, the final training loss
 * (or the study's --metric) against a swept setting; variants that differ
 * only in their seed are drawn as one mean curve with a band of one
 * standard deviation. */
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
  host_plot_run *runs = alloc((size_t)nv, sizeof *runs);
  char(*groups)[NAME_CHARS] = alloc((size_t)nv, sizeof *groups);
  for (int i = 0; i < nv; i++) {
    runs[i] = (host_plot_run){.h = v[i].h, .label = v[i].label};
    if (s >= 0) {
      axes_label(groups[i], NAME_CHARS, d, i, s, -1);
      runs[i].group = groups[i][0] ? groups[i] : d->name;
    }
  }
  char title[NAME_CHARS];
  snprintf(title, sizeof title, "%s %s: loss", d->name, ast_decl_kind_name(d->kind));
  host_plot_spec spec = {.title = title};
  int rc = host_plot_runs(path, &spec, runs, nv, err);
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

/* sweep.svg: the metric (the final training loss by default) against the
 * last axis that is not a seed axis (on a log axis when its values are
 * positive and span a factor of 10 or more), one line per combination of
 * the other axes; with a seed axis the mean over the seeds and a band of
 * one standard deviation.
 * Skipped when there is no such axis or its values are not numbers. */
static int plot_sweep(const char *path, const ast_decl *d, const drv_study_result *v, int nv,
                      const char *metric, rt_error *err) {
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
    if (v[i].h && isfinite(v[i].value)) {
      sum[p] += v[i].value;
      sq[p] += v[i].value * v[i].value;
      count[p]++;
    }
  }
  const char *what = metric ? metric : "final train loss";
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
    series[l] = (rt_series){.name = names[l][0] ? names[l] : what,
                            .x = xs + at,
                            .y = ys + at,
                            .n = (size_t)per,
                            .lo = seeds > 1 ? ylo + at : NULL,
                            .hi = seeds > 1 ? yhi + at : NULL};
  }
  char title[NAME_CHARS], ylabel[NAME_CHARS];
  snprintf(title, sizeof title, "%s sweep: %s", d->name, metric ? metric : "final training loss");
  if (seeds > 1)
    snprintf(ylabel, sizeof ylabel, "%s (mean \xc2\xb1 std of %d seeds)",
             metric ? metric : "train loss", seeds);
  else
    snprintf(ylabel, sizeof ylabel, "%s", metric ? metric : "train loss");
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
                   const char *metric, rt_error *err) {
  char path[4200];
  host_rundir_file(path, sizeof path, dir, "compare.svg");
  if (plot_curves(path, d, v, nv, err) < 0)
    return -1;
  host_rundir_file(path, sizeof path, dir, "sweep.svg");
  return d->kind == AST_SWEEP ? plot_sweep(path, d, v, nv, metric, err) : 0;
}
