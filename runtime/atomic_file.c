/*
 * atomic_file.c - replacing a file atomically: write "<path>.tmp", flush and
 * fsync it, rename it over path, fsync the directory. Readers see either the
 * old file or the complete new one, even after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_io_internal.h"

/* fsync of the directory holding path, so that the rename is durable. */
static void sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (!slash) {
    strcpy(dir, ".");
  } else {
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir)
      return;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

int rt_write_atomic(const char *path, const rt_chunk *chunks, size_t n, rt_error *err) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 5);
  if (!tmp) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp", 5);

  FILE *f = fopen(tmp, "wb");
  if (!f) {
    rt_error_set(err, "%s: cannot create: %s", tmp, strerror(errno));
    free(tmp);
    return -1;
  }
  int ok = 1;
  for (size_t i = 0; ok && i < n; i++)
    ok = chunks[i].len == 0 || fwrite(chunks[i].data, 1, chunks[i].len, f) == chunks[i].len;
  ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    rt_error_set(err, "%s: write failed: %s", tmp, strerror(saved));
    remove(tmp);
    free(tmp);
    return -1;
  }
  if (rename(tmp, path) != 0) {
    rt_error_set(err, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
    remove(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  sync_dir(path);
  return 0;
}
