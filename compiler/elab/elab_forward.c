/* elab_forward.c: the model's forward pass and the loss. Walks the module
 * tree with the IR value of the input: atoms and bonds translate their
 * forward body after checking the input against its shape pattern,
 * compound nodes combine their children's values (sequence, tuple, sum,
 * scale, identity). Then the loss of the model's output against the labels
 * or targets of the batch. */
#include <string.h>

#include "elab_int.h"

/* ---- shape patterns ---------------------------------------------------- */

/* "[.., 512]" for the pattern (free names printed as written) into a new
 * arena string. val[i] is the value of dim i (ignored for `..`). */
static const char *pattern_str(el_tx *x, const ast_pattern *p, const long long *val,
                               const bool *free_name) {
  char buf[512];
  size_t n = 0;
  buf[n++] = '[';
  for (int i = 0; i < p->ndims && n < sizeof buf - 32; i++) {
    const ast_expr *d = p->dims[i];
    if (i)
      n += (size_t)snprintf(buf + n, sizeof buf - n, ", ");
    if (d->kind == AST_ELLIPSIS)
      n += (size_t)snprintf(buf + n, sizeof buf - n, "..");
    else if (free_name[i])
      n += (size_t)snprintf(buf + n, sizeof buf - n, "%.24s", d->name);
    else
      n += (size_t)snprintf(buf + n, sizeof buf - n, "%lld", val[i]);
  }
  snprintf(buf + n, sizeof buf - n, "]");
  return arena_strdup(x->c->a, buf);
}

/* The model's first atom does not take the training data's examples:
 * "the model takes [784], x.npy holds [N, 28, 28]", at the atom, with a
 * note at the data binding and, when the sizes agree, the hint to flatten. */
static bool data_mismatch(el_tx *x, const mt_node *n, const ast_pattern *p, const long long *val,
                          const bool *free_name, const ir_shape *s) {
  char takes[256], holds[128];
  const char *pat = pattern_str(x, p, val, free_name);
  snprintf(takes, sizeof takes, "%s", pat);
  if (strncmp(pat, "[.., ", 5) == 0) /* any leading axes: the batch's */
    snprintf(takes, sizeof takes, "[%s", pat + 5);
  size_t k = (size_t)snprintf(holds, sizeof holds, "[N");
  long numel = 1;
  for (int i = 1; i < s->rank && k < sizeof holds; i++) {
    k += (size_t)snprintf(holds + k, sizeof holds - k, ", %ld", s->d[i]);
    numel *= s->d[i];
  }
  snprintf(holds + k, sizeof holds - k, "]");
  const sema_data *train = el_train_data(x->c->e);
  el_fail(x, n->loc, "the model takes %s, %s holds %s", takes,
          train ? el_data_origin(x->c, train) : "the data", holds);
  if (train)
    diag_note(x->c->d, train->loc, "the training data is bound here");
  bool one = p->ndims >= 1 && !free_name[p->ndims - 1] && val[p->ndims - 1] == numel;
  if (one && s->rank > 2)
    diag_hint(x->c->d, "flatten the examples first: model = flatten >> ...");
  return false;
}

/* Binds input pattern p to v in env, checking v's shape against it. Names
 * in the pattern that are not in scope are bound to the actual dimension. */
