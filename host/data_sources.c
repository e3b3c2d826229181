/* data_sources.c: the table of data sources (see data_sources.h): one row
 * per source with its parameters, splits, example shape and loader, and
 * the checks of a binding's arguments against its row. */
#include "data_sources.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_loaders.h"

#define A(k) HOST_ARG(k)
#define SPLIT \
  { "split", HOST_STRING, 0, NULL }
/* the splits of one file: all of it, or a held-out fraction and the rest */
#define FILE_SPLIT \
  {"split", HOST_STRING, 0, "all"}, { "holdout", HOST_NUMBER, 0.1, NULL }
/* arrays of examples: the class count (0: from the labels) and whether the
 * features are standardized with the training set's statistics */
#define ARRAY_OPTIONS \
  {"classes", HOST_INT, 0, NULL}, { "normalize", HOST_NUMBER, 1, NULL }
#define ARRAY_SPLITS \
  { "all", "train", "test" }
#define ARRAY_EXAMPLE(name) \
  { name, false, 0, {0}, true, 0, {0}, 0, true, 0 }

static const host_source sources[] = {
    /* Fashion-MNIST: images [1, 28, 28] (normalized pixels), labels 0..9 */
    {"fashion_mnist",
     1,
     1,
     {SPLIT},
     {"train", "test"},
     {"fashion_mnist", false, 3, {1, 28, 28}, true, 0, {0}, 10, true, 0},
     RT_FASHION_MNIST_MEAN,
     RT_FASHION_MNIST_STD,
     host_load_fashion_mnist,
     NULL},
    /* the King James Bible as bytes: a window of `context` tokens, and the
     * same window shifted by one as targets */
    {"kjv",
     1,
     2,
     {SPLIT, {"context", HOST_INT, 64, NULL}},
     {"train", "val"},
     {"kjv", true, 1, {A(1)}, true, 1, {A(1)}, RT_TEXT_VOCAB, false, A(1)},
     0,
     0,
     host_load_kjv,
     NULL},
    /* the user's files (data_files.c); shapes from the files */
    {"idx",
     2,
     6,
     {{"images", HOST_PATH, 0, NULL}, {"labels", HOST_PATH, 0, NULL}, FILE_SPLIT, ARRAY_OPTIONS},
     ARRAY_SPLITS,
     ARRAY_EXAMPLE("idx"),
     0,
     0,
     host_load_arrays,
     host_probe_arrays},
    {"npy",
     2,
     6,
     {{"x", HOST_PATH, 0, NULL}, {"y", HOST_PATH, 0, NULL}, FILE_SPLIT, ARRAY_OPTIONS},
     ARRAY_SPLITS,
     ARRAY_EXAMPLE("npy"),
     0,
     0,
     host_load_arrays,
     host_probe_arrays},
    {"npz",
     1,
     7,
     {{"file", HOST_PATH, 0, NULL},
      {"x", HOST_STRING, 0, "x"},
      {"y", HOST_STRING, 0, "y"},
      FILE_SPLIT,
      ARRAY_OPTIONS},
     ARRAY_SPLITS,
     ARRAY_EXAMPLE("npz"),
     0,
     0,
     host_load_arrays,
     host_probe_arrays},
    {"csv",
     2,
     7,
     {{"file", HOST_PATH, 0, NULL},
      {"label", HOST_STRING, 0, NULL},
      {"target", HOST_STRING, 0, "auto"},
      FILE_SPLIT,
      ARRAY_OPTIONS},
     ARRAY_SPLITS,
     ARRAY_EXAMPLE("csv"),
     0,
     0,
     host_load_arrays,
     host_probe_arrays},
    /* any file as bytes: windows of `context` and the same shifted by one */
    {"text",
     1,
     4,
     {{"file", HOST_PATH, 0, NULL}, {"context", HOST_INT, 64, NULL}, FILE_SPLIT},
     {"all", "train", "val"},
     {"text", true, 1, {A(1)}, true, 1, {A(1)}, RT_TEXT_VOCAB, false, A(1)},
     0,
     0,
     host_load_text,
     NULL},
    /* token ids (nanoGPT's and llm.c's binaries), memory-mapped */
    {"tokens",
     1,
     6,
     {{"file", HOST_PATH, 0, NULL},
      {"dtype", HOST_STRING, 0, "u16"},
      {"context", HOST_INT, 64, NULL},
      {"vocab", HOST_INT, 0, NULL},
      FILE_SPLIT},
     {"all", "train", "val"},
     {"tokens", true, 1, {A(2)}, true, 1, {A(2)}, 0, false, A(2)},
     0,
     0,
     host_load_tokens,
     host_probe_tokens},
    /* toy problems drawn from the experiment's seed: features x [d] and
     * real targets y [k]; train and test are two halves of 2n examples */
    {"linreg",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 4096, NULL},
      {"d", HOST_INT, 32, NULL},
      {"k", HOST_INT, 8, NULL},
      {"noise", HOST_NUMBER, 0.1, NULL}},
     {"train", "test"},
     {"linreg", false, 1, {A(2)}, false, 1, {A(3)}, 0, false, 0},
     0,
     0,
     host_load_linreg,
     NULL},
    {"quadratic",
     1,
     4,
     {SPLIT,
      {"rows", HOST_INT, 32, NULL},
      {"cols", HOST_INT, 16, NULL},
      {"cond", HOST_NUMBER, 100, NULL}},
     {"train"},
     {"quadratic", false, 1, {A(1)}, false, 1, {A(2)}, 0, false, 0},
     0,
     0,
     host_load_quadratic,
     NULL},
    /* Gaussian clusters: features x [d], labels 0..k-1 */
    {"clusters",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 4096, NULL},
      {"d", HOST_INT, 32, NULL},
      {"k", HOST_INT, 8, NULL},
      {"sep", HOST_NUMBER, 3, NULL}},
     {"train", "test"},
     {"clusters", false, 1, {A(2)}, true, 0, {0}, A(3), true, 0},
     0,
     0,
     host_load_clusters,
     NULL},
    {"spectrum",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 1024, NULL},
      {"dim", HOST_INT, 4, NULL},
      {"top", HOST_NUMBER, 8, NULL},
      {"ratio", HOST_NUMBER, 0.5, NULL}},
     {"train", "test"},
     {"spectrum", false, 1, {A(2)}, false, 1, {A(2)}, 0, false, 0},
     0,
     0,
     host_load_spectrum,
     NULL},
    /* Fashion-MNIST with a spurious pixel: images of class c carry a pixel
     * of intensity `intensity` (1 = white) at row c of column 0 (`set`:
     * "aligned", "object_only", "misaligned_object", "misaligned_pixel";
     * data_loaders.c); the first n images of the split (0: all) */
    {"spurious_pixel",
     1,
     4,
     {SPLIT,
      {"set", HOST_STRING, 0, NULL},
      {"intensity", HOST_NUMBER, 1, NULL},
      {"n", HOST_INT, 0, NULL}},
     {"train", "test"},
     {"spurious_pixel", false, 3, {1, 28, 28}, true, 0, {0}, 10, true, 0},
     RT_FASHION_MNIST_MEAN,
     RT_FASHION_MNIST_STD,
     host_load_spurious_pixel,
     NULL},
    /* the routing task: `items` items, each source coding them by its own
     * orthonormal vectors in R^dim; x [sources, sources, dim] holds the
     * input in row o (the output source), slot s (the input source); y the
     * item's one-hot target. "train": the pairs (s, s) and (s, s + 1 mod
     * sources); "test": every other pair (data_loaders.c) */
    {"routing",
     1,
     4,
     {SPLIT,
      {"sources", HOST_INT, 4, NULL},
      {"items", HOST_INT, 4, NULL},
      {"dim", HOST_INT, 8, NULL}},
     {"train", "test"},
     {"routing", false, 3, {A(1), A(1), A(3)}, false, 1, {A(2)}, 0, false, 0},
     0,
     0,
     host_load_routing,
     NULL},
    /* in-context linear regression, as the statistic linear attention
     * reads: x [dim, dim] = x_q s^T (the query and s = (1/context)
     * sum_n y_n x_n), y [1] = w^T x_q; tokens ~ N(0, diag(ratio^i)),
     * w ~ N(0, I) per example (data_loaders.c) */
    {"icl_linreg",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 4096, NULL},
      {"dim", HOST_INT, 4, NULL},
      {"context", HOST_INT, 32, NULL},
      {"ratio", HOST_NUMBER, 0.5, NULL}},
     {"train", "test"},
     {"icl_linreg", false, 2, {A(2), A(2)}, false, 1, {1}, 0, false, 0},
     0,
     0,
     host_load_icl_linreg,
     NULL},
    /* the cycle task: every sequence x_t = (x_0 + s t) mod n of the skips
     * s, a sequence of `length` one-hot tokens [length, n] and the same
     * sequence shifted by one as real targets */
    {"cycle",
     1,
     3,
     {{"skips", HOST_INT_LIST, 0, NULL}, {"n", HOST_INT, 13, NULL}, {"length", HOST_INT, 16, NULL}},
     {NULL},
     {"cycle", false, 2, {A(2), A(1)}, false, 2, {A(2), A(1)}, 0, false, 0},
     0,
     0,
     host_load_cycle,
     NULL},
};

