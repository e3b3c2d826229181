/* elab.c: the elaborator's entry points (elab.h): builds the program's
 * declarations and its entry points train_step, train_step_logged (or,
 * for data-parallel training, grad_step, apply_step, step_norms),
 * eval_step and init; the check-only elaboration for `duet check`; and the
 * lookups the driver needs (inputs of an entry, weights and their state). */
#include <string.h>

#include "elab_int.h"

void el_tx_init(el_tx *x, el_ctx *c, ir_graph *g) {
  *x = (el_tx){.c = c, .g = g};
  x->wref = arena_alloc(c->a, (size_t)(c->m->nweights ? c->m->nweights : 1) * sizeof *x->wref);
}

static bool ctx_init(el_ctx *c, const sema_result *r, const sema_experiment *e, diag_ctx *d,
                     ir_program *p, long long batch) {
  *c = (el_ctx){.r = r, .e = e, .m = e->model, .d = d, .a = r->arena, .p = p, .batch = batch};
  if (batch < 1) {
    diag_error(d, e->decl->name_loc, "the batch size must be at least 1, got %lld", batch);
    return false;
  }
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, "train") == 0)
      return elab_data_info_of(&e->data[i], &c->data, d);
  diag_error(d, e->decl->name_loc, "experiment %s has no `train` data", e->name);
  return false;
}

bool el_ctx_init(el_ctx *c, const sema_result *r, const sema_experiment *e, diag_ctx *d,
                 ir_program *p, long long batch) {
  return ctx_init(c, r, e, d, p, batch);
}

static bool declare_scalars(el_ctx *c) {
  if (ir_scalar(c->p, "t") < 0 || ir_scalar(c->p, "schedule") < 0) {
    diag_internal(c->d, c->e->decl->name_loc, "%s", c->p->err);
    return false;
  }
  return true;
}

static ir_graph *new_entry(el_ctx *c, const char *name) {
  ir_graph *g = ir_entry(c->p, name);
  if (!g)
    diag_internal(c->d, c->e->decl->name_loc, "%s", c->p->err);
  return g;
}

static bool add_output(el_ctx *c, ir_graph *g, const char *name, ir_node *n) {
  if (n && ir_output_add(g, name, n) == 0)
    return true;
  diag_internal(c->d, c->e->decl->name_loc, "output %s: %s", name, ir_error(g));
  return false;
}

/* The outputs norm_weights (of the weights before the step: `before`, or
 * NULL for the weights themselves) and norm_update (of upd). */
static bool add_norms(el_ctx *c, el_tx *x, ir_node *const *before, ir_node *const *upd) {
  ir_node *nw = el_modular_norm(x, before, false);
  ir_node *nu = el_modular_norm(x, upd, true);
  return nw && nu && add_output(c, x->g, "norm_weights", nw) &&
         add_output(c, x->g, "norm_update", nu);
}

/* One optimizer step of every weight from its gradient grad[i]: assigns
 * the new weights; with `logged`, also the modular norms of the weights and
 * of the update. */
static bool build_update(el_ctx *c, el_tx *x, ir_node **grad, bool logged) {
  ir_graph *g = x->g;
  int n = c->m->nweights;
  /* the weights after the step, then the updates (after - before) */
  ir_node **upd = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *upd);
  bool ok = true;
  for (int i = 0; i < n; i++) {
    upd[i] = el_optimizer_step(x, c->m->weights[i], c->e->weight_opt[i], grad[i]);
    ok = upd[i] && ok;
  }
  if (!ok)
    return false;
  x->what = "update";
  el_set_loc(x, c->e->decl->loc);
  for (int i = 0; i < n; i++) {
    ir_node *w = el_weight_node(x, i);
    if (upd[i] != w && ir_assign_add(g, i, upd[i]) < 0) {
      diag_internal(c->d, c->m->weights[i]->decl->loc, "%s", ir_error(g));
      return false;
    }
    upd[i] = ir_sub(g, upd[i], w);
  }
  if (!logged)
    return true;
  return add_norms(c, x, NULL, upd);
}

/* Forward, the loss (into *loss, NULL when the forward pass failed) and
 * the gradient grad[i] of every weight (the weight itself when the forward
 * pass failed); the backward pass is the graph's phase 0. False when the
 * model cannot be differentiated. */