static bool match(el_tx *x, const mt_node *n, const ast_pattern *p, ev v, el_env *env) {
  el_env_set(x->c->a, env, p->name, v);
  if (!p->has_shape)
    return true;
  if (v.kind != EV_TENSOR) {
    el_fail(x, n->loc, "expected input %s to be a tensor, got %s", p->name, el_describe(x, v));
    return false;
  }
  const ir_shape *s = &v.node->shape;
  long long val[IR_MAX_RANK * 2 + 1] = {0};
  bool free_name[IR_MAX_RANK * 2 + 1] = {0};
  int nd = p->ndims < IR_MAX_RANK * 2 ? p->ndims : IR_MAX_RANK * 2, ell = -1;
  for (int i = 0; i < nd; i++) {
    const ast_expr *d = p->dims[i];
    if (d->kind == AST_ELLIPSIS) {
      if (ell >= 0) {
        el_fail(x, d->loc, "an input pattern may contain '..' only once");
        return false;
      }
      ell = i;
    } else if (d->kind == AST_NAME && !el_env_find(env, d->name, NULL)) {
      free_name[i] = true;
    } else if (!el_want_int(x, el_expr(x, d, env), d->loc, "a dimension of the input pattern",
                            &val[i])) {
      return false;
    }
  }
  int fixed = ell >= 0 ? nd - 1 : nd;
  bool ok = ell >= 0 ? s->rank >= fixed : s->rank == fixed;
  for (int i = 0; ok && i < nd; i++) {
    if (i == ell)
      continue;
    long actual = s->d[ell >= 0 && i > ell ? s->rank - (nd - i) : i];
    if (free_name[i]) {
      /* bound here by an earlier occurrence of the same name */
      el_bind *b = el_env_find(env, p->dims[i]->name, NULL);
      if (b)
        ok = b->val.kind == EV_NUM && cnum_compare(b->val.num, cnum_int(actual)) == 0;
      else
        el_env_set(x->c->a, env, p->dims[i]->name, ev_int(actual));
      continue;
    }
    ok = val[i] == actual;
  }
  if (ok)
    return true;
  if (v.node->op == IR_INPUT && x->c->p->inputs[v.node->attr.index].name[0] == 'x')
    return data_mismatch(x, n, p, val, free_name, s);
  char sb[96];
  el_fail(x, n->loc, "expected input %s, got %s", pattern_str(x, p, val, free_name),
          ir_shape_str(s, sb, sizeof sb));
  diag_note(x->c->d, p->loc, "%s %s declares its input here", ast_decl_kind_name(n->decl->kind),
            n->decl->name);
  return false;
}

/* ---- the module tree --------------------------------------------------- */

/* Runs the forward body of an atom or bond instance on `in`: its inputs
 * bound to `in`, then its lets in order, then its value. */
static ev apply(el_tx *x, const mt_node *n, ev in) {
  el_ctx *c = x->c;
  const ast_item *f = n->forward;
  el_env *env = el_env_new(c->a, el_instance_env(c, n));
  x->what = n->path;
  x->inst = n->loc;
  x->inst_note = arena_printf(c->a, "%s is created here", n->path);
  int k = f->define.ninputs;
  if (k == 1) {
    if (!match(x, n, &f->define.inputs[0], in, env))
      return ev_err();
  } else if (in.kind != EV_TUPLE || in.n != k) {
    return el_fail(x, n->loc, "expected a tuple of %d inputs, got %s", k, el_describe(x, in));
  } else {
    bool ok = true;
    for (int i = 0; i < k; i++)
      ok = match(x, n, &f->define.inputs[i], in.items[i], env) && ok;
    if (!ok)
      return ev_err();
  }
  for (int i = 0; i < f->define.nlets; i++) {
    const ast_item *let = f->define.lets[i];
    el_set_loc(x, let->loc);
    ev v = el_expr(x, let->value, env);
    if (v.kind == EV_ERR)
      return v;
    el_env_set(c->a, env, let->name, v);
  }
  el_set_loc(x, f->loc);
  return el_expr(x, f->value, env);
}

ev el_forward(el_tx *x, const mt_node *n, ev in) {
  if (in.kind == EV_ERR)
    return in;
  switch (n->kind) {
  case MT_ATOM:
  case MT_BOND: {
    bool was = x->forward;
    x->forward = true; /* aux_loss terms go to x->aux */
    ev out = apply(x, n, in);
    x->forward = was;
    return out;
  }
  case MT_IDENTITY:
    return in;
  case MT_SEQ:
    for (int i = 0; i < n->nchildren && in.kind != EV_ERR; i++)
      in = el_forward(x, n->children[i], in);
    return in;
  case MT_TUPLE: {
    /* the branches are independent: each reports its own errors */
    ev t = {.kind = EV_TUPLE, .n = n->nchildren};
    t.items = arena_alloc(x->c->a, (size_t)t.n * sizeof *t.items);
    bool ok = true;
    for (int i = 0; i < t.n; i++) {
      t.items[i] = el_forward(x, n->children[i], in);
      ok = t.items[i].kind != EV_ERR && ok;
    }
    return ok ? t : ev_err();
  }
  case MT_SUM: {
    ev acc = el_forward(x, n->children[0], in);
    for (int i = 1; i < n->nchildren; i++) {
      ev v = el_forward(x, n->children[i], in);
      x->what = n->path;
      x->inst = (diag_loc){0};
      acc = el_binop(x, n->loc, IR_ADD, acc, v);
    }
    return acc;
  }
  case MT_SCALE: {
    ev v = el_forward(x, n->children[0], in);
    x->what = n->path;
    x->inst = (diag_loc){0};
    return el_binop(x, n->loc, IR_MUL, ev_num(n->factor), v);
  }
  }
  return ev_err();
}

