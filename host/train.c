/* train.c: the training loop (host_train.h). Step s (from 1) trains on
 * batch (s - 1) % B of epoch (s - 1) / B, B = examples / batch (the last
 * partial batch is dropped), in the epoch's shuffled order: every step is a
 * pure function of the checkpoint before it, so a resumed run repeats an
 * uninterrupted one bit for bit. Checkpoints (host_checkpoint.h) are
 * written at the start, at every evaluation, every --checkpoint-every
 * steps, after --checkpoint-every-s seconds without one and at the end,
 * only from finite state. A run ends completed, stopped (--stop-after),
 * interrupted (SIGINT or SIGTERM: after the step in progress, or between
 * two batches of an evaluation, which the resumed run then repeats) or
 * diverged (a loss or tensor not finite); each end writes the metrics so
 * far, summary.json with the status and the plots. The schedule spans the
 * planned steps; the steps an extension adds run at its last value.
 * Everything a step needs is allocated before the first one. Under mpirun
 * (host_dist.h) rank r trains on examples [r b, (r + 1) b) of each global
 * batch (b = batch / ranks); the gradient of each weight is summed into
 * the rank that owns the weight, which steps it and its optimizer state;
 * the new weights are copied to every rank; the ranks agree after every
 * step on whether to stop. Rank 0 alone evaluates and writes the run
 * directory, after collecting the optimizer state from the owners. */
#include "host_train.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host_checkpoint.h"
#include "host_conv.h"
#include "host_dist.h"
#include "host_evaluate.h"
#include "host_interrupt.h"
#include "host_plot.h"
#include "host_provenance.h"
#include "rt_kernels.h"

enum { RECENT = 100, DEFAULT_LOG_EVERY = 10, MAX_META = 24, NUM_CHARS = 40 };

typedef enum run_status {
  RUN_GOING,
  RUN_COMPLETED,
  RUN_STOPPED,
  RUN_INTERRUPTED,
  RUN_DIVERGED
} run_status;

static const char *const status_names[] = {"running", "completed", "stopped", "interrupted",
                                           "diverged"};

typedef struct trainer {
  const host_experiment *e;
  const host_sets *sets;
  const host_model *m;
  const host_run_opts *o;
  char loss_key[HOST_MAX_SETS][80], acc_key[HOST_MAX_SETS][80];
  rt_batcher bt;
  void *x, *y; /* one training batch */
  host_eval_buffers eb;
  long batch; /* the global batch: the model's times the ranks */
  int rank, ranks;
  bool writer;                       /* rank 0: evaluates, writes the run directory and prints */
  host_dist_stats dist;              /* the exchanges of the steps (not of checkpoints) */
  double apply_s;                    /* seconds in this rank's optimizer steps */
  double apply_cpu_s;                /* and their CPU time (all threads) */
  double grad_cpu_s;                 /* CPU time of this rank's grad_step */
  double busiest_ms;                 /* the largest apply_cpu_s per step of any rank, in ms */
  host_owned grads, weights, states; /* the tensors each rank owns (host_dist.h) */
  int *state_owner;                  /* owned: states' owners, -1 for estimator state */
  long long *state_bytes;            /* the optimizer state each rank stores (owned) */
  host_tensor *whole;                /* rank 0: m's tensors with the others' state, */
  host_model whole_m;                /* collected for a checkpoint (collect_whole) */
  void *held;                        /* that state (owned), or NULL */
  void **at;                         /* and where each tensor is in it (owned) */
  long bpe;                          /* batches per epoch */
  long total;                        /* the run's length */
  long plan;                         /* the length the schedule spans */
  long log_every;
  long ckpt_every; /* checkpoint periods: the options', else the experiment's */
  double ckpt_every_s;
  long step;             /* steps done */
  long saved_step;       /* step of the last checkpoint; -1: none */
  long logged_step;      /* step of the last training line of metrics.jsonl */
  double recent[RECENT]; /* loss of step s at (s - 1) % RECENT */
  rt_metrics metrics;
  rt_progress progress;
  bool show; /* progress display on */
  char dir[4096];
  double t_start, train_s, log_train_s, saved_s;
  long steps_run, log_step;
  run_status status;
  int signal;             /* interrupted: the signal */
  bool eval_pending;      /* the evaluation of `step` is still to do */
  const char *bad_tensor; /* diverged: the first tensor not finite, or NULL */
  long bad_element;       /* and its first element that is not */
  host_checkpoint resume; /* the checkpoint continued (--resume), owned */
  rt_st_file init;        /* the weights started from (--init-from), owned */
  const char *init_from;  /* their path (the option, or the resumed state's) */
  const char *init_exp;   /* their run's experiment, or NULL */
  long init_step;         /* and step, or -1 */
} trainer;

static int io_error(const trainer *t, const rt_error *err) {
  fprintf(stderr, "%s: error: %s\n", t->o->prog, err->msg);
  return 1;
}

static bool stopping(const trainer *t) {
  return t->status == RUN_INTERRUPTED || t->status == RUN_DIVERGED;
}

static double schedule_at(const trainer *t, long s) {
  return rt_schedule_at(t->e->sched, t->e->nsched, s < t->plan ? s : t->plan, t->plan);
}

/* ---- metrics lines ------------------------------------------------------------ */

static int log_step(trainer *t, long s, double loss, const double *norms) {
  if (!t->writer)
    return 0;
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
  /* a float, as the program's values are: JSON's 9 digits and TensorBoard's
   * float32 then hold the same number (a double timing could round to two) */
  const float ms = (float)(1e3 * (t->train_s - t->log_train_s) / (double)(s - t->log_step));
  f[n++] = RT_NUM("ms_per_step", ms);
  t->log_train_s = t->train_s;
  t->log_step = s;
  t->logged_step = s;
  rt_error err;
  return rt_metrics_log(&t->metrics, f, n, &err) < 0 ? io_error(t, &err) : 0;
}

/* ---- divergence ---------------------------------------------------------------- */

/* The run stops at step s, whose loss (or a tensor) is not finite: the
 * step's metrics line, the message; the last good checkpoint is kept. */
