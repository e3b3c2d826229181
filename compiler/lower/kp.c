/*
 * kp.c - kernel program utilities: lookup, release, evaluation of derived
 * scalars, the class scores of evaluation entries (and entries that stop at
 * them), and a readable dump of the instructions and the arena plan.
 */
#include "kp.h"
#include "ir.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_math.h"

void kp_free(kp_program *kp) {
  if (!kp)
    return;
  ir_pool_free(kp->pool);
  free(kp);
}

int kp_find_entry(const kp_program *kp, const char *name) {
  for (int i = 0; i < kp->nentries; i++)
    if (!strcmp(kp->entries[i].name, name))
      return i;
  return -1;
}

int kp_find_tensor(const kp_program *kp, const char *name) {
  for (int i = 0; i < kp->ntensors; i++)
    if (!strcmp(kp->tensors[i].name, name))
      return i;
  return -1;
}

size_t kp_dtype_size(kp_dtype t) { return t == KP_F64 ? 8 : 4; }

/* Bytes from an access's first element to the end of its last. */
static long extent(const kp_loop *l, const kp_access *a) {
  long last = 0;
  for (int d = 0; d < l->rank; d++)
    last += a->stride[d] * (l->shape[d] - 1);
  return (last + 1) * (long)kp_dtype_size(a->dtype);
}

int kp_access_overlap(const kp_loop *l, const kp_access *a, const kp_access *b) {
  if (a->ref.space != b->ref.space || (a->ref.space == KP_INPUT && a->ref.input != b->ref.input))
    return 0;
  return a->ref.off < b->ref.off + extent(l, b) && b->ref.off < a->ref.off + extent(l, a);
}

int kp_access_same(const kp_loop *l, const kp_access *a, const kp_access *b) {
  if (a->ref.space != b->ref.space || a->ref.input != b->ref.input || a->ref.off != b->ref.off ||
      a->dtype != b->dtype)
    return 0;
  for (int d = 0; d < l->rank; d++)
    if (a->stride[d] != b->stride[d])
      return 0;
  return 1;
}

int kp_loop_same_output(const kp_loop *l, int k) {
  for (int j = 0; j < l->nout; j++)
    if (kp_access_same(l, &l->out[j], &l->in[k]))
      return j;
  return -1;
}

int kp_loop_input_shared(const kp_loop *l, int k) {
  for (int j = 0; j < l->nout; j++)
    if (kp_access_overlap(l, &l->out[j], &l->in[k]) && !kp_access_same(l, &l->out[j], &l->in[k]))
      return 1;
  return 0;
}

int kp_loop_output_shared(const kp_loop *l, int j) {
  for (int k = 0; k < l->nin; k++)
    if (kp_access_overlap(l, &l->out[j], &l->in[k]) && !kp_access_same(l, &l->out[j], &l->in[k]))
      return 1;
  for (int o = 0; o < l->nout; o++)
    if (o != j && kp_access_overlap(l, &l->out[j], &l->out[o]))
      return 1;
  return 0;
}

int kp_entry_scores(const kp_entry *en, kp_scores *s) {
  for (int i = 0; i < en->ninstr; i++) {
    const kp_instr *in = &en->instr[i];
    if (in->kind != KP_CALL)
      continue;
    const kp_call *c = &in->u.call;
    int reads_scores =
        !strncmp(c->fn, "rt_count_correct_", 17) || !strncmp(c->fn, "rt_softmax_xent_fwd_", 20);
    if (reads_scores && c->nargs >= 4 && c->args[0].kind == KP_A_PTR &&
        c->args[0].ref.space == KP_ARENA) {
      *s = (kp_scores){i, c->args[0].ref.off, c->args[c->nargs - 2].ival,
                       c->args[c->nargs - 1].ival};
      return 1;
    }
  }
  return 0;
}

void kp_add_scores_entries(kp_program *kp) {
  int n = kp->nentries;
  kp_entry *all = ir_pool_alloc(kp->pool, sizeof *all * (size_t)(2 * n));
  memcpy(all, kp->entries, sizeof *all * (size_t)n);
  for (int e = 0; e < n; e++) {
    kp_scores s;
    if (!kp_entry_scores(&kp->entries[e], &s))
      continue;
    kp_entry *x = &all[kp->nentries++];
    *x = kp->entries[e];
    size_t len = strlen(x->name) + sizeof "_scores";
    char *name = ir_pool_alloc(kp->pool, len);
    snprintf(name, len, "%s_scores", kp->entries[e].name);
    x->name = name;
    x->ninstr = s.split;
    x->noutputs = 0;
    x->phase[0] = x->phase[1] = 0;
  }
  kp->entries = all;
}

