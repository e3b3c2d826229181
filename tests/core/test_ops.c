/*
 * test_ops.c - forward values of lowered operations against direct
 * computations: polar_svd, spectral_norm and spd_pow against the runtime
 * kernels; a next-token language-model loss built from int32 slices of one
 * token tensor (strided index views copied for the runtime) against C;
 * scalar outputs of constants and scalar inputs; the initializers
 * (determinism in the seed, per-tap orthogonal conv weights, normal and
 * uniform statistics); and argmax, topk and one_hot against an insertion
 * sort of each row (ties and NaN included), their int32 results feeding
 * one_hot and an embedding, in both dtypes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cg_llvm.h"
#include "lower.h"
#include "rt_kernels.h"
#include "tc.h"

static double max_abs_diff(const double *a, const double *b, long n) {
  double w = 0;
  for (long i = 0; i < n; i++)
    w = fmax(w, fabs(a[i] - b[i]));
  return w;
}

/* polar_svd(G), spectral_norm(G) (summed into an output) and spd_pow(A). */
static void test_matrix_functions(check_ctx *t) {
  enum { B = 2, M = 5, N = 7 };
  ir_program *p = ir_program_new(IR_F64);
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int iG = tc_decl(p, ir_input(p, "G", IR_F64, 3, (long[]){B, M, N}));
  int iX = tc_decl(p, ir_state(p, "X", 3, (long[]){B, M, N}, zero));
  int iP = tc_decl(p, ir_state(p, "P", 3, (long[]){B, M, M}, zero));
  ir_graph *g = ir_entry(p, "f");
  ir_node *G = ir_input_ref(g, iG);
  ir_assign_add(g, iX, ir_polar_svd(g, G));
  /* A = G G^T + I is symmetric positive definite */
  ir_node *A = ir_add(g, ir_matmul(g, G, G, 0, 1), ir_const(g, 0));
  ir_node *eye = ir_input_ref(g, tc_decl(p, ir_input(p, "I", IR_F64, 2, (long[]){M, M})));
  ir_assign_add(g, iP, ir_spd_pow(g, ir_add(g, A, eye), -0.5, 1e-12));
  ir_node *norms = ir_spectral_norm(g, G);
  ir_output_add(g, "sn0", tc_ok(g, ir_reshape(g, ir_slice(g, norms, 0, 0, 1), 0, NULL)));
  ir_output_add(g, "sn1", tc_ok(g, ir_reshape(g, ir_slice(g, norms, 0, 1, 1), 0, NULL)));
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  double Gv[B * M * N], I[M * M] = {0}, out[2];
  tc_fill(t, Gv, B * M * N, -1, 1);
  for (int i = 0; i < M; i++)
    I[i * M + i] = 1;
  void *in[2] = {Gv, I};
  core_run(exe, 0, arena, in, NULL, out);

  double X[B * M * N], Apd[B * M * M], P[B * M * M], sn[B];
  double *ws = malloc(sizeof(double) * (rt_polar_svd_ws_f64(M, N) + rt_spectral_norm_ws_f64(M, N) +
                                        rt_spd_pow_ws_f64(M)));
  rt_polar_svd_f64(Gv, X, B, M, N, ws);
  rt_spectral_norm_f64(Gv, sn, B, M, N, ws);
  for (int b = 0; b < B; b++)
    for (int i = 0; i < M; i++)
      for (int j = 0; j < M; j++) {
        double s = i == j;
        for (int k = 0; k < N; k++)
          s += Gv[(b * M + i) * N + k] * Gv[(b * M + j) * N + k];
        Apd[(b * M + i) * M + j] = s;
      }
  rt_spd_pow_f64(Apd, P, B, M, -0.5, 1e-12, ws);
  double ex = max_abs_diff(core_tensor_data(exe, arena, "X", NULL), X, B * M * N);
  double ep = max_abs_diff(core_tensor_data(exe, arena, "P", NULL), P, B * M * M);
  check(t, ex < 1e-12, "polar_svd: max difference %g", ex);
  check(t, ep < 1e-10, "spd_pow: max difference %g", ep);
  check_close(t, out[0], sn[0], 1e-12, "spectral_norm[0]");
  check_close(t, out[1], sn[1], 1e-12, "spectral_norm[1]");
  printf("polar_svd %.1e, spd_pow %.1e, spectral norms %.6f %.6f\n", ex, ep, out[0], out[1]);
  free(ws);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* tokens [B, T+1]: x = tokens[:, :T], y = tokens[:, 1:]; logits = E[x] E^T. */
static void test_next_token(check_ctx *t) {
  enum { B = 3, T = 6, V = 11, D = 4 };
  ir_program *p = ir_program_new(IR_F64);
  int iE = tc_decl(p, ir_param(p, "E", 2, (long[]){V, D}, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  int itok = tc_decl(p, ir_input(p, "tokens", IR_I32, 2, (long[]){B, T + 1}));
  int ic = tc_decl(p, ir_scalar(p, "c"));
  ir_graph *g = ir_entry(p, "loss");
  ir_node *tok = ir_input_ref(g, itok), *E = ir_tensor_ref(g, iE);
  ir_node *x = ir_slice(g, tok, 1, 0, T), *y = ir_slice(g, tok, 1, 1, T);
  ir_node *h = ir_embedding(g, E, x);         /* [B, T, D] */
  ir_node *logits = ir_matmul(g, h, E, 0, 1); /* [B, T, V] */
  ir_node *l2 = ir_reshape(g, logits, 2, (long[]){B * T, V});
  ir_node *y1 = ir_reshape(g, y, 1, (long[]){B * T});
  ir_output_add(g, "loss", tc_ok(g, ir_softmax_xent(g, l2, y1)));
  ir_output_add(g, "two_c", ir_scale(g, 2, ir_scalar_ref(g, ic)));
  ir_output_add(g, "c", ir_scalar_ref(g, ic));
  ir_output_add(g, "pi", ir_const(g, 3.25));
  check(t, g->noutputs == 4, "outputs: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  double *Ev = core_tensor_data(exe, arena, "E", NULL);
  tc_fill(t, Ev, V * D, -1, 1);
  int32_t tokv[B * (T + 1)];
  for (int i = 0; i < B * (T + 1); i++)
    tokv[i] = (int32_t)check_uniform(t, 0, V);
  void *in[1] = {tokv};
  double c = 1.25, out[4];
  core_run(exe, 0, arena, in, &c, out);
  double ref = 0;
  for (int b = 0; b < B; b++)
    for (int s = 0; s < T; s++) {
      const double *e = Ev + D * tokv[b * (T + 1) + s];
      double z[V], mx = -INFINITY, sum = 0;
      for (int v = 0; v < V; v++) {
        z[v] = 0;
        for (int k = 0; k < D; k++)
          z[v] += e[k] * Ev[v * D + k];
        mx = fmax(mx, z[v]);
      }
      for (int v = 0; v < V; v++)
        sum += exp(z[v] - mx);
      ref += (log(sum) + mx - z[tokv[b * (T + 1) + s + 1]]) / (B * T);
    }
  check_close(t, out[0], ref, 1e-12, "next-token loss");
  check(t, out[1] == 2.5 && out[2] == 1.25 && out[3] == 3.25,
        "scalar outputs: 2c = %g, c = %g, const = %g", out[1], out[2], out[3]);
  printf("next-token loss %.9f (reference %.9f)\n", out[0], ref);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

/* Initializers: normal, uniform, orthogonal per tap of a conv weight. */
static ir_program *init_program(void) {
  ir_program *p = ir_program_new(IR_F32);
  ir_param(p, "N", 1, (long[]){20000}, (ir_init){IR_INIT_NORMAL, 0.5, 0, 0});
  ir_param(p, "U", 1, (long[]){20000}, (ir_init){IR_INIT_UNIFORM, -2, 1, 0});
  ir_param(p, "K", 4, (long[]){6, 4, 3, 3}, (ir_init){IR_INIT_ORTHOGONAL, 2, 0, 0xC});
  ir_state(p, "m", 2, (long[]){3, 3}, (ir_init){IR_INIT_ONES, 0, 0, 0});
  ir_build_init(p);
  return p;
}

static void test_init(check_ctx *t) {
  ir_program *p = init_program();
  core_exe *exe = tc_compile(p);
  char *a = core_arena_alloc(exe), *b = core_arena_alloc(exe), *c = core_arena_alloc(exe);
  core_init(exe, a, 7);
  core_init(exe, b, 7);
  core_init(exe, c, 8);
  size_t n = (size_t)core_kernels(exe)->persistent_bytes;
  check(t, memcmp(a, b, n) == 0, "same seed: identical persistent tensors");
  check(t, memcmp(a, c, n) != 0, "different seeds: different tensors");
  long cnt;
  const float *N = core_tensor_data(exe, a, "N", &cnt), *U = core_tensor_data(exe, a, "U", NULL);
  double m = 0, v = 0, lo = 1e9, hi = -1e9;
  for (long i = 0; i < cnt; i++) {
    m += N[i] / cnt;
    v += N[i] * N[i] / cnt;
    lo = fmin(lo, U[i]);
    hi = fmax(hi, U[i]);
  }
  check(t, fabs(m) < 0.02 && fabs(sqrt(v) - 0.5) < 0.02, "normal(0.5): mean %g std %g", m, sqrt(v));
  check(t, lo >= -2 && hi <= 1 && lo < -1.99 && hi > 0.99, "uniform(-2, 1): range [%g, %g]", lo,
        hi);
  /* K [6, 4, 3, 3]: each tap K[:, :, i, j] is 6 x 4 with orthogonal columns times 2 */
  const float *K = core_tensor_data(exe, a, "K", NULL);
  double dev = 0;
  for (int tap = 0; tap < 9; tap++)
    for (int c1 = 0; c1 < 4; c1++)
      for (int c2 = 0; c2 < 4; c2++) {
        double d = 0;
        for (int o = 0; o < 6; o++)
          d += (double)K[(o * 4 + c1) * 9 + tap] * K[(o * 4 + c2) * 9 + tap];
        dev = fmax(dev, fabs(d - 4.0 * (c1 == c2)));
      }
  check(t, dev < 1e-5, "per-tap orthogonal init: |K_ij^T K_ij - 4 I| = %g", dev);
  const float *ones = core_tensor_data(exe, a, "m", NULL);
  check(t, ones[0] == 1 && ones[8] == 1, "ones init");
  free(a);
  free(b);
  free(c);
  core_free(exe);
  ir_program_free(p);
}

/* The order of rt_kernels.h: a before b when a > b, or b is NaN and a is
 * not; ord gets the columns of a row sorted stably by it. */
static void order_row(const double *x, int n, int *ord) {
  for (int j = 0; j < n; j++) {
    int p = j;
    while (p > 0 && (x[j] > x[ord[p - 1]] || (isnan(x[ord[p - 1]]) && !isnan(x[j])))) {
      ord[p] = ord[p - 1];
      p--;
    }
    ord[p] = j;
  }
}

/* x [R, C]: argmax over the rows of x^T (axis 0 moved last), topk of x
 * with one_hot of its indices, one_hot(argmax(x)) and E[argmax(x)]. */
static void test_indices_dtype(check_ctx *t, ir_dtype dt) {
  enum { R = 6, C = 9, K = 4, D = 3 };
  ir_program *p = ir_program_new(dt);
  ir_init zero = {IR_INIT_ZEROS, 0, 0, 0};
  int ix = tc_decl(p, ir_input(p, "x", dt, 2, (long[]){R, C}));
  int iE = tc_decl(p, ir_input(p, "E", dt, 2, (long[]){C, D}));
  int sv = tc_decl(p, ir_state(p, "values", 2, (long[]){R, K}, zero));
  int si = tc_decl(p, ir_state(p, "indices", 3, (long[]){R, K, C}, zero));
  int sa = tc_decl(p, ir_state(p, "argmax", 2, (long[]){R, C}, zero));
  int sc = tc_decl(p, ir_state(p, "colmax", 2, (long[]){C, R}, zero));
  int se = tc_decl(p, ir_state(p, "rows", 2, (long[]){R, D}, zero));
  ir_graph *g = ir_entry(p, "f");
  ir_node *x = ir_input_ref(g, ix);
  ir_attr ka = {0}, ca = {0}, ra = {0};
  ka.k = K;
  ca.len = C;
  ra.len = R;
  ir_node *top = tc_ok(g, ir_node_new(g, IR_TOPK, 1, &x, &ka));
  ir_node *idx = ir_part(g, top, 1);
  ir_assign_add(g, sv, ir_part(g, top, 0));
  ir_assign_add(g, si, tc_ok(g, ir_node_new(g, IR_ONE_HOT, 1, &idx, &ca)));
  ir_node *am = tc_ok(g, ir_node_new(g, IR_ARGMAX, 1, &x, NULL));
  ir_assign_add(g, sa, tc_ok(g, ir_node_new(g, IR_ONE_HOT, 1, &am, &ca)));
  ir_node *xt = ir_transpose(g, x);
  ir_node *cm = tc_ok(g, ir_node_new(g, IR_ARGMAX, 1, &xt, NULL));
  ir_assign_add(g, sc, tc_ok(g, ir_node_new(g, IR_ONE_HOT, 1, &cm, &ra)));
  ir_assign_add(g, se, tc_ok(g, ir_embedding(g, ir_input_ref(g, iE), am)));
  check(t, g->nassigns == 5, "index program: %s", ir_error(g));
  core_exe *exe = tc_compile(p);
  char *arena = core_arena_alloc(exe);
  double xv[R * C], Ev[C * D];
  tc_fill(t, xv, R * C, -3, 3);
  tc_fill(t, Ev, C * D, -1, 1);
  /* row 1: ties (the lower column first); row 2: NaN (last); row 3: all
   * equal; rows are exact in float */
  for (int j = 0; j < C; j++) {
    xv[C + j] = (j % 3) * 0.5;
    xv[3 * C + j] = -1.25;
  }
  xv[2 * C + 0] = NAN;
  xv[2 * C + 5] = NAN;
  for (int i = 0; i < R * C; i++)
    if (dt == IR_F32)
      xv[i] = (float)xv[i];
  float xf[R * C], Ef[C * D];
  for (int i = 0; i < R * C; i++)
    xf[i] = (float)xv[i];
  for (int i = 0; i < C * D; i++)
    Ef[i] = (float)Ev[i];
  void *in[2] = {dt == IR_F32 ? (void *)xf : xv, dt == IR_F32 ? (void *)Ef : Ev};
  core_run(exe, 0, arena, in, NULL, NULL);
  int f32 = dt == IR_F32;
#define AT_(name, i)                                                    \
  (f32 ? (double)((float *)core_tensor_data(exe, arena, name, NULL))[i] \
       : ((double *)core_tensor_data(exe, arena, name, NULL))[i])
  int bad = 0;
  for (int r = 0; r < R; r++) {
    int ord[C];
    order_row(xv + r * C, C, ord);
    for (int k = 0; k < K; k++) {
      double want = xv[r * C + ord[k]], got = AT_("values", r * K + k);
      bad += !(got == want || (isnan(got) && isnan(want)));
      for (int j = 0; j < C; j++)
        bad += AT_("indices", (r * K + k) * C + j) != (j == ord[k]);
    }
    for (int j = 0; j < C; j++)
      bad += AT_("argmax", r * C + j) != (j == ord[0]);
    for (int d = 0; d < D; d++)
      bad += AT_("rows", r * D + d) != (f32 ? (double)Ef[ord[0] * D + d] : Ev[ord[0] * D + d]);
  }
  for (int j = 0; j < C; j++) {
    double col[R];
    int ord[R];
    for (int r = 0; r < R; r++)
      col[r] = xv[r * C + j];
    order_row(col, R, ord);
    for (int r = 0; r < R; r++)
      bad += AT_("colmax", j * R + r) != (r == ord[0]);
  }
#undef AT_
  check(t, bad == 0, "%s argmax, topk, one_hot and gather: %d values differ from the reference",
        ir_dtype_name(dt), bad);
  printf("%s: argmax, topk (k = %d), one_hot and gather of argmax as the reference\n",
         ir_dtype_name(dt), K);
  free(arena);
  core_free(exe);
  ir_program_free(p);
}

static void test_indices(check_ctx *t) {
  test_indices_dtype(t, IR_F64);
  test_indices_dtype(t, IR_F32);
}

/* emit-llvm text: entry functions and vector code for a fused loop. */
static void test_emit_llvm(check_ctx *t) {
  ir_program *p = init_program();
  char err[256];
  kp_program *kp = lower_program(p, err, sizeof err);
  check(t, kp != NULL, "lower: %s", err);
  char *ir = kp ? cg_llvm_emit_ir(kp, 1, err, sizeof err) : NULL;
  check(t, ir && strstr(ir, "define void @duet_entry_init(") != NULL, "emit-llvm entry: %s",
        ir ? "missing" : err);
  check(t, ir && strstr(ir, "x float>") != NULL, "the ones fill loop should be vectorized");
  check(t, ir && strstr(ir, "declare void @rt_init_orthogonal_f32(") != NULL,
        "runtime kernels are declared");
  free(ir);
  kp_free(kp);
  ir_program_free(p);
}

int main(void) {
  check_ctx t = {.rng = 13};
  test_matrix_functions(&t);
  test_next_token(&t);
  test_init(&t);
  test_indices(&t);
  test_emit_llvm(&t);
  return check_done(&t, "test_ops");
}
