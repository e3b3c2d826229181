/* test_elab_mlp.c: the stdlib MLP on Fashion-MNIST-shaped data elaborates
 * into the documented program: parameter and state names, shapes and
 * initializers (orthogonal, scaled by sqrt(out / in)), the start directions
 * of the logged norms' estimates (one per Linear for its weight and one for
 * its update, zeros of length min(out, in)), inputs for the
 * training and evaluation batches, entries and their outputs, the weight
 * table; and, JIT-compiled in single precision, its entries agree with each
 * other: eval_step's loss is train_step's, `correct` counts argmax hits, the
 * modular norm of the freshly initialized weights is 1 / share = 3, and that
 * of one Dual step is lr * schedule up to the Newton-Schulz accuracy. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "et.h"

static const char *source =
    "use std.nn\n"
    "use std.optim\n"
    "experiment mlp {\n"
    "  data train = fashion_mnist(\"train\"), test = fashion_mnist(\"test\")\n"
    "  model = flatten >> MLP(784, 64, 10)\n"
    "  loss = cross_entropy\n"
    "  optimizer = Dual(lr = 0.02)\n"
    "  optimizer for \"*MLP[4]*\" = SGD(lr = 0.001, momentum = 0.9)\n"
    "  batch = 32\n"
    "}\n";

static const char *const weights[] = {"model[1].MLP[0].Linear.W", "model[1].MLP[2].Linear.W",
                                      "model[1].MLP[4].Linear.W"};
static const long dims[3][2] = {{64, 784}, {64, 64}, {10, 64}};

static const char *const atoms[] = {"model[1].MLP[0].Linear", "model[1].MLP[2].Linear",
                                    "model[1].MLP[4].Linear"};

static void check_declarations(check_ctx *t, const ir_program *p) {
  check(t, p->ntensors == 12, "12 tensors (3 weights, 3 momenta, 6 directions), got %d",
        p->ntensors);
  for (int i = 0; i < 3 && i < p->ntensors; i++) {
    const ir_tensor_decl *d = &p->tensors[i];
    check(t, strcmp(d->name, weights[i]) == 0, "tensor %d is %s, expected %s", i, d->name,
          weights[i]);
    check(t,
          d->kind == IR_PARAM && d->shape.rank == 2 && d->shape.d[0] == dims[i][0] &&
              d->shape.d[1] == dims[i][1],
          "%s: parameter of shape [%ld, %ld]", d->name, dims[i][0], dims[i][1]);
    check(t, d->init.kind == IR_INIT_ORTHOGONAL && d->init.batch_axes == 0, "%s: orthogonal init",
          d->name);
    check_close(t, d->init.a, sqrt((double)dims[i][0] / (double)dims[i][1]), 1e-12, "init scale");
  }
  for (int i = 3; i < p->ntensors; i++) {
    char want[96];
    if (i < 6)
      snprintf(want, sizeof want, "%s:m", weights[i - 3]);
    else
      snprintf(want, sizeof want, "%s:%snorm_v0", atoms[i % 3], i < 9 ? "" : "update_");
    const ir_tensor_decl *d = &p->tensors[i];
    long len = i < 6 ? dims[i - 3][1] : fmin(dims[i % 3][0], dims[i % 3][1]);
    check(t,
          strcmp(d->name, want) == 0 && d->kind == IR_STATE && d->init.kind == IR_INIT_ZEROS &&
              d->shape.d[d->shape.rank - 1] == len,
          "tensor %d is %s, expected the zero-initialized state %s (last dim %ld)", i, d->name,
          want, len);
  }
  int x = ir_find_input(p, "x"), y = ir_find_input(p, "y");
  check(t,
        x >= 0 && p->inputs[x].dtype == IR_F32 && p->inputs[x].shape.rank == 4 &&
            p->inputs[x].shape.d[0] == 32 && p->inputs[x].shape.d[1] == 1 &&
            p->inputs[x].shape.d[3] == 28,
        "input x f32[32, 1, 28, 28]");
  check(t, y >= 0 && p->inputs[y].dtype == IR_I32 && p->inputs[y].shape.rank == 1,
        "input y i32[32]");
  for (int i = 0; i < 3; i++) {
    const char *s = (const char *[]){"t", "schedule", "seed"}[i];
    check(t, ir_find_scalar(p, s) >= 0, "scalar %s", s);
  }
  static const char *const outs[][4] = {
      {"train_step", "loss", NULL, NULL},
      {"train_step_logged", "loss", "norm_weights", "norm_update"},
      {"eval_step", "loss", "correct", NULL},
      {"init", NULL, NULL, NULL}};
  for (int i = 0; i < 4; i++) {
    const ir_graph *g = ir_find_entry(p, outs[i][0]);
    check(t, g != NULL, "entry %s", outs[i][0]);
    for (int k = 0; g && k < 3 && outs[i][k + 1]; k++)
      check(t, g->noutputs > k && strcmp(g->outputs[k].name, outs[i][k + 1]) == 0,
            "%s: output %d is %s", outs[i][0], k, outs[i][k + 1]);
    int assigns = i == 0 ? 6 : 12; /* the logged step also the 6 directions */
    if (g && i < 2)
      check(t, g->nassigns == assigns, "%s assigns %d tensors, got %d", outs[i][0], assigns,
            g->nassigns);
  }
}

