/* parse.c: the front end's entry points. Reads source files, runs the
 * parser on each, and resolves `use` declarations: every used file is parsed
 * once into the same program, and a cycle of uses is an error. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "parse.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lex.h"
#include "parse_build.h"

enum { MAX_SOURCE_BYTES = 64 << 20 };

/* A file that was (or is being) parsed, keyed by its canonical path. */
typedef struct loaded {
  const char *real; /* canonical path; NULL for text not from a file */
  ast_file *file;
  bool done; /* false while its uses are being resolved: a cycle */
} loaded;

typedef struct loader {
  arena *a;
  diag_ctx *d;
  const char *stdlib_dir; /* may be NULL */
  parse_vec loaded;       /* loaded */
  parse_vec files;        /* ast_file *, dependency order */
  parse_vec decls;        /* ast_decl *, dependency order */
} loader;

/* Reads a whole regular file into malloc'd memory (caller frees). On
 * failure returns NULL and sets *why. */
static char *read_source(const char *path, size_t *len, const char **why) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *why = strerror(errno);
    return NULL;
  }
  struct stat st;
  char *buf = NULL;
  if (fstat(fileno(f), &st) != 0) {
    *why = strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    *why = "not a regular file";
  } else if (st.st_size > MAX_SOURCE_BYTES) {
    *why = "file too large (the limit is 64 MB)";
  } else {
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
      *why = "out of memory";
    } else {
      *len = fread(buf, 1, (size_t)st.st_size, f);
      if (ferror(f)) {
        *why = strerror(errno);
        free(buf);
        buf = NULL;
      }
    }
  }
  fclose(f);
  return buf;
}

static bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The directory part of a path, with a trailing '/', or "" for none. */
static char *dir_of(arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? arena_strndup(a, path, (size_t)(slash - path) + 1) : arena_strdup(a, "");
}

static loaded *find_loaded(loader *ld, const char *real) {
  loaded *v = ld->loaded.items;
  for (int i = 0; i < ld->loaded.n; i++)
    if (v[i].real && strcmp(v[i].real, real) == 0)
      return &v[i];
  return NULL;
}

static ast_file *parse_text(loader *ld, const char *shown, const char *opened, const char *real,
                            const char *text, size_t len, bool is_std);

/* Reports `a -> b -> ... -> a` for a use that closes a cycle at `back`. */
static void report_cycle(loader *ld, const ast_decl *use, const loaded *back) {
  loaded *v = ld->loaded.items;
  size_t total = 1;
  int first = (int)(back - v);
  for (int i = first; i < ld->loaded.n; i++)
    if (!v[i].done)
      total += strlen(v[i].file->source->path) + 4;
  total += strlen(back->file->source->path);
  char *chain = arena_alloc(ld->a, total);
  for (int i = first; i < ld->loaded.n; i++)
    if (!v[i].done) {
      strcat(chain, v[i].file->source->path);
      strcat(chain, " -> ");
    }
  strcat(chain, back->file->source->path);
  diag_error(ld->d, use->loc, "cyclic use: %s", chain);
  diag_hint(ld->d, "move the shared declarations into a file that both can use");
}

