/*
 * cg_c.c - the C back end (see cg_c.h): the arena layout as macros, the
 * program's tables, and one function per entry point whose statements are
 * the kernel program's instructions: calls of fused-loop functions (plain C
 * loop nests, reductions in the lane order of kp.h), runtime kernels,
 * memcpy for copies, and stores of the outputs.
 */
#include "cg_c.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct cw {
  const kp_program *kp;
  FILE *out;
  int dbl;         /* the real type is double */
  const char *T;   /* "float" or "double" */
  const char *sfx; /* "_f32" or "_f64": kp_math.h and kernel suffix */
  char **macro;    /* per tensor: its offset macro (malloc-owned) */
} cw;

/* What a range of an entry's instructions uses of the entry's parameters. */
typedef struct uses {
  bool arena, inputs, scalars, outputs;
} uses;

/* ---- names and literals ------------------------------------------------ */

/* s as a C identifier: runs of other characters become one '_'. */
static void ident(const char *s, char *buf, size_t len) {
  size_t n = 0;
  for (; *s && n + 1 < len; s++) {
    int c = (unsigned char)*s;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ok)
      buf[n++] = (char)c;
    else if (n && buf[n - 1] != '_')
      buf[n++] = '_';
  }
  while (n && buf[n - 1] == '_')
    n--;
  buf[n] = 0;
}

/* Offset macros of the persistent tensors, unique. */
static void name_tensors(cw *w) {
  const kp_program *kp = w->kp;
  w->macro = calloc((size_t)kp->ntensors + 1, sizeof *w->macro);
  if (!w->macro)
    abort();
  for (int i = 0; i < kp->ntensors; i++) {
    char id[200], buf[240];
    ident(kp->tensors[i].name, id, sizeof id);
    snprintf(buf, sizeof buf, "OFF_%s", id);
    for (int j = 0; j < i; j++)
      if (!strcmp(w->macro[j], buf)) {
        snprintf(buf, sizeof buf, "OFF_%s_%d", id, i);
        break;
      }
    w->macro[i] = strdup(buf);
    if (!w->macro[i])
      abort();
  }
}

/* A real constant as the shortest C literal that reads back as the same
 * value of the real type. */
static const char *lit(const cw *w, double v, char *buf, size_t len) {
  double r = w->dbl ? v : (double)(float)v;
  if (isnan(r))
    return "NAN";
  if (isinf(r))
    return r > 0 ? "INFINITY" : "(-INFINITY)";
  char num[64];
  for (int p = 1; p <= 17; p++) {
    snprintf(num, sizeof num, "%.*g", p, r);
    if (w->dbl ? strtod(num, NULL) == r : strtof(num, NULL) == (float)r)
      break;
  }
  const char *dot = strpbrk(num, ".e") ? "" : ".0";
  snprintf(buf, len, num[0] == '-' ? "(%s%s%s)" : "%s%s%s", num, dot, w->dbl ? "" : "f");
  return buf;
}

/* Comment text: what, without anything that would end the comment. */
static void comment_text(const char *what, char *buf, size_t len) {
  snprintf(buf, len, "%s", what ? what : "");
  for (char *p = buf; (p = strstr(p, "*/"));)
    p[0] = '+';
}

/* A memory reference: AT(<offset>) in the arena, IN(<input>, <offset>). */
static const char *ref(const cw *w, kp_ref r, char *buf, size_t len) {
  if (r.space == KP_INPUT) {
    snprintf(buf, len, "IN(%d, %ld)", r.input, r.off);
    return buf;
  }
  const kp_program *kp = w->kp;
  size_t es = kp_dtype_size(kp->real);
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    if (r.off >= t->off && r.off < t->off + t->count * (long)es) {
      if (r.off == t->off)
        snprintf(buf, len, "AT(%s)", w->macro[i]);
      else
        snprintf(buf, len, "AT(%s + %ld)", w->macro[i], r.off - t->off);
      return buf;
    }
  }
  snprintf(buf, len, "AT(%ld)", r.off);
  return buf;
}

/* A scalar as a value of the real type. */
static const char *scalar(const cw *w, const kp_scalar *s, char *buf, size_t len) {
  char r[160];
  switch (s->kind) {
  case KP_S_IMM:
    return lit(w, s->imm, buf, len);
  case KP_S_INPUT:
    snprintf(buf, len, w->dbl ? "scalars[%d]" : "(float)scalars[%d]", s->index);
    return buf;
  case KP_S_LOAD:
    snprintf(buf, len, "*(%s *)%s", w->T, ref(w, s->ref, r, sizeof r));
    return buf;
  }
  return "";
}

static const char *type_of(const cw *w, kp_dtype t) { return t == KP_I32 ? "int32_t" : w->T; }

