/*
 * rt_kernels.h - the compute kernels of the duet runtime.
 *
 * Data contract (applies to every function below):
 *  - Tensors are dense, row-major, in buffers owned by the CALLER; no kernel
 *    allocates or frees memory. Kernels that need scratch space take a `ws`
 *    pointer whose size (in elements of the kernel's real type) is given by the
 *    matching *_ws() function. The compiler plans these buffers in its arena.
 *  - Every kernel exists for float (suffix _f32) and double (suffix _f64, used
 *    by `duet gradcheck`). Both are declared by RT_KERNELS(Real, S) below and
 *    implemented once, generically.
 *  - "Overwritten" outputs are written, never accumulated, unless a beta/accumulate
 *    argument says otherwise. A beta of 0 always means "overwrite": the prior
 *    contents of the output are never read (they may be garbage, even NaN).
 *  - Integer index tensors (class labels, token ids) are int32_t.
 *  - Image layout is NCHW; convolution weights are [out, in, kh, kw].
 *  - Attention layout is [B, H, T, D] (batch, head, time, head dim).
 *  - Shapes are validated by the compiler before code is generated; kernels
 *    assert their preconditions (assert(), active in debug builds).
 */
#ifndef DUET_RT_KERNELS_H
#define DUET_RT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Coefficient schedules for Newton-Schulz orthogonalization, one table for
 * the runtime, the compiler and the language: X(id, name, steps) gives the
 * enumerator RT_NS_<id>, the name a program writes (polar(G, schedule =
 * "you")) and the default number of steps.
 *   MUON5          quintic (3.4445, -4.7750, 2.0315), fixed per step
 *   YOU6           You's 6-step schedule (Modula), per-step triples
 *   POLAR_EXPRESS  Polar Express per-iteration coefficients */
#define RT_NS_SCHEDULES(X) \
  X(MUON5, "muon", 5)      \
  X(YOU6, "you", 6)        \
  X(POLAR_EXPRESS, "polar_express", 5)

typedef enum {
#define RT_NS_ENUM(id, name, steps) RT_NS_##id,
  RT_NS_SCHEDULES(RT_NS_ENUM)
#undef RT_NS_ENUM
      RT_NS_COUNT
} rt_ns_schedule;

/* The arithmetic of a Newton-Schulz iteration (rt_polar_ns_in):
 *   BF16  the products' operands rounded to bf16, accumulated in f32
 *         (rt_polar_ns_bf16; Muon's reference precision)
 *   F32, F64  the whole iteration in that type (rt_polar_ns of that type;
 *         the operand converted in, the result converted back) */
typedef enum { RT_NS_BF16 = 0, RT_NS_F32 = 1, RT_NS_F64 = 2, RT_NS_PRECISIONS } rt_ns_precision;

