/* drv_build.h: from a source file to a compiled training program, shared by
 * the training commands (run, compare, gradcheck, emit-llvm): load and check
 * the file, choose what to run (an experiment, or a compare/sweep of one),
 * apply `--set key=value` overrides, elaborate and JIT-compile. */
#ifndef DUET_DRV_BUILD_H
#define DUET_DRV_BUILD_H

#include <stdbool.h>

#include "core.h"
#include "drv_front.h"
#include "elab.h"
#include "sema.h"

/* A loaded and checked program. */
typedef struct drv_source {
  drv_unit unit;     /* owns the arena, the diagnostics and the AST */
  sema_result *sema; /* unit.sema when the program is free of errors */
  const char *path;  /* as given (not owned) */
} drv_source;

/* Loads and checks `path`. Prints the diagnostics (warnings too) to stderr.
 * Returns 0, or the exit code (1 errors, 2 internal) after printing them. */
int drv_source_load(drv_source *s, const char *path, const char *stdlib_dir);
void drv_source_free(drv_source *s); /* harmless on a zeroed source */

/* What a command runs: an experiment declaration, or a compare/sweep study
 * (then `study` is set and `experiment` is the experiment it varies). */
typedef struct drv_target {
  const ast_decl *experiment;
  const sema_study *study; /* NULL for a plain experiment */
} drv_target;

/* Which declarations a command may target. */
typedef enum drv_target_kind {
  DRV_TARGET_ANY,        /* an experiment, compare or sweep (the experiment a
                            compare or sweep varies, for emit-c, predict, ...) */
  DRV_TARGET_EXPERIMENT, /* an experiment (duet run) */
  DRV_TARGET_NAMED,      /* the experiment `name` (a resumed run) */
  DRV_TARGET_COMPARE,    /* a compare */
  DRV_TARGET_SWEEP       /* a sweep */
} drv_target_kind;

/* Chooses the target among the root file's declarations of that kind: the
 * last one, or with `name` the one of that experiment (for ANY,
 * EXPERIMENT and NAMED: the experiment `name` itself, which may also be
 * declared in a used file). For EXPERIMENT without a name, a note on
 * stderr names the experiment run when the file declares more (other
 * experiments, compares or sweeps) and how to run those. Returns 0 or 1
 * after printing `duet: error: ...`. */
int drv_find_target(const drv_source *s, const char *name, drv_target_kind kind, drv_target *out);

/* Parses `--set` arguments "key=value" (value: any duet expression) into
 * overrides allocated in the source's arena. Returns 0, or 1 after printing
 * the errors. */
int drv_parse_sets(drv_source *s, int n, char *const *sets, sema_override **out);

/* sema_build_experiment with the overrides; NULL after printing the
 * diagnostics (exit code 1). */
sema_experiment *drv_experiment(drv_source *s, const ast_decl *exp, int nov,
                                const sema_override *ov);

/* Elaborates e; NULL after printing the diagnostics. */
ir_program *drv_elaborate(drv_source *s, const sema_experiment *e, const elab_options *o);

/* Prints the diagnostics collected so far and returns their exit code. */
int drv_report_diags(drv_source *s);
/* The exit code after a step failed: 2 when an internal error was
 * reported, else 1. */
int drv_failure_code(const drv_source *s);

#endif
