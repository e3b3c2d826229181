/* et.h: helpers of the elaborator tests: check accounting, deterministic
 * random numbers, loading a duet source text through the front end and
 * semantic analysis, and running a JIT-compiled elaborated program. */
#ifndef DUET_ET_H
#define DUET_ET_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "elab.h"

typedef struct et_ctx {
  int checks, failures;
  uint64_t rng;
} et_ctx;

/* Records a check; prints the message (printf format) when it fails. */
void et_check(et_ctx *t, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* |got - want| <= tol * max(1, |want|); prints both on failure. */
void et_close(et_ctx *t, double got, double want, double tol, const char *what);
/* Prints the tally; the exit status of the test. */
int et_done(et_ctx *t, const char *name);
double et_uniform(et_ctx *t, double lo, double hi);

/* One compilation of a source text (with the stdlib). */
typedef struct et_unit {
  arena *a;
  diag_ctx *d;
  sema_result *r;
} et_unit;

/* Parses and checks `text`; on errors prints them and exits. */
void et_load(et_unit *u, const char *text);
/* The experiment called name, or exits. */
const sema_experiment *et_experiment(et_unit *u, const char *name);
/* elab_experiment, or prints the diagnostics and exits. */
ir_program *et_elab(et_unit *u, const sema_experiment *e, const elab_options *o);
void et_unit_free(et_unit *u);

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
void et_fill_input(et_ctx *t, et_run *r, const char *name, double lo, double hi);
void et_set_scalar(et_run *r, const char *name, double v);
/* Runs an entry (exits if there is none). */
void et_call(et_run *r, const char *entry);
/* Output `out` of the last run of `entry` (exits if there is none). */
double et_out(et_run *r, const char *entry, const char *out);
/* A persistent tensor's data (double: the program must be F64). */
double *et_tensor(et_run *r, const char *name, long *count);
void et_stop(et_run *r);

#endif