#define RT_KERNELS(Real, S)                                                                        \
  /* ---- GEMM: the single BLAS entry point -----------------------------------  \
 * For b in [0, batch): C_b = alpha * op(A_b) op(B_b) + beta * C_b, with       \
 * op(X) = X^T when the flag is set. op(A) is m x k, op(B) is k x n, C is      \
 * m x n, all dense (leading dimension = row length of the stored matrix).     \
 * sa, sb, sc: element strides between batch items; 0 repeats one matrix.      \
 * sc == 0 accumulates: C = alpha * sum_b op(A_b) op(B_b) + beta * C.          \
 * beta == 0 means C is overwritten (its prior contents may be garbage).  */                 \
  void rt_gemm##S(int ta, int tb, int m, int n, int k, Real alpha, const Real *A, long sa,         \
                  const Real *B, long sb, Real beta, Real *C, long sc, int batch);                 \
  /* The same on sub-matrices, with two batch levels: rows of the stored A,  \
 * B and C are lda, ldb and ldc elements apart (at least their length);      \
 * the items are (b, j), b < batch, j < batch2, A's at b sa + j sa2          \
 * (likewise B and C; sc2 > 0 when batch2 > 1; sc == 0 accumulates over b). \
 * rt_gemm is the dense case with batch2 = 1.                             */                 \
  void rt_gemm_ld##S(int ta, int tb, int m, int n, int k, Real alpha, const Real *A, long lda,     \
                     long sa, long sa2, const Real *B, long ldb, long sb, long sb2, Real beta,     \
                     Real *C, long ldc, long sc, long sc2, int batch, int batch2);                 \
                                                                                                   \
  /* ---- reductions ----------------------------------------------------------  \
 * View x as [outer, n, inner];                                                \
 * y[o, i] = beta * y[o, i] + alpha * sum_j x[o, j, i] (beta 0: overwrite).    \
 * max_axis: y[o, i] = max_j x[o, j, i] (y overwritten, n >= 1).          */                 \
  void rt_sum_axis##S(const Real *x, Real *y, long outer, long n, long inner, Real alpha,          \
                      Real beta);                                                                  \
  void rt_max_axis##S(const Real *x, Real *y, long outer, long n, long inner);                     \
                                                                                                   \
  /* ---- convolution (NCHW, weights [o, c, kh, kw], no dilation) -------------  \
 * ho = (h + 2 pad - kh) / stride + 1, likewise wo.                            \
 * y [n, o, ho, wo], dx [n, c, h, w], dW [o, c, kh, kw]: all overwritten.      \
 * The three share one workspace size, rt_conv2d_ws().                    */                 \
  size_t rt_conv2d_ws##S(int n, int c, int h, int w, int o, int kh, int kw, int stride, int pad);  \
  void rt_conv2d_fwd##S(const Real *x, const Real *W, Real *y, int n, int c, int h, int w, int o,  \
                        int kh, int kw, int stride, int pad, Real *ws);                            \
  void rt_conv2d_bwd_data##S(const Real *dy, const Real *W, Real *dx, int n, int c, int h, int w,  \
                             int o, int kh, int kw, int stride, int pad, Real *ws);                \
  void rt_conv2d_bwd_weight##S(const Real *x, const Real *dy, Real *dW, int n, int c, int h,       \
                               int w, int o, int kh, int kw, int stride, int pad, Real *ws);       \
                                                                                                   \
  /* ---- pooling over k x k windows with the given stride, no padding --------  \
 * x [n, c, h, w] -> y [n, c, ho, wo], ho = (h - k) / stride + 1.              \
 * Max pooling backward routes dy to the first maximum (row-major scan) of     \
 * each window (recomputed from x); dx overwritten.                       */                 \
  void rt_maxpool2d_fwd##S(const Real *x, Real *y, int n, int c, int h, int w, int k, int stride); \
  void rt_maxpool2d_bwd##S(const Real *x, const Real *dy, Real *dx, int n, int c, int h, int w,    \
                           int k, int stride);                                                     \
  void rt_avgpool2d_fwd##S(const Real *x, Real *y, int n, int c, int h, int w, int k, int stride); \
  void rt_avgpool2d_bwd##S(const Real *dy, Real *dx, int n, int c, int h, int w, int k,            \
                           int stride);                                                            \
                                                                                                   \
  /* ---- softmax and cross-entropy over the last axis ------------------------  \
 * logits [rows, classes], labels [rows].                                      \
 * xent_fwd: *loss = mean over rows of -log softmax(logits)[label]; stable.    \
 * xent_bwd: dlogits = dloss * (softmax(logits) - onehot(label)) / rows.       \
 * correct: number of rows whose argmax (first on ties) equals the label.      \
 * softmax: y = softmax(scale * x) per row; bwd: dx = scale*y*(dy - <dy, y>).  \
 * mse: *loss = mean((a - b)^2); bwd: da = dloss * 2 (a - b) / count.     */                 \
  void rt_softmax_xent_fwd##S(const Real *logits, const int32_t *labels, Real *loss, long rows,    \
                              long classes);                                                       \
  void rt_softmax_xent_bwd##S(const Real *logits, const int32_t *labels, Real dloss,               \
                              Real *dlogits, long rows, long classes);                             \
  long rt_count_correct##S(const Real *logits, const int32_t *labels, long rows, long classes);    \
  void rt_softmax_fwd##S(const Real *x, Real *y, long rows, long cols, Real scale);                \
  void rt_softmax_bwd##S(const Real *y, const Real *dy, Real *dx, long rows, long cols,            \
                         Real scale);                                                              \
  void rt_mse_fwd##S(const Real *a, const Real *b, Real *loss, long count);                        \
  void rt_mse_bwd##S(const Real *a, const Real *b, Real dloss, Real *da, long count);              \
                                                                                                   \
  /* ---- normalization over the last axis (no learned gain) ------------------  \
 * rmsnorm: y = x / sqrt(mean(x^2) + eps); saves rstd [rows] for backward.     \
 * layernorm: y = (x - mean) / sqrt(var + eps); saves mean and rstd.           \
 * Backward overwrites dx.                                                */                 \
  void rt_rmsnorm_fwd##S(const Real *x, Real *y, Real *rstd, long rows, long cols, Real eps);      \
  void rt_rmsnorm_bwd##S(const Real *x, const Real *rstd, const Real *dy, Real *dx, long rows,     \
                         long cols);                                                               \
  void rt_layernorm_fwd##S(const Real *x, Real *y, Real *mean, Real *rstd, long rows, long cols,   \
                           Real eps);                                                              \
  void rt_layernorm_bwd##S(const Real *x, const Real *mean, const Real *rstd, const Real *dy,      \
                           Real *dx, long rows, long cols);                                        \
                                                                                                   \
  /* ---- multi-head attention, q [B, H, Tq, D], k, v [B, H, Tk, D] ----------  \
 * out = softmax(scale * q k^T (+ causal mask, Tq == Tk)) v, per (b, h).       \
 * probs [B, H, Tq, Tk] is saved by fwd and read by bwd (causal: entries above \
 * the diagonal are 0). bwd overwrites dq, dk, dv. ws: rt_attention_ws().      \
 * q, k, v, out, dout, dq, dk, dv are views: element [b, h, t, d] of x at      \
 * b x_sB + h x_sH + t x_sT + d (x_sTq or x_sTk); probs is dense.         */                 \
  size_t rt_attention_ws##S(int B, int H, int Tq, int Tk, int D);                                  \
  void rt_attention_fwd##S(const Real *q, long q_sB, long q_sH, long q_sTq, const Real *k,         \
                           long k_sB, long k_sH, long k_sTk, const Real *v, long v_sB, long v_sH,  \
                           long v_sTk, Real *out, long out_sB, long out_sH, long out_sTq,          \
                           Real *probs, int B, int H, int Tq, int Tk, int D, Real scale,           \
                           int causal);                                                            \
  void rt_attention_bwd##S(const Real *q, long q_sB, long q_sH, long q_sTq, const Real *k,         \
                           long k_sB, long k_sH, long k_sTk, const Real *v, long v_sB, long v_sH,  \
                           long v_sTk, const Real *probs, const Real *dout, long dout_sB,          \
                           long dout_sH, long dout_sTq, Real *dq, long dq_sB, long dq_sH,          \
                           long dq_sTq, Real *dk, long dk_sB, long dk_sH, long dk_sTk, Real *dv,   \
                           long dv_sB, long dv_sH, long dv_sTk, int B, int H, int Tq, int Tk,      \
                           int D, Real scale, int causal, Real *ws);                               \
  /* rotary position embedding on [B, H, T, D] (D even), pairs (2i, 2i+1),       \
 * angle t * base^(-2i/D). bwd applies the inverse rotation to dy. Each of    \
 * x, y, dy, dx is a view: element [b, h, t, d] at b sB + h sH + t sT + d.     \
 * In place (y == x with the same strides) is allowed.                    */                 \
  void rt_rope_fwd##S(const Real *x, long x_sB, long x_sH, long x_sT, Real *y, long y_sB,          \
                      long y_sH, long y_sT, int B, int H, int T, int D, Real base);                \
  void rt_rope_bwd##S(const Real *dy, long dy_sB, long dy_sH, long dy_sT, Real *dx, long dx_sB,    \
                      long dx_sH, long dx_sT, int B, int H, int T, int D, Real base);              \
                                                                                                   \
  /* ---- embedding: table E [vocab, dim], one row per token ------------------  \
 * fwd: y[i] = E[tokens[i]]; bwd: dE overwritten with the scatter-add of dy.*/                 \
  void rt_embed_fwd##S(const Real *E, const int32_t *tokens, Real *y, long n, long vocab,          \
                       long dim);                                                                  \
  void rt_embed_bwd##S(const int32_t *tokens, const Real *dy, Real *dE, long n, long vocab,        \
                       long dim);                                                                  \
                                                                                                   \
  /* ---- indices (int32) along the last axis ---------------------------------  \
 * Order of values: a before b when a > b, or when b is NaN and a is not;     \
 * equal values keep the order of their columns.                             \
 * argmax: idx[r] = the first column of row r of x [rows, cols] that no      \
 *   other column comes before.                                              \
 * one_hot: y [count, n] is 0 except y[i, index[i]] = 1 (an index outside    \
 *   [0, n) gives a row of zeros).                                           \
 * topk: the first k (1 <= k <= cols) columns of each row in that order:     \
 *   values [rows, k] and their columns indices [rows, k].                   \
 * topk_bwd: dx [rows, cols] is 0 except dx[r, indices[r, j]] = dvalues[r, j] \
 *   (overwritten).                                                      */                 \
  void rt_argmax##S(const Real *x, int32_t *idx, long rows, long cols);                            \
  void rt_one_hot##S(const int32_t *index, Real *y, long count, long n);                           \
  void rt_topk##S(const Real *x, Real *values, int32_t *indices, long rows, long cols, int k);     \
  void rt_topk_bwd##S(const int32_t *indices, const Real *dvalues, Real *dx, long rows, long cols, \
                      int k);                                                                      \
                                                                                                   \
  /* ---- orthogonalization and small matrix functions ------------------------  \
 * All operate on `batch` contiguous m x n matrices.                           \
 * polar_ns: X ~ U V^T of G = U S V^T by Newton-Schulz: X0 = G / (s ||G||_F +  \
 *   eps) with s = 1.01 for Polar Express (its published safety factor) and    \
 *   s = 1 otherwise; iterate on the smaller Gram side (transposed when         \
 *   m > n), X <- aX + (bA + cA^2) X with A = X X^T, `steps` iterations of     \
 *   `schedule` (for a per-step schedule, steps past its length repeat its     \
 *   last triple). X may be the same buffer as G.                              \
 * polar_ns_bf16: polar_ns with the operands of every product rounded to     \
 *   bf16 (as Muon's reference runs it: X X^T, its square and the product     \
 *   with X), accumulated in f32 (oneDNN) or in Real (BLAS on the rounded     \
 *   values); the normalization and the iterate stay in Real. Same schedules, \
 *   in-place rule and ws contract as polar_ns.                              \
 * polar_ns_in: polar_ns in `precision` (rt_ns_precision); same in-place rule \
 *   and ws contract (rt_polar_ns_in_ws).                                      \
 * polar_svd: exact U V^T by LAPACK SVD (reference and `polar_exact`).         \
 *   X may be the same buffer as G.                                            \
 * spectral_norm: out[b] = largest singular value of matrix b.                 \
 * spectral_lanczos: out[b] = an estimate from below of that value: at most   \
 *   `steps` Lanczos steps on the smaller Gram matrix of matrix b (exact when  \
 *   min(m, n) <= steps) from the direction v[b] (s = min(m, n) values; zero:  \
 *   a fixed pseudo-random one), ending early once the estimate stops growing  \
 *   (to within 64 rounding units); v_out[b] gets the Ritz vector, the start   \
 *   for the next call (v_out may be v). Repeated calls on slowly changing     \
 *   matrices converge (warm start).                                           \
 * spd_pow: out = A^p for symmetric positive definite n x n A (eigen-          \
 *   decomposition; eigenvalues clamped below at eps >= 0), e.g. p = -0.5.     \
 * The LAPACK-backed kernels fill their output with NaN if LAPACK reports      \
 * a failure (non-convergence), so the caller's NaN checks catch it.      */                 \
  size_t rt_polar_ns_ws##S(int m, int n);                                                          \
  void rt_polar_ns##S(const Real *G, Real *X, int batch, int m, int n, rt_ns_schedule schedule,    \
                      int steps, Real eps, Real *ws);                                              \
  size_t rt_polar_ns_bf16_ws##S(int m, int n);                                                     \
  void rt_polar_ns_bf16##S(const Real *G, Real *X, int batch, int m, int n,                        \
                           rt_ns_schedule schedule, int steps, Real eps, Real *ws);                \
  size_t rt_polar_ns_in_ws##S(int m, int n, rt_ns_precision precision);                            \
  void rt_polar_ns_in##S(const Real *G, Real *X, int batch, int m, int n, rt_ns_schedule schedule, \
                         int steps, Real eps, rt_ns_precision precision, Real *ws);                \
  size_t rt_polar_svd_ws##S(int m, int n);                                                         \
  void rt_polar_svd##S(const Real *G, Real *X, int batch, int m, int n, Real *ws);                 \
  size_t rt_spectral_norm_ws##S(int m, int n);                                                     \
  void rt_spectral_norm##S(const Real *W, Real *out, int batch, int m, int n, Real *ws);           \
  size_t rt_spectral_lanczos_ws##S(int m, int n, int steps);                                       \
  void rt_spectral_lanczos##S(const Real *W, const Real *v, Real *out, Real *v_out, int batch,     \
                              int m, int n, int steps, Real *ws);                                  \
  size_t rt_spd_pow_ws##S(int n);                                                                  \
  void rt_spd_pow##S(const Real *A, Real *out, int batch, int n, Real p, Real eps, Real *ws);      \
                                                                                                   \
  /* ---- initializers (deterministic from seed and stream) -------------------  \
 * Element i of the output depends only on (seed, stream, i), computed in      \
 * double, so the _f32 result is the _f64 result rounded to float.             \
 * uniform: values in (lo, hi) (float rounding may reach the ends).            \
 * orthogonal: each of `batch` m x n matrices gets orthonormal rows (m <= n)   \
 * or columns (m > n), times scale (QR of a Gaussian matrix, signs fixed so    \
 * that diag(R) > 0).                                                     */                 \
  void rt_init_normal##S(Real *x, size_t count, Real mean, Real std, uint64_t seed,                \
                         uint64_t stream);                                                         \
  void rt_init_uniform##S(Real *x, size_t count, Real lo, Real hi, uint64_t seed,                  \
                          uint64_t stream);                                                        \
  size_t rt_init_orthogonal_ws##S(int m, int n);                                                   \
  void rt_init_orthogonal##S(Real *W, int batch, int m, int n, Real scale, uint64_t seed,          \
                             uint64_t stream, Real *ws);

