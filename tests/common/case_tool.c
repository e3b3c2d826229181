/* case_tool.c: the main of the test tools driven like `duet check` (see
 * case_tool.h). */
#include "case_tool.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static int usage(const char *name, int nflags, const char *const *flags) {
  fprintf(stderr, "usage: %s check FILE [--stdlib DIR]", name);
  for (int f = 0; f < nflags; f++)
    fprintf(stderr, " [%s]", flags[f]);
  fputc('\n', stderr);
  return 2;
}

int case_tool_main(int argc, char **argv, const char *name, int nflags, const char *const *flags,
                   case_tool_step step) {
  assert(nflags <= CASE_TOOL_MAX_FLAGS);
  const char *path = NULL, *stdlib = NULL;
  bool set[CASE_TOOL_MAX_FLAGS] = {false};
  for (int i = 2; i < argc; i++) {
    int f = 0;
    while (f < nflags && strcmp(argv[i], flags[f]) != 0)
      f++;
    if (f < nflags)
      set[f] = true;
    else if (strcmp(argv[i], "--stdlib") == 0 && i + 1 < argc)
      stdlib = argv[++i];
    else
      path = argv[i];
  }
  if (argc < 2 || strcmp(argv[1], "check") != 0 || !path)
    return usage(name, nflags, flags);
  arena *a = arena_new();
  diag_ctx *d = diag_new();
  parse_options opt = {stdlib};
  ast_program *p = parse_file(a, d, path, &opt);
  if (p && diag_error_count(d) == 0) {
    sema_result *r = sema_check(a, d, p);
    if (diag_error_count(d) == 0)
      step(r, d, set);
  }
  fflush(stdout);
  diag_print(d, stderr);
  int code = diag_exit_code(d);
  diag_free(d);
  arena_free(a);
  return code;
}
