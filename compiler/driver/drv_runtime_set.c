/* drv_runtime_set.c: the runtime C files a standalone program needs (see
 * drv_runtime_set.h): a scan of the runtime's sources for the rt_*
 * functions each defines and the rt_* names each uses, then the closure of
 * the names the program's texts use. */
#include "drv_runtime_set.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One runtime C file. */
typedef struct src_file {
  char *name; /* base name, owned */
  char *text; /* the file, then the generic body it includes; owned */
  int ndefs;
  char **defs; /* the rt_* functions it defines, owned */
  bool needed;
} src_file;

typedef struct scan {
  int n, cap;
  src_file *f; /* owned */
} scan;

static bool ident_char(int c) { return isalnum(c) || c == '_'; }

/* Length of the rt_* identifier starting at p, or 0. */
static size_t rt_name_at(const char *text, const char *p) {
  if ((p > text && ident_char((unsigned char)p[-1])) || strncmp(p, "rt_", 3) != 0)
    return 0;
  size_t n = 3;
  while (ident_char((unsigned char)p[n]))
    n++;
  return n;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Length of the macro name (upper case) of a macro call at p, or 0. */
static size_t macro_call(const char *p) {
  size_t n = 0;
  while (isupper((unsigned char)p[n]) || isdigit((unsigned char)p[n]) || p[n] == '_')
    n++;
  return n && p[n] == '(' ? n : 0;
}

/* The function a line defines: on a line that starts with a type, its
 * first rt_* name followed by "(" or (as FN(rt_name)) by ")("; on a line
 * that starts with a macro call, the macro's first argument when it is an
 * rt_* name (a definition the macro expands to). */
static char *line_def(const char *text, const char *line) {
  size_t m = macro_call(line);
  if (m) {
    size_t k = rt_name_at(text, line + m + 1);
    const char c = line[m + 1 + k];
    return k && (c == ',' || c == ')') ? strndup(line + m + 1, k) : NULL;
  }
  if (!isalpha((unsigned char)line[0]) || starts_with(line, "static") ||
      starts_with(line, "typedef") || starts_with(line, "extern"))
    return NULL;
  for (const char *p = line; *p && *p != '\n'; p++) {
    size_t k = rt_name_at(text, p);
    if (!k)
      continue;
    if (p[k] == '(' || (p[k] == ')' && p[k + 1] == '('))
      return strndup(p, k);
    p += k - 1;
  }
  return NULL;
}

static void add_defs(src_file *f) {
  for (const char *line = f->text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    char *d = line_def(f->text, line);
    if (!d)
      continue;
    char **defs = realloc(f->defs, (size_t)(f->ndefs + 1) * sizeof *defs);
    if (!defs)
      abort();
    f->defs = defs;
    f->defs[f->ndefs++] = d;
  }
}

/* The file and, when it sets RT_IMPL, the generic body it includes. */
static int load_file(scan *s, const char *dir, const char *name, rt_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len;
  char *text = rt_read_file(path, &len, err);
  if (!text)
    return -1;
  const char *impl = strstr(text, "#define RT_IMPL \"");
  if (impl) {
    impl += strlen("#define RT_IMPL \"");
    snprintf(path, sizeof path, "%s/%.*s", dir, (int)strcspn(impl, "\""), impl);
    char *body = rt_read_file(path, &len, err);
    char *both = body ? malloc(strlen(text) + strlen(body) + 2) : NULL;
    if (!both) {
      free(text);
      free(body);
      return -1;
    }
    sprintf(both, "%s\n%s", text, body);
    free(text);
    free(body);
    text = both;
  }
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 32;
    s->f = realloc(s->f, (size_t)s->cap * sizeof *s->f);
    if (!s->f)
      abort();
  }
  src_file *f = &s->f[s->n++];
  *f = (src_file){.name = strdup(name), .text = text};
  if (!f->name)
    abort();
  add_defs(f);
  return 0;
}

static src_file *definer(scan *s, const char *name, size_t len) {
  for (int i = 0; i < s->n; i++)
    for (int k = 0; k < s->f[i].ndefs; k++)
      if (strlen(s->f[i].defs[k]) == len && strncmp(s->f[i].defs[k], name, len) == 0)
        return &s->f[i];
  return NULL;
}

static void need_names(scan *s, const char *text);

/* Marks the file defining name (or its generic name without a dtype
 * suffix) and what that file uses. */
static void need(scan *s, const char *name, size_t len) {
  src_file *f = definer(s, name, len);
  if (!f && len > 4 &&
      (strncmp(name + len - 4, "_f32", 4) == 0 || strncmp(name + len - 4, "_f64", 4) == 0))
    f = definer(s, name, len - 4);
  if (!f || f->needed)
    return;
  f->needed = true;
  need_names(s, f->text);
}

static void need_names(scan *s, const char *text) {
  for (const char *p = text; *p; p++) {
    size_t k = rt_name_at(text, p);
    if (k) {
      need(s, p, k);
      p += k - 1;
    }
  }
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_free(scan *s) {
  for (int i = 0; i < s->n; i++) {
    for (int k = 0; k < s->f[i].ndefs; k++)
      free(s->f[i].defs[k]);
    free(s->f[i].defs);
    free(s->f[i].name);
    free(s->f[i].text);
  }
  free(s->f);
}

int drv_runtime_set_of(const char *runtime_dir, const char *const *texts, int ntexts,
                       drv_runtime_set *out, rt_error *err) {
  *out = (drv_runtime_set){0};
  scan s = {0};
  DIR *d = opendir(runtime_dir);
  if (!d) {
    rt_error_set(err, "cannot read %s: %s", runtime_dir, strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n > 2 && strcmp(de->d_name + n - 2, ".c") == 0)
      rc = load_file(&s, runtime_dir, de->d_name, err);
  }
  closedir(d);
  for (int i = 0; rc == 0 && i < ntexts; i++)
    need_names(&s, texts[i]);
  out->files = calloc((size_t)s.n + 1, sizeof *out->files);
  if (!out->files)
    abort();
  for (int i = 0; rc == 0 && i < s.n; i++)
    if (s.f[i].needed && !(out->files[out->n++] = strdup(s.f[i].name)))
      abort();
  qsort(out->files, (size_t)out->n, sizeof *out->files, by_name);
  scan_free(&s);
  if (rc)
    drv_runtime_set_free(out);
  return rc;
}

void drv_runtime_set_free(drv_runtime_set *s) {
  for (int i = 0; i < s->n; i++)
    free(s->files[i]);
  free(s->files);
  *s = (drv_runtime_set){0};
}
