/*
 * test_kernels_polar.c - orthogonalization kernels on matrices with a known
 * SVD G = U diag(sigma) V^T (sigma log-spaced over two decades):
 *  - Newton-Schulz, every schedule, square / tall / wide, f32 and f64, and
 *    with bf16 operands (rt_polar_ns_bf16, f32 and f64), f32 on each
 *    backend (OpenBLAS, oneDNN): the singular values of the output (LAPACK
 *    SVD) must lie in the schedule's band, the output must equal
 *    U p(sigma / norm) V^T for the composed scalar polynomial p (singular
 *    vectors untouched), and for the converging schedules the polar factor
 *    U V^T (f64 SVD) within the band; bf16 batches and in-place calls;
 *  - exact polar factor (SVD) against U V^T; spectral norm against
 *    max sigma; spd_pow: A^-1/2 A A^-1/2 = I, (A^1/2)^2 = A, eigenvalue
 *    clamping; batches and in-place calls;
 *  - the Lanczos estimate of the spectral norm: never above max sigma,
 *    converging over warm-started calls to it and its direction to the top
 *    singular vector (of the smaller side), exact in one call when the
 *    steps span the smaller side or the spectrum is flat or of rank 1, 0
 *    for the zero matrix, NaN for NaN input; batches and in-place calls.
 */
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_polar_schedule.h"
#include "rt_kernels.h"
#include "test_kernels_util.h"

/* ---- reference matrices ---------------------------------------------------- */

/* An r x c matrix with orthonormal columns (r >= c). */
static double *orthonormal_cols(int r, int c, uint64_t stream) {
  double *Q = tk_alloc((size_t)r * c);
  double *ws = tk_alloc(rt_init_orthogonal_ws_f64(r, c));
  rt_init_orthogonal_f64(Q, 1, r, c, 1.0, 7, stream, ws);
  free(ws);
  return Q;
}

/* M = U diag(d) V^T with U m x s, V n x s. */
static void usv(const double *U, const double *d, const double *V, int m, int n, int s, double *M) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = 0;
      for (int k = 0; k < s; k++)
        acc += U[(long)i * s + k] * d[k] * V[(long)j * s + k];
      M[(long)i * n + j] = acc;
    }
}

/* A test matrix with known SVD factors. */
typedef struct {
  int m, n, s;
  double *U, *V, *sigma, *G; /* owned */
} svd_matrix;

static svd_matrix svd_matrix_make(int m, int n, double scale, uint64_t stream) {
  svd_matrix a = {m, n, m < n ? m : n, NULL, NULL, NULL, NULL};
  a.U = orthonormal_cols(m, a.s, stream);
  a.V = orthonormal_cols(n, a.s, stream + 1);
  a.sigma = tk_alloc(a.s);
  for (int k = 0; k < a.s; k++) /* 1 ... 1e-2, log-spaced */
    a.sigma[k] = scale * pow(1e-2, a.s > 1 ? (double)k / (a.s - 1) : 0);
  a.G = tk_alloc((size_t)m * n);
  usv(a.U, a.sigma, a.V, m, n, a.s, a.G);
  return a;
}

static void svd_matrix_free(svd_matrix *a) { free(a->U), free(a->V), free(a->sigma), free(a->G); }

/* Singular values of the m x n matrix X (copied), largest first. */
static void singular_values(const double *X, int m, int n, double *sv) {
  double *a = tk_alloc((size_t)m * n);
  memcpy(a, X, sizeof(double) * m * n);
  const int s = m < n ? m : n;
  double *superb = tk_alloc(s);
  LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', m, n, a, n, sv, NULL, 1, NULL, 1, superb);
  free(a), free(superb);
}

/* ---- Newton-Schulz ---------------------------------------------------------
 * The published coefficient lists, transcribed independently of the
 * runtime: Muon quintic (Jordan), You's 6 steps (Modula's atom.py), Polar
 * Express (Amsel et al. 2025, Algorithm 1, with its 1.01 safety factors). */
