/*
 * kernels_polar_bf16_impl.h - generic body of Newton-Schulz on typed
 * operands. With s = min(m, n), on the smaller Gram side as rt_polar_ns:
 *   X  = G / (scale ||G||_F + eps)          the iterate, in the real type
 *   per step, with (a, b, c) of the schedule:
 *   Xo = op(X)                              the operand copy of X
 *   A  = op(Xo Xo^T)                        s x s (Xo^T Xo when m > n)
 *   B  = op(c A A^T + b A)                  A is symmetric: A A^T = A^2
 *   X  = B Xo + a X                         (Xo B + a X when m > n)
 * op() rounds to the operand type: bf16, or none for f32 operands. Every
 * product accumulates in f32 (oneDNN) or in the real type (BLAS; products
 * of two bf16 values are exact in float), and its alpha, beta and the
 * rounding of its result come after the accumulation, in both. Muon's
 * reference (KellerJordan/Muon, zeropower_via_newtonschulz5) rounds X to
 * bf16 as well; here X stays in the real type and only its operand copy
 * is rounded.
 * A and B are symmetric products: on BLAS one syrk each (upper triangle,
 * then mirrored); on oneDNN by block rows of NS_DNN_BLOCK rows (upper
 * blocks only, then mirrored), a single product when s <= NS_DNN_BLOCK.
 * ws: Xo [m n], A [s s], B [s s] operand elements, NS_ALIGN-aligned.
 */
#include "kernels_common_impl.h"

/* Where the products run and in what type their operands are. */
typedef struct {
  int dnn;      /* on oneDNN (the real type is float) */
  int bf16;     /* operands rounded to bf16 */
  size_t esize; /* bytes per operand element: 2 for bf16 on oneDNN, else the real type's */
} FN(ns_ops);

size_t FN(rt_polar_ns_typed_ws)(int m, int n) {
  const size_t s = m < n ? m : n, e = sizeof(REAL);
  const size_t bytes = NS_ALIGN + align_up((size_t)m * n * e) + 2 * align_up(s * s * e);
  return (bytes + e - 1) / e;
}

/* dst = op(x) for count values. */
static void FN(ns_store)(const FN(ns_ops) * o, void *dst, const REAL *x, long count) {
  if (o->esize == 2) {
    uint16_t *d = dst;
    for (long i = 0; i < count; i++)
      d[i] = rt_bf16_of((float)x[i]);
  } else if (o->bf16) {
    REAL *d = dst;
    for (long i = 0; i < count; i++)
      d[i] = (REAL)rt_bf16_round((float)x[i]);
  } else {
    memcpy(dst, x, sizeof(REAL) * count);
  }
}

#ifdef DUET_ONEDNN
/* Upper block rows of C = op(alpha Y Y^T + beta C) on oneDNN, Y s x l
 * (trans: C = op(alpha Y^T Y + beta C), Y l x s); then mirrored. */
static void FN(ns_gram_dnn)(const FN(ns_ops) * o, int trans, int s, int l, REAL alpha,
                            const void *Y, REAL beta, void *C) {
  const rt_dnn_type t = o->bf16 ? RT_DNN_BF16 : RT_DNN_F32;
  const long ld = trans ? s : l;
  for (int i0 = 0; i0 < s; i0 += NS_DNN_BLOCK) {
    const int rows = s - i0 < NS_DNN_BLOCK ? s - i0 : NS_DNN_BLOCK;
    /* rows [i0, i0 + rows) of op(Y) against rows [i0, s) */
    const rt_dnn_matmul_desc d = {.ta = trans,
                                  .tb = !trans,
                                  .m = rows,
                                  .n = s - i0,
                                  .k = l,
                                  .batch = 1,
                                  .lda = ld,
                                  .ldb = ld,
                                  .ldc = s,
                                  .ab = t,
                                  .c = t,
                                  .alpha = (float)alpha,
                                  .beta = (float)beta};
    const char *y = (const char *)Y + (trans ? (long)i0 : (long)i0 * l) * (long)o->esize;
    ns_dnn_run(&d, y, y, (char *)C + ((long)i0 * s + i0) * (long)o->esize);
  }
  if (s <= NS_DNN_BLOCK)
    return;
  if (o->bf16)
    rt_bf16_mirror_upper(C, s);
  else
    FN(symmetrize_upper)(C, s);
}
#endif

