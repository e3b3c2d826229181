/*
 * datapath.c - where generated data files live: $DUET_DATA when set and
 * non-empty, else `data` relative to the working directory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt_io.h"

int rt_data_path(char *out, size_t cap, const char *name, rt_error *err) {
  const char *dir = getenv("DUET_DATA");
  if (!dir || !*dir)
    dir = "data";
  int n = snprintf(out, cap, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= cap) {
    rt_error_set(err, "data path %s/%s is too long", dir, name);
    return -1;
  }
  return 0;
}
