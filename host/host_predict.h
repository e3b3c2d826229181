/* host_predict.h: predictions of a model (host_model.h) for the examples
 * of a file, printed as classes or, with labels, as accuracy and mean
 * loss, with the throughput on stderr (docs/deploy.md). `duet predict` and
 * the predict program of `duet emit-c` both run it. */
#ifndef DUET_HOST_PREDICT_H
#define DUET_HOST_PREDICT_H

#include "data_sources.h"
#include "host_model.h"
#include "host_norm.h"

typedef struct host_predict_opts {
  const char *prog;    /* "duet", "predict": prefix of error messages */
  const char *weights; /* --weights FILE, or NULL */
  const char *kind;    /* "--idx", "--raw", "--text" or "--data" */
  const char *examples, *labels, *predictions;
  const char *scores;   /* --scores OUT: the class scores as float32, or NULL */
  long threads, repeat; /* repeat: 1 unless --repeat */
  const char *conv;     /* --conv auto|im2col|onednn|RUN_DIR (host_conv.h), or NULL: auto */
  /* Set by the program before host_examples_load: */
  const host_binding *binding; /* --data NAME: the experiment's binding */
  host_load_env env;           /*   and where it loads from */
  const host_norm *norm;       /* the training set's normalization, or NULL */
} host_predict_opts;

/* Parses the option at argv[i] if it is one of predict's (--idx IMAGES
 * [LABELS], --raw EXAMPLES [LABELS], --text FILE, --data NAME, --weights FILE, --threads
 * N, --repeat K, --predictions OUT, --scores OUT, --conv PATH). Returns the number of arguments taken,
 * 0 for another option, or -1 with a message in err. */
int host_predict_option(host_predict_opts *o, int i, int argc, char **argv, rt_error *err);

/* The examples of a file and their labels, in the layout of `ex` (the
 * training set's examples, source `train_source`). */
typedef struct host_examples {
  long n, x_numel, y_numel;
  void *x;    /* [n * x_numel] floats or int32 tokens, owned */
  int32_t *y; /* [n * y_numel] labels, or NULL; owned */
} host_examples;

/* The normalization a model trained on binding `train` needs, from the
 * metadata of its weights file w (NULL: none at hand) into nm (channels 0:
 * none). Returns -1 with a message when the model needs statistics that
 * w does not hold. */
int host_predict_norm(host_norm *nm, const rt_st_file *w, const host_binding *train,
                      const host_example *ex, rt_error *err);

/* Loads the examples o names (features of --idx and --data normalized
 * with o->norm). Returns 0, or -1 with a message. */
int host_examples_load(host_examples *x, const host_predict_opts *o, const host_example *ex,
                       rt_error *err);
void host_examples_free(host_examples *x);

/* Predicts every example (o->repeat times), writes the classes to
 * o->predictions and the scores to o->scores, prints the classes (without labels) or the accuracy and
 * the mean loss (with labels), and the throughput. Returns the exit code. */
int host_predict(const host_model *m, const host_predict_opts *o, const host_examples *x);

#endif
