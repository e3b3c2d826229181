/* drv_build.c: the shared first half of the training commands: load and
 * check a file, choose its target, parse `--set` overrides, build the
 * experiment, elaborate and compile it (see drv_build.h). */
#include "drv_build.h"

#include <stdio.h>
#include <string.h>

#include "parse.h"

int drv_report_diags(drv_source *s) {
  fflush(stdout);
  diag_print(s->unit.diag, stderr);
  return diag_exit_code(s->unit.diag);
}

int drv_failure_code(const drv_source *s) { return diag_exit_code(s->unit.diag) == 2 ? 2 : 1; }

int drv_source_load(drv_source *s, const char *path, const char *stdlib_dir) {
  *s = (drv_source){.path = path};
  if (drv_load_file(&s->unit, path, stdlib_dir))
    s->sema = s->unit.sema;
  return drv_report_diags(s);
}

void drv_source_free(drv_source *s) {
  drv_unit_free(&s->unit);
  *s = (drv_source){0};
}

static bool is_study(const ast_decl *d) { return d->kind == AST_COMPARE || d->kind == AST_SWEEP; }

static bool fits(const ast_decl *d, drv_target_kind kind) {
  switch (kind) {
  case DRV_TARGET_COMPARE:
    return d->kind == AST_COMPARE;
  case DRV_TARGET_SWEEP:
    return d->kind == AST_SWEEP;
  case DRV_TARGET_EXPERIMENT:
  case DRV_TARGET_NAMED:
    return d->kind == AST_EXPERIMENT;
  case DRV_TARGET_ANY:
    break;
  }
  return d->kind == AST_EXPERIMENT || is_study(d);
}

static const char *kind_text(drv_target_kind kind) {
  return kind == DRV_TARGET_COMPARE ? "compare"
         : kind == DRV_TARGET_SWEEP ? "sweep"
         : kind == DRV_TARGET_ANY   ? "experiment, compare or sweep"
                                    : "experiment";
}

/* What else `duet run FILE` could have run: a note per other kind of
 * declaration of the root file, with the command that runs it. */
static void note_others(const drv_source *s, const ast_decl *chosen) {
  const ast_file *root = s->unit.program->root;
  const ast_decl *other = NULL, *compare = NULL, *sweep = NULL;
  for (int i = 0; i < root->ndecls; i++) {
    const ast_decl *d = root->decls[i];
    if (d->kind == AST_EXPERIMENT && d != chosen)
      other = d;
    compare = d->kind == AST_COMPARE ? d : compare;
    sweep = d->kind == AST_SWEEP ? d : sweep;
  }
  if (!other && !compare && !sweep)
    return;
  fprintf(stderr, "duet: note: running experiment %s, the last one %s declares\n", chosen->name,
          s->path);
  if (other)
    fprintf(stderr, "  another experiment runs with: duet run %s %s\n", s->path, other->name);
  if (compare)
    fprintf(stderr, "  its compare (of %s) runs with: duet compare %s\n", compare->name, s->path);
  if (sweep)
    fprintf(stderr, "  its sweep (of %s) runs with: duet sweep %s\n", sweep->name, s->path);
}

/* The error when a file declares no target of that kind, with the command
 * that runs what it declares instead. */
static int no_target(const drv_source *s, drv_target_kind kind) {
  fprintf(stderr, "duet: error: %s declares no %s\n", s->path, kind_text(kind));
  const ast_file *root = s->unit.program->root;
  for (int i = 0; kind == DRV_TARGET_EXPERIMENT && i < root->ndecls; i++)
    if (is_study(root->decls[i])) {
      fprintf(stderr, "  hint: it declares a %s: run it with 'duet %s %s'\n",
              ast_decl_kind_name(root->decls[i]->kind), ast_decl_kind_name(root->decls[i]->kind),
              s->path);
      break;
    }
  return 1;
}

/* The checked study of declaration d, or NULL. */
static const sema_study *study_of(const sema_result *r, const ast_decl *d) {
  for (int i = 0; i < r->nstudies; i++)
    if (r->studies[i].decl == d)
      return &r->studies[i];
  return NULL;
}

