/* drv_eval.c: whole-set evaluation: eval_step on full batches of the set in
 * order, an entry of the remainder's size for the last batch (added with
 * elab_add_eval before compiling), and the example-weighted means. */
#include "drv_eval.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static bool find_inputs(const ir_program *p, drv_eval_entry *x) {
  return elab_entry_inputs(p, x->name, &x->x, &x->y, &x->batch);
}

int drv_eval_prepare(drv_evaluator *ev, ir_program *p, drv_source *s, const sema_experiment *e,
                     const drv_data *sets, int nsets) {
  *ev = (drv_evaluator){.n = 1};
  ev->e[0].name = "eval_step";
  if (!find_inputs(p, &ev->e[0])) {
    fprintf(stderr, "duet: internal error: the program has no eval_step\n");
    return 2;
  }
  for (int i = 0; i < nsets; i++) {
    long rest = sets[i].n % ev->e[0].batch;
    bool have = rest == 0;
    for (int k = 1; k < ev->n; k++)
      have = have || ev->e[k].batch == rest;
    if (have)
      continue;
    if (ev->n == DRV_MAX_EVAL_ENTRIES) {
      fprintf(stderr, "duet: error: too many evaluation sets of different sizes\n");
      return 1;
    }
    drv_eval_entry *x = &ev->e[ev->n++];
    x->name = arena_printf(s->unit.arena, "eval_step_%ld", rest);
    if (!elab_add_eval(p, s->sema, e, rest, x->name, s->unit.diag) || !find_inputs(p, x)) {
      drv_report_diags(s);
      return drv_failure_code(s);
    }
  }
  return 0;
}

void drv_eval_bind(drv_evaluator *ev, const drv_machine *m) {
  for (int k = 0; k < ev->n; k++) {
    drv_eval_entry *x = &ev->e[k];
    x->entry = core_entry(m->exe, x->name);
    x->out_loss = drv_machine_output(m, x->entry, "loss");
    x->out_correct = drv_machine_output(m, x->entry, "correct");
  }
}

/* The entry evaluating `count` examples. */
static const drv_eval_entry *entry_for(const drv_evaluator *ev, long count) {
  for (int k = 0; k < ev->n; k++)
    if (ev->e[k].batch == count)
      return &ev->e[k];
  return NULL;
}

void drv_eval_run(const drv_evaluator *ev, drv_machine *m, const drv_data *d, double *loss,
                  double *accuracy) {
  long full = ev->e[0].batch;
  uint32_t *idx = malloc((size_t)full * sizeof *idx);
  if (!idx)
    abort();
  double sum_loss = 0, sum_correct = 0;
  bool counted = true;
  for (long first = 0; first < d->n; first += full) {
    long count = d->n - first < full ? d->n - first : full;
    const drv_eval_entry *x = entry_for(ev, count);
    assert(x && "drv_eval_prepare made an entry for every batch size");
    for (long i = 0; i < count; i++)
      idx[i] = (uint32_t)(first + i);
    drv_data_gather(d, idx, (uint32_t)count, m->real, m->inputs[x->x], m->inputs[x->y]);
    double out[DRV_MAX_OUTPUTS];
    drv_machine_run(m, x->entry, out);
    sum_loss += out[x->out_loss] * (double)count;
    if (x->out_correct >= 0)
      sum_correct += out[x->out_correct];
    counted = counted && x->out_correct >= 0;
  }
  free(idx);
  *loss = sum_loss / (double)d->n;
  *accuracy = counted ? sum_correct / (double)d->n : NAN;
}
