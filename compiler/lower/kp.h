/*
 * kp.h - the kernel program: the output of lowering and the input of every
 * back end (LLVM JIT, C source). Of the IR it uses only the memory pool that
 * owns it (ir_pool); runtime calls name the kernels of runtime/rt_kernels.h.
 *
 * Data contract
 *  - Memory is one arena per program, owned by the caller of the compiled
 *    code, at least 64-byte aligned and arena_bytes long. Persistent tensors
 *    (parameters, optimizer state) occupy [0, persistent_bytes) at the fixed
 *    offsets listed in `tensors`; each entry point uses the rest for its
 *    temporaries (and runtime workspaces), whose contents do not survive a
 *    call. Per-step inputs are not copied: instructions read them through the
 *    caller's input pointers.
 *  - Every entry point is compiled to a function with the C ABI
 *        void entry(char *arena, void *const *inputs, const double *scalars,
 *                   double *outputs);
 *    inputs[i]: per-step input i (dense row-major, dtype and shape as
 *    declared), scalars[i]: scalar input i, outputs[j]: output j of the entry.
 *  - Derived scalars: an entry's derived scalar i is scalar nscalars + i,
 *    one operation (kp_math.h) on constants, scalar inputs and earlier
 *    derived scalars, evaluated in double precision before the entry's
 *    instructions (kp_derive_scalars), so that an expression of scalars only
 *    (AdamW's 1 - beta^t) is rounded to the real dtype once, where it is
 *    used. The C back end's entry functions evaluate them on entry; the LLVM
 *    back end's read them from scalars[nscalars + i], which the caller
 *    (core_run) fills.
 *  - Instructions run in order. A kp_ref names memory: arena base + off, or
 *    inputs[input] + off (bytes). Real values have the program's real dtype
 *    (float or double); index tensors are int32.
 *  - KP_LOOP: a loop nest over `shape` (row-major, last dimension innermost).
 *    At index i, access k addresses element ref_k + sum_d i_d * stride_k[d]
 *    (strides in elements; 0 broadcasts). The expression list is evaluated in
 *    order (each node refers to earlier ones), the last node is the value.
 *    MAP stores the value to `out`; SUM and MAX first set the output region
 *    (strides 0 on reduced dimensions) to 0 or -inf and then accumulate
 *    (a + b, or a >= b ? a : b) in a fixed order, so that every back end
 *    gets the same bits: the nest runs in row-major order; when the innermost
 *    dimension is reduced (out stride 0), its n elements are first folded
 *    into KP_LANES accumulators (element i into lane i mod KP_LANES, each
 *    starting at 0 or -inf), the lanes are combined pairwise ((0,1),(2,3),..
 *    then (0,2),(4,6), then (0,4)), and that result is accumulated into out.
 *    Scalar operations are defined by kp_math.h.
 *    Dimensions are canonical: no size-1 dimensions, and adjacent dimensions
 *    that are contiguous for every access are merged. An I32 loop is a pure
 *    copy (a single LOAD). A loop may read its own output only element-wise
 *    (the same address it writes), never shifted.
 *  - KP_CALL: a call of the runtime function `fn` (C name with dtype suffix,
 *    declared in runtime/rt_kernels.h; or RT_GRAD_READY, which a
 *    data-parallel grad_step calls after each gradient is complete, and
 *    only there). The argument list gives the C
 *    signature: PTR -> pointer, INT -> int, LONG -> long, SIZE -> size_t,
 *    REAL -> float/double, U64 -> uint64_t (scalars converted from double).
 *    If has_ret, the function returns long, stored converted to the real
 *    dtype at ret.
 *  - KP_IF ... KP_END: the instructions between run only where the real
 *    scalar `cond` (rounded to the real dtype) is nonzero (negate: zero),
 *    as a select's condition (NaN is nonzero); they nest. A guarded region
 *    of the IR: its buffers keep stale values where it does not run, and
 *    only the select that merges it reads them after it.
 *  - KP_COPY: memcpy of bytes; KP_OUTPUT: outputs[index] = value, rounded
 *    to the real dtype and widened to double. Scalars (inputs and derived)
 *    used in loops and REAL arguments are likewise rounded to the real
 *    dtype; U64 arguments convert the double directly (seeds stay exact up
 *    to 2^53).
 */
