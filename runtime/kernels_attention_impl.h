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
 * call over a [B, H] batch (att_gemm), and ws holds dS of all pairs.
 * q, k, v, out, dout, dq, dk and dv are views (att_view): the heads of
 * split_heads and for merge_heads without a copy; probs and ws are
 * dense.
 */
#include "kernels_common_impl.h"

/* Row-major gemm on sub-matrices with explicit leading dimensions, through
 * the runtime's one GEMM entry point (rt_gemm_ld, batch 1). */
static void FN(gemm_ld)(int ta, int tb, int m, int n, int k, const REAL *A, long lda, const REAL *B,
                        long ldb, REAL beta, REAL *C, long ldc) {
  FN(rt_gemm_ld)(ta, tb, m, n, k, 1, A, lda, 0, 0, B, ldb, 0, 0, beta, C, ldc, 0, 0, 1, 1);
}

/* When all query rows fit in one block, every product is one call over
 * all (b, h) (att_gemm, on the runtime's GEMM backend): the same products
 * as one block per (b, h), without a call per pair. */
static int FN(att_whole)(int Tq) { return Tq <= ATT_ROWS; }

size_t FN(rt_attention_ws)(int B, int H, int Tq, int Tk, int D) {
  (void)D;
  return FN(att_whole)(Tq) ? (size_t)B * H * Tq * Tk : (size_t)ATT_ROWS * Tk;
}

/* For every (b, h): C[b, h] = op(A[b, h]) op(B[b, h]) + beta C[b, h]
 * (m x n, depth k) on views: one rt_gemm_ld call with a batch of [B, H]
 * (on oneDNN one matmul; a batch of B H pairs when the views' b strides
 * are H times their h strides). */
static void FN(att_gemm)(int ta, int tb, int m, int n, int k, const REAL *A, att_view a,
                         const REAL *Bm, att_view bv, REAL beta, REAL *C, att_view c, int B,
                         int H) {
  FN(rt_gemm_ld)
  (ta, tb, m, n, k, 1, A, a.ld, a.sB, a.sH, Bm, bv.ld, bv.sB, bv.sH, beta, C, c.ld, c.sB, c.sH, B,
   H);
}

/* Rows [i0, i1) of P (row length Tk): P = softmax(scale P) over the first
 * n = i + 1 (causal) or Tk entries of row i, the rest 0. */
RT_DISPATCH static void FN(att_softmax_rows)(REAL *P, int i0, int i1, int Tk, REAL scale, int causal) {
  for (int i = i0; i < i1; i++) {
    REAL *row = P + (long)(i - i0) * Tk;
    const int n = causal ? i + 1 : Tk;
    FN(row_softmax)(row, row, n, scale);
    memset(row + n, 0, sizeof(REAL) * (Tk - n));
  }
}

/* Rows [i0, i1) of dS = scale P (dP - <dP, P>_row), in place of dP (row
 * length Tk, the first `cols` entries written; above the causal diagonal 0). */
RT_DISPATCH static void FN(att_dsoft_rows)(const REAL *P, REAL *dP, int i0, int i1, int Tk, int cols,
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

void FN(rt_attention_fwd)(const REAL *q, long q_sB, long q_sH, long q_sTq, const REAL *k, long k_sB,
                          long k_sH, long k_sTk, const REAL *v, long v_sB, long v_sH, long v_sTk,
                          REAL *out, long out_sB, long out_sH, long out_sTq, REAL *probs, int B,
                          int H, int Tq, int Tk, int D, REAL scale, int causal) {
  assert(B >= 0 && H >= 0 && Tq > 0 && Tk > 0 && D > 0 && (!causal || Tq == Tk));
  const att_view qv = {q_sB, q_sH, q_sTq}, kv = {k_sB, k_sH, k_sTk}, vv = {v_sB, v_sH, v_sTk};
  const att_view ov = {out_sB, out_sH, out_sTq};
  const long sp = (long)Tq * Tk;
  const att_view pv = {H * sp, sp, Tk};
  if (FN(att_whole)(Tq)) {
    FN(att_gemm)(0, 1, Tq, Tk, D, q, qv, k, kv, 0, probs, pv, B, H);
    for (long p = 0; p < (long)B * H; p++)
      FN(att_softmax_rows)(probs + p * sp, 0, Tq, Tk, scale, causal);
    FN(att_gemm)(0, 0, Tq, D, Tk, probs, pv, v, vv, 0, out, ov, B, H);
    return;
  }
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      const REAL *qp = q + b * q_sB + h * q_sH, *kp = k + b * k_sB + h * k_sH;
      const REAL *vp = v + b * v_sB + h * v_sH;
      REAL *P = probs + ((long)b * H + h) * sp, *op = out + b * out_sB + h * out_sH;
      for (int i0 = 0; i0 < Tq; i0 += ATT_ROWS) {
        const int i1 = i0 + ATT_ROWS < Tq ? i0 + ATT_ROWS : Tq, cols = causal ? i1 : Tk;
        REAL *Pb = P + (long)i0 * Tk;
        FN(gemm_ld)(0, 1, i1 - i0, cols, D, qp + i0 * q_sTq, q_sTq, kp, k_sTk, 0, Pb, Tk);
        FN(att_softmax_rows)(Pb, i0, i1, Tk, scale, causal);
        FN(gemm_ld)(0, 0, i1 - i0, D, cols, Pb, Tk, vp, v_sTk, 0, op + i0 * out_sTq, out_sTq);
      }
    }
}

