/* drv_describe.c: the host's description of an experiment, filled from the
 * checked experiment (its schedule, data bindings and evaluations, weights
 * named by path), and written back as C (see drv_describe.h). */
#include "drv_describe.h"

#include <math.h>
#include <string.h>

#define NEW(a, n, T) ((T *)arena_alloc((a), (size_t)((n) ? (n) : 1) * sizeof(T)))

/* The default optimizer's lr argument, or NaN. */
static double optimizer_lr(const sema_optimizer *o) {
  for (int i = 0; i < o->nargs; i++)
    if (strcmp(o->args[i].name, "lr") == 0)
      return mt_value_num(o->args[i].value);
  return NAN;
}

static const char *const *weight_paths(arena *a, const mt_weight *const *w, int n) {
  const char **paths = NEW(a, n, const char *);
  for (int i = 0; i < n; i++)
    paths[i] = w[i]->path;
  return paths;
}

static void describe_eval(arena *a, const sema_eval *ev, host_eval *out) {
  host_metric *metrics = NEW(a, ev->nmetrics, host_metric);
  for (int j = 0; j < ev->nmetrics; j++)
    metrics[j] = (host_metric){ev->metrics[j].name, ev->metrics[j].data};
  *out = (host_eval){.per_epoch = ev->unit == AST_EVERY_EPOCH,
                     .every = (long)ev->every,
                     .nmetrics = ev->nmetrics,
                     .metrics = metrics};
  if (ev->nspectra) { /* sema allows one */
    host_spectrum *sp = NEW(a, 1, host_spectrum);
    *sp = (host_spectrum){ev->spectra[0].nweights,
                          weight_paths(a, ev->spectra[0].weights, ev->spectra[0].nweights)};
    out->spectrum = sp;
  }
  if (ev->nablations) { /* sema allows one */
    const sema_ablation *ab = &ev->ablations[0];
    host_ablation *h = NEW(a, 1, host_ablation);
    *h = (host_ablation){ab->data, ab->nweights, weight_paths(a, ab->weights, ab->nweights),
                         ab->heads};
    out->ablation = h;
  }
}

host_experiment *drv_describe(arena *a, const sema_experiment *e, const char *source) {
  host_experiment *x = NEW(a, 1, host_experiment);
  const char **names = NEW(a, e->nsched, const char *);
  double *args = NEW(a, e->nsched, double);
  for (int i = 0; i < e->nsched; i++) {
    names[i] = e->sched[i].name;
    args[i] = e->sched[i].nargs ? e->sched[i].args[0] : NAN;
  }
  host_binding *data = NEW(a, e->ndata, host_binding);
  for (int i = 0; i < e->ndata; i++)
    sema_data_binding(&e->data[i], NEW(a, e->data[i].nargs, host_arg), &data[i]);
  host_eval *evals = NEW(a, e->nevals, host_eval);
  for (int i = 0; i < e->nevals; i++)
    describe_eval(a, &e->evals[i], &evals[i]);
  *x = (host_experiment){.name = e->name,
                         .source = source,
                         .seed = (uint64_t)e->seed,
                         .epochs = (long)e->epochs,
                         .steps = (long)e->steps,
                         .lr = optimizer_lr(e->optimizer),
                         .params = (long)e->model->nparams,
                         .nsched = e->nsched,
                         .sched_names = names,
                         .sched_args = args,
                         .ndata = e->ndata,
                         .data = data,
                         .nevals = e->nevals,
                         .evals = evals};
  return x;
}

/* ---- as C ------------------------------------------------------------------ */

static void put_double(FILE *f, double v) {
  if (isnan(v))
    fputs("NAN", f);
  else
    fprintf(f, "%.17g", v);
}

/* A C string literal (the strings here are names, paths and splits). */
static void put_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++)
    fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
  fputc('"', f);
}

static void put_strings(FILE *f, const char *name, const char *const *v, int n) {
  fprintf(f, "static const char *const %s[] = {", name);
  for (int i = 0; i < n; i++) {
    fputs(i ? ", " : "", f);
    put_string(f, v[i]);
  }
  fputs(n ? "};\n" : "NULL};\n", f);
}

