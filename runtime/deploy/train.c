/*
 * train.c - trains the model as its experiment says, with the training
 * host `duet run` runs (host/train.c): the same initial weights (seed), the
 * same shuffled batches, the same schedule, logged steps and evaluations,
 * the same run directory (metrics.jsonl, the checkpoint model.safetensors
 * and train_state.safetensors, summary.json, the program's files, plots)
 * and the same options (docs/commands.md, "duet run"), SIGINT and SIGTERM
 * included.
 *
 *   train [--steps N | --epochs N] [--stop-after N] [--log-every N]
 *         [--out DIR | --resume DIR [--extend-steps N]] [--init-from RUN_DIR]
 *         [--checkpoint-every N] [--checkpoint-every-s S] [--log-format LIST]
 *         [--dump-batches DIR] [--data-dir DIR] [--threads N]
 *         [--gemm openblas|onednn] [--conv auto|im2col|onednn] [--quiet]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_dist.h"
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

#define USAGE                                                                        \
  "usage: train [--steps N | --epochs N] [--stop-after N] [--log-every N]\n"         \
  "  [--out DIR | --resume DIR [--extend-steps N]] [--init-from RUN_DIR]\n"          \
  "  [--checkpoint-every N] [--checkpoint-every-s S] [--log-format LIST]\n"          \
  "  [--dump-batches DIR] [--data-dir DIR] [--threads N] [--gemm openblas|onednn]\n" \
  "  [--conv auto|im2col|onednn|RUN_DIR] [--quiet]"

static int parse(host_run_opts *o, host_load_env *env, int argc, char **argv) {
  for (int i = 1; i < argc;) {
    rt_error err;
    int n = host_run_option(o, i, argc, argv, &err);
    if (n < 0)
      return fail("%s", err.msg);
    if (n == 0 && !strcmp(argv[i], "--data-dir")) {
      if (i + 1 == argc)
        return fail("--data-dir needs a value");
      env->data_dir = argv[i + 1];
      n = 2;
    }
    if (n == 0)
      return fail("unknown argument '%s'\n" USAGE, argv[i]);
    i += n;
  }
  rt_error err;
  return host_run_opts_check(o, &err) < 0 ? fail("%s", err.msg) : 0;
}

int main(int argc, char **argv) {
  const host_experiment *e = &model_experiment_info;
  host_run_opts o;
  host_run_opts_init(&o, "train", "./train");
  o.backend = "c";
#ifdef __VERSION__
  o.compiler = __VERSION__;
#endif
  host_load_env env = {.seed = e->seed};
  host_sets sets = {0};
  model *m = NULL;
  int rc = host_dist_start("train"); /* one process: this program is built without MPI */
  if (rc == 0)
    rc = parse(&o, &env, argc, argv);
  rt_error err, hint;
  if (rc == 0 && host_run_opts_apply(&o, &err, &hint) < 0) {
    rc = fail("%s", err.msg);
    if (hint.msg[0])
      fprintf(stderr, "  hint: %s\n", hint.msg);
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
  return rc;
}
