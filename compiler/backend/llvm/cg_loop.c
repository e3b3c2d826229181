/*
 * cg_loop.c - LLVM IR for one fused loop of the kernel program: an internal
 * function with one pointer per access (noalias unless an output overlaps
 * an input other than element-wise), a nest of counted loops with the
 * contiguous dimension innermost, the stores of every output after the
 * index's values,
 * and reductions over the innermost dimension accumulated in registers in
 * the fixed lane order of kp.h. Loops with the same body share a function.
 */
#include "cg_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct nest {
  cg_ctx *g;
  const kp_loop *l;
  LLVMValueRef fn;
  LLVMValueRef *base; /* [j] output j, [nout + k] input k */
  LLVMValueRef *pre;  /* per expression: value computed before the loops */
} nest;

typedef struct loopc {
  LLVMBasicBlockRef pre, header;
  LLVMValueRef iv;
} loopc;

static void loop_open(nest *s, loopc *lc) {
  cg_ctx *g = s->g;
  lc->pre = LLVMGetInsertBlock(g->b);
  lc->header = LLVMAppendBasicBlockInContext(g->ctx, s->fn, "loop");
  LLVMBuildBr(g->b, lc->header);
  LLVMPositionBuilderAtEnd(g->b, lc->header);
  lc->iv = LLVMBuildPhi(g->b, g->i64, "i");
}

/* Closes a bottom-tested loop of n >= 1 iterations; returns the latch. */
static LLVMBasicBlockRef loop_close(nest *s, loopc *lc, long n) {
  cg_ctx *g = s->g;
  LLVMValueRef next = LLVMBuildNUWAdd(g->b, lc->iv, LLVMConstInt(g->i64, 1, 0), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(g->ctx, s->fn, "done");
  LLVMValueRef more =
      LLVMBuildICmp(g->b, LLVMIntULT, next, LLVMConstInt(g->i64, (unsigned long long)n, 0), "");
  LLVMBuildCondBr(g->b, more, lc->header, exit);
  LLVMValueRef vals[2] = {LLVMConstInt(g->i64, 0, 0), next};
  LLVMBasicBlockRef blocks[2] = {lc->pre, latch};
  LLVMAddIncoming(lc->iv, vals, blocks, 2);
  LLVMPositionBuilderAtEnd(g->b, exit);
  return latch;
}

static LLVMTypeRef elem_type(cg_ctx *g, kp_dtype t) { return t == KP_I32 ? g->i32 : g->T; }

/* Access k: output k, or input k - nout. */
static const kp_access *access_k(const kp_loop *l, int k) {
  return k < l->nout ? &l->out[k] : &l->in[k - l->nout];
}

static LLVMValueRef addr(nest *s, int k, LLVMValueRef off) {
  const kp_access *a = access_k(s->l, k);
  return LLVMBuildInBoundsGEP2(s->g->b, elem_type(s->g, a->dtype), s->base[k], &off, 1, "");
}

static LLVMValueRef load(nest *s, int k, LLVMValueRef off) {
  const kp_access *a = access_k(s->l, k);
  return LLVMBuildLoad2(s->g->b, elem_type(s->g, a->dtype), addr(s, k, off), "");
}

/* Offsets of all accesses one dimension deeper. */
static void step(nest *s, int d, LLVMValueRef iv, LLVMValueRef *off, LLVMValueRef *out) {
  cg_ctx *g = s->g;
  for (int k = 0; k < s->l->nout + s->l->nin; k++) {
    const kp_access *a = access_k(s->l, k);
    out[k] = off[k];
    if (a->stride[d]) {
      LLVMValueRef m =
          LLVMBuildNSWMul(g->b, iv, LLVMConstInt(g->i64, (unsigned long long)a->stride[d], 0), "");
      out[k] = LLVMBuildNSWAdd(g->b, off[k], m, "");
    }
  }
}

/* The expressions' values at the offsets off (malloc-owned). */
static LLVMValueRef *values(nest *s, LLVMValueRef *off) {
  const kp_loop *l = s->l;
  LLVMValueRef *v = malloc((size_t)l->nexpr * sizeof *v);
  if (!v)
    abort();
  for (int i = 0; i < l->nexpr; i++) {
    const kp_expr *e = &l->expr[i];
    if (s->pre[i])
      v[i] = s->pre[i];
    else if (e->op == KP_E_LOAD)
      v[i] = load(s, l->nout + e->a, off[l->nout + e->a]);
    else
      v[i] = cg_math(s->g, e->op, v[e->a], e->op >= KP_E_ADD ? v[e->b] : NULL,
                     e->op == KP_E_SELECT ? v[e->c] : NULL);
  }
  return v;
}

/* The value of a reduction's element: its last expression. */
static LLVMValueRef value(nest *s, LLVMValueRef *off) {
  LLVMValueRef *v = values(s, off);
  LLVMValueRef r = v[s->l->nexpr - 1];
  free(v);
  return r;
}

static LLVMValueRef combine(nest *s, LLVMValueRef acc, LLVMValueRef x) {
  cg_ctx *g = s->g;
  if (s->l->reduce == KP_SUM)
    return LLVMBuildFAdd(g->b, acc, x, "");
  return LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, LLVMRealOGE, acc, x, ""), acc, x, "");
}

