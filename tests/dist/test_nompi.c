/* test_nompi.c: host/dist.c built without MPI (as the programs of `duet
 * emit-c` are): started as one of N > 1 ranks it refuses, rank 0 with an
 * error that says so; as one process it is rank 0 of 1, the sum into the
 * owners scales its own tensors, the copy from the owners leaves every
 * tensor as it is, and the collection on rank 0 copies the owned ones. */
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
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  check(&t, start_as("3", msg, sizeof msg) == 1 && msg[0] == 0, "rank 2 of 3: exit code 1, silent");
  unsetenv("OMPI_COMM_WORLD_RANK");
  check(&t, start_as("1", msg, sizeof msg) == 0 && msg[0] == 0, "one rank: no error");
  check(&t, host_dist_rank() == 0 && host_dist_size() == 1, "rank 0 of 1");

  /* one rank owns the first and last tensor; the middle one is nobody's */
  enum { N = 3 };
  const long count[N] = {700000, 5, 1400};
  const int owner[N] = {0, -1, 0};
  host_tensor g[N];
  float *want[N];
  for (int i = 0; i < N; i++) {
    float *d = malloc((size_t)count[i] * sizeof *d);
    want[i] = malloc((size_t)count[i] * sizeof(float));
    for (long k = 0; k < count[i]; k++) {
      d[k] = (float)check_uniform(&t, -4, 4);
      want[i][k] = owner[i] == 0 ? d[k] * 0.25f : d[k];
    }
    g[i] = (host_tensor){.name = "g", .rank = 1, .shape = {count[i]}, .count = count[i], .data = d};
  }
  host_owned o = {N, g, owner};
  host_dist_stats st = {0};
  host_dist_reduce_owned(&o, false, 0.25, &st);
  for (int i = 0; i < N; i++)
    check(&t, memcmp(want[i], g[i].data, (size_t)count[i] * sizeof(float)) == 0,
          "reduced: tensor %d %s, every element", i,
          owner[i] == 0 ? "is its sum over one rank times 0.25" : "(nobody's) is unchanged");
  host_dist_gather_owned(&o, false, &st);
  for (int i = 0; i < N; i++)
    check(&t, memcmp(want[i], g[i].data, (size_t)count[i] * sizeof(float)) == 0,
          "gathered: tensor %d is unchanged", i);
  check(&t, st.exchanges == 2 && st.bytes == 8.0 * (double)(count[0] + count[2]),
        "stats: %ld exchanges of %.0f bytes", st.exchanges, st.bytes);
  void *at[N];
  void *all = host_dist_collect_owned(&o, false, at);
  check(&t, all && at[0] == all && at[1] == NULL && at[2] == (float *)all + count[0],
        "collected: the owned tensors packed in order, the nobody's one left out");
  for (int i = 0; i < N; i += 2)
    check(&t, memcmp(want[i], at[i], (size_t)count[i] * sizeof(float)) == 0,
          "collected: tensor %d copied", i);
  free(all);
  for (int i = 0; i < N; i++) {
    free(g[i].data);
    free(want[i]);
  }
  host_dist_end(0);
  return check_done(&t, "test_nompi");
}
