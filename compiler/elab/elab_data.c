/* elab_data.c: the data-source table (what one example and its label look
 * like for every data source an experiment may bind) and the per-step
 * inputs x, y of a batch. The driver loads the data with runtime/rt_io.h in
 * exactly these shapes. */
#include <string.h>

#include "elab_int.h"
#include "rt_io.h"

/* A size given by argument k of the source's size arguments (see
 * source_row): a dimension, the number of classes or the context. */
#define ARG(k) (-1 - (k))

enum { MAX_SIZE_ARGS = 2 };

/* One data source. The sizes in `info` written ARG(k) are the value of
 * argument arg[k] of the binding, or def[k] when it is not given. The
 * argument named `list` (NULL: none) may be a list of integers. */
typedef struct source_row {
  elab_data_info info;
  const char *arg[MAX_SIZE_ARGS];
  long def[MAX_SIZE_ARGS];
  const char *list;
} source_row;

static const source_row sources[] = {
    /* Fashion-MNIST: images [1, 28, 28] (normalized pixels), labels 0..9 */
    {{"fashion_mnist", false, 3, {1, 28, 28}, true, 0, {0}, 10, true, 0}, {0}, {0}, NULL},
    /* the King James Bible as bytes: a window of tokens, and the same
     * window shifted by one as targets */
    {{"kjv", true, 1, {ARG(0)}, true, 1, {ARG(0)}, RT_TEXT_VOCAB, false, ARG(0)},
     {"context"},
     {64},
     NULL},
    /* toy problems: features x [d] and real targets y [k] */
    {{"linreg", false, 1, {ARG(0)}, false, 1, {ARG(1)}, 0, false, 0}, {"d", "k"}, {32, 8}, NULL},
    {{"quadratic", false, 1, {ARG(0)}, false, 1, {ARG(1)}, 0, false, 0},
     {"rows", "cols"},
     {32, 16},
     NULL},
    {{"spectrum", false, 1, {ARG(0)}, false, 1, {ARG(0)}, 0, false, 0}, {"dim"}, {4}, NULL},
    /* Gaussian clusters: features x [d], labels 0..k-1 */
    {{"clusters", false, 1, {ARG(0)}, true, 0, {0}, ARG(1), true, 0}, {"d", "k"}, {32, 8}, NULL},
    /* the cycle task: a sequence of `length` one-hot tokens [length, n],
     * and the same sequence shifted by one as real targets */
    {{"cycle", false, 2, {ARG(0), ARG(1)}, false, 2, {ARG(0), ARG(1)}, 0, false, 0},
     {"length", "n"},
     {16, 13},
     "skips"},
};

/* False after reporting a list given for an argument that takes one value. */
static bool check_lists(const source_row *r, const sema_data *d, diag_ctx *dg) {
  for (int j = 0; j < d->nargs; j++)
    if (d->args[j].value.kind == MT_INTS && !(r->list && strcmp(d->args[j].name, r->list) == 0)) {
      diag_error(dg, d->loc, "'%s' of %s takes one value, not a list", d->args[j].name, d->source);
      return false;
    }
  return true;
}

/* Replaces a size written ARG(k) by its value; false after reporting a
 * value below 1. */
static bool fill_size(const source_row *r, const sema_data *d, long *size, diag_ctx *dg) {
  if (*size >= 0)
    return true;
  int k = -1 - (int)*size;
  *size = r->def[k];
  for (int j = 0; j < d->nargs; j++)
    if (strcmp(d->args[j].name, r->arg[k]) == 0)
      *size = (long)mt_value_num(d->args[j].value);
  if (*size >= 1)
    return true;
  diag_error(dg, d->loc, "the %s of %s must be at least 1, got %ld", r->arg[k], d->source, *size);
  return false;
}

bool elab_data_info_of(const sema_data *d, elab_data_info *out, diag_ctx *dg) {
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    const source_row *r = &sources[i];
    if (strcmp(r->info.source, d->source) != 0)
      continue;
    *out = r->info;
    long classes = out->classes;
    bool ok = check_lists(r, d, dg) && fill_size(r, d, &out->context, dg) &&
              fill_size(r, d, &classes, dg);
    out->classes = (int)classes;
    for (int j = 0; j < out->x_rank; j++)
      ok = ok && fill_size(r, d, &out->x_dims[j], dg);
    for (int j = 0; j < out->y_rank; j++)
      ok = ok && fill_size(r, d, &out->y_dims[j], dg);
    return ok;
  }
  diag_error(dg, d->loc, "data source '%s' cannot be compiled yet", d->source);
  return false;
}

/* Declares (or finds) one input of the batch. */
static int input(el_ctx *c, const char *base, long long batch, bool tokens, int rank,
                 const long *dims) {
  const char *name = batch == c->batch ? base : arena_printf(c->a, "%s:%lld", base, batch);
  int i = ir_find_input(c->p, name);
  if (i >= 0)
    return i;
  long shape[IR_MAX_RANK];
  shape[0] = (long)batch;
  for (int j = 0; j < rank; j++)
    shape[j + 1] = dims[j];
  i = ir_input(c->p, name, tokens ? IR_I32 : c->p->real, rank + 1, shape);
  if (i < 0)
    diag_internal(c->d, c->e->decl->name_loc, "%s", c->p->err);
  return i;
}

bool el_declare_inputs(el_ctx *c, long long batch, int *xi, int *yi) {
  const elab_data_info *s = &c->data;
  *xi = input(c, "x", batch, s->x_tokens, s->x_rank, s->x_dims);
  *yi = input(c, "y", batch, s->y_labels, s->y_rank, s->y_dims);
  return *xi >= 0 && *yi >= 0;
}
