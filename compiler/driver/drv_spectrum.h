/* drv_spectrum.h: the metric singular_values("glob") of an eval item: the
 * singular values of the product of the matched weights in the current
 * state, logged as sv1, sv2, ... (largest first), and their plot over one
 * run or several (singular_values.svg). */
#ifndef DUET_DRV_SPECTRUM_H
#define DUET_DRV_SPECTRUM_H

#include <stdbool.h>

#include "drv_machine.h"
#include "drv_report.h"
#include "sema.h"

/* At most this many singular values (the largest) are logged. */
#define DRV_MAX_SV 32

/* The singular values of sp's product W_k ... W_1 in m's current state,
 * largest first, into sv[DRV_MAX_SV]; returns how many (min(rows, cols),
 * at most DRV_MAX_SV). NaN values when LAPACK fails. */
int drv_spectrum_eval(const drv_machine *m, const sema_spectrum *sp, double *sv);

/* The metrics key of singular value j (from 1): "sv<j>", into out[cap]. */
void drv_sv_key(char *out, size_t cap, int j);

/* singular_values.svg: every sv<j> series of n runs against steps, named
 * "sv<j>", or "<label> sv<j>" when labels is not NULL. Writes nothing and
 * returns 0 when no run has them. */
int drv_plot_spectra(const char *path, const drv_history *const *runs, const char *const *labels,
                     int n, rt_error *err);

#endif
