/*
 * ir_program.c - IR programs: declarations of persistent tensors, per-step
 * inputs and scalar inputs, entry-point graphs with their outputs and
 * assignments, and the generated "init" entry point.
 */
#include "ir.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Ensures room for n + 1 elements in a malloc-owned array. */
static void grow(void **arr, int *cap, int n, size_t elem) {
  if (n < *cap)
    return;
  int nc = *cap ? *cap * 2 : 8;
  void *a = realloc(*arr, (size_t)nc * elem);
  if (!a)
    abort();
  *arr = a;
  *cap = nc;
}

static int perr(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, IR_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

ir_program *ir_program_new(ir_dtype real) {
  if (real != IR_F32 && real != IR_F64)
    return NULL;
  ir_program *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->real = real;
  p->pool = ir_pool_new();
  return p;
}

void ir_program_free(ir_program *p) {
  if (!p)
    return;
  for (int i = 0; i < p->nentries; i++) {
    ir_graph *g = p->entries[i];
    free(g->nodes);
    free(g->outputs);
    free(g->assigns);
    free(g->regions);
    free(g);
  }
  free(p->entries);
  free(p->tensors);
  free(p->inputs);
  free(p->scalars);
  ir_pool_free(p->pool);
  free(p);
}

int ir_find_tensor(const ir_program *p, const char *name) {
  for (int i = 0; i < p->ntensors; i++)
    if (!strcmp(p->tensors[i].name, name))
      return i;
  return -1;
}

int ir_find_input(const ir_program *p, const char *name) {
  for (int i = 0; i < p->ninputs; i++)
    if (!strcmp(p->inputs[i].name, name))
      return i;
  return -1;
}

int ir_find_scalar(const ir_program *p, const char *name) {
  for (int i = 0; i < p->nscalars; i++)
    if (!strcmp(p->scalars[i], name))
      return i;
  return -1;
}

ir_graph *ir_find_entry(const ir_program *p, const char *name) {
  for (int i = 0; i < p->nentries; i++)
    if (!strcmp(p->entries[i]->name, name))
      return p->entries[i];
  return NULL;
}

static int check_name(ir_program *p, const char *name) {
  if (!name || !*name)
    return perr(p->err, "empty name");
  if (ir_find_tensor(p, name) >= 0 || ir_find_input(p, name) >= 0 || ir_find_scalar(p, name) >= 0)
    return perr(p->err, "'%s' is declared twice", name);
  return 0;
}

static int check_shape(ir_program *p, const char *name, int rank, const long *shape) {
  if (rank < 0 || rank > IR_MAX_RANK)
    return perr(p->err, "'%s': rank %d exceeds the maximum %d", name, rank, IR_MAX_RANK);
  for (int i = 0; i < rank; i++)
    if (shape[i] < 1)
      return perr(p->err, "'%s': dimension %d is %ld (must be >= 1)", name, i, shape[i]);
  return 0;
}

static int add_tensor(ir_program *p, const char *name, ir_tensor_kind kind, int rank,
                      const long *shape, ir_init init) {
  if (check_name(p, name) < 0 || check_shape(p, name, rank, shape) < 0)
    return -1;
  ir_shape s = ir_shape_of(rank, shape); /* shape may point into p->tensors */
  grow((void **)&p->tensors, &p->ncap_t, p->ntensors, sizeof *p->tensors);
  ir_tensor_decl *t = &p->tensors[p->ntensors];
  t->name = ir_pool_strdup(p->pool, name);
  t->kind = kind;
  t->shape = s;
  t->init = init;
  t->elsewhere = 0;
  return p->ntensors++;
}

int ir_param(ir_program *p, const char *name, int rank, const long *shape, ir_init init) {
  return add_tensor(p, name, IR_PARAM, rank, shape, init);
}

int ir_state(ir_program *p, const char *name, int rank, const long *shape, ir_init init) {
  return add_tensor(p, name, IR_STATE, rank, shape, init);
}

int ir_grad(ir_program *p, const char *name, int rank, const long *shape) {
  return add_tensor(p, name, IR_GRAD, rank, shape, (ir_init){IR_INIT_ZEROS, 0, 0, 0});
}

void ir_keep_elsewhere(ir_program *p, int t) {
  p->tensors[t].elsewhere = 1;
  for (int e = 0; e < p->nentries; e++) {
    ir_graph *g = p->entries[e];
    int kept = 0;
    for (int i = 0; i < g->nassigns; i++)
      if (g->assigns[i].tensor != t)
        g->assigns[kept++] = g->assigns[i];
    g->nassigns = kept;
  }
}

int ir_input(ir_program *p, const char *name, ir_dtype dtype, int rank, const long *shape) {
  if (check_name(p, name) < 0 || check_shape(p, name, rank, shape) < 0)
    return -1;
  if (dtype != p->real && dtype != IR_I32)
    return perr(p->err, "'%s': input dtype must be %s or i32", name, ir_dtype_name(p->real));
  ir_shape s = ir_shape_of(rank, shape); /* shape may point into p->inputs */
  grow((void **)&p->inputs, &p->ncap_i, p->ninputs, sizeof *p->inputs);
  ir_input_decl *d = &p->inputs[p->ninputs];
  d->name = ir_pool_strdup(p->pool, name);
  d->dtype = dtype;
  d->shape = s;
  return p->ninputs++;
}

int ir_scalar(ir_program *p, const char *name) {
  if (check_name(p, name) < 0)
    return -1;
  grow((void **)&p->scalars, &p->ncap_s, p->nscalars, sizeof *p->scalars);
  p->scalars[p->nscalars] = ir_pool_strdup(p->pool, name);
  return p->nscalars++;
}

ir_graph *ir_entry(ir_program *p, const char *name) {
  if (!name || !*name || ir_find_entry(p, name)) {
    perr(p->err, "entry point '%s' is declared twice", name ? name : "");
    return NULL;
  }
  ir_graph *g = calloc(1, sizeof *g);
  if (!g)
    abort();
  g->prog = p;
  g->name = ir_pool_strdup(p->pool, name);
  grow((void **)&p->entries, &p->ncap_e, p->nentries, sizeof *p->entries);
  p->entries[p->nentries++] = g;
  return g;
}

int ir_output_add(ir_graph *g, const char *name, ir_node *node) {
  if (!node)
    return -1;
  char sb[96];
  if (node->dtype != g->prog->real || node->shape.rank != 0)
    return perr(g->err, "output '%s' must be a real scalar, got %s %s", name,
                ir_dtype_name(node->dtype), ir_shape_str(&node->shape, sb, sizeof sb));
  for (int i = 0; i < g->noutputs; i++)
    if (!strcmp(g->outputs[i].name, name))
      return perr(g->err, "output '%s' is declared twice", name);
  grow((void **)&g->outputs, &g->ncap_out, g->noutputs, sizeof *g->outputs);
  g->outputs[g->noutputs].name = ir_pool_strdup(g->prog->pool, name);
  g->outputs[g->noutputs++].node = node;
  return 0;
}

int ir_assign_add(ir_graph *g, int tensor, ir_node *node) {
  if (!node)
    return -1;
  const ir_program *p = g->prog;
  if (tensor < 0 || tensor >= p->ntensors)
    return perr(g->err, "assignment to an undeclared tensor %d", tensor);
  const ir_tensor_decl *t = &p->tensors[tensor];
  char s1[96], s2[96];
  if (node->dtype != p->real || !ir_shape_eq(&node->shape, &t->shape))
    return perr(g->err, "assignment to '%s' %s from a value of shape %s", t->name,
                ir_shape_str(&t->shape, s1, sizeof s1), ir_shape_str(&node->shape, s2, sizeof s2));
  for (int i = 0; i < g->nassigns; i++)
    if (g->assigns[i].tensor == tensor)
      return perr(g->err, "'%s' is assigned twice in '%s'", t->name, g->name);
  grow((void **)&g->assigns, &g->ncap_asg, g->nassigns, sizeof *g->assigns);
  g->assigns[g->nassigns].tensor = tensor;
  g->assigns[g->nassigns++].node = node;
  return 0;
}

void ir_set_loc(ir_graph *g, ir_loc loc) {
  loc.path = ir_pool_strdup(g->prog->pool, loc.path);
  loc.file = ir_pool_strdup(g->prog->pool, loc.file);
  g->loc = loc;
}

const char *ir_error(const ir_graph *g) { return g->err; }

/* Guarded regions (ir.h): a stack of open regions through their parents. */
int ir_region_begin(ir_graph *g, ir_node *cond, int negate) {
  if (!cond)
    return -1;
  if (cond->id >= g->nnodes || g->nodes[cond->id] != cond || cond->dtype != g->prog->real ||
      ir_numel(&cond->shape) != 1 || !ir_region_within(g, g->region, cond->region))
    return perr(g->err, "the condition of a region is one real value of its entry");
  grow((void **)&g->regions, &g->ncap_reg, g->nregions, sizeof *g->regions);
  g->regions[g->nregions++] = (ir_region){cond, negate != 0, g->region};
  return g->region = g->nregions;
}

void ir_region_end(ir_graph *g) {
  if (g->region)
    g->region = g->regions[g->region - 1].parent;
}

const ir_region *ir_region_of(const ir_graph *g, int r) { return &g->regions[r - 1]; }

int ir_region_within(const ir_graph *g, int r, int outer) {
  while (r != outer && r)
    r = g->regions[r - 1].parent;
  return r == outer;
}

/* Orthogonal init: generate [batch.., m, n] and permute into the layout. */
static ir_node *init_orthogonal(ir_graph *g, ir_node *seed, int ti, int stream) {
  const ir_tensor_decl *t = &g->prog->tensors[ti];
  int order[IR_MAX_RANK], n = 0, nmat = 0;
  for (int i = 0; i < t->shape.rank; i++)
    if (t->init.batch_axes >> i & 1)
      order[n++] = i;
  for (int i = 0; i < t->shape.rank; i++)
    if (!(t->init.batch_axes >> i & 1)) {
      order[n++] = i;
      nmat++;
    }
  if (nmat != 2 || t->init.batch_axes >> t->shape.rank) {
    perr(g->err, "'%s': orthogonal init needs exactly two matrix axes", t->name);
    return NULL;
  }
  ir_attr a = {0};
  a.value = t->init.a;
  a.index = stream;
  a.target.rank = t->shape.rank;
  int perm[IR_MAX_RANK], identity = 1;
  for (int j = 0; j < n; j++) {
    a.target.d[j] = t->shape.d[order[j]];
    perm[order[j]] = j;
    identity &= order[j] == j;
  }
  ir_node *x = ir_node_new(g, IR_RAND_ORTHOGONAL, 1, &seed, &a);
  return identity ? x : ir_permute(g, x, perm);
}

/* The scalar "seed" in g: its first reference there, or a new one. */
static ir_node *seed_ref(ir_graph *g) {
  int si = ir_find_scalar(g->prog, "seed");
  if (si < 0 && (si = ir_scalar(g->prog, "seed")) < 0) {
    perr(g->err, "%s", g->prog->err);
    return NULL;
  }
  for (int i = 0; i < g->nnodes; i++)
    if (g->nodes[i]->op == IR_SCALAR && g->nodes[i]->attr.index == si)
      return g->nodes[i];
  return ir_scalar_ref(g, si);
}

/* The random stream of tensor ti: its index among the tensors that are not
 * gradients (which have no initial value). */
static int init_stream(const ir_program *p, int ti) {
  int stream = 0;
  for (int i = 0; i < ti; i++)
    stream += p->tensors[i].kind != IR_GRAD;
  return stream;
}

ir_node *ir_init_value(ir_graph *g, int ti) {
  const ir_tensor_decl *t = &g->prog->tensors[ti];
  ir_node *seed = seed_ref(g);
  if (!seed)
    return NULL;
  ir_attr a = {0};
  a.index = init_stream(g->prog, ti);
  a.target = t->shape;
  a.value = t->init.a;
  a.value2 = t->init.b;
  switch (t->init.kind) {
  case IR_INIT_ZEROS:
  case IR_INIT_ONES:
    return ir_broadcast_to(g, ir_const(g, t->init.kind == IR_INIT_ONES), t->shape.rank, t->shape.d);
  case IR_INIT_NORMAL:
    return ir_node_new(g, IR_RAND_NORMAL, 1, &seed, &a);
  case IR_INIT_UNIFORM:
    return ir_node_new(g, IR_RAND_UNIFORM, 1, &seed, &a);
  case IR_INIT_ORTHOGONAL:
    return init_orthogonal(g, seed, ti, init_stream(g->prog, ti));
  case IR_INIT_COMPUTED:
    break;
  }
  perr(g->err, "'%s' has a computed initial value that was never assigned", t->name);
  return NULL;
}

static int assigned(const ir_graph *g, int ti) {
  for (int i = 0; i < g->nassigns; i++)
    if (g->assigns[i].tensor == ti)
      return 1;
  return 0;
}

ir_graph *ir_build_init(ir_program *p) {
  ir_graph *g = ir_find_entry(p, "init");
  if (!g && !(g = ir_entry(p, "init")))
    return NULL;
  if (!seed_ref(g)) {
    perr(p->err, "init: %s", g->err);
    return NULL;
  }
  for (int i = 0; i < p->ntensors; i++) {
    if (p->tensors[i].kind == IR_GRAD || assigned(g, i))
      continue;
    ir_node *v = ir_init_value(g, i);
    if (!v || ir_assign_add(g, i, v) < 0) {
      perr(p->err, "init of '%s': %s", p->tensors[i].name, g->err);
      return NULL;
    }
  }
  return g;
}
