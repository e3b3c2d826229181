/*
 * kernels_attention_impl.h - generic body of attention and RoPE.
 * Queries q [Tq, D], keys and values k, v [Tk, D] per (b, h); causal
 * (Tq == Tk): query i sees keys 0..i, else every key. Per block of query
 * rows [i0, i1), only key columns [0, cols) are touched (cols = i1 when
 * causal, else Tk):
 *   fwd: S = q k^T, P = row-wise (causal) softmax(scale S), out = P v
 *   bwd: dv += P^T dout, dP = dout v^T, dS = scale P (dP - <dP, P>_row),
 *        dq = dS k, dk += dS^T q       (dS lives in ws: ATT_ROWS x Tk)
 * With a single block (Tq <= ATT_ROWS) each of these products is one
 * batched call over all (b, h), and ws holds dS of all of them.
 */
#include "kernels_common_impl.h"

/* Row-major gemm on sub-matrices with explicit leading dimensions. */
static void FN(gemm_ld)(int ta, int tb, int m, int n, int k, const REAL *A, int lda, const REAL *B,
                        int ldb, REAL beta, REAL *C, int ldc) {
  BLAS(gemm)
  (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1, A,
   lda, B, ldb, beta, C, ldc);
}

/* When all query rows fit in one block, every product is one call over
 * all (b, h) (FN(rt_gemm), on the runtime's GEMM backend): the same
 * products as one block per (b, h), without a call per pair. */
static int FN(att_whole)(int Tq) { return Tq <= ATT_ROWS; }

size_t FN(rt_attention_ws)(int B, int H, int Tq, int Tk, int D) {
  (void)D;
  return FN(att_whole)(Tq) ? (size_t)B * H * Tq * Tk : (size_t)ATT_ROWS * Tk;
}

/* Rows [i0, i1) of P (row length Tk): P = softmax(scale P) over the first
 * n = i + 1 (causal) or Tk entries of row i, the rest 0. */
static void FN(att_softmax_rows)(REAL *P, int i0, int i1, int Tk, REAL scale, int causal) {
  for (int i = i0; i < i1; i++) {
    REAL *row = P + (long)(i - i0) * Tk;
    const int n = causal ? i + 1 : Tk;
    FN(row_softmax)(row, row, n, scale);
    memset(row + n, 0, sizeof(REAL) * (Tk - n));
  }
}

/* Rows [i0, i1) of dS = scale P (dP - <dP, P>_row), in place of dP (row
 * length Tk, the first `cols` entries written; above the causal diagonal 0). */
static void FN(att_dsoft_rows)(const REAL *P, REAL *dP, int i0, int i1, int Tk, int cols,
                               REAL scale, int causal) {
  for (int i = i0; i < i1; i++) {
    const REAL *pr = P + (long)(i - i0) * Tk;
    REAL *dr = dP + (long)(i - i0) * Tk;
    const int n = causal ? i + 1 : Tk;
    const REAL dot = FN(row_dot)(dr, pr, n);
    for (int j = 0; j < n; j++)
      dr[j] = scale * pr[j] * (dr[j] - dot);
    for (int j = n; j < cols; j++)
      dr[j] = 0;
  }
}

