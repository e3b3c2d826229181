/* sema_builtins.c: the table of builtin functions the language knows, with
 * where each may be used (compile-time values, tensor bodies, initializers,
 * data sources, losses, schedules, metrics) and its parameter names. A
 * builtin without required parameters may also be written as a bare name
 * (`init orthogonal`, `loss = cross_entropy`, `linear_decay`). */
#include <assert.h>
#include <string.h>

#include "sema_internal.h"

#define T BT_TENSOR
#define C BT_CONST

static const sema_builtin builtins[] = {
    /* elementwise math: compile-time and tensor */
    {"sqrt", C | T, 1, 1, false, {"x"}},
    {"exp", C | T, 1, 1, false, {"x"}},
    {"log", C | T, 1, 1, false, {"x"}},
    {"abs", C | T, 1, 1, false, {"x"}},
    /* two arguments: elementwise; one tensor argument: its largest element */
    {"min", C | T, 1, 2, false, {"a", "b"}},
    {"max", C | T, 1, 2, false, {"a", "b"}},
    {"floor", C, 1, 1, false, {"x"}},
    {"ceil", C, 1, 1, false, {"x"}},
    /* elementwise, tensors only */
    {"rsqrt", T, 1, 1, false, {"x"}},
    {"tanh", T, 1, 1, false, {"x"}},
    {"sigmoid", T, 1, 1, false, {"x"}},
    {"sign", T, 1, 1, false, {"x"}},
    {"relu", T, 1, 1, false, {"x"}},
    {"gelu", T, 1, 1, false, {"x"}},
    {"square", T, 1, 1, false, {"x"}},
    {"where", T, 3, 3, false, {"cond", "a", "b"}},
    /* shapes */
    {"dim", T, 2, 2, false, {"x", "axis"}},
    {"permute", T, 1, 1, true, {"x"}},
    {"reshape", T, 1, 1, true, {"x"}},
    {"flatten", T, 1, 1, false, {"x"}},
    {"split_heads", T, 2, 2, false, {"x", "heads"}},
    {"merge_heads", T, 1, 1, false, {"x"}},
    /* reductions and norms */
    {"sum", T, 1, 2, false, {"x", "axis"}},
    {"mean", T, 1, 2, false, {"x", "axis"}},
    {"rms", T, 1, 2, false, {"x", "axis"}},
    {"rms_rows", T, 1, 1, false, {"x"}},
    {"rms_cols", T, 1, 1, false, {"x"}},
    {"frobenius", T, 1, 1, false, {"x"}},
    {"spectral", T, 1, 1, false, {"W"}},
    /* duality maps and matrix functions */
    {"polar", T, 1, 3, false, {"G", "steps", "schedule"}},
    {"polar_exact", T, 1, 1, false, {"G"}},
    {"normalize_rows", T, 1, 1, false, {"x"}},
    {"normalize_cols", T, 1, 1, false, {"x"}},
    {"center_rows", T, 1, 1, false, {"x"}},
    {"spd_pow", T, 2, 3, false, {"A", "p", "eps"}},
    {"eye", T, 1, 1, false, {"n"}},
    /* network operations */
    {"softmax", T, 1, 2, false, {"x", "scale"}},
    {"rmsnorm", T, 1, 2, false, {"x", "eps"}},
    {"layernorm", T, 1, 2, false, {"x", "eps"}},
    {"attention", T, 3, 4, false, {"q", "k", "v", "causal"}},
    {"rope", T, 1, 2, false, {"x", "base"}},
    {"gather", T, 2, 2, false, {"table", "index"}},
    {"conv2d", T, 2, 4, false, {"x", "W", "stride", "pad"}},
    {"maxpool2d", T, 2, 3, false, {"x", "k", "stride"}},
    {"avgpool2d", T, 2, 3, false, {"x", "k", "stride"}},
    /* an error when reached: rejects a parameter value in a body */
    {"fail", T, 1, 1, false, {"message"}},
    /* weight initializers */
    {"orthogonal", BT_INIT, 0, 1, false, {"scale"}},
    {"normal", BT_INIT, 0, 1, false, {"std"}},
    {"uniform", BT_INIT, 2, 2, false, {"low", "high"}},
    {"zeros", BT_INIT, 0, 0, false, {0}},
    {"ones", BT_INIT, 0, 0, false, {0}},
    /* modules: with_mass(m, 5) rescales the masses of m's atoms to sum to 5 */
    {"with_mass", BT_MODULE, 2, 2, false, {"m", "mass"}},
    /* experiments (the data sources come from host/data_sources.c) */
    {"cross_entropy", BT_LOSS, 0, 0, false, {0}},
    {"mse", BT_LOSS, 0, 0, false, {0}},
    {"constant", BT_SCHED, 0, 0, false, {0}},
    {"warmup", BT_SCHED, 1, 1, false, {"steps"}},
    {"linear_decay", BT_SCHED, 0, 1, false, {"to"}},
    {"cosine_decay", BT_SCHED, 0, 1, false, {"to"}},
    {"accuracy", BT_METRIC, 1, 1, false, {"data"}},
    {"loss", BT_METRIC, 1, 1, false, {"data"}},
    /* a metric of the weights (its parameter is not "data") */
    {"singular_values", BT_METRIC, 1, 1, false, {"weights"}},
    /* a metric of the weights on a data set */
    {"head_ablation", BT_METRIC, 2, 2, false, {"data", "weights"}},
};

#undef T
#undef C

enum { NBUILTINS = sizeof builtins / sizeof builtins[0], MAX_DATA_SOURCES = 32 };

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
  for (int i = 0; i < sema_builtin_count(); i++)
    if ((sema_builtin_at(i)->use & use) && strcmp(sema_builtin_at(i)->name, name) == 0)
      return sema_builtin_at(i);
  return NULL;
}

int sema_builtin_count(void) {
  fill_data_sources();
  return NBUILTINS + ndata_sources;
}

const sema_builtin *sema_builtin_at(int i) {
  fill_data_sources();
  return i < NBUILTINS ? &builtins[i] : &data_sources[i - NBUILTINS];
}
