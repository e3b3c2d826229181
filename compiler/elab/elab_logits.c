/* elab_logits.c: the forward program of a language model (elab_logits.h):
 * the model's parameters, the token windows `x`, and the entry that
 * translates the forward pass and assigns its output to a state tensor.
 * Errors name the experiment's declaration, loss or model. */
#include "elab_logits.h"

#include <string.h>

#include "elab_int.h"

/* The `train` binding of e, or NULL. */
static const sema_data *train_data(const sema_experiment *e) {
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, "train") == 0)
      return &e->data[i];
  return NULL;
}

/* Checks that e trains on token windows with cross_entropy; fills c->data. */
static bool language_model(el_ctx *c) {
  const sema_experiment *e = c->e;
  const sema_data *train = train_data(e);
  if (!train) {
    diag_error(c->d, e->decl->name_loc, "experiment %s has no `train` data", e->name);
    return false;
  }
  if (!elab_data_info_of(train, &c->data, c->d))
    return false;
  if (!c->data.x_tokens || c->data.context < 1 || !c->data.y_labels) {
    diag_error(c->d, train->loc,
               "experiment %s is not a language model: its `train` data, %s, is "
               "not text",
               e->name, train->source);
    diag_hint(c->d, "text is generated from models trained on windows of tokens, such as kjv(...)");
    return false;
  }
  if (strcmp(e->loss, "cross_entropy") != 0) {
    diag_error(c->d, e->loss_loc,
               "experiment %s is not a language model: its loss is %s, not "
               "cross_entropy",
               e->name, e->loss);
    return false;
  }
  return true;
}

/* The entry: logits of the windows x, checked to be [batch, context, vocab]
 * and assigned to the state tensor. */
static bool build_entry(el_ctx *c) {
  ir_graph *g = ir_entry(c->p, ELAB_LOGITS_ENTRY);
  if (!g) {
    diag_internal(c->d, c->e->decl->name_loc, "%s", c->p->err);
    return false;
  }
  int xi, yi;
  if (!el_declare_inputs(c, c->batch, &xi, &yi))
    return false;
  el_tx x;
  el_tx_init(&x, c, g);
  ev out = el_forward(&x, c->m->root, ev_tensor(ir_input_ref(g, xi)));
  if (out.kind == EV_ERR)
    return false;
  long want[3] = {(long)c->batch, c->data.context, c->data.classes};
  ir_shape ws = ir_shape_of(3, want);
  if (out.kind != EV_TENSOR || !ir_shape_eq(&out.node->shape, &ws)) {
    char sw[96], so[96];
    diag_error(c->d, c->m->root->loc,
               "the model's output must be logits %s (windows, positions, vocabulary), got %s",
               ir_shape_str(&ws, sw, sizeof sw),
               out.kind == EV_TENSOR ? ir_shape_str(&out.node->shape, so, sizeof so)
                                     : el_describe(&x, out));
    return false;
  }
  int t = ir_state(c->p, ELAB_LOGITS_TENSOR, 3, want, (ir_init){IR_INIT_ZEROS, 0, 0, 0});
  if (t < 0 || ir_assign_add(g, t, out.node) < 0) {
    diag_internal(c->d, c->e->decl->name_loc, "%s", t < 0 ? c->p->err : ir_error(g));
    return false;
  }
  return true;
}

ir_program *elab_logits_program(const sema_result *r, const sema_experiment *e, ir_dtype dtype,
                                long long batch, diag_ctx *d) {
  ir_program *p = ir_program_new(dtype);
  el_ctx c = {.r = r, .e = e, .m = e->model, .d = d, .a = r->arena, .p = p, .batch = batch};
  if (!p || !language_model(&c) || !el_declare_params(&c) || !build_entry(&c)) {
    ir_program_free(p);
    return NULL;
  }
  return p;
}
