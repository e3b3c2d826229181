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
static bool settled; /* host_dist_settle */
static char *buffer; /* the exchanges', grown to the largest */
static long buffer_bytes;

/* One step's bucketed exchange: the tensors in the order they were ready,
 * the buckets (from[b] .. from[b + 1] of that order, each a region of the
 * buffer packed by owner, with its counts per rank) and their requests. */
static struct {
  const host_owned *o;
  int cap; /* tensors the arrays below have room for */
  bool f64;
  long bytes;          /* a bucket's size at least, the last one's excepted */
  int nready;          /* tensors ready so far */
  int *order;          /* their indices, in that order */
  int nbuckets;        /* buckets started */
  int *from;           /* bucket b: order[from[b]] .. order[from[b + 1] - 1] */
  long *at;            /* and its region: reals from at[b] of the buffer */
  int *counts;         /* and its reals per rank: counts[b * size + r] */
  long open;           /* reals ready and not in a bucket yet */
  double seconds;      /* spent in the hooks */
  double begun, first; /* when grad_step began, when its first gradient was ready */
#ifdef DUET_MPI
  MPI_Request *req;
#endif
} bk;

static void buckets_free(void) {
  free(bk.order);
  free(bk.from);
  free(bk.at);
  free(bk.counts);
#ifdef DUET_MPI
  free(bk.req);
#endif
  memset(&bk, 0, sizeof bk);
}

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

void host_dist_end(int rc) {
  if (joined && rc != 0 && !settled)
    MPI_Abort(MPI_COMM_WORLD, rc);
  if (joined)
    MPI_Finalize();
  joined = false;
  free(buffer);
  buffer = NULL;
  buffer_bytes = 0;
  buckets_free();
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

int host_dist_rank0(int v) {
  if (size > 1)
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return v;
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
  const char *r = getenv("OMPI_COMM_WORLD_RANK");
  if (!r)
    r = getenv("PMI_RANK");
  if (r && atoi(r) != 0)
    return 1; /* rank 0 says why */
  fprintf(stderr,
          "%s: error: started as one of %d ranks, but this %s was built without MPI\n"
          "  hint: install libopenmpi-dev (scripts/install-deps) and rebuild, or run one "
          "process\n",
          prog, n, prog);
  return 1;
}

void host_dist_end(int rc) {
  (void)rc;
  free(buffer);
  buffer = NULL;
  buffer_bytes = 0;
  buckets_free();
}

void host_dist_sum(void *data, long n, bool f64) { (void)data, (void)n, (void)f64; }

void host_dist_max(int *v, int n) { (void)v, (void)n; }

int host_dist_rank0(int v) { return v; }

bool host_dist_agree(const char *what, uint64_t value, rt_error *err) {
  (void)what, (void)value, (void)err;
  return true;
}

#endif

void host_dist_settle(bool s) { settled = s; }

int host_dist_rank(void) { return rank; }

int host_dist_size(void) { return size; }

/* The exchange buffer: every owned tensor packed, rank 0's first; its
 * pieces (counts[r] reals from displs[r] for rank r). */
typedef struct layout {
  int *counts, *displs;
  long total;
} layout;

/* `local`: this rank's piece alone is held in the buffer (at its start). */
static void lay_out(const host_owned *o, layout *l, size_t real, bool local) {
  l->counts = calloc((size_t)size, sizeof *l->counts);
  l->displs = calloc((size_t)size, sizeof *l->displs);
  if (!l->counts || !l->displs)
    abort();
  for (int i = 0; i < o->n; i++)
    if (o->owner[i] >= 0)
      l->counts[o->owner[i]] += (int)o->t[i].count;
  l->total = 0;
  for (int r = 0; r < size; r++) {
    l->displs[r] = (int)l->total;
    l->total += l->counts[r];
  }
  long need = (long)real * (local ? l->counts[rank] : l->total);
  if (need > buffer_bytes) {
    free(buffer);
    buffer_bytes = need;
    if (!(buffer = malloc((size_t)buffer_bytes)))
      abort();
  }
}

static void layout_free(layout *l) {
  free(l->counts);
  free(l->displs);
}

/* dst[0 .. n) = src[0 .. n) * scale, in f64, or in f32 with the scale
 * rounded to f32. */
static void copy_scaled(void *dst, const char *src, long n, bool f64, double scale) {
  if (f64)
    for (long j = 0; j < n; j++)
      ((double *)dst)[j] = ((const double *)src)[j] * scale;
  else
    for (long j = 0; j < n; j++)
      ((float *)dst)[j] = ((const float *)src)[j] * (float)scale;
}

/* Copies the tensors of rank r (every rank's when r < 0) into the buffer
 * (`out`) or back from it, scaled by `scale`; the buffer starts at real
 * `shift` of the layout. */
static void move(const host_owned *o, const layout *l, int r, bool f64, bool out, double scale,
                 long shift) {
  long at[64] = {0}, *pos = size <= 64 ? at : calloc((size_t)size, sizeof *pos);
  if (!pos)
    abort();
  for (int i = 0; i < o->n; i++) {
    int k = o->owner[i];
    if (k < 0)
      continue;
    long n = o->t[i].count, from = l->displs[k] + pos[k];
    pos[k] += n;
    if (r >= 0 && k != r)
      continue;
    size_t real = f64 ? sizeof(double) : sizeof(float);
    char *b = buffer + (size_t)(from - shift) * real;
    if (out)
      memcpy(b, o->t[i].data, (size_t)n * real);
    else
      copy_scaled(o->t[i].data, b, n, f64, scale);
  }
  if (pos != at)
    free(pos);
}

void host_dist_reduce_owned(const host_owned *o, bool f64, double scale, host_dist_stats *stats) {
  double t0 = rt_now_s();
  size_t real = f64 ? sizeof(double) : sizeof(float);
  layout l;
  lay_out(o, &l, real, false);
  move(o, &l, -1, f64, true, 1, 0);
#ifdef DUET_MPI
  if (size > 1) {
    MPI_Reduce_scatter(MPI_IN_PLACE, buffer, l.counts, f64 ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM,
                       MPI_COMM_WORLD);
    /* this rank's sums are at the start: where its own piece goes */
    memmove(buffer + (size_t)l.displs[rank] * real, buffer, (size_t)l.counts[rank] * real);
  }
#endif
  move(o, &l, rank, f64, false, scale, 0);
  stats->exchanges++;
  stats->bytes += (double)l.total * (double)real;
  stats->seconds += rt_now_s() - t0;
  layout_free(&l);
}

void host_dist_gather_owned(const host_owned *o, bool f64, host_dist_stats *stats) {
  double t0 = rt_now_s();
  size_t real = f64 ? sizeof(double) : sizeof(float);
  layout l;
  lay_out(o, &l, real, false);
  move(o, &l, rank, f64, true, 1, 0);
#ifdef DUET_MPI
  if (size > 1)
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, l.counts, l.displs,
                   f64 ? MPI_DOUBLE : MPI_FLOAT, MPI_COMM_WORLD);
#endif
  move(o, &l, -1, f64, false, 1, 0);
  stats->exchanges++;
  stats->bytes += (double)l.counts[rank] * (double)real;
  stats->seconds += rt_now_s() - t0;
  layout_free(&l);
}

