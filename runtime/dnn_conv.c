/*
 * dnn_conv.c - 2-D convolutions as oneDNN convolution primitives (see
 * rt_dnn.h): forward, backward to the data and backward to the weights,
 * each in the tensor layouts oneDNN prefers for it (channel-blocked on
 * AVX-512), with reorders between the runtime's plain NCHW / OIHW tensors
 * and those layouts in the caller's workspace. One primitive (with its
 * reorders and memory objects) per pass and shape, created on first use
 * and cached. Compiled to nothing without DUET_ONEDNN.
 */
#include "rt_dnn.h"

#ifdef DUET_ONEDNN

#include <stdint.h>
#include <stdlib.h>

#include "dnn_context.h"

/* Byte offsets of the tensors in ws are multiples of this. */
enum { CONV_ALIGN = 64 };

static size_t align_up(size_t bytes) { return (bytes + CONV_ALIGN - 1) / CONV_ALIGN * CONV_ALIGN; }

static size_t round16(int v) { return ((size_t)v + 15) / 16 * 16; }

size_t rt_dnn_conv_ws(const rt_dnn_conv_shape *s) {
  const size_t ho = (size_t)(s->h + 2 * s->pad - s->kh) / s->stride + 1;
  const size_t wo = (size_t)(s->w + 2 * s->pad - s->kw) / s->stride + 1;
  /* the layouts pad channels to blocks of at most 16 */
  const size_t x = s->n * round16(s->c) * s->h * s->w, y = s->n * round16(s->o) * ho * wo;
  const size_t wt = round16(s->o) * round16(s->c) * s->kh * s->kw;
  return x + y + wt + 4 * CONV_ALIGN / sizeof(float);
}

/* One tensor argument of a pass: the memory object on the caller's plain
 * tensor, the one the primitive reads or writes (the same object when the
 * layouts agree), and the reorder between them with its buffer's offset
 * in ws. */
typedef struct {
  int arg;   /* DNNL_ARG_* */
  int input; /* read by the pass (else written) */
  dnnl_memory_t user, inner;
  dnnl_primitive_t reorder; /* NULL: none */
  size_t offset;            /* bytes into ws of inner's buffer */
} conv_port;

typedef struct {
  dnnl_primitive_t prim;
  conv_port port[3]; /* in0, in1, out of rt_dnn_conv */
} conv_entry;

static void conv_destroy(void *p) {
  conv_entry *e = p;
  for (int i = 0; i < 3; i++) {
    conv_port *q = &e->port[i];
    if (q->reorder)
      dnnl_primitive_destroy(q->reorder);
    if (q->inner && q->inner != q->user)
      dnnl_memory_destroy(q->inner);
    if (q->user)
      dnnl_memory_destroy(q->user);
  }
  if (e->prim)
    dnnl_primitive_destroy(e->prim);
  free(e);
}

/* The plain (x, W, y) descriptors of s with format `any` or plain tags. */
static int conv_mds(const rt_dnn_conv_shape *s, int any, dnnl_memory_desc_t md[3]) {
  const int ho = (s->h + 2 * s->pad - s->kh) / s->stride + 1;
  const int wo = (s->w + 2 * s->pad - s->kw) / s->stride + 1;
  const dnnl_dims_t x = {s->n, s->c, s->h, s->w}, wt = {s->o, s->c, s->kh, s->kw};
  const dnnl_dims_t y = {s->n, s->o, ho, wo};
  const dnnl_format_tag_t act = any ? dnnl_format_tag_any : dnnl_nchw;
  const dnnl_format_tag_t wts = any ? dnnl_format_tag_any : dnnl_oihw;
  return dnnl_memory_desc_init_by_tag(&md[0], 4, x, dnnl_f32, act) == dnnl_success &&
         dnnl_memory_desc_init_by_tag(&md[1], 4, wt, dnnl_f32, wts) == dnnl_success &&
         dnnl_memory_desc_init_by_tag(&md[2], 4, y, dnnl_f32, act) == dnnl_success;
}

/* The primitive descriptor of `pass` (NULL if oneDNN has none). */
static dnnl_primitive_desc_t conv_pd(rt_conv_pass pass, const rt_dnn_conv_shape *s) {
  dnnl_memory_desc_t md[3];
  if (!conv_mds(s, 1, md))
    return NULL;
  const dnnl_dims_t strides = {s->stride, s->stride}, pad = {s->pad, s->pad};
  dnnl_convolution_desc_t fwd, bwd;
  dnnl_primitive_desc_t fpd = NULL, pd = NULL;
  if (dnnl_convolution_forward_desc_init(&fwd, dnnl_forward_training, dnnl_convolution_direct,
                                         &md[0], &md[1], NULL, &md[2], strides, pad,
                                         pad) != dnnl_success ||
      dnnl_primitive_desc_create(&fpd, &fwd, NULL, rt_dnn_engine(), NULL) != dnnl_success)
    return NULL;
  if (pass == RT_CONV_FWD)
    return fpd;
  dnnl_status_t st =
      pass == RT_CONV_BWD_DATA
          ? dnnl_convolution_backward_data_desc_init(&bwd, dnnl_convolution_direct, &md[0], &md[1],
                                                     &md[2], strides, pad, pad)
          : dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &md[0],
                                                        &md[1], NULL, &md[2], strides, pad, pad);
  if (st == dnnl_success)
    st = dnnl_primitive_desc_create(&pd, &bwd, NULL, rt_dnn_engine(), fpd);
  dnnl_primitive_desc_destroy(fpd);
  return st == dnnl_success ? pd : NULL;
}

