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

/* A view [B, H, rows, D] of an operand or result: element [b, h, i, d] at
 * b sB + h sH + i ld + d. */
typedef struct {
  long sB, sH, ld;
} att_view;

#define RT_IMPL "kernels_attention_impl.h"
#include "kernels_instantiate.h"
