/*
 * test_lower.c - lowering: an elementwise chain with broadcasts becomes one
 * loop, a reduction absorbs its elementwise producer, a cheap value with
 * several consumers is recomputed in their loops (an expensive one is
 * stored, by the loop of a consumer over its elements unless a use needs it
 * in memory first, and not at all when nothing reads it from memory), a
 * long chain of temporaries reuses arena ranges, and assignments
 * have simultaneous-update semantics (swaps, reads of old values) while
 * computing in place when safe; an evaluation's class scores are found, and
 * its entry up to them (core_compile_predict) leaves them in the arena;
 * a guarded region becomes a branch around its instructions, merged by a
 * select, and a read of a region's value outside a merge is rejected;
 * rope and attention between split_heads and merge_heads read and write
 * strided views (no copy).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "tc.h"

static int count_kind(const kp_entry *e, kp_kind k) {
  int n = 0;
  for (int i = 0; i < e->ninstr; i++)
    n += e->instr[i].kind == k;
  return n;
}

/* Y := relu(x * a + b) * c with x [R, C], a [C], b [R, C], c a scalar input. */
static void test_fused_chain(check_ctx *t) {
  enum { R = 33, C = 70 };
  ir_program *p = ir_program_new(IR_F32);
  long xs[2] = {R, C}, as[1] = {C};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", IR_F32, 2, xs));
  int ia = tc_decl(p, ir_input(p, "a", IR_F32, 1, as));
  int ib = tc_decl(p, ir_input(p, "b", IR_F32, 2, xs));
  int ic = tc_decl(p, ir_scalar(p, "c"));
  int iy = tc_decl(p, ir_state(p, "Y", 2, xs, zero));
  ir_graph *g = ir_entry(p, "f");
  ir_node *x = ir_input_ref(g, ix), *a = ir_input_ref(g, ia), *b = ir_input_ref(g, ib);
  ir_node *y = ir_mul(g, ir_unary(g, IR_RELU, ir_add(g, ir_mul(g, x, a), b)), ir_scalar_ref(g, ic));
  check(t, ir_assign_add(g, iy, tc_ok(g, y)) == 0, "assign: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, e->ninstr == 1 && e->instr[0].kind == KP_LOOP,
        "relu(x*a+b)*c: expected 1 loop instruction, got %d instructions", e->ninstr);
  if (e->ninstr == 1)
    check(t, e->instr[0].u.loop.nin == 3 && e->instr[0].u.loop.rank == 2,
          "fused loop: expected 3 inputs and rank 2, got %d and %d", e->instr[0].u.loop.nin,
          e->instr[0].u.loop.rank);
  float *xv = malloc(sizeof(float) * R * C), *av = malloc(sizeof(float) * C),
        *bv = malloc(sizeof(float) * R * C);
  tc_fill_f(t, xv, R * C, -1, 1);
  tc_fill_f(t, av, C, -1, 1);
  tc_fill_f(t, bv, R * C, -1, 1);
  double cv = 1.5;
  void *in[3] = {xv, av, bv};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, &cv, NULL);
  float *Y = core_tensor_data(exe, arena, "Y", NULL);
  double worst = 0;
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) {
      float v = xv[i * C + j] * av[j] + bv[i * C + j];
      double want = (v > 0 ? v : 0) * (float)cv;
      worst = fmax(worst, fabs(Y[i * C + j] - want));
    }
  check(t, worst <= 1e-6, "fused chain values: max error %g", worst);
  printf("fused chain: %d instruction(s), max error %g\n", e->ninstr, worst);
  free(arena);
  free(xv);
  free(av);
  free(bv);
  core_free(exe);
  ir_program_free(p);
}

