/*
 * lower.h - lowering of an IR program to a kernel program (kp.h): fusion of
 * elementwise chains into loops, runtime calls for everything else, one arena
 * with persistent tensors first and liveness-based reuse of temporaries.
 */
#ifndef DUET_LOWER_H
#define DUET_LOWER_H

#include <stddef.h>

#include "ir.h"
#include "kp.h"

/* Verifies and lowers every entry point of p. Returns a new kernel program
 * (free with kp_free; independent of p afterwards), or NULL with a message in
 * err. Runtime workspace sizes are queried from the runtime at this point. */
kp_program *lower_program(const ir_program *p, char *err, size_t errlen);

#endif
