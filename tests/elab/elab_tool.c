/* elab_tool.c: runs the front end, semantic analysis and the elaborator on
 * one file for the tests: reports every diagnostic of elab_check to stderr
 * and, with --ir, prints the elaborated program of each experiment (IR dump)
 * to stdout. Its command line matches `duet check`, so
 * tests/common/run_case.cmake drives it (see case_tool.h):
 *   elab_tool check FILE [--stdlib DIR] [--ir] */
#include <stdio.h>

#include "case_tool.h"
#include "elab.h"

static void elaborate(sema_result *r, diag_ctx *d, const bool *set) {
  for (int i = 0; i < r->nexperiments && diag_error_count(d) == 0; i++) {
    const sema_experiment *e = r->experiments[i];
    if (!elab_check(r, e, d) || !set[0])
      continue;
    ir_program *prog = elab_experiment(r, e, NULL, d);
    if (prog) {
      printf("experiment %s\n", e->name);
      ir_dump(prog, stdout);
    }
    ir_program_free(prog);
  }
}

int main(int argc, char **argv) {
  static const char *const flags[] = {"--ir"};
  return case_tool_main(argc, argv, "elab_tool", 1, flags, elaborate);
}
