/* sema_tool.c: runs the front end and semantic analysis on one file for the
 * tests: prints the diagnostics to stderr and, on request, each
 * experiment's derived module tree (--tree) or `duet explain` table
 * (--explain) to stdout. Its command line matches `duet check`, so
 * tests/common/run_case.cmake drives it (see case_tool.h):
 *   sema_tool check FILE [--stdlib DIR] [--tree] [--explain] */
#include <stdio.h>

#include "case_tool.h"
#include "explain.h"

static void show(sema_result *r, diag_ctx *d, const bool *set) {
  (void)d;
  for (int i = 0; i < r->nexperiments && set[0]; i++) {
    printf("experiment %s\n", r->experiments[i]->name);
    mt_dump(stdout, r->experiments[i]->model->root);
    derive_norm_print(stdout, r->experiments[i]->norm);
    putchar('\n');
  }
  if (set[1])
    sema_explain(stdout, r);
}

int main(int argc, char **argv) {
  static const char *const flags[] = {"--tree", "--explain"};
  return case_tool_main(argc, argv, "sema_tool", 2, flags, show);
}
