/* data_files.c: the sources that read the user's files (rows of
 * data_sources.c): arrays of examples (idx, npy, npz, csv) decoded into
 * memory, byte-level text, and token binaries served window by window from
 * memory maps. Each array source has a probe that reads the example shape
 * from the files' headers (and the labels, for the class count) at compile
 * time; the loaders read and check everything and set the same shape. A
 * split "train" or "test" of one file is a deterministic subset of its
 * examples: a permutation drawn from the experiment's seed, its first
 * floor(n * holdout) examples the test split, the rest the training split
 * (text and tokens hold out the end of the file instead: windows of
 * consecutive tokens must not straddle the two). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data_loaders.h"
#include "rt_kernels.h"

#define STREAM_SPLIT 0x5b117ull /* the permutation that splits one file */

static bool split_is(const host_binding *b, const char *split) {
  const char *s = host_binding_str(b, "split");
  return s && strcmp(s, split) == 0;
}

/* The held-out fraction of a split binding (0 for "all"); -1 after the message. */
static double holdout(const host_binding *b, rt_error *err) {
  if (split_is(b, "all"))
    return 0;
  double f = host_binding_num(b, "holdout");
  if (f > 0 && f < 1)
    return f;
  rt_error_set(err, "the holdout of %s must lie between 0 and 1 (a fraction), got %g", b->source,
               f);
  return -1;
}

/* A file that must exist and be a regular file. */
static int check_file(const char *path, rt_error *err) {
  struct stat st;
  if (stat(path, &st) != 0) {
    rt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    rt_error_set(err, "%s: not a regular file", path);
    return -1;
  }
  return 0;
}

/* ---- arrays of examples: idx, npy, npz, csv ------------------------------- */

/* The files of an array binding, read: x (features) and y (labels or
 * targets) as arrays, or a CSV file. */
typedef struct table {
  const char *xname, *yname; /* for messages: files, or "FILE: member x.npy" */
  rt_array x, y;
  rt_csv csv;
  bool is_csv;
  char xbuf[4200], ybuf[4200];
} table;

static void table_free(table *t) {
  rt_array_free(&t->x);
  rt_array_free(&t->y);
  rt_csv_free(&t->csv);
}

static rt_csv_label csv_kind(const host_binding *b, rt_error *err) {
  const char *k = host_binding_str(b, "target");
  if (strcmp(k, "auto") == 0)
    return RT_CSV_AUTO;
  if (strcmp(k, "class") == 0)
    return RT_CSV_CLASS;
  if (strcmp(k, "real") == 0)
    return RT_CSV_REAL;
  rt_error_set(err, "the target of csv is \"auto\", \"class\" or \"real\", got \"%s\"", k);
  return RT_CSV_NO_LABEL;
}

/* Reads b's files into t: x only up to its header when header_only (IDX
 * and .npy: the shape), everything else whole. */
static int read_table(table *t, const host_binding *b, bool header_only, rt_error *err) {
  *t = (table){0};
  const char *src = b->source;
  if (strcmp(src, "csv") == 0) {
    const char *file = host_binding_str(b, "file");
    rt_csv_spec spec = {.label_kind = csv_kind(b, err),
                        .label = host_binding_str(b, "label"),
                        .classes = (int64_t)host_binding_num(b, "classes")};
    t->is_csv = true;
    t->xname = t->yname = file;
    if (spec.label_kind == RT_CSV_NO_LABEL)
      return -1;
    if (spec.label_kind != RT_CSV_CLASS)
      spec.classes = 0;
    return check_file(file, err) < 0 ? -1 : rt_csv_load(&t->csv, file, &spec, err);
  }
  if (strcmp(src, "npz") == 0) {
    const char *file = host_binding_str(b, "file");
    const char *xm = host_binding_str(b, "x"), *ym = host_binding_str(b, "y");
    snprintf(t->xbuf, sizeof t->xbuf, "%s: member %s", file, xm);
    snprintf(t->ybuf, sizeof t->ybuf, "%s: member %s", file, ym);
    t->xname = t->xbuf;
    t->yname = t->ybuf;
    rt_npz z;
    if (check_file(file, err) < 0 || rt_npz_open(&z, file, err) < 0)
      return -1;
    int rc = rt_npz_load(&z, xm, &t->x, err) < 0 || rt_npz_load(&z, ym, &t->y, err) < 0 ? -1 : 0;
    rt_npz_close(&z);
    return rc;
  }
  bool idx = strcmp(src, "idx") == 0;
  t->xname = host_binding_str(b, idx ? "images" : "x");
  t->yname = host_binding_str(b, idx ? "labels" : "y");
  if (check_file(t->xname, err) < 0 || check_file(t->yname, err) < 0)
    return -1;
  int (*whole)(rt_array *, const char *, rt_error *) = idx ? rt_idx_load : rt_npy_load;
  int (*head)(rt_array *, const char *, rt_error *) = idx ? rt_idx_header : rt_npy_header;
  if ((header_only ? head : whole)(&t->x, t->xname, err) < 0)
    return -1;
  return whole(&t->y, t->yname, err);
}

