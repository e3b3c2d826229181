/* data_sources.h: the data sources an experiment may bind
 * (`data train = fashion_mnist("train")`), declared once in data_sources.c:
 * for each its parameters with their kinds and defaults, its splits, the
 * shape and dtype of one example as a function of the arguments, the number
 * of classes, and its loader (data_loaders.c). The compiler checks bindings
 * and takes the input shapes from this table; `duet run`, `duet predict`
 * and the programs of `duet emit-c` load data through it. Plain C on the
 * runtime (rt_io.h): no compiler dependency. */
#ifndef DUET_HOST_DATA_SOURCES_H
#define DUET_HOST_DATA_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_io.h"

/* The kind of a source parameter, and of an argument value. */
typedef enum host_param_kind {
  HOST_STRING,   /* "train" */
  HOST_NUMBER,   /* any number */
  HOST_INT,      /* a whole number */
  HOST_INT_LIST, /* a list of whole numbers, or one */
  HOST_PATH,     /* a file: a string, relative paths resolved against the
                    directory of the .duet file (host_path_resolve) */
} host_param_kind;

/* A size in an example shape given by parameter k of the source (its value
 * or default) rather than by a constant. */
#define HOST_ARG(k) (-1 - (k))

/* What one example of a binding looks like. In the table, sizes may be
 * HOST_ARG(k); host_binding_check replaces them by the argument values. */
typedef struct host_example {
  const char *source; /* "fashion_mnist", "kjv", ... */
  bool x_tokens;      /* x is int32 token ids; else real features */
  int x_rank;         /* shape of one example (batch axis excluded) */
  long x_dims[3];
  bool y_labels; /* y is int32 class ids; else real targets */
  int y_rank;
  long y_dims[3];
  int classes;     /* number of classes (vocabulary for text); 0 for real targets */
  bool classifier; /* evaluation counts correct predictions */
  long context;    /* text: the window length; else 0 */
} host_example;

/* One argument of a binding, named by its parameter. */
typedef struct host_arg {
  const char *name;
  host_param_kind kind; /* HOST_STRING (also for paths), HOST_NUMBER (num) or HOST_INT_LIST */
  const char *s;
  double num;
  int nints;
  const long long *ints;
} host_arg;

/* A data binding: `name = source(args)`; the arguments given, in any order. */
typedef struct host_binding {
  const char *name;   /* "train", "test", ... */
  const char *source; /* a row of the table */
  int nargs;
  const host_arg *args;
} host_binding;

enum { HOST_MAX_PARAMS = 8 };

typedef struct host_param {
  const char *name;
  host_param_kind kind;
  double def;      /* default of a numeric parameter that is not required */
  const char *str; /* default of a string parameter that is not required */
} host_param;

/* Where loaders find their files and what they draw from. */
typedef struct host_load_env {
  uint64_t seed;        /* the experiment's: synthetic sources draw from it */
  const char *data_dir; /* the data directory, or NULL: $DUET_DATA
                           (host_data_dir) */
} host_load_env;

typedef struct host_dataset host_dataset;

enum { HOST_DATA_FILES = 2 }; /* files one binding reads, at most */

/* Fills d->n, d->gather, d->free and d->impl for binding b whose example
 * shape d->ex (and x_numel, y_numel) is already set. Returns 0, or -1 with
 * a message in err and, when a command can help, one in hint. */
typedef int (*host_load_fn)(host_dataset *d, const host_binding *b, const host_load_env *env,
                            rt_error *err, rt_error *hint);
/* Sources whose example shape comes from their files: fills ex (its
 * source set) from the headers (and labels) of b's files, at compile time.
 * Returns 0, or -1 with a message naming the file. */
typedef int (*host_probe_fn)(host_example *ex, const host_binding *b, rt_error *err,
                             rt_error *hint);

/* A loaded data set: n examples, example i being x [x_numel] (float/double
 * features or int32 tokens) and y [y_numel] (int32 labels or real targets).
 * impl is owned by the loader and released by free. */
