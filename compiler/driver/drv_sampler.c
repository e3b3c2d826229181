/* drv_sampler.c: greedy, temperature and top-k choice of the next token
 * (see drv_sampler.h). The uniform number of draw `step` comes from Philox
 * at (seed, stream 0, counter step). */
#include "drv_sampler.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"

static int argmax(const double *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

static int descending(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

/* A uniform number in [0, 1) with 53 random bits. */
static double uniform(uint64_t seed, uint64_t step) {
  uint32_t r[4];
  rt_philox4x32(seed, 0, step, r);
  return ((double)(r[0] >> 5) * 67108864.0 + (double)(r[1] >> 6)) / 9007199254740992.0;
}

int drv_sample_next(const drv_sampler *s, const double *logits, int n, uint64_t step,
                    double *scratch) {
  assert(n >= 1 && s->temperature >= 0 && s->top_k >= 0);
  int best = argmax(logits, n);
  if (s->temperature == 0)
    return best;
  double cut = -INFINITY;
  if (s->top_k > 0 && s->top_k < n) {
    memcpy(scratch, logits, (size_t)n * sizeof *scratch);
    qsort(scratch, (size_t)n, sizeof *scratch, descending);
    cut = scratch[s->top_k - 1];
  }
  double total = 0;
  for (int i = 0; i < n; i++) {
    scratch[i] = logits[i] >= cut ? exp((logits[i] - logits[best]) / s->temperature) : 0;
    total += scratch[i];
  }
  double u = uniform(s->seed, step) * total, acc = 0;
  int last = best;
  for (int i = 0; i < n; i++) {
    if (scratch[i] == 0)
      continue;
    acc += scratch[i];
    last = i;
    if (u < acc)
      return i;
  }
  return last; /* rounding left u at the very top of the sum */
}
