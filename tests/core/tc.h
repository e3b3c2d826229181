/*
 * tc.h - helpers shared by the compiler-core tests: failure accounting,
 * deterministic pseudo-random data, and compiling programs with a clear
 * message on error.
 */
#ifndef DUET_TC_H
#define DUET_TC_H

#include <stdint.h>
#include <stdio.h>

#include "core.h"
#include "ir.h"

typedef struct tc_ctx {
    int failures;
    int checks;
    uint64_t rng;
} tc_ctx;

/* Records a check; prints the message (printf format) when it fails. */
void tc_check(tc_ctx *t, int ok, const char *fmt, ...);
/* |got - want| <= tol * max(1, |want|); prints both on failure. */
void tc_close(tc_ctx *t, double got, double want, double tol, const char *what);
/* Exit status summarizing the run (prints the tally). */
int tc_done(tc_ctx *t, const char *name);

double tc_uniform(tc_ctx *t, double lo, double hi);
void tc_fill(tc_ctx *t, double *x, long n, double lo, double hi);
void tc_fill_f(tc_ctx *t, float *x, long n, double lo, double hi);

/* Compiles p or exits with the error message. */
core_exe *tc_compile(ir_program *p);
/* Checks a builder result: exits with the graph's error when NULL. */
ir_node *tc_ok(ir_graph *g, ir_node *n);
/* Declaration index or exit with the program's error. */
int tc_decl(ir_program *p, int index);

#endif
