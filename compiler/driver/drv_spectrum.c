/* drv_spectrum.c: singular values of a product of weight matrices, read
 * from a compiled program's state (in double precision: one GEMM per
 * factor, then LAPACK's SVD without vectors), and their plot. */
#include "drv_spectrum.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Weight w of the state as doubles (rows x cols), newly allocated. */
static double *weight_f64(const drv_machine *m, const mt_weight *w) {
  long count;
  const void *data = core_tensor_data(m->exe, m->arena, w->path, &count);
  double *out = malloc((size_t)w->numel * sizeof *out);
  if (!out)
    abort();
  for (long i = 0; i < w->numel; i++)
    out[i] = !data || count != w->numel ? NAN
             : m->real == IR_F64        ? ((const double *)data)[i]
                                        : ((const float *)data)[i];
  return out;
}

int drv_spectrum_eval(const drv_machine *m, const sema_spectrum *sp, double *sv) {
  const int cols = (int)sp->cols;
  double *p = weight_f64(m, sp->weights[0]);
  for (int i = 1; i < sp->nweights; i++) {
    const mt_weight *w = sp->weights[i];
    const int out = (int)w->dims[0], in = (int)w->dims[1];
    double *wi = weight_f64(m, w), *next = malloc((size_t)out * cols * sizeof *next);
    if (!next)
      abort();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, out, cols, in, 1.0, wi, in, p, cols, 0.0,
                next, cols);
    free(wi);
    free(p);
    p = next;
  }
  const int rows = (int)sp->rows, k = rows < cols ? rows : cols;
  double *s = malloc((size_t)k * sizeof *s);
  if (!s)
    abort();
  bool finite = true;
  for (long i = 0; i < (long)rows * cols; i++)
    finite = finite && isfinite(p[i]);
  /* the row-major product read column-major is its transpose, which has
   * the same singular values */
  if (!finite || LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', cols, rows, p, cols, s, NULL, 1, NULL, 1))
    for (int i = 0; i < k; i++)
      s[i] = NAN;
  int n = k < DRV_MAX_SV ? k : DRV_MAX_SV;
  memcpy(sv, s, (size_t)n * sizeof *sv);
  free(s);
  free(p);
  return n;
}

void drv_sv_key(char *out, size_t cap, int j) { snprintf(out, cap, "sv%d", j); }

/* "sv<j>", j from 1 */
static bool is_sv_key(const char *key) {
  return strncmp(key, "sv", 2) == 0 && key[2] >= '1' && key[2] <= '9' &&
         strspn(key + 2, "0123456789") == strlen(key + 2);
}

int drv_plot_spectra(const char *path, const drv_history *const *runs, const char *const *labels,
                     int n, rt_error *err) {
  rt_plot_opts po = {
      .title = "singular values of the product", .xlabel = "step", .ylabel = "singular value"};
  return drv_plot_family(path, &po, is_sv_key, runs, labels, n, err);
}
