/* plot.c: plots of runs drawn from their histories (metrics.jsonl read
 * back): loss.svg of a run, and the curves of several runs that compare,
 * sweep and `duet plot` draw. Curves take one color per run and one dash
 * style per metric; runs that share a group (differ only in their seed)
 * are drawn as one mean curve with a band of one standard deviation. */
#include "host_plot.h"

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

void host_metric_name(char *out, size_t cap, const char *key) {
  size_t n = strlen(key);
  if (strcmp(key, "loss") == 0)
    snprintf(out, cap, "train loss");
  else if (n > 5 && strcmp(key + n - 5, "_loss") == 0 && host_is_eval_key(key))
    snprintf(out, cap, "%.*s loss", (int)(n - 5), key);
  else
    snprintf(out, cap, "%s", key);
}

/* The default metrics: "loss", then every evaluated loss of the runs in
 * order of first appearance. Returns how many went into keys[cap]. */
static int default_keys(const host_plot_run *runs, int n, const char **keys, int cap) {
  int nk = 0;
  keys[nk++] = "loss";
  for (int r = 0; r < n; r++)
    for (int i = 0; runs[r].h && i < runs[r].h->n; i++) {
      const char *key = runs[r].h->s[i].key;
      bool have = false;
      for (int k = 0; k < nk; k++)
        have = have || strcmp(keys[k], key) == 0;
      if (!have && nk < cap && host_is_eval_key(key) && is_loss_key(key))
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
static curve group_curve(const host_plot_run *runs, const int *members, int m, const char *key) {
  curve c = {0};
  const host_series *first = NULL;
  for (int j = 0; j < m && !first; j++)
    first = runs[members[j]].h ? host_history_get(runs[members[j]].h, key) : NULL;
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
      const host_series *s = runs[members[j]].h ? host_history_get(runs[members[j]].h, key) : NULL;
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
static int group_runs(const host_plot_run *runs, int n, int *members, int *start) {
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

int host_plot_runs(const char *path, const host_plot_spec *spec, const host_plot_run *runs, int n,
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
    const host_plot_run *r = &runs[members[start[g]]];
    const char *label = m > 1 ? r->group : r->label;
    for (int k = 0; k < nk; k++) {
      curve c = group_curve(runs, members + start[g], m, keys[k]);
      if (c.n == 0)
        continue;
      curves[ns] = c;
      char *name = names[ns];
      if (ng == 1)
        host_metric_name(name, NAME_CHARS, keys[k]);
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
    const host_plot_run *r = &runs[members[start[g]]];
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
    host_metric_name(names[ns], NAME_CHARS, keys[k]);
    series[ns] = (rt_series){.name = names[ns], .color = RT_COLOR_GRAY, .dash = k};
    ns++;
  }
  char ylabel[NAME_CHARS];
  host_metric_name(ylabel, sizeof ylabel, nk == 1 ? keys[0] : "");
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

int host_plot_losses(const char *path, const char *experiment, const host_history *h,
                     rt_error *err) {
  char title[NAME_CHARS];
  snprintf(title, sizeof title, "%s: loss", experiment);
  host_plot_spec spec = {.title = title};
  host_plot_run run = {.h = h, .label = experiment};
  return host_plot_runs(path, &spec, &run, 1, err);
}
