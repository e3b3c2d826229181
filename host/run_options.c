/* run_options.c: the options of a training run that `duet run` and the
 * emitted train program share (host_train.h): their names and values,
 * and the rules between them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host_conv.h"
#include "host_train.h"
#include "rt_kernels.h"

void host_run_opts_init(host_run_opts *o, const char *prog, const char *resume_cmd) {
  *o = (host_run_opts){.prog = prog,
                       .resume_cmd = resume_cmd,
                       .steps = -1,
                       .epochs = -1,
                       .stop_after = -1,
                       .checkpoint_every = -1,
                       .checkpoint_every_s = -1,
                       .bucket_kb = -1};
}

/* The options with a whole number (>= 0) as value, and where each goes. */
static long *count_option(host_run_opts *o, const char *name) {
  static const char *const names[] = {"--steps",     "--epochs",       "--stop-after",
                                      "--log-every", "--extend-steps", "--checkpoint-every",
                                      "--threads",   "--bucket-kb"};
  long *slots[] = {&o->steps,        &o->epochs,           &o->stop_after, &o->log_every,
                   &o->extend_steps, &o->checkpoint_every, &o->threads,    &o->bucket_kb};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return slots[i];
  return NULL;
}

/* The options with a path as value. */
static const char **path_option(host_run_opts *o, const char *name) {
  static const char *const names[] = {"--out", "--resume", "--init-from", "--dump-batches",
                                      "--conv"};
  const char **slots[] = {&o->out_dir, &o->resume_dir, &o->init_from, &o->dump_batches, &o->conv};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return slots[i];
  return NULL;
}

int host_run_option(host_run_opts *o, int i, int argc, char **argv, rt_error *err) {
  const char *a = argv[i];
  if (strcmp(a, "--quiet") == 0) {
    o->quiet = true;
    return 1;
  }
  if (strcmp(a, "--check-ranks") == 0) {
    o->check_ranks = true;
    return 1;
  }
  long *count = count_option(o, a);
  const char **path = path_option(o, a);
  bool seconds = strcmp(a, "--checkpoint-every-s") == 0;
  bool formats = strcmp(a, "--log-format") == 0;
  bool gemm = strcmp(a, "--gemm") == 0;
  if (!count && !path && !seconds && !formats && !gemm)
    return 0;
  if (i + 1 == argc) {
    rt_error_set(err, "%s needs a value", a);
    return -1;
  }
  const char *v = argv[i + 1];
  char *end;
  errno = 0;
  if (count) {
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 0 || errno) {
      rt_error_set(err, "%s needs a non-negative integer, got '%s'", a, v);
      return -1;
    }
    *count = n;
  } else if (seconds) {
    double s = strtod(v, &end);
    if (end == v || *end || !(s >= 0) || !isfinite(s)) {
      rt_error_set(err, "%s needs a non-negative number of seconds, got '%s'", a, v);
      return -1;
    }
    o->checkpoint_every_s = s;
  } else if (gemm) {
    rt_gemm_backend b;
    if (rt_gemm_backend_parse(v, &b) < 0) {
      rt_error_set(err, "--gemm is openblas or onednn, got '%s'", v);
      return -1;
    }
    o->gemm = v;
  } else if (formats) {
    rt_error why;
    if (rt_log_formats_parse(v, &o->log_formats, &why) < 0) {
      rt_error_set(err, "--log-format: %s", why.msg);
      return -1;
    }
  } else {
    *path = v;
  }
  return 2;
}

int host_run_opts_check(const host_run_opts *o, rt_error *err) {
  if (o->steps >= 0 && o->epochs >= 0)
    rt_error_set(err, "give --steps or --epochs, not both");
  else if (o->epochs == 0)
    rt_error_set(err, "--epochs must be at least 1");
  else if (o->resume_dir && o->out_dir)
    rt_error_set(err, "--resume continues in the run directory: no --out");
  else if (o->resume_dir && o->init_from)
    rt_error_set(err, "--resume continues a run from its own weights: no --init-from");
  else if (o->extend_steps && !o->resume_dir)
    rt_error_set(err, "--extend-steps lengthens a run continued with --resume; a new run takes "
                      "--steps or --epochs");
  else
    return 0;
  return -1;
}

int host_run_opts_apply(const host_run_opts *o, rt_error *err, rt_error *hint) {
  if (o->threads > 0)
    rt_set_threads((int)o->threads);
  rt_error_set(hint, "%s", "");
  rt_gemm_backend b;
  if (o->gemm && rt_gemm_backend_parse(o->gemm, &b) == 0 && rt_gemm_set_backend(b) < 0) {
    rt_error_set(err, "--gemm %s: this build has no oneDNN, or oneDNN cannot start", o->gemm);
    return -1;
  }
  return host_conv_apply(o->conv, err, hint);
}