void FN(rt_attention_fwd)(const REAL *q, const REAL *k, const REAL *v, REAL *out, REAL *probs,
                          int B, int H, int Tq, int Tk, int D, REAL scale, int causal) {
  assert(B >= 0 && H >= 0 && Tq > 0 && Tk > 0 && D > 0 && (!causal || Tq == Tk));
  const long sq = (long)Tq * D, sk = (long)Tk * D, sp = (long)Tq * Tk;
  const int BH = B * H;
  if (FN(att_whole)(Tq)) {
    FN(rt_gemm)(0, 1, Tq, Tk, D, 1, q, sq, k, sk, 0, probs, sp, BH);
    for (long p = 0; p < BH; p++)
      FN(att_softmax_rows)(probs + p * sp, 0, Tq, Tk, scale, causal);
    FN(rt_gemm)(0, 0, Tq, D, Tk, 1, probs, sp, v, sk, 0, out, sq, BH);
    return;
  }
  for (long p = 0; p < BH; p++) {
    const REAL *qp = q + p * sq, *kp = k + p * sk, *vp = v + p * sk;
    REAL *P = probs + p * sp, *op = out + p * sq;
    for (int i0 = 0; i0 < Tq; i0 += ATT_ROWS) {
      const int i1 = i0 + ATT_ROWS < Tq ? i0 + ATT_ROWS : Tq, cols = causal ? i1 : Tk;
      REAL *Pb = P + (long)i0 * Tk;
      FN(gemm_ld)(0, 1, i1 - i0, cols, D, qp + (long)i0 * D, D, kp, D, 0, Pb, Tk);
      FN(att_softmax_rows)(Pb, i0, i1, Tk, scale, causal);
      FN(gemm_ld)(0, 0, i1 - i0, D, cols, Pb, Tk, vp, D, 0, op + (long)i0 * D, D);
    }
  }
}

void FN(rt_attention_bwd)(const REAL *q, const REAL *k, const REAL *v, const REAL *probs,
                          const REAL *dout, REAL *dq, REAL *dk, REAL *dv, int B, int H, int Tq,
                          int Tk, int D, REAL scale, int causal, REAL *ws) {
  assert(B >= 0 && H >= 0 && Tq > 0 && Tk > 0 && D > 0 && (!causal || Tq == Tk));
  const long sq = (long)Tq * D, sk = (long)Tk * D, sp = (long)Tq * Tk;
  const int BH = B * H;
  memset(dk, 0, sizeof(REAL) * BH * sk);
  memset(dv, 0, sizeof(REAL) * BH * sk);
  if (FN(att_whole)(Tq)) { /* the block loop's products with i0 = 0, i1 = cols = Tq */
    FN(rt_gemm)(1, 0, Tk, D, Tq, 1, probs, sp, dout, sq, 1, dv, sk, BH);
    FN(rt_gemm)(0, 1, Tq, Tk, D, 1, dout, sq, v, sk, 0, ws, sp, BH);
    for (long p = 0; p < BH; p++)
      FN(att_dsoft_rows)(probs + p * sp, ws + p * sp, 0, Tq, Tk, Tk, scale, causal);
    FN(rt_gemm)(0, 0, Tq, D, Tk, 1, ws, sp, k, sk, 0, dq, sq, BH);
    FN(rt_gemm)(1, 0, Tk, D, Tq, 1, ws, sp, q, sq, 1, dk, sk, BH);
    return;
  }
  for (long p = 0; p < BH; p++) {
    const REAL *qp = q + p * sq, *kp = k + p * sk, *vp = v + p * sk;
    const REAL *P = probs + p * sp, *dop = dout + p * sq;
    REAL *dqp = dq + p * sq, *dkp = dk + p * sk, *dvp = dv + p * sk;
    for (int i0 = 0; i0 < Tq; i0 += ATT_ROWS) {
      const int i1 = i0 + ATT_ROWS < Tq ? i0 + ATT_ROWS : Tq, rows = i1 - i0;
      const int cols = causal ? i1 : Tk;
      const REAL *Pb = P + (long)i0 * Tk, *dob = dop + (long)i0 * D;
      /* dv[0:cols] += P[i0:i1, 0:cols]^T dout[i0:i1] */
      FN(gemm_ld)(1, 0, cols, D, rows, Pb, Tk, dob, D, 1, dvp, D);
      /* ws = dP[i0:i1, 0:cols] = dout[i0:i1] v[0:cols]^T, then dS */
      FN(gemm_ld)(0, 1, rows, cols, D, dob, D, vp, D, 0, ws, Tk);
      FN(att_dsoft_rows)(Pb, ws, i0, i1, Tk, cols, scale, causal);
      FN(gemm_ld)(0, 0, rows, D, cols, ws, Tk, kp, D, 0, dqp + (long)i0 * D, D);
      FN(gemm_ld)(1, 0, cols, D, rows, ws, Tk, qp + (long)i0 * D, D, 1, dkp, D);
    }
  }
}

