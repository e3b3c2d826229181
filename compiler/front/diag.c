/* diag.c: collects diagnostics and prints them with the source line and a
 * caret line under the span (see diag.h for the format). Long lines are shown
 * as a window around the span; bytes that are not printable text are shown
 * as '?' so the caret stays aligned. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

enum {
  LINE_WINDOW = 120, /* longest source line shown in full */
  WINDOW_BEFORE = 40 /* bytes shown before the span in a long line */
};

typedef struct diag_entry {
  diag_severity sev;
  diag_loc loc;
  char *msg;  /* owned */
  char *hint; /* owned, or NULL */
} diag_entry;

struct diag_ctx {
  diag_file **files; /* owned records, with owned path and text */
  int nfiles;
  diag_entry *entries; /* owned; pending until diag_print */
  int nentries, capentries;
  int errors, warnings, internals, dropped, max_errors;
  bool last_dropped; /* the previous report was dropped by the cap */
};

static char *xstrndup(const char *s, size_t n) {
  char *p = arena_heap_realloc(NULL, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

diag_ctx *diag_new(void) {
  diag_ctx *d = arena_heap_realloc(NULL, sizeof *d);
  memset(d, 0, sizeof *d);
  d->max_errors = DIAG_DEFAULT_MAX_ERRORS;
  return d;
}

static void clear_entries(diag_ctx *d) {
  for (int i = 0; i < d->nentries; i++) {
    free(d->entries[i].msg);
    free(d->entries[i].hint);
  }
  d->nentries = 0;
}

void diag_free(diag_ctx *d) {
  if (!d)
    return;
  clear_entries(d);
  free(d->entries);
  for (int i = 0; i < d->nfiles; i++) {
    free((char *)d->files[i]->path);
    free((char *)d->files[i]->text);
    free(d->files[i]);
  }
  free(d->files);
  free(d);
}

void diag_set_max_errors(diag_ctx *d, int max_errors) {
  d->max_errors = max_errors > 0 ? max_errors : 1;
}

const diag_file *diag_add_file(diag_ctx *d, const char *path, const char *text, size_t len) {
  diag_file *f = arena_heap_realloc(NULL, sizeof *f);
  f->path = xstrndup(path, strlen(path));
  f->text = xstrndup(text, len);
  f->len = len;
  d->files = arena_heap_realloc(d->files, sizeof(*d->files) * (size_t)(d->nfiles + 1));
  d->files[d->nfiles++] = f;
  return f;
}

/* Records one diagnostic for the reporters below: counts it, drops errors
 * past the cap and the notes that follow a dropped report. */
static void report(diag_ctx *d, diag_severity sev, diag_loc loc, const char *fmt, va_list ap) {
  if (sev == DIAG_NOTE) {
    if (d->last_dropped)
      return;
  } else if (sev == DIAG_WARNING) {
    d->warnings++;
  } else {
    if (sev == DIAG_INTERNAL)
      d->internals++;
    d->errors++;
    if (d->errors > d->max_errors && sev == DIAG_ERROR) {
      d->dropped++;
      d->last_dropped = true;
      return;
    }
  }
  d->last_dropped = false;
  if (d->nentries == d->capentries) {
    d->capentries = d->capentries ? 2 * d->capentries : 16;
    d->entries = arena_heap_realloc(d->entries, sizeof(*d->entries) * (size_t)d->capentries);
  }
  diag_entry *e = &d->entries[d->nentries++];
  e->sev = sev;
  e->loc = loc;
  e->msg = arena_heap_vprintf(fmt, ap);
  e->hint = NULL;
}

#define DEFINE_REPORTER(fn, sev)                             \
  void fn(diag_ctx *d, diag_loc loc, const char *fmt, ...) { \
    va_list ap;                                              \
    va_start(ap, fmt);                                       \
    report(d, sev, loc, fmt, ap);                            \
    va_end(ap);                                              \
  }
DEFINE_REPORTER(diag_error, DIAG_ERROR)
DEFINE_REPORTER(diag_warning, DIAG_WARNING)
DEFINE_REPORTER(diag_note, DIAG_NOTE)
DEFINE_REPORTER(diag_internal, DIAG_INTERNAL)

void diag_hint(diag_ctx *d, const char *fmt, ...) {
  if (d->last_dropped || d->nentries == 0)
    return;
  diag_entry *e = &d->entries[d->nentries - 1];
  va_list ap;
  va_start(ap, fmt);
  free(e->hint);
  e->hint = arena_heap_vprintf(fmt, ap);
  va_end(ap);
}

int diag_error_count(const diag_ctx *d) { return d->errors; }
int diag_warning_count(const diag_ctx *d) { return d->warnings; }
bool diag_should_stop(const diag_ctx *d) { return d->errors > d->max_errors; }

int diag_exit_code(const diag_ctx *d) { return d->internals ? 2 : d->errors ? 1 : 0; }

diag_loc diag_loc_join(diag_loc a, diag_loc b) {
  diag_loc r = a;
  if (b.end_line > a.end_line || (b.end_line == a.end_line && b.end_col > a.end_col)) {
    r.end_line = b.end_line;
    r.end_col = b.end_col;
  }
  return r;
}

/* ---- printing ---------------------------------------------------------- */

size_t diag_utf8_len(const unsigned char *p, size_t avail) {
  if (p[0] < 0x80)
    return 1;
  size_t n;
  unsigned min;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2, min = 0x80;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    n = 3, min = 0x800;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    n = 4, min = 0x10000;
  else
    return 0;
  if (n > avail)
    return 0;
  unsigned cp = p[0] & (0x7f >> n);
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  return cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? n : 0;
}

/* Finds line `line` (1-based) of f: start offset and length without the
 * line terminator. False if the file has fewer lines. */
static bool find_line(const diag_file *f, int line, size_t *start, size_t *len) {
  size_t pos = 0;
  for (int l = 1; l < line; l++) {
    const char *nl = memchr(f->text + pos, '\n', f->len - pos);
    if (!nl)
      return false;
    pos = (size_t)(nl - f->text) + 1;
  }
  const char *nl = memchr(f->text + pos, '\n', f->len - pos);
  size_t end = nl ? (size_t)(nl - f->text) : f->len;
  if (end > pos && f->text[end - 1] == '\r')
    end--;
  *start = pos;
  *len = end - pos;
  return true;
}

/* Prints the source line (or a window of it) and the caret line for the
 * byte columns [c0, c1] (0-based, inclusive). */
static void print_snippet(FILE *out, const unsigned char *s, size_t len, size_t c0, size_t c1) {
  size_t w0 = 0, w1 = len;
  if (len > LINE_WINDOW) {
    w0 = c0 > WINDOW_BEFORE ? c0 - WINDOW_BEFORE : 0;
    while (w0 > 0 && (s[w0] & 0xc0) == 0x80)
      w0--;
    w1 = w0 + LINE_WINDOW < len ? w0 + LINE_WINDOW : len;
    while (w1 < len && (s[w1] & 0xc0) == 0x80)
      w1++;
  }
  if (c1 < c0)
    c1 = c0;
  char prefix[] = "...";
  /* line */
  if (w0 > 0)
    fputs(prefix, out);
  for (size_t i = w0; i < w1;) {
    size_t n = s[i] >= 0x80 ? diag_utf8_len(s + i, w1 - i) : 0;
    if (n) {
      fwrite(s + i, 1, n, out);
      i += n;
      continue;
    }
    int c = s[i++];
    fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', out);
  }
  if (w1 < len)
    fputs(prefix, out);
  fputc('\n', out);
  /* caret */
  if (w0 > 0)
    fputs("   ", out);
  bool first = true;
  size_t i = w0;
  for (; i < w1 && i <= c1;) {
    size_t n = s[i] >= 0x80 ? diag_utf8_len(s + i, w1 - i) : 0;
    if (n == 0)
      n = 1;
    if (i < c0)
      fputc(s[i] == '\t' ? '\t' : ' ', out);
    else {
      fputc(first ? '^' : '~', out);
      first = false;
    }
    i += n;
  }
  if (first && c0 >= w1) { /* span at or past the end of the line */
    for (; i < c0 && i < w1 + 1; i++)
      fputc(' ', out);
    fputc('^', out);
  }
  fputc('\n', out);
}

static const char *sev_name(diag_severity s) {
  switch (s) {
  case DIAG_ERROR:
    return "error";
  case DIAG_WARNING:
    return "warning";
  case DIAG_NOTE:
    return "note";
  case DIAG_INTERNAL:
    return "internal error";
  }
  return "error";
}

static void print_entry(FILE *out, const diag_entry *e) {
  const diag_loc *l = &e->loc;
  if (!l->file) {
    fprintf(out, "duet: %s: %s\n", sev_name(e->sev), e->msg);
  } else {
    fprintf(out, "%s:%d:%d: %s: %s\n", l->file->path, l->line, l->col, sev_name(e->sev), e->msg);
    size_t start, len;
    if (l->line >= 1 && l->col >= 1 && find_line(l->file, l->line, &start, &len)) {
      size_t c0 = (size_t)l->col - 1;
      size_t c1 = l->end_line == l->line && l->end_col >= l->col ? (size_t)l->end_col - 1
                                                                 : (len > c0 ? len - 1 : c0);
      print_snippet(out, (const unsigned char *)l->file->text + start, len, c0, c1);
    }
  }
  if (e->hint)
    fprintf(out, "  hint: %s\n", e->hint);
}

void diag_print(diag_ctx *d, FILE *out) {
  for (int i = 0; i < d->nentries; i++)
    print_entry(out, &d->entries[i]);
  if (d->dropped)
    fprintf(out, "duet: error: too many errors; stopping after %d\n", d->max_errors);
  d->dropped = 0;
  clear_entries(d);
  fflush(out);
}