RT_KERNELS(float, _f32)
RT_KERNELS(double, _f64)

/* ---- counter-based RNG (Philox4x32-10) ------------------------------------
 * Pure function of (seed, stream, counter): results never depend on thread
 * count or call order. Philox key = (seed low word, seed high word); Philox
 * counter = (counter low, counter high, stream low, stream high). */
void rt_philox4x32(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]);
/* A uniformly random permutation of 0..n-1 (Fisher-Yates on Philox). */
void rt_permutation(uint32_t *perm, uint32_t n, uint64_t seed, uint64_t stream);

/* Thread count for BLAS (OpenBLAS) and oneDNN (its OpenMP threads, for
 * the calling thread); the runtime's own loops are single-threaded. Until
 * this is called OpenBLAS uses its own default (OPENBLAS_NUM_THREADS, or
 * all cores) and oneDNN, on its first use, OpenBLAS's count. */
void rt_set_threads(int n);

/* ---- GEMM backend ----------------------------------------------------------
 * The library behind the runtime's f32 products: rt_gemm_f32, the f32
 * convolutions and rt_polar_ns_bf16_f32. f64 kernels, LAPACK,
 * rt_polar_ns_f32 (with syrk and symm, OpenBLAS runs it faster than
 * oneDNN's f32 products do), the attention kernels and the Lanczos
 * estimate always use BLAS.
 *  - RT_GEMM_OPENBLAS: cblas (OpenBLAS; the portable BLAS of emitted C).
 *  - RT_GEMM_ONEDNN: oneDNN primitives for the shapes where they measured
 *    faster than OpenBLAS (docs/benchmarks.md), cblas for the others. Only
 *    in builds with oneDNN (DUET_ONEDNN).
 * The default is RT_GEMM_ONEDNN in builds with oneDNN (when its engine
 * starts), else RT_GEMM_OPENBLAS (the portable and the plain OpenBLAS
 * builds of emitted C). Results of the two differ by rounding (the order
 * of the sums); with one backend and thread count they are the same run to
 * run, and `duet run` and emitted C on the same backend give the same
 * bits. */