static const double muon[1][3] = {{3.4445, -4.7750, 2.0315}};
static const double you[6][3] = {
    {3955 / 1024.0, -8306 / 1024.0, 5008 / 1024.0}, {3735 / 1024.0, -6681 / 1024.0, 3463 / 1024.0},
    {3799 / 1024.0, -6499 / 1024.0, 3211 / 1024.0}, {4019 / 1024.0, -6385 / 1024.0, 2906 / 1024.0},
    {2677 / 1024.0, -3029 / 1024.0, 1162 / 1024.0}, {2172 / 1024.0, -1833 / 1024.0, 682 / 1024.0}};
static const double pe[8][3] = {{8.28721201814563, -23.595886519098837, 17.300387312530933},
                                {4.107059111542203, -2.9478499167379106, 0.5448431082926601},
                                {3.9486908534822946, -2.908902115962949, 0.5518191394370137},
                                {3.3184196573706015, -2.488488024314874, 0.51004894012372},
                                {2.300652019954817, -1.6689039845747493, 0.4188073119525673},
                                {1.891301407787398, -1.2679958271945868, 0.37680408948524835},
                                {1.8750014808534479, -1.2500016453999487, 0.3750001645474248},
                                {1.875, -1.25, 0.375}};

/* The scalar map the iteration applies to each singular value. */
static double ns_scalar(rt_ns_schedule sch, int steps, double x) {
  for (int i = 0; i < steps; i++) {
    double a, b, c;
    if (sch == RT_NS_MUON5) {
      a = muon[0][0], b = muon[0][1], c = muon[0][2];
    } else if (sch == RT_NS_YOU6) {
      const int j = i < 6 ? i : 5;
      a = you[j][0], b = you[j][1], c = you[j][2];
    } else {
      const int j = i < 7 ? i : 7;
      const double f = j < 7 ? 1.01 : 1.0;
      a = pe[j][0] / f, b = pe[j][1] / pow(f, 3), c = pe[j][2] / pow(f, 5);
    }
    x = a * x + b * x * x * x + c * x * x * x * x * x;
  }
  return x;
}

/* One schedule's expected band of output singular values. The inputs'
 * normalized singular values span [~4e-3, ~0.4]; composing the scalar
 * polynomials over [3e-3, 1] gives Muon5 [0.682, 1.202], You6
 * [0.9956, 0.9993], PolarExpress5 [0.870, 1.124] and PolarExpress8
 * [1 - 1e-15, 1 + 1e-15]; the asserted bands add rounding margin. With
 * bf16 operands (rt_polar_ns_bf16) the bands measured over these matrices
 * are Muon5 [0.680, 1.203], You6 [0.991, 1.004], PolarExpress5
 * [0.868, 1.125], PolarExpress8 [0.9955, 1.0057], You6 x8 [0.990,
 * 1.004]: the rounding of the operands to 8 significant bits (2^-8
 * relative) keeps the converging schedules about 0.5% from 1. */
typedef struct {
  rt_ns_schedule schedule;
  int steps;
  const char *name;
  double lo, hi;     /* asserted band */
  double lo32, hi32; /* f32 */
  double lo16, hi16; /* bf16 operands */
} ns_band;

static const ns_band bands[] = {
    {RT_NS_MUON5, 5, "muon5 x5", 0.6, 1.25, 0.6, 1.25, 0.6, 1.25},
    {RT_NS_YOU6, 6, "you6 x6", 0.995, 1.0, 0.995, 1.0005, 0.985, 1.01},
    {RT_NS_POLAR_EXPRESS, 5, "polar-express x5", 0.86, 1.13, 0.86, 1.13, 0.86, 1.13},
    {RT_NS_POLAR_EXPRESS, 8, "polar-express x8", 1 - 1e-9, 1 + 1e-9, 1 - 2e-5, 1 + 2e-5, 0.99,
     1.01},
    {RT_NS_YOU6, 8, "you6 x8 (repeats last)", 0.99, 1.01, 0.99, 1.01, 0.985, 1.01},
};

