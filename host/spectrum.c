/* spectrum.c: singular values of a product of weight matrices, read from
 * a model's state in double precision (rt_product_singular_values), and
 * their plot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_evaluate.h"
#include "rt_linalg.h"

int host_spectrum_eval(const host_model *m, const host_spectrum *sp, double *sv) {
  const int n = sp->nweights;
  double **mats = calloc((size_t)n, sizeof *mats);
  int *rows = calloc((size_t)n, sizeof *rows), *cols = calloc((size_t)n, sizeof *cols);
  if (!mats || !rows || !cols)
    abort();
  for (int i = 0; i < n; i++) {
    const host_tensor *w = host_model_tensor(m, sp->weights[i]);
    rows[i] = w ? (int)w->shape[0] : 1;
    cols[i] = w ? (int)(w->count / w->shape[0]) : 1;
    mats[i] = malloc((size_t)rows[i] * cols[i] * sizeof **mats);
    if (!mats[i])
      abort();
    for (long j = 0; j < (long)rows[i] * cols[i]; j++)
      mats[i][j] = !w ? NAN : m->f64 ? ((const double *)w->data)[j] : ((const float *)w->data)[j];
  }
  const int k = rows[n - 1] < cols[0] ? rows[n - 1] : cols[0];
  double *s = malloc((size_t)k * sizeof *s);
  if (!s)
    abort();
  if (rt_product_singular_values(n, (const double *const *)mats, rows, cols, s) < 0)
    for (int i = 0; i < k; i++)
      s[i] = NAN;
  int count = k < HOST_MAX_SV ? k : HOST_MAX_SV;
  memcpy(sv, s, (size_t)count * sizeof *sv);
  for (int i = 0; i < n; i++)
    free(mats[i]);
  free(mats);
  free(rows);
  free(cols);
  free(s);
  return count;
}

void host_sv_key(char *out, size_t cap, int j) { snprintf(out, cap, "sv%d", j); }

/* "sv<j>", j from 1 */
static bool is_sv_key(const char *key) {
  return strncmp(key, "sv", 2) == 0 && key[2] >= '1' && key[2] <= '9' &&
         strspn(key + 2, "0123456789") == strlen(key + 2);
}

int host_plot_spectra(const char *path, const host_history *const *runs, const char *const *labels,
                      int n, rt_error *err) {
  rt_plot_opts po = {
      .title = "singular values of the product", .xlabel = "step", .ylabel = "singular value"};
  return host_plot_family(path, &po, is_sv_key, runs, labels, n, err);
}