static bool is_real(rt_elem e) { return e == RT_ELEM_F32 || e == RT_ELEM_F64; }

/* One example's shape: the array's axes after the first into rank, dims
 * (an array of one axis holds one value per example: [1]). */
static int example_axes(const rt_array *a, const char *name, const char *what, int *rank,
                        long *dims, rt_error *err) {
  if (a->ndim < 1) {
    rt_error_set(err, "%s: %s must have an axis of examples, not be a scalar", name, what);
    return -1;
  }
  if (a->ndim > 4) {
    rt_error_set(err, "%s: %s of %d axes: an example has at most 3 (the first axis counts them)",
                 name, what, a->ndim);
    return -1;
  }
  *rank = a->ndim == 1 ? 1 : a->ndim - 1;
  for (int i = 0; i < *rank; i++)
    dims[i] = a->ndim == 1 ? 1 : (long)a->shape[i + 1];
  return 0;
}

/* The example shape of t into ex; with ids (room for the labels) the class
 * ids too. The class count is the binding's `classes`, else 1 + the
 * largest label. */
static int table_example(const table *t, const host_binding *b, host_example *ex, int32_t *ids,
                         rt_error *err) {
  long classes = (long)host_binding_num(b, "classes");
  if (classes < 0) {
    rt_error_set(err, "the classes of %s must be at least 0 (0: from the labels), got %ld",
                 b->source, classes);
    return -1;
  }
  if (t->is_csv) {
    const rt_csv *c = &t->csv;
    *ex = (host_example){.source = b->source, .x_rank = 1, .x_dims = {c->nfeatures}};
    ex->y_labels = ex->classifier = c->label_kind == RT_CSV_CLASS;
    ex->y_rank = ex->y_labels ? 0 : 1;
    ex->y_dims[0] = 1;
    ex->classes = ex->y_labels ? (int)(classes ? classes : c->bound) : 0;
    return 0;
  }
  const rt_array *x = &t->x, *y = &t->y;
  if (x->shape[0] != y->shape[0] || x->ndim < 1 || y->ndim < 1) {
    rt_error_set(err, "%s holds %zu examples, %s holds %zu", t->xname,
                 x->ndim ? x->shape[0] : (size_t)1, t->yname, y->ndim ? y->shape[0] : (size_t)1);
    return -1;
  }
  *ex = (host_example){.source = b->source, .y_labels = !is_real(y->elem)};
  if (example_axes(x, t->xname, "the features", &ex->x_rank, ex->x_dims, err) < 0)
    return -1;
  if (ex->y_labels) {
    int32_t bound = 0;
    int32_t *out = ids ? ids : malloc(y->count * sizeof *out + 1);
    if (!out) {
      rt_error_set(err, "%s: out of memory", t->yname);
      return -1;
    }
    int rc = rt_array_to_ids(y, out, classes, &bound, err);
    if (out != ids)
      free(out);
    if (rc < 0)
      return -1;
    ex->classes = (int)(classes ? classes : bound);
    ex->classifier = true;
    ex->y_rank = y->ndim - 1;
    for (int i = 0; i < ex->y_rank && i < 3; i++)
      ex->y_dims[i] = (long)y->shape[i + 1];
    if (y->ndim > 4) {
      rt_error_set(err, "%s: labels of %d axes: an example has at most 3", t->yname, y->ndim);
      return -1;
    }
    return 0;
  }
  return example_axes(y, t->yname, "the targets", &ex->y_rank, ex->y_dims, err);
}

int host_probe_arrays(host_example *ex, const host_binding *b, rt_error *err, rt_error *hint) {
  (void)hint;
  table t;
  int rc = read_table(&t, b, true, err) < 0 ? -1 : table_example(&t, b, ex, NULL, err);
  table_free(&t);
  return rc < 0 || holdout(b, err) < 0 ? -1 : 0;
}

/* The decoded examples: features [total, x_numel] as float, labels or
 * targets [total, y_numel]; the set's examples are rows[0 .. n) of them
 * (NULL: all, in order). */
