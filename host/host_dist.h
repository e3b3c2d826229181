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

/* Leaves the ranks after the last collective with the process's exit
 * code rc: MPI_Finalize, or for rc != 0 MPI_Abort, which ends every rank
 * (one that stopped alone, with an error the others did not see, would
 * leave them waiting) — unless host_dist_settle(true) said that every rank
 * ends the same way. */
void host_dist_end(int rc);

/* Whether every rank now knows how the run ends (they agreed on it, or
 * decided it from the same facts): then leaving with an error finalizes
 * instead of aborting, and rank 0's last messages are not cut short. */
void host_dist_settle(bool settled);

/* This process's rank (0 without MPI) and the number of ranks (1). */
int host_dist_rank(void);
int host_dist_size(void);

/* Sums n reals (float, or double with f64) in place across the ranks. */
void host_dist_sum(void *data, long n, bool f64);

/* The largest of every rank's v[0..n), in place. */
void host_dist_max(int *v, int n);

/* Rank 0's v, on every rank (a broadcast). */
int host_dist_rank0(int v);

/* Whether every rank has the same value of `what` (a hash); when one
 * differs, err names the first rank that disagrees with rank 0 ("rank 1
 * differs from rank 0 in its WHAT"). The same
 * answer on every rank. */
bool host_dist_agree(const char *what, uint64_t value, rt_error *err);

/* What the exchanges of a run did, summed over it. */
typedef struct host_dist_stats {
  long exchanges;
  double bytes;   /* reals this rank handed to the collectives, in bytes */
  double seconds; /* spent in them (with packing) */
  double window;  /* in buckets: the share of each grad_step after its first gradient
                     was complete (the time an exchange can overlap), summed */
} host_dist_stats;

/* Tensors spread over the ranks: tensor i belongs to rank owner[i] (-1:
 * to none, it is left alone). */
typedef struct host_owned {
  int n;
  const host_tensor *t;
  const int *owner;
} host_owned;

/* Sums every tensor across the ranks into its owner, times `scale`
 * (MPI_Reduce_scatter): afterwards this rank's own tensors hold the sums,
 * the others are unchanged. */
void host_dist_reduce_owned(const host_owned *o, bool f64, double scale, host_dist_stats *stats);

/* The sums of host_dist_reduce_owned in buckets, started while the
 * backward pass runs: _begin before it (buckets of at least
 * bucket_bytes), _ready(i) as soon as tensor i is final (each tensor
 * once, in the same order on every rank: a bucket that is full starts its
 * MPI_Ireduce_scatter, and the ones under way are tested for progress),
 * _end after it (the last bucket, then a wait for all and this rank's
 * sums times `scale` into its tensors). */
void host_dist_buckets_begin(const host_owned *o, bool f64, long bucket_bytes);
void host_dist_buckets_ready(int i);
void host_dist_buckets_end(double scale, host_dist_stats *stats);

/* Copies every tensor from its owner to all ranks (MPI_Allgatherv). */
void host_dist_gather_owned(const host_owned *o, bool f64, host_dist_stats *stats);

/* Copies every tensor from its owner to rank 0 (MPI_Gatherv): there, into
 * a block it returns (the caller frees it) with tensor i at at[i] (NULL
 * when owned by none); the other ranks send their own and get NULL. */
void *host_dist_collect_owned(const host_owned *o, bool f64, void **at);

/* FNV-1a of n bytes, continued from h (start with HOST_FNV_START). */
#define HOST_FNV_START 0xcbf29ce484222325ull
uint64_t host_fnv(uint64_t h, const void *data, size_t n);

#endif
