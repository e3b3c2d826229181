/* cmd_emit_llvm.c: `duet emit-llvm FILE [EXPERIMENT] [--set k=v]...
 * [--no-opt]`: prints the LLVM IR of the experiment's training program
 * (every entry point), optimized for this CPU unless --no-opt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_llvm.h"
#include "drv_cli.h"
#include "drv_commands.h"
#include "lower.h"

static int emit_option(void *ctx, int i, int argc, char **argv) {
  (void)argc;
  if (strcmp(argv[i], "--no-opt") != 0)
    return 0;
  *(int *)ctx = 0;
  return 1;
}

int drv_cmd_emit_llvm(int argc, char **argv) {
  drv_cli c;
  int optimize = 1;
  int rc = drv_cli_parse(&c, "emit-llvm", argc, argv, emit_option, &optimize);
  drv_source s = {0};
  sema_experiment *e = NULL;
  if (rc == 0)
    rc = drv_cli_experiment(&c, &s, &e);
  ir_program *p = rc == 0 ? drv_elaborate(&s, e, NULL) : NULL;
  if (rc == 0 && !p)
    rc = drv_failure_code(&s);
  char err[1024];
  kp_program *kp = p ? lower_program(p, err, sizeof err) : NULL;
  char *ir = kp ? cg_llvm_emit_ir(kp, optimize, err, sizeof err) : NULL;
  if (p && !ir) {
    fprintf(stderr, "duet: internal error: %s\n", err);
    rc = 2;
  }
  if (ir)
    fputs(ir, stdout);
  free(ir);
  if (kp)
    kp_free(kp);
  ir_program_free(p);
  drv_source_free(&s);
  drv_cli_free(&c);
  return rc;
}
