/* drv_data.h: the data sets of an experiment, loaded with the runtime
 * (rt_io.h) in the shapes elab_data_info describes, and copied batch by
 * batch into the program's inputs. */
#ifndef DUET_DRV_DATA_H
#define DUET_DRV_DATA_H

#include <stdint.h>

#include "elab.h"
#include "rt_io.h"

/* The byte-level text corpora keep this fraction (at the end) for `val`. */
#define DRV_TEXT_VAL_FRACTION 0.1

/* One loaded data binding. Every source presents `n` examples; example i
 * is x [x_numel] (float features or int32 tokens) and y [y_numel] (int32
 * labels or float targets). */
typedef struct drv_data {
  const char *name; /* binding name ("train"), in the sema arena */
  elab_data_info info;
  long n;
  long x_numel, y_numel;
  const struct drv_source_kind *kind; /* its row of the source table */
  rt_image_dataset images;            /* owned: image sources */
  rt_text text;                       /* owned: text sources */
  rt_split split;
  /* synthetic sources: every example of the problem (both splits), owned */
  float *feats;    /* [*, x_numel] */
  float *targets;  /* [*, y_numel] real targets, or NULL */
  int32_t *labels; /* [*] class labels, or NULL */
  long first;      /* the split's first example in them */
} drv_data;

/* Loads binding sd of an experiment. Errors (unknown split, missing or
 * corrupt files) are reported at the binding's location in dg; returns
 * false then. */
bool drv_data_load(drv_data *d, const sema_data *sd, diag_ctx *dg);
void drv_data_free(drv_data *d);

/* Copies examples idx[0 .. count) into x and y, real values as `real`
 * (IR_F32 or IR_F64). */
void drv_data_gather(const drv_data *d, const uint32_t *idx, uint32_t count, ir_dtype real, void *x,
                     void *y);

/* Whether two data sets have examples of the same shape and kind (so that
 * one compiled program reads both). */
bool drv_data_compatible(const drv_data *a, const drv_data *b);

#endif
