/*
 * strbuf.c - a growable, NUL-terminated string buffer used to assemble JSON
 * headers, metrics lines and SVG documents before they are written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io_internal.h"

static int reserve(rt_strbuf *sb, size_t extra) {
  if (sb->oom)
    return 0;
  size_t need = sb->len + extra + 1;
  if (need <= sb->cap)
    return 1;
  size_t cap = sb->cap ? sb->cap : 256;
  while (cap < need)
    cap *= 2;
  char *p = realloc(sb->data, cap);
  if (!p) {
    sb->oom = 1;
    return 0;
  }
  sb->data = p;
  sb->cap = cap;
  return 1;
}

void rt_sb_append(rt_strbuf *sb, const char *s, size_t n) {
  if (!reserve(sb, n))
    return;
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void rt_sb_puts(rt_strbuf *sb, const char *s) { rt_sb_append(sb, s, strlen(s)); }

void rt_sb_printf(rt_strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    sb->oom = 1;
    return;
  }
  if (!reserve(sb, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->len += (size_t)n;
}

void rt_sb_free(rt_strbuf *sb) {
  free(sb->data);
  *sb = (rt_strbuf){0};
}

int rt_sb_write_file(rt_strbuf *sb, const char *path, rt_error *err) {
  int rc;
  if (sb->oom) {
    rt_error_set(err, "%s: out of memory", path);
    rc = -1;
  } else {
    rt_chunk c = {sb->data, sb->len};
    rc = rt_write_atomic(path, &c, 1, err);
  }
  rt_sb_free(sb);
  return rc;
}
