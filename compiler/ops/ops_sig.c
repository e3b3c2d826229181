/*
 * ops_sig.c - the C parameter lists of runtime kernels as the registry
 * writes them ("const Real *x, long rows, Real eps"): parsed into types and
 * names for lowering and for the check against rt_kernels.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* The argument class of a type written as base tokens and a pointer star. */
static int ctype_of(const char *base, int ptr, ops_ctype *out) {
  static const struct {
    const char *name;
    ops_ctype t;
  } scalars[] = {{"int", OPS_C_INT},   {"long", OPS_C_LONG},    {"size_t", OPS_C_SIZE},
                 {"Real", OPS_C_REAL}, {"uint64_t", OPS_C_U64}, {"rt_ns_schedule", OPS_C_INT}};
  if (ptr) {
    *out = OPS_C_PTR;
    return strcmp(base, "Real") == 0 || strcmp(base, "int32_t") == 0 ? 0 : -1;
  }
  for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
    if (strcmp(base, scalars[i].name) == 0) {
      *out = scalars[i].t;
      return 0;
    }
  return -1;
}

/* One parameter from [s, e): type tokens, optional '*', then the name. */
static int parse_one(const char *s, const char *e, ops_param *p) {
  char tok[4][32];
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
      if (n == 4 || (size_t)(s - b) >= sizeof tok[0])
        return -1;
      snprintf(tok[n++], sizeof tok[0], "%.*s", (int)(s - b), b);
    } else {
      return -1;
    }
  }
  int konst = n >= 1 && strcmp(tok[0], "const") == 0;
  if (n != 2 + konst || ptr > 1 || (ptr && star_at != n - 1) || (konst && !ptr) ||
      ctype_of(tok[konst], ptr, &p->ctype) < 0 || strlen(tok[n - 1]) >= sizeof p->name)
    return -1;
  snprintf(p->type, sizeof p->type, "%s%s%s", konst ? "const " : "", tok[konst], ptr ? " *" : "");
  snprintf(p->name, sizeof p->name, "%s", tok[n - 1]);
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
