/* host_model.h: the one interface between the training host and a compiled
 * model: the JIT-compiled program of `duet run`/`duet predict`
 * (compiler/driver/drv_machine.c) and the C program of `duet emit-c`
 * (runtime/deploy/model_api.c.in) both implement it. Examples are dense
 * row-major arrays in the layout the data-source table describes (x: real
 * values of the model's dtype or int32 tokens; y: int32 labels or real
 * targets). */
#ifndef DUET_HOST_MODEL_H
#define DUET_HOST_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum { HOST_MAX_RANK = 8 };

/* One persistent tensor (weight or optimizer state) of the model. */
typedef struct host_tensor {
  const char *name; /* its path: "model[1].MLP[0].Linear.W", "...:m" */
  int rank;
  long shape[HOST_MAX_RANK];
  long count;
  bool is_param; /* a weight (else optimizer or estimator state) */
  void *data;    /* count reals inside the model's state (owned by it);
                    NULL: optimizer state another rank keeps (a weight
                    this process does not own, docs/distributed.md) */
} host_tensor;

typedef struct host_model {
  void *self;      /* the implementation's state, passed to every call */
  bool f64;        /* reals are double (else float) */
  long batch;      /* examples of a training step */
  long eval_batch; /* examples of an evaluation or prediction batch, at most */
  int classes;     /* class scores per label of a prediction (0: none) */
  int ntensors;
  const host_tensor *tensors; /* the persistent tensors, in program order */
  double compile_s;           /* seconds spent compiling (-1: compiled ahead of time) */
  /* Every weight and state from the initializers and seed. */
  void (*init)(void *self, uint64_t seed);
  /* The optimizer states computed from the weights (`state s = f(weight)`)
   * recomputed from the current weights; NULL when there are none. */
  void (*init_state)(void *self);
  /* One optimizer step on `batch` examples at step t (from 1) with schedule
   * value `schedule`; returns the loss before the step. With norms, the
   * logged step: norms[0] = norm of the weights, norms[1] = of the update
   * (NaN when the program has none). */
  double (*train_step)(void *self, const void *x, const void *y, long t, double schedule,
                       double *norms);
  /* Mean loss of n examples and the number predicted correctly (NaN when
   * the program counts none). Returns -1 when the model has no evaluation
   * of n examples. */
  int (*eval)(void *self, const void *x, const void *y, long n, double *loss, double *correct);
  /* The predicted class of every label of n <= eval_batch examples (the
   * first largest score), into pred, and when scores is not NULL the
   * scores themselves, `classes` per label. Returns -1 when the model
   * predicts no classes or n is out of range. NULL: no predictions. */
  int (*predict)(void *self, const void *x, long n, int32_t *pred, float *scores);
  /* Data-parallel training (docs/distributed.md), NULL when the model was
   * compiled for one process (then train_step is not NULL): grad_step
   * returns the loss of `batch` examples and leaves the gradient of the
   * i-th weight in grads[i] (ngrads of them, the weights in program order,
   * which the caller may change), calling ready(arg, i) (when not NULL)
   * as soon as grads[i] is final, once for each i, in the order the
   * backward pass completes them; apply_step is the optimizer step of
   * train_step on those gradients for the weights this process owns
   * (owner[i], a rank, for weight i); step_norms gives the norms of a
   * logged train_step (as there) from the weights before the step, which
   * the caller copied into before[i], and the weights now. */
  double (*grad_step)(void *self, const void *x, const void *y, void (*ready)(void *arg, int i),
                      void *arg);
  void (*apply_step)(void *self, long t, double schedule);
  void (*step_norms)(void *self, double *norms);
  int ngrads;
  const host_tensor *grads;
  const host_tensor *before;
  const int *owner;
  const double *update_flops; /* the estimated cost of each weight's update */
} host_model;

/* The tensor called `name`, or NULL. */
const host_tensor *host_model_tensor(const host_model *m, const char *name);

#endif
