/* cmd_run.c: `duet run`, `duet compare` and `duet sweep`: parse the options,
 * load the program (or, with --resume, the program a run directory was made
 * from) and train its experiment or run its compare/sweep study. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_origin.h"
#include "drv_study.h"
#include "drv_run.h"
#include "rt_io.h"
#include "rt_kernels.h"

typedef struct run_args {
  const char *cmd;
  drv_cli cli;            /* FILE, EXPERIMENT, --set, --stdlib */
  long threads;           /* 0: the BLAS default */
  drv_origin origin;      /* of a resumed run (owns its --set array) */
  const char *log_format; /* --log-format LIST, or NULL */
  drv_run_opts o;
} run_args;

/* A non-negative integer option value into *out. */
static bool count_arg(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 0)
    return false;
  *out = v;
  return true;
}

/* "f32" or "f64" into *f64. */
static bool dtype_arg(const char *s, bool *f64) {
  if (strcmp(s, "f32") != 0 && strcmp(s, "f64") != 0)
    return false;
  *f64 = strcmp(s, "f64") == 0;
  return true;
}

/* Options with an integer value, and where each goes. */
static long *count_option(run_args *a, const char *opt) {
  static const char *const names[] = {"--steps", "--epochs", "--stop-after", "--log-every",
                                      "--threads"};
  long *slots[] = {&a->o.run.steps, &a->o.run.epochs, &a->o.run.stop_after, &a->o.run.log_every,
                   &a->threads};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(opt, names[i]) == 0)
      return slots[i];
  return NULL;
}

/* Options with a string value (--resume: `duet run` only). */
static const char **string_option(run_args *a, const char *opt) {
  static const char *const names[] = {"--out", "--dump-batches", "--log-format", "--resume"};
  const char **slots[] = {&a->o.run.out_dir, &a->o.run.dump_batches, &a->log_format,
                          &a->o.run.resume_dir};
  size_t n = sizeof names / sizeof names[0] - (strcmp(a->cmd, "run") != 0);
  for (size_t i = 0; i < n; i++)
    if (strcmp(opt, names[i]) == 0)
      return slots[i];
  return NULL;
}

/* The run options (drv_cli_option). */
static int run_option(void *ctx, int i, int argc, char **argv) {
  run_args *a = ctx;
  const char *opt = argv[i];
  if (strcmp(opt, "--quiet") == 0) {
    a->o.run.quiet = true;
    return 1;
  }
  long *count = count_option(a, opt);
  const char **str = string_option(a, opt);
  bool dtype = strcmp(opt, "--dtype") == 0;
  if (!count && !str && !dtype)
    return 0;
  const char *v = i + 1 < argc ? argv[i + 1] : NULL;
  if (!v) {
    drv_usage_error(a->cmd, "%s needs a value", opt);
    return -1;
  }
  if (count && !count_arg(v, count)) {
    drv_usage_error(a->cmd, "%s needs a non-negative integer, got '%s'", opt, v);
    return -1;
  }
  if (dtype && !dtype_arg(v, &a->o.f64)) {
    drv_usage_error(a->cmd, "--dtype is f32 or f64, got '%s'", v);
    return -1;
  }
  if (str)
    *str = v;
  return 2;
}

static int parse_args(const char *cmd, int argc, char **argv, run_args *a) {
  *a = (run_args){.cmd = cmd,
                  .o = {.run = {.prog = "duet",
                                .resume_cmd = "duet run",
                                .steps = -1,
                                .epochs = -1,
                                .stop_after = -1}}};
  int rc = drv_cli_parse(&a->cli, cmd, argc, argv, run_option, a);
  if (rc != 0)
    return rc;
  a->o.stdlib = a->cli.stdlib;
  a->o.nsets = a->cli.nsets;
  a->o.sets = a->cli.sets;
  if (a->o.run.steps >= 0 && a->o.run.epochs >= 0)
    return drv_usage_error(cmd, "give --steps or --epochs, not both");
  if (a->o.run.epochs == 0)
    return drv_usage_error(cmd, "--epochs must be at least 1");
  rt_error err;
  if (a->log_format && rt_log_formats_parse(a->log_format, &a->o.run.log_formats, &err) < 0)
    return drv_usage_error(cmd, "--log-format: %s", err.msg);
  if (a->o.run.resume_dir &&
      (a->cli.file || a->o.nsets || a->o.run.out_dir || a->o.run.epochs >= 0 || a->o.f64))
    return drv_usage_error(cmd, "--resume takes the run directory alone: the file, experiment and "
                                "settings come from its checkpoint");
  if (!a->o.run.resume_dir && !a->cli.file)
    return drv_usage_error(cmd, "no file given");
  if (a->threads > 0)
    rt_set_threads((int)a->threads);
  return 0;
}

/* Reads the checkpoint of a run directory and takes the file, experiment,
 * --set arguments and dtype of the run from its metadata. */
static int read_resume(run_args *a, rt_st_file *f) {
  rt_error err;
  if (drv_origin_read(a->o.run.resume_dir, f, &a->origin, &err) < 0) {
    fprintf(stderr, "duet: error: cannot resume: %s\n", err.msg);
    return 1;
  }
  a->cli.file = a->origin.source;
  a->cli.name = a->origin.experiment;
  a->o.f64 = a->origin.f64;
  if (!a->o.stdlib)
    a->o.stdlib = a->origin.stdlib;
  a->o.nsets = a->origin.nsets;
  a->o.sets = a->origin.sets;
  a->o.run.resume = f;
  return 0;
}

static int run(const char *cmd, drv_target_kind kind, int argc, char **argv) {
  run_args a;
  rt_st_file ckpt = {0};
  drv_source s = {0};
  drv_target t;
  int rc = parse_args(cmd, argc, argv, &a);
  if (rc == 0 && a.o.run.resume_dir)
    rc = read_resume(&a, &ckpt);
  if (rc == 0)
    rc = drv_source_load(&s, a.cli.file, drv_stdlib_dir(a.o.stdlib));
  if (rc == 0)
    rc = drv_find_target(&s, a.cli.name, a.o.run.resume_dir ? DRV_TARGET_ANY : kind, &t);
  if (rc == 0 && t.study) {
    rc = drv_study_run(&s, &t, &a.o);
  } else if (rc == 0) {
    host_run_result res;
    rc = drv_train(&s, t.experiment, &a.o, &res);
    if (rc == 0)
      host_history_free(&res.history);
  }
  drv_source_free(&s);
  rt_st_file_free(&ckpt);
  drv_origin_free(&a.origin);
  drv_cli_free(&a.cli);
  return rc;
}

int drv_cmd_run(int argc, char **argv) { return run("run", DRV_TARGET_ANY, argc, argv); }

int drv_cmd_compare(int argc, char **argv) {
  return run("compare", DRV_TARGET_COMPARE, argc, argv);
}

int drv_cmd_sweep(int argc, char **argv) { return run("sweep", DRV_TARGET_SWEEP, argc, argv); }