static void indent(const cw *w, int depth) { fprintf(w->out, "%*s", 4 * depth, ""); }

/* ---- fused loops ------------------------------------------------------- */

/* Access k: input k, or output -1 - k. */
static const kp_access *access_of(const kp_loop *l, int k) {
  return k < 0 ? &l->out[-1 - k] : &l->in[k];
}

/* The name of output j's pointer: o, o1, o2, ... */
static const char *out_name(int j, char *buf, size_t len) {
  snprintf(buf, len, j ? "o%d" : "o", j);
  return buf;
}

/* Element index of access k (-1 - j: output j) at the loop variables. */
static void index_expr(const kp_loop *l, int k, char *buf, size_t len) {
  const kp_access *a = access_of(l, k);
  size_t n = 0;
  buf[0] = 0;
  for (int d = 0; d < l->rank && n < len; d++) {
    long s = a->stride[d];
    if (!s)
      continue;
    n += (size_t)snprintf(buf + n, len - n, s == 1 ? "%si%d" : "%si%d * %ld", n ? " + " : "", d, s);
  }
  if (!buf[0])
    snprintf(buf, len, "0");
}

static bool loop_uses_scalars(const kp_loop *l) {
  for (int i = 0; i < l->nexpr; i++)
    if (l->expr[i].op == KP_E_SCALAR)
      return true;
  return false;
}

/* The C expression of one scalar operation on earlier values v<a>, v<b>. */
static void op_expr(const cw *w, const kp_loop *l, int i, char *buf, size_t len) {
  const kp_expr *e = &l->expr[i];
  const char *S = w->sfx, *f = w->dbl ? "" : "f";
  char idx[256], c[64];
  int a = e->a, b = e->b;
  switch (e->op) {
  case KP_E_LOAD: {
    int j = kp_loop_same_output(l, e->a);
    index_expr(l, e->a, idx, sizeof idx);
    if (j >= 0) /* in place: see emit_loop_fn */
      snprintf(buf, len, "%s[%s]", out_name(j, c, sizeof c), idx);
    else
      snprintf(buf, len, "a%d[%s]", e->a, idx);
    return;
  }
  case KP_E_CONST:
    snprintf(buf, len, "%s", lit(w, e->imm, c, sizeof c));
    return;
  case KP_E_SCALAR:
    snprintf(buf, len, "s%d", i);
    return;
  case KP_E_NEG:
    snprintf(buf, len, "-v%d", a);
    return;
  case KP_E_SQRT:
    snprintf(buf, len, "sqrt%s(v%d)", f, a);
    return;
  case KP_E_ABS:
    snprintf(buf, len, "fabs%s(v%d)", f, a);
    return;
  case KP_E_SQUARE:
    snprintf(buf, len, "v%d * v%d", a, a);
    return;
  case KP_E_RECIP:
    snprintf(buf, len, "%s / v%d", lit(w, 1, c, sizeof c), a);
    return;
  case KP_E_ADD:
    snprintf(buf, len, "v%d + v%d", a, b);
    return;
  case KP_E_SUB:
    snprintf(buf, len, "v%d - v%d", a, b);
    return;
  case KP_E_MUL:
    snprintf(buf, len, "v%d * v%d", a, b);
    return;
  case KP_E_DIV:
    snprintf(buf, len, "v%d / v%d", a, b);
    return;
  case KP_E_LT:
    snprintf(buf, len, "(%s)(v%d < v%d)", w->T, a, b);
    return;
  case KP_E_LE:
    snprintf(buf, len, "(%s)(v%d <= v%d)", w->T, a, b);
    return;
  case KP_E_GT:
    snprintf(buf, len, "(%s)(v%d > v%d)", w->T, a, b);
    return;
  case KP_E_GE:
    snprintf(buf, len, "(%s)(v%d >= v%d)", w->T, a, b);
    return;
  case KP_E_EQ:
    snprintf(buf, len, "(%s)(v%d == v%d)", w->T, a, b);
    return;
  case KP_E_NE:
    snprintf(buf, len, "(%s)(v%d != v%d)", w->T, a, b);
    return;
  case KP_E_SELECT:
    snprintf(buf, len, "v%d != 0 ? v%d : v%d", a, b, e->c);
    return;
  case KP_E_MAX:
  case KP_E_MIN:
  case KP_E_POW:
    snprintf(buf, len, "kp_%s%s(v%d, v%d)", kp_eop_name(e->op), S, a, b);
    return;
  default: /* exp log rsqrt tanh sigmoid sign relu */
    snprintf(buf, len, "kp_%s%s(v%d)", kp_eop_name(e->op), S, a);
    return;
  }
}

