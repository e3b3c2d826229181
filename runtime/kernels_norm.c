/*
 * kernels_norm.c - RMS normalization and layer normalization over the last
 * axis (no learned gain), forward and backward.
 */
#include <assert.h>

#include "rt_kernels.h"

#define RT_IMPL "kernels_norm_impl.h"
#include "kernels_instantiate.h"
