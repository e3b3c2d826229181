/* drv_usage.c: the table of commands and their options (drv_usage.h), the
 * help printed from it, and the "did you mean" hints for unknown commands
 * and options. */
#include "drv_usage.h"

#include <string.h>

#include "drv_commands.h"
#include "sema_internal.h" /* sema_closest: the name matcher of every "did you mean" */

enum { MAX_CANDIDATES = 64, HELP_WIDTH = 79 };

/* ---- the options --------------------------------------------------------- */

/* The rows of an option table: with a value of some kind, a flag, a value
 * among words, a repeatable option, one with two spellings; END ends it. */
#define OPT(name, value, kind, help) \
  { name, NULL, value, kind, NULL, help, 0 }
#define FLAG(name, help) \
  { name, NULL, NULL, DRV_ARG_NONE, NULL, help, 0 }
#define CHOICE(name, value, words, help) \
  { name, NULL, value, DRV_ARG_CHOICE, words, help, 0 }
#define REPEATED(name, value, kind, help) \
  { name, NULL, value, kind, NULL, help, 1 }
#define ALIASED(name, alias, value, kind, help) \
  { name, alias, value, kind, NULL, help, 0 }
#define END \
  { NULL, NULL, NULL, DRV_ARG_NONE, NULL, NULL, 0 }

/* Read by drv_cli.c for every command that builds an experiment. */
static const drv_option experiment_options[] = {
    REPEATED(
        "--set", "KEY=VALUE", DRV_ARG_TEXT,
        "replace a setting before building (repeatable): --set optimizer.lr=0.02, --set batch=512"),
    OPT("--stdlib", "DIR", DRV_ARG_DIR,
        "the standard library directory (default: $DUET_STDLIB, else the installed one)"),
    END};

/* cmd_run.c and host/run_options.c: run, compare and sweep. */
static const drv_option run_options[] = {
    OPT("--out", "DIR", DRV_ARG_DIR,
        "the run directory, or the compare's or sweep's (default runs/<name>-<YYYYmmdd-HHMMSS>); "
        "it must not hold a run already"),
    OPT("--steps", "N", DRV_ARG_TEXT,
        "train N steps instead of the experiment's length (0: only the initial checkpoint)"),
    OPT("--epochs", "N", DRV_ARG_TEXT, "train N epochs (N >= 1)"),
    OPT("--stop-after", "N", DRV_ARG_TEXT,
        "stop after step N, resumably (the schedule still spans the whole run)"),
    OPT("--log-every", "N", DRV_ARG_TEXT,
        "write a metrics line every N steps (default 10, and at the last step)"),
    OPT("--checkpoint-every", "N", DRV_ARG_TEXT,
        "also write the checkpoint every N steps (default 0: only at evaluations, by time "
        "and at the end)"),
    OPT("--checkpoint-every-s", "S", DRV_ARG_TEXT,
        "write the checkpoint when S seconds passed without one (default 300; 0: never)"),
    OPT("--init-from", "RUN_DIR", DRV_ARG_DIR,
        "start from the weights of another run (or a weights file), matched by name, with a "
        "fresh optimizer state"),
    CHOICE("--log-format", "LIST", "jsonl csv tensorboard",
           "also write the metrics as csv (metrics.csv) and tensorboard (an event file): "
           "a comma-separated list; metrics.jsonl is always written"),
    OPT("--threads", "N", DRV_ARG_TEXT,
        "OpenBLAS's and oneDNN's threads (default: OpenBLAS's own, $OPENBLAS_NUM_THREADS or "
        "all cores)"),
    CHOICE("--gemm", "openblas|onednn", "openblas onednn",
           "the GEMM backend (default: onednn where this build has it)"),
    CHOICE("--conv", "auto|im2col|onednn|RUN_DIR", "auto im2col onednn",
           "the convolutions' path with the oneDNN backend: the faster of the two timed per "
           "shape (default), or pinned, or the picks of an earlier run (its directory or "
           "summary.json) pinned; --resume keeps the run's own"),
    FLAG("--quiet", "no progress display and no evaluation lines"),
    FLAG("--check-ranks",
         "under mpirun: stop with an error when the ranks' weights differ after a step"),
    OPT("--bucket-kb", "N", DRV_ARG_TEXT,
        "under mpirun: exchange the gradients in buckets of N KiB while the backward pass "
        "runs (0: in one exchange after it)"),
    CHOICE("--dtype", "f32|f64", "f32 f64", "train in single (default) or double precision"),
    OPT("--dump-batches", "DIR", DRV_ARG_DIR,
        "write each step's inputs to DIR/step-NNNNNN.safetensors (tensors x, y)"),
    END};

