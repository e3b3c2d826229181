/*
 * kernels_gemm.c - the runtime's single GEMM entry point: batched, strided
 * GEMM with leading dimensions on OpenBLAS cblas or (f32, with DUET_ONEDNN) oneDNN matmul
 * primitives; the choice of that backend, and the thread count of both.
 */
#include <assert.h>
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "rt_dnn.h"
#include "rt_kernels.h"

/* The backend; -1 until selected or first asked for, when it becomes the
 * default (rt_kernels.h). */
static int backend = -1;
#ifdef DUET_ONEDNN
/* rt_set_threads has set oneDNN's thread count. */
static int dnn_threads_set;
#endif

void rt_set_threads(int n) {
  assert(n >= 1);
  openblas_set_num_threads(n);
#ifdef DUET_ONEDNN
  rt_dnn_set_threads(n);
  dnn_threads_set = 1;
#endif
}

int rt_gemm_set_backend(rt_gemm_backend b) {
  assert(b == RT_GEMM_OPENBLAS || b == RT_GEMM_ONEDNN);
#ifdef DUET_ONEDNN
  if (b == RT_GEMM_ONEDNN && !rt_dnn_ready())
    return -1;
#else
  if (b == RT_GEMM_ONEDNN)
    return -1;
#endif
  backend = b;
  return 0;
}

rt_gemm_backend rt_gemm_get_backend(void) {
  if (backend < 0)
    backend = rt_gemm_set_backend(RT_GEMM_ONEDNN) == 0 ? RT_GEMM_ONEDNN : RT_GEMM_OPENBLAS;
#ifdef DUET_ONEDNN
  /* its threads follow OpenBLAS's until rt_set_threads sets both */
  if (backend == RT_GEMM_ONEDNN && !dnn_threads_set) {
    rt_dnn_set_threads(openblas_get_num_threads());
    dnn_threads_set = 1;
  }
#endif
  return (rt_gemm_backend)backend;
}

static const char *const backend_names[] = {"openblas", "onednn"};

const char *rt_gemm_backend_name(rt_gemm_backend b) {
  assert(b == RT_GEMM_OPENBLAS || b == RT_GEMM_ONEDNN);
  return backend_names[b];
}

int rt_gemm_backend_parse(const char *name, rt_gemm_backend *b) {
  for (int i = 0; i < 2; i++)
    if (strcmp(name, backend_names[i]) == 0) {
      *b = (rt_gemm_backend)i;
      return 0;
    }
  return -1;
}

size_t rt_gemm_backend_describe(char *buf, size_t cap) {
  const rt_gemm_backend b = rt_gemm_get_backend();
  const int len = snprintf(buf, cap, "%s", rt_gemm_backend_name(b));
#ifdef DUET_ONEDNN
  if (b == RT_GEMM_ONEDNN) {
    const size_t at = (size_t)len + 1;
    if (at < cap)
      buf[len] = ' ';
    return at + rt_dnn_describe(at < cap ? buf + at : NULL, at < cap ? cap - at : 0);
  }
#endif
  return (size_t)len;
}

static int max1(int v) { return v > 1 ? v : 1; }

#ifdef DUET_ONEDNN
/* ---- f32 products on oneDNN ------------------------------------------------------
 * Measured against OpenBLAS (OPENBLAS_CORETYPE=Haswell) per shape class
 * (bench/bench_kernels.c classes, docs/benchmarks.md "Small products on
 * oneDNN"), one thread, load about 1: oneDNN's matmul is faster from
 * m n k = 2^16 on (1.1-1.8x; 0.7-1.2x at 2^14-2^15, its per-call cost)
 * when C has 8 or more columns (1.4-2.1x at 8 and 10; 1.2-1.4x at 4), or
 * 16 or more with A transposed (1.1-1.2x at 16, 0.7 at 4 and 8); a
 * batched call pays that cost once for all its `items` products (48
 * products of 16 x 16 x 16: 1.3-1.7x). */
static int gemm_dnn_pays(int ta, int m, int n, int k, long items) {
  return n >= (ta ? 16 : 8) && (double)m * n * k * (double)items >= 65536.0;
}

/* The product of rt_gemm_ld_f32 on oneDNN: 0 when it ran, -1 when
 * OpenBLAS is to compute it. sc == 0 with a batch (of one level)
 * accumulates item by item. */
static int gemm_dnn_f32(int ta, int tb, int m, int n, int k, float alpha, const float *A, long lda,
                        long sa, long sa2, const float *B, long ldb, long sb, long sb2, float beta,
                        float *C, long ldc, long sc, long sc2, int batch, int batch2) {
  /* sc == 0: one call per item */
  const long items = sc != 0 ? (long)batch * (batch2 > 1 ? batch2 : 1) : 1;
  if (rt_gemm_get_backend() != RT_GEMM_ONEDNN || k == 0 || alpha == 0 ||
      !gemm_dnn_pays(ta, m, n, k, items) || (batch2 > 1 && sc == 0))
    return -1;
  if (batch == 1) /* one cache entry per 2-D product */
    sa = sb = sc = 0;
  const rt_dnn_matmul_desc d = {.ta = ta,
                                .tb = tb,
                                .m = m,
                                .n = n,
                                .k = k,
                                .batch = batch,
                                .batch2 = batch2,
                                .lda = lda,
                                .ldb = ldb,
                                .ldc = ldc,
                                .sa = sa,
                                .sb = sb,
                                .sc = sc,
                                .sa2 = sa2,
                                .sb2 = sb2,
                                .sc2 = sc2,
                                .ab = RT_DNN_F32,
                                .c = RT_DNN_F32,
                                .alpha = alpha,
                                .beta = beta};
  if (sc != 0 || batch == 1)
    return rt_dnn_matmul(&d, A, B, C);
  rt_dnn_matmul_desc first = d, rest = d;
  first.batch = rest.batch = 1;
  first.sa = first.sb = first.sc = rest.sa = rest.sb = rest.sc = 0;
  rest.beta = 1;
  if (rt_dnn_matmul_prepare(&first) != 0 || rt_dnn_matmul_prepare(&rest) != 0)
    return -1;
  for (int b = 0; b < batch; b++) {
    const int rc = rt_dnn_matmul(b ? &rest : &first, A + b * sa, B + b * sb, C);
    assert(rc == 0 && "a prepared oneDNN product runs");
    (void)rc;
  }
  return 0;
}
#else
#define gemm_dnn_f32(...) (-1)
#endif
/* f64 products stay on OpenBLAS. */
#define gemm_dnn_f64(...) (-1)

#define RT_IMPL "kernels_gemm_impl.h"
#include "kernels_instantiate.h"
