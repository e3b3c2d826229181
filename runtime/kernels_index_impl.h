/*
 * kernels_index_impl.h - generic body of the index kernels (order of
 * values in rt_kernels.h: larger first, NaN last, ties by column).
 */

/* Whether a comes before b: a > b, or b is NaN and a is not. */
static int FN(before)(REAL a, REAL b) { return a > b || (b != b && a == a); }

void FN(rt_argmax)(const REAL *x, int32_t *idx, long rows, long cols) {
  assert(cols >= 1);
  for (long r = 0; r < rows; r++) {
    const REAL *row = x + r * cols;
    long best = 0;
    for (long j = 1; j < cols; j++)
      if (FN(before)(row[j], row[best]))
        best = j;
    idx[r] = (int32_t)best;
  }
}

void FN(rt_one_hot)(const int32_t *index, REAL *y, long count, long n) {
  memset(y, 0, sizeof(REAL) * (size_t)(count * n));
  for (long i = 0; i < count; i++)
    if (index[i] >= 0 && index[i] < n)
      y[i * n + index[i]] = 1;
}

/* Keeps the k first values of each row sorted by insertion: a value goes
 * after every kept value it does not come before (so ties keep column
 * order) and is dropped past position k. */
void FN(rt_topk)(const REAL *x, REAL *values, int32_t *indices, long rows, long cols, int k) {
  assert(k >= 1 && k <= cols);
  for (long r = 0; r < rows; r++) {
    const REAL *row = x + r * cols;
    REAL *v = values + r * k;
    int32_t *ix = indices + r * k;
    int kept = 0;
    for (long j = 0; j < cols; j++) {
      int p = kept;
      while (p > 0 && FN(before)(row[j], v[p - 1]))
        p--;
      if (p == k)
        continue;
      int last = kept < k ? kept : k - 1;
      for (int q = last; q > p; q--) {
        v[q] = v[q - 1];
        ix[q] = ix[q - 1];
      }
      v[p] = row[j];
      ix[p] = (int32_t)j;
      kept += kept < k;
    }
  }
}

void FN(rt_topk_bwd)(const int32_t *indices, const REAL *dvalues, REAL *dx, long rows, long cols,
                     int k) {
  memset(dx, 0, sizeof(REAL) * (size_t)(rows * cols));
  for (long r = 0; r < rows; r++)
    for (int j = 0; j < k; j++) {
      assert(indices[r * k + j] >= 0 && indices[r * k + j] < cols);
      dx[r * cols + indices[r * k + j]] = dvalues[r * k + j];
    }
}
