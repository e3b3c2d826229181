/* main.c: the `duet` command line: dispatches to the subcommands listed in
 * the table below and prints --help and --version. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drv_commands.h"

#ifndef DUET_VERSION
#error "DUET_VERSION must be defined by the build"
#endif

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
  const char *summary;
} command;

static const command commands[] = {
    {"check", drv_cmd_check, "check FILE [--dump-ast] [--parse-only] [--stdlib DIR]",
     "report the errors in FILE; --dump-ast prints its syntax tree, "
     "--parse-only checks the syntax only"},
    {"explain", drv_cmd_explain, "explain FILE [--stdlib DIR]",
     "print the optimizer derived for each experiment's model"},
    {"run", drv_cmd_run,
     "run FILE [EXPERIMENT] [--set key=value]... [--out DIR] [--steps N | --epochs N]\n"
     "           [--stop-after N] [--log-every N] [--threads N] [--quiet] [--dtype f32|f64]\n"
     "           [--dump-batches DIR]\n"
     "      duet run --resume RUN_DIR [--steps N] [--threads N] [--quiet]",
     "train the experiment (or run the compare/sweep) now; the run directory gets\n"
     "      metrics.jsonl, summary.json, model.safetensors and loss.svg"},
    {"compare", drv_cmd_compare, "compare FILE [EXPERIMENT] [run options]",
     "run the last compare of FILE (of EXPERIMENT): one run per variant, a table,\n"
     "      compare.json and compare.svg"},
    {"sweep", drv_cmd_sweep, "sweep FILE [EXPERIMENT] [run options]",
     "run the last sweep of FILE the same way; also sweep.svg"},
    {"sample", drv_cmd_sample,
     "sample RUN_DIR --prompt TEXT [--tokens N] [--temperature T] [--top-k K] [--seed S]\n"
     "           [--threads N] [--stdlib DIR]",
     "continue TEXT with N bytes (default 200) drawn from the language model a run\n"
     "      trained: temperature 0 is greedy (default 1), --top-k draws among the K most\n"
     "      likely bytes, the same seed (default 0) gives the same text"},
    {"emit-llvm", drv_cmd_emit_llvm, "emit-llvm FILE [EXPERIMENT] [--set key=value]... [--no-opt]",
     "print the LLVM IR of the experiment's training program"},
    {"emit-c", drv_cmd_emit_c,
     "emit-c FILE [EXPERIMENT] [--set key=value]... [--checkpoint FILE] [--embed-weights] -o DIR",
     "write the experiment as standalone C: model.h/model.c, the runtime, predict, train\n"
     "      and a Makefile (make, or make BLAS=openblas) into DIR"},
    {"predict", drv_cmd_predict,
     "predict FILE [EXPERIMENT] [--set key=value]... --weights FILE [--threads N] [--repeat K]\n"
     "           [--predictions OUT] (--idx IMAGES [LABELS] | --raw EXAMPLES [LABELS] | --text "
     "FILE)",
     "the classes the model predicts for the examples of a file (with labels: the\n"
     "      accuracy and mean loss), as the predict program of emit-c prints them"},
    {"gradcheck", drv_cmd_gradcheck,
     "gradcheck FILE [EXPERIMENT] [--set key=value]... [--batch N] [--tol X]\n"
     "           [--directions K] [--step H]",
     "compare the compiled gradients (float64) with finite differences, per weight"},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void help(FILE *out) {
  fputs("duet: a language for models whose optimizer is derived from the "
        "architecture\n\nusage: duet COMMAND [ARGS]\n\ncommands:\n",
        out);
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  duet %s\n      %s\n", commands[i].usage, commands[i].summary);
  fputs("\noptions:\n  --help       print this help\n"
        "  --version    print the version\n"
        "\nThe standard library is read from --stdlib DIR, $DUET_STDLIB, or the "
        "build's stdlib/.\nExit codes: 0 ok, 1 errors in the input, 2 internal "
        "error.\n",
        out);
}

int drv_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("duet: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int drv_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("duet: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (cmd)
    fprintf(stderr, "\n  hint: run 'duet %s --help' for usage\n", cmd);
  else
    fputs("\n  hint: run 'duet --help' for usage\n", stderr);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return drv_usage_error(NULL, "no command given");
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    help(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("duet %s\n", DUET_VERSION);
    return 0;
  }
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(cmd, commands[i].name) == 0) {
      for (int j = 2; j < argc; j++)
        if (strcmp(argv[j], "--help") == 0) {
          printf("usage: duet %s\n  %s\n", commands[i].usage, commands[i].summary);
          return 0;
        }
      return commands[i].run(argc - 2, argv + 2);
    }
  return drv_usage_error(NULL, "unknown command '%s'", cmd);
}