/* The values of the expression list at the current loop indices. */
static void emit_values(const cw *w, const kp_loop *l, int depth) {
  for (int i = 0; i < l->nexpr; i++) {
    char ex[512];
    op_expr(w, l, i, ex, sizeof ex);
    indent(w, depth);
    fprintf(w->out, "const %s v%d = %s;\n", type_of(w, l->dtype), i, ex);
  }
}

/* "a + b" or "kp_max(a, b)": the reduction's combination. */
static void combine(const cw *w, const kp_loop *l, const char *acc, const char *x, char *buf,
                    size_t len) {
  if (l->reduce == KP_SUM)
    snprintf(buf, len, "%s + %s", acc, x);
  else
    snprintf(buf, len, "kp_max%s(%s, %s)", w->sfx, acc, x);
}

static const char *reduce_init(const kp_loop *l) { return l->reduce == KP_SUM ? "0" : "-INFINITY"; }

/* Innermost reduced dimension d, as kp.h fixes the order: element i into
 * accumulator i mod KP_LANES, lanes combined pairwise, then into out. */
static void emit_lanes(const cw *w, const kp_loop *l, int d, int depth) {
  long n = l->shape[d], full = n / KP_LANES * KP_LANES;
  char oi[256], c[640], v[16];
  index_expr(l, -1, oi, sizeof oi);
  snprintf(v, sizeof v, "v%d", l->nexpr - 1);
  indent(w, depth);
  fprintf(w->out, "%s acc[KP_LANES];\n", w->T);
  indent(w, depth);
  fprintf(w->out, "for (int lane = 0; lane < KP_LANES; lane++)\n");
  indent(w, depth + 1);
  fprintf(w->out, "acc[lane] = %s;\n", reduce_init(l));
  combine(w, l, "acc[lane]", v, c, sizeof c);
  if (full) {
    indent(w, depth);
    fprintf(w->out, "for (long blk = 0; blk < %ld; blk += KP_LANES)\n", full);
    indent(w, depth + 1);
    fprintf(w->out, "for (int lane = 0; lane < KP_LANES; lane++) {\n");
    indent(w, depth + 2);
    fprintf(w->out, "const long i%d = blk + lane;\n", d);
    emit_values(w, l, depth + 2);
    indent(w, depth + 2);
    fprintf(w->out, "acc[lane] = %s;\n", c);
    indent(w, depth + 1);
    fprintf(w->out, "}\n");
  }
  if (full < n) {
    indent(w, depth);
    fprintf(w->out, "for (long i%d = %ld; i%d < %ld; i%d++) {\n", d, full, d, n, d);
    indent(w, depth + 1);
    fprintf(w->out, "const int lane = (int)(i%d - %ld);\n", d, full);
    emit_values(w, l, depth + 1);
    indent(w, depth + 1);
    fprintf(w->out, "acc[lane] = %s;\n", c);
    indent(w, depth);
    fprintf(w->out, "}\n");
  }
  combine(w, l, "acc[j]", "acc[j + s]", c, sizeof c);
  indent(w, depth);
  fprintf(w->out, "for (int s = 1; s < KP_LANES; s *= 2)\n");
  indent(w, depth + 1);
  fprintf(w->out, "for (int j = 0; j < KP_LANES; j += 2 * s)\n");
  indent(w, depth + 2);
  fprintf(w->out, "acc[j] = %s;\n", c);
  char o[280];
  snprintf(o, sizeof o, "o[%s]", oi);
  combine(w, l, o, "acc[0]", c, sizeof c);
  indent(w, depth);
  fprintf(w->out, "%s = %s;\n", o, c);
}

/* The loop nest from dimension d; fill: only set the output region to the
 * reduction's initial value (skipping dimensions it does not vary along). */
static void emit_nest(const cw *w, const kp_loop *l, int d, int depth, bool fill) {
  if (d == l->rank) {
    char oi[256], o[280], c[640], v[16];
    index_expr(l, -1, oi, sizeof oi);
    snprintf(o, sizeof o, "o[%s]", oi);
    if (fill) {
      indent(w, depth);
      fprintf(w->out, "%s = %s;\n", o, reduce_init(l));
      return;
    }
    emit_values(w, l, depth);
    if (l->reduce == KP_MAP) {
      for (int j = 0; j < l->nout; j++) {
        char on[16];
        index_expr(l, -1 - j, oi, sizeof oi);
        indent(w, depth);
        fprintf(w->out, "%s[%s] = v%d;\n", out_name(j, on, sizeof on), oi, l->out_expr[j]);
      }
      return;
    }
    snprintf(v, sizeof v, "v%d", l->nexpr - 1);
    combine(w, l, o, v, c, sizeof c);
    indent(w, depth);
    fprintf(w->out, "%s = %s;\n", o, c);
    return;
  }
  if (fill && !l->out[0].stride[d]) {
    emit_nest(w, l, d + 1, depth, fill);
    return;
  }
  if (!fill && l->reduce != KP_MAP && d == l->rank - 1 && !l->out[0].stride[d]) {
    emit_lanes(w, l, d, depth);
    return;
  }
  indent(w, depth);
  fprintf(w->out, "for (long i%d = 0; i%d < %ld; i%d++) {\n", d, d, l->shape[d], d);
  emit_nest(w, l, d + 1, depth + 1, fill);
  indent(w, depth);
  fprintf(w->out, "}\n");
}

