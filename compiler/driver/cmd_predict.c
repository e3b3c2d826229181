/* cmd_predict.c: `duet predict FILE [EXPERIMENT] [--set key=value]... --weights FILE
 * [--threads N] [--repeat K] [--predictions OUT] (--idx IMAGES [LABELS] | --text FILE)`:
 * the JIT's predictions for the examples of a file, printed as the predict
 * program of `duet emit-c` prints them (docs/deploy.md). The examples go in
 * batches of the evaluation size (the last one of the remainder's size)
 * through the evaluation entries run up to their class scores
 * (core_compile_predict); with labels, the whole entries give the mean loss
 * as `duet run` evaluates a data set. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "rt_io.h"
#include "rt_kernels.h"

enum { MAX_OUTPUTS = 8 };

typedef struct predict_opts {
  const char *weights, *kind, *examples, *labels, *predictions;
  long threads, repeat;
} predict_opts;

/* The examples of the file and their labels. */
typedef struct examples {
  long n, x_numel, y_numel;
  size_t x_size; /* bytes of one value of x: float or int32 */
  void *x;       /* [n * x_numel], malloc-owned */
  int32_t *y;    /* [n * y_numel] or NULL, malloc-owned */
} examples;

/* An evaluation entry of one batch size. */
typedef struct batch_entry {
  long batch;
  int whole, scores; /* core entries: the evaluation, and up to its scores */
  int x, y;          /* its inputs */
  int out_loss, out_correct;
  kp_scores at; /* where the scores are */
} batch_entry;

typedef struct predictor {
  predict_opts o;
  drv_source s;       /* owned (drv_source_free) */
  sema_experiment *e; /* in s's arena */
  elab_data_info info;
  examples ex;
  int nentries;
  batch_entry entries[2]; /* [0]: eval_step; [1]: the remainder's */
  core_exe *exe;          /* owned */
  void *arena;            /* owned (free) */
  int32_t *zeros;         /* labels of a batch when the file has none, owned */
  int32_t *pred;          /* [n * y_numel], owned */
  void **inputs;          /* per input of the program, owned (the pointers are not) */
  double *scalars;        /* zeros: evaluations read no scalar, owned */
} predictor;

static int predict_option(void *ctx, int i, int argc, char **argv) {
  predict_opts *o = ctx;
  const char *a = argv[i];
  bool source = strcmp(a, "--idx") == 0 || strcmp(a, "--text") == 0;
  bool number = strcmp(a, "--threads") == 0 || strcmp(a, "--repeat") == 0;
  bool path = strcmp(a, "--weights") == 0 || strcmp(a, "--predictions") == 0;
  if (!source && !number && !path)
    return 0;
  if (i + 1 == argc) {
    drv_usage_error("predict", "%s needs a value", a);
    return -1;
  }
  if (path) {
    *(a[2] == 'w' ? &o->weights : &o->predictions) = argv[i + 1];
    return 2;
  }
  if (number) {
    long *v = a[2] == 't' ? &o->threads : &o->repeat;
    char *end;
    *v = strtol(argv[i + 1], &end, 10);
    if (*end || *v < 1) {
      drv_usage_error("predict", "%s needs a positive integer, got '%s'", a, argv[i + 1]);
      return -1;
    }
    return 2;
  }
  o->kind = a;
  o->examples = argv[i + 1];
  if (a[2] == 'i' && i + 2 < argc && argv[i + 2][0] != '-') {
    o->labels = argv[i + 2];
    return 3;
  }
  return 2;
}

/* ---- examples ------------------------------------------------------------------ */

