/*
 * csv.c - reading CSV files (RFC 4180) of numbers with a header row: one
 * pass over the file in memory splits records into fields, the selected
 * cells are checked against a strict decimal grammar and converted by
 * strtod, the label column becomes class ids or real targets.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rt_data_internal.h"
#include "rt_io.h"

/* Class ids are served as int32: larger ones are refused. */
#define MAX_ID INT32_MAX

/* A field: its text in the file (of a quoted field, what lies between the
 * quotes, doubled quotes still doubled). */
typedef struct field {
  char *s;
  size_t n;
  int quoted;
} field;

typedef struct reader {
  const char *path;
  char *text; /* the file, NUL-terminated; owned by rt_csv_load */
  size_t len, pos;
  size_t row; /* the record being read, counted from 1 (the header) */
  field *fields;
  size_t nfields, cap;
  char **names; /* [ncols] the header's names, owned */
  size_t ncols;
  rt_error *err;
} reader;

/* "<path>: row R[, column C ("name")]: what" (col 0: no column). */
static int fail(reader *r, size_t col, const char *fmt, ...) RT_PRINTF_LIKE(3, 4);
static int fail(reader *r, size_t col, const char *fmt, ...) {
  char what[300], where[300] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (col && col <= r->ncols) {
    char name[200];
    rt_printable(name, sizeof name, r->names[col - 1], strlen(r->names[col - 1]));
    snprintf(where, sizeof where, ", column %zu (\"%s\")", col, name);
  } else if (col)
    snprintf(where, sizeof where, ", column %zu", col);
  rt_error_set(r->err, "%s: row %zu%s: %s", r->path, r->row, where, what);
  return -1;
}

static int push(reader *r, field f) {
  if (r->nfields == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 16;
    field *grown = realloc(r->fields, cap * sizeof *grown);
    if (!grown) {
      rt_error_set(r->err, "%s: out of memory", r->path);
      return -1;
    }
    r->fields = grown;
    r->cap = cap;
  }
  r->fields[r->nfields++] = f;
  return 0;
}

/* A quoted field from the opening quote at r->pos: through the closing
 * quote, which a separator, a line end or the end of the file must follow. */
static int quoted_field(reader *r, field *f) {
  const char *t = r->text;
  size_t p = r->pos + 1;
  for (;;) {
    const char *q = memchr(t + p, '"', r->len - p);
    if (!q)
      return fail(r, r->nfields + 1, "a quoted field is not closed before the end of the file");
    p = (size_t)(q - t) + 1;
    if (p < r->len && t[p] == '"')
      p++; /* a doubled quote */
    else
      break;
  }
  *f = (field){r->text + r->pos + 1, p - 1 - (r->pos + 1), 1};
  r->pos = p;
  if (p < r->len && t[p] != ',' && t[p] != '\n' && !(t[p] == '\r' && t[p + 1] == '\n'))
    return fail(r, r->nfields + 1, "text after the closing quote of a quoted field");
  return 0;
}

/* An unquoted field from r->pos to the next separator, line end or end of
 * the file. */
static int plain_field(reader *r, field *f) {
  const char *t = r->text;
  size_t p = r->pos;
  while (p < r->len && t[p] != ',' && t[p] != '\n' && t[p] != '\r' && t[p] != '"')
    p++;
  if (p < r->len && t[p] == '"')
    return fail(r, r->nfields + 1,
                "a quote inside an unquoted field (quote the whole field and double the "
                "quote)");
  if (p < r->len && t[p] == '\r' && t[p + 1] != '\n')
    return fail(r, r->nfields + 1, "a carriage return without a line feed");
  *f = (field){r->text + r->pos, p - r->pos, 0};
  r->pos = p;
  return 0;
}

