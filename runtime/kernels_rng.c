/*
 * kernels_rng.c - the counter-based random number generator
 * (Philox4x32-10, Salmon et al. 2011) and random permutations drawn from it.
 */
#include <assert.h>

#include "rt_kernels.h"

enum { PHILOX_ROUNDS = 10 };
static const uint32_t philox_m0 = 0xD2511F53u, philox_m1 = 0xCD9E8D57u;
static const uint32_t philox_w0 = 0x9E3779B9u, philox_w1 = 0xBB67AE85u;

void rt_philox4x32(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
  uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < PHILOX_ROUNDS; r++) {
    if (r > 0) {
      k0 += philox_w0;
      k1 += philox_w1;
    }
    const uint64_t p0 = (uint64_t)philox_m0 * c0;
    const uint64_t p1 = (uint64_t)philox_m1 * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* Sequential 32-bit words of the Philox stream (seed, stream). */
typedef struct {
  uint64_t seed, stream, counter;
  uint32_t buf[4];
  int used; /* words of buf already handed out */
} word_source;

static uint32_t next_word(word_source *src) {
  if (src->used == 4) {
    rt_philox4x32(src->seed, src->stream, src->counter++, src->buf);
    src->used = 0;
  }
  return src->buf[src->used++];
}

/* Uniform integer in [0, range), range >= 1, without bias (Lemire 2019:
 * multiply-shift with rejection of the short first interval). */
static uint32_t uniform_below(word_source *src, uint32_t range) {
  uint64_t prod = (uint64_t)next_word(src) * range;
  if ((uint32_t)prod < range) {
    const uint32_t threshold = (uint32_t)(-range) % range;
    while ((uint32_t)prod < threshold)
      prod = (uint64_t)next_word(src) * range;
  }
  return (uint32_t)(prod >> 32);
}

void rt_permutation(uint32_t *perm, uint32_t n, uint64_t seed, uint64_t stream) {
  word_source src = {seed, stream, 0, {0, 0, 0, 0}, 4};
  for (uint32_t i = 0; i < n; i++)
    perm[i] = i;
  for (uint32_t i = n; i > 1; i--) {
    const uint32_t j = uniform_below(&src, i);
    const uint32_t t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
}
