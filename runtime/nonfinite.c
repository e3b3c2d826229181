/*
 * nonfinite.c - finding the first NaN or infinity in a buffer (losses,
 * gradients, updates). Tests exponent bits so that the scan vectorizes.
 */
#include <string.h>

#include "rt_io.h"

/* Scans in blocks: a branch-free OR over the block, then a search inside the
 * first block that has a non-finite value. */
#define SCAN_BLOCK 1024

#define FIND_NONFINITE(NAME, T, U, EXP)                             \
  long NAME(const T *x, size_t n) {                                 \
    for (size_t start = 0; start < n; start += SCAN_BLOCK) {        \
      size_t end = n - start < SCAN_BLOCK ? n : start + SCAN_BLOCK; \
      int bad = 0;                                                  \
      for (size_t i = start; i < end; i++) {                        \
        U bits;                                                     \
        memcpy(&bits, &x[i], sizeof bits);                          \
        bad |= (bits & EXP) == EXP;                                 \
      }                                                             \
      if (!bad)                                                     \
        continue;                                                   \
      for (size_t i = start; i < end; i++) {                        \
        U bits;                                                     \
        memcpy(&bits, &x[i], sizeof bits);                          \
        if ((bits & EXP) == EXP)                                    \
          return (long)i;                                           \
      }                                                             \
    }                                                               \
    return -1;                                                      \
  }

FIND_NONFINITE(rt_find_nonfinite_f32, float, uint32_t, 0x7f800000u)
FIND_NONFINITE(rt_find_nonfinite_f64, double, uint64_t, 0x7ff0000000000000ull)
