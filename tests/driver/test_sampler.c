/* test_sampler.c: the next-token choice of `duet sample` (drv_sampler.h):
 * greedy at temperature 0 (the first of equal largest logits), draws only
 * among the top k, the frequencies of 40000 draws against
 * softmax(logits / temperature) (within 5 standard errors), and the same
 * draw for the same seed and step. */
#include <math.h>

#include "check.h"
#include "drv_sampler.h"

enum { N = 6, DRAWS = 40000 };

/* Frequencies of DRAWS draws (steps 0, 1, ...) into freq[N]. */
static void frequencies(const drv_sampler *s, const double *logits, double *freq) {
  double scratch[N];
  for (int i = 0; i < N; i++)
    freq[i] = 0;
  for (int d = 0; d < DRAWS; d++)
    freq[drv_sample_next(s, logits, N, (uint64_t)d, scratch)] += 1;
  for (int i = 0; i < N; i++)
    freq[i] /= DRAWS;
}

/* Checks freq against softmax(logits / temperature) over the indices kept. */
static void expect_softmax(check_ctx *t, const char *what, const double *logits, double temp,
                           const int *kept, const double *freq) {
  double p[N], total = 0;
  for (int i = 0; i < N; i++)
    total += p[i] = kept[i] ? exp(logits[i] / temp) : 0;
  for (int i = 0; i < N; i++) {
    double want = p[i] / total, se = sqrt(want * (1 - want) / DRAWS) + 1e-12;
    check(t, fabs(freq[i] - want) <= 5 * se, "%s: token %d drawn %.4f, softmax %.4f", what, i,
          freq[i], want);
  }
}

int main(void) {
  check_ctx ctx = {0}, *t = &ctx;
  double logits[N] = {0.5, 2.0, -1.0, 2.0, 1.0, 0.0}, scratch[N], freq[N];

  drv_sampler greedy = {.temperature = 0, .seed = 1};
  check(t, drv_sample_next(&greedy, logits, N, 0, scratch) == 1,
        "temperature 0: the first largest logit");

  drv_sampler full = {.temperature = 1, .seed = 7};
  frequencies(&full, logits, freq);
  int all[N] = {1, 1, 1, 1, 1, 1};
  expect_softmax(t, "temperature 1", logits, 1, all, freq);

  drv_sampler cool = {.temperature = 0.5, .top_k = 3, .seed = 7};
  frequencies(&cool, logits, freq);
  int top3[N] = {0, 1, 0, 1, 1, 0};
  expect_softmax(t, "temperature 0.5, top 3", logits, 0.5, top3, freq);

  drv_sampler one = {.temperature = 2, .top_k = 1, .seed = 3};
  double distinct[N] = {0.1, 0.2, 3.0, 0.3, 0.4, 0.5};
  frequencies(&one, distinct, freq);
  check(t, freq[2] == 1, "top 1 is greedy: token 2 drawn %.4f", freq[2]);

  drv_sampler a = {.temperature = 1, .seed = 11}, b = a;
  int same = 0;
  for (int d = 0; d < 100; d++)
    same += drv_sample_next(&a, logits, N, (uint64_t)d, scratch) ==
            drv_sample_next(&b, logits, N, (uint64_t)d, scratch);
  check(t, same == 100, "the same seed and step give the same draw (%d of 100)", same);
  return check_done(t, "test_sampler");
}