static void put_binding(FILE *f, const host_binding *b, int i) {
  for (int j = 0; j < b->nargs; j++)
    if (b->args[j].kind == HOST_INT_LIST) {
      fprintf(f, "static const long long data%d_arg%d[] = {", i, j);
      for (int k = 0; k < b->args[j].nints; k++)
        fprintf(f, "%s%lld", k ? ", " : "", b->args[j].ints[k]);
      fputs(b->args[j].nints ? "};\n" : "0};\n", f);
    }
  fprintf(f, "static const host_arg data%d_args[] = {\n", i);
  for (int j = 0; j < b->nargs; j++) {
    const host_arg *a = &b->args[j];
    fputs("    {", f);
    put_string(f, a->name);
    fprintf(f, ", %s, ",
            a->kind == HOST_STRING     ? "HOST_STRING"
            : a->kind == HOST_INT_LIST ? "HOST_INT_LIST"
                                       : "HOST_NUMBER");
    if (a->kind == HOST_STRING)
      put_string(f, a->s);
    else
      fputs("NULL", f);
    fputs(", ", f);
    put_double(f, a->num);
    if (a->kind == HOST_INT_LIST)
      fprintf(f, ", %d, data%d_arg%d},\n", a->nints, i, j);
    else
      fputs(", 0, NULL},\n", f);
  }
  fputs(b->nargs ? "};\n" : "    {0}};\n", f);
}

static void put_eval(FILE *f, const host_eval *ev, int i) {
  fprintf(f, "static const host_metric eval%d_metrics[] = {", i);
  for (int j = 0; j < ev->nmetrics; j++) {
    fputs(j ? ", {" : "{", f);
    put_string(f, ev->metrics[j].name);
    fputs(", ", f);
    put_string(f, ev->metrics[j].data);
    fputs("}", f);
  }
  fputs(ev->nmetrics ? "};\n" : "{0}};\n", f);
  char name[64];
  if (ev->spectrum) {
    snprintf(name, sizeof name, "eval%d_spectrum_weights", i);
    put_strings(f, name, ev->spectrum->weights, ev->spectrum->nweights);
    fprintf(f, "static const host_spectrum eval%d_spectrum = {%d, %s};\n", i,
            ev->spectrum->nweights, name);
  }
  if (ev->ablation) {
    const host_ablation *ab = ev->ablation;
    snprintf(name, sizeof name, "eval%d_ablation_weights", i);
    put_strings(f, name, ab->weights, ab->nweights);
    fprintf(f, "static const int eval%d_ablation_heads[] = {", i);
    for (int j = 0; j < ab->nweights; j++)
      fprintf(f, "%s%d", j ? ", " : "", ab->heads[j]);
    fprintf(f, "};\nstatic const host_ablation eval%d_ablation = {", i);
    put_string(f, ab->data);
    fprintf(f, ", %d, %s, eval%d_ablation_heads};\n", ab->nweights, name, i);
  }
}

void drv_describe_write_c(FILE *f, const host_experiment *x, const char *name) {
  put_strings(f, "sched_names", x->sched_names, x->nsched);
  fputs("static const double sched_args[] = {", f);
  for (int i = 0; i < x->nsched; i++) {
    fputs(i ? ", " : "", f);
    put_double(f, x->sched_args[i]);
  }
  fputs(x->nsched ? "};\n" : "0};\n", f);
  for (int i = 0; i < x->ndata; i++)
    put_binding(f, &x->data[i], i);
  fputs("static const host_binding data[] = {\n", f);
  for (int i = 0; i < x->ndata; i++) {
    fputs("    {", f);
    put_string(f, x->data[i].name);
    fputs(", ", f);
    put_string(f, x->data[i].source);
    fprintf(f, ", %d, data%d_args},\n", x->data[i].nargs, i);
  }
  fputs("};\n", f);
  for (int i = 0; i < x->nevals; i++)
    put_eval(f, &x->evals[i], i);
  fputs("static const host_eval evals[] = {\n", f);
  for (int i = 0; i < x->nevals; i++) {
    const host_eval *ev = &x->evals[i];
    fprintf(f, "    {%s, %ld, %d, eval%d_metrics, ", ev->per_epoch ? "true" : "false", ev->every,
            ev->nmetrics, i);
    if (ev->spectrum)
      fprintf(f, "&eval%d_spectrum, ", i);
    else
      fputs("NULL, ", f);
    if (ev->ablation)
      fprintf(f, "&eval%d_ablation},\n", i);
    else
      fputs("NULL},\n", f);
  }
  fputs(x->nevals ? "};\n" : "    {0}};\n", f);
  fprintf(f, "const host_experiment %s = {\n    ", name);
  put_string(f, x->name);
  fputs(", ", f);
  put_string(f, x->source);
  fprintf(f, ",\n    UINT64_C(%llu), %ld, %ld, ", (unsigned long long)x->seed, x->epochs, x->steps);
  put_double(f, x->lr);
  fprintf(f, ", %ld,\n    %d, sched_names, sched_args, %d, data, %d, evals,\n};\n", x->params,
          x->nsched, x->ndata, x->nevals);
}
