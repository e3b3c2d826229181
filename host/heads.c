/* heads.c: head ablation, read from and written to a model's state: a
 * head's block of a weight (its columns, the last axis split into equal
 * blocks) is saved, zeroed, the data set evaluated, and the block
 * restored; and the plot of the increases. */
#include "host_evaluate.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Block h of the weight data [rows, cols] (columns h * width .. (h + 1) *
 * width - 1 of every row, elements of `size` bytes): with `ablate`, saved
 * into buf [rows, width] and zeroed; else restored from buf. */
static void block(char *data, char *buf, long rows, long cols, long width, int h, size_t size,
                  bool ablate) {
  const size_t len = (size_t)width * size;
  for (long r = 0; r < rows; r++) {
    char *at = data + (size_t)(r * cols + h * width) * size;
    if (ablate) {
      memcpy(buf + (size_t)r * len, at, len);
      memset(at, 0, len);
    } else {
      memcpy(at, buf + (size_t)r * len, len);
    }
  }
}

int host_heads_eval(const host_model *m, const host_ablation *ab, const host_dataset *set,
                    host_eval_buffers *b, host_head_value *out, rt_error *err) {
  double base, loss, acc;
  int rc = host_eval_set(m, set, b, &base, &acc, err);
  if (rc < 0)
    return rc;
  const size_t size = m->f64 ? sizeof(double) : sizeof(float);
  int k = 0;
  for (int i = 0; i < ab->nweights; i++) {
    const host_tensor *w = host_model_tensor(m, ab->weights[i]);
    assert(w && "every matched weight is in the state");
    const long cols = w->shape[w->rank - 1], rows = w->count / cols;
    const long width = cols / ab->heads[i];
    char *saved = malloc((size_t)(rows * width) * size);
    if (!saved)
      abort();
    for (int h = 0; h < ab->heads[i]; h++) {
      assert(k < HOST_MAX_HEADS);
      block(w->data, saved, rows, cols, width, h, size, true);
      rc = host_eval_set(m, set, b, &loss, &acc, err);
      block(w->data, saved, rows, cols, width, h, size, false);
      if (rc < 0) {
        free(saved);
        return rc;
      }
      snprintf(out[k].key, sizeof out[k].key, "head%d_%d", i + 1, h + 1);
      out[k++].increase = loss - base;
    }
    free(saved);
  }
  return k;
}

/* "head<i>_<h>", i and h from 1 */
static bool is_head_key(const char *key) {
  int i, h, end = 0;
  return sscanf(key, "head%d_%d%n", &i, &h, &end) == 2 && key[end] == '\0' && i >= 1 && h >= 1;
}

int host_plot_heads(const char *path, const host_history *const *runs, const char *const *labels,
                    int n, rt_error *err) {
  rt_plot_opts po = {
      .title = "loss increase when a head is ablated", .xlabel = "step", .ylabel = "loss increase"};
  return host_plot_family(path, &po, is_head_key, runs, labels, n, err);
}
