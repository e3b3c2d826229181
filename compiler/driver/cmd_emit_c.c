/* cmd_emit_c.c: `duet emit-c FILE [EXPERIMENT] [--set key=value]... [--checkpoint FILE]
 * [--embed-weights] -o DIR`: the experiment's training program as standalone
 * C (docs/deploy.md). DIR gets model.h and model.c (the kernel program
 * printed by the C back end, the experiment's settings, and the interface
 * of runtime/deploy/model_api.c.in), the runtime's headers and the C files
 * the program needs (drv_runtime_set.h), runtime/deploy (portable BLAS,
 * LAPACK and gzip, predict.c, train.c, the Makefile); with --checkpoint the weights as model.safetensors, and with
 * --embed-weights also as C arrays in weights.c. The program is the one
 * `duet run` compiles (the same elaboration, evaluation entries for the
 * remainders of the data sets), so both compute the same numbers. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg_c.h"
#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_data.h"
#include "drv_eval.h"
#include "drv_report.h"
#include "drv_runtime_set.h"
#include "lower.h"

#ifndef DUET_SOURCE_TREE
#error "DUET_SOURCE_TREE (the duet source directory) must be defined by the build"
#endif

enum { MAX_SETS = 8 };

typedef struct emit_opts {
  const char *out, *checkpoint;
  bool embed;
} emit_opts;

typedef struct emitter {
  emit_opts o;
  const char *file; /* the .duet file, as given */
  char tree[4096];  /* the duet source tree (templates and runtime) */
  drv_source *s;
  sema_experiment *e;
  int nsets;
  drv_data sets[MAX_SETS]; /* [0]: train, then the sets evaluations read */
  ir_program *p;           /* owned */
  kp_program *kp;          /* owned */
  long batch;
} emitter;

static int emit_option(void *ctx, int i, int argc, char **argv) {
  emit_opts *o = ctx;
  const char *a = argv[i];
  if (strcmp(a, "--embed-weights") == 0) {
    o->embed = true;
    return 1;
  }
  bool out = strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0;
  if (!out && strcmp(a, "--checkpoint") != 0)
    return 0;
  if (i + 1 == argc) {
    drv_usage_error("emit-c", "%s needs a value", a);
    return -1;
  }
  *(out ? &o->out : &o->checkpoint) = argv[i + 1];
  return 2;
}

/* ---- the program ------------------------------------------------------------ */

static const sema_data *binding(const sema_experiment *e, const char *name) {
  for (int i = 0; i < e->ndata; i++)
    if (strcmp(e->data[i].name, name) == 0)
      return &e->data[i];
  return NULL;
}

/* `train` and every set an evaluation reads, as `duet run` loads them. */
static int load_sets(emitter *m) {
  const sema_experiment *e = m->e;
  const char *names[MAX_SETS] = {"train"};
  int n = 1;
  for (int i = 0; i < e->nevals; i++)
    for (int j = 0; j < e->evals[i].nmetrics; j++) {
      bool have = false;
      for (int k = 0; k < n; k++)
        have = have || strcmp(names[k], e->evals[i].metrics[j].data) == 0;
      if (!have && n < MAX_SETS)
        names[n++] = e->evals[i].metrics[j].data;
    }
  for (int i = 0; i < n; i++) {
    const sema_data *sd = binding(e, names[i]);
    if (!sd)
      return drv_error("experiment %s has no data '%s'", e->name, names[i]);
    if (!drv_data_load(&m->sets[m->nsets], sd, m->s->unit.diag))
      return drv_report_diags(m->s);
    m->nsets++;
  }
  return 0;
}

static int build_program(emitter *m) {
  elab_options eo = {.dtype = IR_F32};
  m->p = drv_elaborate(m->s, m->e, &eo);
  if (!m->p)
    return drv_failure_code(m->s);
  drv_evaluator ev;
  int rc = drv_eval_prepare(&ev, m->p, m->s, m->e, m->sets, m->nsets);
  int x, y;
  if (rc == 0 && !elab_entry_inputs(m->p, "train_step", &x, &y, &m->batch)) {
    fprintf(stderr, "duet: internal error: the program has no training step\n");
    rc = 2;
  }
  char err[1024];
  if (rc == 0 && !(m->kp = lower_program(m->p, err, sizeof err))) {
    fprintf(stderr, "duet: internal error: %s\n", err);
    rc = 2;
  }
  return rc;
}

/* ---- files ------------------------------------------------------------------------ */

static int read_all(const char *path, char **text, size_t *len) {
  rt_error err;
  *text = rt_read_file(path, len, &err);
  return *text ? 0 : drv_error("%s", err.msg);
}

