/* sema_tool.c: runs the front end and semantic analysis on one file for the
 * tests: prints the diagnostics to stderr and, on request, each
 * experiment's derived module tree (--tree) or `duet explain` table
 * (--explain) to stdout. Exit code as duet's: 0 ok, 1 errors, 2 internal.
 * Its command line matches `duet check`, so tests/front/run_case.cmake
 * drives it:
 *   sema_tool check FILE [--stdlib DIR] [--tree] [--explain] */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "parse.h"
#include "sema.h"

int main(int argc, char **argv) {
  const char *path = NULL, *stdlib = NULL;
  bool tree = false, explain = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--stdlib") == 0 && i + 1 < argc)
      stdlib = argv[++i];
    else if (strcmp(argv[i], "--tree") == 0)
      tree = true;
    else if (strcmp(argv[i], "--explain") == 0)
      explain = true;
    else
      path = argv[i];
  }
  if (argc < 2 || strcmp(argv[1], "check") != 0 || !path) {
    fputs("usage: sema_tool check FILE [--stdlib DIR] [--tree] [--explain]\n", stderr);
    return 2;
  }
  arena *a = arena_new();
  diag_ctx *d = diag_new();
  parse_options opt = {stdlib};
  ast_program *p = parse_file(a, d, path, &opt);
  if (p && diag_error_count(d) == 0) {
    sema_result *r = sema_check(a, d, p);
    if (diag_error_count(d) == 0) {
      for (int i = 0; i < r->nexperiments && tree; i++) {
        printf("experiment %s\n", r->experiments[i]->name);
        mt_dump(stdout, r->experiments[i]->model->root);
        derive_norm_print(stdout, r->experiments[i]->norm);
        putchar('\n');
      }
      if (explain)
        sema_explain(stdout, r);
    }
  }
  fflush(stdout);
  diag_print(d, stderr);
  int code = diag_exit_code(d);
  diag_free(d);
  arena_free(a);
  return code;
}
