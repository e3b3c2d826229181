/*
 * cg_int.h - state shared by the LLVM back end's files (cg_llvm.c: module
 * and entry points, cg_loop.c: fused loops, cg_math.c: scalar operations,
 * cg_jit.c: optimization and ORC LLJIT). Not part of the public interface.
 */
#ifndef DUET_CG_INT_H
#define DUET_CG_INT_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stddef.h>

#include "kp.h"

/* A loop function already defined in the module, keyed by everything its
 * body depends on (see loop_key in cg_loop.c). */
typedef struct cg_loop_def {
  char *key; /* malloc-owned */
  LLVMValueRef fn;
} cg_loop_def;

typedef struct cg_ctx {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  const kp_program *kp;
  int dbl; /* the real type is double */
  LLVMTypeRef T, i1, i8, i32, i64, f64, ptr, vd;
  int nloops, loopcap;
  cg_loop_def *loops; /* malloc-owned; freed by cg_free_loops */
} cg_ctx;

void cg_init_types(cg_ctx *g);
/* Call of an overloaded LLVM intrinsic on type `ty`. */
LLVMValueRef cg_intrinsic(cg_ctx *g, const char *name, LLVMTypeRef ty, int nargs,
                          LLVMValueRef *args);
/* Value of a scalar operation on reals (a, b, c as the operation needs). */
LLVMValueRef cg_math(cg_ctx *g, kp_eop op, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c);
LLVMValueRef cg_real(cg_ctx *g, double v);
/* The internal function running the loop; its parameters are the output
 * pointer, one pointer per input, and the scalars pointer. Loops that differ
 * only in where their operands are share one function. */
LLVMValueRef cg_loop_fn(cg_ctx *g, const kp_loop *l);
void cg_free_loops(cg_ctx *g);

/* Module with one function per entry point, named by cg_entry_symbol(). */
LLVMModuleRef cg_build_module(LLVMContextRef ctx, const kp_program *kp);
void cg_entry_symbol(const kp_program *kp, int i, char *buf, size_t len);
/* Target machine for the host CPU (name and features); NULL + message. */
LLVMTargetMachineRef cg_host_machine(char *err, size_t errlen);
/* Verifies, sets the data layout and runs default<O3>; 0 or -1 + message. */
int cg_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, char *err, size_t errlen);

#endif
