/* drv_data.c: a data binding loaded through the data-source table, its
 * errors as diagnostics at the binding (see drv_data.h). */
#include "drv_data.h"

bool drv_data_load(drv_data *d, const sema_data *sd, diag_ctx *dg) {
  *d = (drv_data){.name = sd->name};
  host_arg args[HOST_MAX_PARAMS];
  host_binding b;
  sema_data_binding(sd, args, &b);
  host_load_env env = {.seed = (uint64_t)sd->seed};
  rt_error err, hint = {{0}};
  if (host_dataset_load(&d->set, &b, &env, &err, &hint) < 0) {
    diag_error(dg, sd->loc, "%s", err.msg);
    if (hint.msg[0])
      diag_hint(dg, "%s", hint.msg);
    return false;
  }
  d->n = d->set.n;
  return true;
}

void drv_data_free(drv_data *d) {
  host_dataset_free(&d->set);
  *d = (drv_data){0};
}

void drv_data_gather(const drv_data *d, const uint32_t *idx, uint32_t count, ir_dtype real, void *x,
                     void *y) {
  d->set.gather(&d->set, idx, count, real == IR_F64, x, y);
}
