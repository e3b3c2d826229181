/* drv_gradient.h: gradient checking. Entry points that expose the model's
 * loss and gradients (the forward pass and loss of an elaborated program's
 * train_step, copied into new entries, and reverse-mode gradients of every
 * parameter written to new persistent tensors), and the comparison of a
 * weight's gradient with central finite differences of the loss, each with
 * an estimate of its own error, ending in a verdict per weight. */
#ifndef DUET_DRV_GRADIENT_H
#define DUET_DRV_GRADIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drv_machine.h"
#include "ir.h"

/* Name of the tensor that receives the gradient of parameter `param`. */
#define DRV_GRAD_PREFIX "gradient/"

/* Adds to p (built by elab_experiment, not yet compiled):
 *   loss_entry  the loss of train_step on the same inputs (output "loss");
 *   grad_entry  the same loss, and d loss / d parameter assigned to the
 *               state tensor DRV_GRAD_PREFIX<parameter name> of every
 *               parameter.
 * False with a message in err on failure. */
bool drv_gradient_entries(ir_program *p, const char *grad_entry, const char *loss_entry, char *err,
                          size_t errlen);

/* ---- comparison with finite differences --------------------------------- */

/* Coordinates of largest |gradient| probed one at a time, per weight. */
#define DRV_FD_COORDS 3
/* A difference counts as wrong above tol * |derivative| plus this many
 * times the estimated error of the finite difference; a derivative at most
 * this many times that error is too small to resolve. (On the 768
 * derivatives of the examples and the test models, |difference| / error
 * was at most 3.6, median 0.5.) */
#define DRV_FD_MARGIN 10.0

typedef struct drv_fd_settings {
  long directions; /* random unit directions per weight */
  double tol;      /* relative error allowed beyond the finite-difference error */
  double step;     /* > 0: the one step, relative to max(1, RMS of the weight);
                      0: chosen per direction (least estimated error) */
  uint64_t seed;   /* of the random directions */
} drv_fd_settings;

/* One compared derivative: the weight's gradient along a direction. */
typedef struct drv_fd_probe {
  long coord;   /* the coordinate, or -1: a random unit direction */
  double ad;    /* reverse mode: gradient . direction */
  double fd;    /* central difference of the loss at `step` */
  double step;  /* absolute */
  double error; /* estimated error of fd: noise / step + truncation */
} drv_fd_probe;

typedef enum {
  DRV_FD_OK,        /* agrees where finite differences resolve it */
  DRV_FD_TOO_SMALL, /* below what finite differences resolve, and agrees */
  DRV_FD_WRONG      /* differs by well more than the finite-difference error */
} drv_fd_verdict;

typedef struct drv_fd_result {
  double grad_norm;
  double noise; /* estimated rounding noise of the loss near the weights */
  int nprobes;
  drv_fd_probe *probes; /* malloc-owned: [nprobes] */
  drv_fd_verdict verdict;
} drv_fd_result;

/* The verdict on one probe and on a whole weight (WRONG if a probe is,
 * else OK if a probe is, else TOO_SMALL). */
drv_fd_verdict drv_fd_probe_verdict(const drv_fd_probe *p, double tol);
drv_fd_verdict drv_fd_weight_verdict(const drv_fd_probe *p, int n, double tol);

/* Compares g, the gradient of the weight w (n values inside m's arena) from
 * its grad entry, with central differences of the loss (output 0 of entry
 * loss_entry of m) along s->directions random unit directions (random
 * stream `stream`) and the DRV_FD_COORDS coordinates of largest |g|. w is
 * perturbed and restored bit for bit. Fills r (free with drv_fd_free). */
void drv_fd_check(drv_machine *m, int loss_entry, double *w, const double *g, long n,
                  const drv_fd_settings *s, uint64_t stream, drv_fd_result *r);
void drv_fd_free(drv_fd_result *r);

#endif
