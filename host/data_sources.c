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
  { "split", HOST_STRING, 0 }

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
     host_load_fashion_mnist},
    /* the King James Bible as bytes: a window of `context` tokens, and the
     * same window shifted by one as targets */
    {"kjv",
     1,
     2,
     {SPLIT, {"context", HOST_INT, 64}},
     {"train", "val"},
     {"kjv", true, 1, {A(1)}, true, 1, {A(1)}, RT_TEXT_VOCAB, false, A(1)},
     0,
     0,
     host_load_kjv},
    /* toy problems drawn from the experiment's seed: features x [d] and
     * real targets y [k]; train and test are two halves of 2n examples */
    {"linreg",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 4096},
      {"d", HOST_INT, 32},
      {"k", HOST_INT, 8},
      {"noise", HOST_NUMBER, 0.1}},
     {"train", "test"},
     {"linreg", false, 1, {A(2)}, false, 1, {A(3)}, 0, false, 0},
     0,
     0,
     host_load_linreg},
    {"quadratic",
     1,
     4,
     {SPLIT, {"rows", HOST_INT, 32}, {"cols", HOST_INT, 16}, {"cond", HOST_NUMBER, 100}},
     {"train"},
     {"quadratic", false, 1, {A(1)}, false, 1, {A(2)}, 0, false, 0},
     0,
     0,
     host_load_quadratic},
    /* Gaussian clusters: features x [d], labels 0..k-1 */
    {"clusters",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 4096},
      {"d", HOST_INT, 32},
      {"k", HOST_INT, 8},
      {"sep", HOST_NUMBER, 3}},
     {"train", "test"},
     {"clusters", false, 1, {A(2)}, true, 0, {0}, A(3), true, 0},
     0,
     0,
     host_load_clusters},
    {"spectrum",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 1024},
      {"dim", HOST_INT, 4},
      {"top", HOST_NUMBER, 8},
      {"ratio", HOST_NUMBER, 0.5}},
     {"train", "test"},
     {"spectrum", false, 1, {A(2)}, false, 1, {A(2)}, 0, false, 0},
     0,
     0,
     host_load_spectrum},
    /* Fashion-MNIST with a spurious pixel: images of class c carry a pixel
     * of intensity `intensity` (1 = white) at row c of column 0 (`set`:
     * "aligned", "object_only", "misaligned_object", "misaligned_pixel";
     * data_loaders.c); the first n images of the split (0: all) */
    {"spurious_pixel",
     1,
     4,
     {SPLIT, {"set", HOST_STRING, 0}, {"intensity", HOST_NUMBER, 1}, {"n", HOST_INT, 0}},
     {"train", "test"},
     {"spurious_pixel", false, 3, {1, 28, 28}, true, 0, {0}, 10, true, 0},
     RT_FASHION_MNIST_MEAN,
     RT_FASHION_MNIST_STD,
     host_load_spurious_pixel},
    /* the routing task: `items` items, each source coding them by its own
     * orthonormal vectors in R^dim; x [sources, sources, dim] holds the
     * input in row o (the output source), slot s (the input source); y the
     * item's one-hot target. "train": the pairs (s, s) and (s, s + 1 mod
     * sources); "test": every other pair (data_loaders.c) */
    {"routing",
     1,
     4,
     {SPLIT, {"sources", HOST_INT, 4}, {"items", HOST_INT, 4}, {"dim", HOST_INT, 8}},
     {"train", "test"},
     {"routing", false, 3, {A(1), A(1), A(3)}, false, 1, {A(2)}, 0, false, 0},
     0,
     0,
     host_load_routing},
    /* in-context linear regression, as the statistic linear attention
     * reads: x [dim, dim] = x_q s^T (the query and s = (1/context)
     * sum_n y_n x_n), y [1] = w^T x_q; tokens ~ N(0, diag(ratio^i)),
     * w ~ N(0, I) per example (data_loaders.c) */
    {"icl_linreg",
     1,
     5,
     {SPLIT,
      {"n", HOST_INT, 4096},
      {"dim", HOST_INT, 4},
      {"context", HOST_INT, 32},
      {"ratio", HOST_NUMBER, 0.5}},
     {"train", "test"},
     {"icl_linreg", false, 2, {A(2), A(2)}, false, 1, {1}, 0, false, 0},
     0,
     0,
     host_load_icl_linreg},
    /* the cycle task: every sequence x_t = (x_0 + s t) mod n of the skips
     * s, a sequence of `length` one-hot tokens [length, n] and the same
     * sequence shifted by one as real targets */
    {"cycle",
     1,
     3,
     {{"skips", HOST_INT_LIST, 0}, {"n", HOST_INT, 13}, {"length", HOST_INT, 16}},
     {NULL},
     {"cycle", false, 2, {A(2), A(1)}, false, 2, {A(2), A(1)}, 0, false, 0},
     0,
     0,
     host_load_cycle},
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
  return a && a->kind == HOST_STRING ? a->s : NULL;
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
  if (p->kind == HOST_STRING && a->kind != HOST_STRING) {
    rt_error_set(err, "'%s' of %s is a string, such as \"%s\"", p->name, s->name,
                 s->splits[0] ? s->splits[0] : "");
    return -1;
  }
  if (p->kind != HOST_STRING && a->kind != HOST_NUMBER) {
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
  else
    rt_error_set(hint, "the splits of %s are \"%s\" and \"%s\"", s->name, s->splits[0],
                 s->splits[1]);
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

int host_binding_check(const host_binding *b, host_example *out, rt_error *err, rt_error *hint) {
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
  return rc ? -1 : 0;
}

long host_numel(int rank, const long *dims) {
  long n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  return n;
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
  if (host_binding_check(b, &d->ex, err, hint) < 0)
    return -1;
  d->x_numel = host_numel(d->ex.x_rank, d->ex.x_dims);
  d->y_numel = host_numel(d->ex.y_rank, d->ex.y_dims);
  if (host_source_find(b->source)->load(d, b, env, err, hint) < 0) {
    host_dataset_free(d);
    return -1;
  }
  return 0;
}

void host_dataset_free(host_dataset *d) {
  if (d->free)
    d->free(d);
  for (int i = 0; i < HOST_DATA_FILES; i++)
    free(d->files[i]);
  *d = (host_dataset){0};
}
