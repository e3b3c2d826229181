/* bench_sources.c: the data sources of the table (host/data_sources.h) as
 * the training host uses them: loading a binding, then gathering shuffled
 * batches (the batcher's order, as a training epoch draws them), timed.
 *
 *   bench_sources BATCH REPS SOURCE [name=value]...
 *
 * A value in quotes-free form: numbers are HOST_NUMBER, anything else a
 * string (file names, split). Prints the load time, the examples, and the
 * median time of one batch's gather over REPS batches (wall and CPU). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data_sources.h"
#include "rt_kernels.h"

static double cpu_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_sources BATCH REPS SOURCE [name=value]...\n");
    return 2;
  }
  long batch = atol(argv[1]), reps = atol(argv[2]);
  host_arg args[HOST_MAX_PARAMS];
  int nargs = 0;
  for (int i = 4; i < argc && nargs < HOST_MAX_PARAMS; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq)
      return fprintf(stderr, "bench_sources: %s is not name=value\n", argv[i]), 2;
    *eq = 0;
    char *end;
    double v = strtod(eq + 1, &end);
    args[nargs++] = *end || end == eq + 1
                        ? (host_arg){.name = argv[i], .kind = HOST_STRING, .s = eq + 1}
                        : (host_arg){.name = argv[i], .kind = HOST_NUMBER, .num = v};
  }
  host_binding b = {.name = "train", .source = argv[3], .nargs = nargs, .args = args};
  host_load_env env = {.seed = 0};
  host_dataset d;
  rt_error err, hint;
  double t0 = rt_now_s(), c0 = cpu_s();
  if (host_dataset_load(&d, &b, &env, &err, &hint) < 0)
    return fprintf(stderr, "bench_sources: %s\n", err.msg), 1;
  double load = rt_now_s() - t0, load_cpu = cpu_s() - c0;
  if (d.n < batch)
    return fprintf(stderr, "bench_sources: %ld examples, fewer than a batch\n", d.n), 1;
  rt_batcher bt;
  if (rt_batcher_init(&bt, (uint32_t)d.n, (uint32_t)batch, 1, 1, &err) < 0)
    return fprintf(stderr, "bench_sources: %s\n", err.msg), 1;
  size_t xs = d.ex.x_tokens ? sizeof(int32_t) : sizeof(float);
  size_t ys = d.ex.y_labels ? sizeof(int32_t) : sizeof(float);
  void *x = malloc((size_t)batch * (size_t)d.x_numel * xs);
  void *y = malloc((size_t)batch * (size_t)d.y_numel * ys);
  double *wall = malloc((size_t)reps * sizeof *wall), cpu = 0;
  uint32_t nb = rt_batcher_count(&bt, 1);
  for (long r = 0; r < reps; r++) {
    const uint32_t *idx;
    uint32_t count = rt_batcher_indices(&bt, (uint32_t)r % nb, &idx);
    double w = rt_now_s(), c = cpu_s();
    d.gather(&d, idx, count, false, x, y);
    wall[r] = rt_now_s() - w;
    cpu += cpu_s() - c;
  }
  qsort(wall, (size_t)reps, sizeof *wall, cmp_double);
  printf("%s: %ld examples, load %.3f s (CPU %.3f s), gather of %ld: median %.1f us "
         "(CPU mean %.1f us)\n",
         argv[3], d.n, load, load_cpu, batch, wall[reps / 2] * 1e6, cpu / (double)reps * 1e6);
  free(wall);
  free(x);
  free(y);
  rt_batcher_free(&bt);
  host_dataset_free(&d);
  return 0;
}
