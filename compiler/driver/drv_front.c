/* drv_front.c: loads one duet program: parse, then semantic analysis,
 * stopping at the first pass that reports errors. */
#include "drv_front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Every check after parsing goes here, in pipeline order; a pass runs only
 * when the passes before it reported no error. */
static bool check_program(drv_unit *u) {
  if (diag_error_count(u->diag) > 0)
    return false;
  u->sema = sema_check(u->arena, u->diag, u->program);
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
