/* predict.c: predictions for the examples of a file (host_predict.h):
 * --idx images normalized as the training source's (data_sources.c), --raw
 * examples in the model's layout, --text windows of bytes; the model's
 * classes batch by batch, the accuracy, and the mean loss from the model's
 * evaluation (which must count as many correct predictions as the
 * classes). */
#include "host_predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_evaluate.h"
#include "host_conv.h"

#include "rt_kernels.h"

int host_predict_option(host_predict_opts *o, int i, int argc, char **argv, rt_error *err) {
  const char *a = argv[i];
  bool source =
      !strcmp(a, "--idx") || !strcmp(a, "--raw") || !strcmp(a, "--text") || !strcmp(a, "--data");
  bool number = !strcmp(a, "--threads") || !strcmp(a, "--repeat");
  bool path = !strcmp(a, "--weights") || !strcmp(a, "--predictions") || !strcmp(a, "--scores");
  bool conv = !strcmp(a, "--conv");
  if (!source && !number && !path && !conv)
    return 0;
  if (i + 1 == argc) {
    rt_error_set(err, "%s needs a value", a);
    return -1;
  }
  if (conv) {
    o->conv = argv[i + 1];
    return 2;
  }
  if (path) {
    *(a[2] == 'w' ? &o->weights : a[2] == 's' ? &o->scores : &o->predictions) = argv[i + 1];
    return 2;
  }
  if (number) {
    long *v = a[2] == 't' ? &o->threads : &o->repeat;
    char *end;
    *v = strtol(argv[i + 1], &end, 10);
    if (*end || *v < 1) {
      rt_error_set(err, "%s needs a positive integer, got '%s'", a, argv[i + 1]);
      return -1;
    }
    return 2;
  }
  o->kind = a;
  o->examples = argv[i + 1];
  if (strcmp(a, "--text") != 0 && strcmp(a, "--data") != 0 && i + 2 < argc &&
      argv[i + 2][0] != '-') {
    o->labels = argv[i + 2];
    return 3;
  }
  return 2;
}

/* ---- examples ------------------------------------------------------------------ */

static int load_labels(host_examples *x, const char *path, rt_error *err) {
  rt_idx lb;
  if (rt_idx_read(&lb, path, err) < 0)
    return -1;
  int rc = 0;
  if ((long)lb.count != x->n * x->y_numel) {
    rt_error_set(err, "%s has %zu labels for %ld examples", path, lb.count, x->n);
    rc = -1;
  } else if (!(x->y = malloc(sizeof *x->y * lb.count + 1))) {
    rt_error_set(err, "out of memory");
    rc = -1;
  }
  for (size_t i = 0; rc == 0 && i < lb.count; i++)
    x->y[i] = lb.data[i];
  rt_idx_free(&lb);
  return rc;
}

/* IDX images: of Fashion-MNIST with its pixel constants, of an idx source
 * as the source reads them, then normalized with o->norm. */
static int load_idx(host_examples *x, const host_predict_opts *o, const host_example *ex,
                    rt_error *err) {
  const host_source *s = host_source_find(ex->source);
  bool pixels = s && s->pixel_std > 0;
  if (ex->x_tokens || !s || !(pixels || strcmp(ex->source, "idx") == 0)) {
    rt_error_set(err, "--idx reads images, but the model was trained on %s", ex->source);
    return -1;
  }
  rt_array im;
  if (rt_idx_load(&im, o->examples, err) < 0)
    return -1;
  long numel = 1;
  for (int d = 1; d < im.ndim; d++)
    numel *= (long)im.shape[d];
  int rc = 0;
  if (im.ndim < 2 || numel != x->x_numel || (pixels && im.elem != RT_ELEM_U8)) {
    rt_error_set(err, "%s: examples of %ld %s values; the model reads %ld", o->examples, numel,
                 rt_elem_name(im.elem), x->x_numel);
    rc = -1;
  } else if (!(x->x = malloc(sizeof(float) * im.count + 1))) {
    rt_error_set(err, "out of memory");
    rc = -1;
  }
  if (rc == 0) {
    x->n = (long)im.shape[0];
    float table[256], *v = x->x;
    if (pixels) {
      rt_pixel_table(s->pixel_mean, s->pixel_std, table);
      for (size_t i = 0; i < im.count; i++)
        v[i] = table[((const uint8_t *)im.data)[i]];
    } else if ((rc = rt_array_to_f32(&im, v, err)) == 0 && o->norm) {
      host_norm_apply_reals(o->norm, v, x->n, false);
    }
  }
  rt_array_free(&im);
  return rc == 0 && o->labels ? load_labels(x, o->labels, err) : rc;
}

