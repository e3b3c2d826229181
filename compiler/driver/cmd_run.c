/* cmd_run.c: `duet run`, `duet compare` and `duet sweep`: parse the options
 * (the host's run options, host/run_options.c, and duet's own), load the
 * program (or, with --resume, the run directory's copy of the program it
 * was made from) and train its experiment, or run its compare/sweep study. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_origin.h"
#include "drv_run.h"
#include "drv_study.h"
#include "drv_usage.h"
#include "host_dist.h"
#include "rt_io.h"
#include "rt_kernels.h"

typedef struct run_args {
  const char *cmd;
  drv_cli cli;        /* FILE, EXPERIMENT, --set, --stdlib */
  drv_origin origin;  /* of a resumed run (owns its --set array) */
  rt_st_file weights; /* its weights file, whose metadata origin points into */
  drv_run_opts o;
} run_args;

/* Options that only `duet run` takes: the others run new variants. */
static bool run_only(const char *opt) {
  return strcmp(opt, "--resume") == 0 || strcmp(opt, "--extend-steps") == 0;
}

/* The run options (drv_cli_option): the host's, --dtype, and the
 * studies' --metric. */
static int run_option(void *ctx, int i, int argc, char **argv) {
  run_args *a = ctx;
  const char *opt = argv[i];
  if (strcmp(a->cmd, "run") != 0 && run_only(opt)) {
    drv_unknown_option(a->cmd, opt);
    return -1;
  }
  if (strcmp(a->cmd, "run") != 0 && strcmp(opt, "--metric") == 0) {
    if (i + 1 == argc) {
      drv_usage_error(a->cmd, "--metric needs a value");
      return -1;
    }
    a->o.metric = argv[i + 1];
    return 2;
  }
  if (strcmp(opt, "--dtype") == 0) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      drv_usage_error(a->cmd, "--dtype needs a value");
      return -1;
    }
    if (strcmp(v, "f32") != 0 && strcmp(v, "f64") != 0) {
      drv_usage_error(a->cmd, "--dtype is f32 or f64, got '%s'", v);
      return -1;
    }
    a->o.f64 = strcmp(v, "f64") == 0;
    return 2;
  }
  rt_error err;
  int n = host_run_option(&a->o.run, i, argc, argv, &err);
  if (n < 0)
    drv_usage_error(a->cmd, "%s", err.msg);
  return n;
}

static int parse_args(const char *cmd, int argc, char **argv, run_args *a) {
  *a = (run_args){.cmd = cmd};
  host_run_opts_init(&a->o.run, "duet", "duet run");
  int rc = drv_cli_parse(&a->cli, cmd, argc, argv, run_option, a);
  if (rc != 0)
    return rc;
  a->o.nsets = a->cli.nsets;
  a->o.sets = a->cli.sets;
  rt_error err;
  if (host_run_opts_check(&a->o.run, &err) < 0)
    return drv_usage_error(cmd, "%s", err.msg);
  if (a->o.run.resume_dir && (a->cli.file || a->o.nsets || a->o.f64 || a->cli.stdlib))
    return drv_usage_error(cmd, "--resume takes the run directory alone: the program, experiment "
                                "and settings come from the run directory");
  if (!a->o.run.resume_dir && !a->cli.file)
    return drv_usage_error(cmd, "no file given");
  rt_error hint;
  if (host_run_opts_apply(&a->o.run, &err, &hint) == 0)
    return 0;
  if (!hint.msg[0])
    return drv_usage_error(cmd, "%s", err.msg);
  drv_error("%s", err.msg);
  fprintf(stderr, "  hint: %s\n", hint.msg);
  return 1;
}

/* Takes the program (the run directory's copy), experiment, --set
 * arguments and dtype of a resumed run from its weights file. */
static int read_resume(run_args *a) {
  rt_error err;
  if (drv_origin_read(a->o.run.resume_dir, &a->weights, &a->origin, &err) < 0) {
    fprintf(stderr, "duet: error: cannot resume: %s\n", err.msg);
    return 1;
  }
  a->cli.file = a->origin.copy;
  a->cli.data_dir = a->origin.data_dir;
  a->cli.name = a->origin.experiment;
  a->cli.stdlib = a->origin.stdlib;
  a->o.f64 = a->origin.f64;
  a->o.source = a->origin.source;
  a->o.nsets = a->origin.nsets;
  a->o.sets = a->origin.sets;
  return 0;
}

static int run(const char *cmd, drv_target_kind kind, int argc, char **argv) {
  run_args a;
  drv_source s = {0};
  drv_target t;
  if (host_dist_start("duet") != 0)
    return 1;
  int rc = parse_args(cmd, argc, argv, &a);
  if (rc == 0 && a.o.run.resume_dir)
    rc = read_resume(&a);
  a.o.stdlib = drv_stdlib_dir(a.cli.stdlib);
  if (rc == 0)
    rc = drv_source_load(&s, a.cli.file, a.o.stdlib);
  if (rc == 0)
    s.sema->data_dir = a.cli.data_dir;
  if (rc == 0)
    rc = drv_find_target(&s, a.cli.name, a.o.run.resume_dir ? DRV_TARGET_NAMED : kind, &t);
  if (rc == 0 && t.study) {
    rc = drv_study_run(&s, &t, &a.o);
  } else if (rc == 0) {
    host_run_result res;
    rc = drv_train(&s, t.experiment, &a.o, &res);
    if (rc == 0)
      host_history_free(&res.history);
  }
  drv_source_free(&s);
  drv_origin_free(&a.origin);
  rt_st_file_free(&a.weights);
  drv_cli_free(&a.cli);
  rc = rc == DRV_DATA_ERROR ? 1 : rc;
  host_dist_end(rc);
  return rc;
}

int drv_cmd_run(int argc, char **argv) { return run("run", DRV_TARGET_EXPERIMENT, argc, argv); }

int drv_cmd_compare(int argc, char **argv) {
  return run("compare", DRV_TARGET_COMPARE, argc, argv);
}

int drv_cmd_sweep(int argc, char **argv) { return run("sweep", DRV_TARGET_SWEEP, argc, argv); }
