/* drv_cli.h: the command line shared by the commands that build an
 * experiment (run, compare, sweep, emit-llvm, gradcheck):
 *   [FILE [EXPERIMENT]] [--set key=value]... [--stdlib DIR] [own options]
 * and the steps from it to a checked experiment. */
#ifndef DUET_DRV_CLI_H
#define DUET_DRV_CLI_H

#include "drv_build.h"

typedef struct drv_cli {
  const char *cmd;                  /* command name, for messages */
  const char *file, *name, *stdlib; /* NULL when not given */
  const char *data_dir;             /* relative data paths resolve here (a run's copy of
                           a program: its original's directory); NULL: the
                           directory of the file that binds them */
  int nsets;
  char **sets; /* malloc-owned array of argv strings */
} drv_cli;

/* A command's own option at argv[i]: returns how many arguments it used
 * (0: not its option, -1: a bad value, already reported). */
typedef int (*drv_cli_option)(void *ctx, int i, int argc, char **argv);

/* Parses the arguments (FILE may be missing); returns 0 or an exit code
 * after reporting. */
int drv_cli_parse(drv_cli *c, const char *cmd, int argc, char **argv, drv_cli_option own,
                  void *ctx);
void drv_cli_free(drv_cli *c);

/* Loads the file (a usage error when none was given) and builds the chosen
 * experiment (a compare or sweep target gives its experiment) with the
 * --set overrides. Returns 0 or an exit code; s (zeroed by the caller)
 * is freed with drv_source_free in either case. */
int drv_cli_experiment(const drv_cli *c, drv_source *s, sema_experiment **e);

#endif
