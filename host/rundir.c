/* rundir.c: the run directory: its default name, its creation (never
 * mixing two runs in one directory), the copy of the program's files, and
 * trimming metrics.jsonl back to a checkpoint when a run is resumed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host_checkpoint.h"
#include "host_experiment.h"
#include "host_report.h"

void host_rundir_file(char *out, size_t cap, const char *dir, const char *file) {
  snprintf(out, cap, "%s/%s", dir, file);
}

int host_mkdirs(const char *path, rt_error *err) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    rt_error_set(err, "directory name too long: %s", path);
    return -1;
  }
  for (char *p = buf + 1;; p++) {
    bool end = *p == 0;
    if (*p != '/' && !end)
      continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
      rt_error_set(err, "cannot create directory %s: %s", buf, strerror(errno));
      return -1;
    }
    if (end)
      return 0;
    *p = '/';
  }
}

static bool exists(const char *dir, const char *file) {
  char path[4096];
  host_rundir_file(path, sizeof path, dir, file);
  struct stat st;
  return stat(path, &st) == 0;
}

int host_rundir_create(char *out, size_t cap, const char *given, const char *experiment,
                       rt_error *err) {
  if (given) {
    snprintf(out, cap, "%s", given);
  } else {
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
    snprintf(out, cap, "runs/%s-%s", experiment, stamp);
  }
  if (host_mkdirs(out, err) < 0)
    return -1;
  if (exists(out, "metrics.jsonl") || exists(out, HOST_WEIGHTS_FILE) ||
      exists(out, HOST_STATE_FILE)) {
    rt_error_set(err,
                 "%s already holds a run: continue it with --resume %s, or choose another --out",
                 out, out);
    return -1;
  }
  return 0;
}

int host_rundir_write_sources(const char *dir, const host_source_file *files, int n,
                              rt_error *err) {
  for (int i = 0; i < n; i++) {
    char path[4200];
    host_rundir_file(path, sizeof path, dir, files[i].path);
    char *slash = strrchr(path, '/');
    *slash = 0;
    int rc = host_mkdirs(path, err);
    *slash = '/';
    if (rc < 0)
      return -1;
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(files[i].text, 1, (size_t)files[i].len, f) == (size_t)files[i].len;
    if (f && fclose(f) != 0)
      ok = false;
    if (!ok) {
      rt_error_set(err, "cannot write %s: %s", path, strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* The "step" of a metrics line, or -1. */
static long line_step(const char *line) {
  const char *p = strstr(line, "\"step\":");
  return p ? strtol(p + 7, NULL, 10) : -1;
}

int host_metrics_trim(const char *path, long step, rt_error *err) {
  FILE *f = fopen(path, "r");
  if (!f) {
    rt_error_set(err, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *o = fopen(tmp, "w");
  if (!o) {
    fclose(f);
    rt_error_set(err, "cannot write %s: %s", tmp, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t len = 0;
  ssize_t n;
  while ((n = getline(&line, &len, f)) > 0)
    if (line[n - 1] == '\n' && line_step(line) <= step) /* drops a torn last line */
      fputs(line, o);
  free(line);
  fclose(f);
  if (fclose(o) != 0 || rename(tmp, path) != 0) {
    rt_error_set(err, "cannot rewrite %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}
