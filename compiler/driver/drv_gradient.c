/* drv_gradient.c: the loss and gradient entries of gradient checking. The
 * nodes train_step's "loss" output depends on (its forward pass) are copied
 * into a new entry, with one IR_TENSOR node per parameter, and ad_grad
 * differentiates the copy (see drv_gradient.h). */
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

/* Copies the nodes `root` depends on from `src` into `dst`. tensors[k]
 * receives the copy's IR_TENSOR node of tensor k (one per tensor), or
 * NULL. Returns the copy of root, or NULL (message in dst->err). */
static ir_node *copy_cone(const ir_graph *src, const ir_node *root, ir_graph *dst,
                          ir_node **tensors) {
  int n = src->nnodes;
  char *needed = calloc((size_t)n, 1);
  ir_node **map = calloc((size_t)n, sizeof *map);
  ir_node *in[64];
  if (!needed || !map)
    abort();
  needed[root->id] = 1;
  for (int i = n - 1; i >= 0; i--)
    for (int k = 0; needed[i] && k < src->nodes[i]->nin; k++)
      needed[src->nodes[i]->in[k]->id] = 1;
  bool ok = true;
  for (int i = 0; ok && i < n; i++) {
    const ir_node *s = src->nodes[i];
    if (!needed[i])
      continue;
    ir_set_loc(dst, s->loc);
    if (s->op == IR_PART) {
      map[i] = ir_part(dst, map[s->in[0]->id], s->attr.index);
    } else if (s->op == IR_TENSOR && tensors[s->attr.index]) {
      map[i] = tensors[s->attr.index];
    } else {
      if (s->nin > (int)(sizeof in / sizeof in[0])) {
        snprintf(dst->err, IR_ERR_LEN, "%s: too many operands to copy", ir_op_name(s->op));
        ok = false;
        break;
      }
      for (int k = 0; k < s->nin; k++)
        in[k] = map[s->in[k]->id];
      map[i] = ir_node_new(dst, s->op, s->nin, in, &s->attr);
      if (s->op == IR_TENSOR)
        tensors[s->attr.index] = map[i];
    }
    ok = map[i] != NULL;
  }
  ir_node *out = ok ? map[root->id] : NULL;
  free(needed);
  free(map);
  return out;
}

/* A new entry with the copied loss; NULL with a message in err. */
static ir_graph *loss_entry_of(ir_program *p, const char *name, ir_node **tensors, ir_node **loss,
                               char *err, size_t errlen) {
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
  *loss = copy_cone(step, root, g, tensors);
  if (!*loss || ir_output_add(g, "loss", *loss) < 0) {
    snprintf(err, errlen, "copying the loss of train_step: %s", ir_error(g));
    return NULL;
  }
  return g;
}

bool drv_gradient_entries(ir_program *p, const char *grad_entry, const char *loss_entry, char *err,
                          size_t errlen) {
  int nt = p->ntensors, np = 0;
  ir_node **tensors = calloc((size_t)nt + 1, sizeof *tensors);
  ir_node **wrt = calloc((size_t)nt + 1, sizeof *wrt);
  ir_node **grads = calloc((size_t)nt + 1, sizeof *grads);
  int *which = calloc((size_t)nt + 1, sizeof *which);
  if (!tensors || !wrt || !grads || !which)
    abort();
  ir_node *loss;
  bool ok = loss_entry_of(p, loss_entry, tensors, &loss, err, errlen) != NULL;
  memset(tensors, 0, (size_t)nt * sizeof *tensors);
  ir_graph *g = ok ? loss_entry_of(p, grad_entry, tensors, &loss, err, errlen) : NULL;
  ok = g != NULL;
  for (int i = 0; ok && i < nt; i++) {
    if (p->tensors[i].kind != IR_PARAM)
      continue;
    wrt[np] = tensors[i] ? tensors[i] : ir_tensor_ref(g, i);
    which[np++] = i;
  }
  if (ok && ad_grad(g, loss, np, wrt, grads) < 0) {
    snprintf(err, errlen, "differentiating the loss: %s", ir_error(g));
    ok = false;
  }
  for (int k = 0; ok && k < np; k++) {
    const ir_tensor_decl *t = &p->tensors[which[k]];
    char name[1024];
    snprintf(name, sizeof name, DRV_GRAD_PREFIX "%s", t->name);
    int gi = ir_state(p, name, t->shape.rank, t->shape.d, (ir_init){IR_INIT_ZEROS, 0, 0, 0});
    if (gi < 0 || ir_assign_add(g, gi, grads[k]) < 0) {
      snprintf(err, errlen, "gradient of %s: %s", t->name, gi < 0 ? p->err : ir_error(g));
      ok = false;
    }
  }
  free(tensors);
  free(wrt);
  free(grads);
  free(which);
  return ok;
}
