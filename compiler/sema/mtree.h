/* mtree.h: the module tree, the instantiated model of one experiment.
 * Semantic analysis expands the experiment's `model = ...` expression into
 * this tree; the duality derivation annotates it; the elaborator translates
 * it into graph IR. Read the contract below before using it. */
#ifndef DUET_MTREE_H
#define DUET_MTREE_H

/*
 * OWNERSHIP. Every node, weight, binding, array and string reachable from an
 * mt_model lives in the compilation arena given to sema_check() and is freed
 * with it. AST pointers (decl, items) point into the ast_program of the same
 * compilation. The tree is built once and not changed afterwards, except for
 * the derived fields (mass and sens of compound nodes, share), which
 * derive_model() fills.
 *
 * NODES. An atom instance (MT_ATOM) is one use of an `atom` declaration with
 * its parameters bound to compile-time constants and fresh weights; a bond
 * instance (MT_BOND) likewise for a `bond` (no weights). Compound nodes:
 *   MT_SEQ       children run in data-flow order: child 0 sees the input,
 *                child i+1 sees the output of child i (`a >> b`, `m ^ n`).
 *                Nested sequences written with >> and ^ are flattened into
 *                one node, so n >= 2 always.
 *   MT_TUPLE     every child sees the same input; the output is the tuple of
 *                the children's outputs (`(a, b)`), n >= 2.
 *   MT_SUM       every child sees the same input; the outputs are added
 *                (`a + b + c`, flattened), n >= 2.
 *   MT_SCALE     one child; the output is `factor` times the child's.
 *   MT_IDENTITY  no children, output = input (`m ^ 0`; the stdlib's `id`
 *                is a bond).
 * Repetition `m ^ n` instantiates m n times (fresh weights for each copy).
 * A module call `Name(args)` leaves no node of its own: the node of its body
 * carries the call's path segment (see PATHS).
 *
 * PATHS. Every node has a path, unique in its model, used in diagnostics,
 * in `duet explain`, as checkpoint tensor names and for `optimizer for
 * "glob"`. The root is `model`. Going down:
 *   - a call of a module, atom or bond appends `.Name` (the declared name):
 *     `model.MLP`, `model.MLP[0].Linear`, `model.MLP[1].gelu`;
 *   - a child of a sequence, tuple or sum appends `[i]` (0-based, data-flow
 *     order for sequences, written order otherwise);
 *   - a scalar multiple appends nothing (its child has the same path);
 *   - the identity of `m ^ 0` appends `.id`;
 *   - a weight appends `.W` (its declared name) to its atom's path.
 * E.g. `model = MLP(784, 512, 10)` with a body `Linear >> gelu >> ... ` gives
 * the weights `model.MLP[0].Linear.W`, `model.MLP[2].Linear.W`, ...; in
 * `residual(L, block) ^ L` the block of copy k is under
 * `model[k].residual[1]`.
 *
 * NUMBERS. Atoms and bonds carry their declared mass and sensitivity,
 * evaluated for the bound parameters (sema guarantees mass >= 0 and
 * sensitivity > 0, finite); `with_mass(m, k)` has rescaled the masses of
 * the atoms under m to sum to k (it leaves no node of its own). For compound nodes mass and sens are 0 until
 * derive_model() computes them; it also sets `share` on every node.
 */

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "cnum.h"

/* MT_INTS, a list of integers, is only bound to data-source arguments
 * (`cycle(skips = [1, -1, 2])`); parameters never hold one. */
typedef enum mt_value_kind { MT_INT, MT_FLOAT, MT_BOOL, MT_STRING, MT_INTS } mt_value_kind;

/* A compile-time constant. A number is a cnum (cnum.h: exact int64 or
 * double) stored as its two kinds, MT_INT (i) and MT_FLOAT (f);
 * mt_value_cnum and mt_value_of_cnum convert, and all arithmetic on it is
 * cnum's. */
typedef struct mt_value {
  mt_value_kind kind;
  union {
    long long i;
    double f;
    bool b;
    const char *s;
    struct {
      const long long *v; /* in the sema arena */
      int n;
    } ints;
  };
} mt_value;

/* A parameter or argument bound to a value. */
typedef struct mt_binding {
  const char *name;
  mt_value value;
} mt_binding;

typedef enum mt_kind { MT_ATOM, MT_BOND, MT_SEQ, MT_TUPLE, MT_SUM, MT_SCALE, MT_IDENTITY } mt_kind;

typedef struct mt_node mt_node;

/* One weight tensor of an atom instance. */
typedef struct mt_weight {
  const char *name;     /* declared name, e.g. "W" */
  const char *path;     /* e.g. "model.MLP[0].Linear.W" */
  const ast_item *decl; /* the `weight` item: dims, and `value` = init expr */
  int rank;
  long long *dims; /* concrete shape, rank entries, each >= 1 */
  long long numel; /* product of dims */
  mt_node *atom;   /* the owning atom instance */
  int index;       /* position in mt_model.weights (a tied weight: its owner's) */
  /* `tie(m, weight, to)`: the weight `to` that this one is, or NULL. A tied
   * weight is not in mt_model.weights: its atom reads and is stepped
   * through the owner's tensor (docs/language.md, "Weight tying"). */
  const struct mt_weight *tied_to;
} mt_weight;

struct mt_node {
  mt_kind kind;
  const char *path;
  diag_loc loc;    /* the expression that created the node */
  mt_node *parent; /* NULL for the root */
  int nchildren;   /* SEQ, TUPLE, SUM: >= 2; SCALE: 1; others 0 */
  mt_node **children;
  double factor; /* SCALE: the scalar a in a * m */

  /* ATOM and BOND */
  const ast_decl *decl;    /* the atom or bond declaration */
  int nparams;             /* every declared parameter, in declaration order, */
  mt_binding *params;      /* bound to a constant (defaults applied) */
  const ast_item *forward; /* the forward(...) definition */
  /* ATOM only (NULL / 0 otherwise) */
  const ast_item *norm;    /* `norm = ...` */
  const ast_item *dualize; /* `dualize(...) = ...` */
  int nweights;
  mt_weight *weights; /* in declaration order */
  int atom_index;     /* position in mt_model.atoms */

  double mass, sens; /* see NUMBERS above */
  double share;      /* step share (target norm) reaching this node */
};

typedef struct mt_model {
  mt_node *root;
  int natoms;
  mt_node **atoms; /* every atom instance, in data-flow (path) order */
  int nweights;
  mt_weight **weights; /* every weight, atoms' order then declaration order */
  long long nparams;   /* total number of weight elements */
} mt_model;

const char *mt_kind_name(mt_kind k); /* "atom", "sequence", ... */

/* The bound value of parameter `name` of an atom or bond, or NULL. */
const mt_value *mt_param(const mt_node *n, const char *name);

/* Prints a constant as duet source would write it (strings quoted). */
void mt_value_print(FILE *out, mt_value v);
/* Numeric value of an int or float constant (bools and strings give 0). */
double mt_value_num(mt_value v);
/* The number of an MT_INT or MT_FLOAT, and the constant of a number. */
cnum mt_value_cnum(mt_value v);
mt_value mt_value_of_cnum(cnum n);

/* Prints a weight's shape as `[512, 784]`. */
void mt_shape_print(FILE *out, const mt_weight *w);

/* Stable indented dump of the tree: one line per node with kind, path,
 * parameters, weights, mass, sensitivity and share (for golden tests). */
void mt_dump(FILE *out, const mt_node *root);

#endif
