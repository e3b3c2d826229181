/*
 * kernels_bf16.h - bfloat16 (the upper 16 bits of an IEEE float) for the
 * runtime: rounding a float to the nearest bf16 (ties to even; NaN stays
 * NaN, quieted), widening back, and mirroring the upper triangle of a
 * square bf16 matrix into its lower one.
 */
#ifndef DUET_KERNELS_BF16_H
#define DUET_KERNELS_BF16_H

#include <stdint.h>
#include <string.h>

static inline uint16_t rt_bf16_of(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint32_t nan = (u >> 16) | 0x40u;
  return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

static inline float rt_bf16_to_f32(uint16_t b) {
  const uint32_t u = (uint32_t)b << 16;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* x rounded to the nearest bf16 value. */
static inline float rt_bf16_round(float x) { return rt_bf16_to_f32(rt_bf16_of(x)); }

/* Defines `static inline void NAME(T *A, int s)`: for a row-major s x s A,
 * the lower triangle becomes the transpose of the upper one, in 32 x 32
 * tiles (here for bf16, in kernels_common_impl.h for each real type). */
#define RT_DEFINE_MIRROR_UPPER(NAME, T)               \
  static inline void NAME(T *A, int s) {              \
    enum { TILE = 32 };                               \
    for (int i0 = 0; i0 < s; i0 += TILE)              \
      for (int j0 = 0; j0 <= i0; j0 += TILE) {        \
        const int i1 = i0 + TILE < s ? i0 + TILE : s; \
        const int j1 = j0 + TILE < s ? j0 + TILE : s; \
        for (int i = i0; i < i1; i++)                 \
          for (int j = j0; j < j1 && j < i; j++)      \
            A[(long)i * s + j] = A[(long)j * s + i];  \
      }                                               \
  }

RT_DEFINE_MIRROR_UPPER(rt_bf16_mirror_upper, uint16_t)

#endif
