/* tunit.c: compiling a source text in memory through the front end and
 * semantic analysis for the tests (see tunit.h). */
#include "tunit.h"

#include <stdio.h>
#include <string.h>

#include "parse.h"

bool tunit_compile(tunit *u, const char *name, const char *text) {
  u->a = arena_new();
  u->d = diag_new();
  parse_options opt = {DUET_STDLIB_DIR};
  u->p = parse_string(u->a, u->d, name, text, strlen(text), &opt);
  u->r = diag_error_count(u->d) ? NULL : sema_check(u->a, u->d, u->p);
  return diag_error_count(u->d) == 0;
}

char *tunit_diagnostics(const tunit *u) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  diag_print(u->d, out);
  fclose(out);
  return text;
}

void tunit_free(tunit *u) {
  diag_free(u->d);
  arena_free(u->a);
}
