/* train.c: the training loop (host_train.h). Step s (from 1) trains on
 * batch (s - 1) % B of epoch (s - 1) / B, B = examples / batch (the last
 * partial batch is dropped), in the epoch's shuffled order: every step is a
 * pure function of the checkpoint before it, so a resumed run repeats an
 * uninterrupted one bit for bit. Checkpoints are written at the start, at
 * every evaluation and at the end, and only from finite state. Everything
 * a step needs is allocated before the first one. */
#include "host_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_evaluate.h"
#include "host_plot.h"
#include "host_state.h"

enum { RECENT = 100, DEFAULT_LOG_EVERY = 10, FIXED_META = 8 };

typedef struct trainer {
  const host_experiment *e;
  const host_sets *sets;
  const host_model *m;
  const host_run_opts *o;
  char loss_key[HOST_MAX_SETS][80], acc_key[HOST_MAX_SETS][80];
  rt_batcher bt;
  void *x, *y; /* one training batch */
  host_eval_buffers eb;
  long bpe, total, log_every;
  long step;             /* steps done */
  long saved_step;       /* step of the last checkpoint; -1: none */
  double recent[RECENT]; /* loss of step s at (s - 1) % RECENT */
  rt_metrics metrics;
  rt_progress progress;
  bool show; /* progress display on */
  char dir[4096], ckpt[4200];
  double t_start, train_s, log_train_s;
  long steps_run, log_step;
} trainer;

static int io_error(const trainer *t, const rt_error *err) {
  fprintf(stderr, "%s: error: %s\n", t->o->prog, err->msg);
  return 1;
}

