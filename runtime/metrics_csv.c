/*
 * metrics_csv.c - metrics.csv made from metrics.jsonl: one row per step, one
 * column per key (rt_metrics_csv in rt_io.h), for spreadsheets and data
 * frame libraries; and the names of the log formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io_internal.h"

/* The table being built: cells[r * cols_cap + c] (malloc-owned text or
 * NULL), grown as rows and columns appear. */
typedef struct table {
  char **cols; /* owned names */
  size_t ncols, cols_cap;
  char **rows; /* owned step texts ("" for a line without step) */
  size_t nrows, rows_cap;
  char **cells;
  int oom;
} table;

static char *copy(table *t, const char *s) {
  char *c = malloc(strlen(s) + 1);
  if (!c) {
    t->oom = 1;
    return NULL;
  }
  return strcpy(c, s);
}

/* Index of column name, added when new. */
static size_t column(table *t, const char *name) {
  for (size_t c = 0; c < t->ncols; c++)
    if (strcmp(t->cols[c], name) == 0)
      return c;
  if (t->ncols == t->cols_cap) {
    size_t cap = t->cols_cap ? 2 * t->cols_cap : 16;
    char **cols = realloc(t->cols, cap * sizeof *cols);
    char **cells = calloc(t->rows_cap * cap + 1, sizeof *cells);
    if (!cols || !cells) {
      free(cells);
      t->cols = cols ? cols : t->cols;
      t->oom = 1;
      return (size_t)-1;
    }
    for (size_t r = 0; r < t->nrows; r++)
      memcpy(cells + r * cap, t->cells + r * t->cols_cap, t->ncols * sizeof *cells);
    free(t->cells);
    t->cols = cols;
    t->cells = cells;
    t->cols_cap = cap;
  }
  t->cols[t->ncols] = copy(t, name);
  return t->cols[t->ncols] ? t->ncols++ : (size_t)-1;
}

/* Index of the row of a step (a line without step gets a row of its own). */
static size_t row(table *t, const char *step) {
  for (size_t r = 0; *step && r < t->nrows; r++)
    if (strcmp(t->rows[r], step) == 0)
      return r;
  if (t->nrows == t->rows_cap) {
    size_t cap = t->rows_cap ? 2 * t->rows_cap : 64;
    char **rows = realloc(t->rows, cap * sizeof *rows);
    char **cells = realloc(t->cells, (cap * t->cols_cap + 1) * sizeof *cells);
    if (rows)
      t->rows = rows;
    if (cells)
      t->cells = cells;
    if (!rows || !cells) {
      t->oom = 1;
      return (size_t)-1;
    }
    memset(t->cells + t->rows_cap * t->cols_cap, 0,
           (cap - t->rows_cap) * t->cols_cap * sizeof *cells);
    t->rows_cap = cap;
  }
  t->rows[t->nrows] = copy(t, step);
  return t->rows[t->nrows] ? t->nrows++ : (size_t)-1;
}

static void set_cell(table *t, size_t r, const char *name, const char *text) {
  size_t c = column(t, name);
  if (c == (size_t)-1 || t->oom)
    return;
  char **cell = &t->cells[r * t->cols_cap + c];
  free(*cell);
  *cell = copy(t, text);
}

/* The text of a number as rt_metrics_log wrote it. */
static void number_text(const rt_json *v, char *buf, size_t cap) {
  if (v->is_int)
    snprintf(buf, cap, "%lld", (long long)v->inum);
  else
    snprintf(buf, cap, "%.9g", v->num);
}

/* The cells of an object's members into row r; nested objects' members
 * are named "<prefix>/<key>". A null member takes the text of its
 * "<key>_nonfinite" companion, which gets no column of its own. */
static void put_members(table *t, size_t r, const char *prefix, const rt_json *obj) {
  for (size_t i = 0; i < obj->count; i++) {
    const char *key = obj->keys[i];
    const rt_json *v = &obj->items[i];
    size_t klen = strlen(key);
    static const char suffix[] = "_nonfinite";
    if (klen > sizeof suffix - 1 && strcmp(key + klen - (sizeof suffix - 1), suffix) == 0) {
      char base[512];
      snprintf(base, sizeof base, "%.*s", (int)(klen - (sizeof suffix - 1)), key);
      const rt_json *b = rt_json_member(obj, base);
      if (b && b->type == RT_JSON_NULL)
        continue;
    }
    char name[1024], text[64];
    snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "/" : "", key);
    switch (v->type) {
    case RT_JSON_OBJECT:
      put_members(t, r, name, v);
      break;
    case RT_JSON_NUMBER:
      number_text(v, text, sizeof text);
      set_cell(t, r, name, text);
      break;
    case RT_JSON_STRING:
      set_cell(t, r, name, v->str);
      break;
    case RT_JSON_BOOL:
      set_cell(t, r, name, v->boolean ? "true" : "false");
      break;
    case RT_JSON_NULL: {
      char flag[600];
      snprintf(flag, sizeof flag, "%s_nonfinite", key);
      const rt_json *nf = rt_json_member(obj, flag);
      set_cell(t, r, name, nf && nf->type == RT_JSON_STRING ? nf->str : "");
      break;
    }
    case RT_JSON_ARRAY: /* never written by rt_metrics_log */
      break;
    }
  }
}

