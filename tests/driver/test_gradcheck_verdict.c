/* test_gradcheck_verdict.c: the verdicts of gradient checking (drv_gradient.h)
 * on compiled gradients. A small network's train_step is built in the IR
 * (loss = mse(tanh(x W1) W2, y) + 1e-16 sum(tanh(T))), drv_gradient_entries
 * adds the loss and gradient entries, and drv_fd_check compares:
 *   - as built: W1 and W2 ok, T (gradient about 1e-16, far below what
 *     finite differences resolve) too small to resolve, not wrong;
 *   - with W1's gradient scaled by 1 + 1e-5 and 1e-9 added to T's, both
 *     through the IR after differentiation: W1 and T wrong, W2 still ok;
 *   - with a forced step of 1e-9 (noise over the step dominates) nothing
 *     is wrong in the correct program;
 * and the weights are restored bit for bit after each check. The probe
 * verdict itself is pinned on hand-made probes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drv_gradient.h"
#include "rt_kernels.h"

enum { BATCH = 8, IN = 6, HIDDEN = 5, OUT = 3, TINY = 4 };

static const char *const WEIGHTS[] = {"W1", "W2", "T"};

/* train_step of the network; aborts on a builder error. */
static ir_program *build(void) {
  ir_program *p = ir_program_new(IR_F64);
  long xs[] = {BATCH, IN}, ys[] = {BATCH, OUT}, w1[] = {IN, HIDDEN}, w2[] = {HIDDEN, OUT};
  long ts[] = {TINY};
  int x = ir_input(p, "x", IR_F64, 2, xs), y = ir_input(p, "y", IR_F64, 2, ys);
  int a = ir_param(p, "W1", 2, w1, (ir_init){IR_INIT_NORMAL, 0.5, 0, 0});
  int b = ir_param(p, "W2", 2, w2, (ir_init){IR_INIT_NORMAL, 0.5, 0, 0});
  int c = ir_param(p, "T", 1, ts, (ir_init){IR_INIT_NORMAL, 1, 0, 0});
  ir_graph *g = ir_entry(p, "train_step");
  ir_node *h = ir_tanh(g, ir_matmul(g, ir_input_ref(g, x), ir_tensor_ref(g, a), 0, 0));
  ir_node *fit = ir_mse(g, ir_matmul(g, h, ir_tensor_ref(g, b), 0, 0), ir_input_ref(g, y));
  ir_node *tiny = ir_scale(g, 1e-16, ir_sum_all(g, ir_tanh(g, ir_tensor_ref(g, c))));
  if (ir_output_add(g, "loss", ir_add(g, fit, tiny)) < 0 || !ir_build_init(p)) {
    printf("FAIL: building train_step: %s\n", ir_error(g));
    exit(1);
  }
  return p;
}

/* Replaces the gradient assigned to DRV_GRAD_PREFIX<weight> by
 * scale * gradient + offset. */
static void perturb(ir_program *p, const char *weight, double scale, double offset) {
  char name[64];
  snprintf(name, sizeof name, DRV_GRAD_PREFIX "%s", weight);
  int t = ir_find_tensor(p, name);
  ir_graph *g = ir_find_entry(p, "gradcheck_grad");
  for (int i = 0; i < g->nassigns; i++)
    if (g->assigns[i].tensor == t)
      g->assigns[i].node = ir_add(g, ir_scale(g, scale, g->assigns[i].node), ir_const(g, offset));
  if (ir_verify(g) < 0) {
    printf("FAIL: perturbing the gradient of %s: %s\n", weight, ir_error(g));
    exit(1);
  }
}

/* Compiles p, fills the inputs, runs the gradient entry and checks every
 * weight with s; verdicts in got[]. */
static void check_program(check_ctx *t, ir_program *p, const drv_fd_settings *s, const char *what,
                          drv_fd_verdict *got) {
  drv_machine m;
  if (!drv_machine_init(&m, p))
    exit(1);
  core_init(m.exe, m.arena, 7);
  rt_init_normal_f64(m.inputs[0], BATCH * IN, 0, 1, 11, 1);
  rt_init_normal_f64(m.inputs[1], BATCH * OUT, 0, 1, 11, 2);
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(&m, core_entry(m.exe, "gradcheck_grad"), out);
  int loss = core_entry(m.exe, "gradcheck_loss");
  for (int i = 0; i < 3; i++) {
    char gname[64];
    snprintf(gname, sizeof gname, DRV_GRAD_PREFIX "%s", WEIGHTS[i]);
    long n, ng;
    double *w = core_tensor_data(m.exe, m.arena, WEIGHTS[i], &n);
    const double *g = core_tensor_data(m.exe, m.arena, gname, &ng);
    double *before = malloc((size_t)n * sizeof *before);
    memcpy(before, w, (size_t)n * sizeof *w);
    drv_fd_result r;
    drv_fd_check(&m, loss, w, g, n, s, (uint64_t)i + 1, &r);
    check(t, memcmp(before, w, (size_t)n * sizeof *w) == 0, "%s: %s restored bit for bit", what,
          WEIGHTS[i]);
    check(t, r.nprobes == s->directions + (n < DRV_FD_COORDS ? n : DRV_FD_COORDS),
          "%s: %s probed along %ld directions and its largest coordinates", what, WEIGHTS[i],
          s->directions);
    double ss = 0;
    for (long k = 0; k < n; k++)
      ss += w[k] * w[k];
    double step = s->step * fmax(1, sqrt(ss / (double)n));
    for (int k = 0; s->step > 0 && k < r.nprobes; k++)
      check(t, r.probes[k].step == step, "%s: %s at the forced step (%g, got %g)", what, WEIGHTS[i],
            step, r.probes[k].step);
    got[i] = r.verdict;
    drv_fd_free(&r);
    free(before);
  }
  drv_machine_free(&m);
}