/* C = op(alpha Y Y^T + beta C) for the s x l Y (trans: alpha Y^T Y + beta
 * C for the l x s Y), whole and exactly symmetric. */
static void FN(ns_gram)(const FN(ns_ops) * o, int trans, int s, int l, REAL alpha, const void *Y,
                        REAL beta, void *C) {
#ifdef DUET_ONEDNN
  if (o->dnn) {
    FN(ns_gram_dnn)(o, trans, s, l, alpha, Y, beta, C);
    return;
  }
#endif
  REAL *c = C;
  BLAS(syrk)
  (CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, s, l, alpha, Y, trans ? s : l,
   beta, c, s);
  if (o->bf16)
    for (long i = 0; i < (long)s * s; i++)
      c[i] = (REAL)rt_bf16_round((float)c[i]);
  FN(symmetrize_upper)(c, s);
}

/* X = B Xo + a X (left) or Xo B + a X, B symmetric s x s, Xo m x n. */
static void FN(ns_apply)(const FN(ns_ops) * o, int left, int m, int n, int s, const void *B,
                         const void *Xo, REAL a, REAL *X) {
#ifdef DUET_ONEDNN
  if (o->dnn) {
    const rt_dnn_type t = o->bf16 ? RT_DNN_BF16 : RT_DNN_F32;
    const rt_dnn_matmul_desc d = {.m = m,
                                  .n = n,
                                  .k = s,
                                  .batch = 1,
                                  .lda = left ? s : n,
                                  .ldb = left ? n : s,
                                  .ldc = n,
                                  .ab = t,
                                  .c = RT_DNN_F32,
                                  .alpha = 1,
                                  .beta = (float)a};
    ns_dnn_run(&d, left ? B : Xo, left ? Xo : B, X);
    return;
  }
#else
  (void)o; /* products on oneDNN exist only with it */
#endif
  BLAS(symm)
  (CblasRowMajor, left ? CblasLeft : CblasRight, CblasUpper, m, n, 1, B, s, Xo, n, a, X, n);
}

static void FN(ns_typed_one)(const REAL *G, REAL *X, int m, int n, rt_ns_schedule schedule,
                             int steps, REAL eps, const FN(ns_ops) * o, REAL *ws) {
  const int left = m <= n;
  const int s = left ? m : n, l = left ? n : m;
  const long mn = (long)m * n;
  char *Xo = aligned_in(ws);
  char *A = Xo + align_up((size_t)mn * o->esize);
  char *B = A + align_up((size_t)s * s * o->esize);

  const double norm = sqrt((double)FN(row_dot)(G, G, mn));
  const REAL scale = (REAL)(1 / (rt_ns_norm_scale(schedule) * norm + eps));
  for (long i = 0; i < mn; i++)
    X[i] = G[i] * scale;
  for (int step = 0; step < steps; step++) {
    double abc[3];
    rt_ns_triple(schedule, step, abc);
    FN(ns_store)(o, Xo, X, mn);
    FN(ns_gram)(o, !left, s, l, 1, Xo, 0, A);
    memcpy(B, A, (size_t)s * s * o->esize);
    FN(ns_gram)(o, 0, s, s, (REAL)abc[2], A, (REAL)abc[1], B);
    FN(ns_apply)(o, left, m, n, s, B, Xo, (REAL)abc[0], X);
  }
}

void FN(rt_polar_ns_typed)(const REAL *G, REAL *X, int batch, int m, int n, rt_ns_schedule schedule,
                           int steps, REAL eps, int bf16, REAL *ws) {
  assert(m > 0 && n > 0 && batch >= 0 && steps >= 0 && eps >= 0);
  FN(ns_ops) o = {sizeof(REAL) == sizeof(float) && ns_on_dnn(bf16), bf16, sizeof(REAL)};
  if (o.dnn && bf16)
    o.esize = 2;
  const long mn = (long)m * n;
  for (int b = 0; b < batch; b++)
    FN(ns_typed_one)(G + b * mn, X + b * mn, m, n, schedule, steps, eps, &o, ws);
}

size_t FN(rt_polar_ns_bf16_ws)(int m, int n) { return FN(rt_polar_ns_typed_ws)(m, n); }

void FN(rt_polar_ns_bf16)(const REAL *G, REAL *X, int batch, int m, int n, rt_ns_schedule schedule,
                          int steps, REAL eps, REAL *ws) {
  FN(rt_polar_ns_typed)(G, X, batch, m, n, schedule, steps, eps, 1, ws);
}