/* Every example of the experiment's binding o->binding, loaded through the
 * data-source table, normalized with o->norm. */
static int load_binding(host_examples *x, const host_predict_opts *o, const host_example *ex,
                        rt_error *err) {
  host_dataset d;
  rt_error hint;
  if (host_dataset_load(&d, o->binding, &o->env, err, &hint) < 0)
    return -1;
  int rc = 0;
  if (!host_example_same(&d.ex, ex)) {
    char have[96], want[96];
    host_example_text(&d.ex, have, sizeof have);
    host_example_text(ex, want, sizeof want);
    rt_error_set(err, "data '%s' holds examples %s; the model reads %s", d.name, have, want);
    rc = -1;
  }
  uint32_t *idx = malloc(sizeof *idx * (size_t)d.n + 1);
  x->n = d.n;
  x->x = malloc(sizeof(float) * (size_t)(d.n * d.x_numel) + 1);
  x->y = malloc(sizeof(int32_t) * (size_t)(d.n * d.y_numel) + 1);
  if (rc == 0 && !(idx && x->x && x->y)) {
    rt_error_set(err, "out of memory");
    rc = -1;
  }
  for (long i = 0; rc == 0 && i < d.n; i++)
    idx[i] = (uint32_t)i;
  if (rc == 0) {
    d.gather(&d, idx, (uint32_t)d.n, false, x->x, x->y);
    if (o->norm && !ex->x_tokens)
      host_norm_apply_reals(o->norm, x->x, x->n, false);
  }
  free(idx);
  host_dataset_free(&d);
  return rc;
}

int host_predict_norm(host_norm *nm, const rt_st_file *w, const host_binding *train,
                      const host_example *ex, rt_error *err) {
  *nm = (host_norm){0};
  const char *mean = w ? rt_st_meta(w, HOST_META_NORM_MEAN) : NULL;
  const char *sd = w ? rt_st_meta(w, HOST_META_NORM_STD) : NULL;
  if (mean && sd)
    return host_norm_parse(nm, ex, mean, sd, err);
  const host_source *s = host_source_find(train->source);
  bool needs = !ex->x_tokens && s && s->probe && host_binding_num(train, "normalize") != 0;
  if (!needs)
    return 0;
  rt_error_set(err, "the model was trained on normalized features and the statistics are in the "
                    "metadata of its weights file: give --weights model.safetensors");
  return -1;
}

/* The file's bytes in consecutive windows of the context; the labels are
 * the bytes after each token. */
static int load_text(host_examples *x, const host_predict_opts *o, const host_example *ex,
                     rt_error *err) {
  int ctx = (int)ex->context;
  if (!ex->x_tokens || ctx < 1) {
    rt_error_set(err, "--text needs a model of token windows; the model reads %s", ex->source);
    return -1;
  }
  rt_text t;
  if (rt_text_load(&t, o->examples, 0, err) < 0)
    return -1;
  x->n = (long)rt_text_window_count(&t, RT_SPLIT_TRAIN, ctx);
  int rc = 0;
  if (x->n < 1) {
    rt_error_set(err, "%s is shorter than one window of %d bytes", o->examples, ctx + 1);
    rc = -1;
  } else if (!(x->x = malloc(sizeof(int32_t) * (size_t)(x->n * ctx))) ||
             !(x->y = malloc(sizeof(int32_t) * (size_t)(x->n * ctx)))) {
    rt_error_set(err, "out of memory");
    rc = -1;
  }
  if (rc == 0)
    rt_text_windows(&t, RT_SPLIT_TRAIN, (int)x->n, ctx, 0, x->x, x->y);
  rt_text_free(&t);
  return rc;
}

