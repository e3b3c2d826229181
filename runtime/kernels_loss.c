/*
 * kernels_loss.c - softmax over the last axis, fused stable softmax +
 * cross-entropy (mean over rows) with its gradient, accuracy counting, and
 * mean squared error.
 */
#include <assert.h>

#include "rt_kernels.h"

#define RT_IMPL "kernels_loss_impl.h"
#include "kernels_instantiate.h"