static LLVMValueRef reduce_init(nest *s) {
  return cg_real(s->g, s->l->reduce == KP_SUM ? 0.0 : -INFINITY);
}

/* acc[j] combined with the element at index idx of dimension d */
static LLVMValueRef lane(nest *s, int d, LLVMValueRef idx, LLVMValueRef *off, LLVMValueRef acc) {
  LLVMValueRef *o = malloc((size_t)(s->l->nout + s->l->nin) * sizeof *o);
  if (!o)
    abort();
  step(s, d, idx, off, o);
  LLVMValueRef r = combine(s, acc, value(s, o));
  free(o);
  return r;
}

/* Innermost reduced dimension of length n, in the order kp.h fixes: element
 * i goes to accumulator i mod KP_LANES, the lanes are combined pairwise, and
 * the result is combined into the output. Independent lanes let the loop run
 * at full SIMD width while the result stays the same in every back end. */
static void inner_reduction(nest *s, int d, LLVMValueRef *off) {
  cg_ctx *g = s->g;
  long n = s->l->shape[d], blocks = n / KP_LANES;
  LLVMValueRef acc[KP_LANES];
  for (int j = 0; j < KP_LANES; j++)
    acc[j] = reduce_init(s);
  if (blocks > 0) {
    loopc lc;
    loop_open(s, &lc);
    LLVMValueRef phi[KP_LANES], next[KP_LANES];
    for (int j = 0; j < KP_LANES; j++)
      phi[j] = LLVMBuildPhi(g->b, g->T, "acc");
    LLVMValueRef base = LLVMBuildNUWMul(g->b, lc.iv, LLVMConstInt(g->i64, KP_LANES, 0), "");
    for (int j = 0; j < KP_LANES; j++) {
      LLVMValueRef idx = LLVMBuildNUWAdd(g->b, base, LLVMConstInt(g->i64, (unsigned)j, 0), "");
      next[j] = lane(s, d, idx, off, phi[j]);
    }
    LLVMBasicBlockRef latch = loop_close(s, &lc, blocks);
    for (int j = 0; j < KP_LANES; j++) {
      LLVMValueRef vals[2] = {acc[j], next[j]};
      LLVMBasicBlockRef from[2] = {lc.pre, latch};
      LLVMAddIncoming(phi[j], vals, from, 2);
      acc[j] = next[j];
    }
  }
  for (long i = blocks * KP_LANES; i < n; i++) {
    int j = (int)(i % KP_LANES);
    acc[j] = lane(s, d, LLVMConstInt(g->i64, (unsigned long long)i, 0), off, acc[j]);
  }
  for (int w = 1; w < KP_LANES; w *= 2)
    for (int j = 0; j < KP_LANES; j += 2 * w)
      acc[j] = combine(s, acc[j], acc[j + w]);
  LLVMBuildStore(g->b, combine(s, load(s, 0, off[0]), acc[0]), addr(s, 0, off[0]));
}