/* An input that is an output's own elements has no parameter: it is read
 * through that output's pointer, so that the compiler sees an update in
 * place rather than two pointers that may overlap (which defeats
 * vectorization). */
static void emit_loop_fn(const cw *w, const kp_loop *l, const char *name, const char *what) {
  char cm[300], on[16];
  comment_text(what, cm, sizeof cm);
  fprintf(w->out, "/* %s */\nstatic void %s(", cm, name);
  for (int j = 0; j < l->nout; j++)
    fprintf(w->out, "%s%s *%s%s", j ? ", " : "", type_of(w, l->out[j].dtype),
            kp_loop_output_shared(l, j) ? "" : "restrict ", out_name(j, on, sizeof on));
  for (int k = 0; k < l->nin; k++)
    if (kp_loop_same_output(l, k) < 0)
      fprintf(w->out, ", const %s *%sa%d", type_of(w, l->in[k].dtype),
              kp_loop_input_shared(l, k) ? "" : "restrict ", k);
  bool sc = loop_uses_scalars(l);
  fprintf(w->out, "%s)\n{\n", sc ? ", const double *scalars" : "");
  for (int i = 0; i < l->nexpr; i++)
    if (l->expr[i].op == KP_E_SCALAR)
      fprintf(w->out, "    const %s s%d = %sscalars[%d];\n", w->T, i, w->dbl ? "" : "(float)",
              l->expr[i].a);
  if (l->reduce != KP_MAP)
    emit_nest(w, l, 0, 1, true);
  emit_nest(w, l, 0, 1, false);
  fprintf(w->out, "}\n\n");
}

/* ---- entry points --------------------------------------------------------- */

static void use_ref(uses *u, kp_ref r) {
  if (r.space == KP_INPUT)
    u->inputs = true;
  else
    u->arena = true;
}

static void use_scalar(uses *u, const kp_scalar *s) {
  if (s->kind == KP_S_INPUT)
    u->scalars = true;
  else if (s->kind == KP_S_LOAD)
    use_ref(u, s->ref);
}

static uses uses_of(const kp_entry *en, int from, int to) {
  uses u = {0};
  for (int i = from; i < to; i++) {
    const kp_instr *in = &en->instr[i];
    switch (in->kind) {
    case KP_LOOP:
      for (int k = 0; k < in->u.loop.nout; k++)
        use_ref(&u, in->u.loop.out[k].ref);
      for (int k = 0; k < in->u.loop.nin; k++)
        use_ref(&u, in->u.loop.in[k].ref);
      u.scalars |= loop_uses_scalars(&in->u.loop);
      break;
    case KP_CALL:
      for (int k = 0; k < in->u.call.nargs; k++) {
        const kp_arg *a = &in->u.call.args[k];
        if (a->kind == KP_A_PTR)
          use_ref(&u, a->ref);
        else if (a->kind == KP_A_REAL || a->kind == KP_A_U64)
          use_scalar(&u, &a->val);
      }
      if (in->u.call.has_ret)
        use_ref(&u, in->u.call.ret);
      break;
    case KP_COPY:
      use_ref(&u, in->u.copy.dst);
      use_ref(&u, in->u.copy.src);
      break;
    case KP_OUTPUT:
      u.outputs = true;
      use_scalar(&u, &in->u.out.value);
      break;
    case KP_IF:
      use_scalar(&u, &in->u.cond.cond);
      break;
    case KP_END:
      break;
    }
  }
  return u;
}