/* A raw file of values of `size` bytes, `count` of them (any count when
 * count < 0; their number into *count). */
static void *load_raw(const char *path, size_t size, long *count, rt_error *err) {
  size_t bytes;
  char *data = rt_read_file(path, &bytes, err);
  if (!data)
    return NULL;
  long n = (long)(bytes / size);
  if (bytes % size || (*count >= 0 && n != *count) || n == 0) {
    rt_error_set(err, "%s: %zu bytes are not %s values of %zu bytes", path, bytes,
                 *count >= 0 ? "the expected number of" : "a whole number of", size);
    free(data);
    return NULL;
  }
  *count = n;
  return data;
}

static int load_raw_examples(host_examples *x, const host_predict_opts *o, const host_example *ex,
                             rt_error *err) {
  long n = -1;
  size_t size = ex->x_tokens ? sizeof(int32_t) : sizeof(float);
  if (!(x->x = load_raw(o->examples, size * (size_t)x->x_numel, &n, err)))
    return -1;
  x->n = n;
  long labels = n * x->y_numel;
  if (o->labels && !(x->y = load_raw(o->labels, sizeof(int32_t), &labels, err)))
    return -1;
  return 0;
}

int host_examples_load(host_examples *x, const host_predict_opts *o, const host_example *ex,
                       rt_error *err) {
  *x = (host_examples){.x_numel = host_numel(ex->x_rank, ex->x_dims),
                       .y_numel = host_numel(ex->y_rank, ex->y_dims)};
  if (!ex->y_labels || ex->classes < 1) {
    rt_error_set(err, "the model has no classes to predict");
    return -1;
  }
  if (!strcmp(o->kind, "--idx"))
    return load_idx(x, o, ex, err);
  if (!strcmp(o->kind, "--text"))
    return load_text(x, o, ex, err);
  if (!strcmp(o->kind, "--data"))
    return load_binding(x, o, ex, err);
  return load_raw_examples(x, o, ex, err);
}

void host_examples_free(host_examples *x) {
  free(x->x);
  free(x->y);
  *x = (host_examples){0};
}

/* ---- the run ------------------------------------------------------------------- */

static int fail(const host_predict_opts *o, const char *msg) {
  fprintf(stderr, "%s: error: %s\n", o->prog, msg);
  return 1;
}

static const void *examples_at(const host_examples *x, long first) {
  return (const char *)x->x + (size_t)(first * x->x_numel) * sizeof(float); /* float or int32 */
}

/* The predicted classes, one line per example. */
static void print_classes(FILE *f, const host_examples *x, const int32_t *pred) {
  for (long i = 0; i < x->n; i++)
    for (long j = 0; j < x->y_numel; j++)
      fprintf(f, "%d%c", pred[i * x->y_numel + j], j + 1 < x->y_numel ? ' ' : '\n');
}

/* The scores as little-endian float32, [examples, labels, classes]. */
static int write_scores(const host_predict_opts *o, const float *scores, size_t count) {
  FILE *f = fopen(o->scores, "wb");
  if (!f) {
    fprintf(stderr, "%s: error: cannot write %s\n", o->prog, o->scores);
    return 1;
  }
  bool bad = fwrite(scores, sizeof *scores, count, f) != count;
  if (fclose(f) != 0 || bad) {
    fprintf(stderr, "%s: error: writing %s failed\n", o->prog, o->scores);
    return 1;
  }
  return 0;
}

static int write_classes(const host_predict_opts *o, const host_examples *x, const int32_t *pred) {
  FILE *f = fopen(o->predictions, "w");
  if (!f) {
    fprintf(stderr, "%s: error: cannot write %s\n", o->prog, o->predictions);
    return 1;
  }
  print_classes(f, x, pred);
  bool bad = ferror(f) != 0;
  if (fclose(f) != 0 || bad) {
    fprintf(stderr, "%s: error: writing %s failed\n", o->prog, o->predictions);
    return 1;
  }
  return 0;
}

