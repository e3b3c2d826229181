/* host_provenance.h: what summary.json records of a run besides its
 * results, so that the run can be told apart and repeated: the
 * experiment's settings as resolved (loss, every optimizer with all its
 * arguments and the weights it updates, schedule, batch, length, seed,
 * evaluations), the --set arguments, the run's length, log period and the
 * weights it started from, every data binding (source, arguments,
 * examples, and the files read with their size and FNV-1a hash), the
 * version of duet and how the model was compiled. */
#ifndef DUET_HOST_PROVENANCE_H
#define DUET_HOST_PROVENANCE_H

#include <stdint.h>

#include "host_train.h"

/* What the trainer knows of the run. */
typedef struct host_run_facts {
  long batch;
  long total_steps, plan_steps, log_every;
  long checkpoint_every;       /* the checkpoint periods in steps (0: none) */
  double checkpoint_every_s;   /* and seconds (0: none) */
  const char *init_from;       /* --init-from, or NULL */
  const char *init_experiment; /* its checkpoint's experiment and step */
  long init_step;
  /* under mpirun (host_dist.h), ranks > 1: each weight's owner and update
     cost (the model's), and the exchanges and owned updates per step */
  int ranks;
  const host_model *model;
  double exchange_bytes, exchange_ms, apply_ms; /* per step, this rank's */
  double window;                /* in buckets: the share of grad_step after its first gradient */
  double apply_cpu_ms;          /* CPU time of this rank's updates per step */
  double busiest_cpu_ms;        /* and of the rank whose updates took the most */
  double grad_cpu_ms;           /* CPU time of this rank's forward and backward pass per step */
  const long long *state_bytes; /* the optimizer state each rank stores, in bytes */
} host_run_facts;

enum { HOST_PROVENANCE_FIELDS = 6 };

/* The fields "settings", "overrides", "run", "data", "duet_version" and
 * "build", with the storage behind them. */
typedef struct host_provenance {
  rt_field fields[HOST_PROVENANCE_FIELDS];
  size_t n;
  void **blocks; /* owned: every allocation the fields point into */
  int nblocks, cap;
} host_provenance;

/* Builds the fields for experiment e run on sets with options o. Fails
 * when a data file cannot be read for its hash. */
int host_provenance_build(host_provenance *p, const host_experiment *e, const host_sets *sets,
                          const host_run_opts *o, const host_run_facts *f, rt_error *err);
void host_provenance_free(host_provenance *p);

/* The size of a file and the FNV-1a 64-bit hash of its bytes (offset basis
 * 0xcbf29ce484222325, prime 0x100000001b3). */
int host_file_digest(const char *path, long long *bytes, uint64_t *hash, rt_error *err);

#endif
