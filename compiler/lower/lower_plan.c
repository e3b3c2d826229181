/*
 * lower_plan.c - the arena plan of one entry point: computes assignments in
 * place when no later instruction reads the old value, drops the loop
 * outputs that nothing reads, then places every
 * temporary by a linear scan over the instructions (first fit into freed
 * ranges, 64-byte aligned) and resolves virtual buffers to arena offsets;
 * in a data-parallel grad_step, a call after each gradient is complete.
 */
#include "lower_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"

typedef void (*ref_fn)(void *arg, kp_ref *r);

/* Calls f on every memory reference of an instruction. */
static void each_ref(kp_instr *in, ref_fn f, void *arg) {
  switch (in->kind) {
  case KP_LOOP:
    for (int k = 0; k < in->u.loop.nout; k++)
      f(arg, &in->u.loop.out[k].ref);
    for (int k = 0; k < in->u.loop.nin; k++)
      f(arg, &in->u.loop.in[k].ref);
    return;
  case KP_CALL:
    for (int k = 0; k < in->u.call.nargs; k++) {
      kp_arg *a = &in->u.call.args[k];
      if (a->kind == KP_A_PTR)
        f(arg, &a->ref);
      else if ((a->kind == KP_A_REAL || a->kind == KP_A_U64) && a->val.kind == KP_S_LOAD)
        f(arg, &a->val.ref);
    }
    if (in->u.call.has_ret)
      f(arg, &in->u.call.ret);
    return;
  case KP_COPY:
    f(arg, &in->u.copy.dst);
    f(arg, &in->u.copy.src);
    return;
  case KP_OUTPUT:
    if (in->u.out.value.kind == KP_S_LOAD)
      f(arg, &in->u.out.value.ref);
    return;
  case KP_IF:
    if (in->u.cond.cond.kind == KP_S_LOAD)
      f(arg, &in->u.cond.cond.ref);
    return;
  case KP_END:
    return;
  }
}

typedef struct scan {
  lower_ctx *c;
  int at;   /* current instruction */
  int skip; /* tensor vbuf not counted (the write-back target) */
  int *first, *last;
} scan;

static void note(void *arg, kp_ref *r) {
  scan *s = arg;
  assert(r->space == LOWER_VSPACE);
  int vb = r->input;
  if (vb == s->skip)
    return;
  if (s->first[vb] < 0)
    s->first[vb] = s->at;
  s->last[vb] = s->at;
}

static void scan_refs(lower_ctx *c, const kp_instr *ins, int n, const int *skip, int *first,
                      int *last) {
  scan s = {c, 0, -1, first, last};
  for (int i = 0; i < c->nvb; i++)
    first[i] = last[i] = -1;
  for (int i = 0; i < n; i++) {
    s.at = i;
    s.skip = skip ? skip[i] : -1;
    each_ref((kp_instr *)&ins[i], note, &s);
  }
}

/* Loop `in` reads tensor vbuf t only at the element its output to vbuf v
 * writes. */
static int aligned(const kp_instr *in, int t, int v) {
  if (in->kind != KP_LOOP)
    return 0;
  const kp_loop *l = &in->u.loop;
  const kp_access *o = NULL;
  for (int k = 0; k < l->nout; k++)
    if (l->out[k].ref.input == v)
      o = &l->out[k];
  for (int k = 0; k < l->nin; k++) {
    const kp_access *a = &l->in[k];
    if (a->ref.input == t &&
        (a->ref.off != o->ref.off || memcmp(a->stride, o->stride, (size_t)l->rank * sizeof(long))))
      return 0;
  }
  return 1;
}

/* A write-back copy whose source is written whole by one instruction after
 * the last read of the tensor's old value: that instruction writes the tensor
 * directly (a loop may also read the old value at the element it writes).
 * That instruction is outside every KP_IF: an assignment reads no node of a
 * guarded region, only the select that merges it. */
static void compute_in_place(lower_ctx *c, unsigned char *dead) {
  int *first = malloc((size_t)c->nvb * sizeof(int)), *last = malloc((size_t)c->nvb * sizeof(int));
  if (!first || !last)
    abort();
  scan_refs(c, c->ins, c->ninstr, c->wb_target, first, last);
  for (int w = 0; w < c->ninstr; w++) {
    int t = c->wb_target[w];
    const kp_instr *in = &c->ins[w];
    if (t < 0 || in->kind != KP_COPY)
      continue;
    int v = in->u.copy.src.input;
    vbuf *vb = &c->vb[v];
    if (vb->kind != VB_TEMP || vb->alias >= 0 || vb->def_instr < 0 || in->u.copy.src.off != 0 ||
        in->u.copy.bytes != vb->bytes)
      continue;
    int i = vb->def_instr;
    if (last[t] > i || (last[t] == i && !(vb->def_loop && aligned(&c->ins[i], t, v))))
      continue;
    vb->alias = t;
    dead[w] = 1;
  }
  free(first);
  free(last);
}

