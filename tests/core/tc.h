/*
 * tc.h - helpers shared by the compiler-core tests: deterministic
 * pseudo-random data, and compiling programs with a clear message on error
 * (the tally is check.h's).
 */
#ifndef DUET_TC_H
#define DUET_TC_H

#include "check.h"
#include "core.h"
#include "ir.h"

/* x[i] uniform in [lo, hi) from the context's stream. */
void tc_fill(check_ctx *t, double *x, long n, double lo, double hi);
void tc_fill_f(check_ctx *t, float *x, long n, double lo, double hi);

/* Compiles p or exits with the error message. */
core_exe *tc_compile(ir_program *p);
/* Checks a builder result: exits with the graph's error when NULL. */
ir_node *tc_ok(ir_graph *g, ir_node *n);
/* Declaration index or exit with the program's error. */
int tc_decl(ir_program *p, int index);

#endif