/* Rows [0, T) of the view x[b, h] set to 0 (row length D). */
static void FN(att_zero)(REAL *x, att_view xv, int B, int H, int T, int D) {
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int t = 0; t < T; t++)
        memset(x + b * xv.sB + h * xv.sH + t * xv.ld, 0, sizeof(REAL) * D);
}

void FN(rt_attention_bwd)(const REAL *q, long q_sB, long q_sH, long q_sTq, const REAL *k, long k_sB,
                          long k_sH, long k_sTk, const REAL *v, long v_sB, long v_sH, long v_sTk,
                          const REAL *probs, const REAL *dout, long dout_sB, long dout_sH,
                          long dout_sTq, REAL *dq, long dq_sB, long dq_sH, long dq_sTq, REAL *dk,
                          long dk_sB, long dk_sH, long dk_sTk, REAL *dv, long dv_sB, long dv_sH,
                          long dv_sTk, int B, int H, int Tq, int Tk, int D, REAL scale, int causal,
                          REAL *ws) {
  assert(B >= 0 && H >= 0 && Tq > 0 && Tk > 0 && D > 0 && (!causal || Tq == Tk));
  const att_view qv = {q_sB, q_sH, q_sTq}, kv = {k_sB, k_sH, k_sTk}, vv = {v_sB, v_sH, v_sTk};
  const att_view dov = {dout_sB, dout_sH, dout_sTq}, dqv = {dq_sB, dq_sH, dq_sTq};
  const att_view dkv = {dk_sB, dk_sH, dk_sTk}, dvv = {dv_sB, dv_sH, dv_sTk};
  const long sp = (long)Tq * Tk;
  const att_view pv = {H * sp, sp, Tk};
  if (FN(att_whole)(Tq)) { /* the block loop's products with i0 = 0, i1 = cols = Tq */
    FN(att_gemm)(1, 0, Tk, D, Tq, probs, pv, dout, dov, 0, dv, dvv, B, H);
    FN(att_gemm)(0, 1, Tq, Tk, D, dout, dov, v, vv, 0, ws, pv, B, H);
    for (long p = 0; p < (long)B * H; p++)
      FN(att_dsoft_rows)(probs + p * sp, ws + p * sp, 0, Tq, Tk, Tk, scale, causal);
    FN(att_gemm)(0, 0, Tq, D, Tk, ws, pv, k, kv, 0, dq, dqv, B, H);
    FN(att_gemm)(1, 0, Tk, D, Tq, ws, pv, q, qv, 0, dk, dkv, B, H);
    return;
  }
  FN(att_zero)(dk, dkv, B, H, Tk, D);
  FN(att_zero)(dv, dvv, B, H, Tk, D);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      const REAL *qp = q + b * q_sB + h * q_sH, *kp = k + b * k_sB + h * k_sH;
      const REAL *vp = v + b * v_sB + h * v_sH, *dop = dout + b * dout_sB + h * dout_sH;
      const REAL *P = probs + ((long)b * H + h) * sp;
      REAL *dqp = dq + b * dq_sB + h * dq_sH, *dkp = dk + b * dk_sB + h * dk_sH;
      REAL *dvp = dv + b * dv_sB + h * dv_sH;
      for (int i0 = 0; i0 < Tq; i0 += ATT_ROWS) {
        const int i1 = i0 + ATT_ROWS < Tq ? i0 + ATT_ROWS : Tq, rows = i1 - i0;
        const int cols = causal ? i1 : Tk;
        const REAL *Pb = P + (long)i0 * Tk, *dob = dop + i0 * dout_sTq;
        /* dv[0:cols] += P[i0:i1, 0:cols]^T dout[i0:i1] */
        FN(gemm_ld)(1, 0, cols, D, rows, Pb, Tk, dob, dout_sTq, 1, dvp, dv_sTk);
        /* ws = dP[i0:i1, 0:cols] = dout[i0:i1] v[0:cols]^T, then dS */
        FN(gemm_ld)(0, 1, rows, cols, D, dob, dout_sTq, vp, v_sTk, 0, ws, Tk);
        FN(att_dsoft_rows)(Pb, ws, i0, i1, Tk, cols, scale, causal);
        FN(gemm_ld)(0, 0, rows, D, cols, ws, Tk, kp, k_sTk, 0, dqp + i0 * dq_sTq, dq_sTq);
        FN(gemm_ld)(1, 0, cols, D, rows, ws, Tk, qp + i0 * q_sTq, q_sTq, 1, dkp, dk_sTk);
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
  /* b, t, h: both of split_heads' views and the row-major layout are read
   * and written at nearby addresses */
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      const REAL *cs = tab + (long)t * half, *sn = tab + (long)((dir > 0 ? T : 2 * T) + t) * half;
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