typedef enum { RT_GEMM_OPENBLAS = 0, RT_GEMM_ONEDNN = 1 } rt_gemm_backend;
/* Selects the backend: 0, or -1 (the backend stays) when this build has no
 * oneDNN or oneDNN cannot start. Workspace sizes (*_ws()) do not depend on
 * it. */
int rt_gemm_set_backend(rt_gemm_backend b);
rt_gemm_backend rt_gemm_get_backend(void);
/* "openblas" or "onednn"; parse sets *b from such a name (0) or returns -1. */
const char *rt_gemm_backend_name(rt_gemm_backend b);
int rt_gemm_backend_parse(const char *name, rt_gemm_backend *b);
/* The backend as text, written as snprintf does: "openblas", or "onednn "
 * and the implementation names (instruction sets) oneDNN picked for the
 * primitives created so far, e.g. "onednn brg:avx512_core,
 * brg:avx512_core_bf16" (before the first, the one of a 256 x 256 f32
 * product). */
size_t rt_gemm_backend_describe(char *buf, size_t cap);

/* ---- convolution paths -----------------------------------------------------
 * With the oneDNN backend an f32 convolution pass (n >= 1) runs by im2col +
 * rt_gemm or as a oneDNN convolution primitive; with OpenBLAS, and in f64,
 * always by im2col + GEMM. The path setting:
 *  - RT_CONV_AUTO (the default): the first call of each shape (n, c, h, w,
 *    o, kh, kw, stride, pad) and pass times both paths on the call's own
 *    buffers (one untimed oneDNN call first, which creates its primitive;
 *    then RT_CONV_TIMED_RUNS runs of each, alternated; medians), keeps the
 *    faster in the table of picks and runs it from then on (a pinned
 *    shape and pass, rt_conv_pin, runs its pin untimed). The call's
 *    result is the picked path's (its outputs are overwritten by every
 *    run). A shape oneDNN has no primitive for is picked im2col, untimed.
 *  - RT_CONV_IM2COL, RT_CONV_ONEDNN: that path for every shape (oneDNN:
 *    im2col where it has no primitive); nothing is timed or picked.
 * The two paths differ by rounding, so two processes under RT_CONV_AUTO
 * may differ in the last bits: pinning the path makes them agree.
 * The table of picks belongs to kernels_conv.c: it grows as shapes come
 * (the one allocation of the kernels) and lives until the process ends;
 * changing the setting keeps it. Workspace sizes (rt_conv2d_ws) cover
 * both paths whatever the setting. */
