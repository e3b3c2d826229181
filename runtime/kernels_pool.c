/*
 * kernels_pool.c - 2-D max and average pooling over k x k windows with a
 * stride and no padding, forward and backward (NCHW).
 */
#include <assert.h>
#include <string.h>

#include "rt_kernels.h"

static void pool_check(int n, int c, int h, int w, int k, int stride) {
  assert(n >= 0 && c > 0 && k > 0 && stride > 0 && h >= k && w >= k);
  (void)n, (void)c, (void)h, (void)w, (void)k, (void)stride;
}

#define RT_IMPL "kernels_pool_impl.h"
#include "kernels_instantiate.h"