#undef A
#undef SPLIT

enum { NSOURCES = sizeof sources / sizeof sources[0] };

int host_source_count(void) { return NSOURCES; }

const host_source *host_source_at(int i) { return &sources[i]; }

const host_source *host_source_find(const char *name) {
  for (int i = 0; i < NSOURCES; i++)
    if (strcmp(sources[i].name, name) == 0)
      return &sources[i];
  return NULL;
}

static int param_index(const host_source *s, const char *name) {
  for (int i = 0; i < s->nparams; i++)
    if (strcmp(s->params[i].name, name) == 0)
      return i;
  return -1;
}

const host_arg *host_binding_arg(const host_binding *b, const char *name) {
  for (int i = 0; i < b->nargs; i++)
    if (strcmp(b->args[i].name, name) == 0)
      return &b->args[i];
  return NULL;
}

double host_binding_num(const host_binding *b, const char *name) {
  const host_arg *a = host_binding_arg(b, name);
  if (a && a->kind == HOST_NUMBER)
    return a->num;
  const host_source *s = host_source_find(b->source);
  int k = s ? param_index(s, name) : -1;
  return k >= 0 ? s->params[k].def : NAN;
}

const char *host_binding_str(const host_binding *b, const char *name) {
  const host_arg *a = host_binding_arg(b, name);
  if (a)
    return a->kind == HOST_STRING ? a->s : NULL;
  const host_source *s = host_source_find(b->source);
  int k = s ? param_index(s, name) : -1;
  return k >= 0 ? s->params[k].str : NULL;
}

