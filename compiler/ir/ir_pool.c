/*
 * ir_pool.c - bump allocator owning the nodes, input arrays, names and
 * locations of an IR program; everything is released at once.
 */
#include "ir.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define POOL_CHUNK (64 * 1024)

typedef struct pool_chunk {
  struct pool_chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
} pool_chunk;

struct ir_pool {
  pool_chunk *head;
};

ir_pool *ir_pool_new(void) { return calloc(1, sizeof(ir_pool)); }

void ir_pool_free(ir_pool *pool) {
  if (!pool)
    return;
  for (pool_chunk *c = pool->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(pool);
}

void *ir_pool_alloc(ir_pool *pool, size_t size) {
  size = (size + 15) & ~(size_t)15;
  pool_chunk *c = pool->head;
  if (!c || c->used + size > c->size) {
    size_t cap = size > POOL_CHUNK ? size : POOL_CHUNK;
    c = malloc(sizeof(pool_chunk) + cap);
    if (!c)
      abort();
    c->size = cap;
    c->used = 0;
    c->next = pool->head;
    pool->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *ir_pool_strdup(ir_pool *pool, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = ir_pool_alloc(pool, n);
  memcpy(d, s, n);
  return d;
}
