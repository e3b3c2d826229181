/*
 * ir_dump.c - stable textual form of IR programs and graphs, for golden
 * tests and debugging: one line per declaration and per node, with the
 * attributes the operation registry names.
 */
#include "ir.h"

#include "ops.h"

static void shape(FILE *out, const ir_shape *s) {
  char b[96];
  fputs(ir_shape_str(s, b, sizeof b), out);
}

/* Attributes as the registry names them (or its dump hook prints them). */
static void attrs(FILE *out, const ir_program *p, const ir_node *n) {
  const op_def *d = ops_def(n->op);
  if (d->dump) {
    d->dump(out, p, n);
    return;
  }
  for (int i = 0; i < OPS_MAX_ATTRS && d->attrs[i].name; i++) {
    const ops_attr *at = &d->attrs[i];
    double v = ops_attr_value(&n->attr, at->field);
    switch (at->field) {
    case OPS_F_VALUE:
    case OPS_F_VALUE2:
      fprintf(out, " %s=%.9g", at->name, v);
      break;
    case OPS_F_SCHEDULE:
      fprintf(out, " %s=%s", at->name, ops_ns_schedule_name((int)v));
      break;
    case OPS_F_PRECISION:
      fprintf(out, " %s=%s", at->name, ops_ns_precision_name((int)v));
      break;
    case OPS_F_FLAG_A:
    case OPS_F_FLAG_B:
      if (v != 0)
        fprintf(out, " %s", at->name);
      break;
    default:
      fprintf(out, " %s=%ld", at->name, (long)v);
      break;
    }
  }
}

/* Guarded regions as blocks: `region R: if %C {` (`unless` when negated)
 * ... `}`, indented by depth. Leaves belong to no region but are printed
 * where they are built, inside the open blocks. */
typedef struct blocks {
  int open[64]; /* the open regions, outermost first */
  int n;
} blocks;

static void indent(FILE *out, int depth) { fprintf(out, "%*s", 2 * depth + 2, ""); }

static void enter(const ir_graph *g, FILE *out, blocks *b, int r) {
  while (b->n && !ir_region_within(g, r, b->open[b->n - 1])) {
    b->n--;
    indent(out, b->n);
    fputs("}\n", out);
  }
  int path[64], np = 0;
  for (int q = r; q && (!b->n || q != b->open[b->n - 1]) && np < 64; q = ir_region_of(g, q)->parent)
    path[np++] = q;
  while (np-- && b->n < 64) {
    const ir_region *rg = ir_region_of(g, path[np]);
    indent(out, b->n);
    fprintf(out, "region %d: %s %%%d {\n", path[np], rg->negate ? "unless" : "if", rg->cond->id);
    b->open[b->n++] = path[np];
  }
}

void ir_dump_graph(const ir_graph *g, FILE *out) {
  fprintf(out, "entry %s\n", g->name);
  blocks b = {.n = 0};
  for (int i = 0; i < g->nnodes; i++) {
    const ir_node *n = g->nodes[i];
    if (ir_op_kind(n->op) != IR_K_LEAF)
      enter(g, out, &b, n->region);
    indent(out, b.n);
    fprintf(out, "%%%d = %s", i, ir_op_name(n->op));
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
  enter(g, out, &b, 0);
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
  case IR_INIT_COMPUTED:
    fputs("computed", out);
    break;
  }
}

void ir_dump(const ir_program *p, FILE *out) {
  fprintf(out, "program %s\n", ir_dtype_name(p->real));
  for (int i = 0; i < p->ntensors; i++) {
    const ir_tensor_decl *t = &p->tensors[i];
    fprintf(out, "  %s %s ",
            t->kind == IR_PARAM   ? "param"
            : t->kind == IR_STATE ? "state"
                                  : "grad",
            t->name);
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