/* s = sum over rows of (x - m)^2: one reduction loop with the square fused. */
static void test_fused_reduction(check_ctx *t) {
  enum { R = 17, C = 40 };
  ir_program *p = ir_program_new(IR_F64);
  long xs[2] = {R, C}, ms[1] = {C};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", IR_F64, 2, xs));
  int is = tc_decl(p, ir_state(p, "S", 1, ms, zero));
  ir_graph *g = ir_entry(p, "f");
  ir_node *x = ir_input_ref(g, ix);
  int ax0 = 0;
  ir_node *m = ir_mean(g, x, 1, &ax0, 1);
  ir_node *d = ir_unary(g, IR_SQUARE, ir_sub(g, x, m));
  ir_node *s = ir_sum(g, d, 1, &ax0, 0);
  check(t, ir_assign_add(g, is, tc_ok(g, s)) == 0, "assign");
  ir_node *tot = ir_sum_all(g, x);
  check(t, ir_output_add(g, "total", tc_ok(g, tot)) == 0, "output");
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  int sums = 0;
  for (int i = 0; i < e->ninstr; i++)
    sums += e->instr[i].kind == KP_LOOP && e->instr[i].u.loop.reduce == KP_SUM;
  /* mean (sum + scale), variance sum with (x - m)^2 fused, total */
  check(t, sums == 3 && count_kind(e, KP_LOOP) == 4,
        "expected 3 sum loops of 4 loops, got %d of %d", sums, count_kind(e, KP_LOOP));
  double *xv = malloc(sizeof(double) * R * C), out = 0;
  tc_fill(t, xv, R * C, -2, 2);
  void *in[1] = {xv};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, &out);
  double *S = core_tensor_data(exe, arena, "S", NULL), total = 0, worst = 0;
  for (int j = 0; j < C; j++) {
    double mu = 0, v = 0;
    for (int i = 0; i < R; i++)
      mu += xv[i * C + j] / R;
    for (int i = 0; i < R; i++)
      v += (xv[i * C + j] - mu) * (xv[i * C + j] - mu);
    worst = fmax(worst, fabs(S[j] - v));
  }
  for (int i = 0; i < R * C; i++)
    total += xv[i];
  check(t, worst < 1e-12, "column variances: max error %g", worst);
  check_close(t, out, total, 1e-12, "sum of all elements");
  free(arena);
  free(xv);
  core_free(exe);
  ir_program_free(p);
}

static int count_outputs(const kp_entry *e, int nout) {
  int n = 0;
  for (int i = 0; i < e->ninstr; i++)
    n += e->instr[i].kind == KP_LOOP && e->instr[i].u.loop.nout == nout;
  return n;
}

/* a = 3x feeds P := exp(a) and Q := a + x: recomputed in both loops;
 * b = tanh(x) feeds R := b + 1 and S := 2b: stored once, by the loop of R
 * (its second output). 2 + 2 loops. */
static void test_recompute(check_ctx *t) {
  enum { N = 37 };
  ir_program *p = ir_program_new(IR_F32);
  long s[1] = {N};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", IR_F32, 1, s));
  const char *names[4] = {"P", "Q", "R", "S"};
  int out[4];
  for (int k = 0; k < 4; k++)
    out[k] = tc_decl(p, ir_state(p, names[k], 1, s, zero));
  ir_graph *g = ir_entry(p, "f");
  ir_node *x = ir_input_ref(g, ix);
  ir_node *a = ir_scale(g, 3, x), *b = ir_unary(g, IR_TANH, x);
  ir_assign_add(g, out[0], ir_unary(g, IR_EXP, a));
  ir_assign_add(g, out[1], ir_add(g, a, x));
  ir_assign_add(g, out[2], ir_add(g, b, ir_const(g, 1)));
  ir_assign_add(g, out[3], ir_scale(g, 2, b));
  check(t, g->nassigns == 4, "4 assignments: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, count_kind(e, KP_LOOP) == 4 && e->ninstr == 4 && count_outputs(e, 2) == 1,
        "3x recomputed, tanh(x) stored with R: expected 4 loops, one of 2 outputs, got %d of %d "
        "instructions, %d of 2 outputs",
        count_kind(e, KP_LOOP), e->ninstr, count_outputs(e, 2));
  float xv[N];
  tc_fill_f(t, xv, N, -1, 1);
  void *in[1] = {xv};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, NULL);
  double worst = 0;
  for (int i = 0; i < N; i++) {
    double want[4] = {exp(3.0 * xv[i]), 4.0 * xv[i], tanh(xv[i]) + 1, 2 * tanh(xv[i])};
    for (int k = 0; k < 4; k++) {
      float got = ((float *)core_tensor_data(exe, arena, names[k], NULL))[i];
      worst = fmax(worst, fabs(got - want[k]) / fmax(1, fabs(want[k])));
    }
  }
  check(t, worst <= 1e-5, "recomputed values: max relative error %g", worst);
  printf("recompute: %d loops, max relative error %g\n", count_kind(e, KP_LOOP), worst);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* t = tanh(x) feeds H := x (1 + t) and T := t, as GELU's forward keeps t
 * for its backward: one loop with two outputs, both written in place of
 * the tensors. With S := sum(t) lowered before H, the reduction needs t in
 * memory first: t gets its own loop, which H's loop reads. */
