/* test_diag.c: checks the diagnostics context directly: the printed format
 * of errors, warnings, notes, hints and internal errors, carets under
 * multi-line spans, spans past the end of a line and after UTF-8 text, the
 * error cap, exit codes, and span joining. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"

static void expect_str(check_ctx *t, const char *what, const char *want, const char *got) {
  if (!check(t, strcmp(want, got) == 0, "%s", what))
    printf("--- expected ---\n%s--- got ---\n%s--- end ---\n", want, got);
}

static void expect_int(check_ctx *t, const char *what, int want, int got) {
  check(t, want == got, "%s: expected %d, got %d", what, want, got);
}

/* Prints the collected diagnostics into a string (caller frees). */
static char *render(diag_ctx *d) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  diag_print(d, f);
  fclose(f);
  return buf;
}

static diag_loc span(const diag_file *f, int l0, int c0, int l1, int c1) {
  return (diag_loc){f, l0, c0, l1, c1};
}

int main(void) {
  check_ctx ctx = {.verbose = true}, *t = &ctx;
  const char text[] = "let x = 1\nnorm = a +\n  b\n\xc3\xa9t\xc3\xa9 = y\n";
  diag_ctx *d = diag_new();
  const diag_file *f = diag_add_file(d, "t.duet", text, sizeof text - 1);

  diag_warning(d, span(f, 1, 5, 1, 5), "unused name '%s'", "x");
  diag_hint(d, "remove it");
  diag_error(d, span(f, 2, 8, 3, 3), "multi-line span");
  diag_note(d, span(f, 2, 11, 2, 11), "past the end of the line");
  diag_error(d, span(f, 4, 9, 4, 9), "after UTF-8 text");
  diag_error(d, (diag_loc){0}, "no position");
  char *out = render(d);
  expect_str(t, "format of warning, hint, error, note, no-position error",
             "t.duet:1:5: warning: unused name 'x'\n"
             "let x = 1\n"
             "    ^\n"
             "  hint: remove it\n"
             "t.duet:2:8: error: multi-line span\n"
             "norm = a +\n"
             "       ^~~\n"
             "t.duet:2:11: note: past the end of the line\n"
             "norm = a +\n"
             "          ^\n"
             "t.duet:4:9: error: after UTF-8 text\n"
             "\xc3\xa9t\xc3\xa9 = y\n"
             "      ^\n"
             "duet: error: no position\n",
             out);
  free(out);
  expect_int(t, "error count", 3, diag_error_count(d));
  expect_int(t, "warning count", 1, diag_warning_count(d));
  expect_int(t, "exit code with user errors", 1, diag_exit_code(d));
  diag_internal(d, (diag_loc){0}, "broken invariant");
  expect_int(t, "exit code with an internal error", 2, diag_exit_code(d));
  diag_free(d);

  /* the cap: 3 errors shown, later ones dropped, and a note after a
   * dropped error is dropped with it */
  d = diag_new();
  diag_set_max_errors(d, 3);
  f = diag_add_file(d, "c.duet", "ab\n", 3);
  for (int i = 0; i < 5; i++) {
    diag_error(d, span(f, 1, 1, 1, 2), "error %d", i);
    diag_note(d, span(f, 1, 2, 1, 2), "note %d", i);
  }
  expect_int(t, "should stop after the cap", 1, diag_should_stop(d));
  out = render(d);
  const char *capped = "c.duet:1:1: error: error 0\nab\n^~\n"
                       "c.duet:1:2: note: note 0\nab\n ^\n"
                       "c.duet:1:1: error: error 1\nab\n^~\n"
                       "c.duet:1:2: note: note 1\nab\n ^\n"
                       "c.duet:1:1: error: error 2\nab\n^~\n"
                       "c.duet:1:2: note: note 2\nab\n ^\n"
                       "duet: error: too many errors; stopping after 3\n";
  expect_str(t, "error cap", capped, out);
  free(out);
  diag_free(d);

  diag_loc a = {NULL, 1, 5, 1, 7}, b = {NULL, 3, 2, 3, 4};
  diag_loc j = diag_loc_join(a, b);
  expect_int(t, "join: start line", 1, j.line);
  expect_int(t, "join: start column", 5, j.col);
  expect_int(t, "join: end line", 3, j.end_line);
  expect_int(t, "join: end column", 4, j.end_col);

  return check_done(t, "front_test_diag");
}
