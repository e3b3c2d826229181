/* host_checkpoint.h: the checkpoint of a run directory, two files:
 * model.safetensors (the weights under their public names, host_state.h,
 * with what the run was made from) and train_state.safetensors (optimizer
 * and estimator state, the recent losses and the trainer's counters). Both
 * record the step. They are written so that a crash at any moment leaves a
 * pair of the same step: the state file of the checkpoint before is kept
 * as train_state.prev.safetensors until the new weights are in place, and
 * each file is replaced atomically. */
#ifndef DUET_HOST_CHECKPOINT_H
#define DUET_HOST_CHECKPOINT_H

#include "host_state.h"

#define HOST_WEIGHTS_FILE    "model.safetensors"
#define HOST_STATE_FILE      "train_state.safetensors"
#define HOST_STATE_PREV_FILE "train_state.prev.safetensors"

/* Metadata keys (all values strings). Of both files: */
#define HOST_META_EXPERIMENT  "duet.experiment"
#define HOST_META_STEP        "duet.step"  /* steps done */
#define HOST_META_DTYPE       "duet.dtype" /* "f32" or "f64" */
/* of model.safetensors: what the run was made from */
#define HOST_META_SOURCE      "duet.source"      /* absolute path of the .duet file */
#define HOST_META_SOURCE_COPY "duet.source_copy" /* its copy in the run directory */
#define HOST_META_NSETS       "duet.nsets"       /* number of --set arguments */
#define HOST_META_SET         "duet.set."        /* + index: "key=value" */
#define HOST_META_INPUT       "duet.input."      /* + source, shape, pixel_mean, ... */
/* of train_state.safetensors: the trainer's counters */
#define HOST_META_EPOCH       "duet.epoch"       /* epochs completed */
#define HOST_META_TOTAL       "duet.total_steps" /* the run's length */
#define HOST_META_PLAN        "duet.plan_steps"  /* the length the schedule spans */
#define HOST_META_LOG_EVERY   "duet.log_every"
#define HOST_META_SEED        "duet.seed"
#define HOST_META_EVAL_PENDING \
  "duet.eval_pending"                              /* "1": the evaluation of the
                                                      step was interrupted */
#define HOST_META_INIT_FROM       "duet.init_from" /* the weights the run started from */
#define HOST_META_INIT_EXPERIMENT "duet.init_experiment"
#define HOST_META_INIT_STEP       "duet.init_step"
#define HOST_META_CONV \
  "duet.conv" /* the convolutions' path: host_conv.h's
                                                 fields as one JSON object */
/* The F64 vector of the state file with the last (up to 100) step losses. */
#define HOST_RECENT_LOSSES "duet.recent_losses"

/* A checkpoint read back. */
typedef struct host_checkpoint {
  rt_st_file weights; /* model.safetensors, owned */
  rt_st_file state;   /* the state file of the same step, owned */
  long step;
} host_checkpoint;

/* Writes the checkpoint into dir: the state file (after moving the
 * current one to the .prev name), then the weights file. Each metadata
 * list must hold HOST_META_STEP. */
int host_checkpoint_save(const char *dir, const host_model *m, const rt_str_pair *weights_meta,
                         size_t nweights_meta, const host_extra *extra, int nextra,
                         const rt_str_pair *state_meta, size_t nstate_meta, rt_error *err);

/* Reads the checkpoint of dir: model.safetensors and the state file whose
 * step is its step. Fails with a message naming the file. */
int host_checkpoint_read(host_checkpoint *c, const char *dir, rt_error *err);
void host_checkpoint_free(host_checkpoint *c);

/* A metadata value of f as a number, or -1 when absent or not a number. */
long host_meta_long(const rt_st_file *f, const char *key);

#endif