/* The rotations of RoPE for t < T and pairs i < D/2, rows of D/2: cos,
 * sin and -sin of t base^(-2i/D), computed in double and rounded once.
 * cos and sin cost more than the rotation itself (about 70% of a call at
 * B H T D = 12 4 64 32), so the table is kept from call to call while T,
 * D and base stay the same (a step's rope and rope_bwd calls share it; the
 * runtime runs on one thread). */
static const REAL *FN(rope_table)(int T, int D, REAL base) {
  static struct {
    int T, D;
    REAL base;
    REAL *tab;
  } kept;
  const long n = (long)T * (D / 2);
  if (kept.tab && kept.T == T && kept.D == D && kept.base == base)
    return kept.tab;
  free(kept.tab);
  kept.tab = malloc(3 * (size_t)n * sizeof(REAL));
  if (!kept.tab) {
    fprintf(stderr, "duet runtime: out of memory for a RoPE table of %ld rotations\n", n);
    abort();
  }
  kept.T = T, kept.D = D, kept.base = base;
  for (int i = 0; i < D / 2; i++) {
    const double inv_freq = pow((double)base, -2.0 * i / D);
    for (int t = 0; t < T; t++) {
      const long at = (long)t * (D / 2) + i;
      kept.tab[at] = (REAL)cos(t * inv_freq);
      kept.tab[n + at] = (REAL)sin(t * inv_freq);
      kept.tab[2 * n + at] = -kept.tab[n + at];
    }
  }
  return kept.tab;
}

/* y = x rotated by angle dir * t * base^(-2i/D) on each pair (2i, 2i+1);
 * x and y are views with strides (sB, sH, sT), each row of D contiguous. */
static void FN(rope_rotate)(const REAL *x, long xsB, long xsH, long xsT, REAL *y, long ysB,
                            long ysH, long ysT, int B, int H, int T, int D, REAL base, int dir) {
  assert(D > 0 && D % 2 == 0 && T > 0);
  const int half = D / 2;
  const REAL *tab = FN(rope_table)(T, D, base);
  for (int t = 0; t < T; t++) {
    const REAL *cs = tab + (long)t * half, *sn = tab + (long)((dir > 0 ? T : 2 * T) + t) * half;
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++) {
        const REAL *xr = x + b * xsB + h * xsH + t * xsT;
        REAL *yr = y + b * ysB + h * ysH + t * ysT;
        for (int i = 0; i < half; i++) {
          const REAL a = xr[2 * i], c = xr[2 * i + 1];
          yr[2 * i] = a * cs[i] - c * sn[i];
          yr[2 * i + 1] = a * sn[i] + c * cs[i];
        }
      }
  }
}

void FN(rt_rope_fwd)(const REAL *x, long x_sB, long x_sH, long x_sT, REAL *y, long y_sB, long y_sH,
                     long y_sT, int B, int H, int T, int D, REAL base) {
  FN(rope_rotate)(x, x_sB, x_sH, x_sT, y, y_sB, y_sH, y_sT, B, H, T, D, base, 1);
}

void FN(rt_rope_bwd)(const REAL *dy, long dy_sB, long dy_sH, long dy_sT, REAL *dx, long dx_sB,
                     long dx_sH, long dx_sT, int B, int H, int T, int D, REAL base) {
  FN(rope_rotate)(dy, dy_sB, dy_sH, dy_sT, dx, dx_sB, dx_sH, dx_sT, B, H, T, D, base, -1);
}
