/*
 * json.c - the JSON the runtime needs: writing strings and numbers into a
 * string buffer, and a strict recursive-descent parser (RFC 8259) producing a
 * small tree, used to read safetensors headers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io_internal.h"

/* ---- output --------------------------------------------------------------- */

void rt_json_put_string(rt_strbuf *sb, const char *s) {
  rt_sb_append(sb, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      rt_sb_append(sb, "\\\"", 2);
      break;
    case '\\':
      rt_sb_append(sb, "\\\\", 2);
      break;
    case '\n':
      rt_sb_append(sb, "\\n", 2);
      break;
    case '\t':
      rt_sb_append(sb, "\\t", 2);
      break;
    case '\r':
      rt_sb_append(sb, "\\r", 2);
      break;
    default:
      if (*p < 0x20)
        rt_sb_printf(sb, "\\u%04x", *p);
      else
        rt_sb_append(sb, (const char *)p, 1);
    }
  }
  rt_sb_append(sb, "\"", 1);
}

void rt_json_put_number(rt_strbuf *sb, double v) { rt_sb_printf(sb, "%.9g", v); }

/* ---- input ---------------------------------------------------------------- */

#define MAX_DEPTH 64

typedef struct parser {
  const char *s;
  size_t len, pos;
  char *msg; /* caller's buffer for the first error */
  size_t cap;
  int failed;
} parser;

static void fail(parser *p, const char *fmt, ...) RT_PRINTF_LIKE(2, 3);
static void fail(parser *p, const char *fmt, ...) {
  if (p->failed)
    return;
  p->failed = 1;
  int n = snprintf(p->msg, p->cap, "byte %zu: ", p->pos);
  if (n < 0 || (size_t)n >= p->cap)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->msg + n, p->cap - (size_t)n, fmt, ap);
  va_end(ap);
}

static void skip_ws(parser *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                             p->s[p->pos] == '\r'))
    p->pos++;
}

/* Describes the character at the current position for messages. */
static const char *here(parser *p, char buf[16]) {
  if (p->pos >= p->len)
    return "end of input";
  unsigned char c = (unsigned char)p->s[p->pos];
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, 16, "'%c'", c);
  else
    snprintf(buf, 16, "byte 0x%02x", c);
  return buf;
}

static int expect(parser *p, char c, const char *what) {
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == c) {
    p->pos++;
    return 1;
  }
  char buf[16];
  fail(p, "expected %s, found %s", what, here(p, buf));
  return 0;
}

static int hex4(parser *p, unsigned *out) {
  if (p->len - p->pos < 4) {
    fail(p, "truncated \\u escape");
    return 0;
  }
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos + (size_t)i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) {
      fail(p, "invalid \\u escape");
      return 0;
    }
    v = v * 16 + (unsigned)d;
  }
  p->pos += 4;
  *out = v;
  return 1;
}

static void put_utf8(rt_strbuf *sb, unsigned cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | cp >> 6);
    b[1] = (char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | cp >> 12);
    b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    b[0] = (char)(0xf0 | cp >> 18);
    b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  rt_sb_append(sb, b, n);
}

/* A \u escape (after the "\u"), combining a surrogate pair. */
static int unicode_escape(parser *p, rt_strbuf *sb) {
  unsigned cp;
  if (!hex4(p, &cp))
    return 0;
  if (cp >= 0xdc00 && cp <= 0xdfff) {
    fail(p, "unpaired low surrogate in \\u escape");
    return 0;
  }
  if (cp >= 0xd800 && cp <= 0xdbff) {
    unsigned lo;
    if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
      fail(p, "unpaired high surrogate in \\u escape");
      return 0;
    }
    p->pos += 2;
    if (!hex4(p, &lo))
      return 0;
    if (lo < 0xdc00 || lo > 0xdfff) {
      fail(p, "unpaired high surrogate in \\u escape");
      return 0;
    }
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
  }
  put_utf8(sb, cp);
  return 1;
}

