/*
 * core.c - the driver-facing facade of the compiler core: lowering and JIT
 * compilation of a program, arena allocation, initialization and execution
 * of entry points, and named access to persistent tensors.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cg_llvm.h"
#include "lower.h"

struct core_exe {
  kp_program *kp; /* owned */
  cg_jit *jit;    /* owned */
  double compile_s;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Lowers p, adds the entries that stop at the class scores when asked,
 * and JIT-compiles the result. */
static core_exe *compile(const ir_program *p, int scores, char *err, size_t errlen) {
  double t0 = now();
  kp_program *kp = lower_program(p, err, errlen);
  if (!kp)
    return NULL;
  if (scores)
    kp_add_scores_entries(kp);
  cg_jit *jit = cg_llvm_jit(kp, err, errlen);
  if (!jit) {
    kp_free(kp);
    return NULL;
  }
  core_exe *x = calloc(1, sizeof *x);
  if (!x)
    abort();
  x->kp = kp;
  x->jit = jit;
  x->compile_s = now() - t0;
  return x;
}

core_exe *core_compile(const ir_program *p, char *err, size_t errlen) {
  return compile(p, 0, err, errlen);
}

core_exe *core_compile_predict(const ir_program *p, char *err, size_t errlen) {
  return compile(p, 1, err, errlen);
}

void core_free(core_exe *x) {
  if (!x)
    return;
  cg_jit_free(x->jit);
  kp_free(x->kp);
  free(x);
}

const kp_program *core_kernels(const core_exe *x) { return x->kp; }
double core_compile_seconds(const core_exe *x) { return x->compile_s; }
size_t core_arena_bytes(const core_exe *x) { return (size_t)x->kp->arena_bytes; }

void *core_arena_alloc(const core_exe *x) {
  size_t n = (core_arena_bytes(x) + 63) & ~(size_t)63;
  void *a = aligned_alloc(64, n ? n : 64);
  if (a)
    memset(a, 0, n);
  return a;
}

int core_entry(const core_exe *x, const char *name) { return kp_find_entry(x->kp, name); }

int core_entry_noutputs(const core_exe *x, int entry) { return x->kp->entries[entry].noutputs; }

const char *core_entry_output_name(const core_exe *x, int entry, int i) {
  return x->kp->entries[entry].outputs[i];
}

/* Room for the scalar inputs and derived scalars (kp.h) of most entries. */
enum { LOCAL_SCALARS = 32 };

void core_run(const core_exe *x, int entry, void *arena, void *const *inputs, const double *scalars,
              double *outputs) {
  const kp_entry *e = &x->kp->entries[entry];
  if (!e->nderived) {
    cg_jit_entry(x->jit, entry)(arena, inputs, scalars, outputs);
    return;
  }
  int n = x->kp->nscalars, total = n + e->nderived;
  double local[LOCAL_SCALARS];
  double *all = total <= LOCAL_SCALARS ? local : malloc((size_t)total * sizeof *all);
  if (!all)
    abort();
  for (int i = 0; i < n; i++)
    all[i] = scalars[i];
  kp_derive_scalars(e, n, all);
  cg_jit_entry(x->jit, entry)(arena, inputs, all, outputs);
  if (all != local)
    free(all);
}

int core_init(const core_exe *x, void *arena, uint64_t seed) {
  int e = core_entry(x, "init");
  if (e < 0)
    return -1;
  int n = x->kp->nscalars;
  double *s = calloc((size_t)n + 1, sizeof *s);
  if (!s)
    abort();
  for (int i = 0; i < n; i++)
    if (!strcmp(x->kp->scalars[i], "seed"))
      s[i] = (double)seed;
  double *outs = calloc((size_t)core_entry_noutputs(x, e) + 1, sizeof *outs);
  if (!outs)
    abort();
  core_run(x, e, arena, NULL, s, outs);
  free(outs);
  free(s);
  return 0;
}

void *core_tensor_data(const core_exe *x, void *arena, const char *name, long *count) {
  int i = kp_find_tensor(x->kp, name);
  if (i < 0 || x->kp->tensors[i].off < 0)
    return NULL;
  if (count)
    *count = x->kp->tensors[i].count;
  return (char *)arena + x->kp->tensors[i].off;
}
