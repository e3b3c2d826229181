/* drv_gradient.c: the loss and gradient entries of gradient checking. The
 * nodes train_step's "loss" output depends on (its forward pass) are copied
 * into a new entry (ir_graph_copy) and ad_grad_tensors differentiates the
 * copy (see drv_gradient.h). */
#include "drv_gradient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"

static const ir_node *output_node(const ir_graph *g, const char *name) {
  for (int i = 0; i < g->noutputs; i++)
    if (strcmp(g->outputs[i].name, name) == 0)
      return g->outputs[i].node;
  return NULL;
}

/* A new entry with a copy of train_step's loss; NULL with a message in err. */
static ir_graph *loss_entry_of(ir_program *p, const char *name, ir_node **loss, char *err,
                               size_t errlen) {
  const ir_graph *step = ir_find_entry(p, "train_step");
  const ir_node *root = step ? output_node(step, "loss") : NULL;
  if (!root) {
    snprintf(err, errlen, "the program has no train_step with a loss");
    return NULL;
  }
  ir_graph *g = ir_entry(p, name);
  if (!g) {
    snprintf(err, errlen, "%s", p->err);
    return NULL;
  }
  ir_node *const roots[1] = {(ir_node *)root};
  if (ir_graph_copy(g, step, 1, roots, loss) < 0 || ir_output_add(g, "loss", *loss) < 0) {
    snprintf(err, errlen, "copying the loss of train_step: %s", ir_error(g));
    return NULL;
  }
  return g;
}

bool drv_gradient_entries(ir_program *p, const char *grad_entry, const char *loss_entry, char *err,
                          size_t errlen) {
  int nt = p->ntensors, np = 0;
  int *params = calloc((size_t)nt + 1, sizeof *params);
  ir_node **grads = calloc((size_t)nt + 1, sizeof *grads);
  if (!params || !grads)
    abort();
  for (int i = 0; i < nt; i++)
    if (p->tensors[i].kind == IR_PARAM)
      params[np++] = i;
  ir_node *loss;
  ir_graph *g = NULL;
  if (loss_entry_of(p, loss_entry, &loss, err, errlen))
    g = loss_entry_of(p, grad_entry, &loss, err, errlen);
  bool ok = g != NULL;
  if (ok && ad_grad_tensors(g, loss, np, params, grads) < 0) {
    snprintf(err, errlen, "differentiating the loss: %s", ir_error(g));
    ok = false;
  }
  for (int k = 0; ok && k < np; k++) {
    const ir_tensor_decl *t = &p->tensors[params[k]];
    char name[1024];
    snprintf(name, sizeof name, DRV_GRAD_PREFIX "%s", t->name);
    int gi = ir_state(p, name, t->shape.rank, t->shape.d, (ir_init){IR_INIT_ZEROS, 0, 0, 0});
    if (gi < 0 || ir_assign_add(g, gi, grads[k]) < 0) {
      snprintf(err, errlen, "gradient of %s: %s", t->name, gi < 0 ? p->err : ir_error(g));
      ok = false;
    }
  }
  free(params);
  free(grads);
  return ok;
}
