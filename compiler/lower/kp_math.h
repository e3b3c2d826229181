/*
 * kp_math.h - the exact semantics of the scalar operations of kernel-program
 * loops (kp_eop), as C for float (_f32) and double (_f64). Every back end
 * must produce bit-identical results: the LLVM back end (cg_math.c) emits
 * the same IEEE operations in the same order with the same constants, and a
 * C back end can compile these functions (ISO C, no FP contraction:
 * -std=c11 or -ffp-contract=off). log, pow, sin and cos are libm's.
 *
 * exp: clamp x to [lo, hi], k = rint(x log2 e), r = (x - k ln2_hi) -
 * k ln2_lo, e^r by Horner on the Taylor coefficients below (degree 7 for
 * float, 13 for double), times 2^k applied as 2^(k>>1) 2^(k-(k>>1)); NaN in
 * gives NaN out.
 *
 * tanh, double: copysign((1 - e) / (1 + e), x), e = exp(-2|x|). tanh,
 * float: x itself where |x| < 0.0004; otherwise x clamped to [-9, 9] and
 * x P(x^2) / Q(x^2), Eigen's minimax rational of degrees 13 and 6 (its
 * constants below) with both polynomials divided by P's constant term,
 * which rounds better without fused multiply-adds (6.2 ulp at most, 3.7e-7
 * absolute; 6.9 ulp as given), then clamped to [-1, 1]. It costs half the
 * operations of the exponential form, and its error relative to tanh stays
 * bounded near 0, where 1 - e cancels.
 * Comparisons give 1 or 0; max/min pick the
 * left operand on ties (and on NaN in the right one).
 */
#ifndef DUET_KP_MATH_H
#define DUET_KP_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define KP_LOG2E 1.4426950408889634

/* exp range, ln 2 split, polynomial degree: float then double */
#define KP_EXP_LO_f32  -104.0
#define KP_EXP_HI_f32  89.0
#define KP_LN2_HI_f32  0.693359375
#define KP_LN2_LO_f32  -2.12194440e-4
#define KP_EXP_DEG_f32 7
#define KP_EXP_LO_f64  -746.0
#define KP_EXP_HI_f64  710.0
#define KP_LN2_HI_f64  6.93147180369123816490e-01
#define KP_LN2_LO_f64  1.90821492927058770002e-10
#define KP_EXP_DEG_f64 13

/* tanh's rational for float, coefficients of x^0, x^2, ... (numerator:
 * times x); the code uses each divided by KP_TANH_P[0] (in double, then
 * rounded to float) */
#define KP_TANH_TINY_f32  0.0004
#define KP_TANH_CLAMP_f32 9.0
static const double KP_TANH_P[7] = {
    4.89352455891786e-03,  6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
    -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16};
static const double KP_TANH_Q[4] = {4.89352518554385e-03, 2.26843463243900e-03,
                                    1.18534705686654e-04, 1.19825839466702e-06};

/* 1/i!, correctly rounded to double (converted to float for _f32) */
static const double KP_EXP_COEF[14] = {
    0x1.0000000000000p+0,  0x1.0000000000000p+0,  0x1.0000000000000p-1,  0x1.5555555555555p-3,
    0x1.5555555555555p-5,  0x1.1111111111111p-7,  0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13,
    0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5cp-22, 0x1.ae64567f544e4p-26,
    0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33,
};

#define KP_MATH(T, S, I, U, BIAS, MBITS, RINT, SQRT, LOG, POW, SIN, COS)       \
  static inline T kp_pow2##S(I k) {                                            \
    U bits = (U)(k + BIAS) << MBITS;                                           \
    T r;                                                                       \
    memcpy(&r, &bits, sizeof r);                                               \
    return r;                                                                  \
  }                                                                            \
  static inline T kp_exp##S(T x) {                                             \
    x = x < (T)KP_EXP_LO##S ? (T)KP_EXP_LO##S : x;                             \
    x = x > (T)KP_EXP_HI##S ? (T)KP_EXP_HI##S : x;                             \
    T k = RINT(x * (T)KP_LOG2E);                                               \
    k = x != x ? (T)0 : k;                                                     \
    T r = (x - k * (T)KP_LN2_HI##S) - k * (T)KP_LN2_LO##S;                     \
    T p = (T)KP_EXP_COEF[KP_EXP_DEG##S];                                       \
    for (int i = KP_EXP_DEG##S - 1; i >= 0; i--)                               \
      p = p * r + (T)KP_EXP_COEF[i];                                           \
    I ki = (I)k, k1 = ki >> 1, k2 = ki - k1;                                   \
    return (p * kp_pow2##S(k1)) * kp_pow2##S(k2);                              \
  }                                                                            \
  static inline T kp_sigmoid##S(T x) { return (T)1 / ((T)1 + kp_exp##S(-x)); } \
  static inline T kp_rsqrt##S(T x) { return (T)1 / SQRT(x); }                  \
  static inline T kp_sign##S(T x) { return (T)(x > 0) - (T)(x < 0); }          \
  static inline T kp_relu##S(T x) { return x > 0 ? x : (T)0; }                 \
  static inline T kp_max##S(T a, T b) { return a >= b ? a : b; }               \
  static inline T kp_min##S(T a, T b) { return a <= b ? a : b; }               \
  static inline T kp_log##S(T x) { return LOG(x); }                            \
  static inline T kp_pow##S(T a, T b) { return POW(a, b); }                    \
  static inline T kp_sin##S(T x) { return SIN(x); }                            \
  static inline T kp_cos##S(T x) { return COS(x); }

KP_MATH(float, _f32, int32_t, uint32_t, 127, 23, rintf, sqrtf, logf, powf, sinf, cosf)
KP_MATH(double, _f64, int64_t, uint64_t, 1023, 52, rint, sqrt, log, pow, sin, cos)

static inline float kp_tanh_f32(float x) {
  const float c = (float)KP_TANH_CLAMP_f32;
  float y = x < -c ? -c : x;
  y = y > c ? c : y;
  const float y2 = y * y;
  float p = (float)(KP_TANH_P[6] / KP_TANH_P[0]);
  for (int i = 5; i >= 0; i--)
    p = p * y2 + (float)(KP_TANH_P[i] / KP_TANH_P[0]);
  float q = (float)(KP_TANH_Q[3] / KP_TANH_P[0]);
  for (int i = 2; i >= 0; i--)
    q = q * y2 + (float)(KP_TANH_Q[i] / KP_TANH_P[0]);
  float r = (p * y) / q;
  r = r > 1.0f ? 1.0f : r;
  r = r < -1.0f ? -1.0f : r;
  return fabsf(x) < (float)KP_TANH_TINY_f32 ? x : r;
}

static inline double kp_tanh_f64(double x) {
  double e = kp_exp_f64(-2.0 * fabs(x));
  return copysign((1.0 - e) / (1.0 + e), x);
}

#endif