static FILE *create(const emitter *m, const char *name) {
  char path[4200];
  drv_rundir_file(path, sizeof path, m->o.out, name);
  FILE *f = fopen(path, "w");
  if (!f)
    drv_error("cannot write %s: %s", path, strerror(errno));
  return f;
}

static int finish(FILE *f, const char *name) {
  bool bad = ferror(f) != 0;
  if (fclose(f) != 0 || bad)
    return drv_error("writing %s failed", name);
  return 0;
}

static int copy_file(const char *src, const char *dst) {
  char *text;
  size_t len;
  if (read_all(src, &text, &len))
    return 1;
  FILE *f = fopen(dst, "wb");
  if (!f) {
    free(text);
    return drv_error("cannot write %s: %s", dst, strerror(errno));
  }
  fwrite(text, 1, len, f);
  free(text);
  return finish(f, dst);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Copies the regular files of directory src (those ending in `suffix`
 * unless it is NULL) into dst, and with `deep` its subdirectories too. */
static int copy_dir(const char *src, const char *dst, const char *suffix, bool deep) {
  rt_error err;
  if (drv_mkdirs(dst, &err) < 0)
    return drv_error("%s", err.msg);
  DIR *d = opendir(src);
  if (!d)
    return drv_error("cannot read %s: %s", src, strerror(errno));
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s", src, de->d_name);
    snprintf(to, sizeof to, "%s/%s", dst, de->d_name);
    struct stat st;
    if (stat(from, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode) && deep)
      rc = copy_dir(from, to, suffix, deep);
    else if (S_ISREG(st.st_mode) && (!suffix || has_suffix(de->d_name, suffix)))
      rc = copy_file(from, to);
  }
  closedir(d);
  return rc;
}

/* The template tree/runtime/deploy/<name> with every @KEY@ of keys[] replaced
 * by values[], written to f. */
static int put_template(const emitter *m, const char *name, FILE *f, int n, const char *const *keys,
                        const char *const *values) {
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/runtime/deploy/%s", m->tree, name);
  if (read_all(path, &text, &len))
    return 1;
  for (const char *p = text; *p;) {
    int k = -1;
    for (int i = 0; i < n && k < 0; i++)
      if (strncmp(p, keys[i], strlen(keys[i])) == 0)
        k = i;
    if (k < 0) {
      fputc(*p++, f);
    } else {
      fputs(values[k], f);
      p += strlen(keys[k]);
    }
  }
  free(text);
  return 0;
}

/* ---- model.h and model.c --------------------------------------------------------- */

static const char *shape_text(int rank, const long *dims, char *buf, size_t cap) {
  size_t n = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, i ? ", %ld" : "%ld", dims[i]);
  if (n < cap)
    snprintf(buf + n, cap - n, "]");
  return buf;
}

static long numel(int rank, const long *dims) {
  long n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  return n;
}

/* The program's constants for model.h into a malloc-owned string. */
static char *config_text(const emitter *m) {
  const elab_data_info *in = &m->sets[0].info;
  char xs[80], ys[80], *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  fprintf(f,
          "typedef float model_real; /* the real numbers of the program */\n"
          "typedef %s model_x; /* one value of an example: %s %s */\n"
          "typedef %s model_y; /* one label: %s %s */\n"
          "#define MODEL_BATCH %ld /* examples per training step */\n"
          "#define MODEL_EVAL_BATCH %ld /* examples per evaluation or prediction, at most */\n"
          "#define MODEL_X_NUMEL %ld /* values per example */\n"
          "#define MODEL_Y_NUMEL %ld /* labels per example */\n"
          "#define MODEL_CLASSES %d /* classes (the vocabulary of text); 0: real targets */\n"
          "#define MODEL_EMBEDDED_WEIGHTS %d /* 1: weights.c holds the parameters */",
          in->x_tokens ? "int32_t" : "model_real", in->x_tokens ? "int32 token ids" : "real",
          shape_text(in->x_rank, in->x_dims, xs, sizeof xs),
          in->y_labels ? "int32_t" : "model_real", in->y_labels ? "int32 class" : "real target",
          shape_text(in->y_rank, in->y_dims, ys, sizeof ys), m->batch, m->batch,
          numel(in->x_rank, in->x_dims), numel(in->y_rank, in->y_dims), in->classes, m->o.embed);
  return fclose(f) == 0 ? text : NULL;
}

