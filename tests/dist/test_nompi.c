/* test_nompi.c: host/dist.c built without MPI (as the programs of `duet
 * emit-c` are): started as one of N > 1 ranks it refuses with an error that
 * says so; as one process it is one rank, and the gradient exchange packs
 * tensors into buckets across their boundaries and scales the sums. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "host_dist.h"

/* host_dist_start's exit code and what it printed on stderr, into msg. */
static int start_as(const char *ranks, char *msg, size_t cap) {
  setenv("OMPI_COMM_WORLD_SIZE", ranks, 1);
  fflush(stderr);
  int saved = dup(2);
  FILE *f = tmpfile();
  dup2(fileno(f), 2);
  int rc = host_dist_start("duet");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(f);
  size_t n = fread(msg, 1, cap - 1, f);
  msg[n] = 0;
  fclose(f);
  return rc;
}

int main(void) {
  check_ctx t = {.rng = 7};
  char msg[1024];
  check(&t, start_as("3", msg, sizeof msg) == 1, "one of 3 ranks: exit code 1");
  check(&t,
        strstr(msg, "duet: error: started as one of 3 ranks, but this duet was built without "
                    "MPI") != NULL,
        "the error says why: %s", msg);
  check(&t, strstr(msg, "hint: install libopenmpi-dev") != NULL, "and what to do");
  check(&t, start_as("1", msg, sizeof msg) == 0 && msg[0] == 0, "one rank: no error");
  check(&t, host_dist_rank() == 0 && host_dist_size() == 1, "rank 0 of 1");

  /* three tensors spanning three buckets (the first two cross a boundary) */
  enum { N = 3 };
  const long count[N] = {700000, 5, 1400000};
  host_tensor g[N];
  for (int i = 0; i < N; i++) {
    float *d = malloc((size_t)count[i] * sizeof *d);
    for (long k = 0; k < count[i]; k++)
      d[k] = (float)check_uniform(&t, -4, 4);
    g[i] = (host_tensor){.name = "g", .rank = 1, .shape = {count[i]}, .count = count[i], .data = d};
  }
  float *want[N];
  for (int i = 0; i < N; i++) {
    want[i] = malloc((size_t)count[i] * sizeof(float));
    for (long k = 0; k < count[i]; k++)
      want[i][k] = ((float *)g[i].data)[k] * 0.25f;
  }
  host_dist_stats st = {0};
  host_dist_sum_tensors(g, N, false, 0.25, &st);
  long total = count[0] + count[1] + count[2], cap = HOST_DIST_BUCKET_BYTES / 4;
  check(&t, st.buckets == (total + cap - 1) / cap, "%ld buckets of %ld reals", st.buckets, cap);
  check(&t, st.exchanges == 1 && st.bytes == 4.0 * (double)total, "stats: %ld exchange, %.0f bytes",
        st.exchanges, st.bytes);
  for (int i = 0; i < N; i++)
    check(&t, memcmp(want[i], g[i].data, (size_t)count[i] * sizeof(float)) == 0,
          "tensor %d: the sum over one rank times 0.25, every element", i);
  for (int i = 0; i < N; i++) {
    free(g[i].data);
    free(want[i]);
  }
  host_dist_end();
  return check_done(&t, "test_nompi");
}