struct host_dataset {
  const char *name; /* the binding's name (not owned) */
  host_example ex;
  long n, x_numel, y_numel;
  /* Examples idx[0 .. count) into x and y, real values as double when f64. */
  void (*gather)(const host_dataset *d, const uint32_t *idx, uint32_t count, bool f64, void *x,
                 void *y);
  void (*free)(host_dataset *d);
  void *impl;
  char *files[HOST_DATA_FILES]; /* the files read (NULL after the last), owned */
  /* Real features the host may normalize in place (host_norm.h), or NULL:
   * [norm_rows, x_numel] floats, the set's examples being rows norm_idx[i]
   * (all of them, in order, when norm_idx is NULL). */
  float *norm_x;
  long norm_rows;
  const uint32_t *norm_idx;
  bool normalize; /* the binding asks for normalization (as a training set) */
};

/* One row of the table. */
typedef struct host_source {
  const char *name;
  int nrequired; /* leading required parameters */
  int nparams;
  host_param params[HOST_MAX_PARAMS];
  const char *splits[4];       /* values of the parameter "split" (NULL-terminated) */
  host_example example;        /* sizes may be HOST_ARG(k) */
  float pixel_mean, pixel_std; /* images: x = (pixel / 255 - mean) / std; else 0 */
  host_load_fn load;
  host_probe_fn probe; /* or NULL: the shape is the table's */
} host_source;

int host_source_count(void);
const host_source *host_source_at(int i);
/* The row named `name`, or NULL. */
const host_source *host_source_find(const char *name);

/* Checks binding b against its row (kinds, lists, splits, sizes of at least
 * 1) and fills its example shape: from the table, or for file sources from
 * the files (reading their headers). Returns 0, or -1 with a message (and
 * maybe a hint) naming the argument or the file. */
int host_binding_check(const host_binding *b, host_example *out, rt_error *err, rt_error *hint);
/* The same without reading files: the arguments only (the shape of a file
 * source is then its row's, not the files'). */
int host_binding_check_args(const host_binding *b, host_example *out, rt_error *err,
                            rt_error *hint);

/* The numeric argument `name` of b, or its default. */
double host_binding_num(const host_binding *b, const char *name);
/* The string argument `name` of b, or its default (NULL when none). */
const char *host_binding_str(const host_binding *b, const char *name);
/* The argument `name` of b, or NULL. */
const host_arg *host_binding_arg(const host_binding *b, const char *name);

/* Loads binding b (checked) into d. Returns 0, or -1 with err (and hint). */
int host_dataset_load(host_dataset *d, const host_binding *b, const host_load_env *env,
                      rt_error *err, rt_error *hint);
void host_dataset_free(host_dataset *d);

/* Whether two examples have the same shape and kinds (one program reads both). */
bool host_example_same(const host_example *a, const host_example *b);
long host_numel(int rank, const long *dims);
/* "x [28, 28] real, y [] class ids" into out[cap]. */
void host_example_text(const host_example *ex, char *out, size_t cap);

/* The data directory: env->data_dir when set, else $DUET_DATA when set and
 * not empty, else NULL. Every file-backed source looks there first:
 * kjv.txt (default: data/kjv.txt under the working directory), and
 * fashion-mnist/ with the four IDX files of Fashion-MNIST (default: its
 * Debian package's directory, RT_FASHION_MNIST_DIR). */
const char *host_data_dir(const host_load_env *env);

/* "<data directory>/<file>" into out[cap]: under env->data_dir when set,
 * else rt_data_path ($DUET_DATA, else ./data). */
int host_data_file(char *out, size_t cap, const host_load_env *env, const char *file,
                   rt_error *err);

/* A path argument resolved: absolute paths as they are, relative ones
 * against dir (the directory of the .duet file), into out[cap]. Returns
 * -1 when it does not fit. */
int host_path_resolve(char *out, size_t cap, const char *dir, const char *path);

/* Records path as one of the files d reads (for the run's provenance). */
void host_dataset_add_file(host_dataset *d, const char *path);

#endif
