/*
 * lower_int.h - state shared by the lowering passes (lower.c: nodes to
 * instructions, lower_call.c: runtime calls, lower_plan.c: liveness, in-place
 * assignment, arena allocation). Not part of the public interface.
 *
 * While an entry point is lowered, instructions name memory through virtual
 * buffers: a kp_ref with space LOWER_VSPACE has `input` = virtual buffer id
 * and `off` = byte offset into it. lower_plan() resolves them to the arena
 * or the per-step inputs.
 */
#ifndef DUET_LOWER_INT_H
#define DUET_LOWER_INT_H

#include "ir.h"
#include "kp.h"

#define LOWER_VSPACE ((kp_space)2)

typedef enum { VB_TENSOR, VB_INPUT, VB_TEMP } vb_kind;

typedef struct vbuf {
  vb_kind kind;
  int index;     /* VB_TENSOR / VB_INPUT: declaration index */
  long bytes;    /* VB_TEMP: size */
  int alias;     /* VB_TEMP stored in this tensor vbuf instead, or -1 */
  int def_instr; /* the instruction that writes all of it, or -1 */
  int def_loop;  /* ... and it is a MAP loop (may read in place) */
  long off;      /* VB_TEMP: planned arena offset */
} vbuf;

/* How a node's value is available to its consumers. */
typedef enum {
  V_NONE,    /* not needed */
  V_UNIFORM, /* the same value everywhere: the constant `leaf`, or scalar
                   `scalar` (an input, or derived from scalars by `leaf`) */
  V_INLINE,  /* elementwise, computed inside its single consumer's loop */
  V_PENDING, /* elementwise and stored, deferred: the first loop over its
                   elements that reads it computes and stores it too, any
                   other use gives it its own loop (lower_fuse.c) */
  V_BUF,     /* strided view of a virtual buffer */
  V_TUPLE    /* multi-output runtime call; values are its parts */
} val_kind;

typedef struct val {
  val_kind kind;
  int vb;
  long off;             /* elements */
  long st[IR_MAX_RANK]; /* elements, per dimension of the node */
  const ir_node *leaf;
  int scalar;
} val;

typedef struct lower_ctx {
  const ir_program *prog;
  const ir_graph *g;
  kp_program *kp;
  ir_pool *pool; /* kp->pool */
  kp_dtype real;
  size_t esize; /* bytes of a real */
  int nvb, vbcap;
  vbuf *vb;                  /* malloc-owned */
  int *tensor_vb;            /* per persistent tensor */
  int *input_vb;             /* per per-step input */
  val *val;                  /* per node */
  int *uses, *user;          /* per node: use count, the single consumer or -1 */
  unsigned char *absorbable; /* per node: every consumer is a loop over as many
                                  elements that can compute it inline */
  int *inline_cost;          /* per node: operations it costs inline (lower.c) */
  int *inline_loads;         /* per node: buffer reads it costs inline (lower_fuse.c) */
  unsigned char *deferrable; /* per node: a stored node a consumer's loop may
                                  compute (lower_fuse.c) */
  int ninstr, icap;
  kp_instr *ins; /* malloc-owned while lowering */
  int phase[2];  /* first instruction of each graph phase, 0: none */
  int nderived, dcap;
  kp_derived *derived; /* malloc-owned while lowering */
  int *wb_target;      /* per instruction: tensor vbuf written back, or -1 */
  int region;          /* guarded region of the node being lowered */
  int open;            /* innermost region whose KP_IF is open, 0: none */
  char *err;
  size_t errlen;
} lower_ctx;

int lower_fail(lower_ctx *c, const char *fmt, ...);
kp_dtype lower_dtype(ir_dtype t);
int lower_temp(lower_ctx *c, long bytes);
kp_ref lower_vref(int vb, long off_bytes);
/* Appends an instruction inside the KP_IFs of c->region (opened and closed
 * as needed, so that a region without instructions has none). */
kp_instr *lower_emit(lower_ctx *c, kp_kind kind, const ir_node *src);
/* Contiguous buffer holding x (materialized into a temporary if needed). */
kp_ref lower_operand(lower_ctx *c, const ir_node *x);
/* x broadcast to `shape`, copied into a new contiguous temporary. */
kp_ref lower_materialize(lower_ctx *c, const ir_node *x, const ir_shape *shape);
/* A real value of one element as a call argument. */
kp_scalar lower_scalar(lower_ctx *c, const ir_node *x);
/* Buffer of a node that owns one (V_BUF with offset 0). */
kp_ref lower_own(lower_ctx *c, const ir_node *x);
char *lower_fn_name(lower_ctx *c, const char *base);

/* lower_loop.c: strides, buffers and fused loops. */
void lower_rowmajor(const ir_shape *s, long *st);
int lower_contiguous(const val *v, const ir_shape *s);
/* Strides of a value of shape xs (strides xst) read in the loop space
 * `loop` (numpy broadcasting, right-aligned). */
void lower_map_strides(const ir_shape *xs, const long *xst, const ir_shape *loop, long *out);
/* n gets its own contiguous temporary. */
void lower_set_own(lower_ctx *c, const ir_node *n);
/* A V_PENDING node gets its own loop now (in its guarded region); other
 * nodes are left as they are. */
void lower_flush(lower_ctx *c, const ir_node *x);
/* x (broadcast to shape) copied into vbuf vb at off_bytes, contiguous. */
void lower_copy_into(lower_ctx *c, const ir_node *x, const ir_shape *shape, int vb, long off_bytes,
                     const ir_node *src);
/* The loop operation of an elementwise IR operation. */
kp_eop lower_eop(ir_op op);
/* A uniform value as a scalar operand. */
kp_scalar lower_uniform_scalar(const val *v);
void lower_map_loop(lower_ctx *c, const ir_node *n);
void lower_reduce_loop(lower_ctx *c, const ir_node *n);
void lower_concat_loop(lower_ctx *c, const ir_node *n);

/* lower_fuse.c: the fusion schedule. */
/* Fills uses, user, absorbable and deferrable of every node; needed[] (zeroed, one
 * per node) marks the nodes outputs and assignments reach, and the
 * condition of every region with a needed node (which KP_IF reads: it is
 * not computed inline). */
void lower_count_uses(lower_ctx *c, unsigned char *needed);
/* Whether elementwise n is computed inline by its consumers (records its
 * inline cost). */
int lower_fusible(lower_ctx *c, const ir_node *n);
/* Whether elementwise n, which is stored, waits for a consumer's loop
 * (V_PENDING) instead of getting its own now. */
int lower_deferred(const lower_ctx *c, const ir_node *n);
/* Whether every operand of n is uniform (n becomes a derived scalar). */
int lower_all_uniform(const lower_ctx *c, const ir_node *n);

/* The buffers of a runtime call's results (n, or its parts): each its
 * own, row-major; but a result the kernel writes as a strided view (ops.h)
 * whose one consumer is a permutation keeping the last axis in place is
 * laid out so that the permuted view is row-major (merge_heads' reshape
 * and the GEMM after it read it in place). */
void lower_call_results(lower_ctx *c, const ir_node *n);
int lower_call(lower_ctx *c, const ir_node *n);
int lower_plan(lower_ctx *c, kp_entry *e);

#endif
