/*
 * kernels_exp.h - rt_exp_f32: e^x in float without branches or library
 * calls, so that the softmax loops over it vectorize. Within 2 ulp of e^x
 * for normal results; underflows to 0 below about -104, overflows to +inf
 * above about 88.72, NaN in gives NaN out.
 */
#ifndef DUET_KERNELS_EXP_H
#define DUET_KERNELS_EXP_H

#include <stdint.h>
#include <string.h>

/* 2^k for -126 <= k <= 127. */
static inline float rt_pow2i_f32(int32_t k) {
  const uint32_t bits = (uint32_t)(k + 127) << 23;
  float r;
  memcpy(&r, &bits, sizeof r);
  return r;
}

/* x = k ln2 + r with |r| <= ln2 / 2 (k rounded to nearest by adding and
 * subtracting 1.5 * 2^23, ln2 split so that k * ln2_hi is exact), e^r by its
 * Taylor polynomial of degree 7 (truncation below 1e-8 relative), times 2^k
 * as 2^(k/2) 2^(k - k/2) so that both factors stay normal. */
static inline float rt_exp_f32(float x) {
  float c = x > -104.0f ? x : -104.0f; /* also NaN -> -104: restored below */
  c = c < 89.0f ? c : 89.0f;
  const float shift = 12582912.0f;
  const float k = (c * 1.44269504088896341f + shift) - shift;
  const float r = (c - k * 0.693359375f) + k * 2.12194440e-4f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t ki = (int32_t)k, k1 = ki / 2;
  const float y = (p * rt_pow2i_f32(k1)) * rt_pow2i_f32(ki - k1);
  return x != x ? x : y;
}

#endif
