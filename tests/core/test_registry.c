/*
 * test_registry.c - the operation registry against the runtime and
 * itself: every kernel an operation calls (and its workspace-size kernel)
 * is declared in rt_kernels.h with the same return type and the same
 * parameters, type for type and name for name in order, for float and for
 * double (the header is parsed here: the RT_KERNELS macro's declarations);
 * every parameter lowering passes by name has a source in the operation's
 * declaration (operand, result, layout dimension, attribute, constant or
 * workspace); and every operation and builtin declares what its kind needs
 * (shape rule, tuple parts, loop operation, kernel, builder).
 *   test_registry RT_KERNELS_H
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops.h"

enum { MAX_PROTOS = 128, MAX_PARAMS = 40 };

/* One declaration of the header, for one dtype. */
typedef struct proto {
  char name[64]; /* with the dtype suffix */
  char ret[32];
  int n;
  char type[MAX_PARAMS][48]; /* normalized: "const float *", "long" */
  char pname[MAX_PARAMS][32];
} proto;

static proto protos[MAX_PROTOS];
static int nprotos;

/* The file without comments and line continuations. */
static char *read_clean(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *raw = malloc((size_t)len + 1), *out = malloc((size_t)len + 1);
  if (!raw || !out || fread(raw, 1, (size_t)len, f) != (size_t)len)
    abort();
  fclose(f);
  raw[len] = 0;
  long o = 0;
  for (long i = 0; i < len; i++) {
    if (raw[i] == '/' && raw[i + 1] == '*') {
      char *e = strstr(raw + i + 2, "*/");
      i = e ? e - raw + 1 : len;
      out[o++] = ' ';
    } else if (raw[i] == '\\' && raw[i + 1] == '\n') {
      i++;
    } else {
      out[o++] = raw[i];
    }
  }
  out[o] = 0;
  free(raw);
  return out;
}

/* A type and name as one normalized string, "Real" replaced by `real`:
 * tokens separated by one space, the star after a space. Splits off the
 * last identifier as the name. */
static int normalize(const char *s, const char *e, const char *real, char *type, size_t tlen,
                     char *name, size_t nlen) {
  char toks[8][32];
  int n = 0, star = 0;
  while (s < e) {
    if (isspace((unsigned char)*s)) {
      s++;
    } else if (*s == '*') {
      star = 1;
      s++;
    } else if (isalnum((unsigned char)*s) || *s == '_') {
      const char *b = s;
      while (s < e && (isalnum((unsigned char)*s) || *s == '_'))
        s++;
      if (n == 8)
        return -1;
      snprintf(toks[n++], sizeof toks[0], "%.*s", (int)(s - b), b);
    } else {
      return -1;
    }
  }
  if (n < 2)
    return -1;
  snprintf(name, nlen, "%s", toks[n - 1]);
  size_t o = 0;
  type[0] = 0;
  for (int i = 0; i < n - 1; i++)
    o += (size_t)snprintf(type + o, tlen - o, "%s%s", i ? " " : "",
                          strcmp(toks[i], "Real") == 0 ? real : toks[i]);
  if (star)
    snprintf(type + o, tlen - o, " *");
  return 0;
}

/* Parses a parameter list into p (types normalized for `real`). */
static int parse_list(const char *s, const char *e, const char *real, proto *p) {
  p->n = 0;
  while (s < e) {
    const char *c = memchr(s, ',', (size_t)(e - s));
    const char *end = c ? c : e;
    if (p->n == MAX_PARAMS || normalize(s, end, real, p->type[p->n], sizeof p->type[0],
                                        p->pname[p->n], sizeof p->pname[0]) < 0)
      return -1;
    p->n++;
    s = c ? c + 1 : e;
  }
  return 0;
}

/* Every `ret rt_name##S(params);` in the RT_KERNELS macro, for S = _f32
 * (Real float) and _f64 (Real double). */
