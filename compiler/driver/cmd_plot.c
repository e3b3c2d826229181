/* cmd_plot.c: `duet plot RUN_DIR... [--metric KEY]... [--log | --linear]
 * [-o FILE]`: draws metrics of runs, read back from their metrics.jsonl,
 * into one SVG file (host_plot_runs): a color per run, a line style per
 * metric. A directory without metrics.jsonl stands for the runs in its
 * subdirectories (a compare or sweep directory), in the order of their
 * variant numbers. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drv_commands.h"
#include "drv_plot.h"
#include "drv_usage.h"

enum { MAX_KEYS = 16, MAX_RUNS = 256 };

typedef struct plot_args {
  const char *keys[MAX_KEYS];
  int nkeys;
  rt_scale scale;
  const char *out;
  char *dirs[MAX_RUNS]; /* the run directories, malloc-owned */
  int ndirs;
} plot_args;

/* A run directory: one that holds metrics.jsonl. */
static bool is_run(const char *dir) {
  char path[4200];
  host_rundir_file(path, sizeof path, dir, "metrics.jsonl");
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int add_dir(plot_args *a, const char *dir) {
  if (a->ndirs == MAX_RUNS)
    return drv_error("more than %d runs to plot", MAX_RUNS);
  a->dirs[a->ndirs] = strdup(dir);
  if (!a->dirs[a->ndirs])
    abort();
  a->ndirs++;
  return 0;
}

/* Variant directories "<i>-<label>" by i, then by name. */
static int by_variant(const void *pa, const void *pb) {
  const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
  long ia = strtol(a, NULL, 10), ib = strtol(b, NULL, 10);
  return ia != ib ? (ia < ib ? -1 : 1) : strcmp(a, b);
}

/* dir itself when it is a run, else the runs directly under it. */
static int add_runs(plot_args *a, const char *dir) {
  if (is_run(dir))
    return add_dir(a, dir);
  DIR *d = opendir(dir);
  if (!d)
    return drv_error("cannot plot '%s': not a run directory (no metrics.jsonl)", dir);
  char *names[MAX_RUNS];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < MAX_RUNS;) {
    char sub[4200];
    host_rundir_file(sub, sizeof sub, dir, e->d_name);
    if (e->d_name[0] != '.' && is_run(sub) && !(names[n++] = strdup(e->d_name)))
      abort();
  }
  closedir(d);
  if (n == 0)
    return drv_error("cannot plot '%s': it holds no run (no metrics.jsonl in it or its "
                     "subdirectories)",
                     dir);
  qsort(names, (size_t)n, sizeof *names, by_variant);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    char sub[4200];
    host_rundir_file(sub, sizeof sub, dir, names[i]);
    rc = rc ? rc : add_dir(a, sub);
    free(names[i]);
  }
  return rc;
}

static int parse_args(int argc, char **argv, plot_args *a) {
  *a = (plot_args){.out = "plot.svg"};
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    bool valued = strcmp(arg, "--metric") == 0 || strcmp(arg, "-o") == 0;
    if (valued && i + 1 == argc)
      return drv_usage_error("plot", "%s needs a value", arg);
    if (strcmp(arg, "--metric") == 0 && a->nkeys == MAX_KEYS)
      return drv_usage_error("plot", "more than %d metrics", MAX_KEYS);
    if (strcmp(arg, "--metric") == 0)
      a->keys[a->nkeys++] = argv[++i];
    else if (strcmp(arg, "-o") == 0)
      a->out = argv[++i];
    else if (strcmp(arg, "--log") == 0 || strcmp(arg, "--linear") == 0)
      a->scale = strcmp(arg, "--log") == 0 ? RT_SCALE_LOG : RT_SCALE_LINEAR;
    else if (arg[0] == '-' && arg[1])
      return drv_unknown_option("plot", arg);
    else if (add_runs(a, arg) != 0)
      return 1;
  }
  if (a->ndirs == 0)
    return drv_usage_error("plot", "no run directory given");
  return 0;
}