/* Finds, reads and parses the file a `use` names; sets use->use.file. */
static void resolve_use(loader *ld, ast_file *from, ast_decl *use) {
  const char *want = use->use.path;
  const char *shown = NULL;
  bool is_std = use->use.is_std;
  if (is_std) {
    if (!ld->stdlib_dir) {
      diag_error(ld->d, use->loc, "no standard library directory is set");
      diag_hint(ld->d, "pass --stdlib DIR or set DUET_STDLIB");
      return;
    }
    shown = arena_printf(ld->a, "%s/%s.duet", ld->stdlib_dir, want);
    if (!file_exists(shown)) {
      diag_error(ld->d, use->name_loc, "the standard library has no module '%s'", want);
      diag_hint(ld->d, "the standard library files are nn and optim");
      return;
    }
  } else if (want[0] == '/') {
    shown = want;
  } else {
    shown = arena_printf(ld->a, "%s%s", dir_of(ld->a, from->source->path), want);
    if (!file_exists(shown) && ld->stdlib_dir) {
      const char *alt = arena_printf(ld->a, "%s/%s", ld->stdlib_dir, want);
      if (file_exists(alt)) {
        shown = alt;
        is_std = true;
      }
    }
  }
  char *real = realpath(shown, NULL);
  if (!real) {
    diag_error(ld->d, use->name_loc, "cannot open '%s': %s", shown, strerror(errno));
    return;
  }
  const char *key = arena_strdup(ld->a, real);
  free(real);
  loaded *prev = find_loaded(ld, key);
  if (prev && !prev->done) {
    report_cycle(ld, use, prev);
    return;
  }
  if (prev) {
    use->use.file = prev->file;
    return;
  }
  size_t len = 0;
  const char *why = NULL;
  char *text = read_source(shown, &len, &why);
  if (!text) {
    diag_error(ld->d, use->name_loc, "cannot read '%s': %s", shown, why);
    return;
  }
  use->use.file = parse_text(ld, shown, shown, key, text, len, is_std);
  free(text);
}

static ast_file *parse_text(loader *ld, const char *shown, const char *opened, const char *real,
                            const char *text, size_t len, bool is_std) {
  ast_file *file = arena_alloc(ld->a, sizeof *file);
  file->source = diag_add_file(ld->d, shown, text, len);
  file->path = arena_strdup(ld->a, opened);
  file->is_std = is_std;
  int slot = ld->loaded.n;
  PARSE_PUSH(ld, ld->loaded, loaded, ((loaded){real, file, false}));

  parse_state ps = {0};
  ps.a = ld->a;
  ps.d = ld->d;
  ps.file = file;
  ps.lx = lex_open(ld->a, ld->d, file->source);
  parse_run(&ps);
  lex_close(ps.lx);
  file->ndecls = ps.decls.n;
  file->decls = ps.decls.items;

  for (int i = 0; i < file->ndecls && !diag_should_stop(ld->d); i++)
    if (file->decls[i]->kind == AST_USE)
      resolve_use(ld, file, file->decls[i]);

  ((loaded *)ld->loaded.items)[slot].done = true;
  PARSE_PUSH(ld, ld->files, ast_file *, file);
  for (int i = 0; i < file->ndecls; i++)
    PARSE_PUSH(ld, ld->decls, ast_decl *, file->decls[i]);
  return file;
}

static ast_program *finish(loader *ld, ast_file *root) {
  ast_program *p = arena_alloc(ld->a, sizeof *p);
  p->root = root;
  p->nfiles = ld->files.n;
  p->files = ld->files.items;
  p->ndecls = ld->decls.n;
  p->decls = ld->decls.items;
  p->stdlib_dir = ld->stdlib_dir ? arena_strdup(ld->a, ld->stdlib_dir) : NULL;
  return p;
}

static loader new_loader(arena *a, diag_ctx *d, const parse_options *opt) {
  return (loader){.a = a, .d = d, .stdlib_dir = opt ? opt->stdlib_dir : NULL};
}

ast_program *parse_string(arena *a, diag_ctx *d, const char *name, const char *text, size_t len,
                          const parse_options *opt) {
  loader ld = new_loader(a, d, opt);
  ast_file *root = parse_text(&ld, name, name, NULL, text, len, false);
  return finish(&ld, root);
}

ast_program *parse_file(arena *a, diag_ctx *d, const char *path, const parse_options *opt) {
  size_t len = 0;
  const char *why = NULL;
  char *text = read_source(path, &len, &why);
  if (!text) {
    diag_error(d, (diag_loc){0}, "cannot read '%s': %s", path, why);
    return NULL;
  }
  loader ld = new_loader(a, d, opt);
  char *real = realpath(path, NULL);
  const char *key = real ? arena_strdup(a, real) : NULL;
  free(real);
  ast_file *root = parse_text(&ld, path, path, key, text, len, false);
  free(text);
  return finish(&ld, root);
}