static int load_idx(predictor *m) {
  const sema_data *train = &m->e->data[0];
  if (m->info.x_tokens || strcmp(train->source, "fashion_mnist") != 0)
    return drv_error("--idx reads Fashion-MNIST images, but %s trains on %s", m->e->name,
                     train->source);
  examples *ex = &m->ex;
  rt_idx im, lb;
  rt_error err;
  if (rt_idx_read(&im, m->o.examples, &err) < 0)
    return drv_error("%s", err.msg);
  long numel = 1;
  for (int d = 1; d < im.ndim; d++)
    numel *= (long)im.dims[d];
  int rc = 0;
  if (im.ndim < 2 || numel != ex->x_numel)
    rc = drv_error("%s: examples of %ld values; the model reads %ld", m->o.examples, numel,
                   ex->x_numel);
  else if (!(ex->x = malloc(sizeof(float) * im.count + 1)))
    rc = drv_error("out of memory");
  if (rc == 0) {
    ex->n = (long)im.dims[0];
    float table[256], *x = ex->x;
    rt_pixel_table(RT_FASHION_MNIST_MEAN, RT_FASHION_MNIST_STD, table);
    for (size_t i = 0; i < im.count; i++)
      x[i] = table[im.data[i]];
  }
  rt_idx_free(&im);
  if (rc || !m->o.labels)
    return rc;
  if (rt_idx_read(&lb, m->o.labels, &err) < 0)
    return drv_error("%s", err.msg);
  if ((long)lb.count != ex->n * ex->y_numel)
    rc = drv_error("%s has %zu labels for %ld examples", m->o.labels, lb.count, ex->n);
  else if (!(ex->y = malloc(sizeof *ex->y * lb.count + 1)))
    rc = drv_error("out of memory");
  for (size_t i = 0; rc == 0 && i < lb.count; i++)
    ex->y[i] = lb.data[i];
  rt_idx_free(&lb);
  return rc;
}

/* The file's bytes in consecutive windows of the context; the labels are
 * the bytes after each token. */
static int load_text(predictor *m) {
  examples *ex = &m->ex;
  int ctx = (int)m->info.context;
  if (!m->info.x_tokens || ctx < 1)
    return drv_error("--text needs a model of token windows; %s reads %s", m->e->name,
                     m->e->data[0].source);
  rt_text t;
  rt_error err;
  if (rt_text_load(&t, m->o.examples, 0, &err) < 0)
    return drv_error("%s", err.msg);
  ex->n = (long)rt_text_window_count(&t, RT_SPLIT_TRAIN, ctx);
  int rc = 0;
  if (ex->n < 1)
    rc = drv_error("%s is shorter than one window of %d bytes", m->o.examples, ctx + 1);
  else if (!(ex->x = malloc(sizeof(int32_t) * (size_t)(ex->n * ctx))) ||
           !(ex->y = malloc(sizeof(int32_t) * (size_t)(ex->n * ctx))))
    rc = drv_error("out of memory");
  if (rc == 0)
    rt_text_windows(&t, RT_SPLIT_TRAIN, (int)ex->n, ctx, 0, ex->x, ex->y);
  rt_text_free(&t);
  return rc;
}

static long numel(int rank, const long *dims) {
  long n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  return n;
}

static int load_examples(predictor *m) {
  if (!m->o.kind)
    return drv_usage_error("predict", "no examples given (--idx or --text)");
  if (!m->o.weights)
    return drv_usage_error("predict", "no weights given (--weights FILE)");
  if (!elab_data_info_of(&m->e->data[0], &m->info, m->s.unit.diag))
    return drv_report_diags(&m->s);
  m->ex.x_numel = numel(m->info.x_rank, m->info.x_dims);
  m->ex.y_numel = numel(m->info.y_rank, m->info.y_dims);
  m->ex.x_size = m->info.x_tokens ? sizeof(int32_t) : sizeof(float);
  if (!m->info.y_labels || m->info.classes < 1)
    return drv_error("%s has no classes to predict", m->e->name);
  return strcmp(m->o.kind, "--idx") == 0 ? load_idx(m) : load_text(m);
}

/* ---- the program --------------------------------------------------------------- */

/* The compiled entries of evaluation entry `name`, its outputs and where
 * its scores are. */
static int bind_entry(predictor *m, batch_entry *b, const char *name) {
  char scores[256];
  snprintf(scores, sizeof scores, "%s_scores", name);
  b->whole = core_entry(m->exe, name);
  b->scores = core_entry(m->exe, scores);
  if (b->whole < 0 || b->scores < 0 ||
      !kp_entry_scores(&core_kernels(m->exe)->entries[b->whole], &b->at) ||
      b->at.classes != m->info.classes || b->at.rows != b->batch * m->ex.y_numel) {
    fprintf(stderr, "duet: internal error: %s computes no class scores\n", name);
    return 2;
  }
  b->out_loss = b->out_correct = -1;
  for (int k = 0; k < core_entry_noutputs(m->exe, b->whole); k++) {
    const char *out = core_entry_output_name(m->exe, b->whole, k);
    if (strcmp(out, "loss") == 0)
      b->out_loss = k;
    else if (strcmp(out, "correct") == 0)
      b->out_correct = k;
  }
  if (b->out_loss < 0) {
    fprintf(stderr, "duet: internal error: %s has no loss\n", name);
    return 2;
  }
  return 0;
}

