/* sets.c: the data sets of a run: `train` and every set an evaluation
 * reads, loaded through the data-source table, each with examples of the
 * training set's shape. */
#include <stdio.h>
#include <string.h>

#include "host_train.h"

static const host_binding *binding(const host_experiment *e, const char *name, int *at) {
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, name) == 0) {
      *at = i;
      return &e->data[i];
    }
  return NULL;
}

/* Adds name to names[*n] unless it is there. */
static void add_name(const char **names, int *n, const char *name) {
  for (int k = 0; k < *n; k++)
    if (strcmp(names[k], name) == 0)
      return;
  if (*n < HOST_MAX_SETS)
    names[(*n)++] = name;
}

/* Set d against the examples the program was compiled for (the files of
 * file sources may have changed since): the same shapes and kinds, labels
 * below its class count. */
static int check_examples(const host_experiment *e, const host_dataset *d, rt_error *err) {
  const host_example *want = &e->example;
  if (!want->source || !*want->source)
    return 0;
  char have[96], need[96];
  if (!host_example_same(want, &d->ex)) {
    host_example_text(&d->ex, have, sizeof have);
    host_example_text(want, need, sizeof need);
    rt_error_set(err,
                 "data '%s' holds examples %s; the program was compiled for %s (build it again)",
                 d->name, have, need);
    return -1;
  }
  if (want->y_labels && d->ex.classes > want->classes) {
    rt_error_set(err, "data '%s' has labels up to %d; the program was compiled for %d classes",
                 d->name, d->ex.classes - 1, want->classes);
    return -1;
  }
  return 0;
}

/* When the training set asks for it, its statistics standardize the
 * features of every set. */
static int normalize(host_sets *s, rt_error *err) {
  if (!s->set[0].normalize || !s->set[0].norm_x)
    return 0;
  for (int i = 1; i < s->n; i++)
    if (!s->set[i].norm_x) {
      rt_error_set(err, "data '%s' cannot be normalized with the statistics of 'train'",
                   s->set[i].name);
      return -1;
    }
  if (host_norm_compute(&s->norm, &s->set[0], err) < 0)
    return -1;
  for (int i = 0; i < s->n; i++)
    host_norm_apply(&s->norm, &s->set[i]);
  return 0;
}

int host_sets_load(host_sets *s, const host_experiment *e, const host_load_env *env, int *failed,
                   rt_error *err, rt_error *hint) {
  *s = (host_sets){0};
  hint->msg[0] = 0;
  const char *names[HOST_MAX_SETS] = {"train"};
  int n = 1;
  for (int i = 0; i < e->nevals; i++) {
    for (int j = 0; j < e->evals[i].nmetrics; j++)
      add_name(names, &n, e->evals[i].metrics[j].data);
    if (e->evals[i].ablation)
      add_name(names, &n, e->evals[i].ablation->data);
  }
  for (int i = 0; i < n; i++) {
    const host_binding *b = binding(e, names[i], failed);
    if (!b) {
      *failed = -1;
      rt_error_set(err, "the experiment has no data '%s'", names[i]);
      return -1;
    }
    if (host_dataset_load(&s->set[s->n], b, env, err, hint) < 0)
      return -1;
    s->n++;
    if (check_examples(e, &s->set[i], err) < 0)
      return -1;
  }
  return normalize(s, err);
}

void host_sets_free(host_sets *s) {
  for (int i = 0; i < s->n; i++)
    host_dataset_free(&s->set[i]);
  host_norm_free(&s->norm);
  *s = (host_sets){0};
}

const host_dataset *host_sets_find(const host_sets *s, const char *name) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->set[i].name, name) == 0)
      return &s->set[i];
  return NULL;
}
