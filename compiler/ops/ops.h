/*
 * ops.h - the operation registry: every IR operation and every builtin
 * function of the language is declared once, in the .def file of its family
 * (ops_all.def lists them), and every phase reads that declaration:
 *   - the IR: the ir_op enum (ir.h), names, kinds, arities, tuple parts and
 *     shape/dtype rules (ir_infer), attribute printing (ir_dump);
 *   - autodiff: each operation's vector-Jacobian product;
 *   - lowering: the loop operation and inline cost of elementwise
 *     operations, and for runtime calls the kernel, its C parameter list and
 *     where each argument comes from (lower_call.c);
 *   - the LLVM back end: the kernels bound in the JIT (cg_syms.c);
 *   - semantic analysis: the language-facing part of builtins (ops_lang.h);
 *   - elaboration: the builder that turns a builtin call into IR.
 *
 * A family .def file holds entries of two forms, whose expansion the
 * includer chooses:
 *   OPS_OP(ID, .name = ..., ...)  the operation IR_ID (an op_def)
 *   OPS_BUILTIN(name, build, op, fold, defaults, .use = ..., ...)
 *                                 the builtin `name`: its builder, the
 *                                 operation the builder makes (for builders
 *                                 shared by several; 0 when unused), its
 *                                 value on numbers (a cnum_fn), the
 *                                 defaults of its optional parameters
 *                                 (OPS_DEFAULTS([j] = OPS_REAL(1e-6), ...)
 *                                 or OPS_NO_DEFAULTS), then its ops_lang
 * and the family's .c file defines the functions its entries name.
 *
 * RUNTIME CALLS. An operation that runs a runtime kernel names it with
 * OPS_RT(kernel, return type, "C parameters") exactly as rt_kernels.h
 * declares it (Real for the real type; test_registry checks every entry
 * against the header). Lowering passes each parameter by its name:
 *   - an operand or result name (`in`, `out`): its buffer; a rank-0 real
 *     operand passed as Real or uint64_t: its value;
 *   - a dimension of an operand or result layout: `x[..rows, cols]` names
 *     the product of x's leading axes `rows` and its last axis `cols`;
 *     `W[o, c, kh, kw]` names each axis (a name bound twice must agree);
 *   - an attribute name (`attrs`), a constant (`consts`);
 *   - `ws`: a workspace of the size the `ws` kernel (OPS_RT) returns for
 *     its parameters, bound the same way.
 * STRIDED VIEWS. A kernel may take an operand, or write a result, whose
 * layout names every axis ("x[B, H, T, D]") as a strided view: it then
 * has, for each axis but the last, a parameter `long x_s<axis>` (x_sB,
 * x_sH, x_sT: element strides; the last axis is contiguous). Lowering
 * passes an operand's view as it is when its last axis is contiguous (a
 * permutation of heads costs no copy), else a row-major copy; it lays a
 * result out row-major, except when its one consumer is a permutation
 * that keeps the last axis in place: then so that the permuted view is
 * row-major (merge_heads reads it without a copy).
 * A kernel returning long stores its result, converted to the real type,
 * as the operation's value. GEMM's sizes and batch strides are the one
 * binding lowering computes itself (lower_call.c, bind_gemm).
 */
#ifndef DUET_OPS_H
#define DUET_OPS_H

#include <stdbool.h>
#include <stdio.h>

#include "ad.h"
#include "ir.h"
#include "kp.h"
#include "ops_lang.h"

#define OPS_MAX_IN    5
#define OPS_MAX_OUT   3
#define OPS_MAX_ATTRS 4

typedef struct op_def op_def;

/* ---- shape rules ------------------------------------------------------- */

/* Context of a shape rule: messages go to err, prefixed with the name. */
typedef struct ops_infer {
  const ir_program *prog;
  const op_def *def;
  char *err;
  size_t errlen;
} ops_infer;

/* Shape and dtype of an operation's value from its operands and attributes
 * (arity and tuple operands are checked before); 0, or -1 with a message. */
