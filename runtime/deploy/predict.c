/*
 * predict.c - runs the model on the examples of a file with the host's
 * prediction (host/predict.c, which `duet predict` runs too) and prints the
 * predicted class of each, or with labels the accuracy (and the mean loss
 * when the program has evaluation entries for that many examples); the
 * throughput of the predictions (examples/s, tokens/s for text) goes to
 * stderr.
 *
 *   predict [--weights FILE | --embedded] [--threads N] [--repeat K]
 *           [--predictions OUT] [--scores OUT] [--conv auto|im2col|onednn|RUN_DIR]
 *           (--idx IMAGES [LABELS] | --raw EXAMPLES [LABELS] | --text FILE | --data NAME)
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
 * OUT, also when there are labels; --scores OUT the class scores as
 * float32 [examples, labels, classes].
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_predict.h"
#include "model.h"
#include "rt_io.h"

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

static int parse(host_predict_opts *o, int *embedded, int argc, char **argv) {
  for (int i = 1; i < argc;) {
    rt_error err;
    int n = host_predict_option(o, i, argc, argv, &err);
    if (n < 0)
      return fail("%s", err.msg);
    if (n == 0 && !strcmp(argv[i], "--embedded")) {
      *embedded = 1;
      n = 1;
    }
    if (n == 0)
      return fail("unknown argument '%s'\nusage: predict [--weights FILE | --embedded] "
                  "[--threads N] [--repeat K] [--predictions OUT] [--scores OUT]\n"
                  "  [--conv auto|im2col|onednn|RUN_DIR]\n"
                  "  (--idx IMAGES [LABELS] | --raw EXAMPLES [LABELS] | --text FILE | --data NAME)",
                  argv[i]);
    i += n;
  }
  if (!o->kind)
    return fail("no examples given (--idx, --raw, --text or --data)");
  if (*embedded && !MODEL_EMBEDDED_WEIGHTS)
    return fail("--embedded: this program was emitted without --embed-weights");
  if (!o->weights && !(*embedded || MODEL_EMBEDDED_WEIGHTS))
    o->weights = "model.safetensors";
  return 0;
}

static int load_weights(model *m, const host_predict_opts *o) {
  char err[700];
  if (o->weights)
    return model_load(m, o->weights, err, sizeof err) ? fail("%s", err) : 0;
#if MODEL_EMBEDDED_WEIGHTS
  return model_load_embedded(m, err, sizeof err) ? fail("%s", err) : 0;
#else
  return fail("no weights");
#endif
}

/* What one example of the training data looks like, as the program was
 * compiled for it (the training files need not be here). */
static int train_example(host_example *ex) {
  *ex = model_experiment_info.example;
  return ex->source && *ex->source ? 0 : fail("the experiment has no training data");
}

/* The experiment's binding called name, or NULL. */
static const host_binding *binding(const char *name) {
  const host_experiment *e = &model_experiment_info;
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, name) == 0)
      return &e->data[i];
  return NULL;
}

/* --data's binding, and the training set's normalization from the weights
 * file's metadata. */
static int prepare(host_predict_opts *o, const host_example *shape, host_norm *norm) {
  if (!strcmp(o->kind, "--data")) {
    if (!(o->binding = binding(o->examples)))
      return fail("the experiment has no data '%s'", o->examples);
    o->env = (host_load_env){.seed = model_experiment_info.seed};
  }
  rt_st_file w = {0};
  rt_error err;
  int rc = o->weights && rt_safetensors_read(&w, o->weights, &err) < 0 ? -1 : 0;
  if (rc == 0)
    rc = host_predict_norm(norm, o->weights ? &w : NULL, binding("train"), shape, &err);
  rt_st_file_free(&w);
  o->norm = norm;
  return rc < 0 ? fail("%s", err.msg) : 0;
}

int main(int argc, char **argv) {
  host_predict_opts o = {.prog = "predict", .repeat = 1};
  host_examples ex = {0};
  host_example shape;
  model *m = NULL;
  int embedded = 0;
  int rc = parse(&o, &embedded, argc, argv);
  rt_error err;
  if (rc == 0)
    rc = train_example(&shape);
  host_norm norm = {0};
  if (rc == 0)
    rc = prepare(&o, &shape, &norm);
  if (rc == 0 && host_examples_load(&ex, &o, &shape, &err) < 0)
    rc = fail("%s", err.msg);
  if (rc == 0 && !(m = model_create()))
    rc = fail("out of memory");
  if (rc == 0)
    rc = load_weights(m, &o);
  if (rc == 0) {
    host_model hm;
    model_host(m, &hm);
    rc = host_predict(&hm, &o, &ex);
  }
  model_free(m);
  host_examples_free(&ex);
  host_norm_free(&norm);
  return rc;
}
