/*
 * dnn_matmul.c - matrix products as oneDNN matmul primitives (see
 * rt_dnn.h): one primitive per configuration (shape, transpositions,
 * leading dimensions, batch and its strides, types, alpha, beta), created
 * on first use and cached with its three memory objects. Transpositions
 * and leading dimensions are memory-descriptor strides; a batch is the
 * outer dimension, or two (size 1 for a repeated operand); alpha is an output
 * scale and beta a sum post-op. Compiled to nothing without DUET_ONEDNN.
 */
#include "rt_dnn.h"

#ifdef DUET_ONEDNN

#include <stdlib.h>
#include <string.h>

#include "dnn_context.h"

/* A cached product: the primitive and the memory objects of A, B and C
 * (created without buffers; each call sets the caller's). */
typedef struct {
  dnnl_primitive_t prim;
  dnnl_memory_t mem[3];
} mm_entry;

static void mm_destroy(void *p) {
  mm_entry *e = p;
  for (int i = 0; i < 3; i++)
    dnnl_memory_destroy(e->mem[i]);
  dnnl_primitive_destroy(e->prim);
  free(e);
}

/* The cache key: every field of the descriptor, without padding bytes. */
typedef struct {
  long v[20];
} mm_key;

static mm_key key_of(const rt_dnn_matmul_desc *d) {
  mm_key k;
  int32_t alpha, beta;
  memcpy(&alpha, &d->alpha, sizeof alpha);
  memcpy(&beta, &d->beta, sizeof beta);
  const int batch2 = d->batch2 > 1 ? d->batch2 : 1;
  const long v[20] = {d->ta,
                      d->tb,
                      d->m,
                      d->n,
                      d->k,
                      d->batch,
                      batch2,
                      d->lda,
                      d->ldb,
                      d->ldc,
                      d->sa,
                      d->sb,
                      d->sc,
                      batch2 > 1 ? d->sa2 : 0,
                      batch2 > 1 ? d->sb2 : 0,
                      batch2 > 1 ? d->sc2 : 0,
                      d->ab,
                      d->c,
                      alpha,
                      beta};
  memcpy(k.v, v, sizeof v);
  return k;
}

/* The descriptor of a batch of `rows` x `cols` matrices (op(X), after the
 * transposition `t` of the stored ones, leading dimension ld): [items,
 * items2] of them, stride and stride2 apart (items2 0: one level); 2-D
 * when the product has no batch. */
static dnnl_status_t md_of(dnnl_memory_desc_t *md, int batch, long items, long stride, long items2,
                           long stride2, int rows, int cols, int t, long ld, rt_dnn_type type) {
  const dnnl_dim_t rs = t ? 1 : ld, cs = t ? ld : 1;
  if (batch == 1 && !items2) {
    const dnnl_dims_t dims = {rows, cols}, strides = {rs, cs};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, rt_dnn_dtype(type), strides);
  }
  if (!items2) {
    const dnnl_dims_t dims = {items, rows, cols};
    const dnnl_dims_t strides = {stride ? stride : (dnnl_dim_t)rows * cols, rs, cs};
    return dnnl_memory_desc_init_by_strides(md, 3, dims, rt_dnn_dtype(type), strides);
  }
  const dnnl_dims_t dims = {items, items2, rows, cols};
  const dnnl_dim_t s2 = stride2 ? stride2 : (dnnl_dim_t)rows * cols;
  const dnnl_dims_t strides = {stride ? stride : s2 * items2, s2, rs, cs};
  return dnnl_memory_desc_init_by_strides(md, 4, dims, rt_dnn_dtype(type), strides);
}

static dnnl_primitive_attr_t attr_of(const rt_dnn_matmul_desc *d) {
  dnnl_primitive_attr_t attr = NULL;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success)
    return NULL;
  dnnl_post_ops_t ops = NULL;
  int ok =
      d->alpha == 1 || dnnl_primitive_attr_set_output_scales(attr, 1, 0, &d->alpha) == dnnl_success;
  if (ok && d->beta != 0) {
    ok = dnnl_post_ops_create(&ops) == dnnl_success &&
         dnnl_post_ops_append_sum(ops, d->beta) == dnnl_success &&
         dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
    if (ops)
      dnnl_post_ops_destroy(ops);
  }
  if (!ok) {
    dnnl_primitive_attr_destroy(attr);
    return NULL;
  }
  return attr;
}

