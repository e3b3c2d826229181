/* drv_run.c: `duet run`'s side of a training run: the overridden
 * experiment and its description (with the program's files and the --set
 * arguments it records), the data (load errors reported at the binding),
 * the program compiled with an evaluation entry for the remainder of every
 * set; the host runs the rest. */
#include "drv_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drv_describe.h"
#include "drv_files.h"
#include "drv_machine.h"
#include "drv_owners.h"
#include "host_dist.h"

const char *drv_absolute_path(arena *a, const char *path) {
  char cwd[2048];
  if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
    return path;
  return arena_printf(a, "%s/%s", cwd, path);
}

const host_experiment *drv_describe_run(drv_source *s, const sema_experiment *e, const char *stdlib,
                                        const char *source, int nsets, char *const *sets) {
  arena *a = s->unit.arena;
  drv_describe_info info = {.source = source ? source : drv_absolute_path(a, s->path),
                            .noverrides = nsets,
                            .overrides = sets};
  info.files = drv_program_files(s, stdlib, &info.nfiles);
  return drv_describe(a, e, &info);
}

int drv_load_sets(drv_source *s, const sema_experiment *e, const host_experiment *x,
                  host_sets *sets) {
  host_load_env env = {.seed = x->seed};
  rt_error err, hint;
  int failed;
  if (host_sets_load(sets, x, &env, &failed, &err, &hint) == 0)
    return 0;
  diag_loc at = failed >= 0 ? e->data[failed].loc : e->decl->name_loc;
  diag_error(s->unit.diag, at, "%s", err.msg);
  if (hint.msg[0])
    diag_hint(s->unit.diag, "%s", hint.msg);
  return drv_report_diags(s);
}

/* The program's options: under mpirun with N ranks, the data-parallel
 * entries on batch / N examples (N must divide the batch) with the whole
 * batch for evaluation. Returns 0, or 1 after the error (printed by rank 0). */
static int program_options(const sema_experiment *e, const drv_run_opts *o, elab_options *eo) {
  *eo = (elab_options){.dtype = o->f64 ? IR_F64 : IR_F32, .eval_batch = e->nevals ? 0 : -1};
  long long n = host_dist_size();
  if (n == 1)
    return 0;
  if (e->batch % n != 0) {
    if (host_dist_rank() == 0)
      fprintf(stderr,
              "duet: error: the batch (%lld) cannot be split among %lld ranks: the number of "
              "ranks must divide the batch\n  hint: choose another number of ranks, or --set "
              "batch=%lld\n",
              (long long)e->batch, n, ((long long)e->batch + n - 1) / n * n);
    host_dist_settle(true); /* every rank finds the same */
    return 1;
  }
  eo->split = true;
  eo->batch = e->batch / n;
  eo->eval_batch = e->nevals ? e->batch : -1;
  return 0;
}

/* Under mpirun: the cost of each weight's update into *flops, its owner
 * (returned), and this rank's apply_step reduced to its own weights
 * (drv_owners.h). Both malloc'ed; NULL after an internal error. */
static int *owners(drv_source *s, const sema_experiment *e, ir_program *p, double **flops) {
  int n = e->model->nweights;
  *flops = calloc((size_t)n + 1, sizeof **flops);
  int *owner = calloc((size_t)n + 1, sizeof *owner);
  if (!*flops || !owner)
    abort();
  if (!drv_update_flops(p, e, s->unit.arena, *flops)) {
    fprintf(stderr, "duet: internal error: the program has no apply_step\n");
    free(*flops);
    free(owner);
    *flops = NULL;
    return NULL;
  }
  drv_owners_assign(*flops, n, host_dist_size(), owner);
  drv_owners_keep(p, e, s->unit.arena, owner, host_dist_rank());
  return owner;
}

static int build(drv_source *s, const sema_experiment *e, const drv_run_opts *o,
                 const host_sets *sets, drv_machine *m, host_model *hm) {
  elab_options eo;
  if (program_options(e, o, &eo) != 0)
    return 1;
  ir_program *p = drv_elaborate(s, e, &eo);
  if (!p)
    return drv_failure_code(s);
  double *flops = NULL;
  int *owner = eo.split ? owners(s, e, p, &flops) : NULL;
  if (eo.split && !owner) {
    ir_program_free(p);
    return 2;
  }
  long sizes[HOST_MAX_SETS];
  for (int i = 0; i < sets->n; i++)
    sizes[i] = sets->set[i].n;
  int rc = e->nevals ? drv_machine_add_evals(p, s, e, sizes, sets->n) : 0;
  if (rc != 0 || !drv_machine_init(m, p)) {
    if (rc != 0)
      ir_program_free(p);
    free(owner);
    free(flops);
    return rc ? rc : 2;
  }
  return drv_machine_host(m, hm, owner, flops);
}

int drv_train(drv_source *s, const ast_decl *exp, const drv_run_opts *o, host_run_result *res) {
  sema_override *ov;
  int rc = drv_parse_sets(s, o->nsets, o->sets, &ov);
  const sema_experiment *e = rc == 0 ? drv_experiment(s, exp, o->nsets, ov) : NULL;
  if (rc == 0 && !e)
    rc = 1;
  if (rc != 0)
    return rc;
  const host_experiment *x = drv_describe_run(s, e, o->stdlib, o->source, o->nsets, o->sets);
  host_sets sets;
  drv_machine m = {0};
  host_model hm;
  rc = drv_load_sets(s, e, x, &sets) ? DRV_DATA_ERROR : 0;
  if (rc == 0)
    rc = build(s, e, o, &sets, &m, &hm);
  if (rc == 0) {
    host_run_opts ro = o->run;
    ro.backend = "llvm-jit";
    rc = host_train(x, &sets, &hm, &ro, res);
  }
  drv_machine_free(&m);
  host_sets_free(&sets);
  return rc;
}
