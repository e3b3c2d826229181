/*
 * gradcheck.h - gradient checking of IR graphs: a case builds a scalar loss
 * from parameters and inputs declared on first use; the harness compiles it
 * in double precision with a "loss" entry and a "grad" entry (autodiff,
 * gradients assigned to state tensors), fills parameters and inputs with
 * deterministic random values, and compares the gradients against central
 * finite differences of the JIT-compiled loss.
 */
#ifndef DUET_GRADCHECK_H
#define DUET_GRADCHECK_H

#include "tc.h"

#define GC_MAX_INPUTS 32

typedef struct gc_env {
  ir_program *p;
  ir_graph *g;
  int int_hi[GC_MAX_INPUTS]; /* int inputs: values in [0, hi) */
  double lo[GC_MAX_INPUTS];  /* real inputs: uniform in [lo, hi) */
  double hi[GC_MAX_INPUTS];
  int nw; /* weights made by gc_wsum in this graph */
} gc_env;

typedef ir_node *(*gc_build)(gc_env *env);

/* Parameter (declared on first use) read in the current graph. */
ir_node *gc_param(gc_env *env, const char *name, int rank, const long *shape);
/* Real input with values uniform in [lo, hi). */
ir_node *gc_input(gc_env *env, const char *name, int rank, const long *shape, double lo, double hi);
/* Index input with values in [0, hi). */
ir_node *gc_index(gc_env *env, const char *name, int rank, const long *shape, int hi);
/* sum(y * w) with a random weight input of y's shape: a generic scalar. */
ir_node *gc_wsum(gc_env *env, ir_node *y);

/* Checks every parameter's gradient (up to `samples` random elements each);
 * max relative error |g - fd| / max(|g|, |fd|, 1e-6) must be <= tol.
 * Prints the worst error per parameter. */
void gc_run(check_ctx *t, const char *name, gc_build build, int samples, double tol);

#endif