/* A string literal at the current position (after whitespace); the decoded
 * bytes are moved into *out / *out_len. */
static int parse_string(parser *p, char **out, size_t *out_len) {
  if (!expect(p, '"', "'\"'"))
    return 0;
  rt_strbuf sb = {0};
  rt_sb_append(&sb, "", 0);
  for (;;) {
    if (p->pos >= p->len) {
      fail(p, "unterminated string");
      break;
    }
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->pos++;
      if (sb.oom) {
        fail(p, "out of memory");
        break;
      }
      *out = sb.data;
      *out_len = sb.len;
      return 1;
    }
    if (c < 0x20) {
      fail(p, "control character 0x%02x in string", c);
      break;
    }
    p->pos++;
    if (c != '\\') {
      rt_sb_append(&sb, (const char *)&c, 1);
      continue;
    }
    if (p->pos >= p->len) {
      fail(p, "unterminated string");
      break;
    }
    char e = p->s[p->pos++];
    const char *rep = e == '"'    ? "\""
                      : e == '\\' ? "\\"
                      : e == '/'  ? "/"
                      : e == 'b'  ? "\b"
                      : e == 'f'  ? "\f"
                      : e == 'n'  ? "\n"
                      : e == 'r'  ? "\r"
                      : e == 't'  ? "\t"
                                  : NULL;
    if (rep) {
      rt_sb_append(&sb, rep, 1);
    } else if (e == 'u') {
      if (!unicode_escape(p, &sb))
        break;
    } else {
      p->pos -= 2; /* point at the backslash */
      fail(p, "invalid escape '\\%c' in string", e);
      break;
    }
  }
  rt_sb_free(&sb);
  return 0;
}

static size_t digits(parser *p) {
  size_t n = 0;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
    p->pos++;
    n++;
  }
  return n;
}

static int parse_number(parser *p, rt_json *v) {
  size_t start = p->pos;
  int is_int = 1;
  if (p->pos < p->len && p->s[p->pos] == '-')
    p->pos++;
  size_t int_start = p->pos;
  size_t nd = digits(p);
  if (nd == 0 || (nd > 1 && p->s[int_start] == '0')) {
    p->pos = start;
    fail(p, "invalid number");
    return 0;
  }
  if (p->pos < p->len && p->s[p->pos] == '.') {
    p->pos++;
    is_int = 0;
    if (digits(p) == 0) {
      fail(p, "invalid number: no digits after '.'");
      return 0;
    }
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    p->pos++;
    is_int = 0;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
      p->pos++;
    if (digits(p) == 0) {
      fail(p, "invalid number: no digits in exponent");
      return 0;
    }
  }
  char buf[64];
  size_t n = p->pos - start;
  if (n >= sizeof buf) {
    p->pos = start;
    fail(p, "number literal longer than %zu characters", sizeof buf - 1);
    return 0;
  }
  memcpy(buf, p->s + start, n);
  buf[n] = '\0';
  v->type = RT_JSON_NUMBER;
  v->num = strtod(buf, NULL);
  if (is_int) {
    errno = 0;
    long long i = strtoll(buf, NULL, 10);
    if (errno == 0) {
      v->is_int = 1;
      v->inum = i;
    }
  }
  return 1;
}

static int parse_literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0) {
    p->pos += n;
    return 1;
  }
  char buf[16];
  fail(p, "unexpected %s", here(p, buf));
  return 0;
}

static int parse_value(parser *p, rt_json *v, int depth);

