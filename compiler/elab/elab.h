/* elab.h: the elaborator. Translates a checked experiment (sema.h: its
 * module tree, loss, optimizers and data) into a graph-IR training program
 * (ir.h) with the entry points the driver runs. Read the contract below. */
#ifndef DUET_ELAB_H
#define DUET_ELAB_H

/*
 * THE PROGRAM. elab_experiment() returns an ir_program (owned by the
 * caller: ir_program_free) in the real dtype of the options, declaring
 *   - one parameter per model weight, named by the weight's path
 *     (`model.MLP[0].Linear.W`), in mt_model.weights order: the tensor index
 *     of weight i is i; then the optimizer state buffers, named
 *     `<weight path>:<state name>` (`model.MLP[0].Linear.W:m`); then (with
 *     train_step_logged) the start directions of its norm estimates, named
 *     `<atom path>:norm_v<k>` and `<atom path>:update_norm_v<k>`;
 *   - per-step inputs `x` (one batch of examples) and `y` (their labels or
 *     targets), shaped by the experiment's `train` data source (see
 *     elab_data_info) for the training batch; an evaluation entry with
 *     another batch b has its own inputs `x:b` and `y:b`
 *     (elab_entry_inputs finds them);
 *   - scalar inputs `t` (the step number, 1 at the first step), `schedule`
 *     (the value of the learning-rate schedule at that step, computed by the
 *     driver) and `seed` (for `init`).
 * Entry points:
 *   train_step         forward, loss, gradients, one optimizer step for
 *                      every weight; output `loss` (before the step).
 *   train_step_logged  the same step, plus the outputs `norm_weights` (the
 *                      model's modular norm of the weights before the step)
 *                      and `norm_update` (of new - old weights), with every
 *                      spectral() of the atoms' norms estimated by
 *                      warm-started Lanczos (docs/language.md); it also
 *                      assigns the estimates' next start directions.
 *   grad_step          (split) forward, loss and gradients: output `loss`,
 *                      every weight's gradient assigned to its IR_GRAD
 *                      tensor `<weight path>:grad` (declared after the
 *                      weights, before the optimizer state);
 *   apply_step         (split) the optimizer step of train_step on the
 *                      gradients in those tensors.
 *   step_norms         (split) the outputs norm_weights and norm_update of
 *                      train_step_logged, from the inputs `<weight
 *                      path>:before` (the weights before the step) and the
 *                      weights (after it).
 *   eval_step          forward and loss at the evaluation batch: outputs
 *                      `loss` and, for classifiers, `correct` (the number of
 *                      examples whose largest logit is the label).
 *   init               every weight and state from its initializer.
 *
 * RULES the translation follows (the language's meaning of bodies):
 *   - Forward bodies see the atom's or bond's parameters and `let`s as
 *     constants, its weights as tensors and the forward inputs bound to the
 *     incoming values; a module with several forward inputs receives a
 *     tuple. A shape pattern `x[.., n, h]` is checked against the incoming
 *     shape; pattern names that are not parameters (`h`) are bound to the
 *     incoming dimension. Sequence folds, tuple gives a tuple of values, sum
 *     adds, `a * m` scales, identity passes the input on.
 *   - Optimizer bodies run once per weight, statements in order (a later
 *     statement sees earlier assignments), with `grad`, `weight`, `t`,
 *     `schedule`, the optimizer's arguments and its state buffers in scope.
 *     `dualize(u)` is share(atom) * (the atom's dualize body with its input
 *     bound to u); for an atom with several weights the dualize body must
 *     be a tuple with one map per weight, and the map of weight i may use
 *     only the i-th input. An atom of step share 0 gets dualize(u) = 0.
 *   - Orthogonal initialization of a weight of rank r >= 2 makes every
 *     slice W[:, :, i, j, ...] an orthogonal [dim 0, dim 1] matrix: the
 *     first two axes are the matrix (stored [out, in]), the trailing axes
 *     (kernel taps) index independent matrices.
 *   - Number arithmetic is folded at compile time; compile-time conditions
 *     of `c ? a : b` choose a branch, tensor conditions select elementwise.
 *   - Reductions with an axis argument keep that axis (size 1) so the
 *     result broadcasts against the operand: `x - mean(x, -1)`.
 *
 * ERRORS are reported to the diagnostics context at the source expression,
 * naming the module path and the shapes involved; several per run where
 * independent parts (tuple branches, atoms' norm and dualize bodies,
 * optimizers of different weights) can be checked separately.
 */