static void test_stored_with_consumer(check_ctx *t) {
  enum { N = 300 };
  for (int with_sum = 0; with_sum < 2; with_sum++) {
    ir_program *p = ir_program_new(IR_F32);
    long s[1] = {N}, one[1] = {1};
    ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
    int ix = tc_decl(p, ir_input(p, "x", IR_F32, 1, s));
    int iH = tc_decl(p, ir_state(p, "H", 1, s, zero));
    int iT = tc_decl(p, ir_state(p, "T", 1, s, zero));
    int iS = tc_decl(p, ir_state(p, "S", 1, one, zero));
    ir_graph *g = ir_entry(p, "f");
    ir_node *x = ir_input_ref(g, ix), *th = ir_unary(g, IR_TANH, x);
    if (with_sum)
      ir_assign_add(g, iS, ir_reshape(g, ir_sum_all(g, th), 1, one));
    ir_assign_add(g, iH, ir_mul(g, x, ir_add(g, ir_const(g, 1), th)));
    ir_assign_add(g, iT, th);
    check(t, g->nassigns == 2 + with_sum, "assignments: %s", ir_error(g));
    core_exe *exe = tc_compile(p);
    const kp_program *kp = core_kernels(exe);
    const kp_entry *e = &kp->entries[0];
    if (!with_sum) {
      check(t, e->ninstr == 1 && count_outputs(e, 2) == 1,
            "tanh stored with its consumer: expected 1 loop of 2 outputs, got %d instructions",
            e->ninstr);
      if (e->ninstr == 1) {
        const kp_loop *l = &e->instr[0].u.loop;
        long offH = kp->tensors[kp_find_tensor(kp, "H")].off;
        long offT = kp->tensors[kp_find_tensor(kp, "T")].off;
        check(t, l->nin == 1 && l->out[0].ref.off == offH && l->out[1].ref.off == offT,
              "the loop reads x alone and writes H and T in place");
        check(t, l->expr[l->out_expr[1]].op == KP_E_TANH, "its second output is tanh(x)");
      }
    } else {
      check(t, count_kind(e, KP_LOOP) == 3 && count_outputs(e, 1) == 3,
            "tanh read by a sum first: expected 3 single-output loops, got %d loops",
            count_kind(e, KP_LOOP));
    }
    float xv[N];
    tc_fill_f(t, xv, N, -2, 2);
    void *in[1] = {xv};
    char *arena = core_arena_alloc(exe);
    core_run(exe, 0, arena, in, NULL, NULL);
    const float *H = core_tensor_data(exe, arena, "H", NULL);
    const float *T = core_tensor_data(exe, arena, "T", NULL);
    double worst = 0, sum = 0;
    for (int i = 0; i < N; i++) {
      double th_i = tanh(xv[i]);
      sum += th_i;
      worst = fmax(worst, fabs(H[i] - xv[i] * (1 + th_i)));
      worst = fmax(worst, fabs(T[i] - th_i));
    }
    if (with_sum)
      worst = fmax(worst, fabs(*(const float *)core_tensor_data(exe, arena, "S", NULL) - sum) / N);
    check(t, worst <= 1e-5, "stored with consumer (sum %d): max error %g", with_sum, worst);
    printf("stored with consumer (sum %d): %d instructions, max error %g\n", with_sum, e->ninstr,
           worst);
    free(arena);
    core_free(exe);
    ir_program_free(p);
  }
}

/* b = tanh(x) is stored (two uses, a transcendental cost), but both of
 * its uses are in the loop of Y := b * b + x: that loop computes it and
 * nothing reads it from memory, so it is not stored at all. */
