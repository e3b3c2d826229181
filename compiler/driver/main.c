/* main.c: the `duet` command line: dispatches to the commands of the table
 * in drv_usage.c and prints --help (of everything, or of one command) and
 * --version. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "drv_commands.h"
#include "drv_usage.h"

#ifndef DUET_VERSION
#error "DUET_VERSION must be defined by the build"
#endif

int drv_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("duet: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int drv_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("duet: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (cmd)
    fprintf(stderr, "\n  hint: run 'duet %s --help' for usage\n", cmd);
  else
    fputs("\n  hint: run 'duet --help' for usage\n", stderr);
  return 1;
}

static bool is_help(const char *arg) {
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* `duet help [COMMAND]` */
int drv_cmd_help(int argc, char **argv) {
  if (argc > 1)
    return drv_usage_error("help", "give one command at most");
  if (argc == 0) {
    drv_print_help(stdout);
    return 0;
  }
  const drv_command *c = drv_command_find(argv[0]);
  if (!c)
    return drv_unknown_command(argv[0]);
  drv_print_command_help(stdout, c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return drv_usage_error(NULL, "no command given");
  const char *cmd = argv[1];
  if (is_help(cmd))
    return drv_cmd_help(0, NULL);
  if (strcmp(cmd, "--version") == 0) {
    printf("duet %s\n", DUET_VERSION);
    return 0;
  }
  const drv_command *c = drv_command_find(cmd);
  if (!c)
    return drv_unknown_command(cmd);
  for (int j = 2; j < argc; j++)
    if (is_help(argv[j])) {
      drv_print_command_help(stdout, c);
      return 0;
    }
  return c->run(argc - 2, argv + 2);
}
