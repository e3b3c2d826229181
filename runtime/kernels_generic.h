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

#endif
