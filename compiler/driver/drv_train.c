/* drv_train.c: the training loop of `duet run`. Step s (from 1) trains on
 * batch (s - 1) % B of epoch (s - 1) / B, B = examples / batch (the last
 * partial batch is dropped), in the epoch's shuffled order: every step is a
 * pure function of the checkpoint before it, so a resumed run repeats an
 * uninterrupted one bit for bit. Checkpoints are written at the start, at
 * every evaluation and at the end, and only from finite state. */
#include "drv_train.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drv_data.h"
#include "drv_eval.h"
#include "drv_heads.h"
#include "drv_machine.h"
#include "drv_plot.h"
#include "drv_schedule.h"
#include "drv_spectrum.h"
#include "drv_state.h"

enum { RECENT = 100, DEFAULT_LOG_EVERY = 10, MAX_SETS = 8, FIXED_META = 11 };

typedef struct trainer {
  drv_source *src;
  const sema_experiment *e;
  const drv_run_opts *o;
  drv_machine m;
  int nsets;
  drv_data sets[MAX_SETS]; /* [0]: train; then each set an evaluation reads */
  char loss_key[MAX_SETS][80], acc_key[MAX_SETS][80];
  drv_evaluator ev;
  rt_batcher bt;
  int step_entry, logged_entry;
  int out_loss, out_logged_loss, out_nw, out_nu;
  int x_in, y_in;
  long batch, bpe, total, log_every;
  long step;             /* steps done */
  long saved_step;       /* step of the last checkpoint; -1: none */
  double lr;             /* the default optimizer's lr argument, or NaN */
  double recent[RECENT]; /* loss of step s at (s - 1) % RECENT */
  rt_metrics metrics;
  rt_progress progress;
  bool show; /* progress display on */
  char dir[4096], ckpt[4200], source_abs[4096];
  double t_start, train_s, log_train_s;
  long steps_run, log_step;
} trainer;

static int io_error(const rt_error *err) {
  fprintf(stderr, "duet: error: %s\n", err->msg);
  return 1;
}

/* ---- data ---------------------------------------------------------------- */

static const sema_data *binding(const sema_experiment *e, const char *name) {
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, name) == 0)
      return &e->data[i];
  return NULL;
}

static int set_index(const trainer *t, const char *name) {
  for (int i = 0; i < t->nsets; i++)
    if (strcmp(t->sets[i].name, name) == 0)
      return i;
  return -1;
}

/* Loads `train` and every set an evaluation metric reads. */
static int load_data(trainer *t) {
  const sema_experiment *e = t->e;
  const char *names[MAX_SETS] = {"train"};
  int n = 1;
  for (int i = 0; i < e->nevals; i++)
    for (int j = 0; j < e->evals[i].nmetrics; j++) {
      const char *d = e->evals[i].metrics[j].data;
      bool have = false;
      for (int k = 0; k < n; k++)
        have = have || strcmp(names[k], d) == 0;
      if (!have && n < MAX_SETS)
        names[n++] = d;
    }
  diag_ctx *dg = t->src->unit.diag;
  for (int i = 0; i < n; i++) {
    const sema_data *sd = binding(e, names[i]);
    assert(sd); /* sema checks that metrics name data bindings */
    if (!drv_data_load(&t->sets[t->nsets], sd, dg))
      return drv_report_diags(t->src);
    t->nsets++;
    snprintf(t->loss_key[i], sizeof t->loss_key[i], "%s_loss", names[i]);
    snprintf(t->acc_key[i], sizeof t->acc_key[i], "%s_accuracy", names[i]);
    if (!drv_data_compatible(&t->sets[0], &t->sets[i])) {
      diag_error(dg, sd->loc, "data '%s' has examples of another shape than 'train'", names[i]);
      return drv_report_diags(t->src);
    }
  }
  return 0;
}

/* ---- program ------------------------------------------------------------- */

static double optimizer_lr(const sema_optimizer *o) {
  for (int i = 0; i < o->nargs; i++)
    if (strcmp(o->args[i].name, "lr") == 0)
      return mt_value_num(o->args[i].value);
  return NAN;
}