static const drv_option study_options[] = {
    OPT("--metric", "KEY", DRV_ARG_TEXT,
        "the value to report and plot against the swept setting: train_loss (default), an "
        "evaluation (test_accuracy: its last value) or best_<evaluation>"),
    END};

static const drv_option resume_options[] = {
    OPT("--resume", "RUN_DIR", DRV_ARG_DIR,
        "continue a run from its checkpoint, as planned (the program and settings come from "
        "the run directory)"),
    OPT("--extend-steps", "N", DRV_ARG_TEXT,
        "with --resume: train N steps more than planned; the schedule keeps its planned length "
        "and the extra steps run at its last value"),
    END};

static const drv_option check_options[] = {
    FLAG("--dump-ast", "also print the syntax tree"), FLAG("--parse-only", "check the syntax only"),
    OPT("--stdlib", "DIR", DRV_ARG_DIR, "the standard library directory"), END};

static const drv_option stdlib_option[] = {
    OPT("--stdlib", "DIR", DRV_ARG_DIR, "the standard library directory"), END};

static const drv_option sample_options[] = {
    OPT("--prompt", "TEXT", DRV_ARG_TEXT, "the text to continue (required)"),
    OPT("--tokens", "N", DRV_ARG_TEXT, "bytes to generate (default 200)"),
    OPT("--temperature", "T", DRV_ARG_TEXT,
        "draw from softmax(logits / T) (default 1); 0 takes the most likely byte"),
    OPT("--top-k", "K", DRV_ARG_TEXT, "draw among the K most likely bytes only (default 0: all)"),
    OPT("--seed", "S", DRV_ARG_TEXT,
        "the random stream (default 0): the same seed gives the same text"),
    OPT("--threads", "N", DRV_ARG_TEXT, "BLAS threads"),
    OPT("--stdlib", "DIR", DRV_ARG_DIR, "the standard library directory (default: the run's)"),
    END};

static const drv_option emit_llvm_options[] = {FLAG("--no-opt", "print the IR before optimization"),
                                               END};

static const drv_option emit_c_options[] = {
    ALIASED("-o", "--out", "DIR", DRV_ARG_DIR, "the directory to write (required)"),
    OPT("--checkpoint", "FILE", DRV_ARG_FILE, "add the weights of a run as model.safetensors"),
    FLAG("--embed-weights", "also compile the weights in as C arrays (needs --checkpoint)"), END};

static const drv_option predict_options[] = {
    OPT("--weights", "FILE", DRV_ARG_FILE,
        "the weights file (model.safetensors) to use (required unless RUN_DIR is given)"),
    OPT("--idx", "IMAGES [LABELS]", DRV_ARG_FILE,
        "IDX images (gzip or plain) and optionally their labels"),
    OPT("--raw", "EXAMPLES [LABELS]", DRV_ARG_FILE,
        "raw little-endian examples in the model's layout, and optionally int32 labels"),
    OPT("--text", "FILE", DRV_ARG_FILE,
        "the bytes of a file, in consecutive windows of the context"),
    OPT("--data", "NAME", DRV_ARG_TEXT,
        "every example of the experiment's data binding NAME, normalized as in training"),
    OPT("--predictions", "OUT", DRV_ARG_FILE, "also write the predicted classes to OUT"),
    OPT("--scores", "OUT", DRV_ARG_FILE,
        "also write the class scores (logits) to OUT as float32 [examples, labels, classes]"),
    OPT("--threads", "N", DRV_ARG_TEXT, "BLAS threads"),
    OPT("--repeat", "K", DRV_ARG_TEXT, "predict everything K times (for timing)"),
    CHOICE("--conv", "auto|im2col|onednn|RUN_DIR", "auto im2col onednn",
           "the convolutions' path: the faster of the two timed per shape (default), or pinned, "
           "or an earlier run's picks pinned"),
    END};

