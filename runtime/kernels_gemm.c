/*
 * kernels_gemm.c - the runtime's single BLAS entry point: batched, strided
 * GEMM on OpenBLAS cblas, and the BLAS thread-count setting.
 */
#include <assert.h>
#include <cblas.h>

#include "rt_kernels.h"

void rt_set_threads(int n) {
  assert(n >= 1);
  openblas_set_num_threads(n);
}

static int max1(int v) { return v > 1 ? v : 1; }

#define RT_IMPL "kernels_gemm_impl.h"
#include "kernels_instantiate.h"
