/*
 * kernels_embed.c - embedding lookup (row gather from a [vocab, dim] table)
 * and its backward (scatter-add of the output gradient into the table).
 */
#include <assert.h>
#include <string.h>

#include "rt_kernels.h"

#define RT_IMPL "kernels_embed_impl.h"
#include "kernels_instantiate.h"
