/* normalize.c: the training set's per-channel statistics and their use on
 * every set, and their text in checkpoints and the run directory (see
 * host_norm.h). */
#include "host_norm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_report.h"

int host_norm_channels(const host_example *ex) {
  return ex->x_rank == 3 ? (int)ex->x_dims[0] : ex->x_rank == 1 ? (int)ex->x_dims[0] : 1;
}

/* "[v0, v1, ...]" of v[n] into a malloc-owned string. */
static char *list_text(const double *v, int n) {
  size_t cap = 2 + (size_t)n * 26, len = 0;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  len += (size_t)snprintf(s, cap, "[");
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(s + len, cap - len, "%s%.17g", i ? ", " : "", v[i]);
  snprintf(s + len, cap - len, "]");
  return s;
}

static int alloc_norm(host_norm *nm, const host_example *ex, rt_error *err) {
  *nm = (host_norm){.channels = host_norm_channels(ex)};
  nm->inner = host_numel(ex->x_rank, ex->x_dims) / nm->channels;
  nm->mean = calloc((size_t)nm->channels, sizeof *nm->mean);
  nm->sd = calloc((size_t)nm->channels, sizeof *nm->sd);
  if (nm->mean && nm->sd)
    return 0;
  rt_error_set(err, "out of memory");
  host_norm_free(nm);
  return -1;
}

static int make_texts(host_norm *nm, rt_error *err) {
  nm->mean_text = list_text(nm->mean, nm->channels);
  nm->sd_text = list_text(nm->sd, nm->channels);
  if (nm->mean_text && nm->sd_text)
    return 0;
  rt_error_set(err, "out of memory");
  host_norm_free(nm);
  return -1;
}

int host_norm_compute(host_norm *nm, const host_dataset *d, rt_error *err) {
  if (alloc_norm(nm, &d->ex, err) < 0)
    return -1;
  const long inner = nm->inner, numel = d->x_numel;
  double *sum = calloc((size_t)nm->channels, sizeof *sum);
  if (!sum) {
    host_norm_free(nm);
    rt_error_set(err, "out of memory");
    return -1;
  }
  /* two passes (mean, then squared deviations) in double */
  for (int pass = 0; pass < 2; pass++) {
    for (long i = 0; i < d->n; i++) {
      const float *x = d->norm_x + (size_t)(d->norm_idx ? d->norm_idx[i] : i) * (size_t)numel;
      for (long j = 0; j < numel; j++) {
        long c = j / inner;
        double v = x[j] - (pass ? nm->mean[c] : 0);
        sum[c] += pass ? v * v : v;
      }
    }
    double count = (double)d->n * (double)inner;
    for (int c = 0; c < nm->channels; c++) {
      if (pass == 0)
        nm->mean[c] = sum[c] / count;
      else
        nm->sd[c] = sum[c] > 0 ? sqrt(sum[c] / count) : 1;
      sum[c] = 0;
    }
  }
  free(sum);
  return make_texts(nm, err);
}

void host_norm_apply_reals(const host_norm *nm, void *x, long n, bool f64) {
  const long numel = nm->inner * nm->channels;
  for (long i = 0; i < n; i++)
    for (long j = 0; j < numel; j++) {
      long c = j / nm->inner;
      size_t at = (size_t)i * (size_t)numel + (size_t)j;
      if (f64)
        ((double *)x)[at] = (((double *)x)[at] - nm->mean[c]) / nm->sd[c];
      else
        ((float *)x)[at] = (float)((((float *)x)[at] - nm->mean[c]) / nm->sd[c]);
    }
}

void host_norm_apply(const host_norm *nm, host_dataset *d) {
  host_norm_apply_reals(nm, d->norm_x, d->norm_rows, false);
}

/* The numbers of "[a, b, ...]" into v[n]; -1 unless there are exactly n. */
static int parse_list(const char *s, double *v, int n) {
  const char *p = strchr(s, '[');
  int k = 0;
  if (!p)
    return -1;
  p++;
  while (k < n) {
    char *end;
    errno = 0;
    v[k] = strtod(p, &end);
    if (end == p || errno || !isfinite(v[k]))
      return -1;
    k++;
    p = end;
    while (*p == ' ')
      p++;
    if (*p != (k < n ? ',' : ']'))
      return -1;
    p++;
  }
  return 0;
}

int host_norm_parse(host_norm *nm, const host_example *ex, const char *mean, const char *sd,
                    rt_error *err) {
  if (alloc_norm(nm, ex, err) < 0)
    return -1;
  if (parse_list(mean, nm->mean, nm->channels) < 0 || parse_list(sd, nm->sd, nm->channels) < 0) {
    rt_error_set(err, "the normalization of the checkpoint is not %d means and deviations",
                 nm->channels);
    host_norm_free(nm);
    return -1;
  }
  for (int c = 0; c < nm->channels; c++)
    if (!(nm->sd[c] > 0)) {
      rt_error_set(err, "the normalization of the checkpoint has a deviation %g", nm->sd[c]);
      host_norm_free(nm);
      return -1;
    }
  return make_texts(nm, err);
}

int host_norm_write(const host_norm *nm, const char *dir, const host_example *ex, rt_error *err) {
  char path[4200];
  host_rundir_file(path, sizeof path, dir, HOST_NORM_FILE);
  FILE *f = fopen(path, "w");
  if (!f) {
    rt_error_set(err, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  fprintf(f,
          "{\"formula\": \"(x - mean[c]) / std[c]\", \"per\": \"%s\", \"channels\": %d, "
          "\"mean\": %s, \"std\": %s}\n",
          ex->x_rank == 3   ? "channel"
          : ex->x_rank == 1 ? "feature"
                            : "example",
          nm->channels, nm->mean_text, nm->sd_text);
  if (fclose(f) != 0) {
    rt_error_set(err, "writing %s failed", path);
    return -1;
  }
  return 0;
}

void host_norm_free(host_norm *nm) {
  free(nm->mean);
  free(nm->sd);
  free(nm->mean_text);
  free(nm->sd_text);
  *nm = (host_norm){0};
}