static int build_program(trainer *t) {
  elab_options eo = {.dtype = t->o->f64 ? IR_F64 : IR_F32, .eval_batch = t->e->nevals ? 0 : -1};
  ir_program *p = drv_elaborate(t->src, t->e, &eo);
  if (!p)
    return drv_failure_code(t->src);
  int rc = t->e->nevals ? drv_eval_prepare(&t->ev, p, t->src, t->e, t->sets, t->nsets) : 0;
  if (rc != 0) {
    ir_program_free(p);
    return rc;
  }
  if (!drv_machine_init(&t->m, p))
    return 2;
  if (t->e->nevals)
    drv_eval_bind(&t->ev, &t->m);
  t->step_entry = core_entry(t->m.exe, "train_step");
  t->logged_entry = core_entry(t->m.exe, "train_step_logged");
  t->out_loss = drv_machine_output(&t->m, t->step_entry, "loss");
  t->out_logged_loss = drv_machine_output(&t->m, t->logged_entry, "loss");
  t->out_nw = drv_machine_output(&t->m, t->logged_entry, "norm_weights");
  t->out_nu = drv_machine_output(&t->m, t->logged_entry, "norm_update");
  if (!elab_entry_inputs(p, "train_step", &t->x_in, &t->y_in, &t->batch) || t->out_loss < 0 ||
      t->out_logged_loss < 0) {
    fprintf(stderr, "duet: internal error: the program lacks its training entries\n");
    return 2;
  }
  t->bpe = t->sets[0].n / t->batch;
  if (t->bpe < 1) {
    fprintf(stderr, "duet: error: the batch (%ld) is larger than the training set (%ld examples)\n",
            t->batch, t->sets[0].n);
    return 1;
  }
  t->lr = optimizer_lr(t->e->optimizer);
  return 0;
}

/* ---- checkpoints ----------------------------------------------------------- */

/* The last min(RECENT, step) losses, oldest first, into out; their count. */
static long recent_losses(const trainer *t, double *out) {
  long k = t->step < RECENT ? t->step : RECENT;
  for (long i = 0; i < k; i++)
    out[i] = t->recent[(t->step - k + i) % RECENT];
  return k;
}

static int diverged(trainer *t, long s, double loss) {
  if (t->show)
    rt_progress_end(&t->progress);
  long elem;
  const char *bad = drv_state_nonfinite(t->m.exe, t->m.arena, &elem);
  if (isfinite(loss))
    fprintf(stderr, "duet: error: training diverged at step %ld: a tensor is not finite\n", s);
  else
    fprintf(stderr, "duet: error: training diverged at step %ld: the loss is %s\n", s,
            isnan(loss) ? "nan" : "inf");
  if (bad) {
    long count;
    const void *data = core_tensor_data(t->m.exe, t->m.arena, bad, &count);
    double v = t->m.real == IR_F64 ? ((const double *)data)[elem] : ((const float *)data)[elem];
    fprintf(stderr, "  first non-finite tensor: %s (element %ld is %s)\n", bad, elem,
            isnan(v) ? "nan"
            : v > 0  ? "inf"
                     : "-inf");
  } else {
    fprintf(stderr, "  every weight and optimizer state is still finite\n");
  }
  if (t->saved_step >= 0)
    fprintf(stderr, "  the last good checkpoint (step %ld) is kept in %s\n", t->saved_step,
            t->ckpt);
  fprintf(stderr, "  hint: lower the learning rate (e.g. --set optimizer.lr=...)\n");
  return 1;
}

static int save_checkpoint(trainer *t) {
  long elem;
  if (drv_state_nonfinite(t->m.exe, t->m.arena, &elem))
    return diverged(t, t->step, 0);
  arena *a = t->src->unit.arena;
  const drv_run_opts *o = t->o;
  rt_str_pair *meta = arena_alloc(a, (FIXED_META + (size_t)o->nsets) * sizeof *meta);
  size_t n = 0;
  meta[n++] = (rt_str_pair){DRV_META_SOURCE, t->source_abs};
  meta[n++] = (rt_str_pair){DRV_META_EXPERIMENT, t->e->name};
  if (o->stdlib)
    meta[n++] = (rt_str_pair){DRV_META_STDLIB, o->stdlib};
  meta[n++] = (rt_str_pair){DRV_META_NSETS, arena_printf(a, "%d", o->nsets)};
  for (int i = 0; i < o->nsets; i++)
    meta[n++] = (rt_str_pair){arena_printf(a, DRV_META_SET "%d", i), o->sets[i]};
  meta[n++] = (rt_str_pair){DRV_META_STEP, arena_printf(a, "%ld", t->step)};
  meta[n++] = (rt_str_pair){DRV_META_EPOCH, arena_printf(a, "%ld", t->step / t->bpe)};
  meta[n++] = (rt_str_pair){DRV_META_TOTAL, arena_printf(a, "%ld", t->total)};
  meta[n++] = (rt_str_pair){DRV_META_LOG_EVERY, arena_printf(a, "%ld", t->log_every)};
  meta[n++] = (rt_str_pair){DRV_META_SEED, arena_printf(a, "%lld", t->e->seed)};
  meta[n++] = (rt_str_pair){DRV_META_DTYPE, t->m.real == IR_F64 ? "f64" : "f32"};
  double recent[RECENT];
  drv_extra extra = {DRV_RECENT_LOSSES, recent, recent_losses(t, recent)};
  rt_error err;
  if (drv_state_save(t->ckpt, t->m.exe, t->m.arena, &extra, 1, meta, n, &err) < 0)
    return io_error(&err);
  t->saved_step = t->step;
  return 0;
}