/* A new entry for d, or NULL if oneDNN has no primitive for it. */
static mm_entry *mm_create(const rt_dnn_matmul_desc *d) {
  dnnl_memory_desc_t md[3];
  const long ia = d->sa ? d->batch : 1, ib = d->sb ? d->batch : 1;
  const long two = d->batch2 > 1, ja = two ? (d->sa2 ? d->batch2 : 1) : 0;
  const long jb = two ? (d->sb2 ? d->batch2 : 1) : 0, jc = two ? d->batch2 : 0;
  if (md_of(&md[0], d->batch, ia, d->sa, ja, d->sa2, d->m, d->k, d->ta, d->lda, d->ab) !=
          dnnl_success ||
      md_of(&md[1], d->batch, ib, d->sb, jb, d->sb2, d->k, d->n, d->tb, d->ldb, d->ab) !=
          dnnl_success ||
      md_of(&md[2], d->batch, d->batch, d->sc, jc, d->sc2, d->m, d->n, 0, d->ldc, d->c) !=
          dnnl_success)
    return NULL;
  dnnl_matmul_desc_t desc;
  if (dnnl_matmul_desc_init(&desc, &md[0], &md[1], NULL, &md[2]) != dnnl_success)
    return NULL;
  dnnl_primitive_attr_t attr = attr_of(d);
  if (!attr)
    return NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, attr, rt_dnn_engine(), NULL);
  dnnl_primitive_attr_destroy(attr);
  if (st != dnnl_success)
    return NULL;
  mm_entry *e = calloc(1, sizeof *e);
  int ok = e && dnnl_primitive_create(&e->prim, pd) == dnnl_success;
  for (int i = 0; ok && i < 3; i++)
    ok = dnnl_memory_create(&e->mem[i], &md[i], rt_dnn_engine(), DNNL_MEMORY_NONE) == dnnl_success;
  if (ok)
    rt_dnn_note_impl(pd);
  dnnl_primitive_desc_destroy(pd);
  if (!ok && e) {
    for (int i = 0; i < 3; i++)
      if (e->mem[i])
        dnnl_memory_destroy(e->mem[i]);
    if (e->prim)
      dnnl_primitive_destroy(e->prim);
    free(e);
    return NULL;
  }
  return e;
}

/* The cached entry of d, created on first use; NULL if unsupported. */
static mm_entry *mm_entry_of(const rt_dnn_matmul_desc *d) {
  if (!rt_dnn_ready())
    return NULL;
  const mm_key key = key_of(d);
  void *value;
  if (rt_dnn_cache_find(&key, sizeof key, &value))
    return value;
  mm_entry *e = mm_create(d);
  rt_dnn_cache_put(&key, sizeof key, e, mm_destroy);
  return e;
}

int rt_dnn_matmul_prepare(const rt_dnn_matmul_desc *d) { return mm_entry_of(d) ? 0 : -1; }

int rt_dnn_matmul(const rt_dnn_matmul_desc *d, const void *A, const void *B, void *C) {
  mm_entry *e = mm_entry_of(d);
  if (!e)
    return -1;
  const void *ptr[3] = {A, B, C};
  for (int i = 0; i < 3; i++)
    rt_dnn_check(dnnl_memory_set_data_handle(e->mem[i], (void *)ptr[i]), "matmul data handle");
  const dnnl_exec_arg_t args[3] = {
      {DNNL_ARG_SRC, e->mem[0]}, {DNNL_ARG_WEIGHTS, e->mem[1]}, {DNNL_ARG_DST, e->mem[2]}};
  rt_dnn_check(dnnl_primitive_execute(e->prim, rt_dnn_stream(), 3, args), "matmul execution");
  rt_dnn_check(dnnl_stream_wait(rt_dnn_stream()), "matmul stream wait");
  return 0;
}

#endif