/* The experiment recorded in a run's summary.json ("" when it has none:
 * a run stopped early). */
static void experiment_of(const char *dir, char *out, size_t cap) {
  char path[4200];
  host_rundir_file(path, sizeof path, dir, "summary.json");
  out[0] = '\0';
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[512], name[256];
  while (fgets(line, sizeof line, f))
    if (sscanf(line, " \"experiment\": \"%255[A-Za-z0-9_]\"", name) == 1) {
      snprintf(out, cap, "%s", name);
      break;
    }
  fclose(f);
}

/* The last path component of a directory, without trailing slashes. */
static const char *base_name(char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    dir[--n] = '\0';
  const char *slash = strrchr(dir, '/');
  return slash && slash[1] ? slash + 1 : dir;
}

/* Checks that some run has each metric asked for. */
static int check_keys(const plot_args *a, const host_history *h) {
  for (int k = 0; k < a->nkeys; k++) {
    const char *cands[256];
    int n = 0;
    bool found = false;
    for (int r = 0; r < a->ndirs; r++)
      for (int i = 0; i < h[r].n; i++) {
        found = found || strcmp(h[r].s[i].key, a->keys[k]) == 0;
        if (n < 256)
          cands[n++] = h[r].s[i].key;
      }
    if (found)
      continue;
    const char *best = drv_closest(a->keys[k], cands, n);
    fprintf(stderr, "duet: error: no run has the metric '%s'\n", a->keys[k]);
    if (best)
      fprintf(stderr, "  hint: did you mean '%s'?\n", best);
    return 1;
  }
  return 0;
}

static void make_title(const plot_args *a, char *title, size_t cap) {
  char exp[256], first[256];
  bool same = true;
  for (int r = 0; r < a->ndirs; r++) {
    experiment_of(a->dirs[r], exp, sizeof exp);
    if (r == 0)
      snprintf(first, sizeof first, "%s", exp);
    same = same && exp[0] && strcmp(exp, first) == 0;
  }
  size_t n = same ? (size_t)snprintf(title, cap, "%s: ", first) : 0;
  title[n] = '\0';
  for (int k = 0; k < a->nkeys && n < cap; k++)
    n += (size_t)snprintf(title + n, cap - n, "%s%s", k ? ", " : "", a->keys[k]);
  if (a->nkeys == 0)
    snprintf(title + n, cap - n, "loss");
}

int drv_cmd_plot(int argc, char **argv) {
  plot_args a;
  int rc = parse_args(argc, argv, &a);
  host_history *h = calloc((size_t)a.ndirs + 1, sizeof *h);
  host_plot_run *runs = calloc((size_t)a.ndirs + 1, sizeof *runs);
  if (!h || !runs)
    abort();
  rt_error err;
  for (int r = 0; rc == 0 && r < a.ndirs; r++) {
    char path[4200];
    host_rundir_file(path, sizeof path, a.dirs[r], "metrics.jsonl");
    if (host_history_read(&h[r], path, &err) < 0)
      rc = drv_error("%s", err.msg);
    runs[r] = (host_plot_run){.h = &h[r]};
  }
  rc = rc ? rc : check_keys(&a, h);
  char title[512];
  if (rc == 0) {
    make_title(&a, title, sizeof title);
    for (int r = 0; r < a.ndirs; r++)
      runs[r].label = base_name(a.dirs[r]);
    host_plot_spec spec = {.title = title, .keys = a.keys, .nkeys = a.nkeys, .y_scale = a.scale};
    if (host_plot_runs(a.out, &spec, runs, a.ndirs, &err) < 0)
      rc = drv_error("%s", err.msg);
  }
  if (rc == 0)
    printf("wrote %s (%d run%s)\n", a.out, a.ndirs, a.ndirs == 1 ? "" : "s");
  for (int r = 0; r < a.ndirs; r++) {
    host_history_free(&h[r]);
    free(a.dirs[r]);
  }
  free(h);
  free(runs);
  return rc;
}