/* The experiment declaration called `name`, if it was built. */
static const ast_decl *experiment_named(const sema_result *r, const char *name) {
  for (int i = 0; i < r->nexperiments; i++)
    if (strcmp(r->experiments[i]->name, name) == 0)
      return r->experiments[i]->decl;
  return NULL;
}

int drv_find_target(const drv_source *s, const char *name, drv_target_kind kind, drv_target *out) {
  const sema_result *r = s->sema;
  const ast_file *root = s->unit.program->root;
  *out = (drv_target){0};
  const ast_decl *chosen = NULL;
  bool by_name = name && kind != DRV_TARGET_COMPARE && kind != DRV_TARGET_SWEEP;
  for (int i = 0; i < root->ndecls && !by_name; i++) {
    const ast_decl *d = root->decls[i];
    if (fits(d, kind) && (!name || strcmp(d->name, name) == 0))
      chosen = d;
  }
  if (by_name)
    chosen = experiment_named(r, name);
  if (!chosen) {
    if (by_name)
      fprintf(stderr, "duet: error: %s has no experiment '%s'\n", s->path, name);
    else if (name)
      fprintf(stderr, "duet: error: %s has no %s of experiment '%s'\n", s->path, kind_text(kind),
              name);
    else
      return no_target(s, kind);
    return 1;
  }
  if (kind == DRV_TARGET_EXPERIMENT && !name)
    note_others(s, chosen);
  if (is_study(chosen)) {
    out->study = study_of(r, chosen);
    if (!out->study) {
      fprintf(stderr, "duet: error: %s %s could not be checked\n", ast_decl_kind_name(chosen->kind),
              chosen->name);
      return 1;
    }
    out->experiment = out->study->experiment;
  } else {
    out->experiment = chosen;
  }
  return 0;
}

/* One "key=value": the key's location is in a diagnostics file holding the
 * whole argument; the value is parsed as the right-hand side of a setting. */
static bool parse_set(drv_source *s, const char *arg, sema_override *ov) {
  diag_ctx *d = s->unit.diag;
  const char *eq = strchr(arg, '=');
  const diag_file *f = diag_add_file(d, "--set", arg, strlen(arg));
  if (!eq || eq == arg || !eq[1]) {
    diag_error(d, (diag_loc){f, 1, 1, 1, (int)strlen(arg)},
               "expected key=value after --set, got '%s'", arg);
    diag_hint(d, "e.g. --set optimizer.lr=0.02 or --set batch=512");
    return false;
  }
  int klen = (int)(eq - arg);
  ov->key = arena_strndup(s->unit.arena, arg, (size_t)klen);
  ov->loc = (diag_loc){f, 1, 1, 1, klen};
  char *text = arena_printf(s->unit.arena, "experiment set { value = %s }", eq + 1);
  int before = diag_error_count(d);
  ast_program *p = parse_string(s->unit.arena, d, "--set", text, strlen(text), NULL);
  if (diag_error_count(d) != before)
    return false;
  const ast_decl *decl = p->root->ndecls == 1 ? p->root->decls[0] : NULL;
  if (!decl || decl->nitems != 1 || decl->items[0]->kind != AST_ITEM_ASSIGN) {
    diag_error(d, ov->loc, "the value of --set %s is not one expression", ov->key);
    return false;
  }
  ov->value = decl->items[0]->value;
  return true;
}

int drv_parse_sets(drv_source *s, int n, char *const *sets, sema_override **out) {
  *out = arena_alloc(s->unit.arena, (size_t)(n ? n : 1) * sizeof **out);
  bool ok = true;
  for (int i = 0; i < n; i++)
    ok = parse_set(s, sets[i], &(*out)[i]) && ok;
  if (ok)
    return 0;
  drv_report_diags(s);
  return 1;
}

sema_experiment *drv_experiment(drv_source *s, const ast_decl *exp, int nov,
                                const sema_override *ov) {
  sema_experiment *e = sema_build_experiment(s->sema, exp, nov, ov);
  drv_report_diags(s);
  return e;
}

ir_program *drv_elaborate(drv_source *s, const sema_experiment *e, const elab_options *o) {
  ir_program *p = elab_experiment(s->sema, e, o, s->unit.diag);
  drv_report_diags(s);
  return p;
}
