/*
 * test_math.c - the JIT's scalar operations are bit-identical to the
 * reference definitions in kp_math.h (float and double, including special
 * values), operations on scalars alone in a float program give the double
 * result rounded once (derived scalars, kp.h), the reference exp/tanh are
 * within a few ulps of libm, and reductions over the innermost axis follow
 * the lane order fixed in kp.h bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kp_math.h"
#include "tc.h"

enum { N = 4096 };

static const ir_op UNARY[] = {IR_NEG, IR_EXP,  IR_LOG,  IR_SQRT,   IR_RSQRT, IR_TANH, IR_SIGMOID,
                              IR_ABS, IR_SIGN, IR_RELU, IR_SQUARE, IR_RECIP, IR_SIN,  IR_COS};
static const ir_op BINARY[] = {IR_ADD, IR_SUB, IR_MUL, IR_DIV, IR_MAX, IR_MIN, IR_POW,
                               IR_LT,  IR_LE,  IR_GT,  IR_GE,  IR_EQ,  IR_NE,  IR_SELECT};
#define NU ((int)(sizeof UNARY / sizeof UNARY[0]))
#define NB ((int)(sizeof BINARY / sizeof BINARY[0]))

static const double SPECIAL[] = {0.0,       -0.0, 1e-30, -1e-30, 1e-8,   88.5, 89.5,  -87.5,
                                 -104.5,    700,  710,   -745,   -746.5, 1e10, -1e10, INFINITY,
                                 -INFINITY, NAN,  1,     -1,     0.5,    2};
#define NS ((int)(sizeof SPECIAL / sizeof SPECIAL[0]))

/* Reference value of operation op (kp_math.h semantics) in double or float. */
#define REF(T, S, SQRT, FABS)           \
  static T ref##S(ir_op op, T a, T b) { \
    switch (op) {                       \
    case IR_NEG:                        \
      return -a;                        \
    case IR_EXP:                        \
      return kp_exp##S(a);              \
    case IR_LOG:                        \
      return kp_log##S(a);              \
    case IR_SQRT:                       \
      return SQRT(a);                   \
    case IR_RSQRT:                      \
      return kp_rsqrt##S(a);            \
    case IR_TANH:                       \
      return kp_tanh##S(a);             \
    case IR_SIGMOID:                    \
      return kp_sigmoid##S(a);          \
    case IR_ABS:                        \
      return FABS(a);                   \
    case IR_SIGN:                       \
      return kp_sign##S(a);             \
    case IR_RELU:                       \
      return kp_relu##S(a);             \
    case IR_SQUARE:                     \
      return a * a;                     \
    case IR_RECIP:                      \
      return (T)1 / a;                  \
    case IR_SIN:                        \
      return kp_sin##S(a);              \
    case IR_COS:                        \
      return kp_cos##S(a);              \
    case IR_ADD:                        \
      return a + b;                     \
    case IR_SUB:                        \
      return a - b;                     \
    case IR_MUL:                        \
      return a * b;                     \
    case IR_DIV:                        \
      return a / b;                     \
    case IR_MAX:                        \
      return kp_max##S(a, b);           \
    case IR_MIN:                        \
      return kp_min##S(a, b);           \
    case IR_POW:                        \
      return kp_pow##S(a, b);           \
    case IR_LT:                         \
      return (T)(a < b);                \
    case IR_LE:                         \
      return (T)(a <= b);               \
    case IR_GT:                         \
      return (T)(a > b);                \
    case IR_GE:                         \
      return (T)(a >= b);               \
    case IR_EQ:                         \
      return (T)(a == b);               \
    case IR_NE:                         \
      return (T)(a != b);               \
    case IR_SELECT:                     \
      return a != 0 ? b : a;            \
    default:                            \
      return 0;                         \
    }                                   \
  }
REF(float, _f32, sqrtf, fabsf)
REF(double, _f64, sqrt, fabs)

static double input_value(check_ctx *t, int i, int which) {
  if (i < NS * NS)
    return SPECIAL[which ? i / NS : i % NS];
  return check_uniform(t, -6, 6) * (i % 7 == 0 ? 30 : 1);
}

