/*
 * train.c - trains the model as its experiment says, step for step as
 * `duet run` does: the same initial weights (seed), the same shuffled
 * batches, the same schedule, logged steps and evaluations; writes
 * metrics.jsonl and model.safetensors (at the start, at every evaluation
 * and at the end) into the output directory.
 *
 *   train [--steps N | --epochs N] [--log-every N] [--out DIR]
 *         [--data-dir DIR] [--threads N] [--quiet]
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "rt_io.h"

enum { DEFAULT_LOG_EVERY = 10, MAX_SETS = 8 };

typedef struct options {
  long steps, epochs, log_every, threads;
  const char *out, *data_dir;
  int quiet;
} options;

/* One loaded data set; examples are images or windows of a text. */
typedef struct data_set {
  const model_data_set *decl;
  long n;
  rt_image_dataset images; /* owned: image sources */
  rt_text text;            /* owned: text sources */
  rt_split split;
} data_set;

typedef struct trainer {
  options o;
  const model_experiment *e;
  model *m;
  int nsets;
  data_set sets[MAX_SETS]; /* [0]: the training set */
  long bpe, total, step, saved_step;
  rt_batcher bt;
  rt_metrics metrics;
  model_x *x; /* one batch (MODEL_BATCH or MODEL_EVAL_BATCH examples) */
  model_y *y;
  char dir[4096], ckpt[4200];
  double train_s, log_train_s;
  long log_step;
} trainer;

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

/* ---- data ------------------------------------------------------------------ */

static int load_set(data_set *d, const model_data_set *decl, const trainer *t, rt_error *err) {
  *d = (data_set){.decl = decl};
  if (!strcmp(decl->source, "fashion_mnist")) {
    if (rt_fashion_mnist_load(&d->images, t->o.data_dir, !strcmp(decl->split, "train"), err))
      return -1;
    if ((long)d->images.channels * d->images.rows * d->images.cols != MODEL_X_NUMEL) {
      rt_error_set(err, "%s: images of %d x %d do not fit the model", decl->name, d->images.rows,
                   d->images.cols);
      return -1;
    }
    d->n = d->images.n;
    return 0;
  }
  if (!strcmp(decl->source, "kjv")) {
    char path[4096];
    if (rt_data_path(path, sizeof path, "kjv.txt", err) ||
        rt_text_load(&d->text, path, t->e->text_val_fraction, err))
      return -1;
    d->split = strcmp(decl->split, "train") ? RT_SPLIT_VAL : RT_SPLIT_TRAIN;
    d->n = (long)rt_text_window_count(&d->text, d->split, (int)decl->context);
    if (d->n < 1) {
      rt_error_set(err, "%s: shorter than one window", path);
      return -1;
    }
    return 0;
  }
  rt_error_set(err, "data source %s is not supported", decl->source);
  return -1;
}

static void free_set(data_set *d) {
  rt_image_dataset_free(&d->images);
  rt_text_free(&d->text);
}

/* Examples idx[0 .. count) of d into x and y. */
static void gather(const data_set *d, const uint32_t *idx, uint32_t count, model_x *x, model_y *y) {
  if (d->images.images) {
    for (uint32_t i = 0; i < count; i++) {
      const float *src = d->images.images + (size_t)idx[i] * MODEL_X_NUMEL;
      for (long j = 0; j < MODEL_X_NUMEL; j++)
        x[(size_t)i * MODEL_X_NUMEL + j] = (model_x)src[j];
      y[i] = (model_y)d->images.labels[idx[i]];
    }
    return;
  }
  const int ctx = (int)d->decl->context;
  for (uint32_t i = 0; i < count; i++)
    rt_text_windows(&d->text, d->split, 1, ctx, idx[i], (int32_t *)(void *)(x + i * ctx),
                    (int32_t *)(void *)(y + i * ctx));
}

static int set_index(const trainer *t, const char *name) {
  for (int i = 0; i < t->nsets; i++)
    if (!strcmp(t->sets[i].decl->name, name))
      return i;
  return -1;
}

static const model_data_set *binding(const model_experiment *e, const char *name) {
  for (int i = 0; i < e->ndata; i++)
    if (!strcmp(e->data[i].name, name))
      return &e->data[i];
  return NULL;
}

