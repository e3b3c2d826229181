/* drv_gradient.h: entry points that expose the model's loss and gradients
 * (for gradient checking): the forward pass and loss of an elaborated
 * program's train_step, copied into new entries, and reverse-mode
 * gradients of every parameter written to new persistent tensors. */
#ifndef DUET_DRV_GRADIENT_H
#define DUET_DRV_GRADIENT_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