/* The kind of argument a against parameter p of source s; -1 after the message. */
static int check_kind(const host_source *s, const host_param *p, const host_arg *a, rt_error *err,
                      rt_error *hint) {
  if (p->kind == HOST_INT_LIST) {
    bool ints = a->kind == HOST_INT_LIST || (a->kind == HOST_NUMBER && a->num == floor(a->num));
    if (ints)
      return 0;
    rt_error_set(err, "the %s of %s must be integers", p->name, s->name);
    rt_error_set(hint, "write one, %s = -2, or a list, %s = [1, -1, 2]", p->name, p->name);
    return -1;
  }
  if (a->kind == HOST_INT_LIST) {
    rt_error_set(err, "'%s' of %s takes one value, not a list", p->name, s->name);
    return -1;
  }
  if (p->kind == HOST_PATH && a->kind != HOST_STRING) {
    rt_error_set(err, "'%s' of %s is a file name, such as \"data/x.npy\"", p->name, s->name);
    return -1;
  }
  if (p->kind == HOST_STRING && a->kind != HOST_STRING) {
    rt_error_set(err, "'%s' of %s is a string, such as \"%s\"", p->name, s->name,
                 s->splits[0] ? s->splits[0] : "");
    return -1;
  }
  if (p->kind != HOST_STRING && p->kind != HOST_PATH && a->kind != HOST_NUMBER) {
    rt_error_set(err, "'%s' of %s is a number, got \"%s\"", p->name, s->name, a->s);
    return -1;
  }
  if (p->kind == HOST_INT && a->num != floor(a->num)) {
    rt_error_set(err, "'%s' of %s is a whole number, got %g", p->name, s->name, a->num);
    return -1;
  }
  return 0;
}

