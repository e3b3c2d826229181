/* elab_tool.c: runs the front end, semantic analysis and the elaborator on
 * one file for the tests: reports every diagnostic of elab_check to stderr
 * and, with --ir, prints the elaborated program of each experiment (IR dump)
 * to stdout. Exit code as duet's: 0 ok, 1 errors, 2 internal. Its command
 * line matches `duet check`, so tests/front/run_case.cmake drives it:
 *   elab_tool check FILE [--stdlib DIR] [--ir] */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "elab.h"
#include "parse.h"
#include "sema.h"

int main(int argc, char **argv) {
  const char *path = NULL, *stdlib = NULL;
  bool dump = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--stdlib") == 0 && i + 1 < argc)
      stdlib = argv[++i];
    else if (strcmp(argv[i], "--ir") == 0)
      dump = true;
    else
      path = argv[i];
  }
  if (argc < 2 || strcmp(argv[1], "check") != 0 || !path) {
    fputs("usage: elab_tool check FILE [--stdlib DIR] [--ir]\n", stderr);
    return 2;
  }
  arena *a = arena_new();
  diag_ctx *d = diag_new();
  parse_options opt = {stdlib};
  ast_program *p = parse_file(a, d, path, &opt);
  if (p && diag_error_count(d) == 0) {
    sema_result *r = sema_check(a, d, p);
    for (int i = 0; i < r->nexperiments && diag_error_count(d) == 0; i++) {
      const sema_experiment *e = r->experiments[i];
      if (!elab_check(r, e, d) || !dump)
        continue;
      ir_program *prog = elab_experiment(r, e, NULL, d);
      if (prog) {
        printf("experiment %s\n", e->name);
        ir_dump(prog, stdout);
      }
      ir_program_free(prog);
    }
  }
  fflush(stdout);
  diag_print(d, stderr);
  int code = diag_exit_code(d);
  diag_free(d);
  arena_free(a);
  return code;
}
