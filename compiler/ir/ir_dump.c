/*
 * ir_dump.c - stable textual form of IR programs and graphs, for golden
 * tests and debugging: one line per declaration and per node.
 */
#include "ir.h"

static void shape(FILE *out, const ir_shape *s) {
  char b[96];
  fputs(ir_shape_str(s, b, sizeof b), out);
}

static void axes(FILE *out, const char *name, unsigned mask, int rank) {
  fprintf(out, " %s=(", name);
  const char *sep = "";
  for (int i = 0; i < rank; i++)
    if (mask >> i & 1) {
      fprintf(out, "%s%d", sep, i);
      sep = ",";
    }
  fputc(')', out);
}

/* Attributes, printed only for the operations that use them. */
static void attrs(FILE *out, const ir_program *p, const ir_node *n) {
  const ir_attr *a = &n->attr;
  switch (n->op) {
  case IR_CONST:
    fprintf(out, " %.9g", a->value);
    break;
  case IR_SCALAR:
    fprintf(out, " %s", p->scalars[a->index]);
    break;
  case IR_TENSOR:
    fprintf(out, " %s", p->tensors[a->index].name);
    break;
  case IR_INPUT:
    fprintf(out, " %s", p->inputs[a->index].name);
    break;
  case IR_RAND_NORMAL:
    fprintf(out, " std=%.9g stream=%d", a->value, a->index);
    break;
  case IR_RAND_UNIFORM:
    fprintf(out, " lo=%.9g hi=%.9g stream=%d", a->value, a->value2, a->index);
    break;
  case IR_RAND_ORTHOGONAL:
    fprintf(out, " scale=%.9g stream=%d", a->value, a->index);
    break;
  case IR_SUM:
  case IR_RMAX:
    axes(out, "axes", a->axes, n->in[0]->shape.rank);
    if (a->keepdims)
      fputs(" keepdims", out);
    break;
  case IR_PERMUTE:
    fputs(" perm=(", out);
    for (int i = 0; i < n->shape.rank; i++)
      fprintf(out, i ? ",%d" : "%d", a->perm[i]);
    fputc(')', out);
    break;
  case IR_SLICE:
    fprintf(out, " axis=%d start=%ld len=%ld", a->axis, a->start, a->len);
    break;
  case IR_CONCAT:
    fprintf(out, " axis=%d", a->axis);
    break;
  case IR_MATMUL:
    if (a->trans_a)
      fputs(" trans_a", out);
    if (a->trans_b)
      fputs(" trans_b", out);
    break;
  case IR_CONV2D:
  case IR_CONV2D_BWD_DATA:
  case IR_CONV2D_BWD_WEIGHT:
    fprintf(out, " stride=%d pad=%d", a->stride, a->pad);
    break;
  case IR_MAXPOOL2D:
  case IR_MAXPOOL2D_BWD:
  case IR_AVGPOOL2D:
  case IR_AVGPOOL2D_BWD:
    fprintf(out, " k=%d stride=%d", a->k, a->stride);
    break;
  case IR_SOFTMAX:
  case IR_SOFTMAX_BWD:
  case IR_ATTENTION:
  case IR_ATTENTION_BWD:
    fprintf(out, " scale=%.9g", a->value);
    break;
  case IR_RMSNORM:
  case IR_LAYERNORM:
    fprintf(out, " eps=%.9g", a->value);
    break;
  case IR_ROPE:
  case IR_ROPE_BWD:
    fprintf(out, " base=%.9g", a->value);
    break;
  case IR_POLAR_NS:
    fprintf(out, " schedule=%d steps=%d eps=%.9g", a->schedule, a->steps, a->value);
    break;
  case IR_SPD_POW:
    fprintf(out, " p=%.9g eps=%.9g", a->value2, a->value);
    break;
  case IR_SPECTRAL_LANCZOS:
    fprintf(out, " steps=%d", a->steps);
    break;
  case IR_PART:
    fprintf(out, " %d", a->index);
    break;
  default:
    break;
  }
}

void ir_dump_graph(const ir_graph *g, FILE *out) {
  fprintf(out, "entry %s\n", g->name);
  for (int i = 0; i < g->nnodes; i++) {
    const ir_node *n = g->nodes[i];
    fprintf(out, "  %%%d = %s", i, ir_op_name(n->op));
    for (int j = 0; j < n->nin; j++)
      fprintf(out, "%s%%%d", j ? ", " : " ", n->in[j]->id);
    attrs(out, g->prog, n);
    fprintf(out, " : %s", ir_dtype_name(n->dtype));
    if (n->dtype != IR_VOID)
      shape(out, &n->shape);
    if (n->loc.path)
      fprintf(out, "  ; %s", n->loc.path);
    if (n->loc.file)
      fprintf(out, "%s%s:%d:%d", n->loc.path ? " " : "  ; ", n->loc.file, n->loc.line, n->loc.col);
    fputc('\n', out);
  }
  for (int i = 0; i < g->noutputs; i++)
    fprintf(out, "  output %s = %%%d\n", g->outputs[i].name, g->outputs[i].node->id);
  for (int i = 0; i < g->nassigns; i++)
    fprintf(out, "  assign %s = %%%d\n", g->prog->tensors[g->assigns[i].tensor].name,
            g->assigns[i].node->id);
}

static void init_spec(FILE *out, const ir_init *in) {
  switch (in->kind) {
  case IR_INIT_ZEROS:
    fputs("zeros", out);
    break;
  case IR_INIT_ONES:
    fputs("ones", out);
    break;
  case IR_INIT_NORMAL:
    fprintf(out, "normal(%.9g)", in->a);
    break;
  case IR_INIT_UNIFORM:
    fprintf(out, "uniform(%.9g, %.9g)", in->a, in->b);
    break;
  case IR_INIT_ORTHOGONAL:
    fprintf(out, "orthogonal(%.9g, batch=0x%x)", in->a, in->batch_axes);
    break;
  }
}

void ir_dump(const ir_program *p, FILE *out) {
  fprintf(out, "program %s\n", ir_dtype_name(p->real));
  for (int i = 0; i < p->ntensors; i++) {
    const ir_tensor_decl *t = &p->tensors[i];
    fprintf(out, "  %s %s ", t->kind == IR_PARAM ? "param" : "state", t->name);
    shape(out, &t->shape);
    fputs(" init ", out);
    init_spec(out, &t->init);
    fputc('\n', out);
  }
  for (int i = 0; i < p->ninputs; i++) {
    fprintf(out, "  input %s %s", p->inputs[i].name, ir_dtype_name(p->inputs[i].dtype));
    shape(out, &p->inputs[i].shape);
    fputc('\n', out);
  }
  for (int i = 0; i < p->nscalars; i++)
    fprintf(out, "  scalar %s\n", p->scalars[i]);
  for (int i = 0; i < p->nentries; i++)
    ir_dump_graph(p->entries[i], out);
}