static const char *str_arg(const sema_data *sd, const char *name) {
  for (int i = 0; i < sd->nargs; i++)
    if (strcmp(sd->args[i].name, name) == 0 && sd->args[i].value.kind == MT_STRING)
      return sd->args[i].value.s;
  return "";
}

static double optimizer_lr(const sema_optimizer *o) {
  for (int i = 0; i < o->nargs; i++)
    if (strcmp(o->args[i].name, "lr") == 0)
      return mt_value_num(o->args[i].value);
  return NAN;
}

static void put_double(FILE *f, double v) {
  if (isnan(v))
    fputs("NAN", f);
  else
    fprintf(f, "%.17g", v);
}

/* The data bindings, the training set first. */
static int put_data_sets(FILE *f, const emitter *m) {
  const sema_experiment *e = m->e;
  fputs("static const model_data_set data_sets[] = {\n", f);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < e->ndata; i++) {
      const sema_data *d = &e->data[i];
      if ((strcmp(d->name, "train") == 0) != (pass == 0))
        continue;
      elab_data_info info;
      if (!elab_data_info_of(d, &info, m->s->unit.diag))
        return drv_report_diags(m->s);
      fprintf(f, "    {\"%s\", \"%s\", \"%s\", %ld},\n", d->name, d->source, str_arg(d, "split"),
              info.context);
    }
  fputs("};\n", f);
  return 0;
}

static void put_evals(FILE *f, const sema_experiment *e) {
  for (int i = 0; i < e->nevals; i++) {
    const sema_eval *ev = &e->evals[i];
    for (int k = 0; k < 2; k++) {
      fprintf(f, "static const char *const eval%d_%s[] = {", i, k ? "data" : "metrics");
      for (int j = 0; j < ev->nmetrics; j++)
        fprintf(f, "%s\"%s\"", j ? ", " : "", k ? ev->metrics[j].data : ev->metrics[j].name);
      fputs("};\n", f);
    }
  }
  if (!e->nevals)
    return;
  fputs("static const model_eval evals[] = {\n", f);
  for (int i = 0; i < e->nevals; i++)
    fprintf(f, "    {%d, %lld, %d, eval%d_metrics, eval%d_data},\n",
            e->evals[i].unit == AST_EVERY_EPOCH, e->evals[i].every, e->evals[i].nmetrics, i, i);
  fputs("};\n", f);
}

/* model_experiment_info: what the train program runs. */
static int put_experiment(FILE *f, const emitter *m) {
  const sema_experiment *e = m->e;
  fputs("\n/* ---- the experiment ------------------------------------------------------ */\n\n",
        f);
  if (e->nsched) {
    fputs("static const char *const sched_names[] = {", f);
    for (int i = 0; i < e->nsched; i++)
      fprintf(f, "%s\"%s\"", i ? ", " : "", e->sched[i].name);
    fputs("};\nstatic const double sched_args[] = {", f);
    for (int i = 0; i < e->nsched; i++) {
      fputs(i ? ", " : "", f);
      put_double(f, e->sched[i].nargs ? e->sched[i].args[0] : NAN);
    }
    fputs("};\n", f);
  }
  int rc = put_data_sets(f, m);
  if (rc)
    return rc;
  put_evals(f, e);
  fprintf(f,
          "\nconst model_experiment model_experiment_info = {\n    \"%s\", UINT64_C(%llu), %ld, "
          "%lld, %lld, ",
          e->name, (unsigned long long)e->seed, m->batch, e->epochs, e->steps);
  put_double(f, optimizer_lr(e->optimizer));
  fprintf(f, ",\n    %d, %s, %s, ", e->nsched, e->nsched ? "sched_names" : "NULL",
          e->nsched ? "sched_args" : "NULL");
  put_double(f, DRV_TEXT_VAL_FRACTION);
  fprintf(f, ",\n    %d, data_sets, %d, %s,\n};\n\n", e->ndata, e->nevals,
          e->nevals ? "evals" : "NULL");
  return 0;
}

static int write_model(const emitter *m) {
  char *config = config_text(m);
  if (!config)
    return drv_error("out of memory");
  const char *keys[] = {"@EXPERIMENT@", "@SOURCE@", "@CONFIG@"};
  const char *values[] = {m->e->name, m->file, config};
  FILE *f = create(m, "model.h");
  int rc = f ? put_template(m, "model.h.in", f, 3, keys, values) : 1;
  if (f)
    rc = finish(f, "model.h") || rc;
  free(config);
  if (rc || !(f = create(m, "model.c")))
    return 1;
  fprintf(f,
          "/*\n * model.c - experiment %s as C, written by `duet emit-c` from\n * %s:\n"
          " * the kernel program (arena layout, one function per entry point, tables),\n"
          " * the experiment's settings, and the interface of model.h on them.\n */\n"
          "#include \"model.h\"\n\n",
          m->e->name, m->file);
  char err[256];
  if (cg_c_emit(m->kp, f, err, sizeof err) < 0)
    rc = drv_error("%s", err);
  if (rc == 0)
    rc = put_experiment(f, m);
  if (rc == 0)
    rc = put_template(m, "model_api.c.in", f, 0, NULL, NULL);
  return finish(f, "model.c") || rc;
}

