/* drv_origin.c: reads a run directory's checkpoint and the metadata that
 * says how the run was made (see drv_origin.h). */
#include "drv_origin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_report.h"
#include "drv_run.h"

int drv_origin_read(const char *dir, rt_st_file *f, drv_origin *o, rt_error *err) {
  *o = (drv_origin){0};
  char path[4200];
  host_rundir_file(path, sizeof path, dir, "model.safetensors");
  if (rt_safetensors_read(f, path, err) < 0)
    return -1;
  o->source = rt_st_meta(f, HOST_META_SOURCE);
  o->experiment = rt_st_meta(f, HOST_META_EXPERIMENT);
  o->stdlib = rt_st_meta(f, DRV_META_STDLIB);
  const char *n = rt_st_meta(f, DRV_META_NSETS), *dtype = rt_st_meta(f, HOST_META_DTYPE);
  bool known = dtype && (strcmp(dtype, "f32") == 0 || strcmp(dtype, "f64") == 0);
  if (!o->source || !o->experiment || !n || atoi(n) < 0 || !known) {
    rt_error_set(err, "%s was not written by duet run", path);
    return -1;
  }
  o->f64 = strcmp(dtype, "f64") == 0;
  o->nsets = atoi(n);
  o->sets = calloc((size_t)o->nsets + 1, sizeof *o->sets);
  if (!o->sets) {
    rt_error_set(err, "%s: out of memory", path);
    return -1;
  }
  for (int i = 0; i < o->nsets; i++) {
    char key[64];
    snprintf(key, sizeof key, DRV_META_SET "%d", i);
    o->sets[i] = (char *)rt_st_meta(f, key);
    if (!o->sets[i]) {
      rt_error_set(err, "%s lacks %s", path, key);
      return -1;
    }
  }
  return 0;
}

void drv_origin_free(drv_origin *o) {
  free(o->sets);
  *o = (drv_origin){0};
}