static const drv_option gradcheck_options[] = {
    OPT("--batch", "N", DRV_ARG_TEXT, "examples in the batch (default 4)"),
    OPT("--tol", "X", DRV_ARG_TEXT, "the largest relative error allowed (default 1e-5)"),
    OPT("--directions", "K", DRV_ARG_TEXT, "random directions per weight (default 3)"),
    OPT("--step", "H", DRV_ARG_TEXT,
        "finite-difference step, relative to max(1, RMS of the weight) (default 1e-5)"),
    END};

static const drv_option dualcheck_options[] = {
    OPT("--points", "N", DRV_ARG_TEXT,
        "the initial weights and N - 1 random points near them (default 3)"),
    OPT("--directions", "K", DRV_ARG_TEXT,
        "random directions, and as many perturbations of dualize(G), per G (default 16)"),
    OPT("--batch", "N", DRV_ARG_TEXT, "examples in the batch of a gradient (default 8)"),
    OPT("--tol", "X", DRV_ARG_TEXT, "the largest error and relative gap allowed (default 1e-6)"),
    END};

static const drv_option plot_options[] = {
    REPEATED(
        "--metric", "KEY", DRV_ARG_TEXT,
        "a metric of metrics.jsonl to draw (repeatable; default: loss and the evaluated losses)"),
    FLAG("--log", "a logarithmic y axis"),
    FLAG("--linear", "a linear y axis (default: logarithmic when the values span more than 100x)"),
    OPT("-o", "FILE", DRV_ARG_FILE, "the SVG file to write (default plot.svg)"), END};

static const drv_option *const no_groups[] = {NULL};
static const drv_option *const check_groups[] = {check_options, NULL};
static const drv_option *const stdlib_groups[] = {stdlib_option, NULL};
static const drv_option *const run_groups[] = {experiment_options, run_options, resume_options,
                                               NULL};
static const drv_option *const study_groups[] = {experiment_options, run_options, study_options,
                                                 NULL};
static const drv_option *const sample_groups[] = {sample_options, NULL};
static const drv_option *const emit_llvm_groups[] = {experiment_options, emit_llvm_options, NULL};
static const drv_option *const emit_c_groups[] = {experiment_options, emit_c_options, NULL};
static const drv_option *const predict_groups[] = {experiment_options, predict_options, NULL};
static const drv_option *const gradcheck_groups[] = {experiment_options, gradcheck_options, NULL};
static const drv_option *const dualcheck_groups[] = {experiment_options, dualcheck_options, NULL};
static const drv_option *const plot_groups[] = {plot_options, NULL};

/* ---- the commands -------------------------------------------------------- */