/* Appends one zeroed slot to an array or object node. */
static rt_json *grow(parser *p, rt_json *v, size_t *cap) {
  if (v->count == *cap) {
    size_t nc = *cap ? *cap * 2 : 4;
    rt_json *items = realloc(v->items, nc * sizeof *items);
    if (!items) {
      fail(p, "out of memory");
      return NULL;
    }
    v->items = items;
    if (v->type == RT_JSON_OBJECT) {
      char **keys = realloc(v->keys, nc * sizeof *keys);
      if (keys)
        v->keys = keys;
      size_t *lens = keys ? realloc(v->key_lens, nc * sizeof *lens) : NULL;
      if (!lens) {
        fail(p, "out of memory");
        return NULL;
      }
      v->key_lens = lens;
    }
    *cap = nc;
  }
  rt_json *slot = &v->items[v->count];
  *slot = (rt_json){0};
  return slot;
}

/* Array or object body after the opening bracket. */
static int parse_container(parser *p, rt_json *v, int depth, char close) {
  size_t cap = 0;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    return 1;
  }
  for (;;) {
    rt_json *slot = grow(p, v, &cap);
    if (!slot)
      return 0;
    if (v->type == RT_JSON_OBJECT) {
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != '"') {
        char buf[16];
        fail(p, "expected an object key, found %s", here(p, buf));
        return 0;
      }
      char *key;
      size_t key_len;
      if (!parse_string(p, &key, &key_len))
        return 0;
      v->keys[v->count] = key;
      v->key_lens[v->count] = key_len;
      v->count++; /* the key is owned from here on */
      if (!expect(p, ':', "':' after object key") || !parse_value(p, slot, depth + 1))
        return 0;
    } else {
      v->count++;
      if (!parse_value(p, slot, depth + 1))
        return 0;
    }
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    return expect(p, close, close == '}' ? "',' or '}'" : "',' or ']'");
  }
}

static int parse_value(parser *p, rt_json *v, int depth) {
  if (depth > MAX_DEPTH) {
    fail(p, "nesting deeper than %d levels", MAX_DEPTH);
    return 0;
  }
  skip_ws(p);
  if (p->pos >= p->len) {
    fail(p, "unexpected end of input");
    return 0;
  }
  char c = p->s[p->pos];
  switch (c) {
  case '{':
  case '[':
    p->pos++;
    v->type = c == '{' ? RT_JSON_OBJECT : RT_JSON_ARRAY;
    return parse_container(p, v, depth, c == '{' ? '}' : ']');
  case '"':
    v->type = RT_JSON_STRING;
    return parse_string(p, &v->str, &v->str_len);
  case 't':
  case 'f':
    v->type = RT_JSON_BOOL;
    v->boolean = c == 't';
    return parse_literal(p, c == 't' ? "true" : "false");
  case 'n':
    v->type = RT_JSON_NULL;
    return parse_literal(p, "null");
  default:
    if (c == '-' || (c >= '0' && c <= '9'))
      return parse_number(p, v);
    char buf[16];
    fail(p, "unexpected %s", here(p, buf));
    return 0;
  }
}

/* Frees what a node owns (not the node itself). */
static void release(rt_json *v) {
  for (size_t i = 0; i < v->count; i++) {
    release(&v->items[i]);
    if (v->keys)
      free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->key_lens);
  free(v->str);
}

rt_json *rt_json_parse(const char *text, size_t len, char *msg, size_t cap) {
  parser p = {.s = text, .len = len, .msg = msg, .cap = cap};
  rt_json *root = calloc(1, sizeof *root);
  if (!root) {
    snprintf(msg, cap, "out of memory");
    return NULL;
  }
  if (parse_value(&p, root, 0)) {
    skip_ws(&p);
    if (p.pos == p.len)
      return root;
    fail(&p, "unexpected characters after the JSON value");
  }
  rt_json_free(root);
  return NULL;
}

void rt_json_free(rt_json *root) {
  if (!root)
    return;
  release(root);
  free(root);
}

const rt_json *rt_json_member(const rt_json *obj, const char *key) {
  if (obj->type != RT_JSON_OBJECT)
    return NULL;
  size_t n = strlen(key);
  for (size_t i = 0; i < obj->count; i++)
    if (obj->key_lens[i] == n && memcmp(obj->keys[i], key, n) == 0)
      return &obj->items[i];
  return NULL;
}
