/* mtree.c: small helpers over the module tree (see mtree.h): names of node
 * kinds, parameter lookup, printing of constants and shapes, and the stable
 * textual dump used by golden tests. */
#include "mtree.h"

#include <assert.h>
#include <string.h>

const char *mt_kind_name(mt_kind k) {
  switch (k) {
  case MT_ATOM:
    return "atom";
  case MT_BOND:
    return "bond";
  case MT_SEQ:
    return "sequence";
  case MT_TUPLE:
    return "tuple";
  case MT_SUM:
    return "sum";
  case MT_SCALE:
    return "scale";
  case MT_IDENTITY:
    return "identity";
  }
  return "?";
}

const mt_value *mt_param(const mt_node *n, const char *name) {
  for (int i = 0; i < n->nparams; i++)
    if (strcmp(n->params[i].name, name) == 0)
      return &n->params[i].value;
  return NULL;
}

cnum mt_value_cnum(mt_value v) {
  assert(v.kind == MT_INT || v.kind == MT_FLOAT);
  return v.kind == MT_INT ? cnum_int(v.i) : cnum_float(v.f);
}

mt_value mt_value_of_cnum(cnum n) {
  return n.is_int ? (mt_value){.kind = MT_INT, .i = n.i} : (mt_value){.kind = MT_FLOAT, .f = n.f};
}

double mt_value_num(mt_value v) {
  return v.kind == MT_INT || v.kind == MT_FLOAT ? cnum_to_double(mt_value_cnum(v)) : 0.0;
}

void mt_value_print(FILE *out, mt_value v) {
  char buf[64];
  switch (v.kind) {
  case MT_INT:
  case MT_FLOAT:
    fputs(cnum_format(mt_value_cnum(v), buf, sizeof buf), out);
    break;
  case MT_BOOL:
    fputs(v.b ? "true" : "false", out);
    break;
  case MT_STRING:
    fprintf(out, "\"%s\"", v.s);
    break;
  case MT_INTS:
    fputc('[', out);
    for (int i = 0; i < v.ints.n; i++)
      fprintf(out, "%s%lld", i ? ", " : "", v.ints.v[i]);
    fputc(']', out);
    break;
  }
}

void mt_shape_print(FILE *out, const mt_weight *w) {
  fputc('[', out);
  for (int i = 0; i < w->rank; i++)
    fprintf(out, "%s%lld", i ? ", " : "", w->dims[i]);
  fputc(']', out);
}

static void dump_node(FILE *out, const mt_node *n, int depth) {
  fprintf(out, "%*s%s %s", 2 * depth, "", mt_kind_name(n->kind), n->path);
  if (n->kind == MT_ATOM || n->kind == MT_BOND) {
    fprintf(out, " %s(", n->decl->name);
    for (int i = 0; i < n->nparams; i++) {
      fprintf(out, "%s%s=", i ? ", " : "", n->params[i].name);
      mt_value_print(out, n->params[i].value);
    }
    fputc(')', out);
  }
  if (n->kind == MT_SCALE)
    fprintf(out, " factor=%.6g", n->factor);
  fprintf(out, " mass=%.6g sens=%.6g share=%.6g\n", n->mass, n->sens, n->share);
  for (int i = 0; i < n->nweights; i++) {
    fprintf(out, "%*sweight %s ", 2 * depth + 2, "", n->weights[i].path);
    mt_shape_print(out, &n->weights[i]);
    if (n->weights[i].tied_to)
      fprintf(out, " tied to %s", n->weights[i].tied_to->path);
    fputc('\n', out);
  }
  for (int i = 0; i < n->nchildren; i++)
    dump_node(out, n->children[i], depth + 1);
}

void mt_dump(FILE *out, const mt_node *root) { dump_node(out, root, 0); }