/* Same value, or both NaN. */
static int same(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void check_elementwise(check_ctx *t, ir_dtype dt) {
  ir_program *p = ir_program_new(dt);
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  long n[1] = {N};
  int ia = tc_decl(p, ir_input(p, "a", dt, 1, n)), ib = tc_decl(p, ir_input(p, "b", dt, 1, n));
  ir_graph *g = ir_entry(p, "ops");
  for (int k = 0; k < NU + NB; k++) {
    ir_op op = k < NU ? UNARY[k] : BINARY[k - NU];
    int s = tc_decl(p, ir_state(p, ir_op_name(op), 1, n, zero));
    ir_node *a = ir_input_ref(g, ia), *b = ir_input_ref(g, ib), *y;
    if (op == IR_SELECT)
      y = ir_select(g, a, b, a);
    else
      y = k < NU ? ir_unary(g, op, a) : ir_binary(g, op, a, b);
    ir_assign_add(g, s, tc_ok(g, y));
  }
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  int f32 = dt == IR_F32;
  size_t es = f32 ? 4 : 8;
  char *av = malloc(es * N), *bv = malloc(es * N);
  for (int i = 0; i < N; i++) {
    double x = input_value(t, i, 0), y = input_value(t, i, 1);
    if (f32) {
      ((float *)av)[i] = (float)x;
      ((float *)bv)[i] = (float)y;
    } else {
      ((double *)av)[i] = x;
      ((double *)bv)[i] = y;
    }
  }
  void *in[2] = {av, bv};
  core_run(exe, 0, arena, in, NULL, NULL);
  for (int k = 0; k < NU + NB; k++) {
    ir_op op = k < NU ? UNARY[k] : BINARY[k - NU];
    char *out = core_tensor_data(exe, arena, ir_op_name(op), NULL);
    int bad = 0, first = -1;
    for (int i = 0; i < N; i++) {
      double got, want;
      if (f32) {
        got = ((float *)out)[i];
        want = ref_f32(op, ((float *)av)[i], ((float *)bv)[i]);
      } else {
        got = ((double *)out)[i];
        want = ref_f64(op, ((double *)av)[i], ((double *)bv)[i]);
      }
      if (!same(got, want) && bad++ == 0)
        first = i;
    }
    double a0 = first < 0 ? 0 : f32 ? ((float *)av)[first] : ((double *)av)[first];
    check(t, bad == 0, "%s %s: %d of %d values differ from kp_math.h (first at a = %.17g)",
          ir_dtype_name(dt), ir_op_name(op), bad, N, a0);
  }
  printf("%s: %d operations bit-identical to kp_math.h on %d inputs\n", ir_dtype_name(dt), NU + NB,
         N);
  free(av);
  free(bv);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* Every operation on the scalar inputs a and b of a float program, as an
 * output: the double operation rounded to float once. */
static void check_derived(check_ctx *t) {
  ir_program *p = ir_program_new(IR_F32);
  int sa = tc_decl(p, ir_scalar(p, "a")), sb = tc_decl(p, ir_scalar(p, "b"));
  ir_graph *g = ir_entry(p, "ops");
  for (int k = 0; k < NU + NB; k++) {
    ir_op op = k < NU ? UNARY[k] : BINARY[k - NU];
    ir_node *a = ir_scalar_ref(g, sa), *b = ir_scalar_ref(g, sb), *y;
    if (op == IR_SELECT)
      y = ir_select(g, a, b, a);
    else
      y = k < NU ? ir_unary(g, op, a) : ir_binary(g, op, a, b);
    tc_ok(g, y);
    ir_output_add(g, ir_op_name(op), y);
  }
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, e->nderived == NU + NB && e->ninstr == NU + NB,
        "one derived scalar per operation and only outputs (%d, %d instructions)", e->nderived,
        e->ninstr);
  int bad = 0;
  double out[NU + NB];
  for (int i = 0; i < N; i++) {
    double ab[2] = {input_value(t, i, 0), input_value(t, i, 1)};
    core_run(exe, 0, NULL, NULL, ab, out);
    for (int k = 0; k < NU + NB; k++) {
      ir_op op = k < NU ? UNARY[k] : BINARY[k - NU];
      double want = (float)ref_f64(op, ab[0], ab[1]);
      if (!same(out[k], want) && bad++ == 0)
        check(t, 0, "%s(%.17g, %.17g) = %.9g, expected %.9g", ir_op_name(op), ab[0], ab[1], out[k],
              want);
    }
  }
  check(t, bad == 0, "derived scalars: %d of %d values differ from double rounded once", bad,
        N * (NU + NB));
  printf("f32: %d operations on scalars alone are the double results rounded once on %d "
         "inputs\n",
         NU + NB, N);
  core_free(exe);
  ir_program_free(p);
}

/* The reference exp and tanh against libm, in units of the dtype's epsilon. */
static void check_accuracy(check_ctx *t) {
  double e32 = 0, e64 = 0, t32 = 0, t64 = 0;
  for (int i = 0; i <= 200000; i++) {
    double x = -87 + 175.0 * i / 200000, y = -700 + 1400.0 * i / 200000,
           z = -10 + 20.0 * i / 200000;
    e32 = fmax(e32, fabs(kp_exp_f32((float)x) - exp((float)x)) / exp((float)x));
    e64 = fmax(e64, fabs(kp_exp_f64(y) - exp(y)) / exp(y));
    t32 = fmax(t32, fabs(kp_tanh_f32((float)z) - tanh((float)z)));
    t64 = fmax(t64, fabs(kp_tanh_f64(z) - tanh(z)));
  }
  printf("exp relative error: f32 %.2g, f64 %.2g; tanh absolute error: f32 %.2g, f64 %.2g\n", e32,
         e64, t32, t64);
  check(t, e32 < 4e-7 && e64 < 8e-16, "exp accuracy: f32 %g, f64 %g", e32, e64);
  check(t, t32 < 4e-7 && t64 < 8e-16, "tanh accuracy: f32 %g, f64 %g", t32, t64);
  check(t, kp_exp_f32(-104.5f) == 0 && isinf(kp_exp_f32(89.5f)) && isnan(kp_exp_f64(NAN)),
        "exp limits");
  /* float tanh relative to tanh of the same float, in units in the last
   * place of the result, over every third float in [2^-12, 10] (an odd
   * function; below 2^-12 it is x itself, off by x^2/3 relative) */
  double ulps = 0;
  uint32_t lo, hi;
  memcpy(&lo, &(float){0x1p-12f}, sizeof lo);
  memcpy(&hi, &(float){10.0f}, sizeof hi);
  for (uint32_t bits = lo; bits <= hi; bits += 3) {
    float x;
    memcpy(&x, &bits, sizeof x);
    const double want = tanh((double)x);
    ulps = fmax(ulps, fabs(kp_tanh_f32(x) - want) / ldexp(1.0, ilogb((float)want) - 23));
  }
  printf("tanh f32 error relative to tanh: %.2f ulp\n", ulps);
  check(t, ulps <= 6.5, "tanh f32 relative accuracy: %.2f ulp", ulps);
  check(t, kp_tanh_f32(INFINITY) == 1 && kp_tanh_f32(-INFINITY) == -1 &&
               isnan(kp_tanh_f32(NAN)) && kp_tanh_f32(1e-30f) == 1e-30f &&
               kp_tanh_f32(-0.0f) == 0 && signbit(kp_tanh_f32(-0.0f)),
        "tanh limits");
}

/* Rows of lengths 5, 13 and 1000 summed and maximized over the last axis. */
static void check_reduction(check_ctx *t, long len) {
  enum { R = 3 };
  ir_program *p = ir_program_new(IR_F32);
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", IR_F32, 2, (long[]){R, len}));
  int is = tc_decl(p, ir_state(p, "s", 1, (long[]){R}, zero));
  int im = tc_decl(p, ir_state(p, "m", 1, (long[]){R}, zero));
  ir_graph *g = ir_entry(p, "f");
  int last = -1;
  ir_node *x = ir_input_ref(g, ix);
  ir_assign_add(g, is, ir_sum(g, ir_mul(g, x, x), 1, &last, 0));
  ir_assign_add(g, im, tc_ok(g, ir_max(g, x, 1, &last, 0)));
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  float *xv = malloc(sizeof(float) * (size_t)(R * len));
  tc_fill_f(t, xv, R * len, -3, 3);
  void *in[1] = {xv};
  core_run(exe, 0, arena, in, NULL, NULL);
  const float *s = core_tensor_data(exe, arena, "s", NULL),
              *m = core_tensor_data(exe, arena, "m", NULL);
  int ok = 1;
  for (int r = 0; r < R; r++) {
    float acc[KP_LANES], mx[KP_LANES];
    for (int j = 0; j < KP_LANES; j++) {
      acc[j] = 0;
      mx[j] = -INFINITY;
    }
    for (long i = 0; i < len; i++) {
      float v = xv[r * len + i];
      acc[i % KP_LANES] += v * v;
      mx[i % KP_LANES] = kp_max_f32(mx[i % KP_LANES], v);
    }
    for (int w = 1; w < KP_LANES; w *= 2)
      for (int j = 0; j < KP_LANES; j += 2 * w) {
        acc[j] += acc[j + w];
        mx[j] = kp_max_f32(mx[j], mx[j + w]);
      }
    float want_s = 0 + acc[0], want_m = kp_max_f32(-INFINITY, mx[0]);
    ok &= memcmp(&s[r], &want_s, 4) == 0 && memcmp(&m[r], &want_m, 4) == 0;
  }
  check(t, ok, "row reductions of length %ld differ from the lane order of kp.h", len);
  free(xv);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

int main(void) {
  check_ctx t = {.rng = 9};
  check_elementwise(&t, IR_F32);
  check_elementwise(&t, IR_F64);
  check_derived(&t);
  check_accuracy(&t);
  check_reduction(&t, 5);
  check_reduction(&t, 13);
  check_reduction(&t, 1000);
  return check_done(&t, "test_math");
}