static int check_split(const host_source *s, const host_binding *b, rt_error *err, rt_error *hint) {
  const char *split = host_binding_str(b, "split");
  if (!s->splits[0])
    return 0;
  for (int i = 0; split && s->splits[i]; i++)
    if (strcmp(split, s->splits[i]) == 0)
      return 0;
  rt_error_set(err, "%s has no split '%s'", s->name, split ? split : "");
  if (!s->splits[1])
    rt_error_set(hint, "the only split of %s is \"%s\"", s->name, s->splits[0]);
  else if (!s->splits[2])
    rt_error_set(hint, "the splits of %s are \"%s\" and \"%s\"", s->name, s->splits[0],
                 s->splits[1]);
  else
    rt_error_set(hint, "the splits of %s are \"%s\" (the whole file), \"%s\" and \"%s\"", s->name,
                 s->splits[0], s->splits[1], s->splits[2]);
  return -1;
}

/* Replaces a size written HOST_ARG(k) by its value; -1 for a value below 1. */
static int fill_size(const host_source *s, const host_binding *b, long *size, rt_error *err) {
  if (*size >= 0)
    return 0;
  const host_param *p = &s->params[-1 - *size];
  *size = (long)host_binding_num(b, p->name);
  if (*size >= 1)
    return 0;
  rt_error_set(err, "the %s of %s must be at least 1, got %ld", p->name, s->name, *size);
  return -1;
}

/* host_binding_check, reading the files of probed sources when probe. */
static int check(const host_binding *b, host_example *out, bool probe, rt_error *err,
                 rt_error *hint) {
  if (hint)
    hint->msg[0] = 0;
  const host_source *s = host_source_find(b->source);
  if (!s) {
    rt_error_set(err, "no data source '%s'", b->source);
    return -1;
  }
  for (int i = 0; i < b->nargs; i++) {
    int k = param_index(s, b->args[i].name);
    if (k < 0) {
      rt_error_set(err, "unknown argument '%s' of %s", b->args[i].name, s->name);
      return -1;
    }
    if (check_kind(s, &s->params[k], &b->args[i], err, hint) < 0)
      return -1;
  }
  for (int k = 0; k < s->nrequired; k++)
    if (!host_binding_arg(b, s->params[k].name)) {
      rt_error_set(err, "%s needs its '%s'", s->name, s->params[k].name);
      return -1;
    }
  if (check_split(s, b, err, hint) < 0)
    return -1;
  *out = s->example;
  long classes = out->classes;
  int rc = fill_size(s, b, &out->context, err) | fill_size(s, b, &classes, err);
  out->classes = (int)classes;
  for (int j = 0; j < out->x_rank; j++)
    rc |= fill_size(s, b, &out->x_dims[j], err);
  for (int j = 0; j < out->y_rank; j++)
    rc |= fill_size(s, b, &out->y_dims[j], err);
  if (rc == 0 && probe && s->probe)
    return s->probe(out, b, err, hint);
  return rc ? -1 : 0;
}

