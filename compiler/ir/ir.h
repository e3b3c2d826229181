/*
 * ir.h - the graph IR of duet: programs, entry points, nodes, and the builder
 * API that creates nodes with shape inference.
 *
 * Data contract
 *  - An ir_program owns everything reachable from it: declarations (persistent
 *    tensors, per-step inputs, scalar inputs), entry-point graphs, nodes, node
 *    input arrays, names and source locations. All of it lives in the
 *    program's pool and is released by ir_program_free(); pointers returned by
 *    the builder stay valid until then. Strings passed in are copied.
 *  - A graph (entry point) is a list of nodes in creation order, which is a
 *    topological order: a node's inputs always precede it.
 *  - Every node has a static shape (rank <= IR_MAX_RANK, dims >= 1; rank 0 is
 *    a scalar) and a dtype: the program's real dtype (F32, or F64 for
 *    gradient checking) for all real values, I32 for index tensors (labels,
 *    tokens, argmax, topk's indices; they carry no derivative), VOID for
 *    tuple nodes (multi-output runtime operations whose results are the
 *    IR_PART nodes that directly follow them).
 *  - Nodes are values (no mutation). Persistent tensors are read through
 *    IR_TENSOR nodes, which always denote the value from before the entry
 *    point runs. An entry point writes persistent tensors only through its
 *    assignments, which take effect simultaneously when it finishes.
 *  - Builder functions return NULL on error and leave a message in the
 *    graph's error buffer (ir_error()); the message names the operation and
 *    the shapes, and the caller adds module path and source position. A NULL
 *    input makes a builder return NULL without touching the message, so a
 *    whole expression can be built and checked once.
 *  - The location set by ir_set_loc() is attached to every node created
 *    afterwards in that graph (autodiff attaches the location of the forward
 *    node it differentiates).
 */
#ifndef DUET_IR_H
#define DUET_IR_H

#include <stddef.h>
#include <stdio.h>

#define IR_MAX_RANK 6
#define IR_ERR_LEN  512

typedef enum { IR_F32, IR_F64, IR_I32, IR_VOID } ir_dtype;

typedef struct ir_shape {
  int rank;
  long d[IR_MAX_RANK];
} ir_shape;

/* Opaque source location: module path (e.g. "model[1].MLP[0].Linear.W") and span. */
typedef struct ir_loc {
  const char *path; /* NULL when unknown */
  const char *file; /* NULL when unknown */
  int line, col, end_line, end_col;
} ir_loc;

/* Operations: IR_<ID> for every OPS_OP(ID, ...) of the operation registry
 * (compiler/ops, one .def file per family), which declares each one's
 * operands, attributes, shape rule, gradient and lowering. */
typedef enum {
#define OPS_OP(id, ...) IR_##id,
#define OPS_BUILTIN(...)
#include "ops_all.def"
#undef OPS_OP
#undef OPS_BUILTIN
  IR_NUM_OPS
} ir_op;

/* Attributes; the registry names those each operation uses. */
typedef struct ir_attr {
  double value;
  double value2;
  int index;
  int axis;
  long start, len;
  int trans_a, trans_b;
  int k, stride, pad;
  int schedule, steps; /* schedule: rt_ns_schedule */
  int precision;       /* rt_ns_precision */
  unsigned axes;       /* bit i set: reduce axis i */
  int keepdims;
  int perm[IR_MAX_RANK];
  ir_shape target;
} ir_attr;

typedef struct ir_node {
  int id;     /* position in the graph's node list */
  int region; /* the guarded region it is evaluated in, 0: none */
  ir_op op;
  ir_dtype dtype;
  ir_shape shape;
  int nin;
  struct ir_node **in; /* pool-owned array of nin inputs */
  ir_attr attr;
  ir_loc loc;
} ir_node;

/* Persistent tensors: parameters and optimizer state. */
/* IR_GRAD: the gradient of a weight between the entries of a
 * data-parallel step (grad_step assigns it, apply_step reads it); not
 * persistent state and never initialized. */
typedef enum { IR_PARAM, IR_STATE, IR_GRAD } ir_tensor_kind;

typedef enum {
  IR_INIT_ZEROS,
  IR_INIT_ONES,
  IR_INIT_NORMAL,
  IR_INIT_UNIFORM,
  IR_INIT_ORTHOGONAL,
  IR_INIT_COMPUTED /* assigned in the entry "init" by the program's builder */
} ir_init_kind;

/* Initializer. NORMAL: mean 0, std a. UNIFORM: [a, b). ORTHOGONAL: scale a;
 * the axes in batch_axes (bitmask) index independent matrices, the two
 * remaining axes (in order) are the rows and columns of each matrix, e.g.
 * batch_axes = 0xC on a conv weight [o, c, kh, kw] gives one orthogonal
 * [o, c] matrix per tap. */
