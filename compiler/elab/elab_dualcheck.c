/* elab_dualcheck.c: the entries of `duet dualcheck` (elab.h,
 * elab_add_dualcheck): per atom instance, its dualize rule on given
 * gradients with the declared norm and the pairing of the result, and its
 * declared norm on given directions. */
#include "elab_int.h"

/* The state tensor "<prefix><weight path>" of weight w, declared once. */
static int dc_tensor(el_ctx *c, const char *prefix, const mt_weight *w) {
  long dims[IR_MAX_RANK];
  for (int j = 0; j < w->rank; j++)
    dims[j] = (long)w->dims[j];
  const char *name = arena_printf(c->a, "%s%s", prefix, w->path);
  int t = ir_find_tensor(c->p, name);
  if (t < 0)
    t = ir_state(c->p, name, w->rank, dims, (ir_init){.kind = IR_INIT_ZEROS});
  if (t < 0)
    diag_internal(c->d, w->decl->loc, "%s", c->p->err);
  return t;
}

static ir_graph *dc_entry(el_ctx *c, const char *fmt, int k) {
  ir_graph *g = ir_entry(c->p, arena_printf(c->a, fmt, k));
  if (!g)
    diag_internal(c->d, c->e->decl->name_loc, "%s", c->p->err);
  return g;
}

static bool dc_output(el_tx *x, const char *name, ev v) {
  ir_node *n = v.kind == EV_ERR ? NULL : el_node(x, v);
  if (n && ir_output_add(x->g, name, n) == 0)
    return true;
  if (n)
    diag_internal(x->c->d, x->c->e->decl->name_loc, "%s: %s", name, ir_error(x->g));
  return false;
}

/* dualcheck_dualize/<k>: D = dualize(G) for every weight of the atom, its
 * norm and <G, D>. */
static bool dc_dualize(el_ctx *c, const mt_node *atom) {
  ir_graph *g = dc_entry(c, ELAB_DUALCHECK_DUALIZE "%d", atom->atom_index);
  if (!g)
    return false;
  el_tx x;
  el_tx_init(&x, c, g);
  x.polar_exact = true;
  ir_node **dir = arena_alloc(c->a, (size_t)c->m->nweights * sizeof *dir);
  ev inner = ev_num(0);
  bool ok = true;
  for (int k = 0; k < atom->nweights && ok; k++) {
    const mt_weight *w = &atom->weights[k];
    int gt = dc_tensor(c, ELAB_DUALCHECK_G, w), dt = dc_tensor(c, ELAB_DUALCHECK_D, w);
    ok = gt >= 0 && dt >= 0;
    if (!ok)
      break;
    ir_node *gn = ir_tensor_ref(g, gt);
    ev d = el_atom_dualize(&x, atom, k, ev_tensor(gn));
    ok = d.kind != EV_ERR && ir_assign_add(g, dt, dir[w->index] = el_node(&x, d)) == 0;
    if (ok)
      inner = el_binop(&x, atom->dualize->loc, IR_ADD, inner,
                       ev_tensor(ir_sum_all(g, ir_mul(g, gn, dir[w->index]))));
  }
  return ok && dc_output(&x, "norm", el_atom_norm(&x, atom, dir, true, false)) &&
         dc_output(&x, "inner", inner);
}

/* dualcheck_norm/<k>: the declared norm at the probe directions P. */
static bool dc_norm(el_ctx *c, const mt_node *atom) {
  ir_graph *g = dc_entry(c, ELAB_DUALCHECK_NORM "%d", atom->atom_index);
  if (!g)
    return false;
  el_tx x;
  el_tx_init(&x, c, g);
  ir_node **probe = arena_alloc(c->a, (size_t)c->m->nweights * sizeof *probe);
  for (int k = 0; k < atom->nweights; k++) {
    int pt = dc_tensor(c, ELAB_DUALCHECK_P, &atom->weights[k]);
    if (pt < 0)
      return false;
    probe[atom->weights[k].index] = ir_tensor_ref(g, pt);
  }
  return dc_output(&x, "norm", el_atom_norm(&x, atom, probe, true, false));
}

bool elab_add_dualcheck(ir_program *p, const sema_result *r, const sema_experiment *e,
                        diag_ctx *d) {
  int xi = ir_find_input(p, "x");
  el_ctx c;
  if (xi < 0 || !el_ctx_init(&c, r, e, d, p, p->inputs[xi].shape.d[0]))
    return false;
  bool ok = true;
  for (int i = 0; i < c.m->natoms; i++)
    ok = dc_dualize(&c, c.m->atoms[i]) && dc_norm(&c, c.m->atoms[i]) && ok;
  return ok;
}