static void test_unread_output(check_ctx *t) {
  enum { N = 50 };
  ir_program *p = ir_program_new(IR_F64);
  long s[1] = {N};
  int ix = tc_decl(p, ir_input(p, "x", IR_F64, 1, s));
  int iy = tc_decl(p, ir_state(p, "Y", 1, s, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  ir_graph *g = ir_entry(p, "f");
  ir_node *x = ir_input_ref(g, ix), *b = ir_unary(g, IR_TANH, x);
  ir_assign_add(g, iy, tc_ok(g, ir_add(g, ir_mul(g, b, b), x)));
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, e->ninstr == 1 && count_outputs(e, 1) == 1 && e->temp_bytes == 0,
        "tanh used twice in one loop: expected 1 loop of 1 output and no temporaries, got %d "
        "instructions, %ld bytes",
        e->ninstr, e->temp_bytes);
  double xv[N];
  tc_fill(t, xv, N, -2, 2);
  void *in[1] = {xv};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, NULL);
  const double *Y = core_tensor_data(exe, arena, "Y", NULL);
  double worst = 0;
  for (int i = 0; i < N; i++)
    worst = fmax(worst, fabs(Y[i] - (tanh(xv[i]) * tanh(xv[i]) + xv[i])));
  check(t, worst <= 1e-14, "unread output: max error %g", worst);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* h <- tanh(h @ W_i) for L layers: 2L temporaries of [N, D], few live at once. */
static void test_arena_reuse(check_ctx *t) {
  enum { N = 32, D = 48, L = 12 };
  ir_program *p = ir_program_new(IR_F64);
  long hs[2] = {N, D}, ws[2] = {D, D};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", IR_F64, 2, hs));
  int iw = tc_decl(p, ir_input(p, "W", IR_F64, 2, ws));
  int io = tc_decl(p, ir_state(p, "out", 2, hs, zero));
  ir_graph *g = ir_entry(p, "f");
  ir_node *h = ir_input_ref(g, ix), *w = ir_input_ref(g, iw);
  for (int i = 0; i < L; i++)
    h = ir_unary(g, IR_TANH, ir_matmul(g, h, w, 0, 0));
  check(t, ir_assign_add(g, io, tc_ok(g, h)) == 0, "assign");
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  long one = (long)sizeof(double) * N * D, sum = 2L * L * one;
  check(t, e->temp_bytes <= 3 * one && e->temp_bytes < sum / 4,
        "arena reuse: temporaries take %ld bytes for %ld bytes of values (one = %ld)",
        e->temp_bytes, sum, one);
  printf("arena: %ld bytes of temporaries for %d values of %ld bytes (sum %ld)\n", e->temp_bytes,
         2 * L, one, sum);
  double *xv = malloc(sizeof(double) * N * D), *wv = malloc(sizeof(double) * D * D);
  double *ref = malloc(sizeof(double) * N * D), *tmp = malloc(sizeof(double) * N * D);
  tc_fill(t, xv, N * D, -1, 1);
  tc_fill(t, wv, D * D, -0.3, 0.3);
  memcpy(ref, xv, sizeof(double) * N * D);
  for (int l = 0; l < L; l++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < D; j++) {
        double s = 0;
        for (int k = 0; k < D; k++)
          s += ref[i * D + k] * wv[k * D + j];
        tmp[i * D + j] = tanh(s);
      }
    memcpy(ref, tmp, sizeof(double) * N * D);
  }
  void *in[2] = {xv, wv};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, NULL);
  double *out = core_tensor_data(exe, arena, "out", NULL), worst = 0;
  for (int i = 0; i < N * D; i++)
    worst = fmax(worst, fabs(out[i] - ref[i]));
  check(t, worst < 1e-12, "tanh-matmul chain: max error %g", worst);
  free(arena);
  free(xv);
  free(wv);
  free(ref);
  free(tmp);
  core_free(exe);
  ir_program_free(p);
}

/* A := B, B := A (swap); C := 2 C + A (reads old A); D := C (old C);
 * E := E + 1 computed in place. */
