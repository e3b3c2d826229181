/* cmd_sample.c: `duet sample RUN_DIR --prompt TEXT`: rebuilds the model of
 * a run from the run directory's copy of its program and its weights
 * file's metadata (drv_origin.h), compiles its forward pass at one window (elab_logits_program), loads the trained weights and continues the
 * prompt byte by byte. Each step feeds the last `context` bytes of the text;
 * a shorter text is padded after its end, which a causal model does not
 * see (checked once), and the next byte is drawn from the logits at the
 * text's last position. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drv_cli.h"
#include "drv_commands.h"
#include "drv_machine.h"
#include "drv_origin.h"
#include "host_report.h"
#include "drv_sampler.h"
#include "host_state.h"
#include "drv_usage.h"
#include "elab_logits.h"
#include "host_checkpoint.h"
#include "rt_kernels.h"

enum { DEFAULT_TOKENS = 200, BYTE_TOKENS = 256 };

typedef struct sample_args {
  const char *dir, *prompt, *stdlib; /* argv strings, or NULL */
  long tokens, threads;
  drv_sampler sampler;
} sample_args;

/* The options; those from O_TOKENS on take a non-negative number. */
enum { O_PROMPT, O_STDLIB, O_TOKENS, O_THREADS, O_TOP_K, O_SEED, O_TEMPERATURE, NOPTIONS };
static const char *const option_names[NOPTIONS] = {
    "--prompt", "--stdlib", "--tokens", "--threads", "--top-k", "--seed", "--temperature"};

/* The value of a number option into *n (an integer) or *x (a real). */
static bool number_arg(const char *s, bool real, uint64_t *n, double *x) {
  char *end;
  errno = 0;
  if (real)
    *x = strtod(s, &end);
  else
    *n = strtoull(s, &end, 10);
  return end != s && !*end && s[0] != '-' && errno == 0 && (!real || isfinite(*x));
}

/* Stores the value v of option o. */
static int set_option(sample_args *a, int o, const char *v) {
  uint64_t n = 0;
  double x = 0;
  if (o >= O_TOKENS && !number_arg(v, o == O_TEMPERATURE, &n, &x))
    return drv_usage_error("sample", "%s needs a non-negative %s, got '%s'", option_names[o],
                           o == O_TEMPERATURE ? "number" : "integer", v);
  long capped = n > 1000000000 ? 1000000000 : (long)n;
  switch (o) {
  case O_PROMPT:
    a->prompt = v;
    break;
  case O_STDLIB:
    a->stdlib = v;
    break;
  case O_TOKENS:
    a->tokens = capped;
    break;
  case O_THREADS:
    a->threads = capped;
    break;
  case O_TOP_K:
    a->sampler.top_k = (int)capped;
    break;
  case O_SEED:
    a->sampler.seed = n;
    break;
  default:
    a->sampler.temperature = x;
    break;
  }
  return 0;
}

static int parse_args(int argc, char **argv, sample_args *a) {
  *a = (sample_args){.tokens = DEFAULT_TOKENS, .sampler = {.temperature = 1}};
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    int o = 0;
    while (o < NOPTIONS && strcmp(arg, option_names[o]) != 0)
      o++;
    if (o == NOPTIONS && arg[0] == '-' && arg[1])
      return drv_unknown_option("sample", arg);
    if (o == NOPTIONS && a->dir)
      return drv_usage_error("sample", "too many arguments ('%s')", arg);
    if (o == NOPTIONS)
      a->dir = arg;
    else if (i + 1 == argc)
      return drv_usage_error("sample", "%s needs a value", arg);
    else if (set_option(a, o, argv[++i]) != 0)
      return 1;
  }
  if (!a->dir)
    return drv_usage_error("sample", "no run directory given");
  if (!a->prompt || !a->prompt[0])
    return drv_usage_error("sample", "give the text to continue with --prompt TEXT");
  if (a->threads > 0)
    rt_set_threads((int)a->threads);
  return 0;
}

/* The run directory's checkpoint, the experiment it was trained from and
 * that experiment's forward program, compiled, with the trained weights. */
typedef struct model {
  rt_st_file ckpt;
  drv_origin origin;
  drv_source src;
  drv_machine m;
  int entry, x; /* the logits entry and its token input */
  long context, vocab;
  const void *logits; /* [context, vocab] in the program's dtype (arena) */
} model;

/* Prints `duet: error: cannot sample: <message>`; returns 1. */
#define cannot(fmt, ...) drv_error("cannot sample: " fmt, __VA_ARGS__)

