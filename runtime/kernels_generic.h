/*
 * kernels_generic.h - naming helpers for the generic kernel bodies.
 * A kernel family is written once in a kernels_*_impl.h over the real type
 * REAL, with public-name suffix SFX (_f32 / _f64) and BLAS/LAPACK prefix PFX
 * (s / d); kernels_instantiate.h compiles it once per type.
 */
#ifndef DUET_KERNELS_GENERIC_H
#define DUET_KERNELS_GENERIC_H

#include <tgmath.h> /* sqrt, exp, ... pick the float or double version */

#define RT_CAT_(a, b) a##b
#define RT_CAT(a, b)  RT_CAT_(a, b)
/* FN(rt_gemm) -> rt_gemm_f32 / rt_gemm_f64 (also for static helpers). */
#define FN(name)      RT_CAT(name, SFX)
/* BLAS(gemm) -> cblas_sgemm / cblas_dgemm. */
#define BLAS(name)    RT_CAT(RT_CAT(cblas_, PFX), name)
/* LAPACK(gesdd_work) -> LAPACKE_sgesdd_work / LAPACKE_dgesdd_work. */
#define LAPACK(name)  RT_CAT(RT_CAT(LAPACKE_, PFX), name)

/* RT_DISPATCH before a kernel's definition compiles it for x86-64-v3 (AVX2)
 * besides the baseline, and the loader picks the version the CPU can run
 * (GNU ifunc: x86-64 ELF with glibc, GCC >= 11 or Clang >= 14; elsewhere,
 * or with RT_NO_DISPATCH, only the baseline). Both versions compute the
 * same bits: the same operations in the C source's order (no contraction
 * into fused multiply-adds, no reassociation), only wider vectors
 * (tests/runtime: runtime.kernels_dispatch). Used where it measured
 * faster: softmax and cross-entropy, the norms, attention's softmax rows;
 * not the pooling (no gain). Not x86-64-v4: GCC 12's AVX-512 code for the
 * norms' rows is 2.5x slower than the baseline's (docs/benchmarks.md,
 * "Row kernels for AVX2"). */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GLIBC__) && !defined(RT_NO_DISPATCH) && \
    ((defined(__clang__) && __clang_major__ >= 14) || (!defined(__clang__) && __GNUC__ >= 11))
#define RT_DISPATCH __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RT_DISPATCH
#endif

#endif
