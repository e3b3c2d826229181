/* drv_data.c: loading the data an experiment binds: one table from the
 * source name of elab_data_info to a loader and a batch gatherer. Image
 * sets (Fashion-MNIST) hold decoded examples; text corpora (the King James
 * Bible) present consecutive, non-overlapping windows of their split as
 * examples, so one shuffled batcher serves both. A missing kjv.txt is an
 * error that names the command writing it (scripts/kjv-text): the driver
 * does not run programs to make data. */
#include "drv_data.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

typedef bool (*load_fn)(drv_data *d, const sema_data *sd, diag_ctx *dg);
typedef void (*gather_fn)(const drv_data *d, const uint32_t *idx, uint32_t count,
                          ir_dtype real, void *x, void *y);

typedef struct drv_source_kind {
  const char *source; /* elab_data_info.source */
  load_fn load;
  gather_fn gather;
} drv_source_kind;

/* The string argument `name` of a binding, or NULL. */
static const char *str_arg(const sema_data *sd, const char *name) {
  for (int i = 0; i < sd->nargs; i++)
    if (strcmp(sd->args[i].name, name) == 0 && sd->args[i].value.kind == MT_STRING)
      return sd->args[i].value.s;
  return NULL;
}

/* The split argument, one of `allowed` (NULL-terminated); its index or -1
 * after reporting. */
static int want_split(const sema_data *sd, const char *const *allowed, diag_ctx *dg) {
  const char *split = str_arg(sd, "split");
  for (int i = 0; split && allowed[i]; i++)
    if (strcmp(split, allowed[i]) == 0)
      return i;
  diag_error(dg, sd->loc, "%s has no split '%s'", sd->source, split ? split : "");
  diag_hint(dg, "the splits of %s are \"%s\" and \"%s\"", sd->source, allowed[0], allowed[1]);
  return -1;
}

/* Real values of one example into x (float or double). */
static void put_reals(const float *src, long count, ir_dtype real, void *dst) {
  if (real == IR_F64)
    for (long i = 0; i < count; i++)
      ((double *)dst)[i] = src[i];
  else
    memcpy(dst, src, (size_t)count * sizeof(float));
}

/* ---- image classification sets ---------------------------------------- */

static bool load_fashion(drv_data *d, const sema_data *sd, diag_ctx *dg) {
  static const char *const splits[] = {"train", "test", NULL};
  int split = want_split(sd, splits, dg);
  if (split < 0)
    return false;
  rt_error err;
  if (rt_fashion_mnist_load(&d->images, NULL, split == 0, &err) < 0) {
    diag_error(dg, sd->loc, "cannot load Fashion-MNIST: %s", err.msg);
    diag_hint(dg, "install Debian's dataset-fashion-mnist package (scripts/install-deps)");
    return false;
  }
  const rt_image_dataset *im = &d->images;
  if ((long)im->channels * im->rows * im->cols != d->x_numel || im->classes > d->info.classes) {
    diag_error(dg, sd->loc, "Fashion-MNIST has images of %d x %d x %d and %d classes; "
               "the program expects %ld values and %d classes", im->channels, im->rows, im->cols,
               im->classes, d->x_numel, d->info.classes);
    return false;
  }
  d->n = im->n;
  return true;
}

static void gather_images(const drv_data *d, const uint32_t *idx, uint32_t count, ir_dtype real,
                          void *x, void *y) {
  const long row = d->x_numel;
  const size_t xsize = real == IR_F64 ? sizeof(double) : sizeof(float);
  for (uint32_t i = 0; i < count; i++) {
    put_reals(d->images.images + (size_t)idx[i] * row, row, real, (char *)x + i * row * xsize);
    ((int32_t *)y)[i] = d->images.labels[idx[i]];
  }
}

/* ---- byte-level text ----------------------------------------------------- */

static bool load_kjv(drv_data *d, const sema_data *sd, diag_ctx *dg) {
  static const char *const splits[] = {"train", "val", NULL};
  int split = want_split(sd, splits, dg);
  if (split < 0)
    return false;
  char path[4096];
  rt_error err;
  if (rt_data_path(path, sizeof path, "kjv.txt", &err) < 0) {
    diag_error(dg, sd->loc, "%s", err.msg);
    return false;
  }
  struct stat st;
  if (stat(path, &st) != 0 && errno == ENOENT) {
    diag_error(dg, sd->loc, "the King James Bible text %s does not exist yet", path);
    diag_hint(dg, "write it with 'sh scripts/kjv-text %s' (needs Debian's bible-kjv)", path);
    return false;
  }
  if (rt_text_load(&d->text, path, DRV_TEXT_VAL_FRACTION, &err) < 0) {
    diag_error(dg, sd->loc, "cannot load the text corpus: %s", err.msg);
    return false;
  }
  d->split = split == 0 ? RT_SPLIT_TRAIN : RT_SPLIT_VAL;
  d->n = (long)rt_text_window_count(&d->text, d->split, (int)d->info.context);
  if (d->n < 1) {
    diag_error(dg, sd->loc, "the %s split of %s is shorter than one window of %ld bytes",
               splits[split], path, d->info.context + 1);
    return false;
  }
  return true;
}

static void gather_windows(const drv_data *d, const uint32_t *idx, uint32_t count, ir_dtype real,
                           void *x, void *y) {
  (void)real;
  const long ctx = d->info.context;
  for (uint32_t i = 0; i < count; i++) {
    size_t got = rt_text_windows(&d->text, d->split, 1, (int)ctx, idx[i], (int32_t *)x + i * ctx,
                                 (int32_t *)y + i * ctx);
    assert(got == 1 && "window index out of range");
    (void)got;
  }
}

static const drv_source_kind kinds[] = {
    {"fashion_mnist", load_fashion, gather_images},
    {"kjv", load_kjv, gather_windows},
};

static long numel(int rank, const long *dims) {
  long n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  return n;
}

bool drv_data_load(drv_data *d, const sema_data *sd, diag_ctx *dg) {
  *d = (drv_data){.name = sd->name};
  if (!elab_data_info_of(sd, &d->info, dg))
    return false;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].source, d->info.source) == 0)
      d->kind = &kinds[i];
  if (!d->kind) {
    diag_error(dg, sd->loc, "data source '%s' cannot be loaded yet", d->info.source);
    return false;
  }
  d->x_numel = numel(d->info.x_rank, d->info.x_dims);
  d->y_numel = numel(d->info.y_rank, d->info.y_dims);
  if (!d->kind->load(d, sd, dg)) {
    drv_data_free(d);
    return false;
  }
  return true;
}

void drv_data_free(drv_data *d) {
  rt_image_dataset_free(&d->images);
  rt_text_free(&d->text);
  *d = (drv_data){0};
}

void drv_data_gather(const drv_data *d, const uint32_t *idx, uint32_t count, ir_dtype real,
                     void *x, void *y) {
  d->kind->gather(d, idx, count, real, x, y);
}

bool drv_data_compatible(const drv_data *a, const drv_data *b) {
  const elab_data_info *p = &a->info, *q = &b->info;
  return p->x_tokens == q->x_tokens && p->y_labels == q->y_labels && a->x_numel == b->x_numel &&
         a->y_numel == b->y_numel && p->x_rank == q->x_rank && p->y_rank == q->y_rank &&
         memcmp(p->x_dims, q->x_dims, sizeof p->x_dims) == 0 &&
         memcmp(p->y_dims, q->y_dims, sizeof p->y_dims) == 0;
}
