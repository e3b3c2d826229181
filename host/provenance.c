/* provenance.c: the provenance fields of summary.json (host_provenance.h),
 * built from the experiment's description, its loaded data and the run's
 * options, and the FNV-1a digest of the data files. */
#include "host_provenance.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- storage ---------------------------------------------------------------- */

static void *keep(host_provenance *p, void *block) {
  if (!block)
    abort();
  if (p->nblocks == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 64;
    p->blocks = realloc(p->blocks, (size_t)p->cap * sizeof *p->blocks);
    if (!p->blocks)
      abort();
  }
  p->blocks[p->nblocks++] = block;
  return block;
}

static rt_field *new_fields(host_provenance *p, size_t n) {
  return keep(p, calloc(n ? n : 1, sizeof(rt_field)));
}

static const char *text(host_provenance *p, const char *fmt, ...) RT_PRINTF_LIKE(2, 3);

static const char *text(host_provenance *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = keep(p, malloc((size_t)n + 1));
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void host_provenance_free(host_provenance *p) {
  for (int i = 0; i < p->nblocks; i++)
    free(p->blocks[i]);
  free(p->blocks);
  *p = (host_provenance){0};
}

/* An array of strings. */
static rt_field strings(host_provenance *p, const char *key, const char *const *v, int n) {
  rt_field *f = new_fields(p, (size_t)n);
  for (int i = 0; i < n; i++)
    f[i] = RT_STR(NULL, v[i]);
  return RT_ARR(key, f, (size_t)n);
}

/* ---- settings ---------------------------------------------------------------- */

static rt_field value_field(const host_value *v) {
  if (v->kind == HOST_VALUE_STR)
    return RT_STR(v->name, v->str);
  if (v->kind == HOST_VALUE_BOOL)
    return RT_BOOL(v->name, v->num != 0);
  return RT_NUM(v->name, v->num);
}

static rt_field optimizer_field(host_provenance *p, const host_optimizer *o) {
  rt_field *args = new_fields(p, (size_t)o->nargs);
  for (int i = 0; i < o->nargs; i++)
    args[i] = value_field(&o->args[i]);
  rt_field *f = new_fields(p, 5);
  size_t n = 0;
  f[n++] = RT_STR("group", o->group ? o->group : "default");
  f[n++] = RT_STR("optimizer", o->name);
  f[n++] = RT_OBJ("args", args, (size_t)o->nargs);
  if (o->via)
    f[n++] = RT_STR("via", o->via);
  f[n++] = strings(p, "weights", o->weights, o->nweights);
  return RT_OBJ(NULL, f, n);
}

/* "warmup(100) >> linear_decay", or "constant". */
static const char *schedule_text(host_provenance *p, const host_experiment *e) {
  const char *s = e->nsched ? "" : "constant";
  for (int i = 0; i < e->nsched; i++)
    s = text(p, "%s%s%s", s, i ? " >> " : "", e->sched[i].text);
  return s;
}

static rt_field eval_field(host_provenance *p, const host_eval *ev) {
  rt_field *f = new_fields(p, 5);
  size_t n = 0;
  f[n++] = RT_STR("every", text(p, "%ld %s", ev->every, ev->per_epoch ? "epochs" : "steps"));
  const char **metrics = keep(p, calloc((size_t)ev->nmetrics + 1, sizeof *metrics));
  for (int j = 0; j < ev->nmetrics; j++)
    metrics[j] = text(p, "%s(%s)", ev->metrics[j].name, ev->metrics[j].data);
  f[n++] = strings(p, "metrics", metrics, ev->nmetrics);
  if (ev->spectrum)
    f[n++] = strings(p, "singular_values", ev->spectrum->weights, ev->spectrum->nweights);
  if (ev->ablation) {
    rt_field *ab = new_fields(p, 2);
    ab[0] = RT_STR("data", ev->ablation->data);
    ab[1] = strings(p, "weights", ev->ablation->weights, ev->ablation->nweights);
    f[n++] = RT_OBJ("head_ablation", ab, 2);
  }
  return RT_OBJ(NULL, f, n);
}

static rt_field settings(host_provenance *p, const host_experiment *e, const host_run_facts *r) {
  rt_field *opts = new_fields(p, (size_t)e->noptimizers);
  for (int i = 0; i < e->noptimizers; i++)
    opts[i] = optimizer_field(p, &e->optimizers[i]);
  rt_field *evals = new_fields(p, (size_t)e->nevals);
  for (int i = 0; i < e->nevals; i++)
    evals[i] = eval_field(p, &e->evals[i]);
  rt_field *f = new_fields(p, 8);
  size_t n = 0;
  f[n++] = RT_STR("loss", e->loss);
  f[n++] = RT_ARR("optimizers", opts, (size_t)e->noptimizers);
  f[n++] = RT_STR("schedule", schedule_text(p, e));
  f[n++] = RT_INT("batch", r->batch);
  f[n++] = e->steps ? RT_INT("steps", e->steps) : RT_INT("epochs", e->epochs);
  f[n++] = RT_INT("seed", (long long)e->seed);
  f[n++] = RT_ARR("eval", evals, (size_t)e->nevals);
  return RT_OBJ("settings", f, n);
}

/* "distributed": the ranks, every weight's owner and update cost, the
 * optimizer state each rank stores, rank 0's exchanges, updates and
 * forward-backward pass per step (with buckets, the share of it after the
 * first gradient was complete), and the CPU time of the busiest rank's
 * updates. */
static rt_field dist_field(host_provenance *p, const host_run_facts *r) {
  const host_model *m = r->model;
  rt_field *w = new_fields(p, (size_t)m->ngrads + 1), *f = new_fields(p, 10);
  rt_field *state = new_fields(p, (size_t)r->ranks);
  for (int k = 0; k < r->ranks; k++)
    state[k] = RT_INT(NULL, r->state_bytes[k]);
  for (int i = 0; i < m->ngrads; i++) {
    rt_field *one = new_fields(p, 3);
    one[0] = RT_STR("path", m->tensors[i].name);
    one[1] = RT_INT("rank", m->owner[i]);
    one[2] = RT_NUM("update_flops", m->update_flops[i]);
    w[i] = RT_OBJ(NULL, one, 3);
  }
  f[0] = RT_INT("ranks", r->ranks);
  f[1] = RT_ARR("weights", w, (size_t)m->ngrads);
  f[2] = RT_NUM("exchange_bytes_per_step", r->exchange_bytes);
  f[3] = RT_NUM("exchange_ms_per_step", r->exchange_ms);
  f[4] = RT_NUM("update_ms_per_step", r->apply_ms);
  f[5] = RT_NUM("update_cpu_ms_per_step", r->apply_cpu_ms);
  f[6] = RT_NUM("busiest_update_cpu_ms_per_step", r->busiest_cpu_ms);
  f[7] = RT_NUM("grad_cpu_ms_per_step", r->grad_cpu_ms);
  f[8] = RT_ARR("state_bytes", state, (size_t)r->ranks);
  f[9] = RT_NUM("overlap_window", r->window);
  return RT_OBJ("distributed", f, 10);
}

static rt_field run_field(host_provenance *p, const host_run_facts *r) {
  rt_field *f = new_fields(p, 7);
  size_t n = 0;
  f[n++] = RT_INT("total_steps", r->total_steps);
  f[n++] = RT_INT("schedule_steps", r->plan_steps);
  f[n++] = RT_INT("log_every", r->log_every);
  f[n++] = RT_INT("checkpoint_every", r->checkpoint_every);
  f[n++] = RT_NUM("checkpoint_every_s", r->checkpoint_every_s);
  if (r->init_from) {
    rt_field *init = new_fields(p, 3);
    init[0] = RT_STR("path", r->init_from);
    init[1] = RT_STR("experiment", r->init_experiment ? r->init_experiment : "");
    init[2] = RT_INT("step", r->init_step);
    f[n++] = RT_OBJ("init_from", init, 3);
  }
  if (r->ranks > 1)
    f[n++] = dist_field(p, r);
  return RT_OBJ("run", f, n);
}

/* ---- data -------------------------------------------------------------------- */

int host_file_digest(const char *path, long long *bytes, uint64_t *hash, rt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    rt_error_set(err, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  uint64_t h = 0xcbf29ce484222325ull;
  long long total = 0;
  unsigned char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < got; i++)
      h = (h ^ buf[i]) * 0x100000001b3ull;
    total += (long long)got;
  }
  bool bad = ferror(f) != 0;
  fclose(f);
  if (bad) {
    rt_error_set(err, "reading %s failed", path);
    return -1;
  }
  *bytes = total;
  *hash = h;
  return 0;
}