static int diverge(trainer *t, long s, double loss) {
  if (t->show)
    rt_progress_end(&t->progress);
  t->status = RUN_DIVERGED;
  t->bad_tensor = host_state_nonfinite(t->m, &t->bad_element);
  if (!t->writer)
    return 0;
  const double no_norms[2] = {NAN, NAN};
  if (t->logged_step != s && log_step(t, s, loss, no_norms) != 0)
    return 1;
  const char *prog = t->o->prog;
  if (isfinite(loss))
    fprintf(stderr, "%s: error: training diverged at step %ld: a tensor is not finite\n", prog, s);
  else
    fprintf(stderr, "%s: error: training diverged at step %ld: the loss is %s\n", prog, s,
            isnan(loss) ? "nan" : "inf");
  if (t->bad_tensor) {
    const host_tensor *w = host_model_tensor(t->m, t->bad_tensor);
    long i = t->bad_element;
    double v = t->m->f64 ? ((const double *)w->data)[i] : ((const float *)w->data)[i];
    fprintf(stderr, "  first non-finite tensor: %s (element %ld is %s)\n", t->bad_tensor, i,
            isnan(v) ? "nan"
            : v > 0  ? "inf"
                     : "-inf");
  } else {
    fprintf(stderr, "  every weight and optimizer state is still finite\n");
  }
  if (t->saved_step >= 0)
    fprintf(stderr, "  the last good checkpoint (step %ld) is kept in %s/%s\n", t->saved_step,
            t->dir, HOST_WEIGHTS_FILE);
  fprintf(stderr, "  the metrics up to step %ld and summary.json are in %s\n", s, t->dir);
  fprintf(stderr, "  hint: lower the learning rate (e.g. --set optimizer.lr=...)\n");
  return 0;
}

/* Bytes of the optimizers' state: the tensors named "<weight>:<name>" (the
 * logged norms' estimator state belongs to atoms, not weights). */
static long long optimizer_state_bytes(const host_model *m) {
  long long n = 0;
  for (int i = 0; i < m->ntensors; i++) {
    const char *colon = m->tensors[i].is_param ? NULL : strrchr(m->tensors[i].name, ':');
    for (int j = 0; colon && j < m->ntensors; j++) {
      const char *w = m->tensors[j].name;
      if (m->tensors[j].is_param && strlen(w) == (size_t)(colon - m->tensors[i].name) &&
          strncmp(w, m->tensors[i].name, strlen(w)) == 0) {
        n += m->tensors[i].count;
        break;
      }
    }
  }
  return n * (m->f64 ? 8 : 4);
}

/* ---- checkpoints ----------------------------------------------------------------- */

/* The last min(RECENT, step) losses, oldest first, into out; their count. */
static long recent_losses(const trainer *t, double *out) {
  long k = t->step < RECENT ? t->step : RECENT;
  for (long i = 0; i < k; i++)
    out[i] = t->recent[(t->step - k + i) % RECENT];
  return k;
}

/* Metadata strings: pairs and the text they point to. */
typedef struct meta_list {
  rt_str_pair pair[MAX_META];
  char text[MAX_META][NUM_CHARS];
  size_t n;
} meta_list;

static void meta_str(meta_list *l, const char *key, const char *value) {
  l->pair[l->n++] = (rt_str_pair){key, value};
}

static void meta_long(meta_list *l, const char *key, long v) {
  snprintf(l->text[l->n], NUM_CHARS, "%ld", v);
  meta_str(l, key, l->text[l->n]);
}

static void meta_real(meta_list *l, const char *key, double v) {
  snprintf(l->text[l->n], NUM_CHARS, "%.9g", v);
  meta_str(l, key, l->text[l->n]);
}

/* What one example of the training data is and, for images, how pixels
 * become inputs. */
static void input_meta(const trainer *t, meta_list *l, char *shape, size_t cap) {
  const host_example *ex = &t->sets->set[0].ex;
  const host_source *src = host_source_find(ex->source);
  size_t n = (size_t)snprintf(shape, cap, "[");
  for (int d = 0; d < ex->x_rank && n < cap; d++)
    n += (size_t)snprintf(shape + n, cap - n, "%s%ld", d ? ", " : "", ex->x_dims[d]);
  if (n < cap)
    snprintf(shape + n, cap - n, "]");
  meta_str(l, HOST_META_INPUT "source", ex->source);
  meta_str(l, HOST_META_INPUT "shape", shape);
  meta_str(l, HOST_META_INPUT "dtype", ex->x_tokens ? "int32" : t->m->f64 ? "f64" : "f32");
  const host_norm *nm = &t->sets->norm;
  if (nm->channels) {
    meta_str(l, HOST_META_INPUT "normalize", "(x - norm_mean[c]) / norm_std[c]");
    meta_str(l, HOST_META_NORM_MEAN, nm->mean_text);
    meta_str(l, HOST_META_NORM_STD, nm->sd_text);
  }
  if (src && src->pixel_std > 0) {
    meta_str(l, HOST_META_INPUT "normalize", "(pixel / 255 - pixel_mean) / pixel_std");
    meta_real(l, HOST_META_INPUT "pixel_mean", src->pixel_mean);
    meta_real(l, HOST_META_INPUT "pixel_std", src->pixel_std);
  }
}

/* With several ranks, before rank 0 may write a checkpoint (every rank
 * calls it): the optimizer state of the weights other ranks own, copied
 * from them into rank 0's view of the model (t->whole_m) until
 * release_whole. */
static void collect_whole(trainer *t) {
  if (t->ranks == 1)
    return;
  free(t->held);
  t->held = host_dist_collect_owned(&t->states, t->m->f64, t->at);
  for (int i = 0; t->held && i < t->m->ntensors; i++)
    if (!t->whole[i].data)
      t->whole[i].data = t->at[i];
}

static void release_whole(trainer *t) {
  for (int i = 0; t->held && i < t->m->ntensors; i++)
    t->whole[i].data = t->m->tensors[i].data;
  free(t->held);
  t->held = NULL;
}