/* The next record into r->fields: 1, or 0 at the end of the file, or -1. */
static int next_record(reader *r) {
  if (r->pos >= r->len)
    return 0;
  r->row++;
  r->nfields = 0;
  for (;;) {
    field f = {0};
    if ((r->text[r->pos] == '"' ? quoted_field(r, &f) : plain_field(r, &f)) || push(r, f))
      return -1;
    if (r->pos >= r->len)
      return 1;
    char c = r->text[r->pos];
    r->pos += c == '\r' ? 2 : 1; /* past ',', '\n' or "\r\n" */
    if (c != ',')
      return 1;
  }
}

/* ---- the header ------------------------------------------------------------------ */

/* A field's text with doubled quotes made single, NUL-terminated. */
static char *field_text(const field *f) {
  char *s = malloc(f->n + 1), *o = s;
  for (size_t i = 0; s && i < f->n; i++) {
    *o++ = f->s[i];
    i += f->quoted && f->s[i] == '"'; /* skip the second of a pair */
  }
  if (s)
    *o = 0;
  return s;
}

static int by_text(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The column called name (1-based), or 0. */
static size_t column(const reader *r, const char *name) {
  for (size_t c = 0; c < r->ncols; c++)
    if (strcmp(r->names[c], name) == 0)
      return c + 1;
  return 0;
}

/* The header row: r->names, distinct. */
static int read_header(reader *r) {
  if (r->len >= 3 && memcmp(r->text, "\xef\xbb\xbf", 3) == 0)
    r->pos = 3; /* a UTF-8 byte-order mark */
  int got = next_record(r);
  if (got <= 0) {
    if (got == 0)
      rt_error_set(r->err, "%s: empty file (a CSV file starts with a header row)", r->path);
    return -1;
  }
  if (!(r->names = calloc(r->nfields, sizeof *r->names))) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return -1;
  }
  for (; r->ncols < r->nfields; r->ncols++)
    if (!(r->names[r->ncols] = field_text(&r->fields[r->ncols]))) {
      rt_error_set(r->err, "%s: out of memory", r->path);
      return -1;
    }
  char **sorted = malloc(r->ncols * sizeof *sorted);
  if (!sorted) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return -1;
  }
  memcpy(sorted, r->names, r->ncols * sizeof *sorted);
  qsort(sorted, r->ncols, sizeof *sorted, by_text);
  const char *dup = NULL;
  for (size_t i = 1; i < r->ncols && !dup; i++)
    if (strcmp(sorted[i - 1], sorted[i]) == 0)
      dup = sorted[i];
  free(sorted);
  if (!dup)
    return 0;
  size_t first = column(r, dup), second = first + 1;
  while (strcmp(r->names[second - 1], dup) != 0)
    second++;
  return fail(r, second, "the same name as column %zu", first);
}

/* "a, b, c" (cut when long) into buf[cap]. */
static void names_text(const reader *r, char *buf, size_t cap) {
  size_t off = 0;
  buf[0] = 0;
  for (size_t c = 0; c < r->ncols && off < cap; c++) {
    char name[200];
    rt_printable(name, sizeof name, r->names[c], strlen(r->names[c]));
    off += (size_t)snprintf(buf + off, cap - off, "%s%s", c ? ", " : "", name);
  }
}

static int no_column(reader *r, const char *name) {
  char list[300], text[200];
  names_text(r, list, sizeof list);
  rt_printable(text, sizeof text, name, strlen(name));
  return fail(r, 0, "no column named \"%s\" (the columns: %s)", text, list);
}

/* The columns the spec selects: slot[c] is column c's place among the
 * features or -1; *label is the label column (1-based) or 0. */
static int select_columns(reader *r, const rt_csv_spec *spec, int *slot, size_t *label,
                          int *nfeatures) {
  *label = 0;
  if (spec->label_kind != RT_CSV_NO_LABEL && !(*label = column(r, spec->label)))
    return no_column(r, spec->label);
  for (size_t c = 0; c < r->ncols; c++)
    slot[c] = -1;
  *nfeatures = 0;
  for (int i = 0; spec->features && i < spec->nfeatures; i++) {
    size_t c = column(r, spec->features[i]);
    if (!c)
      return no_column(r, spec->features[i]);
    if (c == *label)
      return fail(r, c, "the label column cannot be a feature too");
    if (slot[c - 1] >= 0)
      return fail(r, c, "selected twice as a feature");
    slot[c - 1] = (*nfeatures)++;
  }
  for (size_t c = 0; !spec->features && c < r->ncols; c++)
    if (c + 1 != *label)
      slot[c] = (*nfeatures)++;
  if (*nfeatures == 0)
    return fail(r, 0, "no feature columns");
  return 0;
}

