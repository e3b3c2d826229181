/*
 * kernels_attention_impl.h - generic body of attention and RoPE.
 * Per (b, h) and per block of query rows [i0, i1), only key columns
 * [0, i1) are touched:
 *   fwd: S = q k^T, P = row-wise causal softmax(scale S), out = P v
 *   bwd: dv += P^T dout, dP = dout v^T, dS = scale P (dP - <dP, P>_row),
 *        dq = dS k, dk += dS^T q       (dS lives in ws: ATT_ROWS x T)
 */
#include "kernels_common_impl.h"

/* Row-major gemm on sub-matrices with explicit leading dimensions. */
static void FN(gemm_ld)(int ta, int tb, int m, int n, int k, const REAL *A, int lda, const REAL *B,
                        int ldb, REAL beta, REAL *C, int ldc) {
  BLAS(gemm)
  (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1, A,
   lda, B, ldb, beta, C, ldc);
}

size_t FN(rt_attention_ws)(int B, int H, int T, int D) {
  (void)B, (void)H, (void)D;
  return (size_t)(T < ATT_ROWS ? T : ATT_ROWS) * T;
}

void FN(rt_attention_fwd)(const REAL *q, const REAL *k, const REAL *v, REAL *out, REAL *probs,
                          int B, int H, int T, int D, REAL scale) {
  assert(B >= 0 && H >= 0 && T > 0 && D > 0);
  const long sx = (long)T * D, sp = (long)T * T;
  for (long p = 0; p < (long)B * H; p++) {
    const REAL *qp = q + p * sx, *kp = k + p * sx, *vp = v + p * sx;
    REAL *P = probs + p * sp, *op = out + p * sx;
    for (int i0 = 0; i0 < T; i0 += ATT_ROWS) {
      const int i1 = i0 + ATT_ROWS < T ? i0 + ATT_ROWS : T;
      REAL *Pb = P + (long)i0 * T;
      FN(gemm_ld)(0, 1, i1 - i0, i1, D, qp + (long)i0 * D, D, kp, D, 0, Pb, T);
      for (int i = i0; i < i1; i++) {
        REAL *row = P + (long)i * T;
        FN(row_softmax)(row, row, i + 1, scale);
        memset(row + i + 1, 0, sizeof(REAL) * (T - i - 1));
      }
      FN(gemm_ld)(0, 0, i1 - i0, D, i1, Pb, T, vp, D, 0, op + (long)i0 * D, D);
    }
  }
}

void FN(rt_attention_bwd)(const REAL *q, const REAL *k, const REAL *v, const REAL *probs,
                          const REAL *dout, REAL *dq, REAL *dk, REAL *dv, int B, int H, int T,
                          int D, REAL scale, REAL *ws) {
  assert(B >= 0 && H >= 0 && T > 0 && D > 0);
  const long sx = (long)T * D, sp = (long)T * T;
  memset(dk, 0, sizeof(REAL) * B * H * sx);
  memset(dv, 0, sizeof(REAL) * B * H * sx);
  for (long p = 0; p < (long)B * H; p++) {
    const REAL *qp = q + p * sx, *kp = k + p * sx, *vp = v + p * sx;
    const REAL *P = probs + p * sp, *dop = dout + p * sx;
    REAL *dqp = dq + p * sx, *dkp = dk + p * sx, *dvp = dv + p * sx;
    for (int i0 = 0; i0 < T; i0 += ATT_ROWS) {
      const int i1 = i0 + ATT_ROWS < T ? i0 + ATT_ROWS : T, rows = i1 - i0;
      const REAL *Pb = P + (long)i0 * T, *dob = dop + (long)i0 * D;
      /* dv[0:i1] += P[i0:i1, 0:i1]^T dout[i0:i1] */
      FN(gemm_ld)(1, 0, i1, D, rows, Pb, T, dob, D, 1, dvp, D);
      /* ws = dP[i0:i1, 0:i1] = dout[i0:i1] v[0:i1]^T, then dS */
      FN(gemm_ld)(0, 1, rows, i1, D, dob, D, vp, D, 0, ws, T);
      for (int i = i0; i < i1; i++) {
        const REAL *pr = P + (long)i * T;
        REAL *dr = ws + (long)(i - i0) * T;
        const REAL dot = FN(row_dot)(dr, pr, i + 1);
        for (int j = 0; j <= i; j++)
          dr[j] = scale * pr[j] * (dr[j] - dot);
        for (int j = i + 1; j < i1; j++)
          dr[j] = 0;
      }
      FN(gemm_ld)(0, 0, rows, D, i1, ws, T, kp, D, 0, dqp + (long)i0 * D, D);
      FN(gemm_ld)(1, 0, i1, D, rows, ws, T, qp + (long)i0 * D, D, 1, dkp, D);
    }
  }
}

/* y = x rotated by angle dir * t * base^(-2i/D) on each pair (2i, 2i+1). */
static void FN(rope_rotate)(const REAL *x, REAL *y, int B, int H, int T, int D, REAL base,
                            double dir) {
  assert(D > 0 && D % 2 == 0 && T > 0);
  REAL cs[ROPE_PAIRS], sn[ROPE_PAIRS];
  double inv_freq[ROPE_PAIRS];
  const int half = D / 2;
  for (int i0 = 0; i0 < half; i0 += ROPE_PAIRS) {
    const int np = half - i0 < ROPE_PAIRS ? half - i0 : ROPE_PAIRS;
    for (int i = 0; i < np; i++)
      inv_freq[i] = pow((double)base, -2.0 * (i0 + i) / D);
    for (int t = 0; t < T; t++) {
      for (int i = 0; i < np; i++) {
        cs[i] = (REAL)cos(t * inv_freq[i]);
        sn[i] = (REAL)(dir * sin(t * inv_freq[i]));
      }
      for (long p = 0; p < (long)B * H; p++) {
        const long at = (p * T + t) * D + 2L * i0;
        const REAL *xr = x + at;
        REAL *yr = y + at;
        for (int i = 0; i < np; i++) {
          const REAL a = xr[2 * i], b = xr[2 * i + 1];
          yr[2 * i] = a * cs[i] - b * sn[i];
          yr[2 * i + 1] = a * sn[i] + b * cs[i];
        }
      }
    }
  }
}

void FN(rt_rope_fwd)(const REAL *x, REAL *y, int B, int H, int T, int D, REAL base) {
  FN(rope_rotate)(x, y, B, H, T, D, base, 1.0);
}

void FN(rt_rope_bwd)(const REAL *dy, REAL *dx, int B, int H, int T, int D, REAL base) {
  FN(rope_rotate)(dy, dx, B, H, T, D, base, -1.0);
}