#ifndef DUET_KP_H
#define DUET_KP_H

#include <stdio.h>

#define KP_MAX_RANK 6
#define KP_LANES    8 /* accumulators of an innermost reduction, see KP_LOOP */

typedef enum { KP_F32, KP_F64, KP_I32 } kp_dtype;

typedef enum { KP_ARENA, KP_INPUT } kp_space;

typedef struct kp_ref {
  kp_space space;
  int input; /* KP_INPUT: index of the per-step input */
  long off;  /* bytes from the arena base or the input's base */
} kp_ref;

/* A real scalar: immediate, scalar input, or element 0 of a buffer. */
typedef enum { KP_S_IMM, KP_S_INPUT, KP_S_LOAD } kp_scalar_kind;
typedef struct kp_scalar {
  kp_scalar_kind kind;
  double imm; /* KP_S_IMM */
  int index;  /* KP_S_INPUT */
  kp_ref ref; /* KP_S_LOAD: a real value of the program's dtype */
} kp_scalar;

typedef struct kp_access {
  kp_ref ref;
  kp_dtype dtype;
  long stride[KP_MAX_RANK];
} kp_access;

/* Scalar operations of loop expressions (semantics as the IR operations). */
typedef enum {
  KP_E_LOAD,   /* access a */
  KP_E_CONST,  /* imm */
  KP_E_SCALAR, /* scalars[a] */
  KP_E_NEG,
  KP_E_EXP,
  KP_E_LOG,
  KP_E_SQRT,
  KP_E_RSQRT,
  KP_E_TANH,
  KP_E_SIGMOID,
  KP_E_ABS,
  KP_E_SIGN,
  KP_E_RELU,
  KP_E_SQUARE,
  KP_E_RECIP,
  KP_E_SIN,
  KP_E_COS, /* unary: operand a */
  KP_E_ADD,
  KP_E_SUB,
  KP_E_MUL,
  KP_E_DIV,
  KP_E_MAX,
  KP_E_MIN,
  KP_E_POW,
  KP_E_LT,
  KP_E_LE,
  KP_E_GT,
  KP_E_GE,
  KP_E_EQ,
  KP_E_NE,    /* binary: a, b */
  KP_E_SELECT /* a != 0 ? b : c */
} kp_eop;

typedef struct kp_expr {
  kp_eop op;
  int a, b, c;
  double imm;
} kp_expr;

typedef enum { KP_MAP, KP_SUM, KP_MAX } kp_reduce;

typedef struct kp_loop {
  kp_dtype dtype; /* of the value (real, or I32 for copies) */
  kp_reduce reduce;
  int rank;
  long shape[KP_MAX_RANK];
  int nout;       /* 1 unless MAP */
  kp_access *out; /* output k stores expression out_expr[k] */
  int *out_expr;
  int nin;
  kp_access *in;
  int nexpr;
  kp_expr *expr;
} kp_loop;

typedef enum { KP_A_PTR, KP_A_INT, KP_A_LONG, KP_A_SIZE, KP_A_REAL, KP_A_U64 } kp_arg_kind;

typedef struct kp_arg {
  kp_arg_kind kind;
  kp_ref ref;    /* PTR */
  long ival;     /* INT, LONG, SIZE */
  kp_scalar val; /* REAL, U64 */
} kp_arg;

typedef struct kp_call {
  const char *fn;
  int nargs;
  kp_arg *args;
  int has_ret;
  kp_ref ret;
} kp_call;

typedef struct kp_copy {
  kp_ref dst, src;
  long bytes;
} kp_copy;

typedef struct kp_out {
  int index;
  kp_scalar value;
} kp_out;

typedef struct kp_if {
  kp_scalar cond;
  int negate;
} kp_if;

typedef enum { KP_LOOP, KP_CALL, KP_COPY, KP_OUTPUT, KP_IF, KP_END } kp_kind;

typedef struct kp_instr {
  kp_kind kind;
  const char *what; /* short description (IR operation, module path) */
  union {
    kp_loop loop;
    kp_call call;
    kp_copy copy;
    kp_out out;
    kp_if cond; /* KP_IF */
  } u;
} kp_instr;

