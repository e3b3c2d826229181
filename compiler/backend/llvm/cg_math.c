/*
 * cg_math.c - LLVM IR for the scalar operations of fused loops, operation
 * for operation the definitions of kp_math.h (same constants, same order,
 * no fast-math), so results are bit-identical to them. exp is inlined and
 * branch-free so that loops using exp, tanh and sigmoid vectorize; log,
 * pow, sin and cos are LLVM intrinsics (libm).
 */
#include "cg_int.h"
#include "kp_math.h"

#include <assert.h>
#include <string.h>

void cg_init_types(cg_ctx *g) {
  g->T = g->dbl ? LLVMDoubleTypeInContext(g->ctx) : LLVMFloatTypeInContext(g->ctx);
  g->i1 = LLVMInt1TypeInContext(g->ctx);
  g->i8 = LLVMInt8TypeInContext(g->ctx);
  g->i32 = LLVMInt32TypeInContext(g->ctx);
  g->i64 = LLVMInt64TypeInContext(g->ctx);
  g->f64 = LLVMDoubleTypeInContext(g->ctx);
  g->ptr = LLVMPointerTypeInContext(g->ctx, 0);
  g->vd = LLVMVoidTypeInContext(g->ctx);
}

LLVMValueRef cg_intrinsic(cg_ctx *g, const char *name, LLVMTypeRef ty, int nargs,
                          LLVMValueRef *args) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  assert(id != 0);
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &ty, 1);
  LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, &ty, 1);
  return LLVMBuildCall2(g->b, fty, fn, args, (unsigned)nargs, "");
}

LLVMValueRef cg_real(cg_ctx *g, double v) { return LLVMConstReal(g->T, v); }

static LLVMValueRef intr1(cg_ctx *g, const char *name, LLVMValueRef x) {
  return cg_intrinsic(g, name, g->T, 1, &x);
}

static LLVMValueRef sel(cg_ctx *g, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b,
                        LLVMValueRef t, LLVMValueRef f) {
  return LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, p, a, b, ""), t, f, "");
}

static LLVMValueRef mul(cg_ctx *g, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFMul(g->b, a, b, "");
}

static LLVMValueRef add(cg_ctx *g, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFAdd(g->b, a, b, "");
}

static LLVMValueRef sub(cg_ctx *g, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFSub(g->b, a, b, "");
}

static LLVMValueRef divide(cg_ctx *g, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFDiv(g->b, a, b, "");
}

/* 2^k for an integer-valued real k whose magnitude keeps the exponent normal. */
static LLVMValueRef pow2(cg_ctx *g, LLVMValueRef ki, LLVMTypeRef ity) {
  long bias = g->dbl ? 1023 : 127, mbits = g->dbl ? 52 : 23;
  LLVMValueRef e = LLVMBuildAdd(g->b, ki, LLVMConstInt(ity, (unsigned long long)bias, 0), "");
  e = LLVMBuildShl(g->b, e, LLVMConstInt(ity, (unsigned long long)mbits, 0), "");
  return LLVMBuildBitCast(g->b, e, g->T, "");
}

/* exp(x) as kp_exp: x = k ln2 + r, |r| <= ln2/2, e^r by its Taylor
 * polynomial, times 2^k applied as two factors that stay normal over the
 * whole clamped range. */
static LLVMValueRef emit_exp(cg_ctx *g, LLVMValueRef x) {
  double lo = g->dbl ? KP_EXP_LO_f64 : KP_EXP_LO_f32, hi = g->dbl ? KP_EXP_HI_f64 : KP_EXP_HI_f32;
  double ln2_hi = g->dbl ? KP_LN2_HI_f64 : KP_LN2_HI_f32;
  double ln2_lo = g->dbl ? KP_LN2_LO_f64 : KP_LN2_LO_f32;
  int degree = g->dbl ? KP_EXP_DEG_f64 : KP_EXP_DEG_f32;
  LLVMTypeRef ity = g->dbl ? g->i64 : g->i32;
  x = sel(g, LLVMRealOLT, x, cg_real(g, lo), cg_real(g, lo), x);
  x = sel(g, LLVMRealOGT, x, cg_real(g, hi), cg_real(g, hi), x);
  LLVMValueRef k = intr1(g, "llvm.rint", mul(g, x, cg_real(g, KP_LOG2E)));
  k = sel(g, LLVMRealUNO, x, x, cg_real(g, 0), k);
  LLVMValueRef r = sub(g, sub(g, x, mul(g, k, cg_real(g, ln2_hi))), mul(g, k, cg_real(g, ln2_lo)));
  LLVMValueRef p = cg_real(g, KP_EXP_COEF[degree]);
  for (int i = degree - 1; i >= 0; i--)
    p = add(g, mul(g, p, r), cg_real(g, KP_EXP_COEF[i]));
  LLVMValueRef ki = LLVMBuildFPToSI(g->b, k, ity, "");
  LLVMValueRef k1 = LLVMBuildAShr(g->b, ki, LLVMConstInt(ity, 1, 0), "");
  LLVMValueRef k2 = LLVMBuildSub(g->b, ki, k1, "");
  return mul(g, mul(g, p, pow2(g, k1, ity)), pow2(g, k2, ity));
}