static void emit_call(const cw *w, const kp_call *c) {
  char r[160], s[160];
  if (c->has_ret)
    fprintf(w->out, "*(%s *)%s = (%s)", w->T, ref(w, c->ret, r, sizeof r), w->T);
  fprintf(w->out, "%s(", c->fn);
  for (int i = 0; i < c->nargs; i++) {
    const kp_arg *a = &c->args[i];
    if (i)
      fputs(", ", w->out);
    switch (a->kind) {
    case KP_A_PTR:
      fputs(ref(w, a->ref, r, sizeof r), w->out);
      break;
    case KP_A_INT:
    case KP_A_LONG:
    case KP_A_SIZE:
      fprintf(w->out, "%ld", a->ival);
      break;
    case KP_A_REAL:
      fputs(scalar(w, &a->val, s, sizeof s), w->out);
      break;
    case KP_A_U64:
      if (a->val.kind == KP_S_IMM)
        fprintf(w->out, "UINT64_C(%llu)", (unsigned long long)(uint64_t)a->val.imm);
      else if (a->val.kind == KP_S_INPUT)
        fprintf(w->out, "(uint64_t)scalars[%d]", a->val.index);
      else
        fprintf(w->out, "(uint64_t)%s", scalar(w, &a->val, s, sizeof s));
      break;
    }
  }
  fputs(");\n", w->out);
}

static void emit_loop_call(const cw *w, const kp_loop *l, const char *name) {
  char r[160];
  fprintf(w->out, "%s(", name);
  for (int j = 0; j < l->nout; j++)
    fprintf(w->out, "%s%s", j ? ", " : "", ref(w, l->out[j].ref, r, sizeof r));
  for (int k = 0; k < l->nin; k++)
    if (kp_loop_same_output(l, k) < 0) /* see emit_loop_fn */
      fprintf(w->out, ", %s", ref(w, l->in[k].ref, r, sizeof r));
  fprintf(w->out, "%s);\n", loop_uses_scalars(l) ? ", scalars" : "");
}

/* Instruction i, inside *depth open KP_IFs (each a C `if` block). */
static void emit_instr(const cw *w, const kp_entry *en, int i, const char *fname, int *depth) {
  const kp_instr *in = &en->instr[i];
  char cm[300], r[160], s[160];
  comment_text(in->what, cm, sizeof cm);
  *depth -= in->kind == KP_END;
  int pad = 4 * (*depth + 1);
  if (in->kind == KP_END) {
    fprintf(w->out, "%*s}\n", pad, "");
    return;
  }
  fprintf(w->out, "%*s/* %d: %s */\n%*s", pad, "", i, in->kind == KP_OUTPUT ? "output" : cm, pad,
          "");
  switch (in->kind) {
  case KP_LOOP: {
    char name[200];
    snprintf(name, sizeof name, "%s_k%d", fname, i);
    emit_loop_call(w, &in->u.loop, name);
    break;
  }
  case KP_CALL:
    emit_call(w, &in->u.call);
    break;
  case KP_COPY:
    fprintf(w->out, "memcpy(%s, ", ref(w, in->u.copy.dst, r, sizeof r));
    fprintf(w->out, "%s, %ld);\n", ref(w, in->u.copy.src, r, sizeof r), in->u.copy.bytes);
    break;
  case KP_OUTPUT:
    fprintf(w->out, "outputs[%d] = %s%s; /* %s */\n", in->u.out.index, w->dbl ? "" : "(double)",
            scalar(w, &in->u.out.value, s, sizeof s), en->outputs[in->u.out.index]);
    break;
  case KP_IF: /* NaN is nonzero, as in a select */
    fprintf(w->out, "if (%s %s 0) {\n", scalar(w, &in->u.cond.cond, s, sizeof s),
            in->u.cond.negate ? "==" : "!=");
    ++*depth;
    break;
  case KP_END:
    break;
  }
}

/* The derived scalars of en (kp.h) after the scalar inputs, in the local
 * array `scalars`: each operation as a loop of a double program computes it
 * (kp_op_f64 in the compiler). */
static void emit_derived(const cw *w, const kp_entry *en) {
  int n = w->kp->nscalars;
  cw d = *w;
  d.dbl = 1, d.T = "double", d.sfx = "_f64";
  fprintf(w->out, "    double scalars[%d];\n", n + en->nderived);
  if (n)
    fprintf(w->out, "    memcpy(scalars, scalar_inputs, sizeof(double) * %d);\n", n);
  fprintf(w->out, "    /* derived scalars, in double precision */\n");
  for (int i = 0; i < en->nderived; i++) {
    const kp_derived *dv = &en->derived[i];
    kp_expr ex[4];
    kp_loop l = {.dtype = KP_F64, .nexpr = dv->nargs + 1, .expr = ex};
    fprintf(w->out, "    {\n");
    for (int k = 0; k < dv->nargs; k++) {
      const kp_scalar *a = &dv->arg[k];
      ex[k] = (kp_expr){a->kind == KP_S_IMM ? KP_E_CONST : KP_E_SCALAR, a->index, 0, 0, a->imm};
      if (a->kind != KP_S_IMM)
        fprintf(w->out, "        const double s%d = scalars[%d];\n", k, a->index);
    }
    ex[dv->nargs] = (kp_expr){dv->op, 0, 1, 2, 0};
    emit_values(&d, &l, 2);
    fprintf(w->out, "        scalars[%d] = v%d;\n    }\n", n + i, dv->nargs);
  }
}