/* ---- the loss ---------------------------------------------------------- */

/* Logits [.., C] and labels [..] flattened to [N, C] and [N]. */
static bool flat_logits(el_tx *x, ir_node *out, ir_node *y, ir_node **logits, ir_node **labels) {
  const sema_experiment *e = x->c->e;
  const ir_shape *s = &out->shape;
  char sb[96], sy[96];
  bool ok = s->rank >= 2 && y->shape.rank == s->rank - 1;
  for (int i = 0; ok && i < y->shape.rank; i++)
    ok = y->shape.d[i] == s->d[i];
  if (!ok || s->d[s->rank - 1] != x->c->data.classes) {
    el_fail(x, e->loss_loc,
            "cross_entropy needs the model's output to be %s plus one axis of %d classes, got %s",
            ir_shape_str(&y->shape, sy, sizeof sy), x->c->data.classes,
            ir_shape_str(s, sb, sizeof sb));
    return false;
  }
  long c = s->d[s->rank - 1], rows = ir_numel(s) / c, d2[2] = {rows, c};
  *logits = ir_reshape(x->g, out, 2, d2);
  *labels = ir_reshape(x->g, y, 1, &rows);
  return *logits && *labels;
}

/* The experiment's loss of the model's output (el_model_loss adds the aux terms). */
static ir_node *data_loss(el_tx *x, long long batch, ir_node **correct) {
  el_ctx *c = x->c;
  const sema_experiment *e = c->e;
  int xi, yi;
  if (correct)
    *correct = NULL;
  if (!el_declare_inputs(c, batch, &xi, &yi))
    return NULL;
  ir_node *xin = ir_input_ref(x->g, xi), *yin = ir_input_ref(x->g, yi);
  ev out = el_forward(x, c->m->root, ev_tensor(xin));
  if (out.kind == EV_ERR)
    return NULL;
  x->what = NULL;
  x->inst = (diag_loc){0};
  el_set_loc(x, e->loss_loc);
  char sb[96], sy[96];
  if (out.kind != EV_TENSOR) {
    el_fail(x, c->m->root->loc, "the model's output must be a tensor, got %s", el_describe(x, out));
    return NULL;
  }
  if (strcmp(e->loss, "cross_entropy") == 0) {
    if (!c->data.y_labels) {
      el_fail(x, e->loss_loc, "cross_entropy needs class labels; data source %s gives real targets",
              c->data.source);
      return NULL;
    }
    ir_node *logits, *labels;
    if (!flat_logits(x, out.node, yin, &logits, &labels))
      return NULL;
    if (correct && c->data.classifier)
      *correct = ir_count_correct(x->g, logits, labels);
    return el_ir(x, e->loss_loc, ir_softmax_xent(x->g, logits, labels)).node;
  }
  if (strcmp(e->loss, "mse") == 0) {
    if (c->data.y_labels) {
      el_fail(x, e->loss_loc, "mse needs real targets; data source %s gives class labels",
              c->data.source);
      return NULL;
    }
    if (!ir_shape_eq(&out.node->shape, &yin->shape)) {
      el_fail(x, e->loss_loc, "mse needs the model's output to match the targets %s, got %s",
              ir_shape_str(&yin->shape, sy, sizeof sy),
              ir_shape_str(&out.node->shape, sb, sizeof sb));
      return NULL;
    }
    return el_ir(x, e->loss_loc, ir_mse(x->g, out.node, yin)).node;
  }
  el_fail(x, e->loss_loc, "loss '%s' cannot be compiled yet", e->loss);
  return NULL;
}

/* The experiment's loss of the model's output, plus, in training entries
 * (correct == NULL), the aux_loss terms of the forward bodies. */
ir_node *el_model_loss(el_tx *x, long long batch, ir_node **correct) {
  x->aux = NULL;
  ir_node *loss = data_loss(x, batch, correct);
  return loss && x->aux && !correct ? ir_add(x->g, loss, x->aux) : loss;
}