typedef struct array_set {
  float *x;
  int32_t *ids;
  float *targets;
  uint32_t *rows;
} array_set;

static void free_arrays(host_dataset *d) {
  array_set *s = d->impl;
  if (s) {
    free(s->x);
    free(s->ids);
    free(s->targets);
    free(s->rows);
  }
  free(s);
}

static void put_reals(const float *src, long count, bool f64, void *dst) {
  if (f64)
    for (long i = 0; i < count; i++)
      ((double *)dst)[i] = src[i];
  else
    memcpy(dst, src, (size_t)count * sizeof(float));
}

static void gather_arrays(const host_dataset *d, const uint32_t *idx, uint32_t count, bool f64,
                          void *x, void *y) {
  const array_set *s = d->impl;
  const size_t real = f64 ? sizeof(double) : sizeof(float);
  for (uint32_t i = 0; i < count; i++) {
    size_t row = s->rows ? s->rows[idx[i]] : idx[i];
    put_reals(s->x + row * d->x_numel, d->x_numel, f64, (char *)x + i * d->x_numel * real);
    if (s->ids)
      memcpy((int32_t *)y + i * d->y_numel, s->ids + row * d->y_numel,
             (size_t)d->y_numel * sizeof(int32_t));
    else
      put_reals(s->targets + row * d->y_numel, d->y_numel, f64, (char *)y + i * d->y_numel * real);
  }
}

/* CSV features (double) as float: a value beyond the float range is an
 * error naming its row and column. */