/* Writes the checkpoint of the current step, or stops the run as diverged
 * when the state is not finite (the good checkpoint stays). */
static int save_checkpoint(trainer *t) {
  if (!t->writer)
    return 0;
  assert(t->ranks == 1 || t->held);
  const host_model *m = t->ranks == 1 ? t->m : &t->whole_m;
  long elem;
  if (host_state_nonfinite(m, &elem))
    return diverge(t, t->step, t->step ? t->recent[(t->step - 1) % RECENT] : 0);
  const host_experiment *e = t->e;
  const char *dtype = t->m->f64 ? "f64" : "f32";
  meta_list w = {.n = 0}, s = {.n = 0};
  char shape[128];
  meta_str(&w, HOST_META_EXPERIMENT, e->name);
  meta_str(&w, HOST_META_SOURCE, e->source);
  if (e->nfiles)
    meta_str(&w, HOST_META_SOURCE_COPY, e->files[0].path);
  meta_long(&w, HOST_META_NSETS, e->noverrides);
  meta_str(&w, HOST_META_DTYPE, dtype);
  meta_long(&w, HOST_META_STEP, t->step);
  input_meta(t, &w, shape, sizeof shape);
  rt_str_pair *wmeta = calloc(w.n + (size_t)e->noverrides, sizeof *wmeta);
  char(*keys)[32] = calloc((size_t)e->noverrides + 1, sizeof *keys);
  if (!wmeta || !keys)
    abort();
  memcpy(wmeta, w.pair, w.n * sizeof *wmeta);
  for (int i = 0; i < e->noverrides; i++) {
    snprintf(keys[i], sizeof keys[i], HOST_META_SET "%d", i);
    wmeta[w.n + (size_t)i] = (rt_str_pair){keys[i], e->overrides[i]};
  }
  meta_str(&s, HOST_META_EXPERIMENT, e->name);
  meta_str(&s, HOST_META_DTYPE, dtype);
  meta_long(&s, HOST_META_STEP, t->step);
  meta_long(&s, HOST_META_EPOCH, t->step / t->bpe);
  meta_long(&s, HOST_META_TOTAL, t->total);
  meta_long(&s, HOST_META_PLAN, t->plan);
  meta_long(&s, HOST_META_LOG_EVERY, t->log_every);
  meta_long(&s, HOST_META_SEED, (long)e->seed);
  meta_str(&s, HOST_META_EVAL_PENDING, t->eval_pending ? "1" : "0");
  if (t->init_from) {
    meta_str(&s, HOST_META_INIT_FROM, t->init_from);
    meta_str(&s, HOST_META_INIT_EXPERIMENT, t->init_exp ? t->init_exp : "");
    meta_long(&s, HOST_META_INIT_STEP, t->init_step);
  }
  rt_field conv[HOST_CONV_FIELDS], *picks;
  char *conv_text = rt_fields_json(conv, host_conv_fields(conv, &picks));
  if (!conv_text)
    abort();
  meta_str(&s, HOST_META_CONV, conv_text);
  double recent[RECENT];
  host_extra extra = {HOST_RECENT_LOSSES, recent, recent_losses(t, recent)};
  rt_error err;
  int rc = host_checkpoint_save(t->dir, m, wmeta, w.n + (size_t)e->noverrides, &extra, 1, s.pair,
                                s.n, &err);
  free(conv_text);
  free(picks);
  free(wmeta);
  free(keys);
  if (rc < 0)
    return io_error(t, &err);
  t->saved_step = t->step;
  t->saved_s = rt_now_s();
  return 0;
}

/* Whether step s ends with a checkpoint of its own (--checkpoint-every,
 * --checkpoint-every-s, or the experiment's `checkpoint every`). */
static bool checkpoint_due(const trainer *t, long s) {
  if (t->saved_step == s)
    return false;
  return (t->ckpt_every > 0 && s % t->ckpt_every == 0) ||
         (t->ckpt_every_s > 0 && rt_now_s() - t->saved_s >= t->ckpt_every_s);
}

/* ---- the first state ------------------------------------------------------------- */

/* The weights of --init-from (a run directory or a weights file) over the
 * fresh ones: every weight of the model, by public name. */
static int init_from(trainer *t) {
  const char *from = t->o->init_from;
  char path[4200];
  struct stat st;
  if (stat(from, &st) == 0 && S_ISDIR(st.st_mode))
    host_rundir_file(path, sizeof path, from, HOST_WEIGHTS_FILE);
  else
    snprintf(path, sizeof path, "%s", from);
  rt_error err;
  int unused = 0;
  if (rt_safetensors_read(&t->init, path, &err) < 0 ||
      host_weights_load(&t->init, t->m, &unused, &err) < 0) {
    fprintf(stderr, "%s: error: cannot start from %s: %s\n", t->o->prog, path, err.msg);
    return 1;
  }
  if (unused > 0)
    fprintf(stderr, "%s: note: %d tensor%s of %s %s not weights of this model\n", t->o->prog,
            unused, unused == 1 ? "" : "s", path, unused == 1 ? "is" : "are");
  if (t->m->init_state)
    t->m->init_state(t->m->self);
  t->init_from = from;
  t->init_exp = rt_st_meta(&t->init, HOST_META_EXPERIMENT);
  t->init_step = host_meta_long(&t->init, HOST_META_STEP);
  return 0;
}

