/* drv_sampler.h: the choice of the next token from a row of logits, for
 * `duet sample`: greedy at temperature 0, else a draw from
 * softmax(logits / temperature) over the top k logits. The draw is a pure
 * function of the logits, the settings, the seed and a step counter. */
#ifndef DUET_DRV_SAMPLER_H
#define DUET_DRV_SAMPLER_H

#include <stdint.h>

typedef struct drv_sampler {
  double temperature; /* >= 0; 0: the largest logit */
  int top_k;          /* draw among the k largest logits (ties at the k-th
                         included); 0: among all */
  uint64_t seed;
} drv_sampler;

/* The chosen index among logits[0..n-1] (n >= 1) at draw number `step`.
 * scratch holds n doubles. */
int drv_sample_next(const drv_sampler *s, const double *logits, int n, uint64_t step,
                    double *scratch);

#endif
