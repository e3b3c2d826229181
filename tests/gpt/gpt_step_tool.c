/* gpt_step_tool.c: runs one training step of an experiment through the
 * elaborator and the JIT in double precision and writes what an
 * independent reference needs to recompute it: the batch, every weight
 * before and after the step, every optimizer state after it, and each
 * weight's step share.
 *   gpt_step_tool FILE EXPERIMENT OUT [--random PATTERN SCALE]...
 * --random sets every weight whose path contains PATTERN to uniform values
 * in [-SCALE, SCALE) before the step (after init). OUT is text, one record
 * per line: `input NAME n v...`, `share NAME s`, `before NAME n v...`,
 * `after NAME n v...` (states and weights alike), values with 17 digits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "et.h"

enum { SEED = 5, MAX_RANDOM = 8 };

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "gpt_step_tool: cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "gpt_step_tool: cannot read %s\n", path);
    exit(2);
  }
  s[n] = 0;
  fclose(f);
  return s;
}

static void write_values(FILE *out, const char *kind, const char *name, const double *v, long n) {
  fprintf(out, "%s %s %ld", kind, name, n);
  for (long i = 0; i < n; i++)
    fprintf(out, " %.17g", v[i]);
  fputc('\n', out);
}

static void write_tensors(FILE *out, et_run *r, const char *kind) {
  for (int i = 0; i < r->p->ntensors; i++) {
    long n;
    const char *name = r->p->tensors[i].name;
    double *v = et_tensor(r, name, &n);
    write_values(out, kind, name, v, n);
  }
}

static void write_inputs(FILE *out, et_run *r) {
  for (int i = 0; i < r->p->ninputs; i++) {
    const ir_input_decl *in = &r->p->inputs[i];
    long n = ir_numel(&in->shape);
    double *v = malloc((size_t)n * sizeof *v);
    for (long k = 0; k < n; k++)
      v[k] = in->dtype == IR_I32 ? ((int32_t *)r->inputs[i])[k] : ((double *)r->inputs[i])[k];
    write_values(out, "input", in->name, v, n);
    free(v);
  }
}

int main(int argc, char **argv) {
  if (argc < 4 || (argc - 4) % 3) {
    fputs("usage: gpt_step_tool FILE EXPERIMENT OUT [--random PATTERN SCALE]...\n", stderr);
    return 2;
  }
  et_ctx t = {.rng = 0x2545f4914f6cdd1dULL};
  et_unit u;
  char *text = read_text(argv[1]);
  et_load(&u, text);
  const sema_experiment *e = et_experiment(&u, argv[2]);
  elab_options o = {.dtype = IR_F64, .no_logged = true};
  ir_program *p = et_elab(&u, e, &o);
  et_run r;
  et_start(&r, p, SEED);
  for (int a = 4; a < argc; a += 3) {
    double scale = atof(argv[a + 2]);
    for (int i = 0; i < e->model->nweights; i++) {
      const char *path = e->model->weights[i]->path;
      if (!strstr(path, argv[a + 1]))
        continue;
      long n;
      double *w = et_tensor(&r, path, &n);
      for (long k = 0; k < n; k++)
        w[k] = et_uniform(&t, -scale, scale);
    }
  }
  bool text_data = p->inputs[ir_find_input(p, "x")].dtype == IR_I32;
  et_fill_input(&t, &r, "x", -1, text_data ? 256 : 1);
  et_fill_input(&t, &r, "y", 0, text_data ? 256 : 10);
  FILE *out = fopen(argv[3], "w");
  if (!out) {
    fprintf(stderr, "gpt_step_tool: cannot write %s\n", argv[3]);
    return 2;
  }
  write_inputs(out, &r);
  for (int i = 0; i < e->model->nweights; i++) {
    const mt_weight *w = e->model->weights[i];
    fprintf(out, "share %s %.17g\n", w->path, w->atom->share);
  }
  write_tensors(out, &r, "before");
  et_set_scalar(&r, "t", 1);
  et_set_scalar(&r, "schedule", 1);
  et_call(&r, "train_step");
  write_tensors(out, &r, "after");
  fclose(out);
  et_stop(&r);
  ir_program_free(p);
  et_unit_free(&u);
  free(text);
  return 0;
}
