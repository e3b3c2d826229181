/* derive.c: the duality derivation over a module tree (see derive.h): mass
 * and sensitivity bottom-up, step shares top-down, the modular norm. */
#include "derive.h"

#include <assert.h>
#include <math.h>

/* The rules are Modula's (modula-systems/modula, modula/abstract.py):
 * CompositeModule (sequence) adds masses and multiplies sensitivities and
 * gives its first module target*m0/m/v1 and its second target*m1/m;
 * TupleModule adds both and gives child i target*mi/m; `a + b` is the Add
 * bond (mass 0, sensitivity 1) after a tuple, which gives the same numbers
 * as a tuple; `a * m` is the Mul bond (mass 0, sensitivity a) after m, so m
 * gets target/a. We use |a| so a negative factor scales like a positive
 * one. Modula refuses a multiple by zero; here it is the zero-sensitivity
 * error. */

/* Bottom-up: mass and sensitivity of compound nodes. */
static bool measure(mt_node *n, diag_ctx *d) {
  bool ok = true;
  for (int i = 0; i < n->nchildren; i++)
    ok = measure(n->children[i], d) && ok;
  if (!ok)
    return false;
  switch (n->kind) {
  case MT_ATOM:
  case MT_BOND:
    break; /* declared, checked by sema */
  case MT_IDENTITY:
    n->mass = 0;
    n->sens = 1;
    break;
  case MT_SEQ:
    n->mass = 0;
    n->sens = 1;
    for (int i = 0; i < n->nchildren; i++) {
      n->mass += n->children[i]->mass;
      n->sens *= n->children[i]->sens;
    }
    break;
  case MT_TUPLE:
  case MT_SUM:
    n->mass = 0;
    n->sens = 0;
    for (int i = 0; i < n->nchildren; i++) {
      n->mass += n->children[i]->mass;
      n->sens += n->children[i]->sens;
    }
    break;
  case MT_SCALE:
    n->mass = n->children[0]->mass;
    n->sens = fabs(n->factor) * n->children[0]->sens;
    break;
  }
  if (n->sens > 0 && isfinite(n->sens) && isfinite(n->mass))
    return true;
  if (n->kind == MT_SCALE && n->factor == 0) {
    diag_error(d, n->loc, "module %s has sensitivity 0: it is multiplied by 0", n->path);
    diag_hint(d, "every module needs a positive sensitivity; leave the term out instead");
  } else if (n->sens == 0) {
    diag_error(d, n->loc, "module %s has sensitivity 0", n->path);
    diag_hint(d, "every module needs a positive sensitivity");
  } else {
    diag_error(d, n->loc, "module %s has a sensitivity or mass that is not finite (%g, %g)",
               n->path, n->sens, n->mass);
  }
  return false;
}

static void clear_share(mt_node *n) {
  n->share = 0;
  for (int i = 0; i < n->nchildren; i++)
    clear_share(n->children[i]);
}

/* Top-down: the target t reaching n, split among its children. */
static void distribute(mt_node *n, double t) {
  if (n->mass <= 0) {
    clear_share(n);
    return;
  }
  n->share = t;
  switch (n->kind) {
  case MT_ATOM:
  case MT_BOND:
  case MT_IDENTITY:
    break;
  case MT_SEQ: {
    /* child i is followed by children i+1..n-1 */
    double after = 1;
    for (int i = n->nchildren - 1; i >= 0; i--) {
      mt_node *c = n->children[i];
      distribute(c, t * c->mass / (n->mass * after));
      after *= c->sens;
    }
    break;
  }
  case MT_TUPLE:
  case MT_SUM:
    for (int i = 0; i < n->nchildren; i++)
      distribute(n->children[i], t * n->children[i]->mass / n->mass);
    break;
  case MT_SCALE:
    distribute(n->children[0], t / fabs(n->factor));
    break;
  }
}

bool derive_model(mt_model *m, diag_ctx *d) {
  if (!measure(m->root, d))
    return false;
  distribute(m->root, 1.0);
  return true;
}

typedef struct norm_builder {
  arena *a;
  derive_norm *norm;
} norm_builder;

static void add_term(norm_builder *b, double coef, const mt_node *atom) {
  derive_norm *n = b->norm;
  n->terms = arena_grow(b->a, n->terms, (size_t)n->nterms * sizeof *n->terms,
                        (size_t)(n->nterms + 1) * sizeof *n->terms);
  n->terms[n->nterms++] = (derive_term){coef, atom};
}

/* Appends the terms of node n, whose norm is scaled by coef in the whole. */
static void collect(norm_builder *b, const mt_node *n, double coef) {
  if (n->mass <= 0)
    return;
  switch (n->kind) {
  case MT_ATOM:
    add_term(b, coef, n);
    break;
  case MT_BOND:
  case MT_IDENTITY:
    assert(!"positive mass on a node without weights");
    break;
  case MT_SEQ: {
    /* ||(w1, w2)|| = max(v2 * (m/m1) * ||w1||, (m/m2) * ||w2||), n-ary */
    double after = 1;
    double *coefs = arena_alloc(b->a, (size_t)n->nchildren * sizeof *coefs);
    for (int i = n->nchildren - 1; i >= 0; i--) {
      const mt_node *c = n->children[i];
      coefs[i] = c->mass > 0 ? coef * after * n->mass / c->mass : 0;
      after *= c->sens;
    }
    for (int i = 0; i < n->nchildren; i++)
      collect(b, n->children[i], coefs[i]);
    break;
  }
  case MT_TUPLE:
  case MT_SUM:
    for (int i = 0; i < n->nchildren; i++) {
      const mt_node *c = n->children[i];
      if (c->mass > 0)
        collect(b, c, coef * n->mass / c->mass);
    }
    break;
  case MT_SCALE:
    collect(b, n->children[0], coef * fabs(n->factor));
    break;
  }
}

derive_norm *derive_modular_norm(arena *a, const mt_model *m) {
  norm_builder b = {a, arena_alloc(a, sizeof(derive_norm))};
  collect(&b, m->root, 1.0);
  return b.norm;
}

void derive_norm_print(FILE *out, const derive_norm *n) {
  fputs("||w|| = ", out);
  if (n->nterms == 0) {
    fputs("0", out);
    return;
  }
  if (n->nterms > 1)
    fputs("max(", out);
  for (int i = 0; i < n->nterms; i++) {
    if (i)
      fputs(", ", out);
    if (n->terms[i].coef != 1)
      fprintf(out, "%.6g * ", n->terms[i].coef);
    fprintf(out, "||%s||", n->terms[i].atom->path);
  }
  if (n->nterms > 1)
    fputc(')', out);
}
