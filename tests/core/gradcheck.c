/*
 * gradcheck.c - the gradient-checking harness (see gradcheck.h).
 */
#include "gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"

#define GC_STEP 1e-5

ir_node *gc_param(gc_env *env, const char *name, int rank, const long *shape) {
  int i = ir_find_tensor(env->p, name);
  if (i < 0)
    i = tc_decl(env->p, ir_param(env->p, name, rank, shape, (ir_init){IR_INIT_ZEROS, 0, 0, 0}));
  return ir_tensor_ref(env->g, i);
}

static int input(gc_env *env, const char *name, ir_dtype dt, int rank, const long *shape) {
  int i = ir_find_input(env->p, name);
  if (i < 0)
    i = tc_decl(env->p, ir_input(env->p, name, dt, rank, shape));
  if (i >= GC_MAX_INPUTS) {
    printf("FAIL: too many inputs\n");
    exit(1);
  }
  return i;
}

ir_node *gc_input(gc_env *env, const char *name, int rank, const long *shape, double lo,
                  double hi) {
  int i = input(env, name, IR_F64, rank, shape);
  env->lo[i] = lo;
  env->hi[i] = hi;
  return ir_input_ref(env->g, i);
}

ir_node *gc_index(gc_env *env, const char *name, int rank, const long *shape, int hi) {
  int i = input(env, name, IR_I32, rank, shape);
  env->int_hi[i] = hi;
  return ir_input_ref(env->g, i);
}

ir_node *gc_wsum(gc_env *env, ir_node *y) {
  if (!y)
    return NULL;
  char name[32];
  snprintf(name, sizeof name, "w%d", env->nw++);
  ir_node *w = gc_input(env, name, y->shape.rank, y->shape.d, -1, 1);
  return ir_sum_all(env->g, ir_mul(env->g, y, w));
}

/* Builds the "loss" and "grad" entries; returns the number of parameters. */
static int build(gc_env *env, gc_build fn) {
  env->g = ir_entry(env->p, "loss");
  env->nw = 0;
  ir_node *loss = tc_ok(env->g, fn(env));
  if (ir_output_add(env->g, "loss", loss) < 0) {
    printf("FAIL: loss output: %s\n", ir_error(env->g));
    exit(1);
  }
  int np = env->p->ntensors, idx[64];
  for (int i = 0; i < np; i++) {
    char name[96];
    snprintf(name, sizeof name, "d_%s", env->p->tensors[i].name);
    const ir_tensor_decl *t = &env->p->tensors[i];
    tc_decl(env->p, ir_state(env->p, name, t->shape.rank, t->shape.d, t->init));
    idx[i] = i;
  }
  env->g = ir_entry(env->p, "grad");
  env->nw = 0;
  loss = tc_ok(env->g, fn(env));
  ir_output_add(env->g, "loss", loss);
  ir_node *grads[64];
  if (ad_grad_tensors(env->g, loss, np, idx, grads) < 0) {
    printf("FAIL: autodiff: %s\n", ir_error(env->g));
    exit(1);
  }
  for (int i = 0; i < np; i++)
    if (ir_assign_add(env->g, np + i, grads[i]) < 0) {
      printf("FAIL: gradient assignment: %s\n", ir_error(env->g));
      exit(1);
    }
  return np;
}

static double run_loss(core_exe *x, int e, char *arena, void **in) {
  double out = 0;
  core_run(x, e, arena, in, NULL, &out);
  return out;
}

void gc_run(check_ctx *t, const char *name, gc_build fn, int samples, double tol) {
  gc_env env;
  memset(&env, 0, sizeof env);
  env.p = ir_program_new(IR_F64);
  int np = build(&env, fn);
  core_exe *x = tc_compile(env.p);
  char *arena = core_arena_alloc(x);
  void *in[GC_MAX_INPUTS] = {0};
  for (int i = 0; i < env.p->ninputs; i++) {
    const ir_input_decl *d = &env.p->inputs[i];
    long n = ir_numel(&d->shape);
    if (d->dtype == IR_I32) {
      int32_t *v = malloc(sizeof *v * (size_t)n);
      for (long k = 0; k < n; k++)
        v[k] = (int32_t)check_uniform(t, 0, env.int_hi[i]);
      in[i] = v;
    } else {
      double *v = malloc(sizeof *v * (size_t)n);
      tc_fill(t, v, n, env.lo[i], env.hi[i]);
      in[i] = v;
    }
  }
  for (int i = 0; i < np; i++) {
    long n;
    double *w = core_tensor_data(x, arena, env.p->tensors[i].name, &n);
    tc_fill(t, w, n, -0.5, 0.5);
  }
  int eloss = core_entry(x, "loss"), egrad = core_entry(x, "grad");
  double l0 = run_loss(x, egrad, arena, in), l1 = run_loss(x, eloss, arena, in);
  check_close(t, l0, l1, 1e-13, "loss of the grad entry vs the loss entry");
  printf("%-16s compile %.3fs loss %-10.6g", name, core_compile_seconds(x), l1);
  for (int i = 0; i < np; i++) {
    long n;
    const char *pname = env.p->tensors[i].name;
    double *w = core_tensor_data(x, arena, pname, &n);
    double *gr = core_tensor_data(x, arena, env.p->tensors[np + i].name, NULL);
    double worst = 0, worst_g = 0, worst_fd = 0;
    long worst_k = 0;
    for (int s = 0; s < samples && s < n; s++) {
      long k = n <= samples ? s : (long)check_uniform(t, 0, (double)n);
      double keep = w[k];
      w[k] = keep + GC_STEP;
      double lp = run_loss(x, eloss, arena, in);
      w[k] = keep - GC_STEP;
      double lm = run_loss(x, eloss, arena, in);
      w[k] = keep;
      double fd = (lp - lm) / (2 * GC_STEP), g = gr[k];
      double err = fabs(g - fd) / fmax(fmax(fabs(g), fabs(fd)), 1e-6);
      if (err >= worst) {
        worst = err;
        worst_k = k;
        worst_g = g;
        worst_fd = fd;
      }
    }
    check(t, worst <= tol, "%s: d loss / d %s[%ld]: autodiff %.12g, finite difference %.12g", name,
          pname, worst_k, worst_g, worst_fd);
    printf(" %s %.1e", pname, worst);
  }
  printf("\n");
  for (int i = 0; i < env.p->ninputs; i++)
    free(in[i]);
  free(arena);
  core_free(x);
  ir_program_free(env.p);
}
