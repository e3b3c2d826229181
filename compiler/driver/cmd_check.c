/* cmd_check.c: `duet check FILE [--dump-ast] [--parse-only] [--stdlib DIR]`:
 * report every error in FILE (and the files it uses); --dump-ast prints the
 * syntax tree of FILE to stdout; --parse-only stops after parsing. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "drv_commands.h"
#include "drv_front.h"
#include "drv_usage.h"

int drv_cmd_check(int argc, char **argv) {
  const char *path = NULL, *stdlib = NULL;
  bool dump = false, parse_only = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--dump-ast") == 0)
      dump = true;
    else if (strcmp(argv[i], "--parse-only") == 0)
      parse_only = true;
    else if (strcmp(argv[i], "--stdlib") == 0 && i + 1 == argc)
      return drv_usage_error("check", "--stdlib needs a value");
    else if (strcmp(argv[i], "--stdlib") == 0)
      stdlib = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1] != 0)
      return drv_unknown_option("check", argv[i]);
    else if (path)
      return drv_usage_error("check", "more than one file given");
    else
      path = argv[i];
  }
  if (!path)
    return drv_usage_error("check", "no file given");

  drv_unit u;
  if (parse_only)
    drv_parse_file(&u, path, drv_stdlib_dir(stdlib));
  else
    drv_load_file(&u, path, drv_stdlib_dir(stdlib));
  if (dump && u.program)
    ast_dump_file(stdout, u.program->root);
  fflush(stdout);
  diag_print(u.diag, stderr);
  int code = diag_exit_code(u.diag);
  drv_unit_free(&u);
  return code;
}
