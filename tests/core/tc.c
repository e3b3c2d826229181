/*
 * tc.c - helpers shared by the compiler-core tests (see tc.h).
 */
#include "tc.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

void tc_check(tc_ctx *t, int ok, const char *fmt, ...)
{
    t->checks++;
    if (ok)
        return;
    t->failures++;
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

void tc_close(tc_ctx *t, double got, double want, double tol, const char *what)
{
    double scale = fabs(want) > 1 ? fabs(want) : 1;
    tc_check(t, fabs(got - want) <= tol * scale, "%s: expected %.12g, got %.12g (tol %g)", what,
             want, got, tol);
}

int tc_done(tc_ctx *t, const char *name)
{
    printf("%s: %d checks, %d failures\n", name, t->checks, t->failures);
    return t->failures ? 1 : 0;
}

double tc_uniform(tc_ctx *t, double lo, double hi)
{
    /* xorshift64* */
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    uint64_t r = t->rng * 2685821657736338717ULL;
    return lo + (hi - lo) * (double)(r >> 11) / 9007199254740992.0;
}

void tc_fill(tc_ctx *t, double *x, long n, double lo, double hi)
{
    for (long i = 0; i < n; i++)
        x[i] = tc_uniform(t, lo, hi);
}

void tc_fill_f(tc_ctx *t, float *x, long n, double lo, double hi)
{
    for (long i = 0; i < n; i++)
        x[i] = (float)tc_uniform(t, lo, hi);
}

core_exe *tc_compile(ir_program *p)
{
    char err[512];
    core_exe *x = core_compile(p, err, sizeof err);
    if (!x) {
        printf("FAIL: compile: %s\n", err);
        exit(1);
    }
    return x;
}

ir_node *tc_ok(ir_graph *g, ir_node *n)
{
    if (!n) {
        printf("FAIL: builder: %s\n", ir_error(g));
        exit(1);
    }
    return n;
}

int tc_decl(ir_program *p, int index)
{
    if (index < 0) {
        printf("FAIL: declaration: %s\n", p->err);
        exit(1);
    }
    return index;
}
