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

/* ---- JSON input (json.c) ---------------------------------------------------
 * A parsed document is a tree of rt_json nodes; the root owns everything. */
typedef enum rt_json_type {
  RT_JSON_NULL,
  RT_JSON_BOOL,
  RT_JSON_NUMBER,
  RT_JSON_STRING,
  RT_JSON_ARRAY,
  RT_JSON_OBJECT
} rt_json_type;

typedef struct rt_json {
  rt_json_type type;
  int boolean;           /* RT_JSON_BOOL */
  double num;            /* RT_JSON_NUMBER */
  int is_int;            /* number written without fraction or exponent */
  int64_t inum;          /*   and fits in int64: its value */
  char *str;             /* RT_JSON_STRING: decoded, NUL-terminated, owned */
  size_t str_len;        /*   may contain NUL bytes; str_len is exact */
  struct rt_json *items; /* ARRAY / OBJECT: [count] values, owned */
  char **keys;           /* OBJECT: [count] keys, owned */
  size_t *key_lens;      /* OBJECT: [count] exact key lengths, owned */
  size_t count;
} rt_json;

/* Parses text[0..len) (one value, surrounding whitespace allowed). On error
 * returns NULL and writes "byte N: what" into msg[cap]. Free with
 * rt_json_free. */
rt_json *rt_json_parse(const char *text, size_t len, char *msg, size_t cap);
void rt_json_free(rt_json *root);
/* The member called key of an object, or NULL. */
const rt_json *rt_json_member(const rt_json *obj, const char *key);

/* ---- atomic file replacement (atomic_file.c) -------------------------------
 * Writes the chunks in order to "<path>.tmp", fflush + fsync, renames it to
 * path and fsyncs the directory. On failure the temporary file is removed. */
typedef struct rt_chunk {
  const void *data;
  size_t len;
} rt_chunk;

int rt_write_atomic(const char *path, const rt_chunk *chunks, size_t n, rt_error *err);

#endif
