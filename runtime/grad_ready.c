/* grad_ready.c: the hook a data-parallel grad_step calls when a weight's
 * gradient is complete (rt_kernels.h). */
#include "rt_kernels.h"

static rt_grad_ready_fn hook;
static void *hook_arg;

void rt_grad_ready_set(rt_grad_ready_fn fn, void *arg) {
  hook = fn;
  hook_arg = arg;
}

void rt_grad_ready(int k) {
  if (hook)
    hook(hook_arg, k);
}