typedef struct ir_init {
  ir_init_kind kind;
  double a, b;
  unsigned batch_axes;
} ir_init;

typedef struct ir_tensor_decl {
  const char *name;
  ir_tensor_kind kind;
  ir_shape shape;
  ir_init init;
  int elsewhere; /* 1: IR_STATE kept by another rank of a data-parallel run
                    (ir_keep_elsewhere): no storage here */
} ir_tensor_decl;

typedef struct ir_input_decl {
  const char *name;
  ir_dtype dtype; /* the program's real dtype or IR_I32 */
  ir_shape shape;
} ir_input_decl;

typedef struct ir_output {
  const char *name;
  ir_node *node; /* rank 0 */
} ir_output;

typedef struct ir_assign {
  int tensor;    /* index into program tensors */
  ir_node *node; /* same shape as the tensor */
} ir_assign;

/* A guarded region: its nodes are evaluated only where `cond` (one real
 * element, nonzero as a select's condition: NaN counts as true) holds, or
 * where it does not (negate), and the enclosing region (parent, 0: none)
 * is evaluated. A node reads nodes of its own region and of the regions
 * around it; a value leaves a region only as an operand of a select on
 * the region's condition, outside it and in its parent: operand 1 of a
 * region, operand 2 of a negated one (the select is the merge, and its
 * other operand the value where the region is not evaluated). Leaves
 * (constants, tensors, inputs, scalars) belong to no region. Outputs and
 * assignments read nodes of no region. */
typedef struct ir_region {
  struct ir_node *cond;
  int negate;
  int parent;
} ir_region;

typedef struct ir_pool ir_pool;
typedef struct ir_program ir_program;

typedef struct ir_graph {
  ir_program *prog; /* owner */
  const char *name;
  int nnodes, cap;
  ir_node **nodes; /* malloc-owned array, nodes in the pool */
  int noutputs, ncap_out;
  ir_output *outputs; /* malloc-owned */
  int nassigns, ncap_asg;
  ir_assign *assigns; /* malloc-owned */
  /* Node counts at which the backward pass and the optimizer step began
     * (0: the entry has no such phase); back ends may name the phases. */
  int phase_nodes[2];
  int nregions, ncap_reg;
  ir_region *regions; /* malloc-owned; region r is regions[r - 1] */
  int region;         /* region of new nodes (0: none) */
  ir_loc loc;         /* current location for new nodes */
  char err[IR_ERR_LEN];
} ir_graph;

struct ir_program {
  ir_dtype real; /* IR_F32 or IR_F64 */
  ir_pool *pool; /* owns nodes, operand arrays, names, locations */
  int ntensors, ncap_t;
  ir_tensor_decl *tensors; /* malloc-owned */
  int ninputs, ncap_i;
  ir_input_decl *inputs; /* malloc-owned */
  int nscalars, ncap_s;
  const char **scalars; /* malloc-owned array of pool strings */
  int nentries, ncap_e;
  ir_graph **entries; /* malloc-owned array of malloc-owned graphs */
  char err[IR_ERR_LEN];
};

/* ---- program and declarations (ir_program.c) --------------------------- */
ir_program *ir_program_new(ir_dtype real);
void ir_program_free(ir_program *p);
/* Declarations return an index >= 0, or -1 with a message in p->err
 * (duplicate name, bad shape). Names are shared by tensors, inputs and scalars. */
int ir_param(ir_program *p, const char *name, int rank, const long *shape, ir_init init);
int ir_state(ir_program *p, const char *name, int rank, const long *shape, ir_init init);
int ir_grad(ir_program *p, const char *name, int rank, const long *shape);
/* State tensor t is kept by another rank (docs/distributed.md, ZeRO stage
 * 1): it gets no storage, and its assignments leave every entry; lowering
 * fails when an entry still reads it. */
void ir_keep_elsewhere(ir_program *p, int t);
int ir_input(ir_program *p, const char *name, ir_dtype dtype, int rank, const long *shape);
int ir_scalar(ir_program *p, const char *name);
int ir_find_tensor(const ir_program *p, const char *name);
int ir_find_input(const ir_program *p, const char *name);
int ir_find_scalar(const ir_program *p, const char *name);
/* New entry point; NULL (message in p->err) if the name is taken. */
ir_graph *ir_entry(ir_program *p, const char *name);
ir_graph *ir_find_entry(const ir_program *p, const char *name);
/* Completes the entry "init" (created if missing): scalar input "seed"
 * (declared if missing) and one assignment per persistent tensor (not
 * IR_GRAD) not yet assigned there, from its ir_init (an IR_INIT_COMPUTED
 * tensor must already be assigned). The random stream of a tensor is its
 * declaration index among the tensors that are not gradients: values depend
 * on the seed and the order of declarations only. */
