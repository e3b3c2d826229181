/*
 * metrics.c - training metrics as JSON lines (one flushed object per log
 * step; on request also as a TensorBoard event file and metrics.csv) and the
 * pretty-printed summary.json, both from caller-ordered field lists.
 * Non-finite numbers become null plus a "<key>_nonfinite" field.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_io_internal.h"

/* Layout of an object being written: compact (indent < 0) or pretty. */
typedef struct layout {
  int indent; /* spaces per level, or -1 for one line */
  int level;  /* nesting level of the members */
} layout;

/* Separator, line break and indentation before a member (then its key,
 * unless it is an element of an array: key NULL). */
static void put_key(rt_strbuf *sb, const char *key, int first, layout lo) {
  if (!first)
    rt_sb_puts(sb, ",");
  if (lo.indent >= 0)
    rt_sb_printf(sb, "\n%*s", lo.indent * lo.level, "");
  if (!key)
    return;
  rt_json_put_string(sb, key);
  rt_sb_puts(sb, lo.indent >= 0 ? ": " : ":");
}

static const char *nonfinite_name(double v) { return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

static void put_members(rt_strbuf *sb, const rt_field *f, size_t n, layout lo, int array);

/* The value of field f; a non-finite number in an object also gets its
 * "<key>_nonfinite" member. */
static void put_value(rt_strbuf *sb, const rt_field *f, layout lo, int in_array) {
  switch (f->kind) {
  case RT_FIELD_NUM:
    if (isfinite(f->num)) {
      rt_json_put_number(sb, f->num);
      break;
    }
    rt_sb_puts(sb, "null");
    if (in_array)
      break;
    char flag[256];
    snprintf(flag, sizeof flag, "%s_nonfinite", f->key);
    put_key(sb, flag, 0, lo);
    rt_json_put_string(sb, nonfinite_name(f->num));
    break;
  case RT_FIELD_INT:
    rt_sb_printf(sb, "%lld", f->i);
    break;
  case RT_FIELD_STR:
    rt_json_put_string(sb, f->str);
    break;
  case RT_FIELD_BOOL:
    rt_sb_puts(sb, f->i ? "true" : "false");
    break;
  case RT_FIELD_OBJ:
  case RT_FIELD_ARR:
    put_members(sb, f->sub, f->nsub, lo, f->kind == RT_FIELD_ARR);
    break;
  }
}

/* An object of the fields, or an array of their values. */
static void put_members(rt_strbuf *sb, const rt_field *f, size_t n, layout lo, int array) {
  rt_sb_puts(sb, array ? "[" : "{");
  layout inner = {lo.indent, lo.level + 1};
  for (size_t i = 0; i < n; i++) {
    put_key(sb, array ? NULL : f[i].key, i == 0, inner);
    put_value(sb, &f[i], inner, array);
  }
  if (lo.indent >= 0 && n > 0)
    rt_sb_printf(sb, "\n%*s", lo.indent * lo.level, "");
  rt_sb_puts(sb, array ? "]" : "}");
}

int rt_metrics_open(rt_metrics *m, const char *path, int append, rt_error *err) {
  *m = (rt_metrics){0};
  m->path = malloc(strlen(path) + 1);
  if (!m->path) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  strcpy(m->path, path);
  m->f = fopen(path, append ? "a" : "w");
  if (!m->f) {
    rt_error_set(err, "%s: cannot open for writing: %s", path, strerror(errno));
    free(m->path);
    m->path = NULL;
    return -1;
  }
  return 0;
}

/* "<directory of path>/<name>" into out[cap]. */
static void sibling(char *out, size_t cap, const char *path, const char *name) {
  const char *slash = strrchr(path, '/');
  if (slash)
    snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, name);
  else
    snprintf(out, cap, "%s", name);
}

int rt_metrics_formats(rt_metrics *m, unsigned formats, rt_error *err) {
  m->formats = formats;
  if (!(formats & RT_LOG_TENSORBOARD) || m->tb)
    return 0;
  char host[256] = "localhost", name[512], path[4096];
  gethostname(host, sizeof host - 1);
  int k = 0;
  do { /* the first name not taken */
    snprintf(name, sizeof name, "events.out.tfevents.%lld.%s.%ld.%d", (long long)time(NULL), host,
             (long)getpid(), k++);
    sibling(path, sizeof path, m->path, name);
  } while (access(path, F_OK) == 0);
  m->tb = rt_tb_open(path, err);
  return m->tb ? 0 : -1;
}

/* The step of a log line: its "step" field, or 0. */
static long long line_step(const rt_field *f, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (f[i].kind == RT_FIELD_INT && strcmp(f[i].key, "step") == 0)
      return f[i].i;
  return 0;
}

int rt_metrics_log(rt_metrics *m, const rt_field *fields, size_t n, rt_error *err) {
  rt_strbuf sb = {0};
  put_members(&sb, fields, n, (layout){-1, 0}, 0);
  rt_sb_puts(&sb, "\n");
  int rc = 0;
  if (sb.oom) {
    rt_error_set(err, "%s: out of memory", m->path);
    rc = -1;
  } else if (fwrite(sb.data, 1, sb.len, m->f) != sb.len || fflush(m->f)) {
    rt_error_set(err, "%s: write failed: %s", m->path, strerror(errno));
    rc = -1;
  }
  rt_sb_free(&sb);
  if (rc == 0 && m->tb)
    rc = rt_tb_write(m->tb, line_step(fields, n), fields, n, err);
  return rc;
}

int rt_metrics_close(rt_metrics *m, rt_error *err) {
  int rc = 0;
  if (m->f && fclose(m->f) != 0) {
    rt_error_set(err, "%s: close failed: %s", m->path, strerror(errno));
    rc = -1;
  }
  if (m->tb && rt_tb_close(m->tb, err) < 0)
    rc = -1;
  if (rc == 0 && m->f && (m->formats & RT_LOG_CSV)) {
    char csv[4096];
    sibling(csv, sizeof csv, m->path, "metrics.csv");
    rc = rt_metrics_csv(m->path, csv, err);
  }
  free(m->path);
  *m = (rt_metrics){0};
  return rc;
}

char *rt_fields_json(const rt_field *fields, size_t n) {
  rt_strbuf sb = {0};
  put_members(&sb, fields, n, (layout){-1, 0}, 0);
  if (sb.oom) {
    rt_sb_free(&sb);
    return NULL;
  }
  return sb.data;
}

int rt_summary_write(const char *path, const rt_field *fields, size_t n, rt_error *err) {
  rt_strbuf sb = {0};
  put_members(&sb, fields, n, (layout){2, 0}, 0);
  rt_sb_puts(&sb, "\n");
  return rt_sb_write_file(&sb, path, err);
}