static int load_model(model *md, const sample_args *a) {
  struct stat st;
  if (stat(a->dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return cannot("no run directory '%s'", a->dir);
  rt_error err;
  if (drv_origin_read(a->dir, &md->ckpt, &md->origin, &err) < 0) {
    cannot("%s", err.msg);
    char study[4200];
    host_rundir_file(study, sizeof study, a->dir, "compare.json");
    if (access(study, F_OK) == 0)
      fprintf(stderr,
              "  hint: %s holds a compare or sweep: give the directory of one of its "
              "variants\n",
              a->dir);
    return 1;
  }
  drv_cli cli = drv_origin_cli(&md->origin, "sample");
  if (a->stdlib)
    cli.stdlib = a->stdlib;
  sema_experiment *e;
  int rc = drv_cli_experiment(&cli, &md->src, &e);
  if (rc != 0)
    return rc;
  ir_program *p =
      elab_logits_program(md->src.sema, e, md->origin.f64 ? IR_F64 : IR_F32, 1, md->src.unit.diag);
  drv_report_diags(&md->src);
  if (!p)
    return drv_failure_code(&md->src);
  md->x = ir_find_input(p, "x");
  assert(md->x >= 0 && p->inputs[md->x].shape.rank == 2);
  md->context = p->inputs[md->x].shape.d[1];
  if (!drv_machine_init(&md->m, p))
    return 2;
  host_model hm;
  if (drv_machine_host(&md->m, &hm, NULL, NULL) != 0)
    return 2;
  if (host_weights_load(&md->ckpt, &hm, NULL, &err) < 0)
    return cannot("%s/%s: %s", a->dir, HOST_WEIGHTS_FILE, err.msg);
  md->entry = core_entry(md->m.exe, ELAB_LOGITS_ENTRY);
  long count;
  md->logits = core_tensor_data(md->m.exe, md->m.arena, ELAB_LOGITS_TENSOR, &count);
  md->vocab = count / md->context;
  if (md->vocab != BYTE_TOKENS)
    return cannot("the model of experiment %s has %ld tokens, not the %d bytes of text", e->name,
                  md->vocab, BYTE_TOKENS);
  return 0;
}

static void model_free(model *md) {
  drv_machine_free(&md->m);
  drv_source_free(&md->src);
  drv_origin_free(&md->origin);
  rt_st_file_free(&md->ckpt);
}

/* Runs the model on the last min(len, context) bytes of text, padded with
 * `pad` after them, and copies the logits at the window's last byte into
 * row[vocab]. */
static void forward(model *md, const unsigned char *text, long len, int pad, double *row) {
  long n = len < md->context ? len : md->context;
  int32_t *x = md->m.inputs[md->x];
  for (long i = 0; i < md->context; i++)
    x[i] = i < n ? text[len - n + i] : pad;
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(&md->m, md->entry, out);
  long first = (n - 1) * md->vocab;
  for (long k = 0; k < md->vocab; k++)
    row[k] = md->m.real == IR_F64 ? ((const double *)md->logits)[first + k]
                                  : ((const float *)md->logits)[first + k];
}

/* Texts shorter than the context are padded after their end, which is
 * sound when the output at a position does not depend on later tokens:
 * checked at the first position, with two paddings. */
static int check_causal(model *md, const unsigned char *text, double *a, double *b) {
  forward(md, text, 1, 0, a);
  forward(md, text, 1, BYTE_TOKENS - 1, b);
  double scale = 0, diff = 0;
  for (long k = 0; k < md->vocab; k++) {
    scale = fmax(scale, fabs(a[k]));
    diff = fmax(diff, fabs(a[k] - b[k]));
  }
  if (diff <= 1e-4 * (1 + scale))
    return 0;
  fprintf(stderr,
          "duet: error: cannot sample: the model of experiment %s is not causal: its output at "
          "a position depends on later tokens\n"
          "  hint: give a prompt of at least its context, %ld bytes\n",
          md->origin.experiment, md->context);
  return 1;
}

/* Writes the prompt and `tokens` bytes drawn one after the other. */
static int generate(model *md, const sample_args *a) {
  long plen = (long)strlen(a->prompt);
  unsigned char *text = malloc((size_t)(plen + a->tokens));
  double *row = malloc((size_t)md->vocab * 2 * sizeof *row);
  if (!text || !row)
    abort();
  memcpy(text, a->prompt, (size_t)plen);
  int rc = plen < md->context ? check_causal(md, text, row, row + md->vocab) : 0;
  if (rc == 0)
    fwrite(text, 1, (size_t)plen, stdout);
  for (long len = plen; rc == 0 && len < plen + a->tokens; len++) {
    forward(md, text, len, 0, row);
    text[len] = (unsigned char)drv_sample_next(&a->sampler, row, (int)md->vocab,
                                               (uint64_t)(len - plen), row + md->vocab);
    fputc(text[len], stdout);
    fflush(stdout);
  }
  if (rc == 0)
    fputc('\n', stdout);
  free(text);
  free(row);
  return rc;
}

int drv_cmd_sample(int argc, char **argv) {
  sample_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc != 0)
    return rc;
  model md = {0};
  rc = load_model(&md, &a);
  if (rc == 0)
    rc = generate(&md, &a);
  model_free(&md);
  return rc;
}