/* The iteration ns_check runs: rt_polar_ns in f64 or f32, rt_polar_ns_bf16
 * in f32 or f64, and the iteration of rt_polar_ns_bf16 with f32 operands
 * (kernels_polar_schedule.h; on oneDNN, bench_kernels compares it with
 * rt_polar_ns_f32). */
typedef enum { NS_F64, NS_F32, NS_BF16_F32, NS_BF16_F64, NS_TYPED_F32 } ns_precision;
static const char *const precision_name[] = {"f64", "f32", "bf16/f32", "bf16/f64", "typed f32"};

/* X = the iteration's result for G (m x n), computed in precision pr. */
static void ns_run(const ns_band *bd, ns_precision pr, const double *G, double *X, int m, int n) {
  const size_t mn = (size_t)m * n;
  if (pr == NS_F64 || pr == NS_BF16_F64) {
    const int bf16 = pr == NS_BF16_F64;
    double *ws = tk_alloc(bf16 ? rt_polar_ns_bf16_ws_f64(m, n) : rt_polar_ns_ws_f64(m, n));
    (bf16 ? rt_polar_ns_bf16_f64 : rt_polar_ns_f64)(G, X, 1, m, n, bd->schedule, bd->steps, 0, ws);
    free(ws);
    return;
  }
  float *G32 = tk_to32(G, mn), *X32 = tk_alloc32(mn);
  if (pr == NS_TYPED_F32) {
    float *ws = tk_alloc32(rt_polar_ns_typed_ws_f32(m, n));
    rt_polar_ns_typed_f32(G32, X32, 1, m, n, bd->schedule, bd->steps, 0, 0, ws);
    free(ws);
  } else {
    const int bf16 = pr == NS_BF16_F32;
    float *ws = tk_alloc32(bf16 ? rt_polar_ns_bf16_ws_f32(m, n) : rt_polar_ns_ws_f32(m, n));
    (bf16 ? rt_polar_ns_bf16_f32 : rt_polar_ns_f32)(G32, X32, 1, m, n, bd->schedule, bd->steps, 0,
                                                    ws);
    free(ws);
  }
  for (size_t i = 0; i < mn; i++)
    X[i] = X32[i];
  free(G32), free(X32);
}

static void ns_check(check_ctx *t, const ns_band *bd, svd_matrix *a, ns_precision pr) {
  const int m = a->m, n = a->n, s = a->s;
  const size_t mn = (size_t)m * n;
  double *X = tk_alloc(mn), *ref = tk_alloc(mn), *p = tk_alloc(s);
  double *sv = tk_alloc(s);
  double norm = 0;
  for (int k = 0; k < s; k++)
    norm += a->sigma[k] * a->sigma[k];
  norm = sqrt(norm) * (bd->schedule == RT_NS_POLAR_EXPRESS ? 1.01 : 1.0);
  for (int k = 0; k < s; k++)
    p[k] = ns_scalar(bd->schedule, bd->steps, a->sigma[k] / norm);
  usv(a->U, p, a->V, m, n, s, ref);
  ns_run(bd, pr, a->G, X, m, n);
  singular_values(X, m, n, sv);
  double lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < s; k++)
    lo = fmin(lo, sv[k]), hi = fmax(hi, sv[k]);
  const int bf16 = pr == NS_BF16_F32 || pr == NS_BF16_F64;
  const int f32 = pr == NS_F32 || pr == NS_TYPED_F32;
  const double blo = bf16 ? bd->lo16 : f32 ? bd->lo32 : bd->lo;
  const double bhi = bf16 ? bd->hi16 : f32 ? bd->hi32 : bd->hi;
  const char *backend = f32 || pr == NS_BF16_F32 ? rt_gemm_backend_name(rt_gemm_get_backend()) : "";
  /* err: how far the band reaches outside the asserted one */
  tk_check(t, fmax(0, fmax(blo - lo, hi - bhi)), 0,
           "ns %s %dx%d %s %s: band [%.6f, %.6f] in [%g, %g]", bd->name, m, n, precision_name[pr],
           backend, lo, hi, blo, bhi);
  /* bf16: observed <= 0.041 (the operands' 8 bits, amplified by up to
   * eight steps of polynomials with slope up to 8 near 0) */
  const double tol = bf16 ? 0.06 : f32 ? 3e-5 : 1e-10;
  tk_check(t, tk_err(X, ref, mn), tol, "ns %s %dx%d %s %s == U p(S) V^T", bd->name, m, n,
           precision_name[pr], backend);
  /* a converging schedule: X within its band of the polar factor, as the
   * f64 SVD (LAPACK) computes it */
  if (bhi - blo < 0.05) {
    double *polar = tk_alloc(mn), *ws = tk_alloc(rt_polar_svd_ws_f64(m, n));
    rt_polar_svd_f64(a->G, polar, 1, m, n, ws);
    const double dev = fmax(1 - blo, bhi - 1);
    tk_check(t, tk_err(X, polar, mn), dev + tol, "ns %s %dx%d %s %s == SVD polar factor", bd->name,
             m, n, precision_name[pr], backend);
    free(polar), free(ws);
  }
  free(X), free(ref), free(p), free(sv);
}

