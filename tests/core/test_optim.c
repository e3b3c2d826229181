/*
 * test_optim.c - optimizer steps written with the builder (state tensors,
 * simultaneous assignments, scalar inputs lr and t) against hand-written C
 * loops on the same data, for three consecutive steps, to 1e-6 relative:
 * SGD with momentum, AdamW with and without bias correction (each step
 * one loop that updates the weight and its state in place, one output per
 * tensor: the new moments are stored by the weight's loop), and a
 * Newton-Schulz (polar_ns) step compared with calling rt_polar_ns directly.
 * The bias corrections 1 - beta^t depend on scalars only: the program
 * evaluates them in double and rounds once (kp.h, derived scalars), and so
 * does the reference.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"
#include "tc.h"

enum { R = 24, C = 40, STEPS = 3 };

#define BETA 0.9
#define B1   0.9
#define B2   0.999
#define EPS  1e-8
#define WD   0.01

typedef struct opt_prog {
  ir_program *p;
  core_exe *exe;
  char *arena;
  int W, G; /* parameter, per-step gradient input */
} opt_prog;

static void setup(opt_prog *o, int nstate) {
  o->p = ir_program_new(IR_F32);
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  long s[2] = {R, C};
  o->W = tc_decl(o->p, ir_param(o->p, "W", 2, s, zero));
  for (int i = 0; i < nstate; i++)
    tc_decl(o->p, ir_state(o->p, i ? "v" : "m", 2, s, zero));
  o->G = tc_decl(o->p, ir_input(o->p, "G", IR_F32, 2, s));
  tc_decl(o->p, ir_scalar(o->p, "lr"));
  tc_decl(o->p, ir_scalar(o->p, "t"));
}

static void finish(opt_prog *o) {
  o->exe = tc_compile(o->p);
  o->arena = core_arena_alloc(o->exe);
}

static void release(opt_prog *o) {
  free(o->arena);
  core_free(o->exe);
  ir_program_free(o->p);
}

static ir_node *K(ir_graph *g, double v) { return ir_const(g, v); }

/* m := beta m + G; W := W - lr m(new) */
static void build_sgd(opt_prog *o) {
  setup(o, 1);
  ir_graph *g = ir_entry(o->p, "step");
  ir_node *m = ir_add(g, ir_scale(g, BETA, ir_tensor_ref(g, 1)), ir_input_ref(g, o->G));
  ir_assign_add(g, 1, m);
  ir_assign_add(g, o->W, ir_sub(g, ir_tensor_ref(g, o->W), ir_mul(g, ir_scalar_ref(g, 0), m)));
  tc_ok(g, g->nassigns == 2 ? m : NULL);
  finish(o);
}

/* AdamW: m, v moments; bias correction with the step counter t */
static void build_adamw(opt_prog *o, int bias_correction) {
  setup(o, 2);
  ir_graph *g = ir_entry(o->p, "step");
  ir_node *G = ir_input_ref(g, o->G), *t = ir_scalar_ref(g, 1), *W = ir_tensor_ref(g, o->W);
  ir_node *m = ir_add(g, ir_scale(g, B1, ir_tensor_ref(g, 1)), ir_scale(g, 1 - B1, G));
  ir_node *v = ir_add(g, ir_scale(g, B2, ir_tensor_ref(g, 2)),
                      ir_scale(g, 1 - B2, ir_unary(g, IR_SQUARE, G)));
  ir_node *mh = m, *vh = v;
  if (bias_correction) {
    mh = ir_div(g, m, ir_sub(g, K(g, 1), ir_binary(g, IR_POW, K(g, B1), t)));
    vh = ir_div(g, v, ir_sub(g, K(g, 1), ir_binary(g, IR_POW, K(g, B2), t)));
  }
  ir_node *u = ir_div(g, mh, ir_add(g, ir_unary(g, IR_SQRT, vh), K(g, EPS)));
  ir_node *step = ir_mul(g, ir_scalar_ref(g, 0), ir_add(g, u, ir_scale(g, WD, W)));
  ir_assign_add(g, 1, m);
  ir_assign_add(g, 2, v);
  ir_assign_add(g, o->W, tc_ok(g, ir_sub(g, W, step)));
  finish(o);
}

static void ref_sgd(float *W, float *m, const float *G, double lr) {
  for (int i = 0; i < R * C; i++) {
    m[i] = (float)BETA * m[i] + G[i];
    W[i] = W[i] - (float)lr * m[i];
  }
}

static void ref_adamw(float *W, float *m, float *v, const float *G, double lr, double t, int bc) {
  float c1 = bc ? (float)(1 - pow(B1, t)) : 1, c2 = bc ? (float)(1 - pow(B2, t)) : 1;
  for (int i = 0; i < R * C; i++) {
    m[i] = (float)B1 * m[i] + (float)(1 - B1) * G[i];
    v[i] = (float)B2 * v[i] + (float)(1 - B2) * (G[i] * G[i]);
    float u = (m[i] / c1) / (sqrtf(v[i] / c2) + (float)EPS);
    W[i] = W[i] - (float)lr * (u + (float)WD * W[i]);
  }
}

static double max_rel(const float *a, const float *b, long n) {
  double worst = 0;
  for (long i = 0; i < n; i++)
    worst = fmax(worst, fabs(a[i] - b[i]) / fmax(fabs(b[i]), 1e-3));
  return worst;
}

