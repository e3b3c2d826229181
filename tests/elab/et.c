/* et.c: helpers of the elaborator tests (see et.h). */
#include "et.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_with_diagnostics(tunit *u, const char *what) {
  printf("FAIL: %s\n", what);
  diag_print(u->d, stdout);
  exit(1);
}

void et_load(tunit *u, const char *text) {
  if (!tunit_compile(u, "test.duet", text))
    die_with_diagnostics(u, "the source does not check");
}

const sema_experiment *et_experiment(tunit *u, const char *name) {
  for (int i = 0; i < u->r->nexperiments; i++)
    if (strcmp(u->r->experiments[i]->name, name) == 0)
      return u->r->experiments[i];
  printf("FAIL: no experiment %s\n", name);
  exit(1);
}

ir_program *et_elab(tunit *u, const sema_experiment *e, const elab_options *o) {
  ir_program *p = elab_experiment(u->r, e, o, u->d);
  if (!p)
    die_with_diagnostics(u, "elaboration failed");
  return p;
}

void et_start(et_run *r, const ir_program *p, uint64_t seed) {
  char err[512];
  memset(r, 0, sizeof *r);
  r->p = p;
  r->exe = core_compile(p, err, sizeof err);
  if (!r->exe) {
    printf("FAIL: compile: %s\n", err);
    exit(1);
  }
  r->arena = core_arena_alloc(r->exe);
  r->inputs = calloc((size_t)p->ninputs + 1, sizeof *r->inputs);
  for (int i = 0; i < p->ninputs; i++)
    r->inputs[i] = calloc((size_t)ir_numel(&p->inputs[i].shape), 8);
  r->scalars = calloc((size_t)p->nscalars + 1, sizeof *r->scalars);
  core_init(r->exe, r->arena, seed);
}

void et_fill_input(check_ctx *t, et_run *r, const char *name, double lo, double hi) {
  int i = ir_find_input(r->p, name);
  if (i < 0) {
    printf("FAIL: no input %s\n", name);
    exit(1);
  }
  const ir_input_decl *in = &r->p->inputs[i];
  long n = ir_numel(&in->shape);
  for (long k = 0; k < n; k++) {
    if (in->dtype == IR_I32)
      ((int32_t *)r->inputs[i])[k] = (int32_t)check_uniform(t, 0, hi);
    else if (in->dtype == IR_F64)
      ((double *)r->inputs[i])[k] = check_uniform(t, lo, hi);
    else
      ((float *)r->inputs[i])[k] = (float)check_uniform(t, lo, hi);
  }
}

void et_set_scalar(et_run *r, const char *name, double v) {
  int i = ir_find_scalar(r->p, name);
  if (i < 0) {
    printf("FAIL: no scalar %s\n", name);
    exit(1);
  }
  r->scalars[i] = v;
}

static int entry_index(et_run *r, const char *entry) {
  int e = core_entry(r->exe, entry);
  if (e < 0) {
    printf("FAIL: no entry %s\n", entry);
    exit(1);
  }
  return e;
}

void et_call(et_run *r, const char *entry) {
  core_run(r->exe, entry_index(r, entry), r->arena, r->inputs, r->scalars, r->outputs);
}

double et_out(et_run *r, const char *entry, const char *out) {
  int e = entry_index(r, entry);
  for (int i = 0; i < core_entry_noutputs(r->exe, e); i++)
    if (strcmp(core_entry_output_name(r->exe, e, i), out) == 0)
      return r->outputs[i];
  printf("FAIL: entry %s has no output %s\n", entry, out);
  exit(1);
}

double *et_tensor(et_run *r, const char *name, long *count) {
  double *d = core_tensor_data(r->exe, r->arena, name, count);
  if (!d || r->p->real != IR_F64) {
    printf("FAIL: no double tensor %s\n", name);
    exit(1);
  }
  return d;
}

void et_stop(et_run *r) {
  for (int i = 0; i < r->p->ninputs; i++)
    free(r->inputs[i]);
  free(r->inputs);
  free(r->scalars);
  free(r->arena);
  core_free(r->exe);
}
