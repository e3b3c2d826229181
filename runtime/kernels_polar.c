/*
 * kernels_polar.c - orthogonalization and small matrix functions:
 * Newton-Schulz polar factor with selectable coefficient schedules, exact
 * polar factor and spectral norm by LAPACK SVD, powers of symmetric
 * positive definite matrices by eigendecomposition, and a warm-started
 * Lanczos estimate of the spectral norm.
 */
#include <assert.h>
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "kernels_polar_schedule.h"
#include "rt_kernels.h"

/* LAPACK integer workspace is carved out of the real-typed ws. */
_Static_assert(sizeof(lapack_int) <= sizeof(float), "lapack_int must fit in a float-sized ws slot");

/* Number of real-typed ws slots holding `count` lapack_ints. */
static size_t int_slots(size_t count, size_t real_size) {
  return (count * sizeof(lapack_int) + real_size - 1) / real_size;
}

#define RT_IMPL "kernels_polar_impl.h"
#include "kernels_instantiate.h"