long host_meta_long(const rt_st_file *f, const char *key) {
  const char *v = rt_st_meta(f, key);
  return v ? strtol(v, NULL, 10) : -1;
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
  const char *prog = t->o->prog;
  if (t->show)
    rt_progress_end(&t->progress);
  long elem;
  const char *bad = host_state_nonfinite(t->m, &elem);
  if (isfinite(loss))
    fprintf(stderr, "%s: error: training diverged at step %ld: a tensor is not finite\n", prog, s);
  else
    fprintf(stderr, "%s: error: training diverged at step %ld: the loss is %s\n", prog, s,
            isnan(loss) ? "nan" : "inf");
  if (bad) {
    const host_tensor *w = host_model_tensor(t->m, bad);
    double v = t->m->f64 ? ((const double *)w->data)[elem] : ((const float *)w->data)[elem];
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
  if (host_state_nonfinite(t->m, &elem))
    return diverged(t, t->step, 0);
  const host_run_opts *o = t->o;
  rt_str_pair *meta = calloc(FIXED_META + o->nmeta, sizeof *meta);
  if (!meta)
    abort();
  char step[32], epoch[32], total[32], log_every[32], seed[32];
  snprintf(step, sizeof step, "%ld", t->step);
  snprintf(epoch, sizeof epoch, "%ld", t->step / t->bpe);
  snprintf(total, sizeof total, "%ld", t->total);
  snprintf(log_every, sizeof log_every, "%ld", t->log_every);
  snprintf(seed, sizeof seed, "%lld", (long long)t->e->seed);
  size_t n = 0;
  meta[n++] = (rt_str_pair){HOST_META_SOURCE, t->e->source};
  meta[n++] = (rt_str_pair){HOST_META_EXPERIMENT, t->e->name};
  for (size_t i = 0; i < o->nmeta; i++)
    meta[n++] = o->meta[i];
  meta[n++] = (rt_str_pair){HOST_META_STEP, step};
  meta[n++] = (rt_str_pair){HOST_META_EPOCH, epoch};
  meta[n++] = (rt_str_pair){HOST_META_TOTAL, total};
  meta[n++] = (rt_str_pair){HOST_META_LOG_EVERY, log_every};
  meta[n++] = (rt_str_pair){HOST_META_SEED, seed};
  meta[n++] = (rt_str_pair){HOST_META_DTYPE, t->m->f64 ? "f64" : "f32"};
  double recent[RECENT];
  host_extra extra = {HOST_RECENT_LOSSES, recent, recent_losses(t, recent)};
  rt_error err;
  int rc = host_state_save(t->ckpt, t->m, &extra, 1, meta, n, &err);
  free(meta);
  if (rc < 0)
    return io_error(t, &err);
  t->saved_step = t->step;
  return 0;
}

/* Fresh weights from the seed, or the state of the checkpoint to resume. */
static int start_state(trainer *t) {
  const host_run_opts *o = t->o;
  rt_error err;
  if (!o->resume) {
    t->saved_step = -1;
    t->m->init(t->m->self, t->e->seed);
    return save_checkpoint(t);
  }
  const rt_st_file *f = o->resume;
  t->step = t->saved_step = host_meta_long(f, HOST_META_STEP);
  if (t->step < 0 || t->step > t->total) {
    fprintf(stderr,
            "%s: error: %s: the checkpoint's step (%ld) is not within the run's %ld steps\n",
            o->prog, t->ckpt, t->step, t->total);
    return 1;
  }
  if (host_state_restore(f, t->m, false, false, &err) < 0) {
    fprintf(stderr, "%s: error: %s: %s\n", o->prog, t->ckpt, err.msg);
    return 1;
  }
  const rt_st_tensor *r = rt_st_find(f, HOST_RECENT_LOSSES);
  long k = r && r->dtype == RT_F64 && r->ndim == 1 ? (long)r->shape[0] : -1;
  if (k != (t->step < RECENT ? t->step : RECENT)) {
    fprintf(stderr, "%s: error: %s: missing or malformed %s\n", o->prog, t->ckpt,
            HOST_RECENT_LOSSES);
    return 1;
  }
  for (long i = 0; i < k; i++)
    t->recent[(t->step - k + i) % RECENT] = ((const double *)r->data)[i];
  return 0;
}

/* ---- steps ----------------------------------------------------------------- */

/* Writes the step's inputs x and y to <dump dir>/step-<s>.safetensors. */
static int dump_batch(trainer *t, long s) {
  const host_example *ex = &t->sets->set[0].ex;
  const rt_dtype real = t->m->f64 ? RT_F64 : RT_F32;
  rt_tensor_ref refs[2] = {
      {.name = "x", .dtype = ex->x_tokens ? RT_I32 : real, .ndim = ex->x_rank + 1, .data = t->x},
      {.name = "y", .dtype = ex->y_labels ? RT_I32 : real, .ndim = ex->y_rank + 1, .data = t->y}};
  refs[0].shape[0] = refs[1].shape[0] = t->m->batch;
  for (int d = 0; d < ex->x_rank; d++)
    refs[0].shape[d + 1] = ex->x_dims[d];
  for (int d = 0; d < ex->y_rank; d++)
    refs[1].shape[d + 1] = ex->y_dims[d];
  char path[4200];
  snprintf(path, sizeof path, "%s/step-%06ld.safetensors", t->o->dump_batches, s);
  rt_error err;
  return rt_safetensors_write(path, refs, 2, NULL, 0, &err) < 0 ? io_error(t, &err) : 0;
}

static double schedule_at(const trainer *t, long s) {
  return rt_schedule_at(t->e->sched_names, t->e->sched_args, t->e->nsched, s, t->total);
}

static int log_step(trainer *t, long s, double loss, const double *norms) {
  rt_field f[8];
  size_t n = 0;
  double sched = schedule_at(t, s);
  f[n++] = RT_INT("step", s);
  f[n++] = RT_INT("epoch", (s - 1) / t->bpe + 1);
  f[n++] = RT_NUM("loss", loss);
  if (!isnan(t->e->lr))
    f[n++] = RT_NUM("lr", t->e->lr * sched);
  f[n++] = RT_NUM("schedule", sched);
  if (!isnan(norms[0]) && !isnan(norms[1])) {
    f[n++] = RT_NUM("norm_weights", norms[0]);
    f[n++] = RT_NUM("norm_update", norms[1]);
  }
  double ms = 1e3 * (t->train_s - t->log_train_s) / (double)(s - t->log_step);
  f[n++] = RT_NUM("ms_per_step", ms);
  t->log_train_s = t->train_s;
  t->log_step = s;
  rt_error err;
  return rt_metrics_log(&t->metrics, f, n, &err) < 0 ? io_error(t, &err) : 0;
}

static bool eval_due(const host_eval *ev, long s, long bpe) {
  if (!ev->per_epoch)
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

static int set_index(const trainer *t, const char *name) {
  for (int i = 0; i < t->sets->n; i++)
    if (strcmp(t->sets->set[i].name, name) == 0)
      return i;
  return -1;
}

/* Evaluates the metrics due at step s (all of them when `all`), logs them
 * and writes a checkpoint. */
static int evaluate(trainer *t, long s, bool all) {
  bool want_loss[HOST_MAX_SETS] = {0}, want_acc[HOST_MAX_SETS] = {0}, any = false;
  const host_spectrum *spectrum = NULL;
  const host_ablation *ablation = NULL;
  for (int i = 0; i < t->e->nevals; i++) {
    const host_eval *ev = &t->e->evals[i];
    if (!all && !eval_due(ev, s, t->bpe))
      continue;
    if (ev->spectrum) {
      spectrum = ev->spectrum;
      any = true;
    }
    if (ev->ablation)
      ablation = ev->ablation; /* it comes with a loss metric */
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
  rt_field f[2 + 2 * HOST_MAX_SETS + HOST_MAX_SV + HOST_MAX_HEADS];
  char sv_keys[HOST_MAX_SV][16];
  size_t n = 0;
  f[n++] = RT_INT("step", s);
  f[n++] = RT_INT("epoch", (s - 1) / t->bpe + 1);
  char line[512];
  snprintf(line, sizeof line, "step %ld (epoch %ld):", s, (s - 1) / t->bpe + 1);
  rt_error err;
  for (int d = 0; d < t->sets->n; d++) {
    if (!want_loss[d] && !want_acc[d])
      continue;
    double loss, acc;
    if (host_eval_set(t->m, &t->sets->set[d], &t->eb, &loss, &acc, &err) < 0)
      return io_error(t, &err);
    if (want_loss[d])
      add_metric(f, &n, line, sizeof line, t->loss_key[d], loss);
    if (want_acc[d] && !isnan(acc))
      add_metric(f, &n, line, sizeof line, t->acc_key[d], acc);
  }
  double sv[HOST_MAX_SV]; /* logged, not shown in the progress message */
  for (int j = 0, k = spectrum ? host_spectrum_eval(t->m, spectrum, sv) : 0; j < k; j++) {
    host_sv_key(sv_keys[j], sizeof sv_keys[j], j + 1);
    f[n++] = RT_NUM(sv_keys[j], sv[j]);
  }
  host_head_value heads[HOST_MAX_HEADS]; /* logged, not shown */
  int nheads = ablation ? host_heads_eval(t->m, ablation, host_sets_find(t->sets, ablation->data),
                                          &t->eb, heads, &err)
                        : 0;
  if (nheads < 0)
    return io_error(t, &err);
  for (int j = 0; j < nheads; j++)
    f[n++] = RT_NUM(heads[j].key, heads[j].increase);
  if (rt_metrics_log(&t->metrics, f, n, &err) < 0)
    return io_error(t, &err);
  if (t->show)
    rt_progress_message(&t->progress, line);
  return save_checkpoint(t);
}

static int train_steps(trainer *t) {
  long stop = t->o->stop_after >= 0 && t->o->stop_after < t->total ? t->o->stop_after : t->total;
  const host_dataset *train = &t->sets->set[0];
  const host_model *m = t->m;
  for (long s = t->step + 1; s <= stop; s++) {
    double t0 = rt_now_s();
    long epoch = (s - 1) / t->bpe, b = (s - 1) % t->bpe;
    if (b == 0 || s == t->step + 1)
      rt_batcher_set_epoch(&t->bt, (uint64_t)epoch);
    const uint32_t *idx;
    uint32_t count = rt_batcher_indices(&t->bt, (uint32_t)b, &idx);
    train->gather(train, idx, count, m->f64, t->x, t->y);
    if (t->o->dump_batches && dump_batch(t, s) != 0)
      return 1;
    bool logged = s % t->log_every == 0 || s == t->total;
    double norms[2];
    double loss = m->train_step(m->self, t->x, t->y, s, schedule_at(t, s), logged ? norms : NULL);
    t->step = s;
    t->steps_run++;
    t->train_s += rt_now_s() - t0;
    t->recent[(s - 1) % RECENT] = loss;
    long elem;
    if (!isfinite(loss) || (logged && host_state_nonfinite(m, &elem)))
      return diverged(t, s, loss);
    if (logged && log_step(t, s, loss, norms) != 0)
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
  const host_run_opts *o = t->o;
  rt_error err;
  if (o->resume) {
    snprintf(t->dir, sizeof t->dir, "%s", o->resume_dir);
  } else if (host_rundir_create(t->dir, sizeof t->dir, o->out_dir, t->e->name, &err) < 0) {
    return io_error(t, &err);
  }
  host_rundir_file(t->ckpt, sizeof t->ckpt, t->dir, "model.safetensors");
  if (o->dump_batches && host_mkdirs(o->dump_batches, &err) < 0)
    return io_error(t, &err);
  return 0;
}

/* The run's length and log period: options, then a resumed checkpoint's,
 * then the experiment's. */
static int plan_steps(trainer *t) {
  const host_run_opts *o = t->o;
  t->bpe = t->sets->set[0].n / t->m->batch;
  if (t->bpe < 1) {
    fprintf(stderr, "%s: error: the batch (%ld) is larger than the training set (%ld examples)\n",
            o->prog, t->m->batch, t->sets->set[0].n);
    return 1;
  }
  long meta_total = o->resume ? host_meta_long(o->resume, HOST_META_TOTAL) : -1;
  long meta_log = o->resume ? host_meta_long(o->resume, HOST_META_LOG_EVERY) : -1;
  t->total = o->steps >= 0     ? o->steps
             : o->epochs > 0   ? o->epochs * t->bpe
             : meta_total >= 0 ? meta_total
             : t->e->steps     ? t->e->steps
                               : t->e->epochs * t->bpe;
  t->log_every = o->log_every > 0 ? o->log_every : meta_log > 0 ? meta_log : DEFAULT_LOG_EVERY;
  for (int i = 0; i < t->sets->n; i++) {
    snprintf(t->loss_key[i], sizeof t->loss_key[i], "%s_loss", t->sets->set[i].name);
    snprintf(t->acc_key[i], sizeof t->acc_key[i], "%s_accuracy", t->sets->set[i].name);
  }
  return 0;
}

/* The batch buffers, the batcher, metrics.jsonl and the progress display. */
static int open_logs(trainer *t) {
  const host_dataset *train = &t->sets->set[0];
  const size_t real = t->m->f64 ? sizeof(double) : sizeof(float);
  t->x = malloc((size_t)(t->m->batch * train->x_numel) * (train->ex.x_tokens ? 4 : real));
  t->y = malloc((size_t)(t->m->batch * train->y_numel) * (train->ex.y_labels ? 4 : real));
  if (!t->x || !t->y || host_eval_buffers_init(&t->eb, t->m, train) < 0) {
    fprintf(stderr, "%s: error: out of memory for the batches\n", t->o->prog);
    return 1;
  }
  char path[4200];
  host_rundir_file(path, sizeof path, t->dir, "metrics.jsonl");
  rt_error err;
  if (t->o->resume && host_metrics_trim(path, t->step, &err) < 0)
    return io_error(t, &err);
  if (rt_metrics_open(&t->metrics, path, t->o->resume != NULL, &err) < 0 ||
      rt_metrics_formats(&t->metrics, t->o->log_formats, &err) < 0)
    return io_error(t, &err);
  if (rt_batcher_init(&t->bt, (uint32_t)train->n, (uint32_t)t->m->batch, 1,
                      t->e->seed ^ RT_BATCH_SEED_MIX, &err) < 0)
    return io_error(t, &err);
  t->log_step = t->step;
  if (t->show)
    rt_progress_init(&t->progress, stderr, RT_PROGRESS_AUTO, t->step, t->total, t->bpe, rt_now_s());
  return 0;
}

static int finish(trainer *t, host_run_result *res) {
  rt_error err;
  if (rt_metrics_close(&t->metrics, &err) < 0)
    return io_error(t, &err);
  *res = (host_run_result){0};
  snprintf(res->dir, sizeof res->dir, "%s", t->dir);
  char path[4200];
  host_rundir_file(path, sizeof path, t->dir, "metrics.jsonl");
  if (host_history_read(&res->history, path, &err) < 0)
    return io_error(t, &err);
  double recent[RECENT], sum = 0;
  long k = recent_losses(t, recent);
  for (long i = 0; i < k; i++)
    sum += recent[i];
  res->summary = (host_summary){
      .experiment = t->e->name,
      .source = t->e->source,
      .dtype = t->m->f64 ? "f64" : "f32",
      .seed = (long long)t->e->seed,
      .batch = t->m->batch,
      .params = t->e->params,
      .steps = t->step,
      .epochs = (double)t->step / (double)t->bpe,
      .train_loss = k ? sum / (double)k : NAN,
      .train_loss_steps = k,
      .ms_per_step = t->steps_run ? 1e3 * t->train_s / (double)t->steps_run : 0,
      .wall_s = rt_now_s() - t->t_start,
      .compile_s = t->m->compile_s,
  };
  host_rundir_file(path, sizeof path, t->dir, "summary.json");
  if (host_summary_write(path, &res->summary, &res->history, &err) < 0)
    return io_error(t, &err);
  host_rundir_file(path, sizeof path, t->dir, "loss.svg");
  if (host_plot_losses(path, t->e->name, &res->history, &err) < 0)
    return io_error(t, &err);
  const host_history *runs[1] = {&res->history};
  host_rundir_file(path, sizeof path, t->dir, "singular_values.svg");
  if (host_plot_spectra(path, runs, NULL, 1, &err) < 0)
    return io_error(t, &err);
  host_rundir_file(path, sizeof path, t->dir, "heads.svg");
  if (host_plot_heads(path, runs, NULL, 1, &err) < 0)
    return io_error(t, &err);
  host_print_result(&res->summary, &res->history, t->dir);
  if (t->step < t->total)
    printf("  stopped after step %ld of %ld; continue with: %s --resume %s\n", t->step, t->total,
           t->o->resume_cmd, t->dir);
  return 0;
}

int host_train(const host_experiment *e, const host_sets *sets, const host_model *m,
               const host_run_opts *o, host_run_result *res) {
  trainer *t = calloc(1, sizeof *t);
  if (!t)
    return 2;
  *t = (trainer){.e = e, .sets = sets, .m = m, .o = o, .t_start = rt_now_s(), .show = !o->quiet};
  int rc = open_rundir(t);
  if (rc == 0)
    rc = plan_steps(t);
  if (rc == 0)
    rc = start_state(t);
  if (rc == 0)
    rc = open_logs(t);
  if (rc == 0)
    rc = train_steps(t);
  if (rc == 0)
    rc = finish(t, res);
  if (rc != 0 && t->dir[0] && !o->resume)
    rmdir(t->dir); /* only removes a run directory left empty */
  rt_error err;
  if (t->metrics.f)
    rt_metrics_close(&t->metrics, &err);
  rt_batcher_free(&t->bt);
  host_eval_buffers_free(&t->eb);
  free(t->x);
  free(t->y);
  free(t);
  return rc;
}
