/* cmd_emit_c.c: `duet emit-c FILE [EXPERIMENT] [--set key=value]... [--checkpoint FILE]
 * [--embed-weights] -o DIR`: the experiment's training program as standalone
 * C (docs/deploy.md). DIR gets model.h and model.c (the kernel program
 * printed by the C back end, the experiment's description for the training
 * host, and the interface of the model_api.c.in template), the files of
 * duet's share directory that emit.manifest lists (the runtime, the
 * training host, portable BLAS, LAPACK and gzip, train.c and predict.c;
 * cmake/share.cmake), the Makefile; with --checkpoint the weights as
 * model.safetensors, and with --embed-weights also as C arrays in
 * weights.c. The program is the one `duet run` compiles (the same
 * elaboration, evaluation entries for the remainders of the data sets),
 * and train and predict run the host `duet run` and `duet predict` run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_c.h"
#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_describe.h"
#include "drv_machine.h"
#include "drv_run.h"
#include "host_report.h"
#include "host_state.h"
#include "lower.h"

typedef struct emit_opts {
  const char *out, *checkpoint;
  bool embed;
} emit_opts;

typedef struct emitter {
  emit_opts o;
  const char *file;  /* the .duet file, as given */
  const char *share; /* duet's share directory (templates, emit/) */
  drv_source *s;
  sema_experiment *e;
  const host_experiment *x; /* in s's arena */
  host_sets sets;           /* owned */
  ir_program *p;            /* owned */
  kp_program *kp;           /* owned */
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