/* ---- weights ------------------------------------------------------------------------ */

/* Reads the checkpoint and checks that it holds every parameter. */
static int read_checkpoint(const emitter *m, rt_st_file *ck) {
  rt_error err;
  if (rt_safetensors_read(ck, m->o.checkpoint, &err) < 0)
    return drv_error("%s", err.msg);
  for (int i = 0; i < m->kp->ntensors; i++) {
    const kp_tensor *t = &m->kp->tensors[i];
    const rt_st_tensor *s = rt_st_find(ck, t->name);
    bool same = s && s->dtype == RT_F32 && s->ndim == t->rank;
    for (int d = 0; same && d < t->rank; d++)
      same = s->shape[d] == t->shape[d];
    if (t->is_param && !same)
      return drv_error("%s: %s parameter %s (F32 %s expected)", m->o.checkpoint,
                       s ? "mismatched" : "no", t->name,
                       shape_text(t->rank, t->shape, (char[96]){0}, 96));
  }
  return 0;
}

/* weights.c: every parameter as a C array. */
static int write_weights(const emitter *m, const rt_st_file *ck) {
  FILE *f = create(m, "weights.c");
  if (!f)
    return 1;
  fprintf(f,
          "/*\n * weights.c - the parameters of %s, written by `duet emit-c\n"
          " * --embed-weights` from %s\n * for model_load_embedded().\n */\n"
          "#include \"model.h\"\n\n",
          m->e->name, m->o.checkpoint);
  int n = 0;
  for (int i = 0; i < m->kp->ntensors; i++) {
    const kp_tensor *t = &m->kp->tensors[i];
    if (!t->is_param)
      continue;
    const float *v = rt_st_find(ck, t->name)->data;
    fprintf(f, "/* %s */\nstatic const model_real w%d[%ld] = {", t->name, n++, t->count);
    for (long j = 0; j < t->count; j++) {
      if (!isfinite(v[j])) {
        fclose(f);
        return drv_error("%s: %s holds a non-finite value", m->o.checkpoint, t->name);
      }
      fprintf(f, "%s%af,", j % 6 ? " " : "\n    ", (double)v[j]); /* exact */
    }
    fputs("\n};\n\n", f);
  }
  fputs("const model_embedded_tensor model_embedded_weights[] = {\n", f);
  for (int i = 0, k = 0; i < m->kp->ntensors; i++)
    if (m->kp->tensors[i].is_param)
      fprintf(f, "    {\"%s\", %ld, w%d},\n", m->kp->tensors[i].name, m->kp->tensors[i].count, k++);
  fprintf(f, "};\nconst int model_embedded_count = %d;\n", n);
  return finish(f, "weights.c");
}

/* ---- the directory ----------------------------------------------------------------- */

/* The runtime's headers, and the C files that model.c, train.c and
 * predict.c need (drv_runtime_set.h); their list for the Makefile into
 * *list (malloc-owned). */
static int copy_runtime(const emitter *m, char **list) {
  char rt[4200], dst[4200], *texts[3] = {0};
  snprintf(rt, sizeof rt, "%s/runtime", m->tree);
  drv_rundir_file(dst, sizeof dst, m->o.out, "runtime");
  int rc = copy_dir(rt, dst, ".h", false);
  const char *names[3] = {"model.c", "deploy/train.c", "deploy/predict.c"};
  for (int i = 0; i < 3 && rc == 0; i++) {
    char path[4300];
    size_t len;
    if (i == 0)
      drv_rundir_file(path, sizeof path, m->o.out, names[i]);
    else
      snprintf(path, sizeof path, "%s/%s", rt, names[i]);
    rc = read_all(path, &texts[i], &len);
  }
  drv_runtime_set set = {0};
  rt_error err;
  if (rc == 0 && drv_runtime_set_of(rt, (const char *const *)texts, 3, &set, &err) < 0)
    rc = drv_error("%s", err.msg);
  size_t len = 0;
  FILE *f = rc == 0 ? open_memstream(list, &len) : NULL;
  for (int i = 0; f && i < set.n && rc == 0; i++) {
    char from[4300], to[4300];
    snprintf(from, sizeof from, "%s/%s", rt, set.files[i]);
    snprintf(to, sizeof to, "%s/%s", dst, set.files[i]);
    rc = copy_file(from, to);
    fprintf(f, "%sruntime/%s", i ? " \\\n\t" : "", set.files[i]);
  }
  if (f && fclose(f) != 0)
    rc = drv_error("out of memory");
  drv_runtime_set_free(&set);
  for (int i = 0; i < 3; i++)
    free(texts[i]);
  return rc;
}