ir_graph *ir_build_init(ir_program *p);
/* The initial value of tensor ti (not IR_INIT_COMPUTED) as a node of g,
 * the entry "init": the same value ir_build_init assigns. */
ir_node *ir_init_value(ir_graph *g, int ti);

/* Scalar output (rank-0 node). Returns 0, or -1 with a message in g->err. */
int ir_output_add(ir_graph *g, const char *name, ir_node *node);
/* tensor := node at the end of the step. One assignment per tensor and entry. */
int ir_assign_add(ir_graph *g, int tensor, ir_node *node);

/* Opens a region inside the current one: the nodes built until the
 * matching ir_region_end belong to it. cond: one real element of the
 * current region or one around it. Returns the region (>= 1), or -1 with
 * a message in g->err. */
int ir_region_begin(ir_graph *g, ir_node *cond, int negate);
void ir_region_end(ir_graph *g);                         /* back to the region's parent */
const ir_region *ir_region_of(const ir_graph *g, int r); /* r >= 1 */
/* Whether region r is `outer` or nested in it (every region is in 0). */
int ir_region_within(const ir_graph *g, int r, int outer);

void ir_set_loc(ir_graph *g, ir_loc loc); /* strings copied */
const char *ir_error(const ir_graph *g);

/* ---- shapes and operation table (ir_ops.c) ------------------------------ */
long ir_numel(const ir_shape *s);
int ir_shape_eq(const ir_shape *a, const ir_shape *b);
ir_shape ir_shape_of(int rank, const long *d);
/* "[256, 784]" into buf */
const char *ir_shape_str(const ir_shape *s, char *buf, size_t len);
const char *ir_op_name(ir_op op);
const char *ir_dtype_name(ir_dtype t);
size_t ir_dtype_size(ir_dtype t);
typedef enum {
  IR_K_LEAF,
  IR_K_UNARY,
  IR_K_BINARY,
  IR_K_SELECT,
  IR_K_REDUCE,
  IR_K_SHAPE,
  IR_K_CALL,
  IR_K_TUPLE,
  IR_K_PART
} ir_kind;
ir_kind ir_op_kind(ir_op op);
int ir_op_nparts(ir_op op);      /* outputs of a tuple op, else 0 */
int ir_is_elementwise(ir_op op); /* unary, binary, select */
/* Shape and dtype of a node from op, inputs and attributes; 0 on success,
 * else -1 with a message in err. Used by the builder and the verifier. */
int ir_infer(const ir_program *p, ir_op op, int nin, ir_node *const *in, const ir_attr *a,
             ir_shape *shape, ir_dtype *dtype, char *err, size_t errlen);

/* ---- builder (ir_build.c) ----------------------------------------------- */
ir_node *ir_node_new(ir_graph *g, ir_op op, int nin, ir_node *const *in, const ir_attr *a);
ir_node *ir_const(ir_graph *g, double v);
ir_node *ir_scalar_ref(ir_graph *g, int scalar);
ir_node *ir_tensor_ref(ir_graph *g, int tensor);
ir_node *ir_input_ref(ir_graph *g, int input);
ir_node *ir_unary(ir_graph *g, ir_op op, ir_node *x);
ir_node *ir_binary(ir_graph *g, ir_op op, ir_node *a, ir_node *b);
ir_node *ir_select(ir_graph *g, ir_node *cond, ir_node *a, ir_node *b);
ir_node *ir_add(ir_graph *g, ir_node *a, ir_node *b);
ir_node *ir_sub(ir_graph *g, ir_node *a, ir_node *b);
ir_node *ir_mul(ir_graph *g, ir_node *a, ir_node *b);
ir_node *ir_div(ir_graph *g, ir_node *a, ir_node *b);
ir_node *ir_scale(ir_graph *g, double s, ir_node *x); /* s * x */
/* Named unary operations (ir_unary with the matching op). gelu is the tanh
 * approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), built of
 * mul, add, square and tanh nodes (its gradient reuses the tanh). */
