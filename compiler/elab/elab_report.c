/* elab_report.c: how the elaborator reports errors: every message names the
 * module path or optimizer it arose in, and points at the source expression
 * with a note at the place the module was used when that is elsewhere; IR
 * builder messages (which name the operation and the shapes) are passed on
 * the same way. Also sets the IR location of new nodes. */
#include <stdarg.h>
#include <stdio.h>

#include "elab_int.h"

static bool same_loc(diag_loc a, diag_loc b) {
  return a.file == b.file && a.line == b.line && a.col == b.col;
}

ev el_fail(el_tx *x, diag_loc loc, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (x->what)
    diag_error(x->c->d, loc, "%s: %s", x->what, msg);
  else
    diag_error(x->c->d, loc, "%s", msg);
  if (x->inst.file && x->inst_note && !same_loc(x->inst, loc))
    diag_note(x->c->d, x->inst, "%s", x->inst_note);
  return ev_err();
}

ev el_ir(el_tx *x, diag_loc loc, ir_node *n) {
  if (n)
    return ev_tensor(n);
  return el_fail(x, loc, "%s", ir_error(x->g));
}

void el_set_loc(el_tx *x, diag_loc loc) {
  ir_loc l = {x->what,    loc.file ? loc.file->path : NULL, loc.line, loc.col, loc.end_line,
              loc.end_col};
  ir_set_loc(x->g, l);
}

const char *el_describe(el_tx *x, ev v) {
  char buf[128];
  ops_val o = el_to_ops(v);
  return arena_printf(x->c->a, "%s", ops_describe(&o, buf, sizeof buf));
}
