/*
 * core.h - the compiler core as used by the driver: compile an IR program
 * (lowering + LLVM JIT), allocate its arena, initialize the persistent
 * tensors from a seed, run entry points, and access persistent tensors by
 * name (for checkpoints).
 *
 * Typical use:
 *     ir_program *p = ...;            (build with ir.h / ad.h)
 *     ir_build_init(p);
 *     core_exe *x = core_compile(p, err, sizeof err);
 *     char *arena = core_arena_alloc(x);        caller owns: free(arena)
 *     core_init(x, arena, seed);
 *     core_run(x, core_entry(x, "train_step"), arena, inputs, scalars, outputs);
 *     core_free(x);
 * The arena holds all parameters and optimizer state; nothing else keeps
 * state between calls. One exe may drive several arenas. Calls on one arena
 * must not run concurrently.
 */
#ifndef DUET_CORE_H
#define DUET_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "kp.h"

typedef struct core_exe core_exe;

/* Lowers and JIT-compiles every entry point of p (p may be freed after).
 * NULL with a message in err on failure. */
core_exe *core_compile(const ir_program *p, char *err, size_t errlen);
/* core_compile, plus for every entry E with class scores (evaluations,
 * training steps) the entry "E_scores" that runs E up to them and leaves
 * them in the arena, where kp_entry_scores of E in core_kernels() says
 * (kp_add_scores_entries). */
core_exe *core_compile_predict(const ir_program *p, char *err, size_t errlen);
void core_free(core_exe *x);

const kp_program *core_kernels(const core_exe *x);
/* Wall time of lowering plus LLVM optimization and code generation. */
double core_compile_seconds(const core_exe *x);
size_t core_arena_bytes(const core_exe *x);
/* A zeroed, 64-byte aligned arena of core_arena_bytes(); release with free(). */
void *core_arena_alloc(const core_exe *x);

/* Index of an entry point, or -1. */
int core_entry(const core_exe *x, const char *name);
int core_entry_noutputs(const core_exe *x, int entry);
const char *core_entry_output_name(const core_exe *x, int entry, int i);
/* Runs an entry point. inputs[i]: per-step input i (declaration order, dense,
 * as declared); scalars[i]: scalar input i (the entry's derived scalars are
 * computed from them, kp.h); outputs: room for its outputs. */
void core_run(const core_exe *x, int entry, void *arena, void *const *inputs, const double *scalars,
              double *outputs);
/* Runs the entry "init" (see ir_build_init) with scalar "seed" = seed and
 * all other scalars 0. Returns -1 if the program has no such entry. */
int core_init(const core_exe *x, void *arena, uint64_t seed);

/* Persistent tensor `name` inside the arena (float or double per the
 * program's dtype) and its element count; NULL if there is no such tensor
 * or another rank keeps it (kp_tensor.off < 0). */
void *core_tensor_data(const core_exe *x, void *arena, const char *name, long *count);

#endif
