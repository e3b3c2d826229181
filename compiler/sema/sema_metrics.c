/* sema_metrics.c: the eval items of an experiment and their metrics: metrics
 * of a data set, the singular values of a product of weights (spectra) and
 * the head ablations of weights on a data set, whose weights are resolved
 * once the model exists. */
#include <string.h>

#include "sema_internal.h"

static bool bind_metric(sema_ctx *c, const sema_builtin *b, const ast_expr *e,
                        const sema_experiment *x, sema_metric *m) {
  const ast_expr *a = sema_builtin_arg(b, e, 0);
  m->name = b->name;
  m->loc = e->loc;
  if (a->kind == AST_NAME)
    for (int i = 0; i < x->ndata; i++)
      if (strcmp(x->data[i].name, a->name) == 0) {
        m->data = a->name;
        return true;
      }
  diag_error(c->d, a->loc, "%s of what? expected the name of a data binding of experiment %s",
             b->name, x->name);
  if (a->kind == AST_NAME) {
    const char *cands[64];
    int n = 0;
    for (int i = 0; i < x->ndata && n < 64; i++)
      cands[n++] = x->data[i].name;
    sema_hint_closest(c, a->name, cands, n);
  }
  return false;
}

/* Argument j of metric e, a glob over weight paths; false after reporting. */
static bool glob_arg(sema_ctx *c, const sema_builtin *b, const ast_expr *e, int j,
                     const char *example, const char **out) {
  const ast_expr *a = sema_builtin_arg(b, e, j);
  sv v = sema_evaluate(c, a, NULL);
  if (v.kind == SV_STRING) {
    *out = v.s;
    return true;
  }
  if (v.kind != SV_ERROR)
    diag_error(c->d, a->loc, "%s takes a glob over weight paths such as \"%s\", got %s", b->name,
               example, sema_describe(c, v));
  return false;
}

/* A metric of the weights, `singular_values("glob")`: the glob here, the
 * weights once the model exists (sema_resolve_spectra). */
static bool bind_spectrum(sema_ctx *c, const sema_builtin *b, const ast_expr *e, bool first,
                          sema_spectrum *out) {
  const char *glob;
  if (!glob_arg(c, b, e, 0, "*.W", &glob))
    return false;
  if (!first) {
    diag_error(c->d, e->loc, "an experiment tracks the singular values of one product");
    diag_hint(c->d, "name every weight of the product in one glob");
    return false;
  }
  *out = (sema_spectrum){.glob = glob, .loc = e->loc};
  return true;
}

/* A metric of the weights on a data set, `head_ablation(data, "glob")`:
 * the data set, whose loss the eval item logs as well, and the glob here;
 * the weights once the model exists (sema_resolve_ablations). */
static bool bind_ablation(sema_ctx *c, const sema_builtin *b, const ast_expr *e,
                          const sema_experiment *x, bool first, sema_eval *ev) {
  sema_metric base;
  const char *glob;
  if (!bind_metric(c, b, e, x, &base) || !glob_arg(c, b, e, 1, "*.O", &glob))
    return false;
  if (!first) {
    diag_error(c->d, e->loc, "an experiment ablates the heads of one head_ablation");
    diag_hint(c->d, "name every weight whose heads are ablated in one glob");
    return false;
  }
  base.name = "loss";
  ev->metrics[ev->nmetrics++] = base;
  ev->ablations[ev->nablations++] = (sema_ablation){.data = base.data, .glob = glob, .loc = e->loc};
  return true;
}

bool sema_bind_evals(sema_ctx *c, const ast_decl *exp, sema_experiment *x) {
  bool ok = true;
  int spectra = 0, ablations = 0;
  for (int i = 0; i < exp->nitems; i++) {
    const ast_item *it = exp->items[i];
    if (it->kind != AST_ITEM_EVAL)
      continue;
    size_t n = (size_t)it->eval.nmetrics;
    sema_eval ev = {it->eval.unit,
                    it->eval.every,
                    0,
                    arena_alloc(c->a, n * sizeof(sema_metric)),
                    0,
                    arena_alloc(c->a, n * sizeof(sema_spectrum)),
                    0,
                    arena_alloc(c->a, n * sizeof(sema_ablation))};
    for (int j = 0; j < it->eval.nmetrics; j++) {
      const ast_expr *m = it->eval.metrics[j];
      const sema_builtin *b = sema_want_builtin(c, m, BT_METRIC, "metric");
      /* of the weights, of the weights on a data set, or of a data set */
      bool weights = b && strcmp(b->params[0], "weights") == 0;
      bool heads = b && b->nparams == 2 && strcmp(b->params[1], "weights") == 0;
      if (weights && bind_spectrum(c, b, m, spectra++ == 0, &ev.spectra[ev.nspectra]))
        ev.nspectra++;
      else if (heads)
        ok = bind_ablation(c, b, m, x, ablations++ == 0, &ev) && ok;
      else if (b && !weights && bind_metric(c, b, m, x, &ev.metrics[ev.nmetrics]))
        ev.nmetrics++;
      else
        ok = false;
    }
    x->evals = arena_grow(c->a, x->evals, (size_t)x->nevals * sizeof ev,
                          (size_t)(x->nevals + 1) * sizeof ev);
    x->evals[x->nevals++] = ev;
  }
  return ok;
}

