/* parse.h: the front end's public entry points.
 * Reads a .duet file (and every file it uses) into an ast_program allocated in
 * the caller's arena; syntax errors go to the caller's diagnostics context. */
#ifndef DUET_PARSE_H
#define DUET_PARSE_H

#include <stddef.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

/* Nesting limits: deeper input is rejected with an error, never a crash. */
#define PARSE_MAX_NESTING    256  /* open ( and [ at one point */
#define PARSE_MAX_EXPR_DEPTH 1000 /* height of one expression tree */

typedef struct parse_options {
  /* Directory of the standard library: `use std.nn` reads
   * <stdlib_dir>/nn.duet, and `use "x.duet"` falls back to it when x.duet is
   * not found next to the using file. NULL: no stdlib. */
  const char *stdlib_dir;
} parse_options;

/* Parses the file at `path` (shown in messages exactly as given) and the files
 * it uses. Returns NULL only when `path` itself cannot be read (an error is
 * reported); otherwise a program, partial if there were errors: check
 * diag_error_count(). All AST memory comes from `a`. `opt` may be NULL. */
ast_program *parse_file(arena *a, diag_ctx *d, const char *path, const parse_options *opt);

/* Same for source text in memory (any bytes, `len` of them); `name` is the
 * path shown in messages and the base for relative `use` paths. Never NULL. */
ast_program *parse_string(arena *a, diag_ctx *d, const char *name, const char *text, size_t len,
                          const parse_options *opt);

#endif
