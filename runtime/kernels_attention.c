/*
 * kernels_attention.c - causal multi-head scaled dot-product attention
 * ([B, H, T, D]) forward and backward with saved probabilities, and rotary
 * position embedding (RoPE) forward and backward.
 */
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"

/* Attention works on blocks of this many query rows, so the causal mask
 * skips (almost) all of the above-diagonal work. */
enum { ATT_ROWS = 64 };

#define RT_IMPL "kernels_attention_impl.h"
#include "kernels_instantiate.h"
