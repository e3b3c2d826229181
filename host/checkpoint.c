/* checkpoint.c: a run directory's checkpoint (host_checkpoint.h): the
 * state file, then the weights file, each written atomically, with the
 * state file of the previous checkpoint kept under the .prev name until
 * the new weights are in place; reading takes the state file whose step
 * matches the weights. */
#include "host_checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_report.h"

long host_meta_long(const rt_st_file *f, const char *key) {
  const char *v = rt_st_meta(f, key);
  char *end;
  long n = v ? strtol(v, &end, 10) : -1;
  return v && *v && !*end ? n : -1;
}

int host_checkpoint_save(const char *dir, const host_model *m, const rt_str_pair *weights_meta,
                         size_t nweights_meta, const host_extra *extra, int nextra,
                         const rt_str_pair *state_meta, size_t nstate_meta, rt_error *err) {
  char state[4200], prev[4200], weights[4200];
  host_rundir_file(state, sizeof state, dir, HOST_STATE_FILE);
  host_rundir_file(prev, sizeof prev, dir, HOST_STATE_PREV_FILE);
  host_rundir_file(weights, sizeof weights, dir, HOST_WEIGHTS_FILE);
  if (rename(state, prev) != 0 && errno != ENOENT) {
    rt_error_set(err, "cannot rename %s to %s: %s", state, prev, strerror(errno));
    return -1;
  }
  if (host_state_save(state, m, extra, nextra, state_meta, nstate_meta, err) < 0)
    return -1;
  return host_weights_save(weights, m, weights_meta, nweights_meta, err);
}

/* Reads the state file `name` of dir into f when its step is `step`;
 * returns 1 then, 0 when it is absent or of another step (*other gets
 * that step), -1 on a damaged file. */
static int read_state(rt_st_file *f, const char *dir, const char *name, long step, long *other,
                      rt_error *err) {
  char path[4200];
  host_rundir_file(path, sizeof path, dir, name);
  FILE *probe = fopen(path, "rb");
  if (!probe)
    return 0;
  fclose(probe);
  if (rt_safetensors_read(f, path, err) < 0)
    return -1;
  long s = host_meta_long(f, HOST_META_STEP);
  if (s == step)
    return 1;
  *other = s;
  rt_st_file_free(f);
  return 0;
}

int host_checkpoint_read(host_checkpoint *c, const char *dir, rt_error *err) {
  *c = (host_checkpoint){0};
  char path[4200];
  host_rundir_file(path, sizeof path, dir, HOST_WEIGHTS_FILE);
  if (rt_safetensors_read(&c->weights, path, err) < 0)
    return -1;
  c->step = host_meta_long(&c->weights, HOST_META_STEP);
  if (c->step < 0) {
    rt_error_set(err, "%s has no step (%s): it was not written by a training run", path,
                 HOST_META_STEP);
    return -1;
  }
  long other = -1;
  int rc = read_state(&c->state, dir, HOST_STATE_FILE, c->step, &other, err);
  if (rc == 0)
    rc = read_state(&c->state, dir, HOST_STATE_PREV_FILE, c->step, &other, err);
  if (rc == 0) {
    host_rundir_file(path, sizeof path, dir, HOST_STATE_FILE);
    if (other >= 0)
      rt_error_set(err, "%s is of step %ld, the weights of step %ld", path, other, c->step);
    else
      rt_error_set(err, "%s: no optimizer state of step %ld", path, c->step);
  }
  return rc == 1 ? 0 : -1;
}

void host_checkpoint_free(host_checkpoint *c) {
  rt_st_file_free(&c->weights);
  rt_st_file_free(&c->state);
  *c = (host_checkpoint){0};
}
