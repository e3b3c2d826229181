/*
 * test_kernels_util.h - helpers shared by the kernel tests: a check
 * counter, reproducible random inputs (Philox), float/double copies,
 * normwise relative error checks and central finite-difference gradients.
 */
#ifndef DUET_TEST_KERNELS_UTIL_H
#define DUET_TEST_KERNELS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Counts of one test program's checks; lives on main()'s stack. */
typedef struct {
    int checks, failures;
} tk_suite;

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
/* Records and prints one check "what: err <= tol"; returns 1 if it passed. */
int tk_check(tk_suite *t, const char *what, double err, double tol);
int tk_close(tk_suite *t, const char *what, const double *got,
             const double *want, size_t n, double tol);
int tk_close32(tk_suite *t, const char *what, const float *got,
               const double *want, size_t n, double tol);
/* Records an exact equality check of two integers. */
int tk_equal(tk_suite *t, const char *what, long long got, long long want);

/* A scalar function of x, for finite differences. */
typedef double (*tk_loss_fn)(void *ctx, const double *x);
/* grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h; x is restored. */
void tk_fd_grad(tk_loss_fn f, void *ctx, double *x, size_t n, double h,
                double *grad);
/* <a, b>. */
double tk_dot(const double *a, const double *b, size_t n);

/* Prints the summary; returns the process exit code. */
int tk_finish(const tk_suite *t, const char *name);

#endif