static long meta_long(const rt_st_file *f, const char *key) {
  const char *v = rt_st_meta(f, key);
  return v ? strtol(v, NULL, 10) : -1;
}

/* Fresh weights from the seed, or the state of the checkpoint to resume. */
static int start_state(trainer *t) {
  const drv_run_opts *o = t->o;
  rt_error err;
  if (!o->resume) {
    t->saved_step = -1;
    if (core_init(t->m.exe, t->m.arena, (uint64_t)t->e->seed) < 0) {
      fprintf(stderr, "duet: internal error: the program has no init entry\n");
      return 2;
    }
    return save_checkpoint(t);
  }
  const rt_st_file *f = o->resume;
  t->step = t->saved_step = meta_long(f, DRV_META_STEP);
  if (t->step < 0 || t->step > t->total) {
    fprintf(stderr,
            "duet: error: %s: the checkpoint's step (%ld) is not within the run's %ld steps\n",
            t->ckpt, t->step, t->total);
    return 1;
  }
  if (drv_state_restore(f, t->m.exe, t->m.arena, &err) < 0) {
    fprintf(stderr, "duet: error: %s: %s\n", t->ckpt, err.msg);
    return 1;
  }
  const rt_st_tensor *r = rt_st_find(f, DRV_RECENT_LOSSES);
  long k = r && r->dtype == RT_F64 && r->ndim == 1 ? (long)r->shape[0] : -1;
  if (k != (t->step < RECENT ? t->step : RECENT)) {
    fprintf(stderr, "duet: error: %s: missing or malformed %s\n", t->ckpt, DRV_RECENT_LOSSES);
    return 1;
  }
  for (long i = 0; i < k; i++)
    t->recent[(t->step - k + i) % RECENT] = ((const double *)r->data)[i];
  return 0;
}

/* ---- steps ----------------------------------------------------------------- */

static rt_dtype rt_dtype_of(ir_dtype d) {
  return d == IR_I32 ? RT_I32 : d == IR_F64 ? RT_F64 : RT_F32;
}

