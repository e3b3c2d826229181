/* drv_machine.h: a compiled program ready to run: its IR (kept for entry
 * lookups), the JIT-compiled code, one arena, a buffer for every per-step
 * input and the scalar inputs; and the program as the training host's model
 * (host_model.h): its training steps, its evaluation entries of every batch
 * size, its class scores and its persistent tensors. */
#ifndef DUET_DRV_MACHINE_H
#define DUET_DRV_MACHINE_H

#include <stdbool.h>

#include "core.h"
#include "drv_build.h"
#include "host_model.h"

#define DRV_MAX_OUTPUTS 8
#define DRV_MAX_EVALS   48

/* An evaluation entry of one batch size ("eval_step", "eval_step_<n>"). */
typedef struct drv_eval_entry {
  long batch;
  int whole, scores;         /* core entries; scores -1 unless compiled for prediction */
  int x, y;                  /* input indices */
  int out_loss, out_correct; /* output positions; out_correct -1 if none */
  kp_scores at;              /* where the scores are (with scores) */
} drv_eval_entry;

typedef struct drv_machine {
  ir_program *ir;  /* owned */
  core_exe *exe;   /* owned */
  void *arena;     /* owned (free) */
  void **inputs;   /* owned: [ir->ninputs] dense buffers, as declared */
  double *scalars; /* owned: [ir->nscalars] */
  ir_dtype real;
  /* the host view (drv_machine_host) */
  void **args; /* owned: the input pointers of one call */
  int step, logged, out_loss, out_logged_loss, out_nw, out_nu, x_in, y_in, t_scalar, s_scalar;
  int grad, apply, norms, out_grad_loss; /* data-parallel entries, or -1 */
  host_tensor *before;                   /* owned: the inputs `<weight>:before` */
  int *owner;                            /* owned: each weight's rank, or NULL */
  double *update_flops;                  /* owned: each weight's update cost, or NULL */
  int nevals;
  drv_eval_entry evals[DRV_MAX_EVALS];
  host_tensor *tensors; /* owned: the persistent tensors, then the gradients */
  int32_t *zeros;       /* owned: labels of a prediction batch */
} drv_machine;

/* Compiles p (taking ownership of it) and allocates everything. False
 * after printing `duet: internal error: ...`; p is freed then too. With
 * drv_machine_init_predict, every entry with class scores also gets an
 * entry up to them (core_compile_predict). */
bool drv_machine_init(drv_machine *m, ir_program *p);
bool drv_machine_init_predict(drv_machine *m, ir_program *p);
void drv_machine_free(drv_machine *m);

/* Sets scalar input `name` if the program declares it. */
void drv_machine_set(drv_machine *m, const char *name, double v);

/* Runs entry `entry` (a core_entry index); outputs go to out[], which
 * holds DRV_MAX_OUTPUTS values, by position; core_entry_output_name names
 * them. */
void drv_machine_run(drv_machine *m, int entry, double *out);

/* Index of output `name` of entry, or -1. */
int drv_machine_output(const drv_machine *m, int entry, const char *name);

/* Before compiling p: adds an evaluation entry for the remainder of each of
 * the n set sizes (the examples past the last whole evaluation batch).
 * Returns 0, or the exit code after printing the errors. */
int drv_machine_add_evals(ir_program *p, drv_source *s, const sema_experiment *e, const long *sizes,
                          int n);

/* The compiled program as a host model (valid while m is), with the
 * owners of the weights' updates and their costs (malloc'ed, then m's; or
 * NULL). Returns 0, or
 * 2 after printing an internal error. */
int drv_machine_host(drv_machine *m, host_model *out, int *owner, double *flops);

#endif