/* Sets up port q: the primitive's descriptor `inner` for the caller's
 * plain `user` one; advances *offset past inner's buffer when it needs
 * one. 0 on success. */
static int port_init(conv_port *q, const dnnl_memory_desc_t *user, const dnnl_memory_desc_t *inner,
                     size_t *offset) {
  dnnl_engine_t eng = rt_dnn_engine();
  if (dnnl_memory_create(&q->user, user, eng, DNNL_MEMORY_NONE) != dnnl_success)
    return -1;
  if (dnnl_memory_desc_equal(user, inner)) {
    q->inner = q->user;
    return 0;
  }
  if (dnnl_memory_create(&q->inner, inner, eng, DNNL_MEMORY_NONE) != dnnl_success)
    return -1;
  q->offset = *offset;
  *offset += align_up(dnnl_memory_desc_get_size(inner));
  dnnl_primitive_desc_t rpd = NULL;
  dnnl_status_t st = q->input
                         ? dnnl_reorder_primitive_desc_create(&rpd, user, eng, inner, eng, NULL)
                         : dnnl_reorder_primitive_desc_create(&rpd, inner, eng, user, eng, NULL);
  if (st == dnnl_success) {
    st = dnnl_primitive_create(&q->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
  }
  return st == dnnl_success ? 0 : -1;
}

/* A new entry for (pass, s), or NULL if oneDNN has no primitive for it or
 * its layouts would not fit rt_dnn_conv_ws(s). */
static conv_entry *conv_create(rt_conv_pass pass, const rt_dnn_conv_shape *s) {
  dnnl_primitive_desc_t pd = conv_pd(pass, s);
  dnnl_memory_desc_t plain[3];
  if (!pd || !conv_mds(s, 0, plain)) {
    if (pd)
      dnnl_primitive_desc_destroy(pd);
    return NULL;
  }
  /* the tensors (x, W, y) in the order rt_dnn_conv takes them */
  static const int order[3][3] = {{0, 1, 2}, {2, 1, 0}, {0, 2, 1}};
  const int fwd = pass == RT_CONV_FWD, data = pass == RT_CONV_BWD_DATA;
  const int args[3] = {data ? DNNL_ARG_DIFF_SRC : DNNL_ARG_SRC,
                       pass == RT_CONV_BWD_WEIGHT ? DNNL_ARG_DIFF_WEIGHTS : DNNL_ARG_WEIGHTS,
                       fwd ? DNNL_ARG_DST : DNNL_ARG_DIFF_DST};
  const dnnl_query_t queries[3] = {data ? dnnl_query_diff_src_md : dnnl_query_src_md,
                                   pass == RT_CONV_BWD_WEIGHT ? dnnl_query_diff_weights_md
                                                              : dnnl_query_weights_md,
                                   fwd ? dnnl_query_dst_md : dnnl_query_diff_dst_md};
  conv_entry *e = calloc(1, sizeof *e);
  int ok = e != NULL;
  size_t offset = 0;
  for (int i = 0; ok && i < 3; i++) {
    const int t = order[pass][i];
    conv_port *q = &e->port[i];
    q->arg = args[t];
    q->input = i < 2;
    ok = port_init(q, &plain[t], dnnl_primitive_desc_query_md(pd, queries[t], 0), &offset) == 0;
  }
  ok = ok && offset + CONV_ALIGN <= rt_dnn_conv_ws(s) * sizeof(float) &&
       dnnl_primitive_create(&e->prim, pd) == dnnl_success;
  if (ok)
    rt_dnn_note_impl(pd);
  dnnl_primitive_desc_destroy(pd);
  if (!ok && e) {
    conv_destroy(e);
    return NULL;
  }
  return e;
}

static void run_reorder(const conv_port *q) {
  const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, q->input ? q->user : q->inner},
                                   {DNNL_ARG_TO, q->input ? q->inner : q->user}};
  rt_dnn_check(dnnl_primitive_execute(q->reorder, rt_dnn_stream(), 2, args), "conv reorder");
}

int rt_dnn_conv(rt_conv_pass pass, const rt_dnn_conv_shape *s, const float *in0, const float *in1,
                float *out, float *ws) {
  if (!rt_dnn_ready())
    return -1;
  const long key[10] = {pass, s->n, s->c, s->h, s->w, s->o, s->kh, s->kw, s->stride, s->pad};
  void *value;
  conv_entry *e;
  if (rt_dnn_cache_find(key, sizeof key, &value)) {
    e = value;
  } else {
    e = conv_create(pass, s);
    rt_dnn_cache_put(key, sizeof key, e, conv_destroy);
  }
  if (!e)
    return -1;
  char *base = (char *)(((uintptr_t)ws + CONV_ALIGN - 1) / CONV_ALIGN * CONV_ALIGN);
  const float *ptr[3] = {in0, in1, out};
  dnnl_exec_arg_t args[3];
  for (int i = 0; i < 3; i++) {
    conv_port *q = &e->port[i];
    rt_dnn_check(dnnl_memory_set_data_handle(q->user, (void *)ptr[i]), "conv data handle");
    if (q->reorder)
      rt_dnn_check(dnnl_memory_set_data_handle(q->inner, base + q->offset), "conv data handle");
    if (q->reorder && q->input)
      run_reorder(q);
    args[i].arg = q->arg;
    args[i].memory = q->inner;
  }
  rt_dnn_check(dnnl_primitive_execute(e->prim, rt_dnn_stream(), 3, args), "conv execution");
  if (e->port[2].reorder)
    run_reorder(&e->port[2]);
  rt_dnn_check(dnnl_stream_wait(rt_dnn_stream()), "conv stream wait");
  return 0;
}

#endif