/* Writes the step's inputs x and y to <dump dir>/step-<s>.safetensors. */
static int dump_batch(trainer *t, long s) {
  const ir_program *p = t->m.ir;
  rt_tensor_ref refs[2];
  int idx[2] = {t->x_in, t->y_in};
  for (int i = 0; i < 2; i++) {
    const ir_input_decl *in = &p->inputs[idx[i]];
    refs[i] = (rt_tensor_ref){.name = i ? "y" : "x",
                              .dtype = rt_dtype_of(in->dtype),
                              .ndim = in->shape.rank,
                              .data = t->m.inputs[idx[i]]};
    for (int d = 0; d < in->shape.rank; d++)
      refs[i].shape[d] = in->shape.d[d];
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/step-%06ld.safetensors", t->o->dump_batches, s);
  rt_error err;
  return rt_safetensors_write(path, refs, 2, NULL, 0, &err) < 0 ? io_error(&err) : 0;
}

static int log_step(trainer *t, long s, double loss, const double *out) {
  rt_field f[8];
  size_t n = 0;
  double sched = drv_schedule_at(t->e->sched, t->e->nsched, s, t->total);
  f[n++] = RT_INT("step", s);
  f[n++] = RT_INT("epoch", (s - 1) / t->bpe + 1);
  f[n++] = RT_NUM("loss", loss);
  if (!isnan(t->lr))
    f[n++] = RT_NUM("lr", t->lr * sched);
  f[n++] = RT_NUM("schedule", sched);
  if (t->out_nw >= 0 && t->out_nu >= 0) {
    f[n++] = RT_NUM("norm_weights", out[t->out_nw]);
    f[n++] = RT_NUM("norm_update", out[t->out_nu]);
  }
  double ms = 1e3 * (t->train_s - t->log_train_s) / (double)(s - t->log_step);
  f[n++] = RT_NUM("ms_per_step", ms);
  t->log_train_s = t->train_s;
  t->log_step = s;
  rt_error err;
  return rt_metrics_log(&t->metrics, f, n, &err) < 0 ? io_error(&err) : 0;
}

static bool eval_due(const sema_eval *ev, long s, long bpe) {
  if (ev->unit == AST_EVERY_STEP)
    return s % ev->every == 0;
  return s % bpe == 0 && (s / bpe) % ev->every == 0;
}

/* One evaluated metric: a field of the metrics line and a word of the
 * progress message. */
static void add_metric(rt_field *f, size_t *n, char *line, size_t cap, const char *key, double v) {
  f[(*n)++] = RT_NUM(key, v);
  size_t len = strlen(line);
  char num[RT_NUM_CHARS];
  snprintf(line + len, cap - len, " %s %s", key, rt_num_text(num, v));
}

/* Evaluates the metrics due at step s (all of them when `all`), logs them
 * and writes a checkpoint. */
static int evaluate(trainer *t, long s, bool all) {
  bool want_loss[MAX_SETS] = {0}, want_acc[MAX_SETS] = {0}, any = false;
  const sema_spectrum *spectrum = NULL;
  const sema_ablation *ablation = NULL;
  for (int i = 0; i < t->e->nevals; i++) {
    const sema_eval *ev = &t->e->evals[i];
    if (!all && !eval_due(ev, s, t->bpe))
      continue;
    if (ev->nspectra) {
      spectrum = &ev->spectra[0]; /* sema allows one */
      any = true;
    }
    if (ev->nablations)
      ablation = &ev->ablations[0]; /* sema allows one; it has a loss metric */
    for (int j = 0; j < ev->nmetrics; j++) {
      int d = set_index(t, ev->metrics[j].data);
      bool acc = strcmp(ev->metrics[j].name, "accuracy") == 0;
      want_acc[d] |= acc;
      want_loss[d] |= !acc;
      any = true;
    }
  }
  if (!any)
    return 0;
  rt_field f[2 + 2 * MAX_SETS + DRV_MAX_SV + SEMA_MAX_ABLATED_HEADS];
  char sv_keys[DRV_MAX_SV][16];
  size_t n = 0;
  f[n++] = RT_INT("step", s);
  f[n++] = RT_INT("epoch", (s - 1) / t->bpe + 1);
  char line[512];
  snprintf(line, sizeof line, "step %ld (epoch %ld):", s, (s - 1) / t->bpe + 1);
  for (int d = 0; d < t->nsets; d++) {
    if (!want_loss[d] && !want_acc[d])
      continue;
    double loss, acc;
    drv_eval_run(&t->ev, &t->m, &t->sets[d], &loss, &acc);
    if (want_loss[d])
      add_metric(f, &n, line, sizeof line, t->loss_key[d], loss);
    if (want_acc[d] && !isnan(acc))
      add_metric(f, &n, line, sizeof line, t->acc_key[d], acc);
  }
  double sv[DRV_MAX_SV]; /* logged, not shown in the progress message */
  for (int j = 0, k = spectrum ? drv_spectrum_eval(&t->m, spectrum, sv) : 0; j < k; j++) {
    drv_sv_key(sv_keys[j], sizeof sv_keys[j], j + 1);
    f[n++] = RT_NUM(sv_keys[j], sv[j]);
  }
  drv_head_value heads[SEMA_MAX_ABLATED_HEADS]; /* logged, not shown */
  int nheads = ablation ? drv_heads_eval(&t->ev, &t->m, ablation,
                                         &t->sets[set_index(t, ablation->data)], heads)
                        : 0;
  for (int j = 0; j < nheads; j++)
    f[n++] = RT_NUM(heads[j].key, heads[j].increase);
  rt_error err;
  if (rt_metrics_log(&t->metrics, f, n, &err) < 0)
    return io_error(&err);
  if (t->show)
    rt_progress_message(&t->progress, line);
  return save_checkpoint(t);
}

static int train_steps(trainer *t) {
  long stop = t->o->stop_after >= 0 && t->o->stop_after < t->total ? t->o->stop_after : t->total;
  const drv_data *train = &t->sets[0];
  for (long s = t->step + 1; s <= stop; s++) {
    double t0 = rt_now_s();
    long epoch = (s - 1) / t->bpe, b = (s - 1) % t->bpe;
    if (b == 0 || s == t->step + 1)
      rt_batcher_set_epoch(&t->bt, (uint64_t)epoch);
    const uint32_t *idx;
    uint32_t count = rt_batcher_indices(&t->bt, (uint32_t)b, &idx);
    drv_data_gather(train, idx, count, t->m.real, t->m.inputs[t->x_in], t->m.inputs[t->y_in]);
    if (t->o->dump_batches && dump_batch(t, s) != 0)
      return 1;
    drv_machine_set(&t->m, "t", (double)s);
    drv_machine_set(&t->m, "schedule", drv_schedule_at(t->e->sched, t->e->nsched, s, t->total));
    bool logged = s % t->log_every == 0 || s == t->total;
    double out[DRV_MAX_OUTPUTS];
    drv_machine_run(&t->m, logged ? t->logged_entry : t->step_entry, out);
    double loss = out[logged ? t->out_logged_loss : t->out_loss];
    t->step = s;
    t->steps_run++;
    t->train_s += rt_now_s() - t0;
    t->recent[(s - 1) % RECENT] = loss;
    long elem;
    if (!isfinite(loss) || (logged && drv_state_nonfinite(t->m.exe, t->m.arena, &elem)))
      return diverged(t, s, loss);
    if (logged && log_step(t, s, loss, out) != 0)
      return 1;
    int rc = t->e->nevals ? evaluate(t, s, s == t->total) : 0;
    if (rc != 0)
      return rc;
    if (t->show)
      rt_progress_update(&t->progress, s, loss, rt_now_s());
  }
  if (t->show)
    rt_progress_end(&t->progress);
  return t->saved_step == t->step ? 0 : save_checkpoint(t);
}

/* ---- the run ---------------------------------------------------------------- */

/* The run directory (a new one, or the one resumed) and its checkpoint. */
static int open_rundir(trainer *t) {
  const drv_run_opts *o = t->o;
  rt_error err;
  if (o->resume) {
    snprintf(t->dir, sizeof t->dir, "%s", o->resume_dir);
  } else if (drv_rundir_create(t->dir, sizeof t->dir, o->out_dir, t->e->name, &err) < 0) {
    return io_error(&err);
  }
  drv_rundir_file(t->ckpt, sizeof t->ckpt, t->dir, "model.safetensors");
  if (o->dump_batches && drv_mkdirs(o->dump_batches, &err) < 0)
    return io_error(&err);
  return 0;
}

/* The run's length and log period: options, then a resumed checkpoint's,
 * then the experiment's. */
static void plan_steps(trainer *t) {
  const drv_run_opts *o = t->o;
  long meta_total = o->resume ? meta_long(o->resume, DRV_META_TOTAL) : -1;
  long meta_log = o->resume ? meta_long(o->resume, DRV_META_LOG_EVERY) : -1;
  t->total = o->steps >= 0     ? o->steps
             : o->epochs > 0   ? o->epochs * t->bpe
             : meta_total >= 0 ? meta_total
             : t->e->steps     ? t->e->steps
                               : t->e->epochs * t->bpe;
  t->log_every = o->log_every > 0 ? o->log_every : meta_log > 0 ? meta_log : DEFAULT_LOG_EVERY;
}

static int open_logs(trainer *t) {
  char path[4200];
  drv_rundir_file(path, sizeof path, t->dir, "metrics.jsonl");
  rt_error err;
  if (t->o->resume && drv_metrics_trim(path, t->step, &err) < 0)
    return io_error(&err);
  if (rt_metrics_open(&t->metrics, path, t->o->resume != NULL, &err) < 0 ||
      rt_metrics_formats(&t->metrics, t->o->log_formats, &err) < 0)
    return io_error(&err);
  if (rt_batcher_init(&t->bt, (uint32_t)t->sets[0].n, (uint32_t)t->batch, 1,
                      (uint64_t)t->e->seed ^ RT_BATCH_SEED_MIX, &err) < 0)
    return io_error(&err);
  t->log_step = t->step;
  if (t->show)
    rt_progress_init(&t->progress, stderr, RT_PROGRESS_AUTO, t->step, t->total, t->bpe, rt_now_s());
  return 0;
}

static int finish(trainer *t, drv_run_result *res) {
  rt_error err;
  if (rt_metrics_close(&t->metrics, &err) < 0)
    return io_error(&err);
  *res = (drv_run_result){0};
  snprintf(res->dir, sizeof res->dir, "%s", t->dir);
  char path[4200];
  drv_rundir_file(path, sizeof path, t->dir, "metrics.jsonl");
  if (drv_history_read(&res->history, path, &err) < 0)
    return io_error(&err);
  double recent[RECENT], sum = 0;
  long k = recent_losses(t, recent);
  for (long i = 0; i < k; i++)
    sum += recent[i];
  res->summary = (drv_summary){
      .experiment = t->e->name,
      .source = t->source_abs,
      .dtype = t->m.real == IR_F64 ? "f64" : "f32",
      .seed = t->e->seed,
      .batch = t->batch,
      .params = t->e->model->nparams,
      .steps = t->step,
      .epochs = (double)t->step / (double)t->bpe,
      .train_loss = k ? sum / (double)k : NAN,
      .train_loss_steps = k,
      .ms_per_step = t->steps_run ? 1e3 * t->train_s / (double)t->steps_run : 0,
      .wall_s = rt_now_s() - t->t_start,
      .compile_s = core_compile_seconds(t->m.exe),
  };
  drv_rundir_file(path, sizeof path, t->dir, "summary.json");
  if (drv_summary_write(path, &res->summary, &res->history, &err) < 0)
    return io_error(&err);
  drv_rundir_file(path, sizeof path, t->dir, "loss.svg");
  if (drv_plot_losses(path, t->e->name, &res->history, &err) < 0)
    return io_error(&err);
  const drv_history *runs[1] = {&res->history};
  drv_rundir_file(path, sizeof path, t->dir, "singular_values.svg");
  if (drv_plot_spectra(path, runs, NULL, 1, &err) < 0)
    return io_error(&err);
  drv_rundir_file(path, sizeof path, t->dir, "heads.svg");
  if (drv_plot_heads(path, runs, NULL, 1, &err) < 0)
    return io_error(&err);
  drv_print_result(&res->summary, &res->history, t->dir);
  if (t->step < t->total)
    printf("  stopped after step %ld of %ld; continue with: duet run --resume %s\n", t->step,
           t->total, t->dir);
  return 0;
}

/* path made absolute (against the working directory) into out[cap], so
 * that a run can be resumed from anywhere. */
static void absolute_path(const char *path, char *out, size_t cap) {
  char cwd[2048];
  if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
    snprintf(out, cap, "%s", path);
  else
    snprintf(out, cap, "%s/%s", cwd, path);
}

static void trainer_free(trainer *t) {
  rt_error err;
  rt_metrics_close(&t->metrics, &err);
  rt_batcher_free(&t->bt);
  drv_machine_free(&t->m);
  for (int i = 0; i < t->nsets; i++)
    drv_data_free(&t->sets[i]);
}

int drv_train(drv_source *s, const ast_decl *exp, const drv_run_opts *o, drv_run_result *res) {
  trainer *t = calloc(1, sizeof *t);
  if (!t)
    return 2;
  *t = (trainer){.src = s, .o = o, .t_start = rt_now_s(), .show = !o->quiet};
  sema_override *ov;
  int rc = drv_parse_sets(s, o->nsets, o->sets, &ov);
  if (rc == 0) {
    t->e = drv_experiment(s, exp, o->nsets, ov);
    rc = t->e ? 0 : 1;
  }
  if (rc == 0)
    absolute_path(s->path, t->source_abs, sizeof t->source_abs);
  if (rc == 0)
    rc = open_rundir(t);
  if (rc == 0)
    rc = load_data(t);
  if (rc == 0)
    rc = build_program(t);
  if (rc == 0) {
    plan_steps(t);
    rc = start_state(t);
  }
  if (rc == 0)
    rc = open_logs(t);
  if (rc == 0)
    rc = train_steps(t);
  if (rc == 0)
    rc = finish(t, res);
  if (rc != 0 && t->dir[0] && !o->resume)
    rmdir(t->dir); /* only removes a run directory left empty */
  trainer_free(t);
  free(t);
  return rc;
}