/* The counters and state of the checkpoint continued. */
static int restore(trainer *t) {
  const host_checkpoint *c = &t->resume;
  rt_error err;
  t->step = t->saved_step = c->step;
  if (host_weights_load(&c->weights, t->m, NULL, &err) < 0 ||
      host_state_load(&c->state, t->m, &err) < 0) {
    fprintf(stderr, "%s: error: cannot resume %s: %s\n", t->o->prog, t->dir, err.msg);
    return 1;
  }
  const rt_st_tensor *r = rt_st_find(&c->state, HOST_RECENT_LOSSES);
  long k = r && r->dtype == RT_F64 && r->ndim == 1 ? (long)r->shape[0] : -1;
  if (k != (t->step < RECENT ? t->step : RECENT)) {
    fprintf(stderr, "%s: error: cannot resume %s: missing or malformed %s\n", t->o->prog, t->dir,
            HOST_RECENT_LOSSES);
    return 1;
  }
  for (long i = 0; i < k; i++)
    t->recent[(t->step - k + i) % RECENT] = ((const double *)r->data)[i];
  const char *pending = rt_st_meta(&c->state, HOST_META_EVAL_PENDING);
  t->eval_pending = pending && strcmp(pending, "1") == 0;
  t->init_from = rt_st_meta(&c->state, HOST_META_INIT_FROM);
  t->init_exp = rt_st_meta(&c->state, HOST_META_INIT_EXPERIMENT);
  t->init_step = host_meta_long(&c->state, HOST_META_INIT_STEP);
  t->saved_s = rt_now_s();
  char from[4200];
  host_rundir_file(from, sizeof from, t->dir, HOST_STATE_FILE);
  if (!t->o->conv && host_conv_resume(&c->state, from, &err) < 0) {
    fprintf(stderr, "%s: error: cannot resume %s: %s\n", t->o->prog, t->dir, err.msg);
    fprintf(stderr, "  hint: --conv auto, im2col or onednn sets the convolutions' path afresh\n");
    return 1;
  }
  return 0;
}

/* Fresh weights from the seed (or --init-from) and the first checkpoint
 * with the program's files beside it, or the state continued. */
static int start_state(trainer *t) {
  if (t->o->resume_dir)
    return restore(t);
  t->saved_step = -1;
  t->m->init(t->m->self, t->e->seed);
  int rc = t->o->init_from ? init_from(t) : 0;
  rt_error err;
  if (rc == 0 && t->writer &&
      host_rundir_write_sources(t->dir, t->e->files, t->e->nfiles, &err) < 0)
    rc = io_error(t, &err);
  const host_norm *nm = &t->sets->norm;
  if (rc == 0 && nm->channels && host_norm_write(nm, t->dir, &t->sets->set[0].ex, &err) < 0)
    rc = io_error(t, &err);
  collect_whole(t);
  rc = rc ? rc : save_checkpoint(t);
  release_whole(t);
  return rc;
}

/* ---- steps ----------------------------------------------------------------------- */

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

/* An evaluation stopped by a signal: the checkpoint of the step records it
 * as still to do. */
static int interrupted_eval(trainer *t) {
  t->status = RUN_INTERRUPTED;
  t->signal = host_interrupt_signal();
  t->eval_pending = true;
  return save_checkpoint(t);
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
    int rc = host_eval_set(t->m, &t->sets->set[d], &t->eb, &loss, &acc, &err);
    if (rc == HOST_EVAL_INTERRUPTED)
      return interrupted_eval(t);
    if (rc < 0)
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
  if (nheads == HOST_EVAL_INTERRUPTED)
    return interrupted_eval(t);
  if (nheads < 0)
    return io_error(t, &err);
  for (int j = 0; j < nheads; j++)
    f[n++] = RT_NUM(heads[j].key, heads[j].increase);
  if (rt_metrics_log(&t->metrics, f, n, &err) < 0)
    return io_error(t, &err);
  if (t->show)
    rt_progress_message(&t->progress, line);
  t->eval_pending = false;
  return save_checkpoint(t);
}

/* With several ranks: every rank learns whether one of them stops after
 * this step (a signal any rank received, rank 0's evaluation interrupted,
 * its checkpoint finding the state not finite, or its error rc). Returns
 * this rank's exit code so far. */
static int agree(trainer *t, int rc) {
  if (t->ranks == 1)
    return rc;
  int f[3] = {t->status == RUN_INTERRUPTED ? t->signal : host_interrupt_signal(),
              t->status == RUN_DIVERGED, rc != 0};
  host_dist_max(f, 3);
  if (f[2])
    return rc ? rc : 1;
  if (f[1])
    t->status = RUN_DIVERGED;
  else if (f[0] && !stopping(t)) {
    t->status = RUN_INTERRUPTED;
    t->signal = f[0];
  }
  return rc;
}

/* The weights and the estimator state (all but the optimizer state,
 * which its owner alone keeps) are the same on every rank (--check-ranks):
 * a hash of them compared after every step. */
static int check_ranks(trainer *t, long s) {
  uint64_t h = HOST_FNV_START;
  size_t real = t->m->f64 ? sizeof(double) : sizeof(float);
  for (int i = 0; i < t->m->ntensors; i++)
    if (t->ranks == 1 || t->state_owner[i] < 0)
      h = host_fnv(h, t->m->tensors[i].data, (size_t)t->m->tensors[i].count * real);
  rt_error err;
  if (host_dist_agree("state", h, &err))
    return 0;
  if (t->writer)
    fprintf(stderr, "%s: error: --check-ranks: after step %ld, %s\n", t->o->prog, s, err.msg);
  return 1;
}

/* CPU seconds of this process, all its threads (the BLAS and oneDNN
 * threads of an update too): its work, whatever else the cores run. */
static double process_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The hook of grad_step: gradient i is final (host_dist_buckets_ready). */
static void grad_ready(void *arg, int i) {
  (void)arg;
  host_dist_buckets_ready(i);
}

/* The agreement hook of the convolutions' picks (rt_conv_agree_set):
 * rank 0's path. */
static rt_conv_path conv_agree(void *arg, rt_conv_path own) {
  (void)arg;
  return (rt_conv_path)host_dist_rank0((int)own);
}

/* One step on this rank's slice of a global batch (its indices idx): the
 * gradients (the convolutions on rank 0's picks), summed into their weights' owners and averaged (in buckets
 * of --bucket-kb started while the backward pass runs, or in one exchange
 * after it); the owners' optimizer steps; the new weights copied from the
 * owners to every rank; with norms, those of a logged step. Returns the
 * loss (the mean over the ranks). */