/* A CSV field: quoted (quotes doubled) when it holds a comma, quote or
 * line break. */
static void put_field(rt_strbuf *sb, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    rt_sb_puts(sb, s);
    return;
  }
  rt_sb_puts(sb, "\"");
  for (const char *p = s; *p; p++)
    rt_sb_append(sb, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
  rt_sb_puts(sb, "\"");
}

static void table_free(table *t) {
  for (size_t c = 0; c < t->ncols; c++)
    free(t->cols[c]);
  for (size_t r = 0; r < t->nrows; r++) {
    free(t->rows[r]);
    for (size_t c = 0; c < t->ncols; c++)
      free(t->cells[r * t->cols_cap + c]);
  }
  free(t->cols);
  free(t->rows);
  free(t->cells);
}

/* Every line of the JSONL text into the table. */
static int read_lines(table *t, char *text, const char *path, rt_error *err) {
  column(t, "step");
  long lineno = 0;
  for (char *line = text, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    size_t len = next ? (size_t)(next - line) : strlen(line);
    next = next ? next + 1 : NULL;
    lineno++;
    if (len == 0)
      continue;
    char msg[256];
    rt_json *obj = rt_json_parse(line, len, msg, sizeof msg);
    if (!obj || obj->type != RT_JSON_OBJECT) {
      rt_error_set(err, "%s:%ld: %s", path, lineno, obj ? "not a JSON object" : msg);
      rt_json_free(obj);
      return -1;
    }
    const rt_json *step = rt_json_member(obj, "step");
    char stext[64] = "";
    if (step && step->type == RT_JSON_NUMBER)
      number_text(step, stext, sizeof stext);
    size_t r = row(t, stext);
    if (r != (size_t)-1)
      put_members(t, r, "", obj);
    rt_json_free(obj);
  }
  return 0;
}

int rt_metrics_csv(const char *jsonl_path, const char *csv_path, rt_error *err) {
  size_t len;
  char *text = rt_read_file(jsonl_path, &len, err);
  if (!text)
    return -1;
  table t = {0};
  int rc = read_lines(&t, text, jsonl_path, err);
  free(text);
  rt_strbuf sb = {0};
  for (size_t c = 0; rc == 0 && c < t.ncols; c++) {
    rt_sb_puts(&sb, c ? "," : "");
    put_field(&sb, t.cols[c]);
  }
  rt_sb_puts(&sb, "\n");
  for (size_t r = 0; rc == 0 && r < t.nrows; r++) {
    for (size_t c = 0; c < t.ncols; c++) {
      const char *cell = t.cells[r * t.cols_cap + c];
      rt_sb_puts(&sb, c ? "," : "");
      put_field(&sb, cell ? cell : "");
    }
    rt_sb_puts(&sb, "\n");
  }
  if (rc == 0 && (t.oom || sb.oom)) {
    rt_error_set(err, "%s: out of memory", csv_path);
    rc = -1;
  }
  if (rc == 0) {
    rt_chunk chunk = {sb.data, sb.len};
    rc = rt_write_atomic(csv_path, &chunk, 1, err);
  }
  rt_sb_free(&sb);
  table_free(&t);
  return rc;
}

int rt_log_formats_parse(const char *list, unsigned *formats, rt_error *err) {
  static const struct {
    const char *name;
    unsigned flag;
  } names[] = {{"jsonl", 0}, {"csv", RT_LOG_CSV}, {"tensorboard", RT_LOG_TENSORBOARD}};
  *formats = 0;
  for (const char *p = list;;) {
    size_t n = strcspn(p, ",");
    size_t k = 0;
    while (k < sizeof names / sizeof names[0] &&
           !(strlen(names[k].name) == n && strncmp(names[k].name, p, n) == 0))
      k++;
    if (k == sizeof names / sizeof names[0]) {
      rt_error_set(err, "unknown log format '%.*s' (the formats are jsonl, csv and tensorboard)",
                   (int)n, p);
      return -1;
    }
    *formats |= names[k].flag;
    if (!p[n])
      return 0;
    p += n + 1;
  }
}