const drv_command drv_command_table[] = {
    {"check", drv_cmd_check, "report the errors in a file", "check FILE [options]",
     "Report the errors in FILE and the files it uses (syntax, names, types, shapes,\n"
     "the derivation, every experiment, compare and sweep); nothing is compiled.",
     DRV_ARG_SOURCE, NULL, check_groups},
    {"explain", drv_cmd_explain, "print the optimizer derived for each experiment's model",
     "explain FILE [options]",
     "Print the optimizer derived for each experiment's model: per weight its shape,\n"
     "mass, sensitivity, step share, effective learning rate, norm and dualize rule.",
     DRV_ARG_SOURCE, NULL, stdlib_groups},
    {"run", drv_cmd_run, "train an experiment now",
     "run FILE [EXPERIMENT] [options]\n"
     "run --resume RUN_DIR [--extend-steps N] [options]",
     "Train the last experiment of FILE (or EXPERIMENT) now; compare and sweep run\n"
     "the studies. The run directory gets metrics.jsonl, summary.json, the checkpoint\n"
     "(model.safetensors, train_state.safetensors), a copy of the program, loss.svg.\n"
     "Ctrl-C (SIGINT) or SIGTERM saves the run and exits with 130 or 143; a second\n"
     "one exits at once.",
     DRV_ARG_SOURCE, NULL, run_groups},
    {"compare", drv_cmd_compare, "run a compare: one run per variant, a table and plots",
     "compare FILE [EXPERIMENT] [options]",
     "Run the last compare of FILE (of EXPERIMENT): one run per variant, a table,\n"
     "compare.json and compare.svg.",
     DRV_ARG_SOURCE, NULL, study_groups},
    {"sweep", drv_cmd_sweep, "run a sweep the same way", "sweep FILE [EXPERIMENT] [options]",
     "Run the last sweep of FILE the same way; also sweep.svg. A swept seed is\n"
     "drawn as the mean and a band of one standard deviation.",
     DRV_ARG_SOURCE, NULL, study_groups},
    {"plot", drv_cmd_plot, "draw metrics of runs into an SVG file", "plot RUN_DIR... [options]",
     "Draw metrics of runs from their metrics.jsonl into one SVG file: a color per\n"
     "run, a line style per metric. A compare or sweep directory stands for its runs.",
     DRV_ARG_DIR, NULL, plot_groups},
    {"sample", drv_cmd_sample, "continue a text with the language model a run trained",
     "sample RUN_DIR --prompt TEXT [options]",
     "Continue TEXT with bytes drawn from the language model a run trained.", DRV_ARG_DIR, NULL,
     sample_groups},
    {"emit-llvm", drv_cmd_emit_llvm, "print the LLVM IR of the training program",
     "emit-llvm FILE [EXPERIMENT] [options]",
     "Print the LLVM IR of the experiment's training program.", DRV_ARG_SOURCE, NULL,
     emit_llvm_groups},
    {"emit-c", drv_cmd_emit_c, "write the experiment as standalone C",
     "emit-c FILE [EXPERIMENT] -o DIR [options]",
     "Write the experiment as standalone C into DIR: model.h/model.c, the runtime,\n"
     "predict, train and a Makefile (make, or make BLAS=openblas).",
     DRV_ARG_SOURCE, NULL, emit_c_groups},
    {"predict", drv_cmd_predict, "the model's predictions for the examples of a file",
     "predict FILE [EXPERIMENT] --weights W --idx IMAGES [LABELS]\n"
     "predict FILE [EXPERIMENT] --weights W --raw EXAMPLES [LABELS]\n"
     "predict FILE [EXPERIMENT] --weights W --text FILE\n"
     "predict RUN_DIR (--idx ... | --raw ... | --text ...) [options]",
     "The classes the model predicts for the examples of a file (with labels: the\n"
     "accuracy and mean loss), as the predict program of emit-c prints them.",
     DRV_ARG_SOURCE, NULL, predict_groups},
    {"gradcheck", drv_cmd_gradcheck, "compiled gradients against finite differences",
     "gradcheck FILE [EXPERIMENT] [options]",
     "Compare the compiled gradients (float64) with finite differences, per weight.",
     DRV_ARG_SOURCE, NULL, gradcheck_groups},
    {"dualcheck", drv_cmd_dualcheck, "every atom's dualize against its norm, numerically",
     "dualcheck FILE [EXPERIMENT] [options]",
     "Check for every atom of the model that dualize(G) has norm 1 and that no\n"
     "sampled direction of norm 1 pairs more with G (float64, polar(.) by SVD).",
     DRV_ARG_SOURCE, NULL, dualcheck_groups},
    {"completion", drv_cmd_completion, "print the shell completion script for bash or zsh",
     "completion bash|zsh",
     "Print the shell completion script for bash or zsh (installed by make install;\n"
     "or: source <(duet completion bash)).",
     DRV_ARG_CHOICE, "bash zsh", no_groups},
    {"help", drv_cmd_help, "print the help of a command", "help [COMMAND]",
     "Print the help of a command, or this overview.", DRV_ARG_COMMAND, NULL, no_groups},
};
const int drv_ncommands = sizeof drv_command_table / sizeof drv_command_table[0];

const drv_command *drv_command_find(const char *name) {
  for (int i = 0; i < drv_ncommands; i++)
    if (strcmp(drv_command_table[i].name, name) == 0)
      return &drv_command_table[i];
  return NULL;
}

/* ---- help ---------------------------------------------------------------- */