/* The evaluation program, with an entry for the last, shorter batch. */
static int build(predictor *m) {
  elab_options eo = {.dtype = IR_F32};
  ir_program *p = drv_elaborate(&m->s, m->e, &eo);
  if (!p)
    return drv_failure_code(&m->s);
  const char *names[2] = {"eval_step", NULL};
  int rc = 0;
  m->nentries = 1;
  if (!elab_entry_inputs(p, names[0], &m->entries[0].x, &m->entries[0].y, &m->entries[0].batch))
    rc = drv_error("%s has no evaluation entry", m->e->name);
  long rest = rc == 0 ? m->ex.n % m->entries[0].batch : 0;
  if (rest) {
    names[1] = arena_printf(m->s.unit.arena, "eval_step_%ld", rest);
    if (!elab_add_eval(p, m->s.sema, m->e, rest, names[1], m->s.unit.diag) ||
        !elab_entry_inputs(p, names[1], &m->entries[1].x, &m->entries[1].y, &m->entries[1].batch))
      rc = drv_report_diags(&m->s);
    m->nentries = 2;
  }
  char err[1024];
  if (rc == 0 && !(m->exe = core_compile_predict(p, err, sizeof err))) {
    fprintf(stderr, "duet: internal error: %s\n", err);
    rc = 2;
  }
  ir_program_free(p);
  for (int i = 0; i < m->nentries && rc == 0; i++)
    rc = bind_entry(m, &m->entries[i], names[i]);
  if (rc == 0 && !(m->arena = core_arena_alloc(m->exe)))
    rc = drv_error("out of memory");
  return rc;
}

/* The parameters from a checkpoint (optimizer state is not read). */
static int load_weights(predictor *m) {
  rt_st_file f;
  rt_error err;
  if (rt_safetensors_read(&f, m->o.weights, &err) < 0)
    return drv_error("%s", err.msg);
  const kp_program *kp = core_kernels(m->exe);
  int rc = 0;
  for (int i = 0; i < kp->ntensors && rc == 0; i++) {
    const kp_tensor *t = &kp->tensors[i];
    if (!t->is_param)
      continue;
    const rt_st_tensor *w = rt_st_find(&f, t->name);
    bool same = w && w->dtype == RT_F32 && w->ndim == t->rank;
    for (int d = 0; same && d < t->rank; d++)
      same = w->shape[d] == t->shape[d];
    if (!same)
      rc = drv_error("%s: %s parameter %s (F32 [%ld values] expected)", m->o.weights,
                     w ? "mismatched" : "no", t->name, t->count);
    else
      memcpy((char *)m->arena + t->off, w->data, w->nbytes);
  }
  rt_st_file_free(&f);
  return rc;
}

/* ---- the run ------------------------------------------------------------------- */

/* Runs entry `entry` of b on the examples from `first` on. */
static void run_batch(predictor *m, const batch_entry *b, int entry, long first, double *out) {
  const examples *ex = &m->ex;
  assert(core_entry_noutputs(m->exe, entry) <= MAX_OUTPUTS);
  m->inputs[b->x] = (char *)ex->x + (size_t)(first * ex->x_numel) * ex->x_size;
  m->inputs[b->y] = ex->y ? ex->y + first * ex->y_numel : m->zeros;
  core_run(m->exe, entry, m->arena, m->inputs, m->scalars, out);
}

static const batch_entry *entry_for(const predictor *m, long count) {
  for (int i = 0; i < m->nentries; i++)
    if (m->entries[i].batch == count)
      return &m->entries[i];
  assert(!"build made an entry for every batch size");
  return NULL;
}

/* Every example's classes (the first largest score), `repeat` times. */
static void predict_all(predictor *m) {
  long full = m->entries[0].batch;
  for (long r = 0; r < m->o.repeat; r++)
    for (long first = 0; first < m->ex.n; first += full) {
      const batch_entry *b = entry_for(m, m->ex.n - first < full ? m->ex.n - first : full);
      double out[MAX_OUTPUTS];
      run_batch(m, b, b->scores, first, out);
      const float *s = (const float *)((const char *)m->arena + b->at.off);
      int32_t *pred = m->pred + first * m->ex.y_numel;
      for (long row = 0; row < b->at.rows; row++, s += b->at.classes) {
        long arg = 0;
        for (long j = 1; j < b->at.classes; j++)
          if (s[j] > s[arg])
            arg = j;
        pred[row] = (int32_t)arg;
      }
    }
}

/* The accuracy of the predictions and the mean loss of the whole entries.
 * Returns 2 when those count other correct predictions than the scores
 * give (the scores were not where kp_entry_scores said). */