/* Batched and in-place calls give the same result as single calls. */
static void ns_batch_check(check_ctx *t) {
  const int m = 24, n = 9, batch = 3;
  const size_t mn = (size_t)m * n;
  double *G = tk_alloc(batch * mn), *X = tk_alloc(batch * mn);
  double *one = tk_alloc(mn), *ws = tk_alloc(rt_polar_ns_ws_f64(m, n));
  tk_rand(G, batch * mn, -1, 1, 4242);
  rt_polar_ns_f64(G, X, batch, m, n, RT_NS_POLAR_EXPRESS, 6, 1e-7, ws);
  double err = 0;
  for (int b = 0; b < batch; b++) {
    rt_polar_ns_f64(G + b * mn, one, 1, m, n, RT_NS_POLAR_EXPRESS, 6, 1e-7, ws);
    err = fmax(err, tk_err(X + b * mn, one, mn));
  }
  tk_check(t, err, 0, "ns batch of 3 (24x9) == 3 single calls");
  rt_polar_ns_f64(G, G, batch, m, n, RT_NS_POLAR_EXPRESS, 6, 1e-7, ws);
  tk_check(t, tk_err(G, X, batch * mn), 0, "ns in place (X == G), tall");
  rt_polar_ns_f64(X, X, 1, 9, 24, RT_NS_MUON5, 5, 1e-7, ws);
  double *W = tk_alloc(mn);
  tk_rand(W, mn, -1, 1, 4243);
  memcpy(one, W, sizeof(double) * mn);
  rt_polar_ns_f64(W, W, 1, 9, 24, RT_NS_MUON5, 5, 1e-7, ws);
  rt_polar_ns_f64(one, X, 1, 9, 24, RT_NS_MUON5, 5, 1e-7, ws);
  tk_check(t, tk_err(W, X, mn), 0, "ns in place (X == G), wide");
  /* zero input stays zero (eps guards the division) */
  double zero[12] = {0};
  rt_polar_ns_f64(zero, zero, 1, 3, 4, RT_NS_YOU6, 6, 1e-7, ws);
  double zeros[12] = {0};
  tk_check(t, tk_err(zero, zeros, 12), 0, "ns of the zero matrix is zero");
  free(G), free(X), free(one), free(ws), free(W);
}

/* Every schedule in every precision, f32 on each backend, on a. */
static void ns_checks(check_ctx *t, svd_matrix *a) {
  for (size_t b = 0; b < sizeof bands / sizeof bands[0]; b++) {
    ns_check(t, &bands[b], a, NS_F64);
    ns_check(t, &bands[b], a, NS_BF16_F64);
    for (int backend = 0; backend < 2; backend++)
      if (rt_gemm_set_backend((rt_gemm_backend)backend) == 0) {
        ns_check(t, &bands[b], a, NS_F32);
        ns_check(t, &bands[b], a, NS_TYPED_F32);
        ns_check(t, &bands[b], a, NS_BF16_F32);
      }
  }
}

/* rt_polar_ns_bf16_f32 on the current backend: batches and in-place calls
 * give the bits of single calls, the zero matrix stays zero. */
