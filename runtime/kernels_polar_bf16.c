/*
 * kernels_polar_bf16.c - Newton-Schulz on typed operands: the products'
 * operands rounded to bf16 (rt_polar_ns_bf16, as Muon's reference runs
 * the iteration) or in f32 on oneDNN (what rt_polar_ns_f32 runs when
 * oneDNN is the backend). The iteration is kernels_polar_bf16_impl.h;
 * this file decides where its products run, and runs an iteration in the
 * precision a program asks for (rt_polar_ns_in).
 */
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_bf16.h"
#include "kernels_polar_schedule.h"
#include "rt_dnn.h"
#include "rt_kernels.h"

/* Byte offsets of the workspace parts are multiples of this. */
enum { NS_ALIGN = 64 };

/* Rows per block of a symmetric product on oneDNN: the upper triangle is
 * computed by block rows (rows [i0, i0 + NS_DNN_BLOCK) against columns
 * [i0, s)), then mirrored; a single whole product up to NS_DNN_BLOCK rows.
 * Measured on the MLP's weights (docs/benchmarks.md), with oneDNN's AMX
 * bf16 kernels: the whole 5-step iteration takes 0.5-0.7x (512 x 784) and
 * 0.45x (512 x 512) the time with blocks of 64 rows and 0.6-0.7x that
 * with blocks of 256: on bf16 the per-call costs of the blocks outweigh
 * the multiply-adds they save, so up to 512 rows the products are whole. */
enum { NS_DNN_BLOCK = 512 };

static size_t align_up(size_t bytes) { return (bytes + NS_ALIGN - 1) / NS_ALIGN * NS_ALIGN; }

static void *aligned_in(void *ws) {
  const uintptr_t p = ((uintptr_t)ws + NS_ALIGN - 1) / NS_ALIGN * NS_ALIGN;
  return (void *)p;
}

/* Whether the products of an iteration on operands of type `bf16` (for
 * the real type float) run on oneDNN: it is the backend, and it has
 * bf16 products on this machine when asked for them. */
static int ns_on_dnn(int bf16) {
#ifdef DUET_ONEDNN
  if (rt_gemm_get_backend() != RT_GEMM_ONEDNN)
    return 0;
  if (!bf16)
    return 1;
  const rt_dnn_matmul_desc probe = {.tb = 1,
                                    .m = 32,
                                    .n = 32,
                                    .k = 32,
                                    .batch = 1,
                                    .lda = 32,
                                    .ldb = 32,
                                    .ldc = 32,
                                    .ab = RT_DNN_BF16,
                                    .c = RT_DNN_BF16,
                                    .alpha = 1};
  return rt_dnn_matmul_prepare(&probe) == 0;
#else
  (void)bf16;
  return 0;
#endif
}

#ifdef DUET_ONEDNN
/* A product the iteration cannot do without: oneDNN has bf16 and f32
 * products here (ns_on_dnn), so a failure is an internal error. */
static void ns_dnn_run(const rt_dnn_matmul_desc *d, const void *A, const void *B, void *C) {
  if (rt_dnn_matmul(d, A, B, C) == 0)
    return;
  fprintf(stderr, "duet runtime: no oneDNN product %dx%dx%d for Newton-Schulz\n", d->m, d->n, d->k);
  abort();
}
#endif

#define RT_IMPL "kernels_polar_bf16_impl.h"
#include "kernels_instantiate.h"

/* ---- the iteration in a precision (rt_polar_ns_in) -----------------------------
 * In the other real type, each matrix is converted into the workspace,
 * orthogonalized there in place by that type's rt_polar_ns, and converted
 * back; the workspace holds the copy (NS_ALIGN-aligned) and then that
 * call's workspace. */
#define NS_IN(S, Real, O, Other, OWN)                                                              \
  size_t rt_polar_ns_in_ws##S(int m, int n, rt_ns_precision p) {                                   \
    if (p == RT_NS_BF16)                                                                           \
      return rt_polar_ns_bf16_ws##S(m, n);                                                         \
    if (p == OWN)                                                                                  \
      return rt_polar_ns_ws##S(m, n);                                                              \
    const size_t bytes = NS_ALIGN + align_up((size_t)m * n * sizeof(Other)) +                      \
                         rt_polar_ns_ws##O(m, n) * sizeof(Other);                                  \
    return (bytes + sizeof(Real) - 1) / sizeof(Real);                                              \
  }                                                                                                \
                                                                                                   \
  void rt_polar_ns_in##S(const Real *G, Real *X, int batch, int m, int n, rt_ns_schedule schedule, \
                         int steps, Real eps, rt_ns_precision p, Real *ws) {                       \
    if (p == RT_NS_BF16) {                                                                         \
      rt_polar_ns_bf16##S(G, X, batch, m, n, schedule, steps, eps, ws);                            \
      return;                                                                                      \
    }                                                                                              \
    if (p == OWN) {                                                                                \
      rt_polar_ns##S(G, X, batch, m, n, schedule, steps, eps, ws);                                 \
      return;                                                                                      \
    }                                                                                              \
    const long mn = (long)m * n;                                                                   \
    Other *y = aligned_in(ws);                                                                     \
    Other *rest = (Other *)((char *)y + align_up((size_t)mn * sizeof(Other)));                     \
    for (int b = 0; b < batch; b++) {                                                              \
      for (long i = 0; i < mn; i++)                                                                \
        y[i] = (Other)G[b * mn + i];                                                               \
      rt_polar_ns##O(y, y, 1, m, n, schedule, steps, (Other)eps, rest);                            \
      for (long i = 0; i < mn; i++)                                                                \
        X[b * mn + i] = (Real)y[i];                                                                \
    }                                                                                              \
  }

NS_IN(_f32, float, _f64, double, RT_NS_F32)
NS_IN(_f64, double, _f32, float, RT_NS_F64)
