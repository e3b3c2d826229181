/* cmd_predict.c: `duet predict FILE [EXPERIMENT] [--set key=value]... --weights FILE
 * [--threads N] [--repeat K] [--predictions OUT] [--scores OUT] (--idx IMAGES
 * [LABELS] | --raw EXAMPLES [LABELS] | --text FILE | --data NAME)`, or `duet predict RUN_DIR
 * ...` (the run's copy of its program, experiment and settings, and its
 * weights): the JIT's predictions for the examples of a file through the
 * host's prediction (host_predict.h), which the predict program of `duet
 * emit-c` runs too (docs/deploy.md). The program is compiled with an
 * evaluation entry for the last, shorter batch and entries up to the class
 * scores (core_compile_predict). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_machine.h"
#include "drv_origin.h"
#include "host_checkpoint.h"
#include "host_predict.h"
#include "host_report.h"
#include "host_state.h"

typedef struct predictor {
  host_predict_opts o;
  drv_origin origin;  /* with a run directory */
  rt_st_file meta;    /* its weights file, whose strings origin points into */
  char weights[4200]; /* its weights file's path */
  drv_source s;       /* owned (drv_source_free) */
  sema_experiment *e; /* in s's arena */
  elab_data_info info;
  host_examples ex; /* owned */
  host_norm norm;   /* owned */
  host_arg args[2][HOST_MAX_PARAMS];
  drv_machine m; /* owned */
  host_model hm;
} predictor;

static int predict_option(void *ctx, int i, int argc, char **argv) {
  rt_error err;
  int n = host_predict_option(ctx, i, argc, argv, &err);
  if (n < 0)
    drv_usage_error("predict", "%s", err.msg);
  return n;
}

/* The experiment's binding called name, as the host's, or NULL. */
static const sema_data *binding(predictor *m, const char *name, host_binding *b) {
  for (int i = 0; i < m->e->ndata; i++)
    if (strcmp(m->e->data[i].name, name) == 0) {
      sema_data_binding(&m->e->data[i], m->args[i == 0 ? 0 : 1], b);
      return &m->e->data[i];
    }
  return NULL;
}

/* The examples, normalized as the training data was (the statistics from
 * the weights file's metadata). */
static int load_examples(predictor *m) {
  if (!m->o.kind)
    return drv_usage_error("predict", "no examples given (--idx, --raw, --text or --data)");
  if (!m->o.weights)
    return drv_usage_error("predict", "no weights given (--weights FILE)");
  host_binding train, data;
  const sema_data *sd = binding(m, "train", &train);
  if (!sd || !elab_data_info_of(sd, &m->info, m->s.unit.diag))
    return sd ? drv_report_diags(&m->s) : drv_error("the experiment has no training data");
  if (!strcmp(m->o.kind, "--data")) {
    if (!binding(m, m->o.examples, &data))
      return drv_error("the experiment has no data '%s'", m->o.examples);
    m->o.binding = &data;
    m->o.env = (host_load_env){.seed = (uint64_t)m->e->seed};
  }
  rt_st_file w;
  rt_error err;
  int rc = rt_safetensors_read(&w, m->o.weights, &err) < 0 ||
                   host_predict_norm(&m->norm, &w, &train, &m->info, &err) < 0
               ? drv_error("%s", err.msg)
               : 0;
  rt_st_file_free(&w);
  m->o.norm = &m->norm;
  if (rc == 0 && host_examples_load(&m->ex, &m->o, &m->info, &err) < 0)
    rc = drv_error("%s", err.msg);
  m->o.binding = NULL;
  return rc;
}

/* The evaluation program, with an entry for the last, shorter batch. */
static int build(predictor *m) {
  elab_options eo = {.dtype = IR_F32};
  ir_program *p = drv_elaborate(&m->s, m->e, &eo);
  if (!p)
    return drv_failure_code(&m->s);
  int rc = drv_machine_add_evals(p, &m->s, m->e, &m->ex.n, 1);
  if (rc != 0) {
    ir_program_free(p);
    return rc;
  }
  if (!drv_machine_init_predict(&m->m, p))
    return 2;
  return drv_machine_host(&m->m, &m->hm, NULL, NULL);
}

/* The weights, by public name, each checked finite. */
static int load_weights(predictor *m) {
  rt_st_file f;
  rt_error err;
  if (rt_safetensors_read(&f, m->o.weights, &err) < 0) {
    rt_st_file_free(&f);
    return drv_error("%s", err.msg);
  }
  int rc = host_weights_load(&f, &m->hm, NULL, &err);
  rt_st_file_free(&f);
  return rc < 0 ? drv_error("%s: %s", m->o.weights, err.msg) : 0;
}

/* With a run directory for FILE: the command line of its program, and
 * its weights unless --weights gives others. */
static int from_rundir(predictor *m, drv_cli *c) {
  struct stat st;
  if (!c->file || stat(c->file, &st) != 0 || !S_ISDIR(st.st_mode))
    return 0;
  if (c->name || c->nsets || c->stdlib)
    return drv_usage_error("predict", "a run directory takes no experiment, --set or --stdlib: "
                                      "they come from the run");
  rt_error err;
  if (drv_origin_read(c->file, &m->meta, &m->origin, &err) < 0)
    return drv_error("%s", err.msg);
  if (!m->o.weights) {
    host_rundir_file(m->weights, sizeof m->weights, c->file, HOST_WEIGHTS_FILE);
    m->o.weights = m->weights;
  }
  drv_cli run = drv_origin_cli(&m->origin, "predict");
  free(c->sets); /* drv_cli_free frees the copy of the run's array instead */
  c->sets = calloc((size_t)run.nsets + 1, sizeof *c->sets);
  if (!c->sets)
    return 2;
  memcpy(c->sets, run.sets, (size_t)run.nsets * sizeof *c->sets);
  c->nsets = run.nsets;
  c->file = run.file;
  c->name = run.name;
  c->stdlib = run.stdlib;
  return 0;
}

int drv_cmd_predict(int argc, char **argv) {
  drv_cli c;
  predictor *m = calloc(1, sizeof *m);
  if (!m)
    return 2;
  m->o = (host_predict_opts){.prog = "duet", .repeat = 1};
  int rc = drv_cli_parse(&c, "predict", argc, argv, predict_option, &m->o);
  if (rc == 0)
    rc = from_rundir(m, &c);
  if (rc == 0)
    rc = drv_cli_experiment(&c, &m->s, &m->e);
  if (rc == 0)
    rc = load_examples(m);
  if (rc == 0)
    rc = build(m);
  if (rc == 0)
    rc = load_weights(m);
  if (rc == 0)
    rc = host_predict(&m->hm, &m->o, &m->ex);
  drv_machine_free(&m->m);
  host_examples_free(&m->ex);
  host_norm_free(&m->norm);
  if (c.file && (m->s.unit.arena || m->s.sema))
    drv_source_free(&m->s);
  drv_cli_free(&c);
  drv_origin_free(&m->origin);
  rt_st_file_free(&m->meta);
  free(m);
  return rc;
}
