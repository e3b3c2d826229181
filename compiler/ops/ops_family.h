/*
 * ops_family.h - what a family's .c file includes: the registry interface
 * and the expansion of its .def file into one global op_def per operation
 * (ops_def_<ID>) and one op_builtin per builtin (ops_builtin_<name>), which
 * ops.c indexes. A family .c defines the rules its entries name and
 * includes its .def file last.
 */
#ifndef DUET_OPS_FAMILY_H
#define DUET_OPS_FAMILY_H

#include "ops.h"
#include "rt_kernels.h"

#define OPS_OP(id, ...)             \
  extern const op_def ops_def_##id; \
  const op_def ops_def_##id = {.op = IR_##id, __VA_ARGS__};
#define OPS_BUILTIN(nm, build_fn, op_id, fold_fn, defs, ...)               \
  extern const op_builtin ops_builtin_##nm;                                \
  const op_builtin ops_builtin_##nm = {.lang = {.name = #nm, __VA_ARGS__}, \
                                       .build = build_fn,                  \
                                       .op = op_id,                        \
                                       .fold = fold_fn,                    \
                                       .defaults = defs};
#define OPS_DEFAULTS(...) \
  { __VA_ARGS__ }
#define OPS_NO_DEFAULTS \
  {                     \
    { 0 }               \
  }

#endif
