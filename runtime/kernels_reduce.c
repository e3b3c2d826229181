/*
 * kernels_reduce.c - sum and max reductions over the middle axis of an
 * [outer, n, inner] view.
 */
#include <assert.h>
#include <string.h>

#include "rt_kernels.h"

#define RT_IMPL "kernels_reduce_impl.h"
#include "kernels_instantiate.h"
