/*
 * train.c - trains the model as its experiment says, with the training
 * host `duet run` runs (host/train.c): the same initial weights (seed), the
 * same shuffled batches, the same schedule, logged steps and evaluations,
 * and the same run directory (metrics.jsonl, model.safetensors at the
 * start, at every evaluation and at the end, summary.json, plots).
 *
 *   train [--steps N | --epochs N] [--stop-after N] [--log-every N]
 *         [--out DIR | --resume DIR] [--data-dir DIR] [--threads N] [--quiet]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_train.h"
#include "model.h"
#include "rt_io.h"

static int fail(const char *fmt, ...) RT_PRINTF_LIKE(1, 2);

/* Prints `train: error: <message>`; returns the exit code 1. */
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("train: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

static int count_arg(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 0)
    return -1;
  *out = v;
  return 0;
}

static int parse(host_run_opts *o, host_load_env *env, long *threads, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    long *num = !strcmp(a, "--steps")        ? &o->steps
                : !strcmp(a, "--epochs")     ? &o->epochs
                : !strcmp(a, "--stop-after") ? &o->stop_after
                : !strcmp(a, "--log-every")  ? &o->log_every
                : !strcmp(a, "--threads")    ? threads
                                             : NULL;
    const char **str = !strcmp(a, "--out")        ? &o->out_dir
                       : !strcmp(a, "--resume")   ? &o->resume_dir
                       : !strcmp(a, "--data-dir") ? &env->data_dir
                                                  : NULL;
    if (!strcmp(a, "--quiet"))
      o->quiet = 1;
    else if ((num || str) && i + 1 == argc)
      return fail("%s needs a value", a);
    else if (num && count_arg(argv[++i], num))
      return fail("%s needs a non-negative integer, got '%s'", a, argv[i]);
    else if (str)
      *str = argv[++i];
    else if (!num)
      return fail("unknown argument '%s'\nusage: train [--steps N | --epochs N] [--stop-after N] "
                  "[--log-every N] [--out DIR | --resume DIR] [--data-dir DIR] [--threads N] "
                  "[--quiet]",
                  a);
  }
  if (o->steps >= 0 && o->epochs >= 0)
    return fail("give --steps or --epochs, not both");
  if (o->epochs == 0)
    return fail("--epochs must be at least 1");
  if (o->resume_dir && o->out_dir)
    return fail("--resume continues in the run directory: no --out");
  return 0;
}

int main(int argc, char **argv) {
  const host_experiment *e = &model_experiment_info;
  host_run_opts o = {
      .prog = "train", .resume_cmd = "./train", .steps = -1, .epochs = -1, .stop_after = -1};
  host_load_env env = {.seed = e->seed};
  long threads = 0;
  rt_st_file ckpt = {0};
  host_sets sets = {0};
  model *m = NULL;
  int rc = parse(&o, &env, &threads, argc, argv);
  if (rc == 0 && threads > 0)
    model_set_threads((int)threads);
  rt_error err, hint;
  char path[4200];
  if (rc == 0 && o.resume_dir) {
    snprintf(path, sizeof path, "%s/model.safetensors", o.resume_dir);
    if (rt_safetensors_read(&ckpt, path, &err) < 0)
      rc = fail("cannot resume: %s", err.msg);
    o.resume = &ckpt;
  }
  int failed;
  if (rc == 0 && host_sets_load(&sets, e, &env, &failed, &err, &hint) < 0) {
    rc = fail("%s", err.msg);
    if (hint.msg[0])
      fprintf(stderr, "  hint: %s\n", hint.msg);
  }
  if (rc == 0 && !(m = model_create()))
    rc = fail("out of memory");
  if (rc == 0) {
    host_model hm;
    host_run_result res;
    model_host(m, &hm);
    rc = host_train(e, &sets, &hm, &o, &res);
    if (rc == 0)
      host_history_free(&res.history);
  }
  model_free(m);
  host_sets_free(&sets);
  rt_st_file_free(&ckpt);
  return rc;
}
