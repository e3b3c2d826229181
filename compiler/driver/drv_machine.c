/* drv_machine.c: compiles a program and holds what running it needs: the
 * arena, input buffers and scalars; and the program behind the host's
 * model interface (see drv_machine.h). */
#include "drv_machine.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"

static bool init(drv_machine *m, ir_program *p, bool predict) {
  *m = (drv_machine){.ir = p, .real = p->real};
  char err[1024];
  m->exe = predict ? core_compile_predict(p, err, sizeof err) : core_compile(p, err, sizeof err);
  if (!m->exe) {
    fprintf(stderr, "duet: internal error: compiling the program failed: %s\n", err);
    drv_machine_free(m);
    return false;
  }
  m->arena = core_arena_alloc(m->exe);
  m->inputs = calloc((size_t)p->ninputs + 1, sizeof *m->inputs);
  m->args = calloc((size_t)p->ninputs + 1, sizeof *m->args);
  m->scalars = calloc((size_t)p->nscalars + 1, sizeof *m->scalars);
  bool ok = m->arena && m->inputs && m->args && m->scalars;
  for (int i = 0; ok && i < p->ninputs; i++) {
    const ir_input_decl *in = &p->inputs[i];
    m->inputs[i] = malloc((size_t)ir_numel(&in->shape) * ir_dtype_size(in->dtype));
    ok = m->inputs[i] != NULL;
  }
  if (!ok) {
    fprintf(stderr, "duet: error: out of memory for the program's %zu-byte arena\n",
            core_arena_bytes(m->exe));
    drv_machine_free(m);
  }
  return ok;
}

bool drv_machine_init(drv_machine *m, ir_program *p) { return init(m, p, false); }

bool drv_machine_init_predict(drv_machine *m, ir_program *p) { return init(m, p, true); }

void drv_machine_free(drv_machine *m) {
  if (m->inputs)
    for (int i = 0; i < m->ir->ninputs; i++)
      free(m->inputs[i]);
  free(m->inputs);
  free(m->args);
  free(m->scalars);
  free(m->arena);
  free(m->tensors);
  free(m->before);
  free(m->owner);
  free(m->update_flops);
  free(m->zeros);
  core_free(m->exe);
  ir_program_free(m->ir);
  *m = (drv_machine){0};
}

void drv_machine_set(drv_machine *m, const char *name, double v) {
  int i = ir_find_scalar(m->ir, name);
  if (i >= 0)
    m->scalars[i] = v;
}

void drv_machine_run(drv_machine *m, int entry, double *out) {
  assert(entry >= 0 && core_entry_noutputs(m->exe, entry) <= DRV_MAX_OUTPUTS);
  core_run(m->exe, entry, m->arena, m->inputs, m->scalars, out);
}

int drv_machine_output(const drv_machine *m, int entry, const char *name) {
  for (int i = 0; entry >= 0 && i < core_entry_noutputs(m->exe, entry); i++)
    if (strcmp(core_entry_output_name(m->exe, entry, i), name) == 0)
      return i;
  return -1;
}

int drv_machine_add_evals(ir_program *p, drv_source *s, const sema_experiment *e, const long *sizes,
                          int n) {
  int x, y, nadded = 0;
  long batch, added[DRV_MAX_EVALS];
  if (!elab_entry_inputs(p, "eval_step", &x, &y, &batch)) {
    fprintf(stderr, "duet: internal error: the program has no eval_step\n");
    return 2;
  }
  for (int i = 0; i < n; i++) {
    long rest = sizes[i] % batch;
    bool have = rest == 0;
    for (int k = 0; k < nadded; k++)
      have = have || added[k] == rest;
    if (have)
      continue;
    if (nadded + 1 == DRV_MAX_EVALS) {
      fprintf(stderr, "duet: error: too many evaluation sets of different sizes\n");
      return 1;
    }
    added[nadded++] = rest;
    const char *name = arena_printf(s->unit.arena, "eval_step_%ld", rest);
    if (!elab_add_eval(p, s->sema, e, rest, name, s->unit.diag)) {
      drv_report_diags(s);
      return drv_failure_code(s);
    }
  }
  return 0;
}

/* ---- the host's model interface ------------------------------------------- */

static void iface_init(void *self, uint64_t seed) {
  drv_machine *m = self;
  core_init(m->exe, m->arena, seed);
}

/* Sets the step number and schedule value of the next step. */
static void set_step(drv_machine *m, long t, double schedule) {
  if (m->t_scalar >= 0)
    m->scalars[m->t_scalar] = (double)t;
  if (m->s_scalar >= 0)
    m->scalars[m->s_scalar] = schedule;
}

static void iface_init_state(void *self) {
  drv_machine *m = self;
  double out[DRV_MAX_OUTPUTS];
  core_run(m->exe, core_entry(m->exe, "init_state"), m->arena, NULL, m->scalars, out);
}