/* The training set and every set an evaluation reads, in order. */
static int load_data(trainer *t) {
  const model_experiment *e = t->e;
  const char *names[MAX_SETS] = {"train"};
  int n = 1;
  for (int i = 0; i < e->nevals; i++)
    for (int j = 0; j < e->evals[i].nmetrics; j++) {
      int have = 0;
      for (int k = 0; k < n; k++)
        have |= !strcmp(names[k], e->evals[i].data[j]);
      if (!have && n < MAX_SETS)
        names[n++] = e->evals[i].data[j];
    }
  for (int i = 0; i < n; i++) {
    const model_data_set *decl = binding(e, names[i]);
    rt_error err;
    if (!decl)
      return fail("the experiment has no data set %s", names[i]);
    if (load_set(&t->sets[t->nsets], decl, t, &err))
      return fail("%s", err.msg);
    t->nsets++;
  }
  return 0;
}

/* ---- checkpoints and logs ---------------------------------------------------- */

static int save(trainer *t) {
  char step[32], epoch[32], total[32], log_every[32], seed[32], err[600];
  snprintf(step, sizeof step, "%ld", t->step);
  snprintf(epoch, sizeof epoch, "%ld", t->step / t->bpe);
  snprintf(total, sizeof total, "%ld", t->total);
  snprintf(log_every, sizeof log_every, "%ld", t->o.log_every);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->e->seed);
  const model_meta meta[] = {
      {"duet.experiment", t->e->name},
      {"duet.step", step},
      {"duet.epoch", epoch},
      {"duet.total_steps", total},
      {"duet.log_every", log_every},
      {"duet.seed", seed},
      {"duet.dtype", sizeof(model_real) == 8 ? "f64" : "f32"},
  };
  if (model_save(t->m, t->ckpt, meta, sizeof meta / sizeof meta[0], err, sizeof err))
    return fail("%s", err);
  t->saved_step = t->step;
  return 0;
}

static int log_fields(trainer *t, const rt_field *f, size_t n) {
  rt_error err;
  return rt_metrics_log(&t->metrics, f, n, &err) ? fail("%s", err.msg) : 0;
}

static int log_step(trainer *t, long s, double loss, double sched, const model_step_norms *nm) {
  rt_field f[8];
  size_t n = 0;
  f[n++] = RT_INT("step", s);
  f[n++] = RT_INT("epoch", (s - 1) / t->bpe + 1);
  f[n++] = RT_NUM("loss", loss);
  if (!isnan(t->e->lr))
    f[n++] = RT_NUM("lr", t->e->lr * sched);
  f[n++] = RT_NUM("schedule", sched);
  if (!isnan(nm->weights) && !isnan(nm->update)) {
    f[n++] = RT_NUM("norm_weights", nm->weights);
    f[n++] = RT_NUM("norm_update", nm->update);
  }
  f[n++] = RT_NUM("ms_per_step", 1e3 * (t->train_s - t->log_train_s) / (double)(s - t->log_step));
  t->log_train_s = t->train_s;
  t->log_step = s;
  return log_fields(t, f, n);
}

/* ---- evaluation -------------------------------------------------------------- */

/* Mean loss and accuracy (NaN without class counts) over a whole set. */
static int eval_set(trainer *t, const data_set *d, double *loss, double *accuracy) {
  uint32_t idx[MODEL_EVAL_BATCH];
  double sum_loss = 0, sum_correct = 0;
  for (long first = 0; first < d->n; first += MODEL_EVAL_BATCH) {
    long count = d->n - first < MODEL_EVAL_BATCH ? d->n - first : MODEL_EVAL_BATCH;
    for (long i = 0; i < count; i++)
      idx[i] = (uint32_t)(first + i);
    gather(d, idx, (uint32_t)count, t->x, t->y);
    double l, c;
    if (model_eval_batch(t->m, t->x, t->y, count, &l, &c))
      return fail("the program cannot evaluate a batch of %ld examples of %s (emit it "
                  "again with this data)",
                  count, d->decl->name);
    sum_loss += l * (double)count;
    sum_correct += c;
  }
  *loss = sum_loss / (double)d->n;
  *accuracy = sum_correct / (double)d->n;
  return 0;
}