static void check_weight_table(check_ctx *t, tunit *u, const ir_program *p,
                               const sema_experiment *e) {
  elab_weight *w = elab_weights(u->a, p, e);
  check(t, w != NULL, "elab_weights");
  for (int i = 0; w && i < 3; i++) {
    check(t, w[i].tensor == i && w[i].nstates == 1 && w[i].states[0] == 3 + i,
          "%s: tensor %d, one state %d", weights[i], w[i].tensor,
          w[i].nstates ? w[i].states[0] : -1);
    const char *want = i == 2 ? "SGD" : "Dual";
    check(t, strcmp(w[i].opt->decl->name, want) == 0, "%s: optimizer %s, got %s", weights[i], want,
          w[i].opt->decl->name);
  }
}

static void check_eval_entry(check_ctx *t, tunit *u, ir_program *p, const sema_experiment *e) {
  bool ok = elab_add_eval(p, u->r, e, 7, "eval_tail", u->d);
  check(t, ok, "elab_add_eval for a batch of 7");
  int x, y;
  long batch = 0;
  check(t,
        elab_entry_inputs(p, "eval_tail", &x, &y, &batch) && batch == 7 &&
            strcmp(p->inputs[x].name, "x:7") == 0 && strcmp(p->inputs[y].name, "y:7") == 0,
        "eval_tail reads x:7 and y:7");
  check(t,
        elab_entry_inputs(p, "train_step", &x, &y, &batch) && batch == 32 &&
            strcmp(p->inputs[x].name, "x") == 0 && strcmp(p->inputs[y].name, "y") == 0,
        "train_step reads x and y");
  check(t, !elab_add_eval(p, u->r, e, 7, "eval_tail", u->d), "a second eval_tail is refused");
}

static void run(check_ctx *t, const ir_program *p) {
  et_run r;
  et_start(&r, p, 3);
  et_fill_input(t, &r, "x", -2, 2);
  et_fill_input(t, &r, "y", 0, 10);
  et_fill_input(t, &r, "x:7", -2, 2);
  et_fill_input(t, &r, "y:7", 0, 10);
  et_set_scalar(&r, "t", 1);
  et_set_scalar(&r, "schedule", 0.5);
  et_call(&r, "eval_step");
  double loss = et_out(&r, "eval_step", "loss"), correct = et_out(&r, "eval_step", "correct");
  et_call(&r, "eval_tail");
  double tail = et_out(&r, "eval_tail", "correct");
  et_call(&r, "train_step_logged");
  double tl = et_out(&r, "train_step_logged", "loss");
  double nw = et_out(&r, "train_step_logged", "norm_weights");
  double nu = et_out(&r, "train_step_logged", "norm_update");
  printf("  loss %.6f, correct %g of 32, %g of 7, norm of weights %.6f, of the update %.6f\n", loss,
         correct, tail, nw, nu);
  check_close(t, tl, loss, 1e-6, "train_step loss = eval_step loss");
  check(t, isfinite(loss) && loss > 0, "loss is finite and positive");
  check(t, correct >= 0 && correct <= 32 && correct == floor(correct), "correct in 0..32");
  check(t, tail >= 0 && tail <= 7 && tail == floor(tail), "correct in 0..7");
  check_close(t, nw, 3, 1e-4, "modular norm of orthogonal weights (1 / share)");
  /* Dual atoms step by lr * schedule * share * polar; the SGD head's norm
   * (small learning rate) is smaller, so the Dual atoms set the max; Muon's quintic
   * Newton-Schulz leaves singular values in about [0.7, 1.2]. */
  double want = 0.02 * 0.5;
  check(t, nu > 0.6 * want && nu < 1.3 * want, "modular norm of the update %.6g near %.6g", nu,
        want);
  et_stop(&r);
}

int main(void) {
  check_ctx t = {.rng = 0x243f6a8885a308d3ULL};
  tunit u;
  et_load(&u, source);
  const sema_experiment *e = et_experiment(&u, "mlp");
  ir_program *p = et_elab(&u, e, NULL);
  check_declarations(&t, p);
  check_weight_table(&t, &u, p, e);
  check_eval_entry(&t, &u, p, e);
  run(&t, p);
  ir_program_free(p);
  tunit_free(&u);
  return check_done(&t, "test_elab_mlp");
}
