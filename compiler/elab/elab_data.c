/* elab_data.c: the shape of one example of a data binding, from the
 * data-source table (host/data_sources.h), and the per-step inputs x, y of
 * a batch in that shape. */
#include <string.h>

#include "elab_int.h"

bool elab_data_info_of(const sema_data *d, elab_data_info *out, diag_ctx *dg) {
  return sema_data_example(d, out, dg);
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

const sema_data *el_train_data(const sema_experiment *e) {
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, "train") == 0)
      return &e->data[i];
  return NULL;
}

const char *el_data_origin(el_ctx *c, const sema_data *d) {
  static const char *const files[] = {"images", "x", "file"};
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < d->nargs; i++)
      if (strcmp(d->args[i].name, files[k]) == 0 && d->args[i].value.kind == MT_STRING &&
          strcmp(d->source, "npz") != 0) {
        const char *slash = strrchr(d->args[i].value.s, '/');
        return slash ? slash + 1 : d->args[i].value.s;
      }
  return arena_printf(c->a, "%s()", d->source);
}