static void ns_bf16_batch_check(check_ctx *t) {
  const int m = 24, n = 9, batch = 3;
  const size_t mn = (size_t)m * n;
  const char *backend = rt_gemm_backend_name(rt_gemm_get_backend());
  double *G64 = tk_alloc(batch * mn);
  tk_rand(G64, batch * mn, -1, 1, 4244);
  float *G = tk_to32(G64, batch * mn), *X = tk_alloc32(batch * mn), *one = tk_alloc32(mn);
  float *ws = tk_alloc32(rt_polar_ns_bf16_ws_f32(n, m));
  double err = 0;
  rt_polar_ns_bf16_f32(G, X, batch, m, n, RT_NS_POLAR_EXPRESS, 6, 1e-7f, ws);
  for (int b = 0; b < batch; b++) {
    rt_polar_ns_bf16_f32(G + b * mn, one, 1, m, n, RT_NS_POLAR_EXPRESS, 6, 1e-7f, ws);
    for (size_t i = 0; i < mn; i++)
      err = fmax(err, fabs(X[b * mn + i] - one[i]));
  }
  tk_check(t, err, 0, "ns bf16 %s: batch of 3 (24x9) == 3 single calls", backend);
  for (int wide = 0; wide < 2; wide++) {
    const int r = wide ? n : m, c = wide ? m : n;
    rt_polar_ns_bf16_f32(G, one, 1, r, c, RT_NS_MUON5, 5, 1e-7f, ws);
    memcpy(X, G, sizeof(float) * mn);
    rt_polar_ns_bf16_f32(X, X, 1, r, c, RT_NS_MUON5, 5, 1e-7f, ws);
    err = 0;
    for (size_t i = 0; i < mn; i++)
      err = fmax(err, fabs(X[i] - one[i]));
    tk_check(t, err, 0, "ns bf16 %s: in place (X == G), %s", backend, wide ? "wide" : "tall");
  }
  float zero[12] = {0};
  rt_polar_ns_bf16_f32(zero, zero, 1, 3, 4, RT_NS_YOU6, 6, 1e-7f, ws);
  err = 0;
  for (int i = 0; i < 12; i++)
    err = fmax(err, fabs(zero[i]));
  tk_check(t, err, 0, "ns bf16 %s: the zero matrix stays zero", backend);
  free(G64), free(G), free(X), free(one), free(ws);
}

/* ---- exact polar factor and spectral norm --------------------------------- */

static void svd_kernels_check(check_ctx *t, svd_matrix *a) {
  const int m = a->m, n = a->n, s = a->s;
  const size_t mn = (size_t)m * n;
  double *ones = tk_alloc(s), *ref = tk_alloc(mn), *X = tk_alloc(mn);
  for (int k = 0; k < s; k++)
    ones[k] = 1;
  usv(a->U, ones, a->V, m, n, s, ref);
  double *ws = tk_alloc(rt_polar_svd_ws_f64(m, n));
  float *ws32 = tk_alloc32(rt_polar_svd_ws_f32(m, n));
  float *G32 = tk_to32(a->G, mn), *X32 = tk_alloc32(mn);
  rt_polar_svd_f64(a->G, X, 1, m, n, ws);
  rt_polar_svd_f32(G32, X32, 1, m, n, ws32);
  tk_check(t, tk_err(X, ref, mn), 1e-12, "polar_svd %dx%d f64 == U V^T", m, n);
  /* cond(G) = 100 amplifies f32 rounding (observed <= 3.2e-6) */
  tk_check(t, tk_err32(X32, ref, mn), 3e-5, "polar_svd %dx%d f32 == U V^T", m, n);
  memcpy(X, a->G, sizeof(double) * mn);
  rt_polar_svd_f64(X, X, 1, m, n, ws);
  tk_check(t, tk_err(X, ref, mn), 1e-12, "polar_svd %dx%d f64 in place", m, n);

  double norm, want = a->sigma[0];
  float norm32;
  double *wsn = tk_alloc(rt_spectral_norm_ws_f64(m, n));
  float *wsn32 = tk_alloc32(rt_spectral_norm_ws_f32(m, n));
  rt_spectral_norm_f64(a->G, &norm, 1, m, n, wsn);
  rt_spectral_norm_f32(G32, &norm32, 1, m, n, wsn32);
  tk_check(t, tk_err(&norm, &want, 1), 1e-13, "spectral_norm %dx%d f64 == sigma_max", m, n);
  tk_check(t, tk_err32(&norm32, &want, 1), 1e-6, "spectral_norm %dx%d f32 == sigma_max", m, n);
  free(ones), free(ref), free(X), free(ws), free(ws32), free(G32), free(X32);
  free(wsn), free(wsn32);
}

