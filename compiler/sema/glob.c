/* glob.c: matching of weight paths against the globs of
 * `optimizer for "glob" = ...`: `*` matches any run of characters (dots and
 * brackets included), every other character only itself; the glob may
 * match the whole path or its end from any '.'. */
#include <string.h>

#include "sema.h"

static bool whole_match(const char *glob, const char *path) {
  const char *star = NULL, *resume = NULL;
  while (*path) {
    if (*glob == '*') {
      star = glob++;
      resume = path;
    } else if (*glob == *path) {
      glob++;
      path++;
    } else if (star) {
      glob = star + 1;
      path = ++resume;
    } else {
      return false;
    }
  }
  while (*glob == '*')
    glob++;
  return *glob == 0;
}

bool sema_glob_match(const char *glob, const char *path) {
  if (whole_match(glob, path))
    return true;
  for (const char *dot = strchr(path, '.'); dot; dot = strchr(dot + 1, '.'))
    if (whole_match(glob, dot + 1))
      return true;
  return false;
}
