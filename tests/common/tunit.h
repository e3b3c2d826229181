/* tunit.h: one duet source text in memory taken through the front end and
 * semantic analysis with the stdlib, as the sema and elaborator tests
 * compile their programs. */
#ifndef DUET_TUNIT_H
#define DUET_TUNIT_H

#include <stdbool.h>

#include "sema.h"

/* One compilation; everything it holds is freed by tunit_free. */
typedef struct tunit {
  arena *a;       /* owns the program and the analysis */
  diag_ctx *d;    /* the diagnostics of both passes (owned) */
  ast_program *p; /* in a */
  sema_result *r; /* in a; NULL when parsing found errors */
} tunit;

/* Parses `text` as file `name` and checks it; true without errors. */
bool tunit_compile(tunit *u, const char *name, const char *text);
/* The diagnostics as diag_print writes them (malloc'd, caller frees). */
char *tunit_diagnostics(const tunit *u);
void tunit_free(tunit *u);

#endif
