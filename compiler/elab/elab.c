/* elab.c: the elaborator's entry points (elab.h): builds the program's
 * declarations and its entry points train_step, train_step_logged,
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
  int n = c->m->nweights;
  ir_node *loss = el_model_loss(&x, c->batch, NULL);
  ir_node **w = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *w);
  ir_node **grad = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *grad);
  /* the weights after the step, then the updates (after - before) */
  ir_node **upd = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *upd);
  for (int i = 0; i < n; i++)
    grad[i] = w[i] = el_weight_node(&x, i);
  bool ok = loss != NULL;
  g->phase_nodes[0] = g->nnodes;
  if (loss && ad_grad(g, loss, n, w, grad) < 0) {
    diag_error(c->d, c->m->root->loc, "the model cannot be differentiated: %s", ir_error(g));
    return false;
  }
  g->phase_nodes[1] = g->nnodes;
  for (int i = 0; i < n; i++) {
    upd[i] = el_optimizer_step(&x, c->m->weights[i], c->e->weight_opt[i], grad[i]);
    ok = upd[i] && ok;
  }
  if (!ok || !add_output(c, g, "loss", loss))
    return false;
  x.what = "update";
  el_set_loc(&x, c->e->decl->loc);
  for (int i = 0; i < n; i++) {
    if (upd[i] != w[i] && ir_assign_add(g, i, upd[i]) < 0) {
      diag_internal(c->d, c->m->weights[i]->decl->loc, "%s", ir_error(g));
      return false;
    }
    upd[i] = ir_sub(g, upd[i], w[i]);
  }
  if (!logged)
    return true;
  ir_node *nw = el_modular_norm(&x, NULL);
  ir_node *nu = el_modular_norm(&x, upd);
  return nw && nu && add_output(c, g, "norm_weights", nw) && add_output(c, g, "norm_update", nu);
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

ir_program *elab_experiment(const sema_result *r, const sema_experiment *e, const elab_options *o,
                            diag_ctx *d) {
  const elab_options none = {0};
  if (!o)
    o = &none;
  ir_program *p = ir_program_new(o->dtype);
  el_ctx c;
  long long batch = o->batch ? o->batch : e->batch;
  long long eval_batch = o->eval_batch ? o->eval_batch : batch;
  bool ok = p && ctx_init(&c, r, e, d, p, batch) && el_declare_params(&c) && declare_scalars(&c);
  ok = ok && build_step(&c, "train_step", false);
  ok = ok && (o->no_logged || build_step(&c, "train_step_logged", true));
  ok = ok && (eval_batch < 0 || build_eval(&c, eval_batch, "eval_step"));
  if (ok && !ir_build_init(p)) {
    diag_internal(d, e->decl->name_loc, "%s", p->err);
    ok = false;
  }
  if (!ok) {
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
  if (ctx_init(&c, r, e, d, p, e->batch) && el_declare_params(&c) && declare_scalars(&c)) {
    build_step(&c, "train_step_logged", true);
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