static int build_program(emitter *m) {
  elab_options eo = {.dtype = IR_F32};
  m->p = drv_elaborate(m->s, m->e, &eo);
  if (!m->p)
    return drv_failure_code(m->s);
  /* the remainders of the data sets, and every power of two below the
   * evaluation batch: any other remainder is a sum of them
   * (host_eval_batch) */
  long sizes[HOST_MAX_SETS + 64], batch;
  int n = 0, x, y;
  for (int i = 0; i < m->sets.n; i++)
    sizes[n++] = m->sets.set[i].n;
  if (!elab_entry_inputs(m->p, "eval_step", &x, &y, &batch)) {
    fprintf(stderr, "duet: internal error: the program has no eval_step\n");
    return 2;
  }
  for (long p = 1; p < batch; p *= 2)
    sizes[n++] = p;
  int rc = drv_machine_add_evals(m->p, m->s, m->e, sizes, n);
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
  host_rundir_file(path, sizeof path, m->o.out, name);
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

/* The template <share>/templates/<name> with every @KEY@ of keys[] replaced
 * by values[], written to f. */
static int put_template(const emitter *m, const char *name, FILE *f, int n, const char *const *keys,
                        const char *const *values) {
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/templates/%s", m->share, name);
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

/* The program's constants for model.h into a malloc-owned string. */
static char *config_text(const emitter *m) {
  const host_example *in = &m->sets.set[0].ex;
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
          host_numel(in->x_rank, in->x_dims), host_numel(in->y_rank, in->y_dims), in->classes,
          m->o.embed);
  return fclose(f) == 0 ? text : NULL;
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
  if (rc == 0) {
    fputs("\n/* ---- the experiment, as the training host runs it ------------------------- */\n\n",
          f);
    drv_describe_write_c(f, m->x, "model_experiment_info");
    fputc('\n', f);
  }
  if (rc == 0)
    rc = put_template(m, "model_api.c.in", f, 0, NULL, NULL);
  return finish(f, "model.c") || rc;
}

/* ---- weights ------------------------------------------------------------------------ */

/* Reads the weights file: every weight of the program, by public name
 * (host_state.h), F32, with the program's shape, finite. */
static int read_checkpoint(const emitter *m, rt_st_file *ck) {
  rt_error err;
  if (rt_safetensors_read(ck, m->o.checkpoint, &err) < 0)
    return drv_error("%s", err.msg);
  for (int i = 0; i < m->kp->ntensors; i++) {
    const kp_tensor *t = &m->kp->tensors[i];
    if (!t->is_param)
      continue;
    char name[512];
    host_weight_name(t->name, name, sizeof name);
    const rt_st_tensor *s = rt_st_find(ck, name);
    bool same = s && s->dtype == RT_F32 && s->ndim == t->rank;
    for (int d = 0; same && d < t->rank; d++)
      same = s->shape[d] == t->shape[d];
    if (!same)
      return drv_error("%s: %s weight %s (%s; F32 %s expected)", m->o.checkpoint,
                       s ? "mismatched" : "no", name, t->name,
                       shape_text(t->rank, t->shape, (char[96]){0}, 96));
    long at = rt_find_nonfinite_f32(s->data, (size_t)t->count);
    if (at >= 0)
      return drv_error("%s: weight %s (%s) holds a value that is not finite at element %ld",
                       m->o.checkpoint, name, t->name, at);
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
    char name[512];
    host_weight_name(t->name, name, sizeof name);
    const float *v = rt_st_find(ck, name)->data; /* checked by read_checkpoint */
    fprintf(f, "/* %s */\nstatic const model_real w%d[%ld] = {", t->name, n++, t->count);
    for (long j = 0; j < t->count; j++)
      fprintf(f, "%s%af,", j % 6 ? " " : "\n    ", (double)v[j]); /* exact */
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

/* Copies the files emit.manifest lists from <share>/emit into the output;
 * the C files of runtime/ and host/ for the Makefile into *list
 * (malloc-owned). */
static int copy_manifest(const emitter *m, char **list) {
  char path[4200];
  snprintf(path, sizeof path, "%s/emit.manifest", m->share);
  char *text;
  size_t len;
  if (read_all(path, &text, &len))
    return 1;
  size_t cap = 0;
  FILE *names = open_memstream(list, &cap);
  int rc = names ? 0 : drv_error("out of memory");
  int n = 0;
  for (char *line = strtok(text, "\n"); line && rc == 0; line = strtok(NULL, "\n")) {
    char from[4300], to[4300];
    snprintf(from, sizeof from, "%s/emit/%s", m->share, line);
    host_rundir_file(to, sizeof to, m->o.out, line);
    char dir[4300];
    snprintf(dir, sizeof dir, "%s", to);
    *strrchr(dir, '/') = 0;
    rt_error err;
    if (host_mkdirs(dir, &err) < 0)
      rc = drv_error("%s", err.msg);
    if (rc == 0)
      rc = copy_file(from, to);
    bool source = (!strncmp(line, "runtime/", 8) || !strncmp(line, "host/", 5)) &&
                  line[strlen(line) - 2] == '.' && line[strlen(line) - 1] == 'c';
    if (source)
      fprintf(names, "%s%s", n++ ? " \\\n\t" : "", line);
  }
  if (names && fclose(names) != 0)
    rc = drv_error("out of memory");
  free(text);
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
  char *sources = NULL;
  int rc = m->o.checkpoint ? read_checkpoint(m, &ck) : 0;
  if (rc == 0 && host_mkdirs(m->o.out, &err) < 0)
    rc = drv_error("%s", err.msg);
  if (rc == 0)
    rc = write_model(m);
  if (rc == 0)
    rc = copy_manifest(m, &sources);
  if (rc == 0)
    rc = write_makefile(m, sources);
  char dst[4200];
  host_rundir_file(dst, sizeof dst, m->o.out, "model.safetensors");
  if (rc == 0 && m->o.checkpoint)
    rc = copy_file(m->o.checkpoint, dst);
  if (rc == 0 && m->o.embed)
    rc = write_weights(m, &ck);
  rt_st_file_free(&ck);
  free(sources);
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
  m->share = drv_share_dir();
  m->file = c.file;
  m->s = &s;
  if (rc == 0)
    rc = drv_cli_experiment(&c, &s, &m->e);
  if (rc == 0) {
    m->x = drv_describe_run(&s, m->e, drv_stdlib_dir(c.stdlib), NULL, c.nsets, c.sets);
    rc = drv_load_sets(&s, m->e, m->x, &m->sets);
  }
  if (rc == 0)
    rc = build_program(m);
  if (rc == 0)
    rc = write_dir(m);
  if (rc == 0)
    printf("%s: wrote %s (build with: make -C %s, or make -C %s BLAS=openblas)\n", m->e->name,
           m->o.out, m->o.out, m->o.out);
  host_sets_free(&m->sets);
  if (m->kp)
    kp_free(m->kp);
  ir_program_free(m->p);
  if (c.file && (s.unit.arena || s.sema))
    drv_source_free(&s);
  drv_cli_free(&c);
  free(m);
  return rc;
}