/* Loop nest from dimension d. fill: only set the output region to the
 * reduction's initial value (dimensions the output does not vary along are
 * skipped). */
static void emit_nest(nest *s, int d, LLVMValueRef *off, int fill) {
  cg_ctx *g = s->g;
  const kp_loop *l = s->l;
  if (d == l->rank) {
    if (fill) {
      LLVMBuildStore(g->b, reduce_init(s), addr(s, 0, off[0]));
    } else if (l->reduce == KP_MAP) {
      LLVMValueRef *v = values(s, off);
      for (int k = 0; k < l->nout; k++)
        LLVMBuildStore(g->b, v[l->out_expr[k]], addr(s, k, off[k]));
      free(v);
    } else {
      LLVMBuildStore(g->b, combine(s, load(s, 0, off[0]), value(s, off)), addr(s, 0, off[0]));
    }
    return;
  }
  if (fill && !l->out[0].stride[d]) {
    emit_nest(s, d + 1, off, fill);
    return;
  }
  if (!fill && l->reduce != KP_MAP && d == l->rank - 1 && !l->out[0].stride[d]) {
    inner_reduction(s, d, off);
    return;
  }
  int na = l->nout + l->nin;
  LLVMValueRef *o = malloc((size_t)na * sizeof *o);
  if (!o)
    abort();
  loopc lc;
  loop_open(s, &lc);
  step(s, d, lc.iv, off, o);
  emit_nest(s, d + 1, o, fill);
  loop_close(s, &lc, l->shape[d]);
  free(o);
}

static void set_noalias(cg_ctx *g, LLVMValueRef fn, const kp_loop *l) {
  unsigned kind = LLVMGetEnumAttributeKindForName("noalias", 7);
  for (int k = 0; k < l->nout + l->nin; k++) {
    int ok = k < l->nout ? !kp_loop_output_shared(l, k) : !kp_loop_input_shared(l, k - l->nout);
    if (ok)
      LLVMAddAttributeAtIndex(fn, (unsigned)k + 1, LLVMCreateEnumAttribute(g->ctx, kind, 0));
  }
  LLVMAddAttributeAtIndex(fn, (unsigned)(l->nout + l->nin) + 1,
                          LLVMCreateEnumAttribute(g->ctx, kind, 0));
  /* shared loop functions stay out of line: inlining them at every call
     * would compile each body again */
  static const char *const fnattrs[] = {"nounwind", "noinline"};
  for (int i = 0; i < 2; i++) {
    unsigned k = LLVMGetEnumAttributeKindForName(fnattrs[i], strlen(fnattrs[i]));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->ctx, k, 0));
  }
}

