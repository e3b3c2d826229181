/* drv_machine.h: a compiled program ready to run: its IR (kept for entry
 * lookups), the JIT-compiled code, one arena, a buffer for every per-step
 * input and the scalar inputs. */
#ifndef DUET_DRV_MACHINE_H
#define DUET_DRV_MACHINE_H

#include <stdbool.h>

#include "core.h"

#define DRV_MAX_OUTPUTS 8

typedef struct drv_machine {
  ir_program *ir;  /* owned */
  core_exe *exe;   /* owned */
  void *arena;     /* owned (free) */
  void **inputs;   /* owned: [ir->ninputs] dense buffers, as declared */
  double *scalars; /* owned: [ir->nscalars] */
  ir_dtype real;
} drv_machine;

/* Compiles p (taking ownership of it) and allocates everything. False
 * after printing `duet: internal error: ...`; p is freed then too. */
bool drv_machine_init(drv_machine *m, ir_program *p);
void drv_machine_free(drv_machine *m);

/* Sets scalar input `name` if the program declares it. */
void drv_machine_set(drv_machine *m, const char *name, double v);

/* Runs entry `entry` (a core_entry index); outputs go to out[], which
 * holds DRV_MAX_OUTPUTS values, by position; core_entry_output_name names
 * them. */
void drv_machine_run(drv_machine *m, int entry, double *out);

/* Index of output `name` of entry, or -1. */
int drv_machine_output(const drv_machine *m, int entry, const char *name);

#endif