static int parse_header(const char *path) {
  char *text = read_clean(path);
  if (!text)
    return -1;
  char *body = strstr(text, "#define RT_KERNELS(Real, S)");
  char *end = body ? strstr(body, "RT_KERNELS(float, _f32)") : NULL;
  if (!end)
    return -1;
  for (char *p = body; (p = strstr(p, "##S(")) && p < end; p++) {
    char *nb = p;
    while (nb > body && (isalnum((unsigned char)nb[-1]) || nb[-1] == '_'))
      nb--;
    char *rb = nb - 1;
    while (rb > body && isspace((unsigned char)*rb))
      rb--;
    char *re = rb + 1;
    while (rb > body && (isalnum((unsigned char)rb[-1]) || rb[-1] == '_'))
      rb--;
    char *close = strchr(p, ')');
    for (int d = 0; d < 2 && nprotos < MAX_PROTOS; d++) {
      proto *q = &protos[nprotos];
      snprintf(q->name, sizeof q->name, "%.*s%s", (int)(p - nb), nb, d ? "_f64" : "_f32");
      snprintf(q->ret, sizeof q->ret, "%.*s", (int)(re - rb), rb);
      if (parse_list(p + 4, close, d ? "double" : "float", q) < 0)
        return -1;
      nprotos++;
    }
  }
  free(text);
  return nprotos;
}

static const proto *find_proto(const char *name) {
  for (int i = 0; i < nprotos; i++)
    if (strcmp(protos[i].name, name) == 0)
      return &protos[i];
  return NULL;
}

/* One kernel of the registry against the header, for both dtypes. */
static void check_kernel(check_ctx *t, const op_def *d, const ops_rt *k) {
  static const char *reals[2] = {"float", "double"};
  for (int dt = 0; dt < 2; dt++) {
    char name[80];
    snprintf(name, sizeof name, "%s%s", k->name, dt ? "_f64" : "_f32");
    const proto *h = find_proto(name);
    if (!check(t, h != NULL, "%s: %s is not declared in rt_kernels.h", d->name, name))
      continue;
    check(t, (dt ? k->f64 : k->f32) != NULL, "%s: no address for %s", d->name, name);
    check(t, strcmp(h->ret, k->ret) == 0, "%s: %s returns %s, the registry says %s", d->name, name,
          h->ret, k->ret);
    proto r;
    const char *list = k->params;
    if (!check(t, parse_list(list, list + strlen(list), reals[dt], &r) == 0,
               "%s: cannot parse the registry's parameters of %s", d->name, name))
      continue;
    if (!check(t, r.n == h->n, "%s: %s has %d parameters, the registry lists %d", d->name, name,
               h->n, r.n))
      continue;
    for (int i = 0; i < r.n; i++)
      check(t, strcmp(r.type[i], h->type[i]) == 0 && strcmp(r.pname[i], h->pname[i]) == 0,
            "%s: parameter %d of %s is '%s %s' in rt_kernels.h, '%s %s' in the registry", d->name,
            i + 1, name, h->type[i], h->pname[i], r.type[i], r.pname[i]);
  }
}

/* Whether `name` is among the names a layout string binds (its operand's
 * name and its dimensions). */
static int layout_binds(const char *layout, const char *name) {
  size_t len = strlen(name);
  for (const char *p = layout; *p;) {
    while (*p && !(isalnum((unsigned char)*p) || *p == '_'))
      p++;
    const char *b = p;
    while (*p && (isalnum((unsigned char)*p) || *p == '_'))
      p++;
    if ((size_t)(p - b) == len && strncmp(b, name, len) == 0)
      return 1;
  }
  return 0;
}

/* Whether lowering finds a value for parameter `name` of d's kernels. */
static int has_source(const op_def *d, const char *name) {
  if (strcmp(name, "ws") == 0)
    return d->ws.name != NULL;
  for (int i = 0; i < OPS_MAX_IN && d->in[i]; i++)
    if (layout_binds(d->in[i], name) || ops_stride_axis(name, d->in[i]) >= 0)
      return 1;
  for (int i = 0; i < OPS_MAX_OUT && d->out[i]; i++)
    if (layout_binds(d->out[i], name) || ops_stride_axis(name, d->out[i]) >= 0)
      return 1;
  for (int i = 0; i < OPS_MAX_ATTRS && d->attrs[i].name; i++)
    if (strcmp(d->attrs[i].name, name) == 0)
      return 1;
  for (int i = 0; i < 2 && d->consts[i].name; i++)
    if (strcmp(d->consts[i].name, name) == 0)
      return 1;
  return 0;
}

/* A strided view (ops.h) has a stride for each axis of its layout but the
 * last, and its layout names every axis. */
