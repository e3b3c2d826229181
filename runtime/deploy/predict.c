/*
 * predict.c - runs the model on the examples of a file and prints the
 * predicted class of each, or with labels the accuracy (and the mean loss
 * when the program has evaluation entries for that many examples); the
 * throughput of the predictions (examples/s, tokens/s for text) goes to
 * stderr.
 *
 *   predict [--weights FILE | --embedded] [--threads N] [--repeat K]
 *           [--predictions OUT]
 *           (--idx IMAGES [LABELS] | --raw EXAMPLES [LABELS] | --text FILE)
 *
 * --idx: IDX files (gzip or plain): images [n, rows, cols], normalized as
 *   the experiment's training data, and labels [n].
 * --raw: n examples of MODEL_X_NUMEL values of the model's input type,
 *   little-endian, and labels as int32 (n * MODEL_Y_NUMEL of them).
 * --text: the file's bytes as token ids, cut into consecutive windows of
 *   MODEL_X_NUMEL; the labels of a window are the bytes that follow each
 *   of its tokens.
 * The weights are read from model.safetensors unless given (or embedded).
 * --repeat K predicts everything K times (for the throughput).
 * --predictions OUT writes the predicted classes (one line per example) to
 * OUT, also when there are labels.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "rt_io.h"

typedef struct options {
  const char *weights, *kind, *examples, *labels, *predictions;
  int embedded;
  long threads, repeat;
} options;

/* Examples and (optional) labels in memory. */
typedef struct examples {
  long n;
  model_x *x; /* [n * MODEL_X_NUMEL], owned */
  int32_t *y; /* [n * MODEL_Y_NUMEL] or NULL, owned */
} examples;

static int fail(const char *fmt, ...) RT_PRINTF_LIKE(1, 2);