/* The function header; with derived scalars that the instructions use, the
 * scalar inputs arrive as scalar_inputs and `scalars` holds them all. */
static void emit_params(const cw *w, const kp_entry *en, const char *name, uses u) {
  bool derived = en->nderived && u.scalars;
  fprintf(w->out,
          "static void %s(char *arena, void *const *inputs, const double *%s,\n"
          "%*sdouble *outputs)\n{\n",
          name, derived ? "scalar_inputs" : "scalars", (int)strlen(name) + 13, "");
  const char *names[4] = {"arena", "inputs", derived ? "scalar_inputs" : "scalars", "outputs"};
  bool used[4] = {u.arena, u.inputs, u.scalars && (!derived || w->kp->nscalars), u.outputs};
  for (int k = 0; k < 4; k++)
    if (!used[k])
      fprintf(w->out, "    (void)%s;\n", names[k]);
  if (derived)
    emit_derived(w, en);
}

static void emit_entry(const cw *w, int ei) {
  const kp_entry *en = &w->kp->entries[ei];
  char fname[160];
  ident(en->name, fname, sizeof fname);
  for (int i = 0; i < en->ninstr; i++)
    if (en->instr[i].kind == KP_LOOP) {
      char name[200];
      snprintf(name, sizeof name, "%s_k%d", fname, i);
      emit_loop_fn(w, &en->instr[i].u.loop, name, en->instr[i].what);
    }
  /* the parts with functions of their own: an evaluation entry's class
     * scores, a training entry's forward pass, backward pass and step */
  static const char *const phase_names[3] = {"forward", "backward", "step"};
  int bounds[4] = {0}, nparts = 0;
  const char *part_names[3];
  kp_scores sc;
  if (en->phase[0]) {
    part_names[nparts] = phase_names[0];
    for (int k = 0; k < 2; k++)
      if (en->phase[k]) {
        bounds[++nparts] = en->phase[k];
        part_names[nparts] = phase_names[k + 1];
      }
    bounds[++nparts] = en->ninstr;
  } else if (kp_entry_scores(en, &sc)) {
    part_names[nparts] = "scores";
    bounds[++nparts] = sc.split;
  }
  for (int p = 0; p < nparts; p++) {
    char pname[200];
    snprintf(pname, sizeof pname, "%s_%s", fname, part_names[p]);
    fprintf(w->out, "/* %s: %s (instructions %d to %d) */\n", en->name, part_names[p], bounds[p],
            bounds[p + 1] - 1);
    emit_params(w, en, pname, uses_of(en, bounds[p], bounds[p + 1]));
    int depth = 0;
    for (int i = bounds[p]; i < bounds[p + 1]; i++)
      emit_instr(w, en, i, fname, &depth);
    fprintf(w->out, "}\n\n");
  }
  int from = bounds[nparts];
  fprintf(w->out, "/* entry point %s: %d instructions, %ld bytes of temporaries */\n", en->name,
          en->ninstr, en->temp_bytes);
  if (nparts && from == en->ninstr) {
    fprintf(w->out,
            "static void %s(char *arena, void *const *inputs, const double *scalars,\n"
            "%*sdouble *outputs)\n{\n",
            fname, (int)strlen(fname) + 13, "");
  } else {
    uses u = uses_of(en, from, en->ninstr);
    if (nparts)
      u.arena = u.inputs = u.scalars = u.outputs = true;
    emit_params(w, en, fname, u);
  }
  for (int p = 0; p < nparts; p++)
    fprintf(w->out, "    %s_%s(arena, inputs, scalars, outputs);\n", fname, part_names[p]);
  int depth = 0;
  for (int i = from; i < en->ninstr; i++)
    emit_instr(w, en, i, fname, &depth);
  fprintf(w->out, "}\n\n");
}

/* ---- layout and tables ------------------------------------------------ */

/* "{2, 3}" (brackets "{}") or "[2, 3]" (brackets "[]"). */
static void shape_text(int rank, const long *shape, const char *brackets, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "%c", brackets[0]);
  for (int d = 0; d < rank && n < len; d++)
    n += (size_t)snprintf(buf + n, len - n, d ? ", %ld" : "%ld", shape[d]);
  if (n < len)
    snprintf(buf + n, len - n, "%c", brackets[1]);
}