const char *kp_eop_name(kp_eop op) {
  static const char *names[] = {
      "load", "const", "scalar", "neg",   "exp", "log", "sqrt", "rsqrt", "tanh",  "sigmoid", "abs",
      "sign", "relu",  "square", "recip", "sin", "cos", "add",  "sub",   "mul",   "div",     "max",
      "min",  "pow",   "lt",     "le",    "gt",  "ge",  "eq",   "ne",    "select"};
  return names[op];
}

/* The same operations as the C back end's loop expressions (cg_c.c) for a
 * double program. */
double kp_op_f64(kp_eop op, double a, double b, double c) {
  switch (op) {
  case KP_E_NEG:
    return -a;
  case KP_E_EXP:
    return kp_exp_f64(a);
  case KP_E_LOG:
    return kp_log_f64(a);
  case KP_E_SQRT:
    return sqrt(a);
  case KP_E_RSQRT:
    return kp_rsqrt_f64(a);
  case KP_E_TANH:
    return kp_tanh_f64(a);
  case KP_E_SIGMOID:
    return kp_sigmoid_f64(a);
  case KP_E_ABS:
    return fabs(a);
  case KP_E_SIGN:
    return kp_sign_f64(a);
  case KP_E_RELU:
    return kp_relu_f64(a);
  case KP_E_SQUARE:
    return a * a;
  case KP_E_RECIP:
    return 1.0 / a;
  case KP_E_SIN:
    return kp_sin_f64(a);
  case KP_E_COS:
    return kp_cos_f64(a);
  case KP_E_ADD:
    return a + b;
  case KP_E_SUB:
    return a - b;
  case KP_E_MUL:
    return a * b;
  case KP_E_DIV:
    return a / b;
  case KP_E_MAX:
    return kp_max_f64(a, b);
  case KP_E_MIN:
    return kp_min_f64(a, b);
  case KP_E_POW:
    return kp_pow_f64(a, b);
  case KP_E_LT:
    return (double)(a < b);
  case KP_E_LE:
    return (double)(a <= b);
  case KP_E_GT:
    return (double)(a > b);
  case KP_E_GE:
    return (double)(a >= b);
  case KP_E_EQ:
    return (double)(a == b);
  case KP_E_NE:
    return (double)(a != b);
  case KP_E_SELECT:
    return a != 0 ? b : c;
  default:
    assert(0);
    return NAN;
  }
}

void kp_derive_scalars(const kp_entry *e, int nscalars, double *scalars) {
  for (int i = 0; i < e->nderived; i++) {
    const kp_derived *d = &e->derived[i];
    double v[3] = {0, 0, 0};
    for (int k = 0; k < d->nargs; k++) {
      assert(d->arg[k].kind == KP_S_IMM || d->arg[k].index < nscalars + i);
      v[k] = d->arg[k].kind == KP_S_IMM ? d->arg[k].imm : scalars[d->arg[k].index];
    }
    scalars[nscalars + i] = kp_op_f64(d->op, v[0], v[1], v[2]);
  }
}

static const char *dtype_name(kp_dtype t) {
  return t == KP_F32 ? "f32" : t == KP_F64 ? "f64" : "i32";
}

static void ref(FILE *out, kp_ref r) {
  if (r.space == KP_ARENA)
    fprintf(out, "A+%ld", r.off);
  else
    fprintf(out, "I%d+%ld", r.input, r.off);
}

static void scalar(FILE *out, const kp_scalar *s) {
  switch (s->kind) {
  case KP_S_IMM:
    fprintf(out, "%.9g", s->imm);
    break;
  case KP_S_INPUT:
    fprintf(out, "s%d", s->index);
    break;
  case KP_S_LOAD:
    fputc('*', out);
    ref(out, s->ref);
    break;
  }
}

static void access(FILE *out, const kp_access *a, int rank) {
  ref(out, a->ref);
  fputc('[', out);
  for (int d = 0; d < rank; d++)
    fprintf(out, d ? ",%ld" : "%ld", a->stride[d]);
  fputc(']', out);
}

