/*
 * kernels_init_impl.h - generic body of the initializers.
 */
#include "kernels_common_impl.h"

/* x[i] = shift + scale * draw(element first + i), for i < count. */
static void FN(fill)(REAL *x, size_t count, uint64_t first, double shift, double scale,
                     uint64_t seed, uint64_t stream, philox_draw4 draw) {
  size_t i = 0;
  while (i < count) {
    const uint64_t g = first + i;
    double v[4];
    draw(seed, stream, g / 4, v);
    for (unsigned lane = (unsigned)(g % 4); lane < 4 && i < count; lane++)
      x[i++] = (REAL)(shift + scale * v[lane]);
  }
}

void FN(rt_init_normal)(REAL *x, size_t count, REAL mean, REAL std, uint64_t seed,
                        uint64_t stream) {
  FN(fill)(x, count, 0, mean, std, seed, stream, philox_normal4);
}

void FN(rt_init_uniform)(REAL *x, size_t count, REAL lo, REAL hi, uint64_t seed, uint64_t stream) {
  FN(fill)(x, count, 0, lo, (double)hi - (double)lo, seed, stream, philox_uniform4);
}

/* ws: q [l s] (column-major l x s, l >= s), tau [s], sign [s], work. */
static size_t FN(qr_lwork)(int l, int s) {
  REAL dummy = 0, q1 = 0, q2 = 0;
  LAPACK(geqrf_work)(LAPACK_COL_MAJOR, l, s, &dummy, l, &dummy, &q1, -1);
  LAPACK(orgqr_work)(LAPACK_COL_MAJOR, l, s, s, &dummy, l, &dummy, &q2, -1);
  const REAL q = q1 > q2 ? q1 : q2;
  return (size_t)q + (size_t)(q * 1e-6) + 1;
}

size_t FN(rt_init_orthogonal_ws)(int m, int n) {
  const int s = m < n ? m : n, l = m < n ? n : m;
  return (size_t)l * s + 2 * (size_t)s + FN(qr_lwork)(l, s);
}

void FN(rt_init_orthogonal)(REAL *W, int batch, int m, int n, REAL scale, uint64_t seed,
                            uint64_t stream, REAL *ws) {
  assert(m > 0 && n > 0 && batch >= 0);
  const int s = m < n ? m : n, l = m < n ? n : m;
  const size_t lwork = FN(qr_lwork)(l, s);
  const long mn = (long)m * n;
  REAL *q = ws, *tau = q + mn, *sign = tau + s, *work = sign + s;
  for (int b = 0; b < batch; b++) {
    REAL *Wb = W + b * mn;
    /* A Gaussian l x s matrix (i.i.d., so its layout is immaterial). */
    FN(fill)(q, (size_t)mn, (uint64_t)b * mn, 0, 1, seed, stream, philox_normal4);
    lapack_int info =
        LAPACK(geqrf_work)(LAPACK_COL_MAJOR, l, s, q, l, tau, work, (lapack_int)lwork);
    for (int j = 0; j < s; j++)
      sign[j] = q[(long)j * l + j] < 0 ? -scale : scale;
    if (info == 0)
      info = LAPACK(orgqr_work)(LAPACK_COL_MAJOR, l, s, s, q, l, tau, work, (lapack_int)lwork);
    if (info != 0) {
      for (long i = 0; i < mn; i++)
        Wb[i] = NAN;
      continue;
    }
    /* Column j of Q (contiguous, length l) times sign(R_jj) * scale. */
    for (int j = 0; j < s; j++)
      for (int i = 0; i < l; i++)
        q[(long)j * l + i] *= sign[j];
    /* m <= n: W (s x l, rows orthonormal) is Q^T, i.e. q as stored;
         * m > n: W (l x s, columns orthonormal) is Q, the transpose. */
    if (m <= n)
      memcpy(Wb, q, sizeof(REAL) * mn);
    else
      FN(transpose)(q, Wb, s, l, 1);
  }
}
