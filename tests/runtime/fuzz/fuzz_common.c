/*
 * fuzz_common.c - the input file, error invariants and array conversions
 * of the data-file fuzz harnesses (fuzz_common.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

static char path[64]; /* libFuzzer's interface has no context argument */

static void remove_file(void) { remove(path); }

/* The file lives in memory (/dev/shm) where there is one: rewriting a file
 * on disk thousands of times a second makes the file system write it out
 * each time. */
const char *fuzz_file(const uint8_t *data, size_t size) {
  if (!path[0]) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm/" : "";
    snprintf(path, sizeof path, "%sduet-fuzz-input-%ld", dir, (long)getpid());
    atexit(remove_file);
  }
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    abort();
  return path;
}

void fuzz_check_error(const rt_error *err, const char *path) {
  size_t n = strlen(path);
  if (strncmp(err->msg, path, n) != 0 || strncmp(err->msg + n, ": ", 2) != 0 || !err->msg[n + 2])
    abort();
}

void fuzz_use_array(const rt_array *a) {
  size_t count = 1;
  for (int d = 0; d < a->ndim; d++)
    count *= a->shape[d];
  if (a->ndim < 0 || a->ndim > RT_ARRAY_MAX_DIMS || count != a->count || !a->data || !a->origin)
    abort();
  void *out = malloc(a->count * 8 + 1);
  rt_error err;
  int32_t bound;
  if (rt_array_to_f32(a, out, &err))
    fuzz_check_error(&err, a->origin);
  if (rt_array_to_f64(a, out, &err))
    fuzz_check_error(&err, a->origin);
  if (rt_array_to_ids(a, out, 10, &bound, &err))
    fuzz_check_error(&err, a->origin);
  else if (bound > 10)
    abort();
  if (rt_array_to_ids(a, out, 0, &bound, &err))
    fuzz_check_error(&err, a->origin);
  free(out);
}