void *host_dist_collect_owned(const host_owned *o, bool f64, void **at) {
  size_t real = f64 ? sizeof(double) : sizeof(float);
  layout l;
  lay_out(o, &l, real, true);
  move(o, &l, rank, f64, true, 1, l.displs[rank]);
  char *all = rank ? NULL : malloc((size_t)l.total * real + 1);
  if (rank == 0 && !all)
    abort();
  if (rank == 0)
    memcpy(all, buffer, (size_t)l.counts[0] * real); /* rank 0's piece comes first */
#ifdef DUET_MPI
  if (size > 1)
    MPI_Gatherv(rank ? buffer : MPI_IN_PLACE, l.counts[rank], f64 ? MPI_DOUBLE : MPI_FLOAT, all,
                l.counts, l.displs, f64 ? MPI_DOUBLE : MPI_FLOAT, 0, MPI_COMM_WORLD);
#endif
  long pos[64] = {0}, *next = size <= 64 ? pos : calloc((size_t)size, sizeof *next);
  if (!next)
    abort();
  for (int i = 0; all && i < o->n; i++) {
    int k = o->owner[i];
    at[i] = NULL;
    if (k >= 0) {
      at[i] = all + (size_t)(l.displs[k] + next[k]) * real;
      next[k] += o->t[i].count;
    }
  }
  if (next != pos)
    free(next);
  layout_free(&l);
  return all;
}

/* ---- the gradients in buckets, while the backward pass runs ---------------- */

/* Packs the tensors ready since the last bucket into the next region by
 * owner and starts their sums into the owners. */
