/* summary.c: summary.json of a run (its settings, final and best
 * evaluation metrics from the history, and the timing fields last) and the
 * lines printed when a run ends. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_conv.h"
#include "host_report.h"

enum { MAX_FIELDS = 64 };

/* The status of s and the fields that go with it, into f. */
static size_t status_fields(const host_summary *s, rt_field *f) {
  size_t n = 0;
  f[n++] = RT_STR("status", s->status);
  if (strcmp(s->status, "stopped") == 0) {
    f[n++] = RT_INT("stopped_at_step", s->status_step);
  } else if (strcmp(s->status, "interrupted") == 0) {
    f[n++] = RT_INT("interrupted_at_step", s->status_step);
    f[n++] = RT_STR("signal", s->signal);
  } else if (strcmp(s->status, "diverged") == 0) {
    f[n++] = RT_INT("diverged_at_step", s->status_step);
    f[n++] = RT_STR("nonfinite", s->bad_tensor ? s->bad_tensor : "loss");
    if (s->bad_tensor)
      f[n++] = RT_INT("nonfinite_element", s->bad_element);
  }
  return n;
}

int host_summary_write(const char *path, const host_summary *s, const host_history *h,
                       const rt_field *extra, size_t nextra, rt_error *err) {
  rt_field *f = calloc(MAX_FIELDS + nextra, sizeof *f);
  if (!f)
    abort();
  char best[MAX_FIELDS][96];
  rt_field *picks;
  size_t n = 0;
  f[n++] = RT_STR("experiment", s->experiment);
  f[n++] = RT_STR("source", s->source);
  f[n++] = RT_STR("source_copy", s->source_copy);
  n += status_fields(s, f + n);
  f[n++] = RT_STR("dtype", s->dtype);
  f[n++] = RT_STR("gemm", s->gemm);
  n += host_conv_fields(f + n, &picks);
  f[n++] = RT_INT("seed", s->seed);
  f[n++] = RT_INT("batch", s->batch);
  f[n++] = RT_INT("params", s->params);
  f[n++] = RT_INT("optimizer_state_bytes", s->optimizer_state_bytes);
  f[n++] = RT_INT("steps", s->steps);
  f[n++] = RT_INT("total_steps", s->total_steps);
  f[n++] = RT_NUM("epochs", s->epochs);
  f[n++] = RT_NUM("train_loss", s->train_loss);
  f[n++] = RT_INT("train_loss_steps", s->train_loss_steps);
  for (int i = 0; i < h->n && n + 5 < MAX_FIELDS; i++) {
    const host_series *v = &h->s[i];
    if (!host_is_eval_key(v->key) || v->n == 0)
      continue;
    f[n++] = RT_NUM(v->key, v->y[v->n - 1]);
    if (strstr(v->key, "_accuracy")) {
      double b = v->y[0];
      for (long k = 1; k < v->n; k++)
        b = fmax(b, v->y[k]);
      size_t k = n;
      snprintf(best[k], sizeof best[k], "best_%s", v->key);
      f[n++] = RT_NUM(best[k], b);
    }
  }
  for (size_t i = 0; i < nextra; i++)
    f[n++] = extra[i];
  f[n++] = RT_NUM("ms_per_step", s->ms_per_step);
  f[n++] = RT_NUM("wall_s", s->wall_s);
  f[n++] = RT_NUM("compile_s", s->compile_s);
  int rc = rt_summary_write(path, f, n, err);
  free(picks);
  free(f);
  return rc;
}

void host_print_result(const host_summary *s, const host_history *h, const char *dir) {
  printf("%s: %ld steps (%.2f epochs) in %.1f s; compile %.2f s, %.2f ms/step\n", s->experiment,
         s->steps, s->epochs, s->wall_s, s->compile_s, s->ms_per_step);
  char num[RT_NUM_CHARS];
  printf("  train_loss %s (mean of the last %ld steps)", rt_num_text(num, s->train_loss),
         s->train_loss_steps);
  for (int i = 0; i < h->n; i++)
    if (host_is_eval_key(h->s[i].key) && h->s[i].n > 0)
      printf("  %s %s", h->s[i].key, rt_num_text(num, h->s[i].y[h->s[i].n - 1]));
  printf("\n  gemm %s\n", s->gemm);
  host_conv_print();
  printf("  run directory: %s\n", dir);
  fflush(stdout);
}
