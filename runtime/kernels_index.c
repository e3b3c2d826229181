/*
 * kernels_index.c - kernels producing or reading int32 indices along the
 * last axis: argmax, one-hot encoding, and the k largest values with their
 * columns and the scatter of their gradient.
 */
#include <assert.h>
#include <string.h>

#include "rt_kernels.h"

#define RT_IMPL "kernels_index_impl.h"
#include "kernels_instantiate.h"