static void loop(FILE *out, const kp_loop *l) {
  static const char *red[] = {"map", "sum", "max"};
  fprintf(out, "loop %s %s (", red[l->reduce], dtype_name(l->dtype));
  for (int d = 0; d < l->rank; d++)
    fprintf(out, d ? ",%ld" : "%ld", l->shape[d]);
  fputc(')', out);
  for (int k = 0; k < l->nout; k++) {
    fputs(" out ", out);
    access(out, &l->out[k], l->rank);
    if (l->nout > 1)
      fprintf(out, "=e%d", l->out_expr[k]);
  }
  for (int i = 0; i < l->nin; i++) {
    fprintf(out, " in%d ", i);
    access(out, &l->in[i], l->rank);
  }
  fputs(" :", out);
  for (int i = 0; i < l->nexpr; i++) {
    const kp_expr *e = &l->expr[i];
    fprintf(out, " e%d=%s", i, kp_eop_name(e->op));
    if (e->op == KP_E_LOAD || e->op == KP_E_SCALAR)
      fprintf(out, "(%d)", e->a);
    else if (e->op == KP_E_CONST)
      fprintf(out, "(%.9g)", e->imm);
    else if (e->op == KP_E_SELECT)
      fprintf(out, "(e%d,e%d,e%d)", e->a, e->b, e->c);
    else if (e->op >= KP_E_ADD)
      fprintf(out, "(e%d,e%d)", e->a, e->b);
    else
      fprintf(out, "(e%d)", e->a);
  }
}

static void call(FILE *out, const kp_call *c) {
  fprintf(out, "call %s(", c->fn);
  for (int i = 0; i < c->nargs; i++) {
    const kp_arg *a = &c->args[i];
    if (i)
      fputs(", ", out);
    switch (a->kind) {
    case KP_A_PTR:
      ref(out, a->ref);
      break;
    case KP_A_INT:
    case KP_A_LONG:
    case KP_A_SIZE:
      fprintf(out, "%ld", a->ival);
      break;
    case KP_A_REAL:
      scalar(out, &a->val);
      break;
    case KP_A_U64:
      fputs("u64 ", out);
      scalar(out, &a->val);
      break;
    }
  }
  fputc(')', out);
  if (c->has_ret) {
    fputs(" -> ", out);
    ref(out, c->ret);
  }
}

void kp_dump(const kp_program *kp, FILE *out) {
  fprintf(out, "kernel program %s: arena %ld bytes, persistent %ld\n", dtype_name(kp->real),
          kp->arena_bytes, kp->persistent_bytes);
  for (int i = 0; i < kp->ntensors; i++)
    fprintf(out, "  %s %s %ld @ %ld\n", kp->tensors[i].is_param ? "param" : "state",
            kp->tensors[i].name, kp->tensors[i].count, kp->tensors[i].off);
  for (int e = 0; e < kp->nentries; e++) {
    const kp_entry *en = &kp->entries[e];
    fprintf(out, "entry %s: %d instructions, temporaries %ld bytes\n", en->name, en->ninstr,
            en->temp_bytes);
    for (int i = 0; i < en->nderived; i++) {
      const kp_derived *d = &en->derived[i];
      fprintf(out, "  s%d = %s(", kp->nscalars + i, kp_eop_name(d->op));
      for (int k = 0; k < d->nargs; k++) {
        fputs(k ? ", " : "", out);
        scalar(out, &d->arg[k]);
      }
      fputs(") in double\n", out);
    }
    for (int i = 0, depth = 0; i < en->ninstr; i++) {
      const kp_instr *in = &en->instr[i];
      depth -= in->kind == KP_END;
      fprintf(out, "  %3d: %*s", i, 2 * depth, "");
      switch (in->kind) {
      case KP_LOOP:
        loop(out, &in->u.loop);
        break;
      case KP_CALL:
        call(out, &in->u.call);
        break;
      case KP_COPY:
        fputs("copy ", out);
        ref(out, in->u.copy.dst);
        fputs(" <- ", out);
        ref(out, in->u.copy.src);
        fprintf(out, " %ld bytes", in->u.copy.bytes);
        break;
      case KP_OUTPUT:
        fprintf(out, "output %s = ", en->outputs[in->u.out.index]);
        scalar(out, &in->u.out.value);
        break;
      case KP_IF:
        fputs(in->u.cond.negate ? "unless " : "if ", out);
        scalar(out, &in->u.cond.cond);
        depth++;
        break;
      case KP_END:
        fputs("end", out);
        break;
      }
      if (in->what)
        fprintf(out, "   ; %s", in->what);
      fputc('\n', out);
    }
  }
}
