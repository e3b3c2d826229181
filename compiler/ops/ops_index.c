/*
 * ops_index.c - rules, gradients and builders of the operations on
 * indices (int32 tensors).
 */
#include "ops_family.h"

#include "ops_index.def"
