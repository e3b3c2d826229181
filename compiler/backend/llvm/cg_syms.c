/*
 * cg_syms.c - addresses of the runtime kernels the generated code calls,
 * for binding them in the JIT: the kernels of the operation registry
 * (ops.h), whose entries also keep the linker from dropping them from
 * executables that link the static runtime, and the hook of a
 * data-parallel grad_step (rt_grad_ready).
 */
#include "cg_llvm.h"

#include <string.h>

#include "ops.h"
#include "rt_kernels.h"

cg_fnptr cg_runtime_symbol(const char *name) {
  if (strcmp(name, RT_GRAD_READY) == 0)
    return (cg_fnptr)rt_grad_ready;
  size_t len = strlen(name);
  if (len < 4)
    return NULL;
  const char *suffix = name + len - 4;
  int f64 = strcmp(suffix, "_f64") == 0;
  if (!f64 && strcmp(suffix, "_f32") != 0)
    return NULL;
  for (int op = 0; op < IR_NUM_OPS; op++) {
    const ops_rt *k = &ops_def((ir_op)op)->call;
    if (k->name && strlen(k->name) == len - 4 && strncmp(k->name, name, len - 4) == 0)
      return (cg_fnptr)(f64 ? k->f64 : k->f32);
  }
  return NULL;
}
