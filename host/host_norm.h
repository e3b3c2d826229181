/* host_norm.h: standardization of real features with the statistics of
 * the training set (normalize.c): computed once on the examples of
 * `train`, applied to every set a run reads, written to the run directory
 * (normalization.json) and to the checkpoint's metadata, and read back
 * from there by `duet predict` and the emitted programs.
 *
 * The statistics are per channel: an example of shape [C, H, W] has C
 * channels (mean and deviation over every example and position), an
 * example of one axis [F] has F (per feature), an example of two axes
 * [H, W] has one. x becomes (x - mean[c]) / std[c], std the population
 * deviation; a channel of deviation 0 is only centered (std 1). */
#ifndef DUET_HOST_NORM_H
#define DUET_HOST_NORM_H

#include "data_sources.h"

#define HOST_NORM_FILE      "normalization.json"
#define HOST_META_NORM_MEAN "duet.input.norm_mean" /* "[m0, m1, ...]" */
#define HOST_META_NORM_STD  "duet.input.norm_std"  /* "[s0, s1, ...]" */

typedef struct host_norm {
  int channels;              /* 0: no normalization */
  long inner;                /* values of one channel in one example */
  double *mean, *sd;         /* [channels], owned */
  char *mean_text, *sd_text; /* "[...]" with 17 significant digits, owned */
} host_norm;

/* The channels of examples of ex: C of [C, H, W], F of [F], 1 of [H, W]. */
int host_norm_channels(const host_example *ex);

/* The statistics of d's examples (d->norm_x at rows d->norm_idx).
 * Returns -1 when out of memory. */
int host_norm_compute(host_norm *nm, const host_dataset *d, rt_error *err);
/* x = (x - mean) / std over all of d->norm_x [norm_rows, x_numel]. */
void host_norm_apply(const host_norm *nm, host_dataset *d);
/* x = (x - mean) / std on n examples of x (float or double). */
void host_norm_apply_reals(const host_norm *nm, void *x, long n, bool f64);
/* Reads the statistics of a checkpoint's metadata texts for examples of
 * ex. Returns -1 with a message when they do not fit. */
int host_norm_parse(host_norm *nm, const host_example *ex, const char *mean, const char *sd,
                    rt_error *err);
/* normalization.json in the run directory dir. */
int host_norm_write(const host_norm *nm, const char *dir, const host_example *ex, rt_error *err);
void host_norm_free(host_norm *nm);

#endif
