/* et.h: helpers of the elaborator tests: loading a duet source text through
 * the front end and semantic analysis, and running a JIT-compiled elaborated
 * program (the tally and random stream are check.h's). */
#ifndef DUET_ET_H
#define DUET_ET_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "core.h"
#include "elab.h"
#include "tunit.h"

/* Compiles `text` (as test.duet); on errors prints them and exits. */
void et_load(tunit *u, const char *text);
/* The experiment called name, or exits. */
const sema_experiment *et_experiment(tunit *u, const char *name);
/* elab_experiment, or prints the diagnostics and exits. */
ir_program *et_elab(tunit *u, const sema_experiment *e, const elab_options *o);

/* A compiled program with its arena and per-step buffers. */
typedef struct et_run {
  core_exe *exe;
  void *arena;
  const ir_program *p; /* the program it was compiled from (kept) */
  void **inputs;       /* one buffer per program input */
  double *scalars;     /* by program scalar index */
  double outputs[8];
} et_run;

/* Compiles p (exits on failure) and runs init with `seed`. */
void et_start(et_run *r, const ir_program *p, uint64_t seed);
/* Fills input `name` with uniform reals in [lo, hi), or ints in [0, hi). */
void et_fill_input(check_ctx *t, et_run *r, const char *name, double lo, double hi);
void et_set_scalar(et_run *r, const char *name, double v);
/* Runs an entry (exits if there is none). */
void et_call(et_run *r, const char *entry);
/* Output `out` of the last run of `entry` (exits if there is none). */
double et_out(et_run *r, const char *entry, const char *out);
/* A persistent tensor's data (double: the program must be F64). */
double *et_tensor(et_run *r, const char *name, long *count);
void et_stop(et_run *r);

/* The names tests/gpt/gpt_step_tool.c still uses for the tally, the
 * compilation and their functions (check.h, tunit.h). */
typedef check_ctx et_ctx;
typedef tunit et_unit;
static inline double et_uniform(check_ctx *t, double lo, double hi) {
  return check_uniform(t, lo, hi);
}
static inline void et_unit_free(tunit *u) { tunit_free(u); }

#endif