static void no_match(sema_ctx *c, diag_loc loc, const char *metric, const char *glob,
                     const mt_model *m) {
  diag_error(c->d, loc, "%s(\"%s\") matches no weight", metric, glob);
  if (m->nweights)
    diag_hint(c->d, "a glob matches a weight path such as '%s', or its end from a '.'",
              m->weights[0]->path);
}

/* The weights of every singular_values metric: the matched matrices in
 * data-flow order, each taking the output of the one before. */
bool sema_resolve_spectra(sema_ctx *c, sema_experiment *x) {
  const mt_model *m = x->model;
  bool ok = true;
  for (int i = 0; i < x->nevals; i++)
    for (int j = 0; j < x->evals[i].nspectra; j++) {
      sema_spectrum *sp = &x->evals[i].spectra[j];
      size_t cap = (size_t)(m->nweights ? m->nweights : 1);
      sp->weights = arena_alloc(c->a, cap * sizeof *sp->weights);
      for (int k = 0; k < m->nweights; k++) {
        const mt_weight *w = m->weights[k];
        if (!sema_glob_match(sp->glob, w->path))
          continue;
        const mt_weight *prev = sp->nweights ? sp->weights[sp->nweights - 1] : NULL;
        char a[96], b[96];
        sema_shape_text(a, sizeof a, w);
        if (w->rank != 2) {
          diag_error(c->d, sp->loc, "singular_values: %s %s is not a matrix", w->path, a);
          ok = false;
        } else if (prev && w->dims[1] != prev->dims[0]) {
          sema_shape_text(b, sizeof b, prev);
          diag_error(c->d, sp->loc, "singular_values: %s %s cannot multiply %s %s", w->path, a,
                     prev->path, b);
          diag_hint(c->d, "the product is W_k ... W_1 in data-flow order: each [out, in] "
                          "weight's in must be the out of the one before");
          ok = false;
        }
        sp->weights[sp->nweights++] = w;
      }
      if (!sp->nweights) {
        no_match(c, sp->loc, "singular_values", sp->glob, m);
        ok = false;
      } else {
        sp->rows = sp->weights[sp->nweights - 1]->dims[0];
        sp->cols = sp->weights[0]->dims[sp->weights[0]->rank - 1];
      }
    }
  return ok;
}

/* The weights of every head_ablation metric: the matched weights of atoms
 * with an integer parameter `heads` whose last axis splits into that many
 * heads, at most SEMA_MAX_ABLATED_HEADS heads in all. */
bool sema_resolve_ablations(sema_ctx *c, sema_experiment *x) {
  const mt_model *m = x->model;
  bool ok = true;
  for (int i = 0; i < x->nevals; i++)
    for (int j = 0; j < x->evals[i].nablations; j++) {
      sema_ablation *ab = &x->evals[i].ablations[j];
      size_t cap = (size_t)(m->nweights ? m->nweights : 1);
      ab->weights = arena_alloc(c->a, cap * sizeof *ab->weights);
      ab->heads = arena_alloc(c->a, cap * sizeof *ab->heads);
      long long total = 0;
      for (int k = 0; k < m->nweights; k++) {
        const mt_weight *w = m->weights[k];
        if (!sema_glob_match(ab->glob, w->path))
          continue;
        const mt_value *h = mt_param(w->atom, "heads");
        if (!h || h->kind != MT_INT || h->i < 1) {
          diag_error(c->d, ab->loc, "head_ablation: %s is not a weight of an atom with heads",
                     w->path);
          diag_hint(c->d, "the atom needs an integer parameter 'heads' (e.g. Attention)");
          ok = false;
        } else if (w->dims[w->rank - 1] % h->i != 0) {
          char shape[96];
          sema_shape_text(shape, sizeof shape, w);
          diag_error(c->d, ab->loc,
                     "head_ablation: the last axis of %s %s does not split into "
                     "%lld heads",
                     w->path, shape, h->i);
          ok = false;
        } else {
          total += h->i;
          ab->heads[ab->nweights] = (int)h->i;
          ab->weights[ab->nweights++] = w;
        }
      }
      if (!ab->nweights && ok) {
        no_match(c, ab->loc, "head_ablation", ab->glob, m);
        ok = false;
      } else if (total > SEMA_MAX_ABLATED_HEADS) {
        diag_error(c->d, ab->loc,
                   "head_ablation(%s, \"%s\") matches %lld heads; at most %d "
                   "are ablated",
                   ab->data, ab->glob, total, SEMA_MAX_ABLATED_HEADS);
        ok = false;
      }
    }
  return ok;
}
