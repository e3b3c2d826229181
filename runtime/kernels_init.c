/*
 * kernels_init.c - parameter initializers on the Philox generator: normal
 * (Box-Muller), uniform, and orthogonal (QR of a Gaussian matrix). Element
 * i of a fill uses Philox counter i / 4, word i % 4.
 */
#include <assert.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "rt_kernels.h"

/* The four 32-bit words as uniforms in (0, 1). */
static void philox_uniform4(uint64_t seed, uint64_t stream, uint64_t counter, double u[4]) {
  uint32_t w[4];
  rt_philox4x32(seed, stream, counter, w);
  for (int i = 0; i < 4; i++)
    u[i] = ((double)w[i] + 0.5) * 0x1p-32;
}

/* Four standard normals: Box-Muller on the word pairs (0, 1) and (2, 3). */
static void philox_normal4(uint64_t seed, uint64_t stream, uint64_t counter, double z[4]) {
  const double two_pi = 6.283185307179586476925286766559;
  double u[4];
  philox_uniform4(seed, stream, counter, u);
  for (int i = 0; i < 4; i += 2) {
    const double r = sqrt(-2.0 * log(u[i]));
    z[i] = r * cos(two_pi * u[i + 1]);
    z[i + 1] = r * sin(two_pi * u[i + 1]);
  }
}

typedef void (*philox_draw4)(uint64_t, uint64_t, uint64_t, double[4]);

#define RT_IMPL "kernels_init_impl.h"
#include "kernels_instantiate.h"
