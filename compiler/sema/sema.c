/* sema.c: the entry points of semantic analysis (see sema.h): checks the
 * declarations, builds every experiment, checks compare and sweep, and
 * evaluates compile-time expressions inside atom instances for later
 * passes. */
#include "sema.h"

#include "sema_internal.h"

void sema_ctx_init(sema_ctx *c, sema_result *r) {
  *c = (sema_ctx){0};
  c->a = r->arena;
  c->d = r->diag;
  c->prog = r->program;
  c->res = r;
  c->nsyms = r->nsyms;
  c->syms = r->syms;
}

sema_result *sema_check(arena *a, diag_ctx *d, const ast_program *p) {
  sema_result *r = arena_alloc(a, sizeof *r);
  r->arena = a;
  r->diag = d;
  r->program = p;
  sema_ctx c;
  sema_ctx_init(&c, r);
  sema_collect_symbols(&c);
  r->nsyms = c.nsyms;
  r->syms = c.syms;
  sema_check_decls(&c);
  for (int i = 0; i < p->ndecls && !diag_should_stop(d); i++) {
    const ast_decl *exp = p->decls[i];
    if (exp->kind != AST_EXPERIMENT || sema_sym_of(&c, exp) == NULL)
      continue; /* a duplicate name was reported */
    sema_experiment *x = sema_build(&c, exp, 0, NULL);
    if (!x)
      continue;
    r->experiments = arena_grow(a, r->experiments, (size_t)r->nexperiments * sizeof x,
                                (size_t)(r->nexperiments + 1) * sizeof x);
    r->experiments[r->nexperiments++] = x;
  }
  if (!diag_should_stop(d))
    sema_check_studies(&c);
  return r;
}

sema_experiment *sema_build_experiment(sema_result *r, const ast_decl *exp, int noverrides,
                                       const sema_override *overrides) {
  sema_ctx c;
  sema_ctx_init(&c, r);
  c.files = true;
  return sema_build(&c, exp, noverrides, overrides);
}

bool sema_eval_const(const sema_result *r, const mt_node *scope, const ast_expr *e, mt_value *out) {
  sema_ctx c;
  sema_ctx_init(&c, (sema_result *)r);
  c.d = diag_new(); /* failures are an answer here, not an error */
  sv v = sema_evaluate(&c, e, sema_instance_env(&c, scope));
  bool ok = diag_error_count(c.d) == 0 && sema_to_mt(v, out);
  diag_free(c.d);
  return ok;
}