ir_node *ir_neg(ir_graph *g, ir_node *x);
ir_node *ir_exp(ir_graph *g, ir_node *x);
ir_node *ir_log(ir_graph *g, ir_node *x);
ir_node *ir_sqrt(ir_graph *g, ir_node *x);
ir_node *ir_rsqrt(ir_graph *g, ir_node *x);
ir_node *ir_tanh(ir_graph *g, ir_node *x);
ir_node *ir_sign(ir_graph *g, ir_node *x);
ir_node *ir_gelu(ir_graph *g, ir_node *x);
ir_node *ir_square(ir_graph *g, ir_node *x);
/* Reductions: axes may be negative (counted from the end). */
ir_node *ir_sum(ir_graph *g, ir_node *x, int naxes, const int *axes, int keepdims);
ir_node *ir_mean(ir_graph *g, ir_node *x, int naxes, const int *axes, int keepdims);
ir_node *ir_max(ir_graph *g, ir_node *x, int naxes, const int *axes, int keepdims);
ir_node *ir_sum_all(ir_graph *g, ir_node *x);
ir_node *ir_mean_all(ir_graph *g, ir_node *x);
ir_node *ir_max_all(ir_graph *g, ir_node *x);
ir_node *ir_reshape(ir_graph *g, ir_node *x, int rank, const long *shape);
ir_node *ir_permute(ir_graph *g, ir_node *x, const int *perm);
ir_node *ir_transpose(ir_graph *g, ir_node *x); /* swap last two axes */
ir_node *ir_broadcast_to(ir_graph *g, ir_node *x, int rank, const long *shape);
ir_node *ir_slice(ir_graph *g, ir_node *x, int axis, long start, long len);
ir_node *ir_concat(ir_graph *g, int n, ir_node *const *xs, int axis);
/* op(a) @ op(b); a transpose of b's (or a's) last two axes is folded into
 * the flag. A [.., k] @ [k, n] with leading dims becomes one GEMM. */
ir_node *ir_matmul(ir_graph *g, ir_node *a, ir_node *b, int trans_a, int trans_b);
ir_node *ir_conv2d(ir_graph *g, ir_node *x, ir_node *w, int stride, int pad);
ir_node *ir_maxpool2d(ir_graph *g, ir_node *x, int k, int stride);
ir_node *ir_avgpool2d(ir_graph *g, ir_node *x, int k, int stride);
ir_node *ir_softmax_xent(ir_graph *g, ir_node *logits, ir_node *labels);
ir_node *ir_count_correct(ir_graph *g, ir_node *logits, ir_node *labels);
ir_node *ir_mse(ir_graph *g, ir_node *a, ir_node *b);
/* softmax(scale * x) along axis (negative counts from the end) */
ir_node *ir_softmax(ir_graph *g, ir_node *x, int axis, double scale);
ir_node *ir_rmsnorm(ir_graph *g, ir_node *x, double eps);
ir_node *ir_layernorm(ir_graph *g, ir_node *x, double eps);
ir_node *ir_attention(ir_graph *g, ir_node *q, ir_node *k, ir_node *v, double scale,
                      int causal); /* causal: Tq == Tk, query i sees keys 0..i */
ir_node *ir_rope(ir_graph *g, ir_node *x, double base);
ir_node *ir_embedding(ir_graph *g, ir_node *table, ir_node *tokens);
/* precision: rt_ns_precision */
ir_node *ir_polar_ns(ir_graph *g, ir_node *x, int schedule, int steps, double eps, int precision);
ir_node *ir_polar_svd(ir_graph *g, ir_node *x);
ir_node *ir_spectral_norm(ir_graph *g, ir_node *x);
/* Tuple: part 0 the Lanczos estimate of spectral_norm(x) from the start
 * directions v, part 1 the directions for the next estimate. */
ir_node *ir_spectral_lanczos(ir_graph *g, ir_node *x, ir_node *v, int steps);
ir_node *ir_spd_pow(ir_graph *g, ir_node *a, double p, double eps);
/* Part i of a tuple node (the parts directly follow the tuple). */
ir_node *ir_part(const ir_graph *g, const ir_node *tuple, int i);
/* Copies into dst the nodes of src (another entry of the same program) that
 * the n roots depend on, in src's order, with their attributes and
 * locations; copies[i] receives the copy of roots[i]. Outputs and
 * assignments are not copied. Returns 0, or -1 with a message in dst->err
 * (ir_clone.c). */
int ir_graph_copy(ir_graph *dst, const ir_graph *src, int n, ir_node *const *roots,
                  ir_node **copies);

/* ---- checking and printing (ir_verify.c, ir_dump.c) --------------------- */
/* Checks the structural invariants (operands precede their users and belong
 * to g, tuple parts follow their tuple, outputs and assignments are nodes of
 * g) and that every stored shape and dtype equals the inferred one. Returns
 * 0, or -1 with a message in g->err. */
int ir_verify(ir_graph *g);
void ir_dump_graph(const ir_graph *g, FILE *out);
void ir_dump(const ir_program *p, FILE *out);

/* ---- pool (ir_pool.c) --------------------------------------------------- */
ir_pool *ir_pool_new(void);
void ir_pool_free(ir_pool *pool);
void *ir_pool_alloc(ir_pool *pool, size_t size); /* zeroed, 16-aligned */
char *ir_pool_strdup(ir_pool *pool, const char *s);

#endif