static double iface_train_step(void *self, const void *x, const void *y, long t, double schedule,
                               double *norms) {
  drv_machine *m = self;
  int entry = norms ? m->logged : m->step;
  double out[DRV_MAX_OUTPUTS];
  m->args[m->x_in] = (void *)x;
  m->args[m->y_in] = (void *)y;
  set_step(m, t, schedule);
  core_run(m->exe, entry, m->arena, m->args, m->scalars, out);
  if (norms) {
    norms[0] = m->out_nw >= 0 ? out[m->out_nw] : NAN;
    norms[1] = m->out_nu >= 0 ? out[m->out_nu] : NAN;
  }
  return out[norms ? m->out_logged_loss : m->out_loss];
}

static double iface_grad_step(void *self, const void *x, const void *y,
                              void (*ready)(void *arg, int i), void *arg) {
  drv_machine *m = self;
  double out[DRV_MAX_OUTPUTS];
  m->args[m->x_in] = (void *)x;
  m->args[m->y_in] = (void *)y;
  rt_grad_ready_set(ready, arg);
  core_run(m->exe, m->grad, m->arena, m->args, m->scalars, out);
  rt_grad_ready_set(NULL, NULL);
  return out[m->out_grad_loss];
}

static void iface_apply_step(void *self, long t, double schedule) {
  drv_machine *m = self;
  double out[DRV_MAX_OUTPUTS];
  set_step(m, t, schedule);
  core_run(m->exe, m->apply, m->arena, m->args, m->scalars, out);
}

static void iface_step_norms(void *self, double *norms) {
  drv_machine *m = self;
  double out[DRV_MAX_OUTPUTS];
  core_run(m->exe, m->norms, m->arena, m->args, m->scalars, out);
  norms[0] = m->out_nw >= 0 ? out[m->out_nw] : NAN;
  norms[1] = m->out_nu >= 0 ? out[m->out_nu] : NAN;
}

/* The inputs `<weight path>:before` of step_norms as host tensors (the
 * weights' shapes), each passed to every call. */
static int bind_before(drv_machine *m, int nweights) {
  m->before = calloc((size_t)nweights + 1, sizeof *m->before);
  if (!m->before)
    return 1;
  for (int i = 0; i < nweights; i++) {
    const host_tensor *w = &m->tensors[i];
    char name[1024];
    snprintf(name, sizeof name, "%s:before", w->name);
    int in = ir_find_input(m->ir, name);
    if (in < 0)
      return 2;
    m->before[i] = *w;
    m->before[i].data = m->args[in] = m->inputs[in];
  }
  return 0;
}

static const drv_eval_entry *eval_entry(const drv_machine *m, long n) {
  for (int k = 0; k < m->nevals; k++)
    if (m->evals[k].batch == n)
      return &m->evals[k];
  return NULL;
}

static int iface_eval(void *self, const void *x, const void *y, long n, double *loss,
                      double *correct) {
  drv_machine *m = self;
  const drv_eval_entry *e = eval_entry(m, n);
  if (!e)
    return -1;
  double out[DRV_MAX_OUTPUTS];
  m->args[e->x] = (void *)x;
  m->args[e->y] = (void *)y;
  core_run(m->exe, e->whole, m->arena, m->args, m->scalars, out);
  *loss = out[e->out_loss];
  *correct = e->out_correct >= 0 ? out[e->out_correct] : NAN;
  return 0;
}

static int iface_predict(void *self, const void *x, long n, int32_t *pred, float *scores) {
  drv_machine *m = self;
  const drv_eval_entry *e = eval_entry(m, n);
  if (!e || e->scores < 0)
    return -1;
  double out[DRV_MAX_OUTPUTS];
  m->args[e->x] = (void *)x;
  m->args[e->y] = m->zeros; /* the scores do not read the labels */
  core_run(m->exe, e->scores, m->arena, m->args, m->scalars, out);
  const float *s = (const float *)((const char *)m->arena + e->at.off);
  if (scores)
    memcpy(scores, s, (size_t)(e->at.rows * e->at.classes) * sizeof *s);
  for (long row = 0; row < e->at.rows; row++, s += e->at.classes) {
    long arg = 0;
    for (long j = 1; j < e->at.classes; j++)
      if (s[j] > s[arg])
        arg = j;
    pred[row] = (int32_t)arg;
  }
  return 0;
}

/* The evaluation entries the program has (eval_step first), with their
 * scores when compiled for prediction. */
