/*
 * jit_eval.c - the evaluation throughput of the JIT, the peer of the
 * emitted predict program in docs/benchmarks.md: compiles an experiment's
 * program as `duet run` does, loads a checkpoint, and times eval_step over
 * the full batches of the Fashion-MNIST test set or of the text's
 * validation split (the inputs gathered beforehand, as predict has them).
 *
 *   jit_eval FILE EXPERIMENT CHECKPOINT REPEAT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "drv_front.h"
#include "elab.h"
#include "rt_io.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Prints `jit_eval: <message>` and exits with 1. */
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("jit_eval: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* Examples of the evaluated set, contiguous as the program reads them. */
typedef struct eval_data {
  long n;
  void *x, *y; /* owned */
} eval_data;

static void load_data(const sema_experiment *e, const elab_data_info *info, long batch,
                      eval_data *d) {
  rt_error err;
  if (strcmp(info->source, "fashion_mnist") == 0) {
    rt_image_dataset ds;
    if (rt_fashion_mnist_load(&ds, NULL, 0, &err) < 0)
      die("%s", err.msg);
    d->n = ds.n / batch * batch;
    d->x = ds.images;
    d->y = ds.labels;
    return;
  }
  char path[4096];
  rt_text text;
  if (strcmp(info->source, "kjv") != 0 || rt_data_path(path, sizeof path, "kjv.txt", &err) < 0 ||
      rt_text_load(&text, path, 0.1, &err) < 0)
    die("cannot load the data of %s", e->name);
  int ctx = (int)info->context;
  d->n = (long)rt_text_window_count(&text, RT_SPLIT_VAL, ctx) / batch * batch;
  d->x = malloc(sizeof(int32_t) * (size_t)(d->n * ctx + 1));
  d->y = malloc(sizeof(int32_t) * (size_t)(d->n * ctx + 1));
  if (!d->x || !d->y)
    die("out of memory");
  rt_text_windows(&text, RT_SPLIT_VAL, (int)d->n, ctx, 0, d->x, d->y);
  rt_text_free(&text);
}

static void load_checkpoint(core_exe *x, void *arena, const char *path) {
  rt_st_file f;
  rt_error err;
  if (rt_safetensors_read(&f, path, &err) < 0)
    die("%s", err.msg);
  const kp_program *kp = core_kernels(x);
  for (int i = 0; i < kp->ntensors; i++) {
    const rt_st_tensor *t = rt_st_find(&f, kp->tensors[i].name);
    if (t && t->nbytes == (size_t)kp->tensors[i].count * sizeof(float))
      memcpy((char *)arena + kp->tensors[i].off, t->data, t->nbytes);
    else if (kp->tensors[i].is_param)
      die("%s lacks %s", path, kp->tensors[i].name);
  }
  rt_st_file_free(&f);
}

int main(int argc, char **argv) {
  if (argc != 5)
    die("usage: jit_eval FILE EXPERIMENT CHECKPOINT REPEAT");
  long repeat = atol(argv[4]);
  drv_unit u;
  if (!drv_load_file(&u, argv[1], drv_stdlib_dir(NULL))) {
    diag_print(u.diag, stderr);
    die("%s has errors", argv[1]);
  }
  const sema_experiment *e = NULL;
  for (int i = 0; i < u.sema->nexperiments; i++)
    if (strcmp(u.sema->experiments[i]->name, argv[2]) == 0)
      e = u.sema->experiments[i];
  elab_data_info info;
  ir_program *p = e && e->nevals ? elab_experiment(u.sema, e, NULL, u.diag) : NULL;
  const sema_data *sd = NULL;
  for (int i = 0; p && i < e->ndata; i++)
    if (strcmp(e->data[i].name, e->evals[0].metrics[0].data) == 0)
      sd = &e->data[i];
  int xi, yi;
  long batch;
  if (!sd || !elab_data_info_of(sd, &info, u.diag) ||
      !elab_entry_inputs(p, "eval_step", &xi, &yi, &batch)) {
    diag_print(u.diag, stderr);
    die("%s has no evaluated experiment %s", argv[1], argv[2]);
  }
  char err[1024];
  core_exe *x = core_compile(p, err, sizeof err);
  if (!x)
    die("%s", err);
  void *arena = core_arena_alloc(x);
  core_init(x, arena, (uint64_t)e->seed);
  load_checkpoint(x, arena, argv[3]);
  eval_data d = {0};
  load_data(e, &info, batch, &d);
  int entry = core_entry(x, "eval_step"), correct = -1;
  for (int i = 0; i < core_entry_noutputs(x, entry); i++)
    if (strcmp(core_entry_output_name(x, entry, i), "correct") == 0)
      correct = i;
  long xrow = (long)(ir_numel(&p->inputs[xi].shape) / batch * ir_dtype_size(p->inputs[xi].dtype));
  long yrow = (long)(ir_numel(&p->inputs[yi].shape) / batch * ir_dtype_size(p->inputs[yi].dtype));
  double *scalars = calloc((size_t)p->nscalars + 1, sizeof *scalars), out[8], right = 0;
  void *inputs[16] = {0};
  double t0 = rt_now_s();
  clock_t c0 = clock();
  for (long r = 0; r < repeat; r++)
    for (long first = 0; first < d.n; first += batch) {
      inputs[xi] = (char *)d.x + first * xrow;
      inputs[yi] = (char *)d.y + first * yrow;
      core_run(x, entry, arena, inputs, scalars, out);
      right += correct >= 0 ? out[correct] : 0;
    }
  double secs = rt_now_s() - t0, n = (double)d.n * (double)repeat;
  double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
  long labels = (long)(yrow / (long)sizeof(int32_t));
  printf("jit eval_step: %ld examples x %ld in %.3f s (%.3f s of CPU): %.0f examples/s", d.n,
         repeat, secs, cpu, n / secs);
  if (labels > 1)
    printf(", %.0f tokens/s", n * (double)labels / secs);
  if (correct >= 0)
    printf("; accuracy %.4f", right / (n * (double)labels));
  printf(" (compile %.2f s)\n", core_compile_seconds(x));
  free(scalars);
  free(d.x);
  free(d.y);
  free(arena);
  core_free(x);
  ir_program_free(p);
  drv_unit_free(&u);
  return 0;
}