static int report_accuracy(predictor *m) {
  const examples *ex = &m->ex;
  long full = m->entries[0].batch, labels = ex->n * ex->y_numel, correct = 0;
  for (long i = 0; i < labels; i++)
    correct += m->pred[i] == ex->y[i];
  double sum_loss = 0, counted = 0;
  bool counts = true;
  for (long first = 0; first < ex->n; first += full) {
    long count = ex->n - first < full ? ex->n - first : full;
    const batch_entry *b = entry_for(m, count);
    double out[MAX_OUTPUTS];
    run_batch(m, b, b->whole, first, out);
    sum_loss += out[b->out_loss] * (double)count;
    counts = counts && b->out_correct >= 0;
    counted += b->out_correct >= 0 ? out[b->out_correct] : 0;
  }
  if (counts && (long)counted != correct) {
    fprintf(stderr,
            "duet: internal error: the evaluation counts %ld correct predictions, "
            "the scores %ld\n",
            (long)counted, correct);
    return 2;
  }
  printf("accuracy %.4f (%ld of %ld), loss %.9g\n", (double)correct / (double)labels, correct,
         labels, sum_loss / (double)ex->n);
  return 0;
}

/* The predicted classes, one line per example. */
static void print_classes(const predictor *m, FILE *f) {
  for (long i = 0; i < m->ex.n; i++)
    for (long j = 0; j < m->ex.y_numel; j++)
      fprintf(f, "%d%c", m->pred[i * m->ex.y_numel + j], j + 1 < m->ex.y_numel ? ' ' : '\n');
}

/* The classes into the --predictions file. */
static int write_classes(const predictor *m) {
  FILE *f = fopen(m->o.predictions, "w");
  if (!f)
    return drv_error("cannot write %s", m->o.predictions);
  print_classes(m, f);
  bool bad = ferror(f) != 0;
  return fclose(f) != 0 || bad ? drv_error("writing %s failed", m->o.predictions) : 0;
}

static int run(predictor *m) {
  size_t labels = (size_t)(m->ex.n * m->ex.y_numel);
  const kp_program *kp = core_kernels(m->exe);
  m->pred = malloc(sizeof *m->pred * labels);
  m->zeros = calloc((size_t)(m->entries[0].batch * m->ex.y_numel), sizeof *m->zeros);
  m->inputs = calloc((size_t)kp->ninputs + 1, sizeof *m->inputs);
  m->scalars = calloc((size_t)kp->nscalars + 1, sizeof *m->scalars);
  if (!m->pred || !m->zeros || !m->inputs || !m->scalars)
    return drv_error("out of memory");
  if (m->o.threads > 0)
    rt_set_threads((int)m->o.threads);
  double t0 = rt_now_s();
  clock_t c0 = clock();
  predict_all(m);
  double secs = rt_now_s() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
  int rc = m->o.predictions ? write_classes(m) : 0;
  if (rc == 0 && m->ex.y)
    rc = report_accuracy(m);
  else if (rc == 0)
    print_classes(m, stdout);
  double n = (double)m->ex.n * (double)m->o.repeat;
  fprintf(stderr, "%ld examples x %ld in %.3f s (%.3f s of CPU): %.0f examples/s", m->ex.n,
          m->o.repeat, secs, cpu, n / secs);
  if (m->ex.y_numel > 1)
    fprintf(stderr, ", %.0f tokens/s", n * (double)m->ex.y_numel / secs);
  fprintf(stderr, " (compile %.2f s)\n", core_compile_seconds(m->exe));
  return rc;
}

int drv_cmd_predict(int argc, char **argv) {
  drv_cli c;
  predictor *m = calloc(1, sizeof *m);
  if (!m)
    return 2;
  m->o.repeat = 1;
  int rc = drv_cli_parse(&c, "predict", argc, argv, predict_option, &m->o);
  if (rc == 0)
    rc = drv_cli_experiment(&c, &m->s, &m->e);
  if (rc == 0)
    rc = load_examples(m);
  if (rc == 0)
    rc = build(m);
  if (rc == 0)
    rc = load_weights(m);
  if (rc == 0)
    rc = run(m);
  core_free(m->exe);
  free(m->arena);
  free(m->ex.x);
  free(m->ex.y);
  free(m->zeros);
  free(m->pred);
  free(m->inputs);
  free(m->scalars);
  if (c.file && (m->s.unit.arena || m->s.sema))
    drv_source_free(&m->s);
  drv_cli_free(&c);
  free(m);
  return rc;
}