/* Prints `predict: error: <message>`; returns the exit code 1. */
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("predict: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* ---- inputs --------------------------------------------------------------------- */

/* Normalization of the image sources: x = (pixel / 255 - mean) / std. */
static const struct {
  const char *source;
  float mean, std;
} image_sources[] = {
    {"fashion_mnist", RT_FASHION_MNIST_MEAN, RT_FASHION_MNIST_STD},
};

static int load_idx(examples *ex, const options *o) {
  const char *source = model_experiment_info.data[0].source;
  int k = -1;
  for (size_t i = 0; i < sizeof image_sources / sizeof image_sources[0]; i++)
    if (!strcmp(image_sources[i].source, source))
      k = (int)i;
  if (k < 0)
    return fail("--idx reads images, but the model was trained on %s", source);
  rt_idx im;
  rt_error err;
  if (rt_idx_read(&im, o->examples, &err))
    return fail("%s", err.msg);
  long numel = 1;
  for (int d = 1; d < im.ndim; d++)
    numel *= (long)im.dims[d];
  if (im.ndim < 2 || numel != MODEL_X_NUMEL) {
    rt_idx_free(&im);
    return fail("%s: examples of %ld values; the model reads %d", o->examples, numel,
                MODEL_X_NUMEL);
  }
  ex->n = (long)im.dims[0];
  ex->x = malloc(sizeof *ex->x * im.count + 1);
  if (!ex->x) {
    rt_idx_free(&im);
    return fail("out of memory");
  }
  float table[256];
  rt_pixel_table(image_sources[k].mean, image_sources[k].std, table);
  for (size_t i = 0; i < im.count; i++)
    ex->x[i] = (model_x)table[im.data[i]];
  rt_idx_free(&im);
  if (!o->labels)
    return 0;
  rt_idx lb;
  if (rt_idx_read(&lb, o->labels, &err))
    return fail("%s", err.msg);
  int rc = 0;
  if ((long)lb.count != ex->n * MODEL_Y_NUMEL)
    rc = fail("%s has %zu labels for %ld examples", o->labels, lb.count, ex->n);
  else if (!(ex->y = malloc(sizeof *ex->y * lb.count + 1)))
    rc = fail("out of memory");
  for (size_t i = 0; rc == 0 && i < lb.count; i++)
    ex->y[i] = lb.data[i];
  rt_idx_free(&lb);
  return rc;
}

/* The whole of a file into *data (malloc-owned) and its size. */
static int read_file(const char *path, unsigned char **data, long *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail("cannot open %s", path);
  long cap = 1 << 16, n = 0;
  unsigned char *p = malloc((size_t)cap);
  size_t got;
  while (p && (got = fread(p + n, 1, (size_t)(cap - n), f)) > 0)
    if ((n += (long)got) == cap) {
      unsigned char *q = realloc(p, (size_t)(cap *= 2));
      if (!q)
        free(p);
      p = q;
    }
  int bad = ferror(f);
  fclose(f);
  if (!p || bad) {
    free(p);
    return fail(p ? "cannot read %s" : "out of memory for %s", path);
  }
  *data = p;
  *size = n;
  return 0;
}

/* A raw file of count values of `size` bytes each, or of any count when
 * count < 0 (returned in *count). */
static int load_raw(const char *path, size_t size, long *count, void **out) {
  unsigned char *data = NULL;
  long bytes = 0;
  if (read_file(path, &data, &bytes))
    return 1;
  long n = bytes / (long)size;
  if (bytes % (long)size || (*count >= 0 && n != *count) || n == 0) {
    free(data);
    return fail("%s: %ld bytes are not %s values of %zu bytes", path, bytes,
                *count >= 0 ? "the expected number of" : "a whole number of", size);
  }
  *count = n;
  *out = data;
  return 0;
}

static int load_text(examples *ex, const options *o) {
  if (sizeof(model_x) != sizeof(int32_t) || MODEL_Y_NUMEL != MODEL_X_NUMEL)
    return fail("--text needs a model of token windows");
  unsigned char *data = NULL;
  long bytes = 0;
  if (read_file(o->examples, &data, &bytes))
    return 1;
  ex->n = (bytes - 1) / MODEL_X_NUMEL;
  if (ex->n < 1) {
    free(data);
    return fail("%s is shorter than one window of %d bytes", o->examples, MODEL_X_NUMEL + 1);
  }
  size_t count = (size_t)(ex->n * MODEL_X_NUMEL);
  ex->x = malloc(sizeof *ex->x * count);
  ex->y = malloc(sizeof *ex->y * count);
  for (size_t i = 0; ex->x && ex->y && i < count; i++) {
    ex->x[i] = (model_x)data[i];
    ex->y[i] = data[i + 1];
  }
  free(data);
  return ex->x && ex->y ? 0 : fail("out of memory");
}

static int load(examples *ex, const options *o) {
  if (!strcmp(o->kind, "--idx"))
    return load_idx(ex, o);
  if (!strcmp(o->kind, "--text"))
    return load_text(ex, o);
  long n = -1;
  void *data;
  if (load_raw(o->examples, sizeof(model_x) * MODEL_X_NUMEL, &n, &data))
    return 1;
  ex->x = data;
  ex->n = n;
  long labels = n * MODEL_Y_NUMEL;
  if (!o->labels)
    return 0;
  if (load_raw(o->labels, sizeof(int32_t), &labels, &data))
    return 1;
  ex->y = data;
  return 0;
}

/* ---- the run -------------------------------------------------------------------- */

static int parse(options *o, int argc, char **argv) {
  *o = (options){.repeat = 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int source = !strcmp(a, "--idx") || !strcmp(a, "--raw") || !strcmp(a, "--text");
    int valued = source || !strcmp(a, "--weights") || !strcmp(a, "--threads") ||
                 !strcmp(a, "--repeat") || !strcmp(a, "--predictions");
    if (valued && i + 1 == argc)
      return fail("%s needs a value", a);
    if (source) {
      o->kind = a;
      o->examples = argv[++i];
      if (strcmp(a, "--text") && i + 1 < argc && argv[i + 1][0] != '-')
        o->labels = argv[++i];
    } else if (!strcmp(a, "--weights")) {
      o->weights = argv[++i];
    } else if (!strcmp(a, "--predictions")) {
      o->predictions = argv[++i];
    } else if (!strcmp(a, "--embedded")) {
      o->embedded = 1;
    } else if (!strcmp(a, "--threads") || !strcmp(a, "--repeat")) {
      long *v = a[2] == 't' ? &o->threads : &o->repeat;
      char *end;
      *v = strtol(argv[++i], &end, 10);
      if (*end || *v < 1)
        return fail("%s needs a positive integer, got '%s'", a, argv[i]);
    } else {
      return fail("unknown argument '%s'\nusage: predict [--weights FILE | --embedded] "
                  "[--threads N] [--repeat K] [--predictions OUT]\n"
                  "  (--idx IMAGES [LABELS] | --raw EXAMPLES [LABELS] | --text FILE)",
                  a);
    }
  }
  if (!o->kind)
    return fail("no examples given (--idx, --raw or --text)");
  if (o->embedded && !MODEL_EMBEDDED_WEIGHTS)
    return fail("--embedded: this program was emitted without --embed-weights");
  if (!o->weights && !(o->embedded || MODEL_EMBEDDED_WEIGHTS))
    o->weights = "model.safetensors";
  return 0;
}

static int load_weights(model *m, const options *o) {
  char err[600];
  if (o->weights)
    return model_load(m, o->weights, err, sizeof err) ? fail("%s", err) : 0;
#if MODEL_EMBEDDED_WEIGHTS
  return model_load_embedded(m, err, sizeof err) ? fail("%s", err) : 0;
#else
  return fail("no weights");
#endif
}

/* Predictions for every example, `repeat` times; the seconds it took, of
 * the clock and of the processor. */
static int predict_all(model *m, const examples *ex, long repeat, int32_t *pred, double *secs,
                       double *cpu) {
  double t0 = rt_now_s();
  clock_t c0 = clock();
  for (long r = 0; r < repeat; r++)
    for (long first = 0; first < ex->n; first += MODEL_EVAL_BATCH) {
      long count = ex->n - first < MODEL_EVAL_BATCH ? ex->n - first : MODEL_EVAL_BATCH;
      if (model_predict(m, ex->x + first * MODEL_X_NUMEL, count, pred + first * MODEL_Y_NUMEL))
        return fail("the model predicts no classes");
    }
  *secs = rt_now_s() - t0;
  *cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
  return 0;
}

/* The predicted classes, one line per example. */
static void print_classes(FILE *f, const examples *ex, const int32_t *pred) {
  for (long i = 0; i < ex->n; i++)
    for (long j = 0; j < MODEL_Y_NUMEL; j++)
      fprintf(f, "%d%c", pred[i * MODEL_Y_NUMEL + j], j + 1 < MODEL_Y_NUMEL ? ' ' : '\n');
}

static int write_classes(const char *path, const examples *ex, const int32_t *pred) {
  FILE *f = fopen(path, "w");
  if (!f)
    return fail("cannot write %s", path);
  print_classes(f, ex, pred);
  int bad = ferror(f);
  return fclose(f) != 0 || bad ? fail("writing %s failed", path) : 0;
}

static void report(model *m, const examples *ex, const int32_t *pred) {
  const long labels = ex->n * MODEL_Y_NUMEL;
  if (!ex->y) {
    print_classes(stdout, ex, pred);
    return;
  }
  long correct = 0;
  for (long i = 0; i < labels; i++)
    correct += pred[i] == ex->y[i];
  printf("accuracy %.4f (%ld of %ld)", (double)correct / (double)labels, correct, labels);
  /* the mean loss, when the evaluation entries fit the number of examples */
  double loss, accuracy;
  if (MODEL_CLASSES > 0 &&
      !model_evaluate(m, ex->x, (const model_y *)(const void *)ex->y, ex->n, &loss, &accuracy))
    printf(", loss %.9g", loss);
  putchar('\n');
}

int main(int argc, char **argv) {
  options o;
  examples ex = {0};
  model *m = NULL;
  int32_t *pred = NULL;
  int rc = parse(&o, argc, argv);
  if (rc == 0 && o.threads > 0)
    model_set_threads((int)o.threads);
  if (rc == 0)
    rc = load(&ex, &o);
  if (rc == 0 && !(m = model_create()))
    rc = fail("out of memory");
  if (rc == 0)
    rc = load_weights(m, &o);
  if (rc == 0 && !(pred = malloc(sizeof *pred * (size_t)(ex.n * MODEL_Y_NUMEL))))
    rc = fail("out of memory");
  double secs = 0, cpu = 0;
  if (rc == 0)
    rc = predict_all(m, &ex, o.repeat, pred, &secs, &cpu);
  if (rc == 0 && o.predictions)
    rc = write_classes(o.predictions, &ex, pred);
  if (rc == 0) {
    report(m, &ex, pred);
    double n = (double)ex.n * (double)o.repeat;
    fprintf(stderr, "%ld examples x %ld in %.3f s (%.3f s of CPU): %.0f examples/s", ex.n, o.repeat,
            secs, cpu, n / secs);
    if (MODEL_Y_NUMEL > 1)
      fprintf(stderr, ", %.0f tokens/s", n * MODEL_Y_NUMEL / secs);
    fputc('\n', stderr);
  }
  model_free(m);
  free(ex.x);
  free(ex.y);
  free(pred);
  return rc;
}
