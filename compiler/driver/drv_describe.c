/* drv_describe.c: the host's description of an experiment, filled from the
 * checked experiment (its schedule, data bindings, evaluations, loss and
 * optimizers with every argument, weights named by path) with the --set
 * arguments and the program's files, and written back as C (see
 * drv_describe.h). */
#include "drv_describe.h"

#include <math.h>
#include <string.h>

#ifndef DUET_VERSION
#error "DUET_VERSION must be defined by the build"
#endif

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

static host_value describe_value(const mt_binding *b) {
  const mt_value *v = &b->value;
  switch (v->kind) {
  case MT_BOOL:
    return (host_value){b->name, HOST_VALUE_BOOL, v->b ? 1 : 0, NULL};
  case MT_STRING:
    return (host_value){b->name, HOST_VALUE_STR, 0, v->s};
  default:
    return (host_value){b->name, HOST_VALUE_NUM, mt_value_num(*v), NULL};
  }
}

/* Optimizer o of e with every argument and the weights it updates. */
static void describe_optimizer(arena *a, const sema_experiment *e, const sema_optimizer *o,
                               host_optimizer *out) {
  host_value *args = NEW(a, o->nargs, host_value);
  for (int i = 0; i < o->nargs; i++)
    args[i] = describe_value(&o->args[i]);
  const mt_model *m = e->model;
  const char **weights = NEW(a, m->nweights, const char *);
  int n = 0;
  for (int i = 0; i < m->nweights; i++)
    if (e->weight_opt[i] == o)
      weights[n++] = m->weights[i]->path;
  const char *group = !o->group    ? NULL
                      : o->is_glob ? arena_printf(a, "\"%s\"", o->group)
                                   : o->group;
  *out = (host_optimizer){group, o->decl->name, o->via, o->nargs, args, n, weights};
}

host_experiment *drv_describe(arena *a, const sema_experiment *e, const drv_describe_info *info) {
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
  host_example example = {0};
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, "train") == 0 && e->data[i].example)
      example = *e->data[i].example;
  host_eval *evals = NEW(a, e->nevals, host_eval);
  for (int i = 0; i < e->nevals; i++)
    describe_eval(a, &e->evals[i], &evals[i]);
  host_optimizer *opts = NEW(a, e->ngroups + 1, host_optimizer);
  describe_optimizer(a, e, e->optimizer, &opts[0]);
  for (int i = 0; i < e->ngroups; i++)
    describe_optimizer(a, e, &e->groups[i], &opts[i + 1]);
  *x = (host_experiment){.name = e->name,
                         .source = info->source,
                         .duet_version = DUET_VERSION,
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
                         .example = example,
                         .nevals = e->nevals,
                         .evals = evals,
                         .loss = e->loss,
                         .noptimizers = e->ngroups + 1,
                         .optimizers = opts,
                         .noverrides = info->noverrides,
                         .overrides = (const char *const *)info->overrides,
                         .nfiles = info->nfiles,
                         .files = info->files};
  return x;
}

/* ---- as C ------------------------------------------------------------------ */

static void put_double(FILE *f, double v) {
  if (isnan(v))
    fputs("NAN", f);
  else
    fprintf(f, "%.17g", v);
}

/* Text of any bytes as a C string literal, one literal per line of the
 * text (adjacent literals join); quotes, backslashes, question marks (no
 * trigraphs) and bytes that are not printable escaped. */
static void put_text(FILE *f, const char *text, long len) {
  fputs("\"", f);
  for (long i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '"' || c == '\\' || c == '?')
      fprintf(f, "\\%c", c);
    else if (c == '\n')
      fputs(i + 1 < len ? "\\n\"\n    \"" : "\\n", f);
    else if (c < 0x20 || c >= 0x7f)
      fprintf(f, "\\%03o", c);
    else
      fputc(c, f);
  }
  fputs("\"", f);
}

/* A C string literal (names, paths, splits, settings). */
static void put_string(FILE *f, const char *s) { put_text(f, s, (long)strlen(s)); }

static void put_strings(FILE *f, const char *name, const char *const *v, int n) {
  fprintf(f, "static const char *const %s[] = {", name);
  for (int i = 0; i < n; i++) {
    fputs(i ? ", " : "", f);
    put_string(f, v[i]);
  }
  fputs(n ? "};\n" : "NULL};\n", f);
}