static double dist_step(trainer *t, const uint32_t *idx, long s, double *norms) {
  const host_model *m = t->m;
  const host_dataset *train = &t->sets->set[0];
  train->gather(train, idx + t->rank * m->batch, (uint32_t)m->batch, m->f64, t->x, t->y);
  long kb = t->o->bucket_kb >= 0 ? t->o->bucket_kb : HOST_BUCKET_KB;
  if (kb > 0)
    host_dist_buckets_begin(&t->grads, m->f64, 1024 * kb);
  double g0 = process_cpu_s();
  rt_conv_agree_set(conv_agree, NULL); /* every rank runs rank 0's picks */
  double loss = m->grad_step(m->self, t->x, t->y, kb > 0 ? grad_ready : NULL, NULL);
  rt_conv_agree_set(NULL, NULL);
  t->grad_cpu_s += process_cpu_s() - g0;
  if (kb > 0)
    host_dist_buckets_end(1.0 / t->ranks, &t->dist);
  else
    host_dist_reduce_owned(&t->grads, m->f64, 1.0 / t->ranks, &t->dist);
  host_dist_sum(&loss, 1, true);
  size_t real = m->f64 ? sizeof(double) : sizeof(float);
  for (int i = 0; norms && i < m->ngrads; i++)
    memcpy(m->before[i].data, m->tensors[i].data, (size_t)m->tensors[i].count * real);
  double t0 = rt_now_s(), c0 = process_cpu_s();
  m->apply_step(m->self, s, schedule_at(t, s));
  t->apply_s += rt_now_s() - t0;
  t->apply_cpu_s += process_cpu_s() - c0;
  host_dist_gather_owned(&t->weights, m->f64, &t->dist);
  if (norms)
    m->step_norms(m->self, norms);
  return loss / t->ranks;
}

/* Whether an evaluation is due after step s (every one at the last). */
static bool any_eval_due(const trainer *t, long s) {
  for (int i = 0; i < t->e->nevals; i++)
    if (s == t->total || eval_due(&t->e->evals[i], s, t->bpe))
      return true;
  return false;
}

/* With several ranks, before rank 0 may write a checkpoint after step s
 * (an evaluation, or `due`: its own periodic checkpoint): every rank
 * learns whether it will, and the owners' optimizer state is collected on
 * rank 0 (collect_whole). Returns whether the periodic checkpoint is due. */
static bool collect_state(trainer *t, long s, bool due) {
  if (t->ranks == 1)
    return due;
  int f = due;
  host_dist_max(&f, 1);
  if (f || any_eval_due(t, s))
    collect_whole(t);
  return f;
}

/* Whether tensor i of m is not finite, on any rank. */
static bool nonfinite_anywhere(trainer *t) {
  long elem;
  int bad = host_state_nonfinite(t->m, &elem) != NULL;
  host_dist_max(&bad, 1);
  return bad;
}

/* The tensors each rank owns: the weights (and their gradients) by the
 * model's owners; each state by the owner of its weight (the path before
 * its last ':'), estimator state by none. */
static int own_tensors(trainer *t) {
  const host_model *m = t->m;
  if (t->ranks == 1)
    return 0;
  t->state_owner = calloc((size_t)m->ntensors + 1, sizeof *t->state_owner);
  t->state_bytes = calloc((size_t)t->ranks, sizeof *t->state_bytes);
  t->whole = calloc((size_t)m->ntensors + 1, sizeof *t->whole);
  t->at = calloc((size_t)m->ntensors + 1, sizeof *t->at);
  if (!t->state_owner || !t->state_bytes || !t->whole || !t->at)
    return 1;
  size_t real = m->f64 ? sizeof(double) : sizeof(float);
  for (int i = 0; i < m->ntensors; i++) {
    const char *name = m->tensors[i].name, *colon = strrchr(name, ':');
    t->state_owner[i] = -1;
    for (int k = 0; colon && k < m->ngrads; k++)
      if (strlen(m->tensors[k].name) == (size_t)(colon - name) &&
          strncmp(m->tensors[k].name, name, (size_t)(colon - name)) == 0)
        t->state_owner[i] = m->owner[k];
    if (t->state_owner[i] >= 0 && m->tensors[i].data)
      t->state_bytes[t->rank] += (long long)((size_t)m->tensors[i].count * real);
  }
  memcpy(t->whole, m->tensors, (size_t)m->ntensors * sizeof *t->whole);
  t->whole_m = *m;
  t->whole_m.tensors = t->whole;
  t->grads = (host_owned){m->ngrads, m->grads, m->owner};
  t->weights = (host_owned){m->ngrads, m->tensors, m->owner};
  t->states = (host_owned){m->ntensors, m->tensors, t->state_owner};
  return 0;
}

static int train_steps(trainer *t) {
  if (stopping(t))
    return 0;
  if (t->eval_pending) { /* the evaluation an interrupted run left */
    collect_whole(t);
    int rc = t->writer ? evaluate(t, t->step, t->step == t->total) : 0;
    release_whole(t);
    rc = agree(t, rc);
    if (rc != 0 || stopping(t))
      return rc;
  }
  long stop = t->o->stop_after >= 0 && t->o->stop_after < t->total ? t->o->stop_after : t->total;
  const host_dataset *train = &t->sets->set[0];
  const host_model *m = t->m;
  for (long s = t->step + 1; s <= stop; s++) {
    int sig = t->ranks == 1 ? host_interrupt_signal() : 0; /* else agree() */
    if (sig) {
      t->status = RUN_INTERRUPTED;
      t->signal = sig;
      break;
    }
    double t0 = rt_now_s();
    long epoch = (s - 1) / t->bpe, b = (s - 1) % t->bpe;
    if (b == 0 || s == t->step + 1)
      rt_batcher_set_epoch(&t->bt, (uint64_t)epoch);
    const uint32_t *idx;
    uint32_t count = rt_batcher_indices(&t->bt, (uint32_t)b, &idx);
    bool logged = s % t->log_every == 0 || s == t->total;
    double norms[2], loss;
    if (t->ranks > 1) {
      loss = dist_step(t, idx, s, logged ? norms : NULL);
    } else {
      train->gather(train, idx, count, m->f64, t->x, t->y);
      loss = m->train_step(m->self, t->x, t->y, s, schedule_at(t, s), logged ? norms : NULL);
    }
    int rc = t->o->dump_batches && t->writer ? dump_batch(t, s) : 0;
    t->step = s;
    t->steps_run++;
    t->train_s += rt_now_s() - t0;
    t->recent[(s - 1) % RECENT] = loss;
    if (!isfinite(loss) || (logged && nonfinite_anywhere(t)))
      return diverge(t, s, loss);
    if (rc == 0 && logged)
      rc = log_step(t, s, loss, norms);
    bool due = collect_state(t, s, t->writer && checkpoint_due(t, s));
    if (rc == 0 && t->e->nevals && t->writer)
      rc = evaluate(t, s, s == t->total);
    if (rc == 0 && !stopping(t) && due && t->saved_step != s)
      rc = save_checkpoint(t);
    release_whole(t);
    rc = agree(t, rc);
    if (rc == 0 && t->o->check_ranks)
      rc = check_ranks(t, s);
    if (rc != 0 || stopping(t))
      return rc;
    if (t->show)
      rt_progress_update(&t->progress, s, loss, rt_now_s());
  }
  return 0;
}

