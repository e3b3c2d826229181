/*
 * test_io_nonfinite.c - rt_find_nonfinite_f32/_f64 against a plain isfinite
 * scan: NaN (either sign) and +-Inf found at block edges and anywhere, the
 * extremes of the finite range never flagged.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"
#include "test_io_check.h"

#define N 5000

#define REFERENCE(NAME, T)                 \
  static long NAME(const T *x, size_t n) { \
    for (size_t i = 0; i < n; i++)         \
      if (!isfinite(x[i]))                 \
        return (long)i;                    \
    return -1;                             \
  }
REFERENCE(reference_f32, float)
REFERENCE(reference_f64, double)

/* Finite values including the extremes; fill(i) cycles through them. */
#define FILL(NAME, T, MAX, MIN)                                        \
  static void NAME(T *x) {                                             \
    const T special[] = {MAX, -(MAX), MIN, (MIN) / 4, -0.0, 0.0, 1.0}; \
    for (int i = 0; i < N; i++)                                        \
      x[i] = i % 3 == 0 ? special[i % 7] : (T)(i * 0.37 - 900);        \
  }
FILL(fill_f32, float, FLT_MAX, FLT_MIN)
FILL(fill_f64, double, DBL_MAX, DBL_MIN)

#define CHECK_TYPE(FN, REF, FILLFN, T)                                                         \
  do {                                                                                         \
    static T x[N];                                                                             \
    FILLFN(x);                                                                                 \
    CHECK(t, FN(x, N) == -1, "finite data flagged at %ld", FN(x, N));                          \
    CHECK(t, FN(x, 0) == -1, "empty input flagged");                                           \
    const size_t at[] = {0, 1, 1023, 1024, 1025, 2047, 4096, N - 1};                           \
    const T bad[] = {NAN, -NAN, INFINITY, -INFINITY};                                          \
    for (size_t a = 0; a < sizeof at / sizeof at[0]; a++)                                      \
      for (int b = 0; b < 4; b++) {                                                            \
        FILLFN(x);                                                                             \
        x[at[a]] = bad[b];                                                                     \
        if (at[a] + 700 < N)                                                                   \
          x[at[a] + 700] = NAN; /* a later one must not win */                                 \
        long got = FN(x, N), want = REF(x, N);                                                 \
        CHECK(t, got == want && want == (long)at[a], #T ": expected %ld, got %ld", want, got); \
        CHECK(t, FN(x, at[a]) == -1, #T ": prefix before %zu flagged", at[a]);                 \
      }                                                                                        \
  } while (0)

int main(void) {
  check_ctx tally = {0}, *t = &tally;
  CHECK_TYPE(rt_find_nonfinite_f32, reference_f32, fill_f32, float);
  CHECK_TYPE(rt_find_nonfinite_f64, reference_f64, fill_f64, double);
  return check_done(t, "test_io_nonfinite");
}