int host_binding_check(const host_binding *b, host_example *out, rt_error *err, rt_error *hint) {
  return check(b, out, true, err, hint);
}

int host_binding_check_args(const host_binding *b, host_example *out, rt_error *err,
                            rt_error *hint) {
  return check(b, out, false, err, hint);
}

long host_numel(int rank, const long *dims) {
  long n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  return n;
}

static int dims_text(char *out, size_t cap, int rank, const long *dims) {
  int n = snprintf(out, cap, "[");
  for (int i = 0; i < rank && n >= 0 && (size_t)n < cap; i++)
    n += snprintf(out + n, cap - (size_t)n, i ? ", %ld" : "%ld", dims[i]);
  if (n >= 0 && (size_t)n < cap)
    n += snprintf(out + n, cap - (size_t)n, "]");
  return n;
}

void host_example_text(const host_example *ex, char *out, size_t cap) {
  char x[64], y[64];
  dims_text(x, sizeof x, ex->x_rank, ex->x_dims);
  dims_text(y, sizeof y, ex->y_rank, ex->y_dims);
  snprintf(out, cap, "x %s %s, y %s %s", x, ex->x_tokens ? "token ids" : "real", y,
           ex->y_labels ? "class ids" : "real");
}

bool host_example_same(const host_example *p, const host_example *q) {
  return p->x_tokens == q->x_tokens && p->y_labels == q->y_labels && p->x_rank == q->x_rank &&
         p->y_rank == q->y_rank && memcmp(p->x_dims, q->x_dims, sizeof p->x_dims) == 0 &&
         memcmp(p->y_dims, q->y_dims, sizeof p->y_dims) == 0;
}

int host_data_file(char *out, size_t cap, const host_load_env *env, const char *file,
                   rt_error *err) {
  const char *dir = env ? env->data_dir : NULL;
  if (!dir)
    return rt_data_path(out, cap, file, err);
  int n = snprintf(out, cap, "%s/%s", dir, file);
  if (n < 0 || (size_t)n >= cap) {
    rt_error_set(err, "data path %s/%s is too long", dir, file);
    return -1;
  }
  return 0;
}

const char *host_data_dir(const host_load_env *env) {
  if (env && env->data_dir)
    return env->data_dir;
  const char *dir = getenv("DUET_DATA");
  return dir && *dir ? dir : NULL;
}

int host_path_resolve(char *out, size_t cap, const char *dir, const char *path) {
  int n = path[0] == '/' || !dir || !*dir ? snprintf(out, cap, "%s", path)
                                          : snprintf(out, cap, "%s/%s", dir, path);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void host_dataset_add_file(host_dataset *d, const char *path) {
  for (int i = 0; i < HOST_DATA_FILES; i++)
    if (!d->files[i]) {
      d->files[i] = strdup(path);
      if (!d->files[i])
        abort();
      return;
    }
  assert(!"more files than HOST_DATA_FILES");
}

int host_dataset_load(host_dataset *d, const host_binding *b, const host_load_env *env,
                      rt_error *err, rt_error *hint) {
  *d = (host_dataset){.name = b->name};
  if (check(b, &d->ex, false, err, hint) < 0)
    return -1;
  /* a probed source's loader sets the shape from the files it reads */
  d->x_numel = host_numel(d->ex.x_rank, d->ex.x_dims);
  d->y_numel = host_numel(d->ex.y_rank, d->ex.y_dims);
  if (host_source_find(b->source)->load(d, b, env, err, hint) < 0) {
    host_dataset_free(d);
    return -1;
  }
  d->x_numel = host_numel(d->ex.x_rank, d->ex.x_dims);
  d->y_numel = host_numel(d->ex.y_rank, d->ex.y_dims);
  return 0;
}

void host_dataset_free(host_dataset *d) {
  if (d->free)
    d->free(d);
  for (int i = 0; i < HOST_DATA_FILES; i++)
    free(d->files[i]);
  *d = (host_dataset){0};
}
