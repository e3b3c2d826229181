/* host_evaluate.h: what an evaluation measures on a model: the mean loss
 * and accuracy over a whole data set (evaluate.c), the metric
 * singular_values (spectrum.c) and the metric head_ablation (heads.c), and
 * the plots of the last two over one run or several. */
#ifndef DUET_HOST_EVALUATE_H
#define DUET_HOST_EVALUATE_H

#include "data_sources.h"
#include "host_experiment.h"
#include "host_model.h"
#include "host_report.h"

/* Buffers for one evaluation batch (owned; made once per run). */
typedef struct host_eval_buffers {
  uint32_t *idx;
  void *x, *y;
  size_t xbytes, ybytes; /* of one example */
} host_eval_buffers;

/* Room for m->eval_batch examples of d's shape; -1 when out of memory. */
int host_eval_buffers_init(host_eval_buffers *b, const host_model *m, const host_dataset *d);
void host_eval_buffers_free(host_eval_buffers *b);

/* What host_eval_set and host_heads_eval return after a signal
 * (host_interrupt.h) stopped them between two batches. */
#define HOST_EVAL_INTERRUPTED (-2)

/* The mean loss and the number correct of n examples (x, y: xbytes and
 * ybytes each): the model's evaluation of n examples, or where it has none
 * (a program emitted for other data), the largest power of two below n
 * and the rest, each the same way (emit-c compiles entries for the powers
 * of two below the evaluation batch). -1 when the model cannot. */
int host_eval_batch(const host_model *m, const void *x, const void *y, long n, size_t xbytes,
                    size_t ybytes, double *loss, double *correct);

/* Mean loss over every example of d in batches of m->eval_batch (the last
 * one shorter), and the fraction classified correctly (NaN when the model
 * counts no correct predictions). Returns -1 with a message when the model
 * cannot evaluate a batch of the remainder's size, HOST_EVAL_INTERRUPTED
 * after SIGINT or SIGTERM. */
int host_eval_set(const host_model *m, const host_dataset *d, host_eval_buffers *b, double *loss,
                  double *accuracy, rt_error *err);

/* At most this many singular values (the largest) are logged. */
#define HOST_MAX_SV 32

/* The singular values of sp's product W_k ... W_1 in m's current state,
 * largest first, into sv[HOST_MAX_SV]; returns how many (min(rows, cols),
 * at most HOST_MAX_SV). NaN values when the SVD fails. */
int host_spectrum_eval(const host_model *m, const host_spectrum *sp, double *sv);

/* The metrics key of singular value j (from 1): "sv<j>", into out[cap]. */
void host_sv_key(char *out, size_t cap, int j);

/* At most this many heads are ablated (over all matched weights). */
#define HOST_MAX_HEADS 32

/* One ablated head: its metrics key "head<i>_<h>" (matched weight i and
 * head h, both from 1) and the loss increase. */
typedef struct host_head_value {
  char key[32];
  double increase;
} host_head_value;

/* The loss increase of every head of ab on `set` in m's current state,
 * weight by weight and head by head, into out[HOST_MAX_HEADS]; returns how
 * many, or -1 with a message (HOST_EVAL_INTERRUPTED after a signal). Each
 * head's block is restored bit for bit after its evaluation, also when it
 * is interrupted. */
int host_heads_eval(const host_model *m, const host_ablation *ab, const host_dataset *set,
                    host_eval_buffers *b, host_head_value *out, rt_error *err);

/* singular_values.svg: every sv<j> series of n runs against steps, named
 * "sv<j>", or "<label> sv<j>" when labels is not NULL. Writes nothing and
 * returns 0 when no run has them. */
int host_plot_spectra(const char *path, const host_history *const *runs, const char *const *labels,
                      int n, rt_error *err);

/* heads.svg: every head<i>_<h> series of n runs against steps, named by
 * the key, or "<label> <key>" when labels is not NULL. Writes nothing and
 * returns 0 when no run has them. */
int host_plot_heads(const char *path, const host_history *const *runs, const char *const *labels,
                    int n, rt_error *err);

#endif
