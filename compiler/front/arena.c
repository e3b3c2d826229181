/* arena.c: the per-compilation bump allocator (see arena.h).
 * Memory comes in chunks; a request larger than a chunk gets a chunk of its
 * own. Out of memory is fatal (exit code 2): callers never see NULL. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_SIZE = 64 * 1024 };

typedef struct chunk {
  struct chunk *next;
  size_t size, used;
  max_align_t data[]; /* aligned for any type */
} chunk;

struct arena {
  chunk *head; /* owned list of chunks, newest first */
};

void arena_out_of_memory(void) {
  fputs("duet: internal error: out of memory\n", stderr);
  exit(2);
}

void *arena_heap_calloc(size_t n) {
  void *p = calloc(1, n);
  if (!p)
    arena_out_of_memory();
  return p;
}

void *arena_heap_realloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p)
    arena_out_of_memory();
  return p;
}

char *arena_heap_vprintf(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    n = 0;
  char *p = arena_heap_realloc(NULL, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

arena *arena_new(void) { return arena_heap_calloc(sizeof(arena)); }

void arena_free(arena *a) {
  if (!a)
    return;
  for (chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(a);
}

static size_t align_up(size_t n) {
  size_t al = _Alignof(max_align_t);
  return (n + al - 1) / al * al;
}

void *arena_alloc(arena *a, size_t size) {
  size = align_up(size ? size : 1);
  chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    size_t cap = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
    if (cap > SIZE_MAX - sizeof(chunk))
      arena_out_of_memory();
    chunk *n = arena_heap_calloc(sizeof(chunk) + cap);
    n->size = cap;
    if (c && size == cap) {
      /* a big block: keep the current chunk open for small requests */
      n->next = c->next;
      c->next = n;
    } else {
      n->next = c;
      a->head = n;
    }
    c = n;
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  return p;
}

void *arena_grow(arena *a, const void *old, size_t old_size, size_t new_size) {
  void *p = arena_alloc(a, new_size);
  if (old_size)
    memcpy(p, old, old_size);
  return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  return p;
}

char *arena_strdup(arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
  if (n > 0)
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}
