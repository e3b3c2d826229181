/* drv_usage.h: the table of the `duet` commands: for each its synopsis,
 * summary and every option it accepts, from which `duet help`, `duet
 * COMMAND --help`, the "did you mean" hints and the shell completion
 * scripts (drv_completion.c) are all made. A command's option parser and
 * its rows here must agree: tests/driver/test_help.py checks both ways. */
#ifndef DUET_DRV_USAGE_H
#define DUET_DRV_USAGE_H

#include <stdio.h>

/* What an option's value, or a command's operands, are. */
typedef enum drv_arg {
  DRV_ARG_NONE,   /* an option without a value; a command without operands */
  DRV_ARG_TEXT,   /* anything */
  DRV_ARG_SOURCE, /* a .duet file */
  DRV_ARG_FILE,   /* any file */
  DRV_ARG_DIR,    /* a directory */
  DRV_ARG_CHOICE, /* one of `choices` (a comma-separated list for --log-format) */
  DRV_ARG_COMMAND /* the name of a command */
} drv_arg;

typedef struct drv_option {
  const char *name;    /* "--steps" */
  const char *alias;   /* another spelling the parser accepts, or NULL */
  const char *value;   /* its value in the help ("N", "f32|f64"); NULL: none */
  drv_arg arg;         /* what the value is */
  const char *choices; /* DRV_ARG_CHOICE: the words, space-separated */
  const char *help;
  int repeatable; /* may be given more than once */
} drv_option;

typedef struct drv_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *brief;    /* one line for the overview */
  const char *synopsis; /* one or more lines, each the words after "duet " */
  const char *summary;  /* a paragraph */
  drv_arg operands;     /* what its positional arguments are */
  const char *operand_choices;
  const drv_option *const *groups; /* its options: NULL-terminated lists of
                                      lists ended by a row with a NULL name */
} drv_command;

extern const drv_command drv_command_table[];
extern const int drv_ncommands;

/* The command called name, or NULL. */
const drv_command *drv_command_find(const char *name);
/* The general help: every command with its summary. */
void drv_print_help(FILE *out);
/* A command's help: its synopsis, summary and every option. */
void drv_print_command_help(FILE *out, const drv_command *c);

/* Reports an option cmd does not know, with the closest one it does as a
 * hint; returns 1 (the exit code). */
int drv_unknown_option(const char *cmd, const char *arg);
/* Reports an unknown command, with the closest one as a hint; returns 1. */
int drv_unknown_command(const char *name);
/* The closest of cands to name for a "did you mean" hint, or NULL when none
 * is close (the matcher of the language's hints, sema_names.c). */
const char *drv_closest(const char *name, const char *const *cands, int n);

#endif
