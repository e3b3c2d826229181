/*
 * kernels_loss_impl.h - generic body of the softmax, cross-entropy and MSE
 * kernels. Losses are accumulated in double across rows.
 */
#include "kernels_common_impl.h"

RT_DISPATCH void FN(rt_softmax_xent_fwd)(const REAL *logits, const int32_t *labels, REAL *loss,
                                         long rows, long classes) {
  assert(rows > 0 && classes > 0);
  double total = 0;
  for (long r = 0; r < rows; r++) {
    const REAL *x = logits + r * classes;
    assert(labels[r] >= 0 && labels[r] < classes);
    total += (double)(FN(row_logsumexp)(x, classes) - x[labels[r]]);
  }
  *loss = (REAL)(total / rows);
}

RT_DISPATCH void FN(rt_softmax_xent_bwd)(const REAL *logits, const int32_t *labels, REAL dloss,
                                         REAL *dlogits, long rows, long classes) {
  assert(rows > 0 && classes > 0);
  const REAL g = dloss / (REAL)rows;
  for (long r = 0; r < rows; r++) {
    REAL *d = dlogits + r * classes;
    assert(labels[r] >= 0 && labels[r] < classes);
    FN(row_softmax)(logits + r * classes, d, classes, 1);
    for (long j = 0; j < classes; j++)
      d[j] *= g;
    d[labels[r]] -= g;
  }
}

RT_DISPATCH long FN(rt_count_correct)(const REAL *logits, const int32_t *labels, long rows,
                                      long classes) {
  assert(classes > 0);
  long correct = 0;
  for (long r = 0; r < rows; r++) {
    const REAL *x = logits + r * classes;
    long arg = 0;
    for (long j = 1; j < classes; j++)
      if (x[j] > x[arg])
        arg = j;
    correct += arg == labels[r];
  }
  return correct;
}

RT_DISPATCH void FN(rt_softmax_fwd)(const REAL *x, REAL *y, long rows, long cols, REAL scale) {
  assert(cols > 0);
  for (long r = 0; r < rows; r++)
    FN(row_softmax)(x + r * cols, y + r * cols, cols, scale);
}

RT_DISPATCH void FN(rt_softmax_bwd)(const REAL *y, const REAL *dy, REAL *dx, long rows, long cols,
                                    REAL scale) {
  for (long r = 0; r < rows; r++) {
    const REAL *yr = y + r * cols, *dyr = dy + r * cols;
    REAL *dxr = dx + r * cols;
    const REAL dot = FN(row_dot)(dyr, yr, cols);
    for (long j = 0; j < cols; j++)
      dxr[j] = scale * yr[j] * (dyr[j] - dot);
  }
}

RT_DISPATCH void FN(rt_mse_fwd)(const REAL *a, const REAL *b, REAL *loss, long count) {
  assert(count > 0);
  enum { CHUNK = 1024 };
  REAL diff[CHUNK];
  double total = 0;
  for (long i0 = 0; i0 < count; i0 += CHUNK) {
    const long len = count - i0 < CHUNK ? count - i0 : CHUNK;
    for (long i = 0; i < len; i++)
      diff[i] = a[i0 + i] - b[i0 + i];
    total += (double)FN(row_dot)(diff, diff, len);
  }
  *loss = (REAL)(total / count);
}

RT_DISPATCH void FN(rt_mse_bwd)(const REAL *a, const REAL *b, REAL dloss, REAL *da, long count) {
  assert(count > 0);
  const REAL g = 2 * dloss / (REAL)count;
  for (long i = 0; i < count; i++)
    da[i] = g * (a[i] - b[i]);
}