typedef enum { RT_CONV_AUTO = 0, RT_CONV_IM2COL = 1, RT_CONV_ONEDNN = 2 } rt_conv_path;
typedef enum { RT_CONV_FWD = 0, RT_CONV_BWD_DATA = 1, RT_CONV_BWD_WEIGHT = 2 } rt_conv_pass;
enum { RT_CONV_TIMED_RUNS = 3 };
/* Selects the path: 0, or -1 (the setting stays) for RT_CONV_ONEDNN when
 * this build has no oneDNN or oneDNN cannot start. */
int rt_conv_set_path(rt_conv_path p);
rt_conv_path rt_conv_get_path(void);
/* "auto", "im2col" or "onednn"; parse sets *p from such a name (0) or
 * returns -1. */
const char *rt_conv_path_name(rt_conv_path p);
int rt_conv_path_parse(const char *name, rt_conv_path *p);
/* "fwd", "bwd_data" or "bwd_weight". */
const char *rt_conv_pass_name(rt_conv_pass p);
/* One pick of RT_CONV_AUTO: the shape and pass, the median seconds of a
 * run of each path and the path picked (RT_CONV_IM2COL or RT_CONV_ONEDNN);
 * onednn_s < 0: oneDNN has no primitive for it, im2col is picked untimed
 * (im2col_s 0); pinned: set by rt_conv_pin, untimed (both times 0). */