static void emit_layout(const cw *w) {
  const kp_program *kp = w->kp;
  fprintf(w->out,
          "/* ---- arena layout --------------------------------------------------------\n"
          " * One arena holds the program's memory: the persistent tensors (weights and\n"
          " * optimizer state) at the offsets below, then each entry point's\n"
          " * temporaries (their contents do not survive a call). */\n"
          "#define KP_ARENA_BYTES %ld\n#define KP_PERSISTENT_BYTES %ld\n\n",
          kp->arena_bytes, kp->persistent_bytes);
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    char sh[200], cm[300];
    shape_text(t->rank, t->shape, "[]", sh, sizeof sh);
    comment_text(t->name, cm, sizeof cm);
    fprintf(w->out, "#define %s %ld /* %s %s %s */\n", w->macro[i], t->off,
            t->is_param ? "param" : "state", cm, sh);
  }
  fprintf(w->out, "\n/* Memory of an instruction: arena bytes, or bytes of a per-step input. */\n"
                  "#define AT(off) ((void *)(arena + (off)))\n"
                  "#define IN(i, off) ((void *)((char *)inputs[i] + (off)))\n\n");
}

static void emit_types(const cw *w) {
  const kp_program *kp = w->kp;
  fprintf(w->out,
          "#define KP_MAX_RANK %d\n#define KP_NTENSORS %d\n#define KP_NINPUTS %d\n"
          "#define KP_NSCALARS %d\n#define KP_NENTRIES %d\n\n",
          KP_MAX_RANK, kp->ntensors, kp->ninputs, kp->nscalars, kp->nentries);
  fputs("/* An entry point: arena, per-step inputs, scalar inputs, outputs. */\n"
        "typedef void (*kp_entry_fn)(char *arena, void *const *inputs, const double *scalars,\n"
        "                            double *outputs);\n\n"
        "typedef struct kp_tensor_info {\n"
        "    const char *name;\n"
        "    int is_param;               /* 1 parameter, 0 optimizer state */\n"
        "    int rank;\n"
        "    long shape[KP_MAX_RANK];\n"
        "    long count;\n"
        "    long off;                   /* bytes from the arena base */\n"
        "} kp_tensor_info;\n\n"
        "typedef struct kp_input_info {\n"
        "    const char *name;\n"
        "    int is_index;               /* int32 values; else reals */\n"
        "    int rank;\n"
        "    long shape[KP_MAX_RANK];\n"
        "    long bytes;\n"
        "} kp_input_info;\n\n"
        "typedef struct kp_entry_info {\n"
        "    const char *name;\n"
        "    kp_entry_fn run;\n"
        "    kp_entry_fn scores;         /* NULL, or run up to its class scores, */\n"
        "    long scores_off;            /* which are then at this arena offset */\n"
        "    long scores_rows, scores_classes;\n"
        "    int ninputs;\n"
        "    const int *inputs;          /* the per-step inputs it reads */\n"
        "    int noutputs;\n"
        "    const char *const *outputs; /* names of outputs[0 .. noutputs) */\n"
        "} kp_entry_info;\n\n",
        w->out);
}

static void mark_input(kp_ref r, bool *read) {
  if (r.space == KP_INPUT)
    read[r.input] = true;
}

/* Marks the per-step inputs entry en reads; returns how many. */
static int inputs_read(const kp_program *kp, const kp_entry *en, bool *read) {
  for (int i = 0; i < en->ninstr; i++) {
    const kp_instr *in = &en->instr[i];
    if (in->kind == KP_LOOP) {
      for (int k = 0; k < in->u.loop.nin; k++)
        mark_input(in->u.loop.in[k].ref, read);
    } else if (in->kind == KP_CALL) {
      for (int k = 0; k < in->u.call.nargs; k++)
        if (in->u.call.args[k].kind == KP_A_PTR)
          mark_input(in->u.call.args[k].ref, read);
    } else if (in->kind == KP_COPY) {
      mark_input(in->u.copy.src, read);
    } else if (in->kind == KP_IF && in->u.cond.cond.kind == KP_S_LOAD) {
      mark_input(in->u.cond.cond.ref, read);
    }
  }
  int n = 0;
  for (int i = 0; i < kp->ninputs; i++)
    n += read[i];
  return n;
}

/* The arrays an entry's table row points to. */
static void emit_entry_arrays(const cw *w, const kp_entry *en, const char *fname) {
  const kp_program *kp = w->kp;
  bool *read = calloc((size_t)kp->ninputs + 1, sizeof *read);
  if (!read)
    abort();
  if (inputs_read(kp, en, read)) {
    fprintf(w->out, "static const int %s_inputs[] = {", fname);
    for (int i = 0, n = 0; i < kp->ninputs; i++)
      if (read[i])
        fprintf(w->out, "%s%d", n++ ? ", " : "", i);
    fputs("};\n", w->out);
  }
  free(read);
  if (en->noutputs) {
    fprintf(w->out, "static const char *const %s_outputs[] = {", fname);
    for (int i = 0; i < en->noutputs; i++)
      fprintf(w->out, "%s\"%s\"", i ? ", " : "", en->outputs[i]);
    fputs("};\n", w->out);
  }
}