/* ---- the run ---------------------------------------------------------------------- */

/* With several ranks: the model is compiled for them, and every rank runs
 * the same program (its files and --set arguments) on the same data with
 * the same build of the trainer. */
static int same_everywhere(trainer *t) {
  if (t->ranks == 1)
    return 0;
  const char *prog = t->o->prog;
  if (!t->m->grad_step) {
    if (t->writer)
      fprintf(stderr, "%s: error: this model was compiled for one process, not %d ranks\n", prog,
              t->ranks);
    host_dist_settle(true); /* every rank finds the same */
    return 1;
  }
  const host_experiment *e = t->e;
  uint64_t source = host_fnv(HOST_FNV_START, e->name, strlen(e->name));
  for (int i = 0; i < e->nfiles; i++)
    source = host_fnv(source, e->files[i].text, (size_t)e->files[i].len);
  for (int i = 0; i < e->noverrides; i++)
    source = host_fnv(source, e->overrides[i], strlen(e->overrides[i]) + 1);
  uint64_t data = HOST_FNV_START, build = HOST_FNV_START;
  long long bytes;
  rt_error err;
  int rc = 0;
  for (int i = 0; i < t->sets->n && rc == 0; i++)
    for (int k = 0; k < HOST_DATA_FILES && t->sets->set[i].files[k] && rc == 0; k++) {
      uint64_t h;
      rc = host_file_digest(t->sets->set[i].files[k], &bytes, &h, &err);
      data = host_fnv(data, &h, sizeof h);
    }
  if (rc == 0)
    rc = host_file_digest("/proc/self/exe", &bytes, &build, &err);
  if (rc < 0)
    fprintf(stderr, "%s: error: rank %d: %s\n", prog, t->rank, err.msg);
  int failed = rc < 0;
  host_dist_max(&failed, 1);
  host_dist_settle(failed != 0);
  if (failed)
    return 1;
  const char *what[3] = {"program (source files or --set)", "data", "build of duet"};
  uint64_t h[3] = {source, data, build};
  for (int i = 0; i < 3; i++)
    if (!host_dist_agree(what[i], h[i], &err)) {
      if (t->writer)
        fprintf(stderr, "%s: error: the ranks disagree: %s\n", prog, err.msg);
      host_dist_settle(true);
      return 1;
    }
  return 0;
}

/* The run directory (a new one, or the one resumed with its checkpoint). */
static int open_rundir(trainer *t) {
  const host_run_opts *o = t->o;
  rt_error err;
  if (o->resume_dir) {
    snprintf(t->dir, sizeof t->dir, "%s", o->resume_dir);
    if (host_checkpoint_read(&t->resume, t->dir, &err) < 0) {
      fprintf(stderr, "%s: error: cannot resume: %s\n", o->prog, err.msg);
      return 1;
    }
    const char *exp = rt_st_meta(&t->resume.weights, HOST_META_EXPERIMENT);
    if (!exp || strcmp(exp, t->e->name) != 0) {
      fprintf(stderr, "%s: error: cannot resume %s: it is a run of experiment %s, not of %s\n",
              o->prog, t->dir, exp ? exp : "(unknown)", t->e->name);
      return 1;
    }
  } else if (t->writer &&
             host_rundir_create(t->dir, sizeof t->dir, o->out_dir, t->e->name, &err) < 0) {
    return io_error(t, &err);
  }
  if (o->dump_batches && t->writer && host_mkdirs(o->dump_batches, &err) < 0)
    return io_error(t, &err);
  return 0;
}

/* A resumed run's length: as planned, or longer by --extend-steps; a
 * length given another way is an error that names the option. */
static int resumed_length(trainer *t) {
  const host_run_opts *o = t->o;
  const rt_st_file *st = &t->resume.state;
  long planned = host_meta_long(st, HOST_META_TOTAL), plan = host_meta_long(st, HOST_META_PLAN);
  if (planned < 0 || plan < 0) {
    fprintf(stderr, "%s: error: cannot resume: the checkpoint of %s has no planned length\n",
            o->prog, t->dir);
    return 1;
  }
  long asked = o->steps >= 0 ? o->steps : o->epochs > 0 ? o->epochs * t->bpe : planned;
  if (asked != planned) {
    fprintf(stderr,
            "%s: error: the run in %s is planned for %ld steps; --%s asks for %ld: "
            "--resume continues it as planned\n",
            o->prog, t->dir, planned, o->steps >= 0 ? "steps" : "epochs", asked);
    if (asked > planned)
      fprintf(stderr,
              "  hint: to train longer, add --extend-steps %ld (the extra steps run at the "
              "schedule's last value)\n",
              asked - planned);
    else
      fprintf(stderr, "  hint: to stop earlier, give --stop-after %ld\n", asked);
    return 1;
  }
  t->total = planned + o->extend_steps;
  t->plan = plan > 0 ? plan : t->total; /* a run of 0 steps has no schedule yet */
  if (t->resume.step > t->total) {
    fprintf(stderr, "%s: error: %s: the checkpoint's step (%ld) is past the run's %ld steps\n",
            o->prog, t->dir, t->resume.step, t->total);
    return 1;
  }
  long log = host_meta_long(st, HOST_META_LOG_EVERY);
  t->log_every = o->log_every > 0 ? o->log_every : log > 0 ? log : DEFAULT_LOG_EVERY;
  return 0;
}

