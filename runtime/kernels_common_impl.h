/*
 * kernels_common_impl.h - small generic helpers shared by the kernel bodies:
 * row reductions written with 8 independent partial results (so they
 * vectorize without -ffast-math), a numerically stable softmax row (e^x of
 * kernels_exp.h in float, so that it vectorizes too; libm's in double), a
 * cache-blocked transpose and the mirroring of a symmetric matrix's upper
 * triangle. Included (per type) by the *_impl.h files.
 */
#include <string.h>

#include "kernels_bf16.h"
#include "kernels_exp.h"

#ifndef RT_LANES
#define RT_LANES 8
#endif

static inline REAL FN(row_sum)(const REAL *x, long n) {
  REAL acc[RT_LANES] = {0};
  long i = 0;
  for (; i + RT_LANES <= n; i += RT_LANES)
    for (int l = 0; l < RT_LANES; l++)
      acc[l] += x[i + l];
  REAL s = 0;
  for (; i < n; i++)
    s += x[i];
  for (int l = 0; l < RT_LANES; l++)
    s += acc[l];
  return s;
}

static inline REAL FN(row_dot)(const REAL *x, const REAL *y, long n) {
  REAL acc[RT_LANES] = {0};
  long i = 0;
  for (; i + RT_LANES <= n; i += RT_LANES)
    for (int l = 0; l < RT_LANES; l++)
      acc[l] += x[i + l] * y[i + l];
  REAL s = 0;
  for (; i < n; i++)
    s += x[i] * y[i];
  for (int l = 0; l < RT_LANES; l++)
    s += acc[l];
  return s;
}

/* sum_i y[i] * (x[i] - shift), without the cancellation of
 * <y, x> - shift * sum(y). */
static inline REAL FN(row_dot_shifted)(const REAL *y, const REAL *x, REAL shift, long n) {
  REAL acc[RT_LANES] = {0};
  long i = 0;
  for (; i + RT_LANES <= n; i += RT_LANES)
    for (int l = 0; l < RT_LANES; l++)
      acc[l] += y[i + l] * (x[i + l] - shift);
  REAL s = 0;
  for (; i < n; i++)
    s += y[i] * (x[i] - shift);
  for (int l = 0; l < RT_LANES; l++)
    s += acc[l];
  return s;
}

/* Largest element of x[0..n), n >= 1. */
static inline REAL FN(row_max)(const REAL *x, long n) {
  REAL acc[RT_LANES];
  for (int l = 0; l < RT_LANES; l++)
    acc[l] = x[0];
  long i = 0;
  for (; i + RT_LANES <= n; i += RT_LANES)
    for (int l = 0; l < RT_LANES; l++)
      acc[l] = x[i + l] > acc[l] ? x[i + l] : acc[l];
  REAL m = x[0];
  for (; i < n; i++)
    m = x[i] > m ? x[i] : m;
  for (int l = 0; l < RT_LANES; l++)
    m = acc[l] > m ? acc[l] : m;
  return m;
}

static inline REAL FN(row_exp)(REAL x) { return _Generic(x, float : rt_exp_f32, default : exp)(x); }

/* log(sum_i exp(x[i])), stable; n >= 1. */
static inline REAL FN(row_logsumexp)(const REAL *x, long n) {
  const REAL m = FN(row_max)(x, n);
  REAL acc[RT_LANES] = {0};
  long i = 0;
  for (; i + RT_LANES <= n; i += RT_LANES)
    for (int l = 0; l < RT_LANES; l++)
      acc[l] += FN(row_exp)(x[i + l] - m);
  REAL s = 0;
  for (; i < n; i++)
    s += FN(row_exp)(x[i] - m);
  for (int l = 0; l < RT_LANES; l++)
    s += acc[l];
  return m + log(s);
}

/* y = softmax(scale * x) over n >= 1 entries; y may equal x. */
static inline void FN(row_softmax)(const REAL *x, REAL *y, long n, REAL scale) {
  for (long i = 0; i < n; i++)
    y[i] = scale * x[i];
  const REAL m = FN(row_max)(y, n);
  for (long i = 0; i < n; i++)
    y[i] = FN(row_exp)(y[i] - m);
  const REAL inv = 1 / FN(row_sum)(y, n);
  for (long i = 0; i < n; i++)
    y[i] *= inv;
}

/* dst [cols x rows] = src [rows x cols]^T * alpha, in 32 x 32 tiles. */
static inline void FN(transpose)(const REAL *src, REAL *dst, long rows, long cols, REAL alpha) {
  enum { TILE = 32 };
  for (long r0 = 0; r0 < rows; r0 += TILE)
    for (long c0 = 0; c0 < cols; c0 += TILE) {
      const long r1 = r0 + TILE < rows ? r0 + TILE : rows;
      const long c1 = c0 + TILE < cols ? c0 + TILE : cols;
      for (long c = c0; c < c1; c++)
        for (long r = r0; r < r1; r++)
          dst[c * rows + r] = alpha * src[r * cols + c];
    }
}

/* Row-major s x s matrix with only its upper triangle set: copy it into
 * the lower triangle, in 32 x 32 tiles. */
RT_DEFINE_MIRROR_UPPER(FN(symmetrize_upper), REAL)
