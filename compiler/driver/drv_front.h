/* drv_front.h: loading and checking one duet program, shared by every
 * subcommand and by the fuzz harness: parse (with `use` resolution), then the
 * checks of later passes, with all diagnostics collected in one context. */
#ifndef DUET_DRV_FRONT_H
#define DUET_DRV_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

struct sema_result;

/* One compilation. drv_unit_free releases everything it owns. */
typedef struct drv_unit {
  arena *arena;             /* owns the AST and everything later passes build */
  diag_ctx *diag;           /* owns the source texts and the diagnostics */
  ast_program *program;     /* NULL when the root file could not be read */
  struct sema_result *sema; /* semantic analysis (in arena); NULL when
                               parsing failed */
} drv_unit;

/* The stdlib directory: `override` if not NULL, else $DUET_STDLIB, else
 * <share>/stdlib. */
const char *drv_stdlib_dir(const char *override);
/* duet's files: <directory of the executable>/../share/duet (drv_share.c). */
const char *drv_share_dir(void);

/* Parse and check (semantic analysis, then the elaboration `duet run`
 * does of every experiment and of every variant of every compare and
 * sweep) a file / text in memory into a fresh unit. True when no error was
 * reported (warnings allowed). Diagnostics stay in u->diag. */
bool drv_load_file(drv_unit *u, const char *path, const char *stdlib_dir);
bool drv_load_string(drv_unit *u, const char *name, const char *text, size_t len,
                     const char *stdlib_dir);

/* Only parses (with `use` resolution), for syntax-level tools and tests. */
bool drv_parse_file(drv_unit *u, const char *path, const char *stdlib_dir);

void drv_unit_free(drv_unit *u);

#endif
