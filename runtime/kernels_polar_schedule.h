/*
 * kernels_polar_schedule.h - the Newton-Schulz coefficient schedules
 * (kernels_polar_schedule.c), shared by the iteration of rt_polar_ns
 * (kernels_polar.c) and the one on typed operands (kernels_polar_bf16.c);
 * and the latter with its operand type as a parameter, behind
 * rt_polar_ns_bf16 and for comparisons with f32 operands (tests, benchmarks).
 */
#ifndef DUET_KERNELS_POLAR_SCHEDULE_H
#define DUET_KERNELS_POLAR_SCHEDULE_H

#include "rt_kernels.h"

/* The (a, b, c) of iteration `step` (0-based) of `schedule`: for a
 * per-step schedule, steps past its length repeat its last triple. */
void rt_ns_triple(rt_ns_schedule schedule, int step, double abc[3]);
/* s of the normalization X0 = G / (s ||G||_F + eps). */
double rt_ns_norm_scale(rt_ns_schedule schedule);

/* Newton-Schulz as rt_polar_ns (rt_kernels.h) with the products' operands
 * rounded to bf16 (bf16 != 0) or in the real type, accumulated in f32 on
 * oneDNN when it is the backend (real type float) and in the real type on
 * BLAS otherwise; ws: rt_polar_ns_typed_ws() reals.
 * kernels_polar_bf16_impl.h describes the iteration. */
size_t rt_polar_ns_typed_ws_f32(int m, int n);
size_t rt_polar_ns_typed_ws_f64(int m, int n);
void rt_polar_ns_typed_f32(const float *G, float *X, int batch, int m, int n,
                           rt_ns_schedule schedule, int steps, float eps, int bf16, float *ws);
void rt_polar_ns_typed_f64(const double *G, double *X, int batch, int m, int n,
                           rt_ns_schedule schedule, int steps, double eps, int bf16, double *ws);

#endif