static int bind_evals(drv_machine *m) {
  const kp_program *kp = core_kernels(m->exe);
  for (int i = 0; i < kp->nentries; i++) {
    const char *name = kp->entries[i].name;
    size_t len = strlen(name);
    if (strncmp(name, "eval_step", 9) != 0 || (len > 7 && !strcmp(name + len - 7, "_scores")))
      continue;
    if (m->nevals == DRV_MAX_EVALS)
      return 2;
    drv_eval_entry *e = &m->evals[m->nevals++];
    if (!elab_entry_inputs(m->ir, name, &e->x, &e->y, &e->batch))
      return 2;
    e->whole = core_entry(m->exe, name);
    e->out_loss = drv_machine_output(m, e->whole, "loss");
    e->out_correct = drv_machine_output(m, e->whole, "correct");
    char scores[256];
    snprintf(scores, sizeof scores, "%s_scores", name);
    e->scores = core_entry(m->exe, scores);
    if (e->scores >= 0 && !kp_entry_scores(&kp->entries[e->whole], &e->at))
      e->scores = -1;
    if (e->out_loss < 0)
      return 2;
    if (strcmp(name, "eval_step") == 0) { /* first */
      drv_eval_entry first = *e;
      memmove(&m->evals[1], &m->evals[0], (size_t)(m->nevals - 1) * sizeof *e);
      m->evals[0] = first;
    }
  }
  return 0;
}

int drv_machine_host(drv_machine *m, host_model *out, int *owner, double *flops) {
  m->owner = owner;
  m->update_flops = flops;
  const kp_program *kp = core_kernels(m->exe);
  m->step = core_entry(m->exe, "train_step");
  m->logged = core_entry(m->exe, "train_step_logged");
  m->out_loss = drv_machine_output(m, m->step, "loss");
  m->out_logged_loss = drv_machine_output(m, m->logged, "loss");
  m->grad = core_entry(m->exe, "grad_step");
  m->apply = core_entry(m->exe, "apply_step");
  m->norms = core_entry(m->exe, "step_norms");
  m->out_grad_loss = drv_machine_output(m, m->grad, "loss");
  int norms_of = m->logged >= 0 ? m->logged : m->norms;
  m->out_nw = drv_machine_output(m, norms_of, "norm_weights");
  m->out_nu = drv_machine_output(m, norms_of, "norm_update");
  m->t_scalar = ir_find_scalar(m->ir, "t");
  m->s_scalar = ir_find_scalar(m->ir, "schedule");
  long batch = 0;
  bool train = m->step >= 0 && m->logged >= 0;
  bool split = m->grad >= 0 && m->apply >= 0 && m->norms >= 0;
  if ((train && (!elab_entry_inputs(m->ir, "train_step", &m->x_in, &m->y_in, &batch) ||
                 m->out_loss < 0 || m->out_logged_loss < 0)) ||
      (split && (!elab_entry_inputs(m->ir, "grad_step", &m->x_in, &m->y_in, &batch) ||
                 m->out_grad_loss < 0))) {
    fprintf(stderr, "duet: internal error: the program lacks its training entries\n");
    return 2;
  }
  if (bind_evals(m) != 0) {
    fprintf(stderr, "duet: internal error: malformed evaluation entries\n");
    return 2;
  }
  m->tensors = calloc((size_t)kp->ntensors + 1, sizeof *m->tensors);
  long labels = m->nevals ? (long)ir_numel(&m->ir->inputs[m->evals[0].y].shape) : 0;
  m->zeros = calloc((size_t)labels + 1, sizeof *m->zeros);
  if (!m->tensors || !m->zeros) {
    fprintf(stderr, "duet: error: out of memory\n");
    return 1;
  }
  int npersistent = 0, ngrads = 0;
  for (int i = 0; i < kp->ntensors; i++)
    npersistent += !kp->tensors[i].is_grad;
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    host_tensor *h = &m->tensors[t->is_grad ? npersistent + ngrads++ : i - ngrads];
    *h = (host_tensor){.name = t->name,
                       .rank = t->rank,
                       .count = t->count,
                       .is_param = t->is_param,
                       .data = t->off < 0 ? NULL : (char *)m->arena + t->off};
    for (int d = 0; d < t->rank; d++)
      h->shape[d] = t->shape[d];
  }
  int rc = split ? bind_before(m, ngrads) : 0;
  if (rc != 0) {
    fprintf(stderr, rc == 1
                        ? "duet: error: out of memory\n"
                        : "duet: internal error: the program lacks the weights before a step\n");
    return rc;
  }
  *out = (host_model){
      .self = m,
      .f64 = m->real == IR_F64,
      .batch = batch,
      .eval_batch = m->nevals ? m->evals[0].batch : 0,
      .classes = m->nevals && m->evals[0].scores >= 0 ? (int)m->evals[0].at.classes : 0,
      .ntensors = npersistent,
      .tensors = m->tensors,
      .compile_s = core_compile_seconds(m->exe),
      .init = iface_init,
      .init_state = core_entry(m->exe, "init_state") >= 0 ? iface_init_state : NULL,
      .train_step = train ? iface_train_step : NULL,
      .eval = iface_eval,
      .predict = iface_predict,
      .grad_step = split ? iface_grad_step : NULL,
      .apply_step = split ? iface_apply_step : NULL,
      .step_norms = split ? iface_step_norms : NULL,
      .ngrads = ngrads,
      .grads = m->tensors + npersistent,
      .before = m->before,
      .owner = owner,
      .update_flops = flops,
  };
  return 0;
}