/* ---- cells ------------------------------------------------------------------------- */

/* The decimal grammar: [+-] (digits [. digits] | . digits) [(e|E) [+-]
 * digits]. *plain is set for digits only (a non-negative integer). */
static int decimal(const char *s, size_t n, int *plain) {
  size_t i = 0, digits = 0;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    i++;
  size_t int_start = i;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++, digits++;
  *plain = i == n && digits > 0 && int_start == 0;
  if (i < n && s[i] == '.')
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      digits++;
  if (digits == 0)
    return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    size_t exp_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == exp_start)
      return 0;
  }
  return i == n;
}

/* Whether s [n] is NaN or an infinity as Python, C or spreadsheets write
 * them. */
static int nonfinite_word(const char *s, size_t n, int *is_nan) {
  static const char *const words[] = {"nan", "inf", "infinity"};
  if (n > 0 && (s[0] == '+' || s[0] == '-'))
    s++, n--;
  for (int w = 0; w < 3; w++)
    if (strlen(words[w]) == n) {
      size_t i = 0;
      while (i < n && (s[i] | 0x20) == words[w][i])
        i++;
      if (i == n) {
        *is_nan = w == 0;
        return 1;
      }
    }
  return 0;
}

/* Column col's cell f as a finite number; *plain as for decimal(). */
static int number(reader *r, size_t col, field *f, double *v, int *plain) {
  char *s = f->s;
  size_t n = f->n;
  while (n > 0 && (*s == ' ' || *s == '\t'))
    s++, n--;
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  int is_nan;
  if (n == 0)
    return fail(r, col, "empty cell");
  if (!decimal(s, n, plain)) {
    if (nonfinite_word(s, n, &is_nan))
      return fail(r, col, "%s is not accepted (fill in or drop missing or infinite values)",
                  is_nan ? "NaN" : "an infinity");
    char text[200];
    rt_printable(text, sizeof text, s, n);
    return fail(r, col, "not a number: \"%s\"", text);
  }
  char after = s[n]; /* the file's buffer is ours and NUL-terminated */
  s[n] = 0;
  *v = strtod(s, NULL);
  s[n] = after;
  if (isinf(*v)) {
    char text[200];
    rt_printable(text, sizeof text, s, n);
    return fail(r, col, "%s is beyond the range of double", text);
  }
  return 0;
}

/* ---- loading ---------------------------------------------------------------------- */

/* Grows the outputs to hold `rows` rows. */
static int grow(reader *r, rt_csv *c, size_t rows, size_t *cap) {
  if (rows <= *cap)
    return 0;
  size_t want = *cap ? 2 * *cap : 1024;
  double *x = realloc(c->x, want * (size_t)c->nfeatures * sizeof *x);
  if (x)
    c->x = x;
  double *t = c->label_kind != RT_CSV_NO_LABEL ? realloc(c->targets, want * sizeof *t) : NULL;
  if (t)
    c->targets = t;
  if (!x || (c->label_kind != RT_CSV_NO_LABEL && !t)) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return -1;
  }
  *cap = want;
  return 0;
}

/* The label cell f of column col into *v; *plain is cleared unless it is a
 * plain integer below MAX_ID. */
static int label(reader *r, const rt_csv_spec *spec, size_t col, field *f, double *v, int *plain) {
  int p;
  if (number(r, col, f, v, &p))
    return -1;
  p = p && *v < MAX_ID;
  if (spec->label_kind == RT_CSV_CLASS) {
    if (!p) {
      char text[200];
      rt_printable(text, sizeof text, f->s, f->n);
      return fail(r, col, "class id \"%s\" is not a non-negative integer below %d", text, MAX_ID);
    }
    if (spec->classes > 0 && *v >= (double)spec->classes)
      return fail(r, col, "class id %.0f is out of range for %lld classes", *v,
                  (long long)spec->classes);
  }
  *plain &= p;
  return 0;
}

