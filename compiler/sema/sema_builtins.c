/* sema_builtins.c: the table of builtin functions the language knows, with
 * where each may be used (compile-time values, tensor bodies, initializers,
 * data sources, losses, metrics) and its parameter names. The
 * functions of tensor bodies and compile-time values are those of the
 * operation registry (compiler/ops, language-facing part only); the others
 * are listed here. A builtin without required parameters may also be
 * written as a bare name (`init orthogonal`, `loss = cross_entropy`). */
#include <assert.h>
#include <string.h>

#include "sema_internal.h"

/* The registry's builtins (OPS_BUILTIN entries of its families). */
static const sema_builtin op_builtins[] = {
#define OPS_OP(...)
#define OPS_BUILTIN(nm, build, op, fold, defaults, ...) {.name = #nm, __VA_ARGS__},
#include "../ops/ops_all.def"
#undef OPS_OP
#undef OPS_BUILTIN
};

/* Their values on numbers, in the same order. */
static const cnum_fn op_folds[] = {
#define OPS_OP(...)
#define OPS_BUILTIN(nm, build, op, fold, ...) fold,
#include "../ops/ops_all.def"
#undef OPS_OP
#undef OPS_BUILTIN
};

/* Builtins that are not tensor or compile-time functions. */
static const sema_builtin other_builtins[] = {
    /* weight initializers */
    {"orthogonal", BT_INIT, 0, 1, false, {"scale"}},
    {"normal", BT_INIT, 0, 1, false, {"std"}},
    {"uniform", BT_INIT, 2, 2, false, {"low", "high"}},
    {"zeros", BT_INIT, 0, 0, false, {0}},
    {"ones", BT_INIT, 0, 0, false, {0}},
    /* modules: with_mass(m, 5) rescales the masses of m's atoms to sum to 5 */
    {"with_mass", BT_MODULE, 2, 2, false, {"m", "mass"}},
    /* tie(m, "*.Head.W", "*.Embed.E"): the first weight is the second */
    {"tie", BT_MODULE, 3, 3, false, {"m", "weight", "to"}},
    /* experiments (the data sources come from host/data_sources.c) */
    {"cross_entropy", BT_LOSS, 0, 0, false, {0}},
    {"mse", BT_LOSS, 0, 0, false, {0}},
    {"accuracy", BT_METRIC, 1, 1, false, {"data"}},
    {"loss", BT_METRIC, 1, 1, false, {"data"}},
    /* a metric of the weights (its parameter is not "data") */
    {"singular_values", BT_METRIC, 1, 1, false, {"weights"}},
    /* a metric of the weights on a data set */
    {"head_ablation", BT_METRIC, 2, 2, false, {"data", "weights"}},
};

enum {
  NOPS = sizeof op_builtins / sizeof op_builtins[0],
  NOTHERS = sizeof other_builtins / sizeof other_builtins[0],
  MAX_DATA_SOURCES = 32
};

/* The data sources of host/data_sources.c as builtins, filled on first use. */
static sema_builtin data_sources[MAX_DATA_SOURCES];
static int ndata_sources = -1;

static void fill_data_sources(void) {
  if (ndata_sources >= 0)
    return;
  ndata_sources = sema_data_builtin_count();
  assert(ndata_sources <= MAX_DATA_SOURCES);
  for (int i = 0; i < ndata_sources; i++)
    sema_data_builtin(i, &data_sources[i]);
}

const sema_builtin *sema_builtin_find(const char *name, unsigned use) {
  for (int i = 0; i < sema_builtin_count(); i++) {
    const sema_builtin *b = sema_builtin_at(i);
    if ((b->use & use) && strcmp(b->name, name) == 0)
      return b;
  }
  return NULL;
}

int sema_builtin_count(void) {
  fill_data_sources();
  return NOPS + NOTHERS + ndata_sources;
}

cnum_fn sema_builtin_fold(const sema_builtin *b) {
  return b >= op_builtins && b < op_builtins + NOPS ? op_folds[b - op_builtins] : CNUM_FN_NONE;
}

const sema_builtin *sema_builtin_at(int i) {
  fill_data_sources();
  if (i < NOPS)
    return &op_builtins[i];
  return i < NOPS + NOTHERS ? &other_builtins[i - NOPS] : &data_sources[i - NOPS - NOTHERS];
}
