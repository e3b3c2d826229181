/*
 * test_kernels_util.h - helpers shared by the kernel tests: reproducible
 * random inputs (Philox), float/double copies, normwise relative error
 * checks counted in the test's tally (check.h) and central
 * finite-difference gradients.
 */
#ifndef DUET_TEST_KERNELS_UTIL_H
#define DUET_TEST_KERNELS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* Heap buffers (zeroed); the caller owns and frees them. Exits on OOM. */
double *tk_alloc(size_t n);
float *tk_alloc32(size_t n);
/* x[i] uniform in (lo, hi), reproducible per stream. */
void tk_rand(double *x, size_t n, double lo, double hi, uint64_t stream);
/* Newly allocated float / double copies (caller frees). */
float *tk_to32(const double *x, size_t n);
double *tk_to64(const float *x, size_t n);

/* max_i |got - want| / max(max_i |want|, 1e-300); a NaN in want must be
 * matched by a NaN in got (untouched garbage), any other NaN is an error. */
double tk_err(const double *got, const double *want, size_t n);
/* The same for a float result. */
double tk_err32(const float *got, const double *want, size_t n);
/* Records and prints one check "err <= tol", named by a printf format and
 * its arguments; returns 1 if it passed. */
int tk_check(check_ctx *t, double err, double tol, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records and prints an exact equality check of two integers, named as in
 * tk_check. */
int tk_equal(check_ctx *t, long long got, long long want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A scalar function of x, for finite differences. */
typedef double (*tk_loss_fn)(void *ctx, const double *x);
/* grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h; x is restored. */
void tk_fd_grad(tk_loss_fn f, void *ctx, double *x, size_t n, double h, double *grad);
/* <a, b>. */
double tk_dot(const double *a, const double *b, size_t n);

#endif
