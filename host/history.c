/* history.c: a run's history read back from metrics.jsonl (every
 * numeric field of every line, as a series over steps), so that the report
 * and plots of a resumed run cover the whole run; and the plot of a family
 * of tracked series (singular values, head ablations). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_report.h"

static void *grow(void *p, long n, size_t size) {
  void *q = realloc(p, (size_t)n * size);
  if (!q)
    abort();
  return q;
}

static host_series *series_for(host_history *h, const char *key, size_t len) {
  for (int i = 0; i < h->n; i++)
    if (strlen(h->s[i].key) == len && strncmp(h->s[i].key, key, len) == 0)
      return &h->s[i];
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 8;
    h->s = grow(h->s, h->cap, sizeof *h->s);
  }
  host_series *s = &h->s[h->n++];
  *s = (host_series){.key = grow(NULL, (long)len + 1, 1)};
  memcpy(s->key, key, len);
  s->key[len] = 0;
  return s;
}

static void add_point(host_series *s, double x, double y) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->x = grow(s->x, s->cap, sizeof *s->x);
    s->y = grow(s->y, s->cap, sizeof *s->y);
  }
  s->x[s->n] = x;
  s->y[s->n++] = y;
}

/* One flat JSON object as written by rt_metrics_log: "key":value pairs with
 * numbers, null or strings. Numeric fields are added at x = "step". */
static void read_line(host_history *h, const char *line) {
  const char *sp = strstr(line, "\"step\":");
  if (!sp)
    return;
  double step = strtod(sp + 7, NULL);
  const char *p = strchr(line, '{');
  while (p && (p = strchr(p, '"'))) {
    const char *key = p + 1, *end = strchr(key, '"');
    if (!end || end[1] != ':')
      return;
    p = end + 2;
    if (*p == '"') { /* a string value: skip it */
      p = strchr(p + 1, '"');
      p = p ? p + 1 : NULL;
      continue;
    }
    char *after;
    double v = strtod(p, &after);
    if (after != p && strncmp(key, "step\"", 5) != 0)
      add_point(series_for(h, key, (size_t)(end - key)), step, v);
    p = strchr(p, ',');
  }
}

int host_history_read(host_history *h, const char *path, rt_error *err) {
  *h = (host_history){0};
  FILE *f = fopen(path, "r");
  if (!f) {
    rt_error_set(err, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t len = 0;
  while (getline(&line, &len, f) > 0)
    read_line(h, line);
  free(line);
  fclose(f);
  return 0;
}

const host_series *host_history_get(const host_history *h, const char *key) {
  for (int i = 0; i < h->n; i++)
    if (strcmp(h->s[i].key, key) == 0)
      return &h->s[i];
  return NULL;
}

void host_history_free(host_history *h) {
  for (int i = 0; i < h->n; i++) {
    free(h->s[i].key);
    free(h->s[i].x);
    free(h->s[i].y);
  }
  free(h->s);
  *h = (host_history){0};
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcmp(s + n - k, suffix) == 0;
}

bool host_is_eval_key(const char *key) {
  return ends_with(key, "_loss") || ends_with(key, "_accuracy");
}

int host_plot_family(const char *path, const rt_plot_opts *po, bool (*member)(const char *key),
                     const host_history *const *runs, const char *const *labels, int n,
                     rt_error *err) {
  size_t cap = 1;
  for (int r = 0; r < n; r++)
    cap += runs[r] ? (size_t)runs[r]->n : 0;
  rt_series *series = calloc(cap, sizeof *series);
  char(*names)[128] = calloc(cap, sizeof *names);
  if (!series || !names)
    abort();
  size_t ns = 0;
  for (int r = 0; r < n; r++)
    for (int i = 0; runs[r] && i < runs[r]->n; i++) {
      const host_series *s = &runs[r]->s[i];
      if (!member(s->key))
        continue;
      if (labels)
        snprintf(names[ns], sizeof names[ns], "%s %s", labels[r], s->key);
      else
        snprintf(names[ns], sizeof names[ns], "%s", s->key);
      series[ns] = (rt_series){.name = names[ns], .x = s->x, .y = s->y, .n = (size_t)s->n};
      ns++;
    }
  int rc = ns ? rt_svg_plot(path, po, series, ns, err) : 0;
  free(series);
  free(names);
  return rc;
}
