/* drv_front.c: loads one duet program: parse, semantic analysis, then
 * elaboration of every experiment and study variant, stopping at the first
 * pass that reports errors. */
#include "drv_front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_sources.h"
#include "elab.h"
#include "parse.h"
#include "sema.h"

const char *drv_stdlib_dir(const char *override) {
  if (override)
    return override;
  const char *env = getenv("DUET_STDLIB");
  if (env && *env)
    return env;
  static char dir[4200];
  snprintf(dir, sizeof dir, "%s/stdlib", drv_share_dir());
  return dir;
}

/* Whether the shapes of e's data come from files (a source the table
 * probes: idx, npy, tokens, ...): those are read when the experiment is
 * built to run, with its --set values, not by the whole-program check, so
 * that is where such an experiment is elaborated. */
static bool shapes_from_files(const sema_experiment *e) {
  for (int i = 0; i < e->ndata; i++) {
    const host_source *s = host_source_find(e->data[i].source);
    if (s && s->probe && !e->data[i].example)
      return true;
  }
  return false;
}

/* Elaborates every variant of study st (the product of its axes, as
 * `duet compare` and `duet sweep` train them) up to the first that fails,
 * whose settings get a note each. */
static void elaborate_study(drv_unit *u, const sema_study *st) {
  for (int i = 0; i < u->sema->nexperiments; i++)
    if (u->sema->experiments[i]->decl == st->experiment &&
        shapes_from_files(u->sema->experiments[i]))
      return;
  int nkeys = sema_study_nkeys(st), nv = sema_study_nvariants(st);
  sema_override *ov = arena_alloc(u->arena, (size_t)nkeys * sizeof *ov);
  for (int i = 0; i < nv; i++) {
    sema_study_variant(st, i, ov);
    const sema_experiment *e = sema_build_experiment(u->sema, st->experiment, nkeys, ov);
    if (e && elab_check(u->sema, e, u->diag))
      continue;
    for (int k = 0; k < nkeys; k++)
      diag_note(u->diag, ov[k].value->loc,
                "in variant %d of %d of %s %s, with %s set to this value", i + 1, nv,
                ast_decl_kind_name(st->decl->kind), st->decl->name, ov[k].key);
    return;
  }
}

/* The elaboration `duet run` does before training, for every experiment
 * and every variant of every compare and sweep: the shapes through every
 * layer, the dualize outputs and the optimizer states. */
static void elaborate_program(drv_unit *u) {
  const sema_result *r = u->sema;
  for (int i = 0; i < r->nexperiments; i++)
    if (!shapes_from_files(r->experiments[i]))
      elab_check(r, r->experiments[i], u->diag);
  for (int i = 0; i < r->nstudies && diag_error_count(u->diag) == 0; i++)
    elaborate_study(u, &r->studies[i]);
}

/* Every check after parsing goes here, in pipeline order; a pass runs only
 * when the passes before it reported no error. */
static bool check_program(drv_unit *u) {
  if (diag_error_count(u->diag) > 0)
    return false;
  u->sema = sema_check(u->arena, u->diag, u->program);
  if (diag_error_count(u->diag) > 0)
    return false;
  elaborate_program(u);
  return diag_error_count(u->diag) == 0;
}

static void init_unit(drv_unit *u) {
  u->arena = arena_new();
  u->diag = diag_new();
  u->program = NULL;
  u->sema = NULL;
}

bool drv_parse_file(drv_unit *u, const char *path, const char *stdlib_dir) {
  init_unit(u);
  parse_options opt = {stdlib_dir};
  u->program = parse_file(u->arena, u->diag, path, &opt);
  return u->program && diag_error_count(u->diag) == 0;
}

bool drv_load_file(drv_unit *u, const char *path, const char *stdlib_dir) {
  return drv_parse_file(u, path, stdlib_dir) && check_program(u);
}

bool drv_load_string(drv_unit *u, const char *name, const char *text, size_t len,
                     const char *stdlib_dir) {
  init_unit(u);
  parse_options opt = {stdlib_dir};
  u->program = parse_string(u->arena, u->diag, name, text, len, &opt);
  return check_program(u);
}

void drv_unit_free(drv_unit *u) {
  arena_free(u->arena);
  diag_free(u->diag);
  *u = (drv_unit){0};
}