void drv_print_help(FILE *out) {
  fputs("duet: a language for models whose optimizer is derived from the architecture\n\n"
        "usage: duet COMMAND [ARGS]\n\ncommands:\n",
        out);
  for (int i = 0; i < drv_ncommands; i++)
    fprintf(out, "  %-11s %s\n", drv_command_table[i].name, drv_command_table[i].brief);
  fputs("\noptions:\n"
        "  --help       print this help ('duet help COMMAND' or 'duet COMMAND --help':\n"
        "               that command's help, with every option)\n"
        "  --version    print the version\n"
        "\nExit codes: 0 ok, 1 errors in the input, 2 internal error.\n",
        out);
}

/* Prints text from column `indent` (where the cursor is) on, its words
 * wrapped before column HELP_WIDTH and at its line breaks, continuation
 * lines indented as much. */
static void put_wrapped(FILE *out, const char *text, int indent) {
  int col = indent;
  for (const char *p = text; *p;) {
    int n = (int)strcspn(p, " \n");
    if (col > indent && col + 1 + n > HELP_WIDTH) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', out);
      col++;
    }
    fprintf(out, "%.*s", n, p);
    col += n;
    p += n;
    if (*p == '\n' && p[1]) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
    }
    p += *p != '\0';
  }
}

void drv_print_command_help(FILE *out, const drv_command *c) {
  const char *syn = c->synopsis;
  for (int line = 0; *syn; line++) {
    int n = (int)strcspn(syn, "\n");
    fprintf(out, "%s duet %.*s\n", line ? "      " : "usage:", n, syn);
    syn += n + (syn[n] == '\n');
  }
  fputc('\n', out);
  fprintf(out, "%s\n", c->summary);
  if (!c->groups[0])
    return;
  fputs("\noptions:\n", out);
  enum { COLUMN = 26 };
  for (int g = 0; c->groups[g]; g++)
    for (const drv_option *o = c->groups[g]; o->name; o++) {
      char head[96];
      snprintf(head, sizeof head, "%s%s%s%s%s", o->name, o->alias ? ", " : "",
               o->alias ? o->alias : "", o->value ? " " : "", o->value ? o->value : "");
      if ((int)strlen(head) + 2 >= COLUMN)
        fprintf(out, "  %s\n%*s", head, COLUMN, "");
      else
        fprintf(out, "  %-*s", COLUMN - 2, head);
      put_wrapped(out, o->help, COLUMN);
      fputc('\n', out);
    }
  fputs("  --help                  print this help\n", out);
}

/* ---- did you mean ---------------------------------------------------------- */

const char *drv_closest(const char *name, const char *const *cands, int n) {
  return sema_closest(name, cands, n);
}

/* An option's name without its leading dashes: what typing errors are
 * measured on. */
static const char *bare(const char *opt) {
  while (*opt == '-')
    opt++;
  return opt;
}

int drv_unknown_option(const char *cmd, const char *arg) {
  const drv_command *c = drv_command_find(cmd);
  const char *cands[MAX_CANDIDATES] = {0}, *names[MAX_CANDIDATES] = {0};
  int n = 0;
  for (int g = 0; c && c->groups[g]; g++)
    for (const drv_option *o = c->groups[g]; o->name && n + 2 <= MAX_CANDIDATES; o++)
      for (int k = 0; k < 2; k++) {
        const char *name = k ? o->alias : o->name;
        if (name) {
          names[n] = name;
          cands[n++] = bare(name);
        }
      }
  const char *best = drv_closest(bare(arg), cands, n);
  fprintf(stderr, "duet: error: unknown option '%s'\n", arg);
  for (int i = 0; best && i < n; i++)
    if (cands[i] == best) {
      fprintf(stderr, "  hint: did you mean '%s'?\n", names[i]);
      return 1;
    }
  fprintf(stderr, "  hint: run 'duet %s --help' for usage\n", cmd);
  return 1;
}

int drv_unknown_command(const char *name) {
  const char *cands[MAX_CANDIDATES] = {0};
  for (int i = 0; i < drv_ncommands; i++)
    cands[i] = drv_command_table[i].name;
  const char *best = drv_closest(name, cands, drv_ncommands);
  fprintf(stderr, "duet: error: unknown command '%s'\n", name);
  if (best)
    fprintf(stderr, "  hint: did you mean '%s'?\n", best);
  else
    fputs("  hint: run 'duet --help' for usage\n", stderr);
  return 1;
}