/* The run's length and log period: options, then a resumed checkpoint's,
 * then the experiment's. */
static int plan_steps(trainer *t) {
  const host_run_opts *o = t->o;
  t->bpe = t->sets->set[0].n / t->batch;
  if (t->bpe < 1) {
    fprintf(stderr, "%s: error: the batch (%ld) is larger than the training set (%ld examples)\n",
            o->prog, t->batch, t->sets->set[0].n);
    return 1;
  }
  for (int i = 0; i < t->sets->n; i++) {
    snprintf(t->loss_key[i], sizeof t->loss_key[i], "%s_loss", t->sets->set[i].name);
    snprintf(t->acc_key[i], sizeof t->acc_key[i], "%s_accuracy", t->sets->set[i].name);
  }
  if (o->resume_dir)
    return resumed_length(t);
  t->total = o->steps >= 0   ? o->steps
             : o->epochs > 0 ? o->epochs * t->bpe
             : t->e->steps   ? t->e->steps
                             : t->e->epochs * t->bpe;
  t->plan = t->total;
  t->log_every = o->log_every > 0 ? o->log_every : DEFAULT_LOG_EVERY;
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
  if (t->writer && t->o->resume_dir && host_metrics_trim(path, t->step, &err) < 0)
    return io_error(t, &err);
  if (t->writer && (rt_metrics_open(&t->metrics, path, t->o->resume_dir != NULL, &err) < 0 ||
                    rt_metrics_formats(&t->metrics, t->o->log_formats, &err) < 0))
    return io_error(t, &err);
  if (rt_batcher_init(&t->bt, (uint32_t)train->n, (uint32_t)t->batch, 1,
                      t->e->seed ^ RT_BATCH_SEED_MIX, &err) < 0)
    return io_error(t, &err);
  t->log_step = t->logged_step = t->step;
  if (t->show)
    rt_progress_init(&t->progress, stderr, RT_PROGRESS_AUTO, t->step, t->total, t->bpe, rt_now_s());
  return 0;
}

/* summary.json with the run's status and provenance. */
static int write_summary(trainer *t, host_run_result *res, rt_error *err) {
  double recent[RECENT], sum = 0;
  long k = recent_losses(t, recent);
  for (long i = 0; i < k; i++)
    sum += recent[i];
  res->summary = (host_summary){
      .experiment = t->e->name,
      .source = t->e->source,
      .source_copy = t->e->nfiles ? t->e->files[0].path : "",
      .status = status_names[t->status],
      .status_step = t->step,
      .signal = t->signal ? host_interrupt_name(t->signal) : NULL,
      .bad_tensor = t->bad_tensor,
      .bad_element = t->bad_element,
      .dtype = t->m->f64 ? "f64" : "f32",
      .seed = (long long)t->e->seed,
      .batch = t->batch,
      .params = t->e->params,
      .optimizer_state_bytes = optimizer_state_bytes(t->m),
      .steps = t->step,
      .total_steps = t->total,
      .epochs = (double)t->step / (double)t->bpe,
      .train_loss = k ? sum / (double)k : NAN,
      .train_loss_steps = k,
      .ms_per_step = t->steps_run ? 1e3 * t->train_s / (double)t->steps_run : 0,
      .wall_s = rt_now_s() - t->t_start,
      .compile_s = t->m->compile_s,
  };
  rt_gemm_backend_describe(res->summary.gemm, sizeof res->summary.gemm);
  host_run_facts facts = {.batch = t->batch,
                          .total_steps = t->total,
                          .plan_steps = t->plan,
                          .log_every = t->log_every,
                          .checkpoint_every = t->ckpt_every,
                          .checkpoint_every_s = t->ckpt_every_s,
                          .init_from = t->init_from,
                          .init_experiment = t->init_exp,
                          .init_step = t->init_step,
                          .ranks = t->ranks,
                          .model = t->m};
  if (t->steps_run > 0) {
    facts.exchange_bytes = t->dist.bytes / (double)t->steps_run;
    facts.exchange_ms = 1e3 * t->dist.seconds / (double)t->steps_run;
    facts.window = t->dist.window / (double)t->steps_run;
    facts.apply_ms = 1e3 * t->apply_s / (double)t->steps_run;
    facts.apply_cpu_ms = 1e3 * t->apply_cpu_s / (double)t->steps_run;
    facts.grad_cpu_ms = 1e3 * t->grad_cpu_s / (double)t->steps_run;
    facts.busiest_cpu_ms = t->busiest_ms;
  }
  facts.state_bytes = t->state_bytes;
  host_provenance p;
  int rc = host_provenance_build(&p, t->e, t->sets, t->o, &facts, err);
  char path[4200];
  host_rundir_file(path, sizeof path, t->dir, "summary.json");
  if (rc == 0)
    rc = host_summary_write(path, &res->summary, &res->history, p.fields, p.n, err);
  host_provenance_free(&p);
  return rc;
}

/* The lines printed after the results: how the run ended and how to go on. */
static void print_end(const trainer *t) {
  const host_run_opts *o = t->o;
  if (t->status == RUN_STOPPED)
    printf("  stopped after step %ld of %ld; continue with: %s --resume %s\n", t->step, t->total,
           o->resume_cmd, t->dir);
  fflush(stdout);
  if (t->status == RUN_INTERRUPTED)
    fprintf(stderr,
            "%s: interrupted by %s after step %ld of %ld; the run is saved in %s\n"
            "  checkpoint of step %ld: %s/%s\n"
            "  continue with: %s --resume %s\n",
            o->prog, host_interrupt_name(t->signal), t->step, t->total, t->dir, t->saved_step,
            t->dir, HOST_WEIGHTS_FILE, o->resume_cmd, t->dir);
}