/* An output (other than the first) of a loop that no other instruction
 * reads is not stored: a value stored with its consumer (lower_fuse.c)
 * whose consumers all turned out to compute it in that same loop. */
static void drop_unread_outputs(lower_ctx *c) {
  int *first = malloc((size_t)c->nvb * sizeof(int)), *last = malloc((size_t)c->nvb * sizeof(int));
  if (!first || !last)
    abort();
  scan_refs(c, c->ins, c->ninstr, NULL, first, last);
  for (int i = 0; i < c->ninstr; i++) {
    kp_loop *l = &c->ins[i].u.loop;
    if (c->ins[i].kind != KP_LOOP)
      continue;
    for (int k = l->nout - 1; k >= 1; k--) {
      int v = l->out[k].ref.input,
          unread = c->vb[v].kind == VB_TEMP && c->vb[v].alias < 0 && first[v] == i && last[v] == i;
      for (int j = 0; j < l->nin && unread; j++)
        unread = l->in[j].ref.input != v;
      if (!unread)
        continue;
      memmove(&l->out[k], &l->out[k + 1], (size_t)(l->nout - k - 1) * sizeof *l->out);
      memmove(&l->out_expr[k], &l->out_expr[k + 1],
              (size_t)(l->nout - k - 1) * sizeof *l->out_expr);
      l->nout--;
    }
  }
  free(first);
  free(last);
}

/* ---- first-fit allocation of temporaries --------------------------------------- */

typedef struct fblock {
  long off, len;
} fblock;

typedef struct plan {
  fblock *free; /* sorted by offset, coalesced */
  int n, cap;
  long top; /* high-water mark */
} plan;

static long align64(long x) { return (x + 63) & ~63L; }

static void remove_block(plan *p, int i) {
  memmove(&p->free[i], &p->free[i + 1], (size_t)(p->n - i - 1) * sizeof *p->free);
  p->n--;
}

static long plan_alloc(plan *p, long size) {
  size = align64(size ? size : 1);
  for (int i = 0; i < p->n; i++) {
    fblock *b = &p->free[i];
    if (b->len >= size) {
      long off = b->off;
      b->off += size;
      b->len -= size;
      if (!b->len)
        remove_block(p, i);
      return off;
    }
  }
  long off = p->top;
  if (p->n && p->free[p->n - 1].off + p->free[p->n - 1].len == p->top) {
    off = p->free[p->n - 1].off;
    remove_block(p, p->n - 1);
  }
  p->top = off + size;
  return off;
}

static void plan_free(plan *p, long off, long size) {
  size = align64(size ? size : 1);
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 16;
    p->free = realloc(p->free, (size_t)p->cap * sizeof *p->free);
    if (!p->free)
      abort();
  }
  int i = 0;
  while (i < p->n && p->free[i].off < off)
    i++;
  memmove(&p->free[i + 1], &p->free[i], (size_t)(p->n - i) * sizeof *p->free);
  p->free[i].off = off;
  p->free[i].len = size;
  p->n++;
  if (i + 1 < p->n && off + size == p->free[i + 1].off) {
    p->free[i].len += p->free[i + 1].len;
    remove_block(p, i + 1);
  }
  if (i > 0 && p->free[i - 1].off + p->free[i - 1].len == off) {
    p->free[i - 1].len += p->free[i].len;
    remove_block(p, i);
  }
}

/* Linear scan: a temporary occupies its range from its first to its last
 * reference; outputs of an instruction are placed before its dead inputs are
 * released, so they never overlap. Returns the bytes used. */
