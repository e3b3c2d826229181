/*
 * ops_sig.c - the C parameter lists of runtime kernels as the registry
 * writes them ("const Real *x, long rows, Real eps"): parsed into argument
 * classes and names for lowering (once per call node, so without
 * formatting), and the stride parameters of strided views.
 */
#include <ctype.h>
#include <string.h>

#include "ops.h"

typedef struct tok {
  const char *s;
  size_t n;
} tok;

static int is(tok t, const char *word) { return t.n == strlen(word) && !memcmp(t.s, word, t.n); }

/* The argument class of a type written as a base token and a pointer star. */
static int ctype_of(tok base, int ptr, ops_ctype *out) {
  static const struct {
    const char *name;
    ops_ctype t;
  } scalars[] = {{"int", OPS_C_INT},
                 {"long", OPS_C_LONG},
                 {"size_t", OPS_C_SIZE},
                 {"Real", OPS_C_REAL},
                 {"uint64_t", OPS_C_U64},
                 {"rt_ns_schedule", OPS_C_INT},
                 {"rt_ns_precision", OPS_C_INT}};
  if (ptr) {
    *out = OPS_C_PTR;
    return is(base, "Real") || is(base, "int32_t") ? 0 : -1;
  }
  for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
    if (is(base, scalars[i].name)) {
      *out = scalars[i].t;
      return 0;
    }
  return -1;
}

/* One parameter from [s, e): [const] type [*] name. */
static int parse_one(const char *s, const char *e, ops_param *p) {
  tok t[4];
  int n = 0, ptr = 0, star_at = -1;
  while (s < e) {
    if (isspace((unsigned char)*s)) {
      s++;
    } else if (*s == '*') {
      ptr++;
      star_at = n;
      s++;
    } else if (isalpha((unsigned char)*s) || *s == '_') {
      const char *b = s;
      while (s < e && (isalnum((unsigned char)*s) || *s == '_'))
        s++;
      if (n == 4)
        return -1;
      t[n++] = (tok){b, (size_t)(s - b)};
    } else {
      return -1;
    }
  }
  int konst = n >= 1 && is(t[0], "const");
  if (n != 2 + konst || ptr > 1 || (ptr && star_at != n - 1) || (konst && !ptr) ||
      ctype_of(t[konst], ptr, &p->ctype) < 0 || t[n - 1].n >= sizeof p->name)
    return -1;
  memcpy(p->name, t[n - 1].s, t[n - 1].n);
  p->name[t[n - 1].n] = 0;
  return 0;
}

int ops_parse_params(const char *list, ops_param *p) {
  int n = 0;
  const char *s = list;
  while (*s) {
    const char *e = strchr(s, ',');
    if (!e)
      e = s + strlen(s);
    if (n == OPS_MAX_CPARAMS || parse_one(s, e, &p[n++]) < 0)
      return -1;
    s = *e ? e + 1 : e;
  }
  return n;
}

int ops_stride_axis(const char *param, const char *layout) {
  const char *br = strchr(layout, '[');
  size_t namelen = br ? (size_t)(br - layout) : 0;
  if (!br || strncmp(param, layout, namelen) != 0 || strncmp(param + namelen, "_s", 2) != 0)
    return -1;
  const char *dim = param + namelen + 2;
  int axis = 0;
  for (const char *q = br + 1; *q != ']'; axis++) {
    while (*q == ' ' || *q == ',')
      q++;
    const char *e = q;
    while (*e != ',' && *e != ']')
      e++;
    if (*e == ',' && (size_t)(e - q) == strlen(dim) && strncmp(q, dim, (size_t)(e - q)) == 0)
      return axis;
    q = e;
  }
  return -1;
}