typedef int (*ops_infer_fn)(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a,
                            ir_shape *shape, ir_dtype *dtype);
/* Shape and dtype of part i of tuple node t. */
typedef int (*ops_part_fn)(ops_infer *c, const ir_node *t, int i, ir_shape *shape, ir_dtype *dtype);

/* Helpers of shape rules (ops_infer.c): each returns -1 with a message. */
int ops_fail(ops_infer *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ops_need_real(ops_infer *c, const ir_node *x, const char *what);
int ops_need_rank(ops_infer *c, const ir_node *x, int lo, int hi, const char *what);
int ops_need_same(ops_infer *c, const ir_node *a, const ir_node *b, const char *an, const char *bn);
int ops_check_target(ops_infer *c, const ir_shape *t);
/* numpy broadcasting of two shapes; -1 (no message) if incompatible */
int ops_broadcast2(const ir_shape *a, const ir_shape *b, ir_shape *out);
/* "[256, 784]" in one of three scratch buffers of s (for messages) */
typedef struct ops_shape_strs {
  char s[3][96];
} ops_shape_strs;
const char *ops_shape_str(ops_shape_strs *ss, int i, const ir_shape *s);
/* Rules shared by several families: the operand's shape (real operand),
 * and the shape of a runtime call's value equal to operand 0's. */
int ops_infer_same(ops_infer *c, int nin, ir_node *const *in, const ir_attr *a, ir_shape *shape,
                   ir_dtype *dtype);

/* ---- gradients --------------------------------------------------------- */

/* Accumulates the vector-Jacobian product of node n into the adjoints of
 * its operands (ad.h: ad_acc and friends); gy is n's adjoint (NULL for a
 * tuple: its parts' adjoints are ad_part_adjoint). 0, or -1 with a message
 * in the graph's error buffer. */
typedef int (*ops_grad_fn)(ad_ctx *c, ir_node *n, ir_node *gy);
/* The gradient of operations whose value is locally constant (comparisons,
 * sign, counts, indices): nothing flows to the operands. */
int ops_grad_zero(ad_ctx *c, ir_node *n, ir_node *gy);
/* A backward node whose value has the shape target (base's other
 * attributes kept). */
ir_node *ops_with_target(ir_graph *g, ir_op op, int nin, ir_node *const *in, const ir_attr *base,
                         const ir_shape *target);

/* ---- attributes ---------------------------------------------------------- */

/* The ir_attr field an attribute name refers to. */
typedef enum ops_field {
  OPS_F_NONE,
  OPS_F_VALUE,
  OPS_F_VALUE2,
  OPS_F_INDEX,
  OPS_F_AXIS,
  OPS_F_START,
  OPS_F_LEN,
  OPS_F_K,
  OPS_F_STRIDE,
  OPS_F_PAD,
  OPS_F_STEPS,
  OPS_F_SCHEDULE,  /* a Newton-Schulz schedule (ops_ns_schedule_name) */
  OPS_F_PRECISION, /* a Newton-Schulz precision (ops_ns_precision_name) */
  OPS_F_FLAG_A,    /* trans_a: printed by name when set */
  OPS_F_FLAG_B     /* trans_b */
} ops_field;

typedef struct ops_attr {
  const char *name;
  ops_field field;
} ops_attr;

/* The attribute's value as a number. */
double ops_attr_value(const ir_attr *a, ops_field f);
/* Attributes ir_dump prints in its own way (leaves, axes, permutations). */
typedef void (*ops_dump_fn)(FILE *out, const ir_program *p, const ir_node *n);

/* ---- runtime kernels ----------------------------------------------------- */

typedef void (*ops_fnptr)(void);

/* A runtime kernel: its name without the dtype suffix, both instantiations,
 * its return type and its C parameter list. */
typedef struct ops_rt {
  const char *name;
  ops_fnptr f32, f64;
  const char *ret;
  const char *params;
} ops_rt;

#define OPS_RT(fn, ret_type, param_list) \
  { #fn, (ops_fnptr)fn##_f32, (ops_fnptr)fn##_f64, #ret_type, param_list }

/* One parameter of a kernel (ops_sig.c parses the list). */
typedef enum ops_ctype {
  OPS_C_PTR,  /* Real *, int32_t * (const or not) */
  OPS_C_INT,  /* int, or an enum such as rt_ns_schedule */
  OPS_C_LONG, /* long */
  OPS_C_SIZE, /* size_t */
  OPS_C_REAL, /* Real */
  OPS_C_U64   /* uint64_t */
} ops_ctype;

typedef struct ops_param {
  ops_ctype ctype;
  char name[24];
} ops_param;

#define OPS_MAX_CPARAMS 40

/* Parses "const Real *x, long rows, ..." into p (at most OPS_MAX_CPARAMS);
 * returns the count, or -1 if the list does not parse. */
int ops_parse_params(const char *list, ops_param *p);
/* The axis whose stride the kernel parameter `param` is for the operand or
 * result of `layout` (STRIDED VIEWS: "x_sH" of "x[B, H, T, D]" is 1), or
 * -1 when it is none of its strides. */
int ops_stride_axis(const char *param, const char *layout);

/* ---- the operation ----------------------------------------------------- */

/* Inline cost of elementwise operations (lower_fuse.c): arithmetic, a
 * division or square root, and a transcendental function, which is never
 * recomputed by several consumers. */
enum { OPS_COST_ARITH = 1, OPS_COST_DIV = 4, OPS_COST_TRANSCENDENTAL = 9 };

struct op_def {
  ir_op op;
  const char *name; /* as printed by ir_dump */
  ir_kind kind;
  int arity; /* operands; -1: one or more (concat) */
  int nparts;
  ops_infer_fn infer;
  ops_part_fn part; /* tuples */
  ops_grad_fn grad; /* NULL: no gradient (the loss must not depend on it) */
  /* elementwise operations: the loop operation and its inline cost */
  kp_eop eop;
  int cost;
  /* operand and result names with layouts (for kernels and messages) */
  const char *in[OPS_MAX_IN];
  const char *out[OPS_MAX_OUT]; /* the value, or a tuple's parts */
  ops_attr attrs[OPS_MAX_ATTRS];
  ops_dump_fn dump; /* instead of printing attrs */
  ops_rt call;      /* runtime kernel (call.name NULL: none) */
  ops_rt ws;        /* its workspace size (ws.name NULL: none) */
  struct {
    const char *name;
    double value;
  } consts[2];
};

/* The declaration of op (every ir_op has one). */
const op_def *ops_def(ir_op op);

/* ---- builtins ------------------------------------------------------------ */

/* A value at the boundary between the elaborator and a builder: an argument
 * (NONE when not given) or a result. A tuple result holds its nodes. */
typedef enum ops_vkind {
  OPS_V_ERR,
  OPS_V_NONE,
  OPS_V_NUM,
  OPS_V_BOOL,
  OPS_V_STR,
  OPS_V_TENSOR,
  OPS_V_TUPLE
} ops_vkind;

typedef struct ops_val {
  ops_vkind kind;
  cnum num; /* OPS_V_NUM */
  bool b;
  const char *s;
  ir_node *node;
  int n;                       /* OPS_V_TUPLE: items */
  ir_node *items[OPS_MAX_OUT]; /* OPS_V_TUPLE results */
} ops_val;

typedef struct op_builtin op_builtin;

/* Where a builder's message points: a parameter's argument (0..), an extra
 * positional argument (nparams + k), or the whole call. */
#define OPS_AT_CALL (-1)

/* A call of a builtin, its arguments bound to the parameters (sema checked
 * their names and count), and the services of the translation. */
typedef struct ops_args {
  const op_builtin *b;
  ir_graph *g;
  ops_val arg[OPS_MAX_PARAMS];
  int nextra;
  const ops_val *extra; /* further positional arguments (variadic builtins) */
  void *ctx;            /* the translation's */
  void (*fail)(void *ctx, int where, const char *msg);
  /* spectral(W) by warm-started Lanczos (lanczos_steps > 0) instead of
   * exactly: lanczos_state declares the persistent start directions of one
   * call, [.., min(m, n)], and returns the tensor index (-1: failed). */
  int lanczos_steps;
  int (*lanczos_state)(void *ctx, int rank, const long *dims);
  /* the precision of polar calls that name none ("bf16", "f32", "f64";
   * NULL: the real type), set inside dualize(u, precision = p) */
  const char *precision;
  /* polar(G) by SVD whatever its schedule (`duet dualcheck`) */
  bool polar_exact;
  /* aux_loss(x, loss): adds the scalar node to the training loss; NULL
   * where the body has no loss (norms, dualize, optimizers) */
  void (*add_loss)(void *ctx, ir_node *loss);
} ops_args;

typedef ops_val (*ops_build_fn)(ops_args *a);

/* The default of an optional parameter (the builder's when OPS_D_NONE). */
typedef enum ops_dkind { OPS_D_NONE, OPS_D_INT, OPS_D_REAL, OPS_D_BOOL, OPS_D_STR } ops_dkind;

typedef struct ops_default {
  ops_dkind kind;
  cnum num; /* OPS_D_INT, OPS_D_REAL */
  bool b;
  const char *s;
} ops_default;

#define OPS_INT(v)                                        \
  {                                                       \
    .kind = OPS_D_INT, .num = {.is_int = true, .i = (v) } \
  }
#define OPS_REAL(v)                        \
  {                                        \
    .kind = OPS_D_REAL, .num = {.f = (v) } \
  }
#define OPS_BOOL(v) \
  { .kind = OPS_D_BOOL, .b = (v) }
#define OPS_STR(v) \
  { .kind = OPS_D_STR, .s = (v) }

struct op_builtin {
  ops_lang lang;
  ops_build_fn build; /* NULL: compile-time only */
  ir_op op;           /* the operation build makes, for builders shared by several */
  cnum_fn fold;       /* its value when the arguments are numbers */
  ops_default defaults[OPS_MAX_PARAMS];
};

/* The builtin called name, or NULL; all builtins in declaration order. */
const op_builtin *ops_builtin_find(const char *name);
int ops_builtin_count(void);
const op_builtin *ops_builtin_at(int i);

/* Helpers of builders (ops_build.c). Each failing one reports through
 * a->fail and returns false (or an OPS_V_ERR value). */
ops_val ops_err(void);
ops_val ops_tensor_val(ir_node *n);
ops_val ops_num_val(cnum v);
ops_val ops_report(ops_args *a, int where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The node, or the graph's message reported at the call. */
ops_val ops_result(ops_args *a, ir_node *n);
/* "[256, 784]", "int32 [4]", "a number", "a tuple of 2", ... */
const char *ops_describe(const ops_val *v, char *buf, size_t len);
bool ops_tensor_arg(ops_args *a, int j, ir_node **out);
/* A number argument, or its declared default when not given. */
bool ops_real_arg(ops_args *a, int j, double *out);
bool ops_int_arg(ops_args *a, int j, long long *out);
/* A compile-time integer value (integral numbers). */
bool ops_want_int(ops_args *a, const ops_val *v, int where, const char *what, long long *out);
/* A tensor node, or a number or bool as a constant; NULL otherwise. */
ir_node *ops_node(ops_args *a, const ops_val *v);
/* An axis in [-rank, rank) normalized to [0, rank). */
bool ops_axis(ops_args *a, int where, long long ax, const ir_node *t, int *out);
/* t has rank >= lo (message at the call). */
bool ops_need_rank_arg(ops_args *a, const ir_node *t, int lo);
/* The value of a call: the builtin's fold when its arguments are numbers,
 * else its builder. */
ops_val ops_apply(ops_args *a);

/* The name of a Newton-Schulz schedule (rt_kernels.h RT_NS_SCHEDULES). */
const char *ops_ns_schedule_name(int schedule);
/* "bf16", "f32" or "f64": the name of an rt_ns_precision. */
const char *ops_ns_precision_name(int precision);

#endif
