/* cmd_explain.c: `duet explain FILE [--stdlib DIR]`: prints, for every
 * experiment in FILE, the optimizer derived from its model (per weight:
 * shape, mass, sensitivity, step share, effective learning rate, optimizer,
 * norm and dualize rule) and the model's modular norm. */
#include <stdio.h>
#include <string.h>

#include "drv_commands.h"
#include "drv_front.h"
#include "drv_usage.h"
#include "explain.h"

int drv_cmd_explain(int argc, char **argv) {
  const char *path = NULL, *stdlib = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--stdlib") == 0 && i + 1 == argc)
      return drv_usage_error("explain", "--stdlib needs a value");
    else if (strcmp(argv[i], "--stdlib") == 0)
      stdlib = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1] != 0)
      return drv_unknown_option("explain", argv[i]);
    else if (path)
      return drv_usage_error("explain", "more than one file given");
    else
      path = argv[i];
  }
  if (!path)
    return drv_usage_error("explain", "no file given");

  drv_unit u;
  if (drv_load_file(&u, path, drv_stdlib_dir(stdlib)))
    sema_explain(stdout, u.sema);
  fflush(stdout);
  diag_print(u.diag, stderr);
  int code = diag_exit_code(u.diag);
  drv_unit_free(&u);
  return code;
}
