/* drv_data.h: one data binding of an experiment loaded through the
 * data-source table (host/data_sources.h), with load errors reported at the
 * binding, for the commands that feed a compiled program themselves
 * (gradcheck). */
#ifndef DUET_DRV_DATA_H
#define DUET_DRV_DATA_H

#include <stdint.h>

#include "data_sources.h"
#include "elab.h"

typedef struct drv_data {
  const char *name; /* binding name ("train"), in the sema arena */
  long n;           /* examples */
  host_dataset set; /* owned */
} drv_data;

/* Loads binding sd of an experiment. Errors (missing or corrupt files) are
 * reported at the binding's location in dg; returns false then. */
bool drv_data_load(drv_data *d, const sema_data *sd, diag_ctx *dg);
void drv_data_free(drv_data *d);

/* Copies examples idx[0 .. count) into x and y, real values as `real`
 * (IR_F32 or IR_F64). */
void drv_data_gather(const drv_data *d, const uint32_t *idx, uint32_t count, ir_dtype real, void *x,
                     void *y);

#endif
