/* case_tool.h: the main of the test tools that run_case.cmake drives in
 * place of `duet check`:   NAME check FILE [--stdlib DIR] [FLAG...]
 * FILE goes through the front end and semantic analysis; when they find no
 * errors the tool's own step runs. Its output goes to stdout, then every
 * diagnostic to stderr; the exit code is duet's (0 ok, 1 errors, 2 internal). */
#ifndef DUET_CASE_TOOL_H
#define DUET_CASE_TOOL_H

#include <stdbool.h>

#include "sema.h"

enum { CASE_TOOL_MAX_FLAGS = 8 };

/* The tool's step on a program without errors; set[i] tells whether
 * flags[i] was given. It reports problems into d. */
typedef void (*case_tool_step)(sema_result *r, diag_ctx *d, const bool *set);

/* Parses the command line (flags: the tool's own options, at most
 * CASE_TOOL_MAX_FLAGS), runs the passes and the step; the exit code. */
int case_tool_main(int argc, char **argv, const char *name, int nflags, const char *const *flags,
                   case_tool_step step);

#endif
