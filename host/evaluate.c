/* evaluate.c: whole-set evaluation: the model's evaluation on the set's
 * examples in order, batches of the evaluation size and the remainder,
 * and the example-weighted means; abandoned between two batches after
 * SIGINT or SIGTERM. */
#include <math.h>
#include <stdlib.h>

#include "host_evaluate.h"
#include "host_interrupt.h"

int host_eval_buffers_init(host_eval_buffers *b, const host_model *m, const host_dataset *d) {
  const size_t real = m->f64 ? sizeof(double) : sizeof(float);
  const size_t xs = d->ex.x_tokens ? sizeof(int32_t) : real;
  const size_t ys = d->ex.y_labels ? sizeof(int32_t) : real;
  const size_t rows = (size_t)m->eval_batch;
  b->xbytes = (size_t)d->x_numel * xs;
  b->ybytes = (size_t)d->y_numel * ys;
  b->idx = malloc(rows * sizeof *b->idx);
  b->x = malloc(rows * (size_t)d->x_numel * xs);
  b->y = malloc(rows * (size_t)d->y_numel * ys);
  return b->idx && b->x && b->y ? 0 : -1;
}

void host_eval_buffers_free(host_eval_buffers *b) {
  free(b->idx);
  free(b->x);
  free(b->y);
  *b = (host_eval_buffers){0};
}

int host_eval_batch(const host_model *m, const void *x, const void *y, long n, size_t xbytes,
                    size_t ybytes, double *loss, double *correct) {
  if (m->eval(m->self, x, y, n, loss, correct) == 0)
    return 0;
  if (n < 2)
    return -1;
  long a = 1;
  while (a * 2 < n)
    a *= 2;
  double l1, c1, l2, c2;
  if (host_eval_batch(m, x, y, a, xbytes, ybytes, &l1, &c1) < 0 ||
      host_eval_batch(m, (const char *)x + (size_t)a * xbytes, (const char *)y + (size_t)a * ybytes,
                      n - a, xbytes, ybytes, &l2, &c2) < 0)
    return -1;
  *loss = (l1 * (double)a + l2 * (double)(n - a)) / (double)n;
  *correct = c1 + c2;
  return 0;
}

int host_eval_set(const host_model *m, const host_dataset *d, host_eval_buffers *b, double *loss,
                  double *accuracy, rt_error *err) {
  const long full = m->eval_batch;
  double sum_loss = 0, sum_correct = 0;
  for (long first = 0; first < d->n; first += full) {
    if (host_interrupt_signal()) {
      rt_error_set(err, "the evaluation of %s was interrupted", d->name);
      return HOST_EVAL_INTERRUPTED;
    }
    long count = d->n - first < full ? d->n - first : full;
    for (long i = 0; i < count; i++)
      b->idx[i] = (uint32_t)(first + i);
    d->gather(d, b->idx, (uint32_t)count, m->f64, b->x, b->y);
    double l, c;
    if (host_eval_batch(m, b->x, b->y, count, b->xbytes, b->ybytes, &l, &c) < 0) {
      rt_error_set(err,
                   "the program cannot evaluate a batch of %ld examples of %s (emit it again "
                   "with this data)",
                   count, d->name);
      return -1;
    }
    sum_loss += l * (double)count;
    sum_correct += c; /* NaN when the model counts none */
  }
  *loss = sum_loss / (double)d->n;
  *accuracy = sum_correct / (double)d->n;
  return 0;
}
