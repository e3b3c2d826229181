/*
 * rt_dnn.h - the runtime's oneDNN layer, internal to the runtime: matrix
 * products (f32 or bf16 operands, f32 accumulation) and convolutions run
 * as oneDNN primitives, created once per configuration and cached.
 *
 * The layer exists only in builds compiled with DUET_ONEDNN (and linked
 * with libdnnl); its files (dnn_*.c) compile to nothing otherwise, and
 * every caller guards its calls with #ifdef DUET_ONEDNN. Which library the
 * kernels use is chosen by rt_gemm_set_backend() (rt_kernels.h); the
 * callers check that choice, this layer does not.
 *
 * Ownership: the engine, the stream, the cached primitives, their memory
 * objects and oneDNN's scratchpads belong to this layer and live until the
 * process ends (they are reachable from its static state). Tensors stay
 * the caller's: a call sets the data handles of the cached memory objects
 * to the caller's buffers for the duration of the call.
 *
 * Not thread-safe: like the rest of the runtime, one thread calls it.
 */
#ifndef DUET_RT_DNN_H
#define DUET_RT_DNN_H

#include <stddef.h>
#include <stdint.h>

#include "rt_kernels.h" /* rt_conv_pass */

/* Element types of operands and results. */
typedef enum { RT_DNN_F32 = 0, RT_DNN_BF16 = 1 } rt_dnn_type;

/* ---- context (dnn_context.c) ------------------------------------------------ */

/* 1 once the CPU engine and stream exist (created on the first call), 0 if
 * oneDNN could not create them (then every rt_dnn_* call returns -1). */
int rt_dnn_ready(void);
/* The thread count of oneDNN's threading runtime (OpenMP in Debian's
 * build) for the calling thread's later primitives; n >= 1. */
void rt_dnn_set_threads(int n);
/* The thread count primitives created now would use. */
int rt_dnn_threads(void);
/* Writes, as snprintf does, the implementation names (impl info strings,
 * e.g. "brg:avx512_core_bf16") of the primitives created so far, distinct,
 * sorted (so that runs that create the same primitives in another order,
 * such as convolutions timed or pinned, describe them alike), separated by
 * ", "; before the first one,
 * the name oneDNN picks for an f32 product of 256 x 256 matrices. */
size_t rt_dnn_describe(char *buf, size_t cap);

/* ---- matrix products (dnn_matmul.c) ------------------------------------------ */

/* For b in [0, batch): C_b = alpha op(A_b) op(B_b) + beta C_b, op(X) = X^T
 * when the flag is set, op(A) m x k, op(B) k x n, C m x n; the stored
 * matrices are row-major with leading dimensions lda, ldb, ldc; sa, sb, sc
 * are element strides between batch items (0 repeats A or B; sc > 0 when
 * batch > 1). With batch2 > 1 the items are (b, j), j < batch2, at
 * b sa + j sa2 (likewise B and C; sc2 > 0): a batch of [batch, batch2]
 * (the heads of [B, T, H, D] rows). A and B are of type `ab`, C of type
 * `c`; the products accumulate in f32, then alpha, then beta C (oneDNN's
 * sum post-op), then rounding to `c`. beta == 0: C is not read. m, n, k,
 * batch >= 1; batch2 0 or 1: none. */
typedef struct {
  int ta, tb, m, n, k, batch, batch2;
  long lda, ldb, ldc, sa, sb, sc, sa2, sb2, sc2;
  rt_dnn_type ab, c;
  float alpha, beta;
} rt_dnn_matmul_desc;

/* 0 when the product ran, -1 when oneDNN has no primitive for it (the
 * caller computes it otherwise; nothing was written). */
int rt_dnn_matmul(const rt_dnn_matmul_desc *d, const void *A, const void *B, void *C);
/* 0 when rt_dnn_matmul(d, ...) will run (its primitive exists now). */
int rt_dnn_matmul_prepare(const rt_dnn_matmul_desc *d);

/* ---- convolutions (dnn_conv.c) ------------------------------------------------ */

/* One 2-D convolution as rt_kernels.h defines it (NCHW, weights
 * [o, c, kh, kw], zero padding, no dilation). */
typedef struct {
  int n, c, h, w, o, kh, kw, stride, pad;
} rt_dnn_conv_shape;

/* floats of workspace any pass of shape s needs: oneDNN's preferred
 * (blocked) copies of the tensors whose layout differs from the plain one. */
size_t rt_dnn_conv_ws(const rt_dnn_conv_shape *s);
/* One pass: fwd y = conv(x, W) with in = x, W, out = y; bwd data
 * dx from (dy, W); bwd weight dW from (x, dy). The output is overwritten.
 * 0 when it ran, -1 when oneDNN has no primitive for it (nothing written).
 * ws: rt_dnn_conv_ws(s) floats. */
int rt_dnn_conv(rt_conv_pass pass, const rt_dnn_conv_shape *s, const float *in0, const float *in1,
                float *out, float *ws);

#endif