/* A derived scalar: op (neither LOAD, CONST nor SCALAR) on nargs operands,
 * each a constant (KP_S_IMM) or a scalar (KP_S_INPUT: an input or an
 * earlier derived scalar). */
typedef struct kp_derived {
  kp_eop op;
  int nargs;
  kp_scalar arg[3];
} kp_derived;

typedef struct kp_entry {
  const char *name;
  int nderived;
  kp_derived *derived; /* scalar nscalars + i, see the contract */
  int ninstr;
  kp_instr *instr;
  int noutputs;
  const char **outputs;
  long temp_bytes; /* temporaries used above persistent_bytes */
  /* First instruction of the backward pass and of the optimizer step of a
     * training entry; 0 when the entry has no such phase. */
  int phase[2];
} kp_entry;

typedef struct kp_tensor {
  const char *name;
  int is_param; /* 1 parameter, 0 optimizer state */
  int is_grad;  /* 1 a weight's gradient between the entries of a
                   data-parallel step (IR_GRAD): not persistent state */
  int rank;
  long shape[KP_MAX_RANK];
  long count;
  long off; /* bytes from the arena base; -1: optimizer state another rank
               keeps (ir_keep_elsewhere), no storage and no access here */
} kp_tensor;

typedef struct kp_input {
  const char *name;
  kp_dtype dtype;
  int rank;
  long shape[KP_MAX_RANK];
} kp_input;

typedef struct kp_program {
  kp_dtype real;
  long arena_bytes;
  long persistent_bytes;
  int ntensors;
  kp_tensor *tensors;
  int ninputs;
  kp_input *inputs;
  int nscalars;
  const char **scalars;
  int nentries;
  kp_entry *entries;
  struct ir_pool *pool; /* owns all memory above */
} kp_program;

void kp_free(kp_program *kp);
int kp_find_entry(const kp_program *kp, const char *name);
int kp_find_tensor(const kp_program *kp, const char *name);
size_t kp_dtype_size(kp_dtype t);
/* Whether accesses a and b of loop l can touch a common byte (same space
 * and overlapping address ranges); back ends mark the others non-aliasing. */
int kp_access_overlap(const kp_loop *l, const kp_access *a, const kp_access *b);
/* Whether a and b address the same elements at every index of l (same
 * memory, dtype and strides): an element-wise read of the loop's output. */
int kp_access_same(const kp_loop *l, const kp_access *a, const kp_access *b);
/* The output of l whose elements input k reads (an element-wise update in
 * place), or -1. */
int kp_loop_same_output(const kp_loop *l, int k);
/* Whether input k of l overlaps an output of l other than element-wise. */
int kp_loop_input_shared(const kp_loop *l, int k);
/* Whether output j of l overlaps another output, or an input other than
 * element-wise: back ends mark the others non-aliasing. */
int kp_loop_output_shared(const kp_loop *l, int j);
const char *kp_eop_name(kp_eop op);

/* The class scores of an evaluation entry: the first cross-entropy or count
 * of correct predictions of the entry reads them, rows x classes reals at
 * byte `off` of the arena, and instructions [0, split) compute them. */
typedef struct kp_scores {
  int split;
  long off, rows, classes;
} kp_scores;
/* Fills *s and returns 1 when entry en computes class scores; else 0. */
int kp_entry_scores(const kp_entry *en, kp_scores *s);
/* Appends to kp, for every entry E with class scores, the entry
 * "E_scores": E's instructions up to its scores (kp_entry_scores), which
 * it leaves in the arena, and no outputs. */
void kp_add_scores_entries(kp_program *kp);
/* Operation op (kp_math.h semantics) on double operands (b is unused by
 * unary operations, c by all but select). */
double kp_op_f64(kp_eop op, double a, double b, double c);
/* Evaluates the derived scalars of e into scalars[nscalars ...] (scalars
 * holds the nscalars inputs before them). */
void kp_derive_scalars(const kp_entry *e, int nscalars, double *scalars);
/* Readable listing of instructions, offsets and the arena plan. */
void kp_dump(const kp_program *kp, FILE *out);

#endif