static bool build_gradients(el_ctx *c, el_tx *x, ir_node **grad, ir_node **loss_out) {
  int n = c->m->nweights;
  ir_node *loss = *loss_out = el_model_loss(x, c->batch, NULL);
  ir_node **w = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *w);
  for (int i = 0; i < n; i++)
    grad[i] = w[i] = el_weight_node(x, i);
  x->g->phase_nodes[0] = x->g->nnodes;
  if (loss && ad_grad(x->g, loss, n, w, grad) < 0) {
    diag_error(c->d, c->m->root->loc, "the model cannot be differentiated: %s", ir_error(x->g));
    return false;
  }
  return true;
}

/* Forward, loss, gradients and one optimizer step of every weight; with
 * `logged`, also the modular norms of the weights and of the update. When
 * the forward pass fails, the optimizers still run (on the weights as
 * stand-in gradients) so that their errors are reported too. */
static bool build_step(el_ctx *c, const char *name, bool logged) {
  ir_graph *g = new_entry(c, name);
  if (!g)
    return false;
  el_tx x;
  el_tx_init(&x, c, g);
  ir_node **grad = arena_alloc(c->a, (size_t)(c->m->nweights ? c->m->nweights : 1) * sizeof *grad);
  ir_node *loss;
  if (!build_gradients(c, &x, grad, &loss))
    return false;
  g->phase_nodes[1] = g->nnodes;
  if (loss && !add_output(c, g, "loss", loss))
    return false;
  return build_update(c, &x, grad, logged) && loss;
}

/* The data-parallel step (docs/distributed.md) around the exchanges of
 * gradients and weights: grad_step (forward, loss, every weight's gradient
 * into its IR_GRAD tensor `<weight path>:grad`, declared here), apply_step
 * (the optimizer step of train_step from those tensors; the driver keeps
 * only the assignments of the weights a rank owns) and step_norms (the
 * outputs of train_step_logged from the weights before the step, inputs
 * `<weight path>:before`, and the weights after it). */
static bool build_split_step(el_ctx *c) {
  int n = c->m->nweights;
  int *gt = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *gt);
  int *in = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *in);
  for (int i = 0; i < n; i++) {
    const mt_weight *mw = c->m->weights[i];
    long dims[IR_MAX_RANK];
    for (int j = 0; j < mw->rank; j++)
      dims[j] = (long)mw->dims[j];
    gt[i] = ir_grad(c->p, arena_printf(c->a, "%s:grad", mw->path), mw->rank, dims);
    in[i] = gt[i] < 0 ? -1
                      : ir_input(c->p, arena_printf(c->a, "%s:before", mw->path), c->p->real,
                                 mw->rank, dims);
    if (in[i] < 0) {
      diag_internal(c->d, mw->decl->loc, "%s", c->p->err);
      return false;
    }
  }
  ir_graph *g = new_entry(c, "grad_step");
  if (!g)
    return false;
  el_tx x;
  el_tx_init(&x, c, g);
  ir_node **grad = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *grad);
  ir_node **upd = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *upd);
  ir_node *loss;
  if (!build_gradients(c, &x, grad, &loss) || !loss || !add_output(c, g, "loss", loss))
    return false;
  for (int i = 0; i < n; i++)
    if (ir_assign_add(g, gt[i], grad[i]) < 0) {
      diag_internal(c->d, c->m->weights[i]->decl->loc, "%s", ir_error(g));
      return false;
    }
  if (!(g = new_entry(c, "apply_step")))
    return false;
  el_tx_init(&x, c, g);
  for (int i = 0; i < n; i++)
    grad[i] = ir_tensor_ref(g, gt[i]);
  g->phase_nodes[1] = 1;
  if (!build_update(c, &x, grad, false) || !(g = new_entry(c, "step_norms")))
    return false;
  el_tx_init(&x, c, g);
  for (int i = 0; i < n; i++) {
    grad[i] = ir_input_ref(g, in[i]); /* the weights before the step */
    upd[i] = ir_sub(g, el_weight_node(&x, i), grad[i]);
  }
  return add_norms(c, &x, grad, upd);
}

static bool build_eval(el_ctx *c, long long batch, const char *name) {
  if (batch < 1) {
    diag_error(c->d, c->e->decl->name_loc, "the evaluation batch size must be at least 1, got %lld",
               batch);
    return false;
  }
  ir_graph *g = new_entry(c, name);
  if (!g)
    return false;
  el_tx x;
  el_tx_init(&x, c, g);
  ir_node *correct;
  ir_node *loss = el_model_loss(&x, batch, &correct);
  return loss && add_output(c, g, "loss", loss) &&
         (!correct || add_output(c, g, "correct", correct));
}

/* The program's declarations (weights, states, scalars) into p; false
 * after reporting an error. */