static LLVMValueRef define_loop_fn(cg_ctx *g, const kp_loop *l, const char *name) {
  int np = l->nout + l->nin + 1;
  LLVMTypeRef *pt = malloc((size_t)np * sizeof *pt);
  nest s = {g, l, NULL, malloc((size_t)np * sizeof(LLVMValueRef)),
            calloc((size_t)l->nexpr, sizeof(LLVMValueRef))};
  LLVMValueRef *off = malloc((size_t)np * sizeof *off);
  if (!pt || !s.base || !s.pre || !off)
    abort();
  for (int i = 0; i < np; i++)
    pt[i] = g->ptr;
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->vd, pt, (unsigned)np, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  set_noalias(g, fn, l);
  s.fn = fn;
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(g->b);
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  for (int k = 0; k < l->nout + l->nin; k++) {
    /* an input that is an output's own elements is read through that
       * output's pointer, so that LLVM sees an element-wise update in place */
    int j = k < l->nout ? -1 : kp_loop_same_output(l, k - l->nout);
    s.base[k] = j >= 0 ? s.base[j] : LLVMGetParam(fn, (unsigned)k);
    off[k] = LLVMConstInt(g->i64, 0, 0);
  }
  LLVMValueRef scalars = LLVMGetParam(fn, (unsigned)(l->nout + l->nin));
  for (int i = 0; i < l->nexpr; i++) {
    const kp_expr *e = &l->expr[i];
    if (e->op == KP_E_CONST) {
      s.pre[i] = cg_real(g, e->imm);
    } else if (e->op == KP_E_SCALAR) {
      LLVMValueRef idx = LLVMConstInt(g->i64, (unsigned long long)e->a, 0);
      LLVMValueRef p = LLVMBuildInBoundsGEP2(g->b, g->f64, scalars, &idx, 1, "");
      LLVMValueRef v = LLVMBuildLoad2(g->b, g->f64, p, "");
      s.pre[i] = g->dbl ? v : LLVMBuildFPTrunc(g->b, v, g->T, "");
    }
  }
  if (l->reduce != KP_MAP)
    emit_nest(&s, 0, off, 1);
  emit_nest(&s, 0, off, 0);
  LLVMBuildRetVoid(g->b);
  if (saved)
    LLVMPositionBuilderAtEnd(g->b, saved);
  free(pt);
  free(s.base);
  free(s.pre);
  free(off);
  return fn;
}

static void put_access(FILE *f, const kp_loop *l, const kp_access *a) {
  fprintf(f, "|%d", (int)a->dtype);
  for (int d = 0; d < l->rank; d++)
    fprintf(f, ",%ld", a->stride[d]);
}

/* Everything the function of l depends on: shape, dtypes and strides of the
 * accesses, the expressions, and which inputs may overlap the output (the
 * noalias attributes). Not the operands' addresses: callers pass those. */
static char *loop_key(const kp_loop *l) {
  char *key = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&key, &len);
  if (!f)
    abort();
  fprintf(f, "%d %d %d", (int)l->dtype, (int)l->reduce, l->rank);
  for (int d = 0; d < l->rank; d++)
    fprintf(f, ",%ld", l->shape[d]);
  for (int k = 0; k < l->nout; k++) {
    put_access(f, l, &l->out[k]);
    fprintf(f, "=%d%c", l->out_expr[k], kp_loop_output_shared(l, k) ? 'o' : 'n');
  }
  for (int k = 0; k < l->nin; k++) {
    put_access(f, l, &l->in[k]);
    fprintf(f, "%c%d", kp_loop_input_shared(l, k) ? 'o' : 'n', kp_loop_same_output(l, k));
  }
  for (int i = 0; i < l->nexpr; i++) {
    const kp_expr *e = &l->expr[i];
    fprintf(f, ";%d %d %d %d %a", (int)e->op, e->a, e->b, e->c, e->imm);
  }
  fclose(f);
  return key;
}

void cg_free_loops(cg_ctx *g) {
  for (int i = 0; i < g->nloops; i++)
    free(g->loops[i].key);
  free(g->loops);
  g->loops = NULL;
  g->nloops = g->loopcap = 0;
}

LLVMValueRef cg_loop_fn(cg_ctx *g, const kp_loop *l) {
  char *key = loop_key(l);
  for (int i = 0; i < g->nloops; i++)
    if (!strcmp(g->loops[i].key, key)) {
      free(key);
      return g->loops[i].fn;
    }
  if (g->nloops == g->loopcap) {
    g->loopcap = g->loopcap ? 2 * g->loopcap : 64;
    g->loops = realloc(g->loops, (size_t)g->loopcap * sizeof *g->loops);
    if (!g->loops)
      abort();
  }
  char name[32];
  snprintf(name, sizeof name, "duet_loop%d", g->nloops);
  LLVMValueRef fn = define_loop_fn(g, l, name);
  g->loops[g->nloops++] = (cg_loop_def){key, fn};
  return fn;
}