static void spectral_batch_check(check_ctx *t) {
  const int m = 5, n = 3;
  double G[3 * 15] = {0}, out[3], want[3] = {2, 0.5, 7};
  for (int b = 0; b < 3; b++) /* diag(want[b], 0.1, 0.01) padded */
    G[b * 15 + 0] = want[b], G[b * 15 + 4] = 0.1, G[b * 15 + 8] = 0.01;
  double *ws = tk_alloc(rt_spectral_norm_ws_f64(m, n));
  rt_spectral_norm_f64(G, out, 3, m, n, ws);
  tk_check(t, tk_err(out, want, 3), 1e-15, "spectral_norm batch of 3 (5x3 diagonal)");
  free(ws);
}

/* ---- Lanczos estimate of the spectral norm ------------------------------- */

/* The estimate after `calls` warm-started calls of `steps` steps from the
 * zero direction (f32 when f32 is set); *dir gets |cos| of the angle
 * between the final direction and want_dir (s values, unit). */
static double lanczos_run(const double *G, int m, int n, int steps, int calls, int f32,
                          const double *want_dir, double *dir) {
  const int s = m < n ? m : n;
  const size_t mn = (size_t)m * n;
  double *v = tk_alloc(s), out = 0;
  if (f32) {
    float *G32 = tk_to32(G, mn), *v32 = tk_alloc32(s), out32 = 0;
    float *ws = tk_alloc32(rt_spectral_lanczos_ws_f32(m, n, steps));
    for (int c = 0; c < calls; c++)
      rt_spectral_lanczos_f32(G32, v32, &out32, v32, 1, m, n, steps, ws);
    for (int i = 0; i < s; i++)
      v[i] = v32[i];
    out = out32;
    free(G32), free(v32), free(ws);
  } else {
    double *ws = tk_alloc(rt_spectral_lanczos_ws_f64(m, n, steps));
    for (int c = 0; c < calls; c++)
      rt_spectral_lanczos_f64(G, v, &out, v, 1, m, n, steps, ws);
    free(ws);
  }
  if (want_dir)
    *dir = fabs(tk_dot(v, want_dir, s)) / sqrt(tk_dot(v, v, s));
  free(v);
  return out;
}

static void lanczos_check(check_ctx *t, svd_matrix *a) {
  const int m = a->m, n = a->n, s = a->s;
  const double want = a->sigma[0];
  /* the top singular vector of the smaller side: column 0 of U or V */
  const double *F = m <= n ? a->U : a->V;
  double *top = tk_alloc(s), dir = 0;
  for (int i = 0; i < s; i++)
    top[i] = F[(long)i * s];
  for (int f32 = 0; f32 < 2; f32++) {
    const char *ty = f32 ? "f32" : "f64";
    const double tol = f32 ? 2e-6 : 1e-12;
    double one = lanczos_run(a->G, m, n, 4, 1, f32, NULL, NULL);
    tk_check(t, fmax(0, one - want) / want, tol,
             "lanczos %dx%d %s: one call of 4 steps %.9g <= sigma_max %.9g", m, n, ty, one, want);
    double est = lanczos_run(a->G, m, n, 4, 10, f32, top, &dir);
    tk_check(t, tk_err(&est, &want, 1), tol,
             "lanczos %dx%d %s: 10 warm-started calls of 4 steps == sigma_max", m, n, ty);
    tk_check(t, 1 - dir, f32 ? 1e-4 : 1e-9, "lanczos %dx%d %s: direction == top singular vector", m,
             n, ty);
    if (s <= 8) {
      est = lanczos_run(a->G, m, n, 8, 1, f32, NULL, NULL);
      tk_check(t, tk_err(&est, &want, 1), tol,
               "lanczos %dx%d %s: 8 steps span the smaller side: exact", m, n, ty);
    }
  }
  free(top);
}

