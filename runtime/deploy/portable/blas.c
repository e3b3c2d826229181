/*
 * blas.c - portable C implementations of the CBLAS routines in cblas.h,
 * for builds without a BLAS library. GEMM packs blocks of both operands
 * and multiplies them with a register-blocked kernel that C compilers
 * vectorize; GEMV runs plain loops; SYRK computes only its triangle; SYMM
 * expands the symmetric operand and multiplies. Each sum over k runs in
 * increasing k.
 */
#include <stdlib.h>
#include <string.h>

#include "cblas.h"

/* A matrix operand by strides: element (i, j) is p[i * rs + j * cs]. */
#define VIEW(T)  \
  struct {       \
    const T *p;  \
    long rs, cs; \
  }

/* Which elements of C a product writes. */
enum { TRI_ALL, TRI_UPPER, TRI_LOWER };

void openblas_set_num_threads(int n) { (void)n; }

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    abort();
  return p;
}

#define T               float
#define S(name)         name##_s
#define BLAS_NAME(name) cblas_s##name
#include "blas_impl.h"
#undef T
#undef S
#undef BLAS_NAME

#define T               double
#define S(name)         name##_d
#define BLAS_NAME(name) cblas_d##name
#include "blas_impl.h"
#undef T
#undef S
#undef BLAS_NAME
