/* drv_files.c: the files of a program in a run directory's layout (see
 * drv_files.h). Paths are compared after realpath, so that a file reached
 * through a link or "dir/../" lands where its siblings do. */
#define _XOPEN_SOURCE 700 /* realpath */

#include "drv_files.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The canonical path of `path`, in the arena (the path itself when it
 * cannot be resolved). */
static const char *canonical(arena *a, const char *path) {
  char *r = realpath(path, NULL);
  if (!r)
    return arena_strdup(a, path);
  const char *c = arena_strdup(a, r);
  free(r);
  return c;
}

/* The length of the directory part of path (up to its last '/'). */
static size_t dir_len(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? (size_t)(slash - path) : 0;
}

/* The length of the longest common directory of the directory a[0..n)
 * and the directory of path b (both absolute). */
static size_t common_dir(const char *a, size_t n, const char *b) {
  size_t m = dir_len(b), best = 0;
  for (size_t k = 1; k <= n && k <= m && a[k - 1] == b[k - 1]; k++)
    if ((k == n || a[k] == '/') && (k == m || b[k] == '/'))
      best = k;
  return best;
}

host_source_file *drv_program_files(drv_source *s, const char *stdlib_dir, int *n) {
  arena *a = s->unit.arena;
  const ast_program *p = s->unit.program;
  const char **real = arena_alloc(a, (size_t)p->nfiles * sizeof *real);
  const char *user_root = NULL;
  size_t user_len = 0;
  for (int i = 0; i < p->nfiles; i++) {
    real[i] = canonical(a, p->files[i]->path);
    if (p->files[i]->is_std)
      continue;
    if (!user_root) {
      user_root = real[i];
      user_len = dir_len(real[i]);
    } else {
      user_len = common_dir(user_root, user_len, real[i]);
    }
  }
  const char *std_root = stdlib_dir ? canonical(a, stdlib_dir) : "";
  size_t std_len = strlen(std_root);
  host_source_file *out = arena_alloc(a, (size_t)p->nfiles * sizeof *out);
  /* the root file is the last of p->files: first here */
  for (int k = 0; k < p->nfiles; k++) {
    int i = (k + p->nfiles - 1) % p->nfiles;
    const ast_file *f = p->files[i];
    const char *rel;
    if (!f->is_std)
      rel = arena_printf(a, "%s/%s", DRV_SOURCE_DIR, real[i] + user_len + 1);
    else if (std_len && strncmp(real[i], std_root, std_len) == 0 && real[i][std_len] == '/')
      rel = arena_printf(a, "%s/%s", DRV_STDLIB_DIR, real[i] + std_len + 1);
    else
      rel = arena_printf(a, "%s/%s", DRV_STDLIB_DIR, strrchr(real[i], '/') + 1);
    out[k] = (host_source_file){rel, f->source->text, (long)f->source->len};
  }
  *n = p->nfiles;
  return out;
}