#include <stdbool.h>

#include "diag.h"
#include "ir.h"
#include "data_sources.h"
#include "sema.h"

typedef struct elab_options {
  ir_dtype dtype;       /* IR_F32 (the zero value) or IR_F64 */
  long long batch;      /* training batch; 0: the experiment's */
  long long eval_batch; /* batch of eval_step; 0: the training batch;
                           < 0: no eval_step */
  bool no_logged;       /* leave out train_step_logged */
  bool split;           /* data-parallel: grad_step, apply_step and
                           step_norms instead of train_step and
                           train_step_logged (see below) */
} elab_options;

/* What one example of a data source looks like: the row of the
 * data-source table (host/data_sources.h) with the binding's sizes. */
typedef host_example elab_data_info;

/* Fills *out for a data binding (`fashion_mnist("train")`). Reports an error
 * and returns false for a source without an entry in the table. */
bool elab_data_info_of(const sema_data *d, elab_data_info *out, diag_ctx *dg);

/* Builds the training program (see above). NULL after reporting errors to d.
 * `o` may be NULL (all defaults). */
ir_program *elab_experiment(const sema_result *r, const sema_experiment *e, const elab_options *o,
                            diag_ctx *d);

/* Adds an evaluation entry `name` for batch size `batch` to a program built
 * by elab_experiment for the same experiment (e.g. for the last, partial
 * batch of a test set). False after reporting errors. */
bool elab_add_eval(ir_program *p, const sema_result *r, const sema_experiment *e, long long batch,
                   const char *name, diag_ctx *d);

/* `duet dualcheck`: adds to a program built by elab_experiment for e, for
 * every atom instance k (its atom_index) and each of its weights, the state
 * tensors ELAB_DUALCHECK_G<path> (a gradient), ELAB_DUALCHECK_D<path> (its
 * dualized direction) and ELAB_DUALCHECK_P<path> (a probe direction), and
 * the entries
 *   ELAB_DUALCHECK_DUALIZE<k>  D = the atom's dualize rule on G (without the
 *                              step share; every polar(.) exact, by SVD);
 *                              outputs `norm`, the atom's declared norm at
 *                              D, and `inner`, <G, D> summed over weights;
 *   ELAB_DUALCHECK_NORM<k>     output `norm`, the declared norm at P.
 * Norms are exact (spectral by SVD); the weights are the point where
 * norms and rules that read them are evaluated. False after errors. */
#define ELAB_DUALCHECK_G       "dualcheck/G/"
#define ELAB_DUALCHECK_D       "dualcheck/D/"
#define ELAB_DUALCHECK_P       "dualcheck/P/"
#define ELAB_DUALCHECK_DUALIZE "dualcheck_dualize/"
#define ELAB_DUALCHECK_NORM    "dualcheck_norm/"
bool elab_add_dualcheck(ir_program *p, const sema_result *r, const sema_experiment *e, diag_ctx *d);

/* Elaborates only to report errors (shape mismatches, bodies that do not
 * translate, dualize outputs and optimizer states of the wrong shape) for
 * `duet check`: what elab_experiment builds for `duet run` (the training
 * steps, with the norms of the atoms; eval_step when e evaluates; init)
 * and the dualize bodies no optimizer calls, in double precision, then
 * frees the result. True when no error was found. */
bool elab_check(const sema_result *r, const sema_experiment *e, diag_ctx *d);

/* The inputs an entry reads: indices into p->inputs of its examples (x)
 * and labels/targets (y), and its batch size. False if the entry does not
 * exist or reads no inputs. */
bool elab_entry_inputs(const ir_program *p, const char *entry, int *x, int *y, long *batch);

/* One weight of the model as the program holds it. */
typedef struct elab_weight {
  const mt_weight *weight;
  int tensor;                /* index of its parameter in p->tensors */
  const sema_optimizer *opt; /* the optimizer that steps it */
  int nstates;
  int *states; /* indices of its state buffers in p->tensors */
} elab_weight;

/* One entry per model weight (e->model->weights order), allocated in `a`.
 * NULL if p does not hold every weight (not built for e). */
elab_weight *elab_weights(arena *a, const ir_program *p, const sema_experiment *e);

#endif