/* The accuracy of the predictions and, when the model evaluates every
 * batch, the mean loss. Returns 2 when the evaluation counts other correct
 * predictions than the classes give. */
static int report_accuracy(const host_model *m, const host_predict_opts *o, const host_examples *x,
                           const int32_t *pred) {
  long full = m->eval_batch, labels = x->n * x->y_numel, correct = 0;
  for (long i = 0; i < labels; i++)
    correct += pred[i] == x->y[i];
  double sum_loss = 0, counted = 0;
  bool evaluated = true;
  for (long first = 0; evaluated && first < x->n; first += full) {
    long count = x->n - first < full ? x->n - first : full;
    double loss, c;
    evaluated = host_eval_batch(m, examples_at(x, first), x->y + first * x->y_numel, count,
                                (size_t)x->x_numel * sizeof(float),
                                (size_t)x->y_numel * sizeof(int32_t), &loss, &c) == 0;
    sum_loss += loss * (double)count;
    counted += c;
  }
  if (evaluated && !isnan(counted) && (long)counted != correct) {
    fprintf(stderr,
            "%s: internal error: the evaluation counts %ld correct predictions, the scores %ld\n",
            o->prog, (long)counted, correct);
    return 2;
  }
  printf("accuracy %.4f (%ld of %ld)", (double)correct / (double)labels, correct, labels);
  if (evaluated)
    printf(", loss %.9g", sum_loss / (double)x->n);
  putchar('\n');
  return 0;
}

int host_predict(const host_model *m, const host_predict_opts *o, const host_examples *x) {
  const size_t labels = (size_t)(x->n * x->y_numel);
  int32_t *pred = malloc(sizeof *pred * labels + 1);
  float *scores = o->scores ? malloc(sizeof *scores * labels * (size_t)m->classes + 1) : NULL;
  if (!pred || (o->scores && !scores)) {
    free(pred);
    return fail(o, "out of memory");
  }
  if (o->threads > 0)
    rt_set_threads((int)o->threads);
  rt_error err, hint;
  if (host_conv_apply(o->conv, &err, &hint) < 0) {
    free(pred), free(scores);
    fail(o, err.msg);
    if (hint.msg[0])
      fprintf(stderr, "  hint: %s\n", hint.msg);
    return 1;
  }
  const long full = m->eval_batch;
  double t0 = rt_now_s();
  clock_t c0 = clock();
  int rc = 0;
  for (long r = 0; rc == 0 && r < o->repeat; r++)
    for (long first = 0; rc == 0 && first < x->n; first += full) {
      long count = x->n - first < full ? x->n - first : full;
      float *at = scores ? scores + (size_t)(first * x->y_numel) * (size_t)m->classes : NULL;
      if (!m->predict ||
          m->predict(m->self, examples_at(x, first), count, pred + first * x->y_numel, at) < 0)
        rc = fail(o, "the model predicts no classes");
    }
  double secs = rt_now_s() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
  if (rc == 0 && o->predictions)
    rc = write_classes(o, x, pred);
  if (rc == 0 && o->scores)
    rc = write_scores(o, scores, labels * (size_t)m->classes);
  if (rc == 0 && x->y)
    rc = report_accuracy(m, o, x, pred);
  else if (rc == 0)
    print_classes(stdout, x, pred);
  if (rc == 0) {
    double n = (double)x->n * (double)o->repeat;
    fprintf(stderr, "%ld examples x %ld in %.3f s (%.3f s of CPU): %.0f examples/s", x->n,
            o->repeat, secs, cpu, n / secs);
    if (x->y_numel > 1)
      fprintf(stderr, ", %.0f tokens/s", n * (double)x->y_numel / secs);
    if (m->compile_s > 0)
      fprintf(stderr, " (compile %.2f s)", m->compile_s);
    fputc('\n', stderr);
  }
  free(pred);
  free(scores);
  return rc;
}
