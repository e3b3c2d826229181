/* sema_data.c: data bindings against the data-source table
 * (host/data_sources.h): the sources as builtins usable as data
 * (BT_DATA), a checked binding as the table's host_binding, and the check
 * of its arguments (kinds, lists, splits, sizes). */
#include <string.h>

#include "data_sources.h"
#include "sema_internal.h"

void sema_data_builtin(int i, sema_builtin *out) {
  const host_source *s = host_source_at(i);
  *out = (sema_builtin){
      .name = s->name, .use = BT_DATA, .nrequired = s->nrequired, .nparams = s->nparams};
  for (int j = 0; j < s->nparams; j++)
    out->params[j] = s->params[j].name;
}

int sema_data_builtin_count(void) { return host_source_count(); }

void sema_data_binding(const sema_data *d, host_arg *args, host_binding *out) {
  *out = (host_binding){.name = d->name, .source = d->source, .nargs = d->nargs, .args = args};
  for (int i = 0; i < d->nargs && i < HOST_MAX_PARAMS; i++) {
    const mt_value *v = &d->args[i].value;
    host_arg *a = &args[i];
    *a = (host_arg){.name = d->args[i].name, .kind = HOST_NUMBER};
    if (v->kind == MT_STRING) {
      a->kind = HOST_STRING;
      a->s = v->s;
    } else if (v->kind == MT_INTS) {
      a->kind = HOST_INT_LIST;
      a->ints = v->ints.v;
      a->nints = v->ints.n;
    } else {
      a->num = mt_value_num(*v);
    }
  }
}

bool sema_data_example(const sema_data *d, host_example *out, diag_ctx *dg) {
  host_arg args[HOST_MAX_PARAMS];
  host_binding b;
  rt_error err, hint;
  sema_data_binding(d, args, &b);
  if (host_binding_check(&b, out, &err, &hint) == 0)
    return true;
  diag_error(dg, d->loc, "%s", err.msg);
  if (hint.msg[0])
    diag_hint(dg, "%s", hint.msg);
  return false;
}

bool sema_check_data(sema_ctx *c, const sema_data *d) {
  host_example ex;
  return sema_data_example(d, &ex, c->d);
}