/* `static const host_example experiment_example = {...};` */
static void put_example(FILE *f, const host_example *ex) {
  fputs("static const host_example experiment_example = {", f);
  put_string(f, ex->source ? ex->source : "");
  fprintf(f, ", %d, %d, {%ld, %ld, %ld}, %d, %d, {%ld, %ld, %ld}, %d, %d, %ld};\n", ex->x_tokens,
          ex->x_rank, ex->x_dims[0], ex->x_dims[1], ex->x_dims[2], ex->y_labels, ex->y_rank,
          ex->y_dims[0], ex->y_dims[1], ex->y_dims[2], ex->classes, ex->classifier, ex->context);
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

static void put_optimizers(FILE *f, const host_experiment *x) {
  for (int i = 0; i < x->noptimizers; i++) {
    const host_optimizer *o = &x->optimizers[i];
    fprintf(f, "static const host_value opt%d_args[] = {\n", i);
    for (int j = 0; j < o->nargs; j++) {
      const host_value *v = &o->args[j];
      fputs("    {", f);
      put_string(f, v->name);
      fprintf(f, ", %s, ",
              v->kind == HOST_VALUE_STR    ? "HOST_VALUE_STR"
              : v->kind == HOST_VALUE_BOOL ? "HOST_VALUE_BOOL"
                                           : "HOST_VALUE_NUM");
      put_double(f, v->num);
      fputs(", ", f);
      if (v->str)
        put_string(f, v->str);
      else
        fputs("NULL", f);
      fputs("},\n", f);
    }
    fputs(o->nargs ? "};\n" : "    {0}};\n", f);
    char name[64];
    snprintf(name, sizeof name, "opt%d_weights", i);
    put_strings(f, name, o->weights, o->nweights);
  }
  fputs("static const host_optimizer optimizers[] = {\n", f);
  for (int i = 0; i < x->noptimizers; i++) {
    const host_optimizer *o = &x->optimizers[i];
    fputs("    {", f);
    for (int k = 0; k < 3; k++) {
      const char *v = k == 0 ? o->group : k == 1 ? o->name : o->via;
      if (v)
        put_string(f, v);
      else
        fputs("NULL", f);
      fputs(", ", f);
    }
    fprintf(f, "%d, opt%d_args, %d, opt%d_weights},\n", o->nargs, i, o->nweights, i);
  }
  fputs("};\n", f);
}

static void put_files(FILE *f, const host_experiment *x) {
  fputs("static const host_source_file files[] = {\n", f);
  for (int i = 0; i < x->nfiles; i++) {
    fputs("    {", f);
    put_string(f, x->files[i].path);
    fputs(",\n    ", f);
    put_text(f, x->files[i].text, x->files[i].len);
    fprintf(f, ",\n    %ld},\n", x->files[i].len);
  }
  fputs(x->nfiles ? "};\n" : "    {0}};\n", f);
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
  put_optimizers(f, x);
  put_strings(f, "overrides", x->overrides, x->noverrides);
  put_files(f, x);
  put_example(f, &x->example);
  fprintf(f, "const host_experiment %s = {\n    .name = ", name);
  put_string(f, x->name);
  fputs(",\n    .source = ", f);
  put_string(f, x->source);
  fputs(",\n    .duet_version = ", f);
  put_string(f, x->duet_version);
  fprintf(f, ",\n    .seed = UINT64_C(%llu), .epochs = %ld, .steps = %ld, .lr = ",
          (unsigned long long)x->seed, x->epochs, x->steps);
  put_double(f, x->lr);
  fprintf(f,
          ", .params = %ld,\n    .nsched = %d, .sched_names = sched_names, .sched_args = "
          "sched_args,\n    .ndata = %d, .data = data, .nevals = %d, .evals = evals,\n    "
          ".example = experiment_example, .loss = ",
          x->params, x->nsched, x->ndata, x->nevals);
  put_string(f, x->loss);
  fprintf(f,
          ",\n    .noptimizers = %d, .optimizers = optimizers,\n    .noverrides = %d, "
          ".overrides = overrides,\n    .nfiles = %d, .files = files,\n};\n",
          x->noptimizers, x->noverrides, x->nfiles);
}
