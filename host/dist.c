/* dist.c: the ranks of a data-parallel run on Open MPI (host_dist.h).
 * Collectives run only from the training loop, never from a signal
 * handler. Without DUET_MPI there is one rank and every collective is the
 * identity. MPI's default error handler stays: a lost rank ends the job
 * (mpirun names it). */
#include "host_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"

#ifdef DUET_MPI
#include <mpi.h>
#endif

static int rank, size = 1;
static char *bucket; /* the gradient exchange's, allocated at its first use */

uint64_t host_fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* The number of ranks the launcher started (Open MPI's or PMI's
 * variable), or 1. */
static int launched_ranks(void) {
  const char *v = getenv("OMPI_COMM_WORLD_SIZE");
  if (!v)
    v = getenv("PMI_SIZE");
  return v ? atoi(v) : 1;
}

#ifdef DUET_MPI

static bool joined; /* MPI_Init was called, MPI_Finalize not yet */

int host_dist_start(const char *prog) {
  (void)prog;
  if (joined || launched_ranks() <= 1)
    return 0; /* one process: no MPI at all */
  MPI_Init(NULL, NULL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  joined = true;
  return 0;
}

void host_dist_end(void) {
  if (joined)
    MPI_Finalize();
  joined = false;
  free(bucket);
  bucket = NULL;
}

void host_dist_sum(void *data, long n, bool f64) {
  if (size > 1)
    MPI_Allreduce(MPI_IN_PLACE, data, (int)n, f64 ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM,
                  MPI_COMM_WORLD);
}

void host_dist_max(int *v, int n) {
  if (size > 1)
    MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}

bool host_dist_agree(const char *what, uint64_t value, rt_error *err) {
  if (size == 1)
    return true;
  uint64_t *all = malloc((size_t)size * sizeof *all);
  if (!all)
    abort();
  MPI_Allgather(&value, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
  int bad = 0;
  for (int r = 1; r < size && !bad; r++)
    if (all[r] != all[0])
      bad = r;
  free(all);
  if (bad)
    rt_error_set(err, "rank %d differs from rank 0 in its %s", bad, what);
  return bad == 0;
}

#else

int host_dist_start(const char *prog) {
  int n = launched_ranks();
  if (n <= 1)
    return 0;
  fprintf(stderr,
          "%s: error: started as one of %d ranks, but this %s was built without MPI\n"
          "  hint: install libopenmpi-dev (scripts/install-deps) and rebuild, or run one "
          "process\n",
          prog, n, prog);
  return 1;
}

void host_dist_end(void) {
  free(bucket);
  bucket = NULL;
}

void host_dist_sum(void *data, long n, bool f64) { (void)data, (void)n, (void)f64; }

void host_dist_max(int *v, int n) { (void)v, (void)n; }

bool host_dist_agree(const char *what, uint64_t value, rt_error *err) {
  (void)what, (void)value, (void)err;
  return true;
}

#endif

int host_dist_rank(void) { return rank; }

int host_dist_size(void) { return size; }

/* Copies n reals between a tensor's data and a bucket, scaling on the way
 * back (`in`: from the bucket). */
static void pack(void *bucket, void *data, long n, bool f64, bool in, double scale) {
  if (!in) {
    memcpy(bucket, data, (size_t)n * (f64 ? sizeof(double) : sizeof(float)));
  } else if (f64) {
    const double *b = bucket;
    double *d = data;
    for (long i = 0; i < n; i++)
      d[i] = b[i] * scale;
  } else {
    const float *b = bucket;
    float *d = data, s = (float)scale;
    for (long i = 0; i < n; i++)
      d[i] = b[i] * s;
  }
}

/* Moves the pieces of the tensors [first, last) that fill one bucket. */
static void move_bucket(const host_tensor *t, int first, long first_off, long len, char *bucket,
                        bool f64, bool in, double scale) {
  size_t real = f64 ? sizeof(double) : sizeof(float);
  long done = 0;
  for (int i = first; done < len; i++, first_off = 0) {
    long take = t[i].count - first_off;
    if (take > len - done)
      take = len - done;
    pack(bucket + (size_t)done * real, (char *)t[i].data + (size_t)first_off * real, take, f64, in,
         scale);
    done += take;
  }
}

void host_dist_sum_tensors(const host_tensor *t, int n, bool f64, double scale,
                           host_dist_stats *stats) {
  double t0 = rt_now_s();
  size_t real = f64 ? sizeof(double) : sizeof(float);
  long total = 0, cap = HOST_DIST_BUCKET_BYTES / (long)real;
  for (int i = 0; i < n; i++)
    total += t[i].count;
  if (!bucket && !(bucket = malloc((size_t)HOST_DIST_BUCKET_BYTES)))
    abort();
  int first = 0;
  long off = 0; /* reals of t[first] already exchanged */
  for (long done = 0; done < total;) {
    long len = total - done < cap ? total - done : cap;
    move_bucket(t, first, off, len, bucket, f64, false, 1);
    host_dist_sum(bucket, len, f64);
    move_bucket(t, first, off, len, bucket, f64, true, scale);
    done += len;
    for (off += len; first < n && off >= t[first].count; first++)
      off -= t[first].count;
    stats->buckets++;
  }
  stats->exchanges++;
  stats->bytes += (double)total * (double)real;
  stats->seconds += rt_now_s() - t0;
}
