/* elab_data.c: the data-source table (what one example and its label look
 * like for every data source an experiment may bind) and the per-step
 * inputs x, y of a batch. The driver loads the data with runtime/rt_io.h in
 * exactly these shapes. */
#include <string.h>

#include "elab_int.h"
#include "rt_io.h"

/* A dimension equal to the source's `context` argument (text windows). */
#define CTX (-1)

/* Text sources read windows of this many bytes unless `context` is given. */
enum { DEFAULT_CONTEXT = 64 };

static const elab_data_info sources[] = {
    /* Fashion-MNIST: images [1, 28, 28] (normalized pixels), labels 0..9 */
    {"fashion_mnist", false, 3, {1, 28, 28}, true, 0, {0}, 10, true, 0},
    /* the King James Bible as bytes: a window of tokens, and the same
     * window shifted by one as targets */
    {"kjv", true, 1, {CTX}, true, 1, {CTX}, RT_TEXT_VOCAB, false, DEFAULT_CONTEXT},
};

static void fill_context(int rank, long *dims, long ctx) {
  for (int i = 0; i < rank; i++)
    if (dims[i] == CTX)
      dims[i] = ctx;
}

bool elab_data_info_of(const sema_data *d, elab_data_info *out, diag_ctx *dg) {
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    if (strcmp(sources[i].source, d->source) != 0)
      continue;
    *out = sources[i];
    if (!out->context)
      return true;
    for (int j = 0; j < d->nargs; j++)
      if (strcmp(d->args[j].name, "context") == 0)
        out->context = (long)mt_value_num(d->args[j].value);
    if (out->context < 1) {
      diag_error(dg, d->loc, "the context of %s must be at least 1, got %ld", d->source,
                 out->context);
      return false;
    }
    fill_context(out->x_rank, out->x_dims, out->context);
    fill_context(out->y_rank, out->y_dims, out->context);
    return true;
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
