/*
 * tc.c - helpers shared by the compiler-core tests (see tc.h).
 */
#include "tc.h"

#include <stdio.h>
#include <stdlib.h>

void tc_fill(check_ctx *t, double *x, long n, double lo, double hi) {
  for (long i = 0; i < n; i++)
    x[i] = check_uniform(t, lo, hi);
}

void tc_fill_f(check_ctx *t, float *x, long n, double lo, double hi) {
  for (long i = 0; i < n; i++)
    x[i] = (float)check_uniform(t, lo, hi);
}

core_exe *tc_compile(ir_program *p) {
  char err[512];
  core_exe *x = core_compile(p, err, sizeof err);
  if (!x) {
    printf("FAIL: compile: %s\n", err);
    exit(1);
  }
  return x;
}

ir_node *tc_ok(ir_graph *g, ir_node *n) {
  if (!n) {
    printf("FAIL: builder: %s\n", ir_error(g));
    exit(1);
  }
  return n;
}

int tc_decl(ir_program *p, int index) {
  if (index < 0) {
    printf("FAIL: declaration: %s\n", p->err);
    exit(1);
  }
  return index;
}
