/*
 * dnn_context.c - the oneDNN layer's shared state (see rt_dnn.h): the CPU
 * engine and stream, the thread count of oneDNN's threading runtime, the
 * primitive cache (an open-addressing hash table keyed by bytes and thread
 * count) and the implementation names of the primitives created.
 * Compiled to nothing without DUET_ONEDNN.
 */
#include "rt_dnn.h"

#ifdef DUET_ONEDNN

#include <dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn_context.h"

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#else
#error "the oneDNN layer sets threads through OpenMP, the runtime of Debian's libdnnl"
#endif

static struct {
  int state; /* 0 not tried yet, 1 ready, -1 oneDNN failed */
  dnnl_engine_t engine;
  dnnl_stream_t stream;
} ctx;

int rt_dnn_ready(void) {
  if (ctx.state == 0) {
    int ok = dnnl_engine_create(&ctx.engine, dnnl_cpu, 0) == dnnl_success &&
             dnnl_stream_create(&ctx.stream, ctx.engine, dnnl_stream_default_flags) == dnnl_success;
    ctx.state = ok ? 1 : -1;
  }
  return ctx.state > 0;
}

dnnl_engine_t rt_dnn_engine(void) { return ctx.engine; }
dnnl_stream_t rt_dnn_stream(void) { return ctx.stream; }

void rt_dnn_set_threads(int n) { omp_set_num_threads(n); }
int rt_dnn_threads(void) { return omp_get_max_threads(); }

void rt_dnn_check(dnnl_status_t status, const char *what) {
  if (status == dnnl_success)
    return;
  fprintf(stderr, "duet runtime: oneDNN failed in %s (status %d)\n", what, (int)status);
  abort();
}

dnnl_data_type_t rt_dnn_dtype(rt_dnn_type t) { return t == RT_DNN_BF16 ? dnnl_bf16 : dnnl_f32; }

/* ---- the primitive cache ------------------------------------------------------ */

typedef struct {
  unsigned char *key; /* owned; NULL: empty slot */
  size_t len;
  int threads;
  uint64_t hash;
  void *value; /* owned through destroy */
  void (*destroy)(void *);
} cache_slot;

static struct {
  cache_slot *slot; /* owned; a power of two of them, at most half used */
  size_t cap, count;
} cache;

static uint64_t hash_of(const void *key, size_t len, int threads) {
  const unsigned char *p = key;
  uint64_t h = 1469598103934665603ull ^ (uint64_t)threads; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static cache_slot *slot_of(const void *key, size_t len, int threads, uint64_t hash) {
  for (size_t i = hash & (cache.cap - 1);; i = (i + 1) & (cache.cap - 1)) {
    cache_slot *s = &cache.slot[i];
    if (!s->key || (s->hash == hash && s->len == len && s->threads == threads &&
                    memcmp(s->key, key, len) == 0))
      return s;
  }
}

int rt_dnn_cache_find(const void *key, size_t len, void **value) {
  if (cache.count == 0)
    return 0;
  const int threads = rt_dnn_threads();
  cache_slot *s = slot_of(key, len, threads, hash_of(key, len, threads));
  if (!s->key)
    return 0;
  *value = s->value;
  return 1;
}

static void *xmalloc(size_t size) {
  void *p = malloc(size);
  if (!p) {
    fprintf(stderr, "duet runtime: out of memory in the oneDNN primitive cache\n");
    abort();
  }
  return p;
}

static void cache_clear(void) {
  for (size_t i = 0; i < cache.cap; i++) {
    cache_slot *s = &cache.slot[i];
    if (s->key && s->value)
      s->destroy(s->value);
    free(s->key);
  }
  free(cache.slot);
  cache.slot = NULL;
  cache.cap = cache.count = 0;
}

/* Moves every entry into a table of `cap` slots. */
static void cache_rehash(size_t cap) {
  cache_slot *old = cache.slot;
  const size_t old_cap = cache.cap;
  cache.slot = xmalloc(cap * sizeof *cache.slot);
  memset(cache.slot, 0, cap * sizeof *cache.slot);
  cache.cap = cap;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].key)
      *slot_of(old[i].key, old[i].len, old[i].threads, old[i].hash) = old[i];
  free(old);
}

void rt_dnn_cache_put(const void *key, size_t len, void *value, void (*destroy)(void *)) {
  if (cache.count >= RT_DNN_CACHE_MAX)
    cache_clear();
  if (2 * (cache.count + 1) > cache.cap)
    cache_rehash(cache.cap ? 2 * cache.cap : 64);
  const int threads = rt_dnn_threads();
  const uint64_t hash = hash_of(key, len, threads);
  cache_slot *s = slot_of(key, len, threads, hash);
  if (s->key) { /* replacing: a value put twice */
    if (s->value)
      s->destroy(s->value);
  } else {
    s->key = xmalloc(len);
    memcpy(s->key, key, len);
    s->len = len, s->threads = threads, s->hash = hash;
    cache.count++;
  }
  s->value = value;
  s->destroy = destroy;
}

/* ---- implementation names ------------------------------------------------------ */

enum { IMPL_MAX = 16, IMPL_LEN = 48 };
static struct {
  int count;
  char name[IMPL_MAX][IMPL_LEN];
} impls;

void rt_dnn_note_impl(const_dnnl_primitive_desc_t pd) {
  const char *name = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name)
    return;
  int at = 0; /* kept sorted: the description does not depend on the order of creation */
  for (; at < impls.count; at++) {
    const int c = strncmp(impls.name[at], name, IMPL_LEN - 1);
    if (c == 0)
      return;
    if (c > 0)
      break;
  }
  if (impls.count == IMPL_MAX)
    return;
  memmove(impls.name[at + 1], impls.name[at], (size_t)(impls.count - at) * IMPL_LEN);
  snprintf(impls.name[at], IMPL_LEN, "%s", name);
  impls.count++;
}

size_t rt_dnn_describe(char *buf, size_t cap) {
  if (impls.count == 0 && rt_dnn_ready()) { /* a probe: an f32 product of 256 x 256 */
    const rt_dnn_matmul_desc d = {.m = 256,
                                  .n = 256,
                                  .k = 256,
                                  .batch = 1,
                                  .lda = 256,
                                  .ldb = 256,
                                  .ldc = 256,
                                  .ab = RT_DNN_F32,
                                  .c = RT_DNN_F32,
                                  .alpha = 1};
    rt_dnn_matmul_prepare(&d);
  }
  if (impls.count == 0)
    return (size_t)snprintf(buf, cap, "unavailable");
  size_t len = 0;
  for (int i = 0; i < impls.count; i++) {
    const int w = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, "%s%s",
                           i ? ", " : "", impls.name[i]);
    len += (size_t)w;
  }
  return len;
}

#endif