/* Runs STEPS steps of the compiled optimizer and of the reference. */
static void check_optimizer(check_ctx *t, const char *name, opt_prog *o, int nstate, int bc) {
  const kp_program *kp = core_kernels(o->exe);
  const kp_entry *e = &kp->entries[0];
  int one = e->ninstr == 1 && e->instr[0].kind == KP_LOOP && e->instr[0].u.loop.nout == 1 + nstate;
  check(t, one, "%s: expected one loop of %d outputs, got %d instructions", name, 1 + nstate,
        e->ninstr);
  for (int k = 0; one && k <= nstate; k++) {
    const char *tn = k ? (k == 1 ? "m" : "v") : "W";
    int written = 0;
    for (int j = 0; j < e->instr[0].u.loop.nout; j++)
      written |= e->instr[0].u.loop.out[j].ref.off == kp->tensors[kp_find_tensor(kp, tn)].off;
    check(t, written, "%s: the loop writes %s in place", name, tn);
  }
  float *W = core_tensor_data(o->exe, o->arena, "W", NULL);
  float rW[R * C], rs[2][R * C], G[R * C];
  tc_fill_f(t, W, R * C, -1, 1);
  memcpy(rW, W, sizeof rW);
  memset(rs, 0, sizeof rs);
  double worst = 0;
  for (int s = 1; s <= STEPS; s++) {
    tc_fill_f(t, G, R * C, -1, 1);
    double sc[2] = {0.01 * s, s};
    void *in[1] = {G};
    core_run(o->exe, 0, o->arena, in, sc, NULL);
    if (nstate == 1)
      ref_sgd(rW, rs[0], G, sc[0]);
    else
      ref_adamw(rW, rs[0], rs[1], G, sc[0], sc[1], bc);
    worst = fmax(worst, max_rel(W, rW, R * C));
    for (int k = 0; k < nstate; k++)
      worst = fmax(worst,
                   max_rel(core_tensor_data(o->exe, o->arena, k ? "v" : "m", NULL), rs[k], R * C));
  }
  check(t, worst <= 1e-6, "%s: max relative error over %d steps %g", name, STEPS, worst);
  printf("%-28s %d steps, max relative error %.2e\n", name, STEPS, worst);
}

/* W := W - lr * polar_ns(G) in precision p for a batch of 2 matrices of
 * an f32 program, against rt_polar_ns_bf16_f32 (bf16), rt_polar_ns_f32
 * (f32) and, rounded, rt_polar_ns_f64 on the same matrices (f64). */
static void check_polar(check_ctx *t, int m, int n, rt_ns_precision prec) {
  ir_program *p = ir_program_new(IR_F32);
  long s[3] = {2, m, n};
  int W = tc_decl(p, ir_param(p, "W", 3, s, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  int iG = tc_decl(p, ir_input(p, "G", IR_F32, 3, s));
  ir_graph *g = ir_entry(p, "step");
  ir_node *X = ir_polar_ns(g, ir_input_ref(g, iG), RT_NS_MUON5, 5, 1e-7, prec);
  ir_assign_add(g, W, tc_ok(g, ir_sub(g, ir_tensor_ref(g, W), ir_scale(g, 0.05, X))));
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  long cnt = 2L * m * n;
  float *Wv = core_tensor_data(exe, arena, "W", NULL);
  float *G = malloc(sizeof(float) * (size_t)cnt), *ref = malloc(sizeof(float) * (size_t)cnt);
  float *ws = malloc(sizeof(float) * rt_polar_ns_bf16_ws_f32(m, n) +
                     sizeof(double) * rt_polar_ns_ws_f64(m, n));
  tc_fill_f(t, Wv, cnt, -1, 1);
  tc_fill_f(t, G, cnt, -1, 1);
  if (prec == RT_NS_F64) {
    double *g = malloc(sizeof(double) * (size_t)cnt);
    for (long i = 0; i < cnt; i++)
      g[i] = G[i];
    rt_polar_ns_f64(g, g, 2, m, n, RT_NS_MUON5, 5, 1e-7, (double *)ws);
    for (long i = 0; i < cnt; i++)
      ref[i] = (float)g[i];
    free(g);
  } else {
    (prec == RT_NS_BF16 ? rt_polar_ns_bf16_f32 : rt_polar_ns_f32)(G, ref, 2, m, n, RT_NS_MUON5, 5,
                                                                  1e-7f, ws);
  }
  for (long i = 0; i < cnt; i++)
    ref[i] = Wv[i] - 0.05f * ref[i];
  void *in[1] = {G};
  core_run(exe, 0, arena, in, NULL, NULL);
  double err = max_rel(Wv, ref, cnt);
  static const char *const names[] = {"bf16", "f32", "f64"};
  check(t, err <= 1e-6, "polar_ns %s step [2, %d, %d]: max relative error %g", names[prec], m, n,
        err);
  printf("polar_ns %s step [2, %d, %d]: max relative error %.2e\n", names[prec], m, n, err);
  free(G);
  free(ref);
  free(ws);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

int main(void) {
  check_ctx t = {.rng = 11};
  opt_prog o;
  build_sgd(&o);
  check_optimizer(&t, "SGD momentum", &o, 1, 0);
  release(&o);
  build_adamw(&o, 1);
  check_optimizer(&t, "AdamW (bias correction)", &o, 2, 1);
  release(&o);
  build_adamw(&o, 0);
  check_optimizer(&t, "AdamW (no bias correction)", &o, 2, 0);
  release(&o);
  for (int p = 0; p < RT_NS_PRECISIONS; p++) {
    check_polar(&t, 16, 24, (rt_ns_precision)p);
    check_polar(&t, 24, 16, (rt_ns_precision)p);
  }
  return check_done(&t, "test_optim");
}
