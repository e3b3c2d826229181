/* host_dist.h: the ranks of a data-parallel run (docs/distributed.md).
 * Under `mpirun -np N` every rank runs the same command; the ranks sum
 * their gradients, agree on when to stop and check that they run the same
 * program on the same data. Rank 0 alone writes the run directory. The one
 * place that calls MPI: built with Open MPI when CMake finds it (DUET_MPI);
 * without it there is one rank, and a start under mpirun with N > 1 is an
 * error. */
#ifndef DUET_HOST_DIST_H
#define DUET_HOST_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "host_model.h"
#include "rt_io.h"

/* Joins the ranks (MPI_Init when started by mpirun, once per process).
 * Returns 0, or 1 after printing why (`prog: error: ...`): a build without
 * MPI started as one of N > 1 ranks. */
int host_dist_start(const char *prog);

/* Leaves the ranks (MPI_Finalize) after the last collective. */
void host_dist_end(void);

/* This process's rank (0 without MPI) and the number of ranks (1). */
int host_dist_rank(void);
int host_dist_size(void);

/* Sums n reals (float, or double with f64) in place across the ranks. */
void host_dist_sum(void *data, long n, bool f64);

/* The largest of every rank's v[0..n), in place. */
void host_dist_max(int *v, int n);

/* Whether every rank has the same value of `what` (a hash); when one
 * differs, err names the first rank that disagrees with rank 0 ("rank 1
 * differs from rank 0 in its WHAT"). The same
 * answer on every rank. */
bool host_dist_agree(const char *what, uint64_t value, rt_error *err);

/* What the gradient exchange did, summed over a run. */
typedef struct host_dist_stats {
  long exchanges;
  long buckets;
  double bytes; /* reals all-reduced by this rank */
  double seconds;
} host_dist_stats;

/* The largest bucket of the gradient exchange, in bytes. */
#define HOST_DIST_BUCKET_BYTES (4L << 20)

/* Sums the n tensors (the gradients) across the ranks and multiplies the
 * sums by `scale`: packed in order into buckets of at most
 * HOST_DIST_BUCKET_BYTES, each all-reduced as a whole. */
void host_dist_sum_tensors(const host_tensor *t, int n, bool f64, double scale,
                           host_dist_stats *stats);

/* FNV-1a of n bytes, continued from h (start with HOST_FNV_START). */
#define HOST_FNV_START 0xcbf29ce484222325ull
uint64_t host_fnv(uint64_t h, const void *data, size_t n);

#endif