static int eval_due(const model_eval *ev, long s, long bpe) {
  if (!ev->per_epoch)
    return s % ev->every == 0;
  return s % bpe == 0 && (s / bpe) % ev->every == 0;
}

/* The metrics due at step s (all when `all`), logged, then a checkpoint. */
static int evaluate(trainer *t, long s, int all) {
  int want_loss[MAX_SETS] = {0}, want_acc[MAX_SETS] = {0}, any = 0;
  for (int i = 0; i < t->e->nevals; i++) {
    const model_eval *ev = &t->e->evals[i];
    if (!all && !eval_due(ev, s, t->bpe))
      continue;
    for (int j = 0; j < ev->nmetrics; j++) {
      int d = set_index(t, ev->data[j]), acc = !strcmp(ev->metrics[j], "accuracy");
      want_acc[d] |= acc;
      want_loss[d] |= !acc;
      any = 1;
    }
  }
  if (!any)
    return 0;
  rt_field f[2 + 2 * MAX_SETS];
  char keys[MAX_SETS][2][80], line[512];
  size_t n = 0, len;
  f[n++] = RT_INT("step", s);
  f[n++] = RT_INT("epoch", (s - 1) / t->bpe + 1);
  len = (size_t)snprintf(line, sizeof line, "step %ld (epoch %ld):", s, (s - 1) / t->bpe + 1);
  for (int d = 0; d < t->nsets; d++) {
    if (!want_loss[d] && !want_acc[d])
      continue;
    double loss = 0, acc = 0;
    if (eval_set(t, &t->sets[d], &loss, &acc))
      return 1;
    snprintf(keys[d][0], sizeof keys[d][0], "%s_loss", t->sets[d].decl->name);
    snprintf(keys[d][1], sizeof keys[d][1], "%s_accuracy", t->sets[d].decl->name);
    for (int k = 0; k < 2; k++) {
      double v = k ? acc : loss;
      if (!(k ? want_acc[d] && !isnan(acc) : want_loss[d]))
        continue;
      f[n++] = RT_NUM(keys[d][k], v);
      if (len < sizeof line)
        len += (size_t)snprintf(line + len, sizeof line - len, " %s %.4f", keys[d][k], v);
    }
  }
  if (log_fields(t, f, n))
    return 1;
  if (!t->o.quiet)
    puts(line);
  return save(t);
}

/* ---- the run ------------------------------------------------------------------- */

static int diverged(const trainer *t, long s, double loss) {
  long elem;
  const char *bad = model_first_nonfinite(t->m, &elem);
  fprintf(stderr, "train: error: training diverged at step %ld: ", s);
  if (!isfinite(loss))
    fprintf(stderr, "the loss is %s\n", isnan(loss) ? "nan" : "inf");
  else
    fprintf(stderr, "tensor %s is not finite (element %ld)\n", bad, elem);
  if (t->saved_step >= 0)
    fprintf(stderr, "  the last good checkpoint (step %ld) is kept in %s\n", t->saved_step,
            t->ckpt);
  return 1;
}

static int train_steps(trainer *t) {
  const model_experiment *e = t->e;
  for (long s = 1; s <= t->total; s++) {
    double t0 = rt_now_s();
    long epoch = (s - 1) / t->bpe, b = (s - 1) % t->bpe;
    if (b == 0 || s == 1)
      rt_batcher_set_epoch(&t->bt, (uint64_t)epoch);
    const uint32_t *idx;
    uint32_t count = rt_batcher_indices(&t->bt, (uint32_t)b, &idx);
    gather(&t->sets[0], idx, count, t->x, t->y);
    double sched = rt_schedule_at(e->sched_names, e->sched_args, e->nsched, s, t->total);
    int logged = s % t->o.log_every == 0 || s == t->total;
    model_step_norms norms;
    double loss = model_train_step(t->m, t->x, t->y, s, sched, logged ? &norms : NULL);
    t->step = s;
    t->train_s += rt_now_s() - t0;
    long elem;
    if (!isfinite(loss) || (logged && model_first_nonfinite(t->m, &elem)))
      return diverged(t, s, loss);
    if (logged && log_step(t, s, loss, sched, &norms))
      return 1;
    if (e->nevals && evaluate(t, s, s == t->total))
      return 1;
  }
  return t->saved_step == t->step ? 0 : save(t);
}