static void emit_entry_row(const cw *w, const kp_entry *en, const char *fname) {
  bool *read = calloc((size_t)w->kp->ninputs + 1, sizeof *read);
  if (!read)
    abort();
  int nread = inputs_read(w->kp, en, read);
  free(read);
  char scores[200] = "NULL";
  kp_scores sc = {0};
  if (!en->phase[0] && kp_entry_scores(en, &sc)) /* training entries: no scores part */
    snprintf(scores, sizeof scores, "%s_scores", fname);
  fprintf(w->out, "    {\"%s\", %s, %s, %ld, %ld, %ld,\n     %d, %s%s, %d, %s%s},\n", en->name,
          fname, scores, sc.off, sc.rows, sc.classes, nread, nread ? fname : "NULL",
          nread ? "_inputs" : "", en->noutputs, en->noutputs ? fname : "NULL",
          en->noutputs ? "_outputs" : "");
}

static void emit_tables(const cw *w) {
  const kp_program *kp = w->kp;
  char sh[200];
  fputs("/* ---- tables ------------------------------------------------------------\n"
        " * (one element longer than their count, so that none is empty) */\n\n"
        "static const kp_tensor_info kp_tensors[KP_NTENSORS + 1] = {\n",
        w->out);
  for (int i = 0; i < kp->ntensors; i++) {
    const kp_tensor *t = &kp->tensors[i];
    shape_text(t->rank, t->shape, "{}", sh, sizeof sh);
    fprintf(w->out, "    {\"%s\", %d, %d, %s, %ld, %s},\n", t->name, t->is_param, t->rank, sh,
            t->count, w->macro[i]);
  }
  fputs("};\n\nstatic const kp_input_info kp_inputs[KP_NINPUTS + 1] = {\n", w->out);
  for (int i = 0; i < kp->ninputs; i++) {
    const kp_input *in = &kp->inputs[i];
    long n = 1;
    for (int d = 0; d < in->rank; d++)
      n *= in->shape[d];
    shape_text(in->rank, in->shape, "{}", sh, sizeof sh);
    fprintf(w->out, "    {\"%s\", %d, %d, %s, %ld},\n", in->name, in->dtype == KP_I32, in->rank, sh,
            n * (long)kp_dtype_size(in->dtype));
  }
  fputs("};\n\nstatic const char *const kp_scalar_names[KP_NSCALARS + 1] = {", w->out);
  for (int i = 0; i < kp->nscalars; i++)
    fprintf(w->out, "%s\"%s\"", i ? ", " : "", kp->scalars[i]);
  fputs("};\n\n", w->out);
  char fname[160];
  for (int e = 0; e < kp->nentries; e++) {
    ident(kp->entries[e].name, fname, sizeof fname);
    emit_entry_arrays(w, &kp->entries[e], fname);
  }
  fputs("\nstatic const kp_entry_info kp_entries[KP_NENTRIES] = {\n", w->out);
  for (int e = 0; e < kp->nentries; e++) {
    ident(kp->entries[e].name, fname, sizeof fname);
    emit_entry_row(w, &kp->entries[e], fname);
  }
  fputs("};\n\n", w->out);
}

int cg_c_emit(const kp_program *kp, FILE *out, char *err, size_t errlen) {
  cw w = {kp,
          out,
          kp->real == KP_F64,
          kp->real == KP_F64 ? "double" : "float",
          kp->real == KP_F64 ? "_f64" : "_f32",
          NULL};
  name_tensors(&w);
  fputs("#include <math.h>\n#include <stdint.h>\n#include <string.h>\n\n"
        "#include \"kp_math.h\"\n#include \"rt_kernels.h\"\n\n"
        "/* No contraction of a * b + c into fused multiply-adds: the results\n"
        " * must be those of the separate operations (see kp_math.h). GCC in ISO\n"
        " * C mode does not contract; clang is told here. */\n"
        "#ifdef __clang__\n#pragma STDC FP_CONTRACT OFF\n#endif\n\n"
        "#define KP_LANES 8 /* accumulators of an innermost reduction */\n\n",
        out);
  emit_layout(&w);
  emit_types(&w);
  for (int e = 0; e < kp->nentries; e++)
    emit_entry(&w, e);
  emit_tables(&w);
  for (int i = 0; i < kp->ntensors; i++)
    free(w.macro[i]);
  free(w.macro);
  if (ferror(out)) {
    snprintf(err, errlen, "writing the C program failed");
    return -1;
  }
  return 0;
}