/* Flat and rank-1 spectra (the Krylov space is invariant after one step),
 * the zero matrix, NaN, batches and in-place calls. */
static void lanczos_special_check(check_ctx *t) {
  const int m = 40, n = 24;
  const size_t mn = (size_t)m * n;
  double *Q = orthonormal_cols(m, n, 601), *G = tk_alloc(3 * mn);
  double *u = orthonormal_cols(m, 1, 602), *w = orthonormal_cols(n, 1, 603);
  for (size_t i = 0; i < mn; i++)
    G[i] = 2.5 * Q[i]; /* all singular values 2.5 */
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      G[mn + (size_t)i * n + j] = 3 * u[i] * w[j]; /* rank 1, sigma 3 */
  double want[3] = {2.5, 3, 0}, out[3], one[3], v[3 * 24] = {0};
  double *ws = tk_alloc(rt_spectral_lanczos_ws_f64(m, n, 5));
  for (int b = 0; b < 3; b++) {
    double vb[24] = {0};
    rt_spectral_lanczos_f64(G + b * mn, vb, &one[b], vb, 1, m, n, 5, ws);
  }
  tk_check(t, tk_err(one, want, 3), 1e-14,
           "lanczos 40x24: flat 2.5, rank-1 3 and zero matrices exact");
  rt_spectral_lanczos_f64(G, v, out, v, 3, m, n, 5, ws);
  tk_check(t, tk_err(out, one, 3), 0, "lanczos batch of 3 (in place) == 3 single calls");
  int finite = 1;
  for (int i = 0; i < 3 * n; i++)
    finite &= isfinite(v[i]);
  tk_equal(t, finite, 1, "lanczos: directions finite (zero matrix included)");
  G[7] = NAN;
  rt_spectral_lanczos_f64(G, v, out, v, 1, m, n, 5, ws);
  tk_equal(t, isnan(out[0]), 1, "lanczos: NaN in the matrix gives NaN");
  for (int i = 0; i < n; i++)
    finite &= isfinite(v[i]);
  tk_equal(t, finite, 1, "lanczos: the direction stays finite after NaN");
  free(Q), free(G), free(u), free(w), free(ws);
}

/* ---- SPD powers ----------------------------------------------------------- */

static void matmul(const double *A, const double *B, double *C, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++)
        s += A[i * n + k] * B[k * n + j];
      C[i * n + j] = s;
    }
}

