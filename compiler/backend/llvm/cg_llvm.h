/*
 * cg_llvm.h - the LLVM back end: kernel program -> one LLVM module with one
 * function per entry point, optimized with default<O3> for the host CPU, and
 * JIT-compiled with ORC LLJIT.
 *
 * Runtime kernels (rt_*) are bound to their addresses in this process from a
 * table compiled into duet_llvm (which also keeps the linker from dropping
 * them); other external symbols the optimized code may need (libm, memcpy)
 * resolve through a search of the host process's loaded libraries.
 */
#ifndef DUET_CG_LLVM_H
#define DUET_CG_LLVM_H

#include <stddef.h>

#include "kp.h"

/* The C ABI of every compiled entry point (see kp.h). */
typedef void (*cg_entry_fn)(char *arena, void *const *inputs, const double *scalars,
                            double *outputs);

typedef struct cg_jit cg_jit;

/* Textual LLVM IR of the program (optimized unless optimize == 0), malloc-
 * owned by the caller; NULL with a message in err on failure. */
char *cg_llvm_emit_ir(const kp_program *kp, int optimize, char *err, size_t errlen);

/* Compiles every entry point; NULL with a message in err on failure (e.g. a
 * missing symbol). The kernel program may be freed afterwards. */
cg_jit *cg_llvm_jit(const kp_program *kp, char *err, size_t errlen);
/* Entry point i (kernel program order). */
cg_entry_fn cg_jit_entry(const cg_jit *j, int i);
void cg_jit_free(cg_jit *j);

/* Address of runtime kernel `name` (e.g. "rt_gemm_f32") or NULL. */
typedef void (*cg_fnptr)(void);
cg_fnptr cg_runtime_symbol(const char *name);

#endif
