/*
 * bench_data.c - speed of the data-file readers (docs/benchmarks.md, "Data
 * files"); bench/data.sh writes the files and runs it.
 *   bench_data load FORMAT FILE [MEMBER | LABEL]   FORMAT: idx npy npz csv
 *       median wall time of 5 loads (after one warm-up: the file is in the
 *       page cache) and MB/s of file bytes
 *   bench_data tokens FILE WINDOWS CONTEXT
 *       WINDOWS windows of CONTEXT + 1 tokens at random positions (the
 *       vocabulary given: no scan), then the bound scan; time and peak RSS
 *       of each. A FILE that does not exist is made first: 4 GiB, sparse
 *       (ftruncate), u16 tokens.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_io.h"
#include "rt_kernels.h"

static double peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* CPU seconds (user + system) of this process so far: on a shared machine
 * a steadier measure than wall time. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One load of FILE in FORMAT; returns 0 or prints the error. */
static int load_once(const char *format, const char *file, const char *arg) {
  rt_error err;
  int rc;
  if (strcmp(format, "csv") == 0) {
    rt_csv c;
    rt_csv_spec spec = {.label_kind = RT_CSV_CLASS, .label = arg};
    rc = rt_csv_load(&c, file, &spec, &err);
    rt_csv_free(&c);
  } else {
    rt_array a;
    if (strcmp(format, "idx") == 0)
      rc = rt_idx_load(&a, file, &err);
    else if (strcmp(format, "npy") == 0)
      rc = rt_npy_load(&a, file, &err);
    else {
      rt_npz z;
      rc = rt_npz_open(&z, file, &err);
      if (rc == 0)
        rc = rt_npz_load(&z, arg, &a, &err);
      rt_npz_close(&z);
    }
    rt_array_free(&a);
  }
  if (rc)
    fprintf(stderr, "bench_data: %s\n", err.msg);
  return rc;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int bench_load(const char *format, const char *file, const char *arg) {
  struct stat st;
  if (stat(file, &st) != 0 || load_once(format, file, arg)) {
    fprintf(stderr, "bench_data: cannot read %s\n", file);
    return 1;
  }
  double t[5], c[5];
  for (int r = 0; r < 5; r++) {
    double t0 = rt_now_s(), c0 = cpu_s();
    if (load_once(format, file, arg))
      return 1;
    t[r] = rt_now_s() - t0;
    c[r] = cpu_s() - c0;
  }
  qsort(t, 5, sizeof t[0], by_value);
  qsort(c, 5, sizeof c[0], by_value);
  double mb = (double)st.st_size / 1e6;
  printf("%s\t%s\t%.1f MB\twall %.4f s, %.0f MB/s\tCPU %.4f s, %.0f MB/s\tpeak RSS %.0f MiB\n",
         format, file, mb, t[2], mb / t[2], c[2], mb / c[2], peak_rss_mb());
  return 0;
}

/* A 4 GiB file of holes: u16 token id 0 everywhere, no disk blocks. */
static int make_sparse(const char *file) {
  int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0 || ftruncate(fd, (off_t)4 << 30) != 0) {
    perror(file);
    return 1;
  }
  close(fd);
  return 0;
}

static int bench_tokens(const char *file, long windows, long ctx) {
  if (access(file, F_OK) != 0 && make_sparse(file))
    return 1;
  rt_tokens t;
  rt_error err;
  if (rt_tokens_open(&t, file, 2, &err)) {
    fprintf(stderr, "bench_data: %s\n", err.msg);
    return 1;
  }
  size_t len = (size_t)ctx + 1, starts = t.count - len;
  int32_t *win = malloc(len * sizeof *win);
  double rss0 = peak_rss_mb(), t0 = rt_now_s(), c0 = cpu_s();
  for (long w = 0; w < windows; w++) {
    uint32_t r[4];
    rt_philox4x32(1, 0, (uint64_t)w, r);
    size_t pos = (size_t)(((uint64_t)r[0] << 32 | r[1]) % starts);
    if (rt_tokens_window(&t, pos, len, 65536, win, &err)) {
      fprintf(stderr, "bench_data: %s\n", err.msg);
      return 1;
    }
  }
  double tw = rt_now_s() - t0, cw = cpu_s() - c0, rss1 = peak_rss_mb();
  printf("tokens\t%s\t%.2f GiB\t%ld windows of %zu: wall %.3f s (%.0f windows/s), CPU %.3f s "
         "(%.0f windows/s)\tpeak RSS %.1f MiB (%.1f MiB before)\n",
         file, (double)t.file_size / (1 << 30), windows, len, tw, (double)windows / tw, cw,
         (double)windows / cw, rss1, rss0);
  uint32_t bound;
  t0 = rt_now_s();
  c0 = cpu_s();
  if (rt_tokens_bound(&t, &bound, &err)) {
    fprintf(stderr, "bench_data: %s\n", err.msg);
    return 1;
  }
  double ts = rt_now_s() - t0, cs = cpu_s() - c0, mb = (double)t.file_size / 1e6;
  printf("scan\t%s\tbound %u\twall %.2f s (%.0f MB/s), CPU %.2f s (%.0f MB/s)\tpeak RSS %.1f MiB\n",
         file, bound, ts, mb / ts, cs, mb / cs, peak_rss_mb());
  free(win);
  rt_tokens_close(&t);
  return 0;
}

int main(int argc, char **argv) {
  if ((argc == 4 || argc == 5) && strcmp(argv[1], "load") == 0)
    return bench_load(argv[2], argv[3], argc == 5 ? argv[4] : "");
  if (argc == 5 && strcmp(argv[1], "tokens") == 0)
    return bench_tokens(argv[2], atol(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: bench_data load FORMAT FILE [MEMBER | LABEL]\n"
                  "       bench_data tokens FILE WINDOWS CONTEXT\n");
  return 2;
}
