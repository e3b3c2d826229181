/*
 * cg_llvm.c - builds the LLVM module of a kernel program: one external
 * function per entry point with the C ABI of kp.h, whose body calls the loop
 * functions, the runtime kernels (declared from their argument lists),
 * memcpy for copies, and stores the outputs; and prints it as text.
 */
#include "cg_int.h"
#include "cg_llvm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry_ctx {
  cg_ctx *g;
  LLVMValueRef fn, arena, inputs, scalars, outputs;
  int nopen;
  LLVMBasicBlockRef *join; /* per open KP_IF, the block after its KP_END */
} entry_ctx;

void cg_entry_symbol(const kp_program *kp, int i, char *buf, size_t len) {
  snprintf(buf, len, "duet_entry_%s", kp->entries[i].name);
}

static LLVMValueRef i64c(cg_ctx *g, long v) {
  return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}

static LLVMValueRef ref_ptr(entry_ctx *e, kp_ref r) {
  cg_ctx *g = e->g;
  LLVMValueRef base = e->arena;
  if (r.space == KP_INPUT) {
    LLVMValueRef idx = i64c(g, r.input);
    LLVMValueRef p = LLVMBuildInBoundsGEP2(g->b, g->ptr, e->inputs, &idx, 1, "");
    base = LLVMBuildLoad2(g->b, g->ptr, p, "");
  }
  if (!r.off)
    return base;
  LLVMValueRef off = i64c(g, r.off);
  return LLVMBuildInBoundsGEP2(g->b, g->i8, base, &off, 1, "");
}

/* A scalar as a value of type ty (the real type or double). */
static LLVMValueRef scalar(entry_ctx *e, const kp_scalar *s, LLVMTypeRef ty) {
  cg_ctx *g = e->g;
  LLVMValueRef v;
  LLVMTypeRef vt;
  switch (s->kind) {
  case KP_S_IMM:
    return LLVMConstReal(ty, s->imm);
  case KP_S_INPUT: {
    LLVMValueRef idx = i64c(g, s->index);
    v = LLVMBuildLoad2(g->b, g->f64, LLVMBuildInBoundsGEP2(g->b, g->f64, e->scalars, &idx, 1, ""),
                       "");
    vt = g->f64;
    break;
  }
  default:
    v = LLVMBuildLoad2(g->b, g->T, ref_ptr(e, s->ref), "");
    vt = g->T;
    break;
  }
  if (vt == ty)
    return v;
  return vt == g->f64 ? LLVMBuildFPTrunc(g->b, v, ty, "") : LLVMBuildFPExt(g->b, v, ty, "");
}

static LLVMTypeRef arg_type(cg_ctx *g, kp_arg_kind k) {
  switch (k) {
  case KP_A_PTR:
    return g->ptr;
  case KP_A_INT:
    return g->i32;
  case KP_A_REAL:
    return g->T;
  default:
    return g->i64; /* LONG, SIZE, U64 on LP64 */
  }
}

static void emit_call(entry_ctx *e, const kp_call *c) {
  cg_ctx *g = e->g;
  LLVMTypeRef *pt = malloc((size_t)(c->nargs + 1) * sizeof *pt);
  LLVMValueRef *av = malloc((size_t)(c->nargs + 1) * sizeof *av);
  if (!pt || !av)
    abort();
  for (int i = 0; i < c->nargs; i++) {
    const kp_arg *a = &c->args[i];
    pt[i] = arg_type(g, a->kind);
    switch (a->kind) {
    case KP_A_PTR:
      av[i] = ref_ptr(e, a->ref);
      break;
    case KP_A_INT:
      av[i] = LLVMConstInt(g->i32, (unsigned long long)a->ival, 1);
      break;
    case KP_A_LONG:
    case KP_A_SIZE:
      av[i] = i64c(g, a->ival);
      break;
    case KP_A_REAL:
      av[i] = scalar(e, &a->val, g->T);
      break;
    case KP_A_U64:
      av[i] = a->val.kind == KP_S_IMM
                  ? LLVMConstInt(g->i64, (unsigned long long)(uint64_t)a->val.imm, 0)
                  : LLVMBuildFPToUI(g->b, scalar(e, &a->val, g->f64), g->i64, "");
      break;
    }
  }
  LLVMTypeRef fty = LLVMFunctionType(c->has_ret ? g->i64 : g->vd, pt, (unsigned)c->nargs, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(g->mod, c->fn);
  if (!fn)
    fn = LLVMAddFunction(g->mod, c->fn, fty);
  LLVMValueRef r = LLVMBuildCall2(g->b, fty, fn, av, (unsigned)c->nargs, "");
  if (c->has_ret)
    LLVMBuildStore(g->b, LLVMBuildSIToFP(g->b, r, g->T, ""), ref_ptr(e, c->ret));
  free(pt);
  free(av);
}

static void emit_loop(entry_ctx *e, const kp_loop *l) {
  cg_ctx *g = e->g;
  LLVMValueRef fn = cg_loop_fn(g, l);
  int np = l->nout + l->nin + 1;
  LLVMValueRef *av = malloc((size_t)np * sizeof *av);
  LLVMTypeRef *pt = malloc((size_t)np * sizeof *pt);
  if (!av || !pt)
    abort();
  for (int k = 0; k < l->nout; k++)
    av[k] = ref_ptr(e, l->out[k].ref);
  for (int k = 0; k < l->nin; k++)
    av[l->nout + k] = ref_ptr(e, l->in[k].ref);
  av[np - 1] = e->scalars;
  for (int k = 0; k < np; k++)
    pt[k] = g->ptr;
  LLVMBuildCall2(g->b, LLVMFunctionType(g->vd, pt, (unsigned)np, 0), fn, av, (unsigned)np, "");
  free(av);
  free(pt);
}

/* KP_IF: a branch on the condition (rounded to the real type; NaN is
 * nonzero, as in select) into a block that KP_END leaves for the join. */
static void emit_if(entry_ctx *e, const kp_if *c) {
  cg_ctx *g = e->g;
  LLVMValueRef v = scalar(e, &c->cond, g->T), zero = LLVMConstReal(g->T, 0);
  LLVMValueRef t = LLVMBuildFCmp(g->b, c->negate ? LLVMRealOEQ : LLVMRealUNE, v, zero, "");
  LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(g->ctx, e->fn, "then");
  LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, e->fn, "join");
  LLVMBuildCondBr(g->b, t, then, join);
  LLVMPositionBuilderAtEnd(g->b, then);
  e->join[e->nopen++] = join;
}