/* Every end of a run: the last checkpoint, metrics closed, summary.json,
 * the plots and the closing lines. Returns the exit code. */
static int finish(trainer *t, host_run_result *res) {
  if (t->show)
    rt_progress_end(&t->progress);
  if (t->status == RUN_GOING)
    t->status = t->step < t->total ? RUN_STOPPED : RUN_COMPLETED;
  if (t->ranks > 1) { /* the busiest rank's updates and every rank's state, for summary.json */
    int us = t->steps_run ? (int)(1e6 * t->apply_cpu_s / (double)t->steps_run) : 0;
    host_dist_max(&us, 1);
    t->busiest_ms = 1e-3 * us;
    double *bytes = calloc((size_t)t->ranks, sizeof *bytes);
    if (!bytes)
      abort();
    bytes[t->rank] = (double)t->state_bytes[t->rank];
    host_dist_sum(bytes, t->ranks, true);
    for (int k = 0; k < t->ranks; k++)
      t->state_bytes[k] = (long long)bytes[k];
    free(bytes);
  }
  if (t->ranks > 1 && t->status != RUN_DIVERGED)
    collect_whole(t); /* for the last checkpoint */
  if (!t->writer) {
    *res = (host_run_result){0};
    return t->status == RUN_INTERRUPTED ? host_interrupt_exit_code(t->signal)
           : t->status == RUN_DIVERGED  ? 1
                                        : 0;
  }
  if (t->status != RUN_DIVERGED && t->saved_step != t->step && save_checkpoint(t) != 0)
    return 1;
  rt_error err;
  if (rt_metrics_close(&t->metrics, &err) < 0)
    return io_error(t, &err);
  *res = (host_run_result){0};
  snprintf(res->dir, sizeof res->dir, "%s", t->dir);
  char path[4200];
  host_rundir_file(path, sizeof path, t->dir, "metrics.jsonl");
  int rc = host_history_read(&res->history, path, &err) < 0 ? io_error(t, &err) : 0;
  if (rc == 0 && write_summary(t, res, &err) < 0)
    rc = io_error(t, &err);
  host_rundir_file(path, sizeof path, t->dir, "loss.svg");
  if (rc == 0 && host_plot_losses(path, t->e->name, &res->history, &err) < 0)
    rc = io_error(t, &err);
  const host_history *runs[1] = {&res->history};
  host_rundir_file(path, sizeof path, t->dir, "singular_values.svg");
  if (rc == 0 && host_plot_spectra(path, runs, NULL, 1, &err) < 0)
    rc = io_error(t, &err);
  host_rundir_file(path, sizeof path, t->dir, "heads.svg");
  if (rc == 0 && host_plot_heads(path, runs, NULL, 1, &err) < 0)
    rc = io_error(t, &err);
  if (rc == 0) {
    host_print_result(&res->summary, &res->history, t->dir);
    print_end(t);
  }
  if (rc == 0 && t->status == RUN_INTERRUPTED)
    rc = host_interrupt_exit_code(t->signal);
  if (rc == 0 && t->status == RUN_DIVERGED)
    rc = 1;
  if (rc != 0)
    host_history_free(&res->history);
  return rc;
}

int host_train(const host_experiment *e, const host_sets *sets, const host_model *m,
               const host_run_opts *o, host_run_result *res) {
  int sig = host_interrupt_signal();
  if (sig) /* a signal before the run began (while compiling a later variant) */
    return host_interrupt_exit_code(sig);
  host_interrupt_install();
  trainer *t = calloc(1, sizeof *t);
  if (!t)
    return 2;
  *t = (trainer){.e = e,
                 .sets = sets,
                 .m = m,
                 .o = o,
                 .rank = host_dist_rank(),
                 .ranks = host_dist_size(),
                 .writer = host_dist_rank() == 0,
                 .t_start = rt_now_s(),
                 .show = !o->quiet && host_dist_rank() == 0,
                 .ckpt_every = o->checkpoint_every >= 0   ? o->checkpoint_every
                               : e->checkpoint_every >= 0 ? e->checkpoint_every
                                                          : 0,
                 .ckpt_every_s = o->checkpoint_every_s >= 0   ? o->checkpoint_every_s
                                 : e->checkpoint_every_s >= 0 ? e->checkpoint_every_s
                                                              : HOST_CHECKPOINT_EVERY_S,
                 .init_step = -1};
  t->batch = m->batch * t->ranks;
  host_dist_settle(false);
  int rc = same_everywhere(t);
  if (rc == 0)
    rc = own_tensors(t);
  if (rc == 0)
    rc = open_rundir(t);
  bool started = false;
  if (rc == 0)
    rc = plan_steps(t);
  if (rc == 0)
    rc = start_state(t);
  if (rc == 0)
    rc = open_logs(t);
  if (rc == 0) {
    started = true;
    rc = train_steps(t);
  }
  if (started && (rc == 0 || stopping(t)))
    rc = finish(t, res);
  if (started && t->ranks > 1) { /* every rank waits until rank 0 has written */
    int done = rc;
    host_dist_max(&done, 1);
    host_dist_settle(true);
  }
  if (rc != 0 && !started && t->dir[0] && !o->resume_dir)
    rmdir(t->dir); /* only removes a run directory left empty */
  rt_error err;
  if (t->metrics.f)
    rt_metrics_close(&t->metrics, &err);
  rt_batcher_free(&t->bt);
  host_eval_buffers_free(&t->eb);
  host_checkpoint_free(&t->resume);
  rt_st_file_free(&t->init);
  free(t->x);
  free(t->y);
  free(t->state_owner);
  free(t->state_bytes);
  free(t->whole);
  free(t->held);
  free(t->at);
  free(t);
  return rc;
}
