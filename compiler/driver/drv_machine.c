/* drv_machine.c: compiles a program and holds what running it needs: the
 * arena, input buffers and scalars (see drv_machine.h). */
#include "drv_machine.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool drv_machine_init(drv_machine *m, ir_program *p) {
  *m = (drv_machine){.ir = p, .real = p->real};
  char err[1024];
  m->exe = core_compile(p, err, sizeof err);
  if (!m->exe) {
    fprintf(stderr, "duet: internal error: compiling the program failed: %s\n", err);
    drv_machine_free(m);
    return false;
  }
  m->arena = core_arena_alloc(m->exe);
  m->inputs = calloc((size_t)p->ninputs + 1, sizeof *m->inputs);
  m->scalars = calloc((size_t)p->nscalars + 1, sizeof *m->scalars);
  bool ok = m->arena && m->inputs && m->scalars;
  for (int i = 0; ok && i < p->ninputs; i++) {
    const ir_input_decl *in = &p->inputs[i];
    m->inputs[i] = malloc((size_t)ir_numel(&in->shape) * ir_dtype_size(in->dtype));
    ok = m->inputs[i] != NULL;
  }
  if (!ok) {
    fprintf(stderr, "duet: error: out of memory for the program's %zu-byte arena\n",
            core_arena_bytes(m->exe));
    drv_machine_free(m);
  }
  return ok;
}

void drv_machine_free(drv_machine *m) {
  if (m->inputs)
    for (int i = 0; i < m->ir->ninputs; i++)
      free(m->inputs[i]);
  free(m->inputs);
  free(m->scalars);
  free(m->arena);
  core_free(m->exe);
  ir_program_free(m->ir);
  *m = (drv_machine){0};
}

void drv_machine_set(drv_machine *m, const char *name, double v) {
  int i = ir_find_scalar(m->ir, name);
  if (i >= 0)
    m->scalars[i] = v;
}

void drv_machine_run(drv_machine *m, int entry, double *out) {
  assert(entry >= 0 && core_entry_noutputs(m->exe, entry) <= DRV_MAX_OUTPUTS);
  core_run(m->exe, entry, m->arena, m->inputs, m->scalars, out);
}

int drv_machine_output(const drv_machine *m, int entry, const char *name) {
  for (int i = 0; entry >= 0 && i < core_entry_noutputs(m->exe, entry); i++)
    if (strcmp(core_entry_output_name(m->exe, entry, i), name) == 0)
      return i;
  return -1;
}
