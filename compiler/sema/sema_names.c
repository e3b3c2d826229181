/* sema_names.c: the global symbol table (one namespace for atoms, bonds,
 * modules, optimizers, schedules and experiments, with duplicate checks),
 * the "did you mean" hints, chosen by edit distance, and the hint to `use`
 * the standard library file that declares a missing name. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "sema_internal.h"

void sema_collect_symbols(sema_ctx *c) {
  const ast_program *p = c->prog;
  c->syms = arena_alloc(c->a, (size_t)p->ndecls * sizeof *c->syms);
  c->nsyms = 0;
  for (int i = 0; i < p->ndecls; i++) {
    ast_decl *d = p->decls[i];
    if (d->kind == AST_USE || d->kind == AST_COMPARE || d->kind == AST_SWEEP || !d->name)
      continue;
    sema_sym *prev = sema_lookup(c, d->name);
    if (prev) {
      diag_error(c->d, d->name_loc, "duplicate declaration of '%s'", d->name);
      diag_note(c->d, prev->decl->name_loc, "'%s' was first declared here as %s %s", d->name,
                prev->decl->kind == AST_ATOM || prev->decl->kind == AST_OPTIMIZER ||
                        prev->decl->kind == AST_EXPERIMENT
                    ? "an"
                    : "a",
                ast_decl_kind_name(prev->decl->kind));
      continue;
    }
    sema_sym *s = &c->syms[c->nsyms++];
    memset(s, 0, sizeof *s);
    s->name = d->name;
    s->decl = d;
  }
}

sema_sym *sema_lookup(const sema_ctx *c, const char *name) {
  for (int i = 0; i < c->nsyms; i++)
    if (strcmp(c->syms[i].name, name) == 0)
      return &c->syms[i];
  return NULL;
}

sema_sym *sema_sym_of(const sema_ctx *c, const ast_decl *decl) {
  for (int i = 0; i < c->nsyms; i++)
    if (c->syms[i].decl == decl)
      return &c->syms[i];
  return NULL;
}

int sema_global_names(const sema_ctx *c, unsigned kinds, const char **out, int cap) {
  int n = 0;
  for (int i = 0; i < c->nsyms && n < cap; i++)
    if (kinds & SEMA_KIND(c->syms[i].decl->kind))
      out[n++] = c->syms[i].name;
  return n;
}

/* Levenshtein distance; cap + 1 when it exceeds cap or a name is long. */
static int edit_distance(const char *a, const char *b, int cap) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (abs(la - lb) > cap || la > 64 || lb > 64)
    return cap + 1;
  int *row = malloc((size_t)(lb + 1) * sizeof *row);
  if (!row)
    return cap + 1;
  for (int j = 0; j <= lb; j++)
    row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j];
      int sub = diag + (a[i - 1] != b[j - 1]);
      int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
      row[j] = sub < best ? sub : best;
      diag = up;
    }
  }
  int r = row[lb];
  free(row);
  return r;
}

const char *sema_closest(const char *name, const char *const *cands, int n) {
  int len = (int)strlen(name);
  int cap = len <= 3 ? 1 : len <= 7 ? 2 : 3;
  const char *best = NULL;
  int bestd = cap + 1;
  for (int i = 0; i < n; i++) {
    if (strcmp(cands[i], name) == 0)
      continue;
    int dist = edit_distance(name, cands[i], cap);
    if (dist < bestd) {
      bestd = dist;
      best = cands[i];
    }
  }
  return best;
}

void sema_hint_closest(sema_ctx *c, const char *name, const char *const *cands, int n) {
  const char *best = sema_closest(name, cands, n);
  if (best)
    diag_hint(c->d, "did you mean '%s'?", best);
}

/* Whether the program already reads the standard library file `file`. */
static bool uses_std(const sema_ctx *c, const char *file) {
  for (int i = 0; i < c->prog->nfiles; i++) {
    const ast_file *f = c->prog->files[i];
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    if (f->is_std && strcmp(base, file) == 0)
      return true;
  }
  return false;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A declaration of a standard library file the program does not use. */
struct sema_stdlib_decl {
  const char *name;
  ast_decl_kind kind;
  const char *file; /* "nn" */
};

/* Reads the standard library's files the program does not use, in name
 * order (each parsed on its own, its messages dropped), into the index
 * of their declarations: once per program. */
static void index_stdlib(sema_ctx *c) {
  sema_result *r = c->res;
  r->stdlib_indexed = true;
  const char *dir = c->prog->stdlib_dir;
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d)
    return;
  const char *files[64];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < 64;) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".duet") == 0 && !uses_std(c, e->d_name))
      files[n++] = arena_strdup(c->a, e->d_name);
  }
  closedir(d);
  qsort(files, (size_t)n, sizeof *files, by_name);
  for (int i = 0; i < n; i++) {
    arena *a = arena_new();
    diag_ctx *dg = diag_new();
    parse_options opt = {dir};
    ast_program *p = parse_file(a, dg, arena_printf(a, "%s/%s", dir, files[i]), &opt);
    for (int k = 0; p && k < p->root->ndecls; k++) {
      const ast_decl *decl = p->root->decls[k];
      if (!decl->name || decl->kind == AST_COMPARE || decl->kind == AST_SWEEP)
        continue;
      r->stdlib_decls =
          arena_grow(c->a, r->stdlib_decls, (size_t)r->nstdlib_decls * sizeof *r->stdlib_decls,
                     (size_t)(r->nstdlib_decls + 1) * sizeof *r->stdlib_decls);
      r->stdlib_decls[r->nstdlib_decls++] =
          (struct sema_stdlib_decl){arena_strdup(c->a, decl->name), decl->kind,
                                    arena_strndup(c->a, files[i], strlen(files[i]) - 5)};
    }
    diag_free(dg);
    arena_free(a);
  }
}

const char *sema_stdlib_declaring(sema_ctx *c, const char *name, ast_decl_kind *kind) {
  if (!c->res->stdlib_indexed)
    index_stdlib(c);
  for (int i = 0; i < c->res->nstdlib_decls; i++)
    if (strcmp(c->res->stdlib_decls[i].name, name) == 0) {
      *kind = c->res->stdlib_decls[i].kind;
      return c->res->stdlib_decls[i].file;
    }
  return NULL;
}

bool sema_hint_use(sema_ctx *c, const char *name) {
  ast_decl_kind kind;
  const char *file = sema_stdlib_declaring(c, name, &kind);
  if (file)
    diag_hint(c->d, "the standard library declares %s %s in std.%s: add 'use std.%s'",
              ast_decl_kind_name(kind), name, file, file);
  return file != NULL;
}