static int csv_to_f32(const rt_csv *c, const char *file, float *out, rt_error *err) {
  size_t count = c->rows * (size_t)c->nfeatures;
  for (size_t i = 0; i < count; i++) {
    out[i] = (float)c->x[i];
    if (!isfinite(out[i])) {
      rt_error_set(err, "%s: row %zu, column \"%s\": %.17g is beyond the range of f32", file,
                   i / (size_t)c->nfeatures + 2, c->names[i % (size_t)c->nfeatures], c->x[i]);
      return -1;
    }
  }
  return 0;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* The rows of the binding's split of `total` examples into s->rows and d->n. */
static int select_split(host_dataset *d, const host_binding *b, const host_load_env *env,
                        array_set *s, long total, rt_error *err) {
  double f = holdout(b, err);
  if (f < 0)
    return -1;
  d->n = total;
  if (f == 0)
    return 0;
  long ntest = (long)floor((double)total * f);
  if (ntest < 1 || ntest >= total) {
    rt_error_set(
        err,
        "%s: holding out %g of %ld examples leaves %ld for \"test\" and %ld for \"train\"; "
        "each needs at least one",
        d->files[0], f, total, ntest, total - ntest);
    return -1;
  }
  uint32_t *perm = malloc((size_t)total * sizeof *perm);
  if (!perm) {
    rt_error_set(err, "%s: out of memory", d->files[0]);
    return -1;
  }
  rt_permutation(perm, (uint32_t)total, env->seed, STREAM_SPLIT);
  bool test = split_is(b, "test");
  d->n = test ? ntest : total - ntest;
  s->rows = malloc((size_t)d->n * sizeof *s->rows);
  if (s->rows) {
    memcpy(s->rows, perm + (test ? 0 : ntest), (size_t)d->n * sizeof *s->rows);
    qsort(s->rows, (size_t)d->n, sizeof *s->rows, cmp_u32);
  }
  free(perm);
  if (!s->rows)
    rt_error_set(err, "%s: out of memory", d->files[0]);
  return s->rows ? 0 : -1;
}

int host_load_arrays(host_dataset *d, const host_binding *b, const host_load_env *env,
                     rt_error *err, rt_error *hint) {
  (void)hint;
  array_set *s = d->impl = calloc(1, sizeof *s);
  if (!s) {
    rt_error_set(err, "%s: out of memory", b->source);
    return -1;
  }
  d->gather = gather_arrays;
  d->free = free_arrays;
  table t;
  int rc = read_table(&t, b, false, err);
  long total = t.is_csv ? (long)t.csv.rows : rc == 0 && t.y.ndim ? (long)t.y.shape[0] : 0;
  const char *file = host_binding_str(b, "file"); /* csv, npz; idx and npy have two */
  if (rc == 0)
    host_dataset_add_file(d, file ? file : t.xname);
  if (rc == 0 && !file)
    host_dataset_add_file(d, t.yname);
  size_t ycount = t.is_csv ? t.csv.rows : t.y.count;
  if (rc == 0 && !(s->ids = malloc(ycount * sizeof *s->ids + 1))) {
    rt_error_set(err, "%s: out of memory", t.yname);
    rc = -1;
  }
  if (rc == 0)
    rc = table_example(&t, b, &d->ex, s->ids, err);
  size_t xcount = t.is_csv ? t.csv.rows * (size_t)t.csv.nfeatures : t.x.count;
  if (rc == 0 && !(s->x = malloc(xcount * sizeof *s->x + 1))) {
    rt_error_set(err, "%s: out of memory", t.xname);
    rc = -1;
  }
  if (rc == 0)
    rc = t.is_csv ? csv_to_f32(&t.csv, t.xname, s->x, err) : rt_array_to_f32(&t.x, s->x, err);
  if (rc == 0 && !d->ex.y_labels) {
    free(s->ids);
    s->ids = NULL;
    if (!(s->targets = malloc(ycount * sizeof *s->targets + 1))) {
      rt_error_set(err, "%s: out of memory", t.yname);
      rc = -1;
    } else if (t.is_csv) {
      for (size_t i = 0; i < ycount; i++)
        s->targets[i] = (float)t.csv.targets[i];
    } else {
      rc = rt_array_to_f32(&t.y, s->targets, err);
    }
  } else if (rc == 0 && t.is_csv) {
    memcpy(s->ids, t.csv.ids, ycount * sizeof *s->ids);
  }
  table_free(&t);
  if (rc == 0)
    rc = select_split(d, b, env, s, total, err);
  if (rc == 0) {
    d->norm_x = s->x;
    d->norm_rows = total;
    d->norm_idx = s->rows;
    d->normalize = host_binding_num(b, "normalize") != 0;
  }
  return rc;
}

/* ---- byte-level text -------------------------------------------------------- */

typedef struct text_set {
  rt_text text;
  rt_split split;
} text_set;

static void free_text(host_dataset *d) {
  text_set *t = d->impl;
  if (t)
    rt_text_free(&t->text);
  free(t);
}

static void gather_windows(const host_dataset *d, const uint32_t *idx, uint32_t count, bool f64,
                           void *x, void *y) {
  (void)f64;
  const text_set *t = d->impl;
  const long ctx = d->ex.context;
  for (uint32_t i = 0; i < count; i++) {
    size_t got = rt_text_windows(&t->text, t->split, 1, (int)ctx, idx[i], (int32_t *)x + i * ctx,
                                 (int32_t *)y + i * ctx);
    if (got != 1)
      abort(); /* the batcher draws indices below d->n */
  }
}

int host_load_text_file(host_dataset *d, const char *path, const char *split, double holdout,
                        rt_error *err) {
  text_set *t = d->impl = calloc(1, sizeof *t);
  if (!t) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  d->gather = gather_windows;
  d->free = free_text;
  bool all = strcmp(split, "all") == 0;
  if (rt_text_load(&t->text, path, all ? 0 : holdout, err) < 0)
    return -1;
  host_dataset_add_file(d, path);
  t->split = strcmp(split, "val") == 0 ? RT_SPLIT_VAL : RT_SPLIT_TRAIN;
  d->n = (long)rt_text_window_count(&t->text, t->split, (int)d->ex.context);
  if (d->n < 1) {
    size_t len = t->split == RT_SPLIT_VAL ? t->text.len - t->text.train_len : t->text.train_len;
    rt_error_set(err, "%s: the %s split has %zu bytes (of %zu), fewer than one window of %ld", path,
                 split, len, t->text.len, d->ex.context + 1);
    return -1;
  }
  return 0;
}

int host_load_text(host_dataset *d, const host_binding *b, const host_load_env *env, rt_error *err,
                   rt_error *hint) {
  (void)env;
  (void)hint;
  const char *path = host_binding_str(b, "file");
  double f = holdout(b, err);
  if (f < 0 || check_file(path, err) < 0)
    return -1;
  return host_load_text_file(d, path, host_binding_str(b, "split"), f, err);
}

/* ---- token binaries ------------------------------------------------------------ */

/* The windows of a token file: window w is tokens [first + w ctx, + ctx + 1). */
typedef struct token_set {
  rt_tokens tokens;
  size_t first;
  uint32_t vocab;
  int32_t *buf; /* [ctx + 1] */
} token_set;

static void free_tokens(host_dataset *d) {
  token_set *t = d->impl;
  if (t) {
    rt_tokens_close(&t->tokens);
    free(t->buf);
  }
  free(t);
}

static void gather_tokens(const host_dataset *d, const uint32_t *idx, uint32_t count, bool f64,
                          void *x, void *y) {
  (void)f64;
  token_set *t = d->impl;
  const long ctx = d->ex.context;
  for (uint32_t i = 0; i < count; i++) {
    rt_error err;
    size_t at = t->first + (size_t)idx[i] * (size_t)ctx;
    /* ids were checked at loading: only a file changed or cut since fails */
    if (rt_tokens_window(&t->tokens, at, (size_t)ctx + 1, t->vocab, t->buf, &err) < 0) {
      fprintf(stderr, "error: %s\n", err.msg);
      exit(1);
    }
    memcpy((int32_t *)x + i * ctx, t->buf, (size_t)ctx * sizeof(int32_t));
    memcpy((int32_t *)y + i * ctx, t->buf + 1, (size_t)ctx * sizeof(int32_t));
  }
}

/* The token width of the binding's dtype; 0 after the message. */
static int token_width(const host_binding *b, rt_error *err) {
  const char *dt = host_binding_str(b, "dtype");
  if (strcmp(dt, "u16") == 0)
    return 2;
  if (strcmp(dt, "u32") == 0)
    return 4;
  rt_error_set(err, "%s: unsupported token dtype \"%s\" (supported: \"u16\", \"u32\")",
               host_binding_str(b, "file"), dt);
  return 0;
}

/* Opens the binding's file; the vocabulary (the binding's, else 1 + the
 * largest id: one pass over the file) into *vocab. */
static int open_tokens(rt_tokens *t, const host_binding *b, uint32_t *vocab, rt_error *err) {
  const char *path = host_binding_str(b, "file");
  int width = token_width(b, err);
  if (!width || check_file(path, err) < 0 || rt_tokens_open(t, path, width, err) < 0)
    return -1;
  double v = host_binding_num(b, "vocab");
  if (v < 0 || v > INT32_MAX) {
    rt_error_set(err, "the vocab of tokens must be 0 (from the file) to %d, got %g", INT32_MAX, v);
    return -1;
  }
  uint32_t bound;
  if (rt_tokens_bound(t, &bound, err) < 0)
    return -1;
  *vocab = v > 0 ? (uint32_t)v : bound;
  if (bound > *vocab) {
    rt_error_set(err, "%s: a token id %u is out of range for vocab %u", path, bound - 1, *vocab);
    return -1;
  }
  return 0;
}

int host_probe_tokens(host_example *ex, const host_binding *b, rt_error *err, rt_error *hint) {
  (void)hint;
  rt_tokens t = {0};
  uint32_t vocab = 0;
  double v = host_binding_num(b, "vocab");
  int rc;
  if (v > 0) { /* no pass over the file at compile time */
    int width = token_width(b, err);
    const char *path = host_binding_str(b, "file");
    rc = width && check_file(path, err) == 0 ? rt_tokens_open(&t, path, width, err) : -1;
    vocab = (uint32_t)v;
  } else {
    rc = open_tokens(&t, b, &vocab, err);
  }
  rt_tokens_close(&t);
  ex->classes = (int)vocab;
  return rc < 0 || holdout(b, err) < 0 ? -1 : 0;
}

int host_load_tokens(host_dataset *d, const host_binding *b, const host_load_env *env,
                     rt_error *err, rt_error *hint) {
  (void)env;
  (void)hint;
  token_set *t = d->impl = calloc(1, sizeof *t);
  if (!t) {
    rt_error_set(err, "tokens: out of memory");
    return -1;
  }
  d->gather = gather_tokens;
  d->free = free_tokens;
  double f = holdout(b, err);
  if (f < 0 || open_tokens(&t->tokens, b, &t->vocab, err) < 0)
    return -1;
  host_dataset_add_file(d, t->tokens.path);
  d->ex.classes = (int)t->vocab;
  const size_t ctx = (size_t)d->ex.context, count = t->tokens.count;
  size_t val = (size_t)floor((double)count * f), len = count - val;
  if (split_is(b, "val")) {
    t->first = count - val;
    len = val;
  }
  d->n = len > ctx ? (long)((len - 1) / ctx) : 0;
  if (d->n < 1) {
    rt_error_set(err, "%s: the %s split has %zu tokens (of %zu), fewer than one window of %zu",
                 t->tokens.path, host_binding_str(b, "split"), len, count, ctx + 1);
    return -1;
  }
  if (d->n > UINT32_MAX) {
    rt_error_set(err, "%s: %ld windows of context %zu, more than %u: take a longer context",
                 t->tokens.path, d->n, ctx, UINT32_MAX);
    return -1;
  }
  t->buf = malloc((ctx + 1) * sizeof *t->buf);
  if (!t->buf) {
    rt_error_set(err, "tokens: out of memory");
    return -1;
  }
  return 0;
}