static void spd_check(check_ctx *t, int n, uint64_t stream) {
  const size_t nn = (size_t)n * n;
  double *Q = orthonormal_cols(n, n, stream), *lam = tk_alloc(n);
  for (int k = 0; k < n; k++) /* eigenvalues 0.1 ... 10 */
    lam[k] = 0.1 * pow(100, n > 1 ? (double)k / (n - 1) : 0.5);
  double *A = tk_alloc(nn), *half = tk_alloc(nn), *ihalf = tk_alloc(nn);
  double *tmp = tk_alloc(nn), *prod = tk_alloc(nn), *eye = tk_alloc(nn);
  usv(Q, lam, Q, n, n, n, A);
  for (int i = 0; i < n; i++)
    eye[i * n + i] = 1;
  double *ws = tk_alloc(rt_spd_pow_ws_f64(n));
  rt_spd_pow_f64(A, half, 1, n, 0.5, 1e-12, ws);
  rt_spd_pow_f64(A, ihalf, 1, n, -0.5, 1e-12, ws);
  matmul(half, half, prod, n);
  tk_check(t, tk_err(prod, A, nn), 1e-13, "spd_pow n%d f64: (A^1/2)^2 == A", n);
  matmul(ihalf, A, tmp, n);
  matmul(tmp, ihalf, prod, n);
  tk_check(t, tk_err(prod, eye, nn), 1e-12, "spd_pow n%d f64: A^-1/2 A A^-1/2 == I", n);

  float *A32 = tk_to32(A, nn), *ih32 = tk_alloc32(nn);
  float *ws32 = tk_alloc32(rt_spd_pow_ws_f32(n));
  rt_spd_pow_f32(A32, ih32, 1, n, -0.5f, 1e-6f, ws32);
  double *ih = tk_to64(ih32, nn);
  matmul(ih, A, tmp, n);
  matmul(tmp, ih, prod, n);
  tk_check(t, tk_err(prod, eye, nn), 2e-5, "spd_pow n%d f32: A^-1/2 A A^-1/2 == I", n);

  /* PSD with a zero eigenvalue: clamped to eps before the power */
  double *ref = tk_alloc(nn), *got = tk_alloc(nn), *lp = tk_alloc(n);
  lam[0] = 0;
  usv(Q, lam, Q, n, n, n, A);
  for (int k = 0; k < n; k++)
    lp[k] = pow(fmax(lam[k], 1e-2), -0.5);
  usv(Q, lp, Q, n, n, n, ref);
  rt_spd_pow_f64(A, got, 1, n, -0.5, 1e-2, ws);
  tk_check(t, tk_err(got, ref, nn), 1e-10, "spd_pow n%d f64: eigenvalue 0 clamped to eps", n);
  free(Q), free(lam), free(A), free(half), free(ihalf), free(tmp), free(prod);
  free(eye), free(ws), free(A32), free(ih32), free(ws32), free(ih), free(ref);
  free(got), free(lp);
}

static void spd_batch_check(check_ctx *t) {
  const int n = 4;
  double A[2 * 16] = {0}, out[2 * 16], want[2 * 16] = {0};
  for (int i = 0; i < n; i++) { /* diagonal: A^p is elementwise */
    A[i * 5] = i + 1.0, want[i * 5] = pow(i + 1.0, -1.5);
    A[16 + i * 5] = 4.0 * (i + 1), want[16 + i * 5] = pow(4.0 * (i + 1), -1.5);
  }
  double *ws = tk_alloc(rt_spd_pow_ws_f64(n));
  rt_spd_pow_f64(A, out, 2, n, -1.5, 1e-12, ws);
  tk_check(t, tk_err(out, want, 32), 1e-14, "spd_pow batch of 2 diagonal, p = -1.5");
  free(ws);
}

int main(void) {
  check_ctx t = {0};
  rt_set_threads(1);
  static const int shapes[][2] = {{64, 64}, {128, 32}, {32, 128}, {13, 7}, {1, 5}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    svd_matrix a = svd_matrix_make(shapes[s][0], shapes[s][1], 3.7, 10 * s + 1);
    ns_checks(&t, &a);
    svd_kernels_check(&t, &a);
    lanczos_check(&t, &a);
    svd_matrix_free(&a);
  }
  /* Newton-Schulz only: Gram products by block rows on oneDNN */
  static const int ns_shapes[][2] = {{150, 100}, {100, 150}};
  for (size_t s = 0; s < sizeof ns_shapes / sizeof ns_shapes[0]; s++) {
    svd_matrix a = svd_matrix_make(ns_shapes[s][0], ns_shapes[s][1], 3.7, 100 + 10 * s);
    ns_checks(&t, &a);
    svd_matrix_free(&a);
  }
  ns_batch_check(&t);
  for (int backend = 0; backend < 2; backend++)
    if (rt_gemm_set_backend((rt_gemm_backend)backend) == 0)
      ns_bf16_batch_check(&t);
  spectral_batch_check(&t);
  lanczos_special_check(&t);
  spd_check(&t, 1, 501);
  spd_check(&t, 7, 502);
  spd_check(&t, 13, 503);
  spd_check(&t, 32, 504);
  spd_batch_check(&t);
  return check_done(&t, "test_kernels_polar");
}