static long allocate(lower_ctx *c, const kp_instr *ins, int n) {
  int *first = malloc((size_t)c->nvb * sizeof(int)), *last = malloc((size_t)c->nvb * sizeof(int));
  int *order = malloc((size_t)c->nvb * sizeof(int));
  if (!first || !last || !order)
    abort();
  scan_refs(c, ins, n, NULL, first, last);
  plan p = {0};
  /* temporaries by first use, and by last use */
  int nt = 0;
  for (int v = 0; v < c->nvb; v++)
    if (c->vb[v].kind == VB_TEMP && c->vb[v].alias < 0 && first[v] >= 0)
      order[nt++] = v;
  int *by_last = malloc((size_t)(nt ? nt : 1) * sizeof(int));
  if (!by_last)
    abort();
  memcpy(by_last, order, (size_t)nt * sizeof(int));
  /* counting sort by instruction index keeps this linear */
  int *cnt = calloc((size_t)n + 2, sizeof(int)), *tmp = malloc((size_t)(nt ? nt : 1) * sizeof(int));
  if (!cnt || !tmp)
    abort();
  for (int pass = 0; pass < 2; pass++) {
    int *arr = pass ? by_last : order, *key = pass ? last : first;
    memset(cnt, 0, ((size_t)n + 2) * sizeof(int));
    for (int i = 0; i < nt; i++)
      cnt[key[arr[i]] + 1]++;
    for (int i = 0; i <= n; i++)
      cnt[i + 1] += cnt[i];
    for (int i = 0; i < nt; i++)
      tmp[cnt[key[arr[i]]]++] = arr[i];
    memcpy(arr, tmp, (size_t)nt * sizeof(int));
  }
  int a = 0, f = 0;
  for (int i = 0; i < n; i++) {
    for (; a < nt && first[order[a]] == i; a++)
      c->vb[order[a]].off = plan_alloc(&p, c->vb[order[a]].bytes);
    for (; f < nt && last[by_last[f]] == i; f++)
      plan_free(&p, c->vb[by_last[f]].off, c->vb[by_last[f]].bytes);
  }
  free(cnt);
  free(tmp);
  free(by_last);
  free(order);
  free(first);
  free(last);
  free(p.free);
  return p.top;
}

static void resolve(void *arg, kp_ref *r) {
  lower_ctx *c = arg;
  assert(r->space == LOWER_VSPACE);
  const vbuf *v = &c->vb[r->input];
  if (v->kind == VB_TEMP && v->alias >= 0)
    v = &c->vb[v->alias];
  switch (v->kind) {
  case VB_TENSOR:
    r->space = KP_ARENA;
    r->off += c->kp->tensors[v->index].off;
    r->input = 0;
    return;
  case VB_INPUT:
    r->space = KP_INPUT;
    r->input = v->index;
    return;
  case VB_TEMP:
    r->space = KP_ARENA;
    r->off += c->kp->persistent_bytes + v->off;
    r->input = 0;
    return;
  }
}

/* The gradient tensors (IR_GRAD) of a data-parallel grad_step: ready[i] =
 * k when instruction i completes the k-th of them (its write-back copy, or
 * the instruction that computes it in place), else -1. Returns how many. */
static int find_ready(lower_ctx *c, const unsigned char *dead, int *ready) {
  int n = 0;
  for (int i = 0; i < c->ninstr; i++)
    ready[i] = -1;
  for (int w = 0; w < c->ninstr; w++) {
    int t = c->wb_target[w];
    if (t < 0 || c->prog->tensors[c->vb[t].index].kind != IR_GRAD)
      continue;
    int k = 0;
    for (int d = 0; d < c->vb[t].index; d++)
      k += c->prog->tensors[d].kind == IR_GRAD;
    const kp_instr *in = &c->ins[w];
    ready[dead[w] ? c->vb[in->u.copy.src.input].def_instr : w] = k;
    n++;
  }
  return n;
}

/* The call rt_grad_ready(k) (rt_kernels.h) after gradient k is complete. */
static kp_instr grad_ready(lower_ctx *c, int k) {
  kp_instr in = {.kind = KP_CALL, .what = "gradient ready"};
  in.u.call.fn = RT_GRAD_READY;
  in.u.call.nargs = 1;
  in.u.call.args = ir_pool_alloc(c->pool, sizeof *in.u.call.args);
  in.u.call.args[0] = (kp_arg){.kind = KP_A_INT, .ival = k};
  return in;
}

int lower_plan(lower_ctx *c, kp_entry *e) {
  unsigned char *dead = calloc((size_t)c->ninstr + 1, 1);
  int *ready = malloc(((size_t)c->ninstr + 1) * sizeof *ready);
  if (!dead || !ready)
    abort();
  compute_in_place(c, dead);
  drop_unread_outputs(c);
  int n = find_ready(c, dead, ready);
  for (int i = 0; i < c->ninstr; i++)
    if (!dead[i])
      n++;
  kp_instr *ins = ir_pool_alloc(c->pool, (size_t)(n ? n : 1) * sizeof *ins);
  for (int i = 0, j = 0; i < c->ninstr; i++) {
    for (int k = 0; k < 2; k++)
      if (c->phase[k] && i == c->phase[k])
        e->phase[k] = j;
    if (!dead[i])
      ins[j++] = c->ins[i];
    if (ready[i] >= 0)
      ins[j++] = grad_ready(c, ready[i]);
  }
  free(dead);
  free(ready);
  e->temp_bytes = allocate(c, ins, n);
  for (int i = 0; i < n; i++)
    each_ref(&ins[i], resolve, c);
  e->instr = ins;
  e->ninstr = n;
  return 0;
}