static void check_view(check_ctx *t, const op_def *d, const ops_rt *k, const ops_param *p, int n,
                       const char *layout) {
  int strides = 0, axes = 1;
  for (int i = 0; i < n; i++)
    strides += ops_stride_axis(p[i].name, layout) >= 0;
  for (const char *c = strchr(layout, '['); c && *c; c++)
    axes += *c == ',';
  if (strides)
    check(t, strides == axes - 1 && !strstr(layout, ".."),
          "%s: %s takes '%s' as a view with %d of its strides", d->name, k->name, layout, strides);
}

static void check_sources(check_ctx *t, const op_def *d, const ops_rt *k) {
  ops_param p[OPS_MAX_CPARAMS];
  int n = ops_parse_params(k->params, p);
  if (!check(t, n >= 0, "%s: ops_parse_params rejects the parameters of %s", d->name, k->name))
    return;
  for (int i = 0; i < n; i++)
    check(t, has_source(d, p[i].name), "%s: nothing declares parameter '%s' of %s", d->name,
          p[i].name, k->name);
  for (int i = 0; i < OPS_MAX_IN && d->in[i]; i++)
    check_view(t, d, k, p, n, d->in[i]);
  for (int i = 0; i < OPS_MAX_OUT && d->out[i]; i++)
    check_view(t, d, k, p, n, d->out[i]);
}

static void check_op(check_ctx *t, const op_def *d, ir_op op) {
  check(t, d->op == op && d->name && d->infer, "operation %d: declaration, name and shape rule",
        (int)op);
  if (d->kind == IR_K_TUPLE)
    check(t, d->nparts > 0 && d->part, "%s: a tuple needs parts and a part rule", d->name);
  if (ir_is_elementwise(op))
    check(t, d->cost > 0 && d->eop > KP_E_SCALAR,
          "%s: an elementwise operation needs a loop operation and a cost", d->name);
  if (d->kind != IR_K_CALL && d->kind != IR_K_TUPLE)
    return;
  if (!check(t, d->call.name != NULL, "%s: a runtime operation needs a kernel", d->name))
    return;
  check_kernel(t, d, &d->call);
  if (d->ws.name)
    check_kernel(t, d, &d->ws);
  /* GEMM's sizes and batch strides are bound by lower_call.c (bind_gemm) */
  if (op != IR_MATMUL)
    check_sources(t, d, &d->call);
  if (d->ws.name)
    check_sources(t, d, &d->ws);
}

static void check_builtin(check_ctx *t, const op_builtin *b) {
  const ops_lang *l = &b->lang;
  check(t, l->nrequired <= l->nparams && l->nparams <= OPS_MAX_PARAMS,
        "%s: %d required of %d parameters", l->name, l->nrequired, l->nparams);
  for (int j = 0; j < l->nparams; j++)
    check(t, l->params[j] != NULL, "%s: parameter %d has no name", l->name, j);
  for (int j = 0; j < OPS_MAX_PARAMS; j++)
    check(t, b->defaults[j].kind == OPS_D_NONE || (j >= l->nrequired && j < l->nparams),
          "%s: a default for parameter %d", l->name, j);
  if (l->use & OPS_USE_TENSOR)
    check(t, b->build != NULL, "%s: a tensor function needs a builder", l->name);
  else
    check(t, b->fold != CNUM_FN_NONE, "%s: a compile-time function needs a fold", l->name);
  check(t, ops_builtin_find(l->name) == b, "%s: declared twice", l->name);
}

int main(int argc, char **argv) {
  check_ctx t = {.rng = 1};
  if (argc != 2 || parse_header(argv[1]) <= 0) {
    fprintf(stderr, "usage: test_registry RT_KERNELS_H (a readable header)\n");
    return 2;
  }
  printf("%d kernel declarations in %s\n", nprotos, argv[1]);
  int kernels = 0;
  for (int op = 0; op < IR_NUM_OPS; op++) {
    const op_def *d = ops_def((ir_op)op);
    check_op(&t, d, (ir_op)op);
    kernels += (d->call.name != NULL) + (d->ws.name != NULL);
  }
  for (int i = 0; i < ops_builtin_count(); i++)
    check_builtin(&t, ops_builtin_at(i));
  printf("%d operations, %d kernels, %d builtins\n", (int)IR_NUM_OPS, kernels, ops_builtin_count());
  return check_done(&t, "test_registry");
}