static void emit_end(entry_ctx *e) {
  LLVMBasicBlockRef join = e->join[--e->nopen];
  LLVMBuildBr(e->g->b, join);
  LLVMPositionBuilderAtEnd(e->g->b, join);
}

static void emit_entry(cg_ctx *g, int ei) {
  const kp_entry *en = &g->kp->entries[ei];
  char name[256];
  cg_entry_symbol(g->kp, ei, name, sizeof name);
  LLVMTypeRef pt[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->vd, pt, 4, 0));
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  entry_ctx e = {g,
                 fn,
                 LLVMGetParam(fn, 0),
                 LLVMGetParam(fn, 1),
                 LLVMGetParam(fn, 2),
                 LLVMGetParam(fn, 3),
                 0,
                 malloc((size_t)(en->ninstr + 1) * sizeof *e.join)};
  if (!e.join)
    abort();
  for (int i = 0; i < en->ninstr; i++) {
    const kp_instr *in = &en->instr[i];
    switch (in->kind) {
    case KP_LOOP:
      emit_loop(&e, &in->u.loop);
      break;
    case KP_CALL:
      emit_call(&e, &in->u.call);
      break;
    case KP_COPY:
      LLVMBuildMemCpy(g->b, ref_ptr(&e, in->u.copy.dst), 1, ref_ptr(&e, in->u.copy.src), 1,
                      i64c(g, in->u.copy.bytes));
      break;
    case KP_OUTPUT: {
      LLVMValueRef idx = i64c(g, in->u.out.index);
      /* a value of the real dtype, widened to double */
      LLVMValueRef v = scalar(&e, &in->u.out.value, g->T);
      if (!g->dbl)
        v = LLVMBuildFPExt(g->b, v, g->f64, "");
      LLVMBuildStore(g->b, v, LLVMBuildInBoundsGEP2(g->b, g->f64, e.outputs, &idx, 1, ""));
      break;
    }
    case KP_IF:
      emit_if(&e, &in->u.cond);
      break;
    case KP_END:
      emit_end(&e);
      break;
    }
  }
  free(e.join);
  LLVMBuildRetVoid(g->b);
}

LLVMModuleRef cg_build_module(LLVMContextRef ctx, const kp_program *kp) {
  cg_ctx g = {0};
  g.ctx = ctx;
  g.kp = kp;
  g.dbl = kp->real == KP_F64;
  g.mod = LLVMModuleCreateWithNameInContext("duet", ctx);
  g.b = LLVMCreateBuilderInContext(ctx);
  cg_init_types(&g);
  for (int i = 0; i < kp->nentries; i++)
    emit_entry(&g, i);
  cg_free_loops(&g);
  LLVMDisposeBuilder(g.b);
  return g.mod;
}

char *cg_llvm_emit_ir(const kp_program *kp, int optimize, char *err, size_t errlen) {
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod = cg_build_module(ctx, kp);
  char *text = NULL;
  LLVMTargetMachineRef tm = cg_host_machine(err, errlen);
  if (tm && (!optimize || cg_optimize(mod, tm, err, errlen) == 0)) {
    char *s = LLVMPrintModuleToString(mod);
    text = strdup(s);
    LLVMDisposeMessage(s);
  }
  if (tm)
    LLVMDisposeTargetMachine(tm);
  LLVMDisposeModule(mod);
  LLVMContextDispose(ctx);
  return text;
}
