/*
 * ops_lang.h - the language-facing part of the operation registry: how a
 * builtin function of tensor bodies and compile-time expressions is called
 * (name, where it may be used, parameters) and its value on numbers.
 * Semantic analysis reads only this part: it includes the family
 * declarations (ops_all.def) with OPS_OP empty and OPS_BUILTIN expanding to
 * an ops_lang (and its fold, a cnum_fn: the value on numbers is computed
 * by cnum.h in every phase). Nothing here refers to the graph IR.
 */
#ifndef DUET_OPS_LANG_H
#define DUET_OPS_LANG_H

#include <stdbool.h>

#include "cnum.h"

/* Where a builtin may be used (the low bits of sema's builtin uses). */
enum {
  OPS_USE_CONST = 1, /* compile-time numeric function (module args, dims, ...) */
  OPS_USE_TENSOR = 2 /* tensor function in forward/norm/dualize/optimizer bodies */
};

#define OPS_MAX_PARAMS 8

/* How a builtin is called: the variadic part of an OPS_BUILTIN entry, and
 * what sema knows of every builtin (sema_builtin). */
typedef struct ops_lang {
  const char *name;
  unsigned use;  /* OPS_USE_* bits (and sema's further bits) */
  int nrequired; /* leading required parameters */
  int nparams;
  bool variadic;                      /* any number of further positional arguments */
  const char *params[OPS_MAX_PARAMS]; /* parameter names (keyword arguments) */
} ops_lang;

#endif