static bool declare_program(el_ctx *c, const sema_result *r, const sema_experiment *e,
                            const elab_options *o, diag_ctx *d, ir_program *p) {
  long long batch = o->batch ? o->batch : e->batch;
  return ctx_init(c, r, e, d, p, batch) && el_declare_params(c) && declare_scalars(c);
}

/* The entry points of the program (elab.h), reporting every error; true
 * when all of them were built. */
static bool build_entries(el_ctx *c, const elab_options *o) {
  long long eval_batch = o->eval_batch ? o->eval_batch : c->batch;
  bool ok;
  if (o->split)
    ok = build_split_step(c);
  else
    ok = build_step(c, "train_step", false) &&
         (o->no_logged || build_step(c, "train_step_logged", true));
  ok = ok && (eval_batch < 0 || build_eval(c, eval_batch, "eval_step"));
  if (ok && !ir_build_init(c->p)) {
    diag_internal(c->d, c->e->decl->name_loc, "%s", c->p->err);
    ok = false;
  }
  return ok;
}

ir_program *elab_experiment(const sema_result *r, const sema_experiment *e, const elab_options *o,
                            diag_ctx *d) {
  const elab_options none = {0};
  if (!o)
    o = &none;
  ir_program *p = ir_program_new(o->dtype);
  el_ctx c;
  if (p && !(declare_program(&c, r, e, o, d, p) && build_entries(&c, o))) {
    ir_program_free(p);
    return NULL;
  }
  return p;
}

bool elab_add_eval(ir_program *p, const sema_result *r, const sema_experiment *e, long long batch,
                   const char *name, diag_ctx *d) {
  int xi = ir_find_input(p, "x");
  if (xi < 0 || p->ntensors < e->model->nweights) {
    diag_internal(d, e->decl->name_loc, "elab_add_eval: the program was not built for %s", e->name);
    return false;
  }
  el_ctx c;
  return ctx_init(&c, r, e, d, p, p->inputs[xi].shape.d[0]) && build_eval(&c, batch, name);
}

bool elab_check(const sema_result *r, const sema_experiment *e, diag_ctx *d) {
  int before = diag_error_count(d);
  ir_program *p = ir_program_new(IR_F64);
  el_ctx c;
  /* what elab_experiment builds for `duet run` */
  const elab_options run = {.dtype = IR_F64, .eval_batch = e->nevals ? 0 : -1};
  if (declare_program(&c, r, e, &run, d, p)) {
    build_entries(&c, &run);
    /* dualize rules that no optimizer calls are checked on their own */
    ir_graph *g = new_entry(&c, "check_dualize");
    el_tx x;
    el_tx_init(&x, &c, g);
    for (int i = 0; g && i < c.m->natoms; i++) {
      const mt_node *atom = c.m->atoms[i];
      bool called = false;
      for (int k = 0; k < atom->nweights; k++)
        called = called || e->weight_opt[atom->weights[k].index]->uses_dualize;
      if (!called)
        el_check_dualize(&x, atom);
    }
  }
  ir_program_free(p);
  return diag_error_count(d) == before;
}

bool elab_entry_inputs(const ir_program *p, const char *entry, int *x, int *y, long *batch) {
  const ir_graph *g = ir_find_entry(p, entry);
  *x = *y = -1;
  *batch = 0;
  for (int i = 0; g && i < g->nnodes; i++) {
    const ir_node *n = g->nodes[i];
    if (n->op != IR_INPUT)
      continue;
    const ir_input_decl *in = &p->inputs[n->attr.index];
    if (in->name[0] == 'x')
      *x = n->attr.index;
    else
      *y = n->attr.index;
    *batch = in->shape.d[0];
  }
  return *x >= 0 && *y >= 0;
}

elab_weight *elab_weights(arena *a, const ir_program *p, const sema_experiment *e) {
  const mt_model *m = e->model;
  elab_weight *out = arena_alloc(a, (size_t)(m->nweights ? m->nweights : 1) * sizeof *out);
  for (int i = 0; i < m->nweights; i++) {
    const mt_weight *w = m->weights[i];
    elab_weight *o = &out[i];
    o->weight = w;
    o->opt = e->weight_opt[i];
    o->tensor = ir_find_tensor(p, w->path);
    if (o->tensor < 0)
      return NULL;
    size_t len = strlen(w->path);
    o->states = arena_alloc(a, (size_t)(p->ntensors ? p->ntensors : 1) * sizeof *o->states);
    for (int t = 0; t < p->ntensors; t++)
      if (strncmp(p->tensors[t].name, w->path, len) == 0 && p->tensors[t].name[len] == ':')
        o->states[o->nstates++] = t;
  }
  return out;
}