static int count_arg(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 0)
    return -1;
  *out = v;
  return 0;
}

static int parse(options *o, int argc, char **argv) {
  *o = (options){.steps = -1, .epochs = -1, .out = "run"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    long *num = !strcmp(a, "--steps")       ? &o->steps
                : !strcmp(a, "--epochs")    ? &o->epochs
                : !strcmp(a, "--log-every") ? &o->log_every
                : !strcmp(a, "--threads")   ? &o->threads
                                            : NULL;
    const char **str = !strcmp(a, "--out")        ? &o->out
                       : !strcmp(a, "--data-dir") ? &o->data_dir
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
      return fail("unknown argument '%s'\nusage: train [--steps N | --epochs N] "
                  "[--log-every N] [--out DIR] [--data-dir DIR] [--threads N] [--quiet]",
                  a);
  }
  if (o->epochs == 0)
    return fail("--epochs must be at least 1");
  if (o->log_every <= 0)
    o->log_every = DEFAULT_LOG_EVERY;
  return 0;
}

/* The run's length and the output directory, metrics, batches. */
static int start(trainer *t) {
  const model_experiment *e = t->e;
  t->bpe = t->sets[0].n / MODEL_BATCH;
  if (t->bpe < 1)
    return fail("the batch (%d) is larger than the training set", MODEL_BATCH);
  t->total = t->o.steps >= 0   ? t->o.steps
             : t->o.epochs > 0 ? t->o.epochs * t->bpe
             : e->steps        ? e->steps
                               : e->epochs * t->bpe;
  if (mkdir(t->o.out, 0777) && errno != EEXIST)
    return fail("cannot create %s: %s", t->o.out, strerror(errno));
  snprintf(t->dir, sizeof t->dir, "%s", t->o.out);
  snprintf(t->ckpt, sizeof t->ckpt, "%s/model.safetensors", t->dir);
  char path[4200];
  snprintf(path, sizeof path, "%s/metrics.jsonl", t->dir);
  rt_error err;
  if (rt_metrics_open(&t->metrics, path, 0, &err) ||
      rt_batcher_init(&t->bt, (uint32_t)t->sets[0].n, MODEL_BATCH, 1, e->seed ^ RT_BATCH_SEED_MIX,
                      &err))
    return fail("%s", err.msg);
  long rows = MODEL_BATCH > MODEL_EVAL_BATCH ? MODEL_BATCH : MODEL_EVAL_BATCH;
  t->x = malloc(sizeof *t->x * (size_t)(rows * MODEL_X_NUMEL));
  t->y = malloc(sizeof *t->y * (size_t)(rows * MODEL_Y_NUMEL));
  t->m = model_create();
  if (!t->x || !t->y || !t->m)
    return fail("out of memory");
  model_init(t->m, e->seed);
  t->saved_step = -1;
  return save(t);
}

int main(int argc, char **argv) {
  trainer *t = calloc(1, sizeof *t);
  if (!t)
    return 2;
  t->e = &model_experiment_info;
  int rc = parse(&t->o, argc, argv);
  if (rc == 0 && t->o.threads > 0)
    model_set_threads((int)t->o.threads);
  if (rc == 0)
    rc = load_data(t);
  if (rc == 0)
    rc = start(t);
  double t0 = rt_now_s();
  if (rc == 0)
    rc = train_steps(t);
  if (rc == 0 && !t->o.quiet)
    printf("%s: %ld steps in %.1f s (%.2f ms/step); checkpoint %s\n", t->e->name, t->step,
           rt_now_s() - t0, t->step ? 1e3 * t->train_s / (double)t->step : 0.0, t->ckpt);
  rt_error err;
  if (t->metrics.f && rt_metrics_close(&t->metrics, &err) && rc == 0)
    rc = fail("%s", err.msg);
  rt_batcher_free(&t->bt);
  for (int i = 0; i < t->nsets; i++)
    free_set(&t->sets[i]);
  model_free(t->m);
  free(t->x);
  free(t->y);
  free(t);
  return rc;
}