static rt_field arg_field(host_provenance *p, const host_arg *a) {
  if (a->kind == HOST_STRING)
    return RT_STR(a->name, a->s);
  if (a->kind != HOST_INT_LIST)
    return RT_NUM(a->name, a->num);
  rt_field *v = new_fields(p, (size_t)a->nints);
  for (int i = 0; i < a->nints; i++)
    v[i] = RT_INT(NULL, a->ints[i]);
  return RT_ARR(a->name, v, (size_t)a->nints);
}

static int data_field(host_provenance *p, const host_experiment *e, const host_dataset *d,
                      rt_field *out, rt_error *err) {
  const host_binding *b = NULL;
  for (int i = 0; i < e->ndata && !b; i++)
    if (strcmp(e->data[i].name, d->name) == 0)
      b = &e->data[i];
  rt_field *args = new_fields(p, (size_t)b->nargs);
  for (int i = 0; i < b->nargs; i++)
    args[i] = arg_field(p, &b->args[i]);
  int nfiles = 0;
  while (nfiles < HOST_DATA_FILES && d->files[nfiles])
    nfiles++;
  rt_field *files = new_fields(p, (size_t)nfiles);
  for (int i = 0; i < nfiles; i++) {
    long long bytes;
    uint64_t hash;
    if (host_file_digest(d->files[i], &bytes, &hash, err) < 0)
      return -1;
    rt_field *file = new_fields(p, 3);
    file[0] = RT_STR("path", d->files[i]);
    file[1] = RT_INT("bytes", bytes);
    file[2] = RT_STR("fnv1a64", text(p, "%016llx", (unsigned long long)hash));
    files[i] = RT_OBJ(NULL, file, 3);
  }
  rt_field *f = new_fields(p, 4);
  f[0] = RT_STR("source", b->source);
  f[1] = RT_OBJ("args", args, (size_t)b->nargs);
  f[2] = RT_INT("examples", d->n);
  f[3] = RT_ARR("files", files, (size_t)nfiles);
  *out = RT_OBJ(d->name, f, 4);
  return 0;
}

/* ---- the fields -------------------------------------------------------------- */

int host_provenance_build(host_provenance *p, const host_experiment *e, const host_sets *sets,
                          const host_run_opts *o, const host_run_facts *r, rt_error *err) {
  *p = (host_provenance){0};
  rt_field *data = new_fields(p, (size_t)sets->n);
  for (int i = 0; i < sets->n; i++)
    if (data_field(p, e, &sets->set[i], &data[i], err) < 0)
      return -1;
  rt_field *build = new_fields(p, 3);
  size_t nb = 0;
  build[nb++] = RT_STR("backend", o->backend);
  if (o->compiler)
    build[nb++] = RT_STR("compiler", o->compiler);
  build[nb++] = RT_INT("threads", o->threads);
  p->fields[p->n++] = settings(p, e, r);
  p->fields[p->n++] = strings(p, "overrides", e->overrides, e->noverrides);
  p->fields[p->n++] = run_field(p, r);
  p->fields[p->n++] = RT_OBJ("data", data, (size_t)sets->n);
  p->fields[p->n++] = RT_STR("duet_version", e->duet_version);
  p->fields[p->n++] = RT_OBJ("build", build, nb);
  return 0;
}
