/* drv_origin.c: reads a run directory's weights file and the metadata that
 * says how the run was made (see drv_origin.h). */
#include "drv_origin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drv_files.h"
#include "host_checkpoint.h"
#include "host_report.h"

int drv_origin_read(const char *dir, rt_st_file *f, drv_origin *o, rt_error *err) {
  *o = (drv_origin){0};
  char path[4200];
  host_rundir_file(path, sizeof path, dir, HOST_WEIGHTS_FILE);
  if (rt_safetensors_read(f, path, err) < 0)
    return -1;
  o->source = rt_st_meta(f, HOST_META_SOURCE);
  o->experiment = rt_st_meta(f, HOST_META_EXPERIMENT);
  const char *copy = rt_st_meta(f, HOST_META_SOURCE_COPY);
  const char *n = rt_st_meta(f, HOST_META_NSETS), *dtype = rt_st_meta(f, HOST_META_DTYPE);
  bool known = dtype && (strcmp(dtype, "f32") == 0 || strcmp(dtype, "f64") == 0);
  if (!o->source || !o->experiment || !copy || !n || atoi(n) < 0 || !known) {
    rt_error_set(err, "%s was not written by a training run of duet", path);
    return -1;
  }
  host_rundir_file(o->copy, sizeof o->copy, dir, copy);
  host_rundir_file(o->stdlib, sizeof o->stdlib, dir, DRV_STDLIB_DIR);
  const char *slash = strrchr(o->source, '/');
  snprintf(o->data_dir, sizeof o->data_dir, "%.*s", slash ? (int)(slash - o->source) : 1,
           slash ? o->source : ".");
  if (access(o->copy, R_OK) != 0) {
    rt_error_set(err, "%s: the run's copy of %s is missing", o->copy, o->source);
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
    snprintf(key, sizeof key, HOST_META_SET "%d", i);
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

drv_cli drv_origin_cli(const drv_origin *o, const char *cmd) {
  return (drv_cli){.cmd = cmd,
                   .file = o->copy,
                   .data_dir = o->data_dir,
                   .name = o->experiment,
                   .stdlib = o->stdlib,
                   .nsets = o->nsets,
                   .sets = o->sets};
}