static void start_bucket(void) {
  const host_owned *o = bk.o;
  size_t real = bk.f64 ? sizeof(double) : sizeof(float);
  int b = bk.nbuckets++, *counts = bk.counts + (size_t)b * (size_t)size;
  bk.from[b + 1] = bk.nready;
  long pos = bk.at[b];
  for (int r = 0; r < size; r++) {
    counts[r] = 0;
    for (int j = bk.from[b]; j < bk.nready; j++) {
      int i = bk.order[j];
      if (o->owner[i] != r)
        continue;
      memcpy(buffer + (size_t)pos * real, o->t[i].data, (size_t)o->t[i].count * real);
      pos += o->t[i].count;
      counts[r] += (int)o->t[i].count;
    }
  }
  bk.at[b + 1] = pos;
  bk.open = 0;
#ifdef DUET_MPI
  bk.req[b] = MPI_REQUEST_NULL;
  if (size > 1)
    MPI_Ireduce_scatter(MPI_IN_PLACE, buffer + (size_t)bk.at[b] * real, counts,
                        bk.f64 ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &bk.req[b]);
#endif
}

void host_dist_buckets_begin(const host_owned *o, bool f64, long bucket_bytes) {
  size_t real = f64 ? sizeof(double) : sizeof(float);
  layout l;
  lay_out(o, &l, real, false); /* the buffer, for every tensor */
  layout_free(&l);
  if (o->n > bk.cap) {
    buckets_free();
    bk.cap = o->n;
    bk.order = calloc((size_t)o->n + 1, sizeof *bk.order);
    bk.from = calloc((size_t)o->n + 2, sizeof *bk.from);
    bk.at = calloc((size_t)o->n + 2, sizeof *bk.at);
    bk.counts = calloc(((size_t)o->n + 1) * (size_t)size, sizeof *bk.counts);
#ifdef DUET_MPI
    bk.req = calloc((size_t)o->n + 1, sizeof *bk.req);
    if (!bk.req)
      abort();
#endif
    if (!bk.order || !bk.from || !bk.at || !bk.counts)
      abort();
  }
  bk.o = o;
  bk.f64 = f64;
  bk.bytes = bucket_bytes;
  bk.nready = bk.nbuckets = 0;
  bk.from[0] = 0;
  bk.at[0] = 0;
  bk.open = 0;
  bk.seconds = 0;
  bk.begun = rt_now_s();
}

void host_dist_buckets_ready(int i) {
  double t0 = rt_now_s();
  if (i < 0 || i >= bk.o->n || bk.nready == bk.o->n) {
    fprintf(stderr, "duet: internal error: gradient %d reported ready out of turn\n", i);
    abort();
  }
  if (bk.nready == 0)
    bk.first = t0;
  bk.order[bk.nready++] = i;
  bk.open += bk.o->t[i].count;
  if (bk.open * (long)(bk.f64 ? sizeof(double) : sizeof(float)) >= bk.bytes)
    start_bucket();
#ifdef DUET_MPI
  int done;
  if (size > 1 && bk.nbuckets > 0) /* progress for the buckets under way */
    MPI_Testall(bk.nbuckets, bk.req, &done, MPI_STATUSES_IGNORE);
#endif
  bk.seconds += rt_now_s() - t0;
}

void host_dist_buckets_end(double scale, host_dist_stats *stats) {
  double t0 = rt_now_s();
  const host_owned *o = bk.o;
  stats->window += (t0 - bk.first) / (t0 - bk.begun);
  if (bk.nready != o->n) {
    fprintf(stderr, "duet: internal error: %d of %d gradients were reported ready\n", bk.nready,
            o->n);
    abort();
  }
  if (bk.open > 0)
    start_bucket();
#ifdef DUET_MPI
  if (size > 1)
    MPI_Waitall(bk.nbuckets, bk.req, MPI_STATUSES_IGNORE);
#endif
  size_t real = bk.f64 ? sizeof(double) : sizeof(float);
  for (int b = 0; b < bk.nbuckets; b++) { /* this rank's sums start each region */
    long pos = bk.at[b];
    for (int j = bk.from[b]; j < bk.from[b + 1]; j++) {
      int i = bk.order[j];
      if (o->owner[i] != rank)
        continue;
      long n = o->t[i].count;
      copy_scaled(o->t[i].data, buffer + (size_t)pos * real, n, bk.f64, scale);
      pos += n;
    }
  }
  stats->exchanges++;
  stats->bytes += (double)bk.at[bk.nbuckets] * (double)real;
  stats->seconds += bk.seconds + rt_now_s() - t0;
}
