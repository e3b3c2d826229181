/* drv_study.h: running a `compare` or `sweep` declaration: one training
 * run per variant (same model, data and seed; one value per axis), then a
 * table, compare.json and the loss curves of all variants in compare.svg
 * (a sweep also gets sweep.svg: final loss against its last axis). */
#ifndef DUET_DRV_STUDY_H
#define DUET_DRV_STUDY_H

#include "drv_build.h"
#include "drv_run.h"

/* Runs every variant of t->study into <out>/<i>-<label>, where <out> is
 * o->out_dir or runs/<experiment>-<compare|sweep>-<time>. The variants
 * get o's options with their axis values appended to o->sets. Returns 0
 * when every variant trained, 1 when one failed (the others still run). */
int drv_study_run(drv_source *s, const drv_target *t, const drv_run_opts *o);

#endif