/* The data rows, after the header, into c. */
static int read_rows(reader *r, const rt_csv_spec *spec, const int *slot, size_t label_col,
                     rt_csv *c) {
  size_t cap = 0;
  int plain = 1, got;
  while ((got = next_record(r)) == 1) {
    if (r->nfields == 1 && r->fields[0].n == 0 && !r->fields[0].quoted)
      return fail(r, 0, "empty line");
    if (r->nfields != r->ncols)
      return fail(r, 0, "%zu fields, the header has %zu", r->nfields, r->ncols);
    if (grow(r, c, c->rows + 1, &cap))
      return -1;
    double *x = c->x + c->rows * (size_t)c->nfeatures;
    for (size_t k = 0; k < r->ncols; k++)
      if (slot[k] >= 0 && number(r, k + 1, &r->fields[k], &x[slot[k]], &(int){0}))
        return -1;
    if (label_col &&
        label(r, spec, label_col, &r->fields[label_col - 1], &c->targets[c->rows], &plain))
      return -1;
    c->rows++;
  }
  if (got < 0)
    return -1;
  if (c->rows == 0) {
    rt_error_set(r->err, "%s: no data rows after the header", r->path);
    return -1;
  }
  if (spec->label_kind == RT_CSV_CLASS || (spec->label_kind == RT_CSV_AUTO && plain)) {
    if (!(c->ids = malloc(c->rows * sizeof *c->ids))) {
      rt_error_set(r->err, "%s: out of memory", r->path);
      return -1;
    }
    for (size_t i = 0; i < c->rows; i++) {
      c->ids[i] = (int32_t)c->targets[i];
      c->bound = c->ids[i] >= c->bound ? c->ids[i] + 1 : c->bound;
    }
    free(c->targets);
    c->targets = NULL;
    c->label_kind = RT_CSV_CLASS;
  } else if (spec->label_kind != RT_CSV_NO_LABEL)
    c->label_kind = RT_CSV_REAL;
  return 0;
}

int rt_csv_load(rt_csv *out, const char *path, const rt_csv_spec *spec, rt_error *err) {
  *out = (rt_csv){0};
  reader r = {.path = path, .err = err};
  if (!(r.text = rt_read_file(path, &r.len, err)))
    return -1;
  int *slot = NULL;
  size_t label_col = 0;
  int rc = read_header(&r);
  if (rc == 0 && !(slot = malloc(r.ncols * sizeof *slot))) {
    rt_error_set(err, "%s: out of memory", path);
    rc = -1;
  }
  if (rc == 0)
    rc = select_columns(&r, spec, slot, &label_col, &out->nfeatures);
  if (rc == 0 && !(out->names = calloc((size_t)out->nfeatures, sizeof *out->names))) {
    rt_error_set(err, "%s: out of memory", path);
    rc = -1;
  }
  for (size_t k = 0; rc == 0 && k < r.ncols; k++)
    if (slot[k] >= 0 && !(out->names[slot[k]] = strdup(r.names[k]))) {
      rt_error_set(err, "%s: out of memory", path);
      rc = -1;
    }
  if (rc == 0) {
    out->label_kind = spec->label_kind;
    rc = read_rows(&r, spec, slot, label_col, out);
  }
  for (size_t k = 0; k < r.ncols; k++)
    free(r.names[k]);
  free(r.names);
  free(r.fields);
  free(r.text);
  free(slot);
  if (rc)
    rt_csv_free(out);
  return rc;
}

void rt_csv_free(rt_csv *c) {
  for (int k = 0; c->names && k < c->nfeatures; k++)
    free(c->names[k]);
  free(c->names);
  free(c->x);
  free(c->ids);
  free(c->targets);
  *c = (rt_csv){0};
}