static const char *verdict_name(drv_fd_verdict v) {
  return v == DRV_FD_OK ? "ok" : v == DRV_FD_TOO_SMALL ? "too small" : "wrong";
}

static void expect(check_ctx *t, const char *what, const drv_fd_verdict *got,
                   const drv_fd_verdict *want) {
  for (int i = 0; i < 3; i++)
    check(t, got[i] == want[i], "%s: %s is %s (got %s)", what, WEIGHTS[i], verdict_name(want[i]),
          verdict_name(got[i]));
}

/* A program with its gradient entries; aborts on failure. */
static ir_program *gradient_program(void) {
  ir_program *p = build();
  char err[512];
  if (!drv_gradient_entries(p, "gradcheck_grad", "gradcheck_loss", err, sizeof err)) {
    printf("FAIL: gradient entries: %s\n", err);
    exit(1);
  }
  return p;
}

/* The probe verdict on hand-made probes: tol 1e-6, margin DRV_FD_MARGIN. */
static void probe_verdicts(check_ctx *t) {
  struct {
    drv_fd_probe p;
    drv_fd_verdict want;
  } cases[] = {
      {{-1, 1.0, 1.0 + 5e-7, 1e-5, 1e-12}, DRV_FD_OK},    /* within tol */
      {{-1, 1.0, 1.0 + 2e-6, 1e-5, 1e-12}, DRV_FD_WRONG}, /* beyond tol + 10 error */
      {{-1, 1e-9, 1.2e-9, 1e-3, 3e-11}, DRV_FD_OK},       /* within 10 error, resolved */
      {{-1, 1e-9, 1.4e-9, 1e-3, 3e-11}, DRV_FD_WRONG},    /* beyond 10 error */
      {{-1, 1e-16, 4e-13, 1e-3, 1e-13}, DRV_FD_TOO_SMALL},
      {{-1, 5e-13, 0, 1e-3, 1e-13}, DRV_FD_TOO_SMALL},
      {{-1, 1e-8, 0, 1e-3, 1e-13}, DRV_FD_WRONG}, /* zero, told from 1e-8 */
      {{-1, 1.0, NAN, 1e-5, 1e-12}, DRV_FD_WRONG},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    drv_fd_verdict v = drv_fd_probe_verdict(&cases[i].p, 1e-6);
    check(t, v == cases[i].want, "probe %zu (ad %g, fd %g, error %g): %s (got %s)", i,
          cases[i].p.ad, cases[i].p.fd, cases[i].p.error, verdict_name(cases[i].want),
          verdict_name(v));
  }
  drv_fd_probe mixed[] = {cases[4].p, cases[0].p};
  check(t, drv_fd_weight_verdict(mixed, 2, 1e-6) == DRV_FD_OK,
        "a weight with one resolved probe is ok");
  check(t, drv_fd_weight_verdict(mixed, 1, 1e-6) == DRV_FD_TOO_SMALL,
        "a weight with no resolved probe is too small");
  drv_fd_probe wrong[] = {cases[0].p, cases[6].p, cases[4].p};
  check(t, drv_fd_weight_verdict(wrong, 3, 1e-6) == DRV_FD_WRONG,
        "a weight with one wrong probe is wrong");
}

int main(void) {
  check_ctx t = {.rng = 1};
  probe_verdicts(&t);
  drv_fd_settings automatic = {.directions = 3, .tol = 1e-6, .seed = 5};
  drv_fd_verdict got[3];

  check_program(&t, gradient_program(), &automatic, "as built", got);
  expect(&t, "as built", got, (drv_fd_verdict[]){DRV_FD_OK, DRV_FD_OK, DRV_FD_TOO_SMALL});

  ir_program *p = gradient_program();
  perturb(p, "W1", 1 + 1e-5, 0);
  perturb(p, "T", 1, 1e-9);
  check_program(&t, p, &automatic, "perturbed", got);
  expect(&t, "perturbed", got, (drv_fd_verdict[]){DRV_FD_WRONG, DRV_FD_OK, DRV_FD_WRONG});

  drv_fd_settings forced = automatic;
  forced.step = 1e-9;
  check_program(&t, gradient_program(), &forced, "step 1e-9", got);
  for (int i = 0; i < 3; i++)
    check(&t, got[i] != DRV_FD_WRONG, "step 1e-9: %s not wrong (got %s)", WEIGHTS[i],
          verdict_name(got[i]));
  return check_done(&t, "test_gradcheck_verdict");
}
