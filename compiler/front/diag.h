/* diag.h: the diagnostics context.
 * Errors, warnings and notes are collected while a compilation runs and
 * printed together as `file:line:col: error: message`, the source line, a
 * caret line under the span, and an optional `  hint: ...` line. */
#ifndef DUET_DIAG_H
#define DUET_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One source file known to the diagnostics context. The context owns the copy
 * of the path and of the text; both live until diag_free. `text` may contain
 * any bytes (including NUL); it is always followed by one extra NUL. */
typedef struct diag_file {
  const char *path; /* as shown in messages (as given by the user) */
  const char *text;
  size_t len;
} diag_file;

/* A span in a source file. Lines and columns are 1-based; columns count bytes.
 * The span runs from (line, col) to (end_line, end_col) INCLUSIVE. A location
 * with file == NULL has no position (e.g. a bad command line argument); such
 * messages are printed as `duet: error: message`. */
typedef struct diag_loc {
  const diag_file *file;
  int line, col;
  int end_line, end_col;
} diag_loc;

typedef enum diag_severity {
  DIAG_ERROR,
  DIAG_WARNING,
  DIAG_NOTE,
  DIAG_INTERNAL /* a bug in duet itself: exit code 2 */
} diag_severity;

typedef struct diag_ctx diag_ctx;

/* Default cap on reported errors; later errors are dropped and one
 * "too many errors" line is printed instead. */
#define DIAG_DEFAULT_MAX_ERRORS 20

diag_ctx *diag_new(void);
void diag_free(diag_ctx *d); /* NULL allowed */
void diag_set_max_errors(diag_ctx *d, int max_errors);

/* Registers a source file (copies path and text) and returns its record,
 * owned by the context. */
const diag_file *diag_add_file(diag_ctx *d, const char *path, const char *text, size_t len);

/* Reports a diagnostic at `loc` (printf-style message, no trailing newline,
 * no leading capital by convention). Errors past the cap are dropped. */
void diag_error(diag_ctx *d, diag_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(diag_ctx *d, diag_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A note belongs to the diagnostic reported just before it (e.g. "previous
 * definition is here") and is dropped together with it. */
void diag_note(diag_ctx *d, diag_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_internal(diag_ctx *d, diag_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Attaches `  hint: ...` to the most recently reported diagnostic (no effect
 * if that one was dropped by the cap). */
void diag_hint(diag_ctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int diag_error_count(const diag_ctx *d); /* errors + internal errors, incl. dropped */
int diag_warning_count(const diag_ctx *d);
/* True once the error cap is reached: callers should stop early. */
bool diag_should_stop(const diag_ctx *d);
/* 0 when no errors, 1 for user errors, 2 if any internal error. */
int diag_exit_code(const diag_ctx *d);

/* Prints every collected diagnostic (in the order reported) and forgets them. */
void diag_print(diag_ctx *d, FILE *out);

/* The smallest span covering both (a and b in the same file, a first). */
diag_loc diag_loc_join(diag_loc a, diag_loc b);

/* Length of the valid UTF-8 sequence at p (1 for ASCII), or 0 if it is not
 * valid UTF-8 within the `avail` bytes (for the lexer and for printing
 * source lines). */
size_t diag_utf8_len(const unsigned char *p, size_t avail);

#endif