typedef struct {
  rt_conv_pass pass;
  int n, c, h, w, o, kh, kw, stride, pad;
  double im2col_s, onednn_s;
  rt_conv_path pick;
  int pinned;
} rt_conv_pick;
/* The picks made so far in this process, in the order of their shapes'
 * first calls; rt_conv_pick_at(i) for i < rt_conv_pick_count() stays
 * valid until the next pick is made. */
int rt_conv_pick_count(void);
const rt_conv_pick *rt_conv_pick_at(int i);
/* Sets the pick of p's shape and pass to p as given (its times and
 * pinned flag are the caller's: an earlier run's picks pinned, or a
 * resumed run's as recorded), replacing its pick if it has one:
 * RT_CONV_AUTO runs p->pick (RT_CONV_IM2COL or RT_CONV_ONEDNN) untimed,
 * a oneDNN pick by im2col where oneDNN has no primitive. */
void rt_conv_pin(const rt_conv_pick *p);
/* Processes that must run the same paths (the ranks of a data-parallel
 * step, docs/distributed.md): while a hook is set, the first call under
 * RT_CONV_AUTO of each shape and pass whose pick is neither pinned
 * (rt_conv_pin) nor agreed before (after timing it when it has no pick)
 * calls fn with this process's pick and keeps and runs the path fn
 * returns (rank 0's); the call's result is that path's. Every process must
 * make the same calls in the same order while its hook is set. NULL
 * unsets it. */
typedef rt_conv_path (*rt_conv_agree_fn)(void *arg, rt_conv_path own);
void rt_conv_agree_set(rt_conv_agree_fn fn, void *arg);

/* The call a data-parallel grad_step (docs/distributed.md) makes after the
 * gradient of its k-th weight is complete (and only there): the hook that
 * rt_grad_ready_set gave, if any; one hook per process. */
#define RT_GRAD_READY "rt_grad_ready"
typedef void (*rt_grad_ready_fn)(void *arg, int k);
void rt_grad_ready(int k);
void rt_grad_ready_set(rt_grad_ready_fn fn, void *arg);

#endif