static void test_simultaneous(check_ctx *t) {
  enum { N = 9 };
  ir_program *p = ir_program_new(IR_F32);
  long s[1] = {N};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int A = tc_decl(p, ir_state(p, "A", 1, s, zero)), B = tc_decl(p, ir_state(p, "B", 1, s, zero));
  int C = tc_decl(p, ir_state(p, "C", 1, s, zero)), D = tc_decl(p, ir_state(p, "D", 1, s, zero));
  int E = tc_decl(p, ir_state(p, "E", 1, s, zero));
  ir_graph *g = ir_entry(p, "step");
  ir_assign_add(g, A, ir_tensor_ref(g, B));
  ir_assign_add(g, B, ir_tensor_ref(g, A));
  ir_assign_add(g, C, ir_add(g, ir_scale(g, 2, ir_tensor_ref(g, C)), ir_tensor_ref(g, A)));
  ir_assign_add(g, D, ir_tensor_ref(g, C));
  ir_assign_add(g, E, ir_add(g, ir_tensor_ref(g, E), ir_const(g, 1)));
  check(t, g->nassigns == 5, "5 assignments: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  float *v[5];
  const char *names[5] = {"A", "B", "C", "D", "E"};
  for (int k = 0; k < 5; k++) {
    v[k] = core_tensor_data(exe, arena, names[k], NULL);
    for (int i = 0; i < N; i++)
      v[k][i] = (float)(10 * k + i);
  }
  core_run(exe, 0, arena, NULL, NULL, NULL);
  int ok = 1;
  for (int i = 0; i < N; i++) {
    ok &= v[0][i] == 10 + i && v[1][i] == i;
    ok &= v[2][i] == 2 * (20 + i) + i && v[3][i] == 20 + i && v[4][i] == 40 + i + 1;
  }
  check(t, ok, "simultaneous assignments: A=%g B=%g C=%g D=%g E=%g at 0", v[0][0], v[1][0], v[2][0],
        v[3][0], v[4][0]);
  /* E := E + 1 reads E only at the element it writes: no write-back copy */
  const kp_entry *e = &core_kernels(exe)->entries[0];
  const kp_tensor *te = &core_kernels(exe)->tensors[4];
  int direct = 0;
  for (int i = 0; i < e->ninstr; i++)
    direct |= e->instr[i].kind == KP_LOOP && e->instr[i].u.loop.out[0].ref.off == te->off;
  check(t, direct, "E := E + 1 should be computed in place");
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* S := x for a large input: a plain copy (memcpy resolved from the process). */
static void test_large_copy(check_ctx *t) {
  enum { N = 300000 };
  ir_program *p = ir_program_new(IR_F32);
  long s[1] = {N};
  int ix = tc_decl(p, ir_input(p, "x", IR_F32, 1, s));
  int is = tc_decl(p, ir_state(p, "S", 1, s, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  ir_graph *g = ir_entry(p, "f");
  ir_assign_add(g, is, ir_input_ref(g, ix));
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, e->ninstr == 1 && e->instr[0].kind == KP_COPY, "input assignment is one copy");
  float *x = malloc(sizeof(float) * N);
  tc_fill_f(t, x, N, -1, 1);
  void *in[1] = {x};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, NULL);
  check(t, memcmp(core_tensor_data(exe, arena, "S", NULL), x, sizeof(float) * N) == 0,
        "copied input");
  free(x);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* eval: loss and correct count of scores = x W^T. kp_entry_scores finds the
 * scores; "eval_scores" runs the instructions before them only and leaves
 * them in the arena, with the values of x W^T. */
static void test_scores_entry(check_ctx *t) {
  enum { B = 5, D = 7, K = 4 };
  ir_program *p = ir_program_new(IR_F32);
  long xs[2] = {B, D}, ys[1] = {B}, ws[2] = {K, D};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", IR_F32, 2, xs));
  int iy = tc_decl(p, ir_input(p, "y", IR_I32, 1, ys));
  int iw = tc_decl(p, ir_param(p, "W", 2, ws, zero));
  ir_graph *g = ir_entry(p, "eval");
  ir_node *scores = ir_matmul(g, ir_input_ref(g, ix), ir_tensor_ref(g, iw), 0, 1);
  ir_node *y = ir_input_ref(g, iy);
  check(t,
        ir_output_add(g, "loss", tc_ok(g, ir_softmax_xent(g, scores, y))) == 0 &&
            ir_output_add(g, "correct", tc_ok(g, ir_count_correct(g, scores, y))) == 0,
        "outputs: %s", ir_error(g));
  char err[256];
  core_exe *exe = core_compile_predict(p, err, sizeof err);
  check(t, exe != NULL, "core_compile_predict: %s", err);
  if (!exe) {
    ir_program_free(p);
    return;
  }
  const kp_program *kp = core_kernels(exe);
  int whole = core_entry(exe, "eval"), part = core_entry(exe, "eval_scores");
  kp_scores at = {0};
  check(t, whole >= 0 && part >= 0 && kp_entry_scores(&kp->entries[whole], &at),
        "eval has class scores and an entry eval_scores");
  if (part < 0 || whole < 0) {
    core_free(exe);
    ir_program_free(p);
    return;
  }
  check(t,
        at.rows == B && at.classes == K && kp->entries[part].ninstr == at.split &&
            kp->entries[part].noutputs == 0 && !kp_entry_scores(&kp->entries[part], &at),
        "scores %ld x %ld; eval_scores: instructions before them (%d of %d), no outputs", at.rows,
        at.classes, kp->entries[part].ninstr, kp->entries[whole].ninstr);
  float xv[B * D];
  int32_t yv[B] = {0};
  tc_fill_f(t, xv, B * D, -1, 1);
  char *arena = core_arena_alloc(exe);
  float *W = core_tensor_data(exe, arena, "W", NULL);
  tc_fill_f(t, W, K * D, -1, 1);
  void *in[2] = {xv, yv};
  core_run(exe, part, arena, in, NULL, NULL);
  const float *got = (const float *)(arena + at.off);
  double worst = 0;
  for (int i = 0; i < B; i++)
    for (int k = 0; k < K; k++) {
      double want = 0;
      for (int j = 0; j < D; j++)
        want += (double)xv[i * D + j] * W[k * D + j];
      worst = fmax(worst, fabs(got[i * K + k] - want));
    }
  check(t, worst <= 1e-5, "eval_scores leaves x W^T in the arena: max error %g", worst);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* A region of g on `due` = count + 1 >= 3 holding S @ S (a runtime call);
 * returns S @ S, and count + 1 in *c. */
static ir_node *guarded_square(check_ctx *t, ir_graph *g, int is, int ic, ir_node **c,
                               ir_node **due) {
  *c = ir_add(g, ir_tensor_ref(g, ic), ir_const(g, 1));
  *due = ir_binary(g, IR_GE, *c, ir_const(g, 3));
  check(t, ir_region_begin(g, *due, 0) == 1, "region 1: %s", ir_error(g));
  ir_node *s = ir_tensor_ref(g, is);
  ir_node *sq = tc_ok(g, ir_matmul(g, s, s, 0, 0));
  ir_region_end(g);
  return sq;
}

/* Every 3rd call, P := S @ S, in a region; count restarts then. Between
 * KP_IF and KP_END sits the GEMM and only it; P keeps its value on the
 * other calls and takes S @ S on the 3rd and 6th. A node outside the
 * region that reads its value without merging it fails verification. */
static void test_guarded(check_ctx *t) {
  enum { N = 6 };
  long ms[2] = {N, N};
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0}, uniform = {IR_INIT_UNIFORM, -1, 1, 0};
  ir_program *p = ir_program_new(IR_F32), *q = ir_program_new(IR_F32);
  int is = tc_decl(q, ir_state(q, "S", 2, ms, uniform));
  int ip = tc_decl(q, ir_state(q, "P", 2, ms, zero));
  int ic = tc_decl(q, ir_state(q, "count", 0, NULL, zero));
  ir_graph *g = ir_entry(q, "bad");
  ir_node *c, *due, *sq = guarded_square(t, g, is, ic, &c, &due);
  ir_assign_add(g, ip, ir_add(g, sq, ir_const(g, 1)));
  check(t, ir_verify(g) < 0 && strstr(ir_error(g), "inside region 1"),
        "a read outside the merge is rejected: %s", ir_error(g));
  ir_program_free(q);
  is = tc_decl(p, ir_state(p, "S", 2, ms, uniform));
  ip = tc_decl(p, ir_state(p, "P", 2, ms, zero));
  ic = tc_decl(p, ir_state(p, "count", 0, NULL, zero));
  g = ir_entry(p, "f");
  sq = guarded_square(t, g, is, ic, &c, &due);
  ir_assign_add(g, ip, tc_ok(g, ir_select(g, due, sq, ir_tensor_ref(g, ip))));
  ir_assign_add(g, ic, tc_ok(g, ir_select(g, due, ir_const(g, 0), c)));
  check(t, ir_build_init(p) != NULL, "init: %s", p->err);
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[core_entry(exe, "f")];
  int at_if = -1, at_end = -1, at_call = -1;
  for (int i = 0; i < e->ninstr; i++) {
    kp_kind k = e->instr[i].kind;
    at_if = k == KP_IF && at_if < 0 ? i : at_if;
    at_end = k == KP_END && at_end < 0 ? i : at_end;
    at_call = k == KP_CALL && at_call < 0 ? i : at_call;
  }
  check(t,
        count_kind(e, KP_IF) == 1 && count_kind(e, KP_END) == 1 && at_if >= 0 &&
            at_call == at_if + 1 && at_end == at_if + 2,
        "the GEMM alone between KP_IF and KP_END: if at %d, call at %d, end at %d", at_if, at_call,
        at_end);
  char *arena = core_arena_alloc(exe);
  double seed = 3;
  core_run(exe, core_entry(exe, "init"), arena, NULL, &seed, NULL);
  const float *S = core_tensor_data(exe, arena, "S", NULL);
  float *P = core_tensor_data(exe, arena, "P", NULL);
  for (int call = 1; call <= 6; call++) {
    core_run(exe, core_entry(exe, "f"), arena, NULL, NULL, NULL);
    double worst = 0;
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        double want = 0;
        for (int k = 0; call % 3 == 0 && k < N; k++)
          want += (double)S[i * N + k] * S[k * N + j];
        worst = fmax(worst, fabs(P[i * N + j] - want));
      }
    check(t, worst <= 1e-5, "call %d: P is %s (max error %g)", call,
          call % 3 == 0 ? "S @ S" : "still 0", worst);
    if (call % 3 == 0)
      memset(P, 0, sizeof(float) * N * N);
  }
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* [B, T, H, D] viewed as [B, H, T, D] (split_heads; also its inverse). */
static ir_node *swap_heads(ir_graph *g, ir_node *x) {
  static const int perm[4] = {0, 2, 1, 3};
  return ir_permute(g, x, perm);
}

/* Y := merge_heads(rope(split_heads(x))) with x [B, T, H * D]: rope reads
 * split_heads' view and writes its result laid out for merge_heads, which
 * is the assignment's source: one call, no copy, writing Y in place. */
static void test_rope_views(check_ctx *t) {
  enum { B = 2, T = 5, H = 3, D = 4 };
  const double base = 100;
  ir_program *p = ir_program_new(IR_F64);
  long xs[3] = {B, T, H * D}, hs[4] = {B, T, H, D};
  int ix = tc_decl(p, ir_input(p, "x", IR_F64, 3, xs));
  int iy = tc_decl(p, ir_state(p, "Y", 3, xs, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  ir_graph *g = ir_entry(p, "f");
  ir_node *q = swap_heads(g, ir_reshape(g, ir_input_ref(g, ix), 4, hs));
  ir_node *y = ir_reshape(g, swap_heads(g, tc_ok(g, ir_rope(g, q, base))), 3, xs);
  check(t, ir_assign_add(g, iy, tc_ok(g, y)) == 0, "assign: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, e->ninstr == 1 && e->instr[0].kind == KP_CALL,
        "rope on views: expected the call alone, got %d instructions (%d loops, %d copies)",
        e->ninstr, count_kind(e, KP_LOOP), count_kind(e, KP_COPY));
  double *x = malloc(sizeof(double) * B * T * H * D);
  tc_fill(t, x, B * T * H * D, -1, 1);
  void *in[1] = {x};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, NULL);
  const double *Y = core_tensor_data(exe, arena, "Y", NULL);
  double worst = 0;
  for (int b = 0; b < B; b++)
    for (int tt = 0; tt < T; tt++)
      for (int h = 0; h < H; h++)
        for (int i = 0; i < D / 2; i++) {
          const long at = (((long)b * T + tt) * H + h) * D + 2 * i;
          const double th = tt * pow(base, -2.0 * i / D);
          worst = fmax(worst, fabs(Y[at] - (x[at] * cos(th) - x[at + 1] * sin(th))));
          worst = fmax(worst, fabs(Y[at + 1] - (x[at] * sin(th) + x[at + 1] * cos(th))));
        }
  check(t, worst <= 1e-14, "rope on views: max error %g", worst);
  printf("rope on views: %d instruction(s), max error %g\n", e->ninstr, worst);
  free(arena);
  free(x);
  core_free(exe);
  ir_program_free(p);
}

/* Y := merge_heads(attention(split_heads(x), split_heads(x), split_heads(z)))
 * with x, z [B, T, H * D], causal: attention reads the three views and
 * writes its output laid out for merge_heads, the assignment's source: one
 * call, no copy. Values against naive loops. */
static void test_attention_views(check_ctx *t) {
  enum { B = 2, T = 5, H = 3, D = 4 };
  ir_program *p = ir_program_new(IR_F64);
  long xs[3] = {B, T, H * D}, hs[4] = {B, T, H, D};
  int ix = tc_decl(p, ir_input(p, "x", IR_F64, 3, xs));
  int iz = tc_decl(p, ir_input(p, "z", IR_F64, 3, xs));
  int iy = tc_decl(p, ir_state(p, "Y", 3, xs, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  ir_graph *g = ir_entry(p, "f");
  ir_node *q = swap_heads(g, ir_reshape(g, ir_input_ref(g, ix), 4, hs));
  ir_node *v = swap_heads(g, ir_reshape(g, ir_input_ref(g, iz), 4, hs));
  ir_node *att = tc_ok(g, ir_attention(g, q, q, v, 0.5, 1)); /* its output */
  ir_node *y = ir_reshape(g, swap_heads(g, att), 3, xs);
  check(t, ir_assign_add(g, iy, tc_ok(g, y)) == 0, "assign: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  const kp_entry *e = &core_kernels(exe)->entries[0];
  check(t, e->ninstr == 1 && e->instr[0].kind == KP_CALL,
        "attention on views: expected the call alone, got %d instructions (%d loops, %d copies)",
        e->ninstr, count_kind(e, KP_LOOP), count_kind(e, KP_COPY));
  double *x = malloc(sizeof(double) * B * T * H * D), *z = malloc(sizeof(double) * B * T * H * D);
  tc_fill(t, x, B * T * H * D, -1, 1);
  tc_fill(t, z, B * T * H * D, -1, 1);
  void *in[2] = {x, z};
  char *arena = core_arena_alloc(exe);
  core_run(exe, 0, arena, in, NULL, NULL);
  const double *Y = core_tensor_data(exe, arena, "Y", NULL);
  double worst = 0;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < T; i++) {
        double w[T], m = -INFINITY, sum = 0;
        for (int j = 0; j <= i; j++) {
          w[j] = 0;
          for (int d = 0; d < D; d++)
            w[j] += 0.5 * x[((b * T + i) * H + h) * D + d] * x[((b * T + j) * H + h) * D + d];
          m = fmax(m, w[j]);
        }
        for (int j = 0; j <= i; j++)
          sum += w[j] = exp(w[j] - m);
        for (int d = 0; d < D; d++) {
          double o = 0;
          for (int j = 0; j <= i; j++)
            o += w[j] / sum * z[((b * T + j) * H + h) * D + d];
          worst = fmax(worst, fabs(Y[((b * T + i) * H + h) * D + d] - o));
        }
      }
  check(t, worst <= 1e-14, "attention on views: max error %g", worst);
  printf("attention on views: %d instruction(s), max error %g\n", e->ninstr, worst);
  free(arena);
  free(x);
  free(z);
  core_free(exe);
  ir_program_free(p);
}

/* c = u + v + w (three buffers) feeds P := 2c and Q := c + 1: stored
 * once, by P's loop, and Q reads it alone; d = u + v (two buffers) feeding
 * P and Q is recomputed in both loops. */
static void test_gathered_sum(check_ctx *t) {
  enum { N = 41 };
  for (int three = 0; three < 2; three++) {
    ir_program *p = ir_program_new(IR_F32);
    long s[1] = {N};
    ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
    int iu = tc_decl(p, ir_input(p, "u", IR_F32, 1, s));
    int iv = tc_decl(p, ir_input(p, "v", IR_F32, 1, s));
    int iw = tc_decl(p, ir_input(p, "w", IR_F32, 1, s));
    int op = tc_decl(p, ir_state(p, "P", 1, s, zero)),
        oq = tc_decl(p, ir_state(p, "Q", 1, s, zero));
    ir_graph *g = ir_entry(p, "f");
    ir_node *sum = ir_add(g, ir_input_ref(g, iu), ir_input_ref(g, iv));
    if (three)
      sum = ir_add(g, sum, ir_input_ref(g, iw));
    ir_assign_add(g, op, ir_scale(g, 2, sum));
    ir_assign_add(g, oq, ir_add(g, sum, ir_const(g, 1)));
    core_exe *exe = tc_compile(p);
    const kp_entry *e = &core_kernels(exe)->entries[0];
    int reads = 0;
    for (int i = 0; i < e->ninstr; i++)
      reads += e->instr[i].kind == KP_LOOP ? e->instr[i].u.loop.nin : 0;
    /* three: u, v, w by P's loop and c by Q's (recomputed: 3 + 3); two: u, v by each */
    const int want_reads = three ? 3 + 1 : 2 + 2;
    check(
        t, count_kind(e, KP_LOOP) == 2 && count_outputs(e, 2) == three && reads == want_reads,
        "sum of %d buffers used twice: expected 2 loops, %d of 2 outputs, %d reads; got %d loops, "
        "%d of 2 outputs, %d reads",
        three ? 3 : 2, three, want_reads, count_kind(e, KP_LOOP), count_outputs(e, 2), reads);
    float u[N], v[N], w[N];
    tc_fill_f(t, u, N, -1, 1);
    tc_fill_f(t, v, N, -1, 1);
    tc_fill_f(t, w, N, -1, 1);
    void *in[3] = {u, v, w};
    char *arena = core_arena_alloc(exe);
    core_run(exe, 0, arena, in, NULL, NULL);
    double worst = 0;
    const float *P = core_tensor_data(exe, arena, "P", NULL),
                *Q = core_tensor_data(exe, arena, "Q", NULL);
    for (int i = 0; i < N; i++) {
      double c = (double)u[i] + v[i] + (three ? w[i] : 0);
      worst = fmax(worst, fmax(fabs(P[i] - 2 * c), fabs(Q[i] - (c + 1))));
    }
    check(t, worst <= 1e-6, "sum of %d buffers: max error %g", three ? 3 : 2, worst);
    free(arena);
    core_free(exe);
    ir_program_free(p);
  }
}

int main(void) {
  check_ctx t = {.rng = 42};
  test_scores_entry(&t);
  test_fused_chain(&t);
  test_fused_reduction(&t);
  test_recompute(&t);
  test_gathered_sum(&t);
  test_stored_with_consumer(&t);
  test_unread_output(&t);
  test_arena_reuse(&t);
  test_simultaneous(&t);
  test_large_copy(&t);
  test_guarded(&t);
  test_rope_views(&t);
  test_attention_views(&t);
  return check_done(&t, "test_lower");
}