/* tanh as kp_tanh: double sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}); float
 * the rational x P(x^2) / Q(x^2) on x clamped to [-9, 9], clamped to
 * [-1, 1], and x itself where |x| is tiny. */
static LLVMValueRef emit_tanh(cg_ctx *g, LLVMValueRef x) {
  if (!g->dbl) {
    const double c = KP_TANH_CLAMP_f32, p0 = KP_TANH_P[0];
    LLVMValueRef y = sel(g, LLVMRealOLT, x, cg_real(g, -c), cg_real(g, -c), x);
    y = sel(g, LLVMRealOGT, y, cg_real(g, c), cg_real(g, c), y);
    LLVMValueRef y2 = mul(g, y, y), p = cg_real(g, KP_TANH_P[6] / p0),
                 q = cg_real(g, KP_TANH_Q[3] / p0);
    for (int i = 5; i >= 0; i--)
      p = add(g, mul(g, p, y2), cg_real(g, KP_TANH_P[i] / p0));
    for (int i = 2; i >= 0; i--)
      q = add(g, mul(g, q, y2), cg_real(g, KP_TANH_Q[i] / p0));
    LLVMValueRef r = divide(g, mul(g, p, y), q), one = cg_real(g, 1), mone = cg_real(g, -1);
    r = sel(g, LLVMRealOGT, r, one, one, r);
    r = sel(g, LLVMRealOLT, r, mone, mone, r);
    return sel(g, LLVMRealOLT, intr1(g, "llvm.fabs", x), cg_real(g, KP_TANH_TINY_f32), x, r);
  }
  LLVMValueRef t = emit_exp(g, mul(g, cg_real(g, -2), intr1(g, "llvm.fabs", x)));
  LLVMValueRef r = divide(g, sub(g, cg_real(g, 1), t), add(g, cg_real(g, 1), t));
  LLVMValueRef args[2] = {r, x};
  return cg_intrinsic(g, "llvm.copysign", g->T, 2, args);
}

static LLVMValueRef flag(cg_ctx *g, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildUIToFP(g->b, LLVMBuildFCmp(g->b, p, a, b, ""), g->T, "");
}

LLVMValueRef cg_math(cg_ctx *g, kp_eop op, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef zero = cg_real(g, 0), one = cg_real(g, 1);
  switch (op) {
  case KP_E_NEG:
    return LLVMBuildFNeg(g->b, a, "");
  case KP_E_EXP:
    return emit_exp(g, a);
  case KP_E_LOG:
    return intr1(g, "llvm.log", a);
  case KP_E_SQRT:
    return intr1(g, "llvm.sqrt", a);
  case KP_E_RSQRT:
    return divide(g, one, intr1(g, "llvm.sqrt", a));
  case KP_E_TANH:
    return emit_tanh(g, a);
  case KP_E_SIGMOID:
    return divide(g, one, add(g, one, emit_exp(g, LLVMBuildFNeg(g->b, a, ""))));
  case KP_E_ABS:
    return intr1(g, "llvm.fabs", a);
  case KP_E_SIGN:
    return sub(g, flag(g, LLVMRealOGT, a, zero), flag(g, LLVMRealOLT, a, zero));
  case KP_E_RELU:
    return sel(g, LLVMRealOGT, a, zero, a, zero);
  case KP_E_SQUARE:
    return mul(g, a, a);
  case KP_E_RECIP:
    return divide(g, one, a);
  case KP_E_SIN:
    return intr1(g, "llvm.sin", a);
  case KP_E_COS:
    return intr1(g, "llvm.cos", a);
  case KP_E_ADD:
    return add(g, a, b);
  case KP_E_SUB:
    return sub(g, a, b);
  case KP_E_MUL:
    return mul(g, a, b);
  case KP_E_DIV:
    return divide(g, a, b);
  case KP_E_MAX:
    return sel(g, LLVMRealOGE, a, b, a, b);
  case KP_E_MIN:
    return sel(g, LLVMRealOLE, a, b, a, b);
  case KP_E_POW: {
    LLVMValueRef args[2] = {a, b};
    return cg_intrinsic(g, "llvm.pow", g->T, 2, args);
  }
  case KP_E_LT:
    return flag(g, LLVMRealOLT, a, b);
  case KP_E_LE:
    return flag(g, LLVMRealOLE, a, b);
  case KP_E_GT:
    return flag(g, LLVMRealOGT, a, b);
  case KP_E_GE:
    return flag(g, LLVMRealOGE, a, b);
  case KP_E_EQ:
    return flag(g, LLVMRealOEQ, a, b);
  case KP_E_NE:
    return flag(g, LLVMRealUNE, a, b);
  case KP_E_SELECT:
    return sel(g, LLVMRealUNE, a, zero, b, c);
  default:
    assert(0);
    return NULL;
  }
}