static int write_makefile(const emitter *m, const char *runtime) {
  const char *keys[] = {"@EXPERIMENT@", "@WEIGHTS@", "@RUNTIME@"};
  const char *values[] = {m->e->name, m->o.embed ? "weights.c" : "", runtime};
  FILE *f = create(m, "Makefile");
  if (!f)
    return 1;
  int rc = put_template(m, "Makefile.in", f, 3, keys, values);
  return finish(f, "Makefile") || rc;
}

static int write_dir(emitter *m) {
  rt_error err;
  rt_st_file ck = {0};
  char *runtime = NULL;
  int rc = m->o.checkpoint ? read_checkpoint(m, &ck) : 0;
  if (rc == 0 && drv_mkdirs(m->o.out, &err) < 0)
    rc = drv_error("%s", err.msg);
  if (rc == 0)
    rc = write_model(m);
  if (rc == 0)
    rc = copy_runtime(m, &runtime);
  char src[4200], dst[4200];
  snprintf(src, sizeof src, "%s/compiler/lower/kp_math.h", m->tree);
  drv_rundir_file(dst, sizeof dst, m->o.out, "runtime/kp_math.h");
  if (rc == 0)
    rc = copy_file(src, dst);
  snprintf(src, sizeof src, "%s/runtime/deploy/portable", m->tree);
  drv_rundir_file(dst, sizeof dst, m->o.out, "portable");
  if (rc == 0)
    rc = copy_dir(src, dst, NULL, true);
  static const char *const programs[] = {"predict.c", "train.c"};
  for (int i = 0; i < 2 && rc == 0; i++) {
    snprintf(src, sizeof src, "%s/runtime/deploy/%s", m->tree, programs[i]);
    drv_rundir_file(dst, sizeof dst, m->o.out, programs[i]);
    rc = copy_file(src, dst);
  }
  if (rc == 0)
    rc = write_makefile(m, runtime);
  drv_rundir_file(dst, sizeof dst, m->o.out, "model.safetensors");
  if (rc == 0 && m->o.checkpoint)
    rc = copy_file(m->o.checkpoint, dst);
  if (rc == 0 && m->o.embed)
    rc = write_weights(m, &ck);
  rt_st_file_free(&ck);
  free(runtime);
  return rc;
}

int drv_cmd_emit_c(int argc, char **argv) {
  drv_cli c;
  emitter *m = calloc(1, sizeof *m);
  drv_source s = {0};
  if (!m)
    return 2;
  int rc = drv_cli_parse(&c, "emit-c", argc, argv, emit_option, &m->o);
  if (rc == 0 && !m->o.out)
    rc = drv_usage_error("emit-c", "no output directory given (-o DIR)");
  if (rc == 0 && m->o.embed && !m->o.checkpoint)
    rc = drv_usage_error("emit-c", "--embed-weights needs the weights: --checkpoint FILE");
  const char *tree = getenv("DUET_SOURCE");
  snprintf(m->tree, sizeof m->tree, "%s", tree && *tree ? tree : DUET_SOURCE_TREE);
  m->file = c.file;
  m->s = &s;
  if (rc == 0)
    rc = drv_cli_experiment(&c, &s, &m->e);
  if (rc == 0)
    rc = load_sets(m);
  if (rc == 0)
    rc = build_program(m);
  if (rc == 0)
    rc = write_dir(m);
  if (rc == 0)
    printf("%s: wrote %s (build with: make -C %s, or make -C %s BLAS=openblas)\n", m->e->name,
           m->o.out, m->o.out, m->o.out);
  for (int i = 0; i < m->nsets; i++)
    drv_data_free(&m->sets[i]);
  if (m->kp)
    kp_free(m->kp);
  ir_program_free(m->p);
  if (c.file && (s.unit.arena || s.sema))
    drv_source_free(&s);
  drv_cli_free(&c);
  free(m);
  return rc;
}
