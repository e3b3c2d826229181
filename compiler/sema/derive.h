/* derive.h: the duality derivation. Computes mass, sensitivity and step share
 * of every node of a module tree, and the model's modular norm as a formula
 * over the atoms' declared norms. */
#ifndef DUET_DERIVE_H
#define DUET_DERIVE_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "mtree.h"

/* Fills mass, sens and share of every node of m (see mtree.h). Rules, for a
 * node with target t (the root gets t = 1):
 *   atom        mass, sens declared; share t
 *   bond, id    mass 0, sens declared (id: 1)
 *   sequence    mass sum of mi, sens product of vi; child i gets
 *               t * mi / (m * v(i+1) * ... * v(n))
 *   tuple, sum  mass sum of mi, sens sum of vi; child i gets t * mi / m
 *   a * child   mass m(child), sens |a| * v(child); child gets t / |a|
 * A node of mass 0 and everything under it gets share 0. A node whose
 * sensitivity is 0 (e.g. `0 * m`) or not finite is reported as an error at
 * its expression. Returns false if an error was reported. */
bool derive_model(mt_model *m, diag_ctx *d);

/* The modular norm of a model: ||w|| = max over terms of coef * N(atom),
 * where N(atom) is the atom's declared `norm` evaluated on its weights (or on
 * an update of them). Atoms of mass 0 have no term. Built by the composition
 * rules (sequence: ||(w1, w2)|| = max(v2 * (m/m1) * ||w1||, (m/m2) * ||w2||);
 * tuple and sum: max_i (m/mi) * ||wi||; a * child: |a| * ||child||), which
 * always flatten to this max of scaled atom norms. With the shares of
 * derive_model, coef * share = 1 for every term. */
typedef struct derive_term {
  double coef;
  const mt_node *atom;
} derive_term;

typedef struct derive_norm {
  int nterms;
  derive_term *terms; /* data-flow order; arena-owned */
} derive_norm;

/* Requires derive_model(m) to have succeeded. Never NULL. */
derive_norm *derive_modular_norm(arena *a, const mt_model *m);

/* Prints `||w|| = max(3 * ||model.MLP[0].Linear||, ...)` (one line, no
 * newline); `||w|| = 0` for a model without terms. */
void derive_norm_print(FILE *out, const derive_norm *n);

#endif
