/*
 * rt_io_internal.h - helpers shared by the runtime's file-handling code (not
 * part of the public API): a growable string buffer, JSON writing and
 * parsing, and atomic file replacement.
 */
#ifndef DUET_RT_IO_INTERNAL_H
#define DUET_RT_IO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rt_io.h"

/* ---- growable string buffer (strbuf.c) ------------------------------------
 * Appends never fail loudly: an allocation failure sets `oom`, later appends
 * are ignored, and the caller checks `oom` once at the end. data is always
 * NUL-terminated when non-NULL. */
typedef struct rt_strbuf {
  char *data; /* owned; rt_sb_free */
  size_t len, cap;
  int oom;
} rt_strbuf;

void rt_sb_append(rt_strbuf *sb, const char *s, size_t n);
void rt_sb_puts(rt_strbuf *sb, const char *s);
void rt_sb_printf(rt_strbuf *sb, const char *fmt, ...) RT_PRINTF_LIKE(2, 3);
void rt_sb_free(rt_strbuf *sb);
/* Writes the buffer to path atomically (rt_write_atomic) and frees it. */
int rt_sb_write_file(rt_strbuf *sb, const char *path, rt_error *err);

/* ---- JSON output (json.c) ------------------------------------------------- */

/* s as a JSON string literal (quotes, escapes for '"', '\\' and controls). */
void rt_json_put_string(rt_strbuf *sb, const char *s);
/* A finite number with %.9g. */
void rt_json_put_number(rt_strbuf *sb, double v);

/* ---- atomic file replacement (atomic_file.c) -------------------------------
 * Writes the chunks in order to "<path>.tmp", fflush + fsync, renames it to
 * path and fsyncs the directory. On failure the temporary file is removed. */
typedef struct rt_chunk {
  const void *data;
  size_t len;
} rt_chunk;

int rt_write_atomic(const char *path, const rt_chunk *chunks, size_t n, rt_error *err);

#endif
