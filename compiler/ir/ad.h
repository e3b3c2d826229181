/*
 * ad.h - reverse-mode automatic differentiation over an entry-point graph,
 * and the interface through which each operation's gradient (declared in
 * the operation registry, compiler/ops) adds its vector-Jacobian product.
 */
#ifndef DUET_AD_H
#define DUET_AD_H

#include "ir.h"

/*
 * Appends to g the nodes computing d loss / d wrt[i] for i < n and stores
 * them in grads[i] (same shape as wrt[i]; a broadcast zero when the loss does
 * not depend on wrt[i]). loss must be a real scalar node of g, wrt real nodes
 * of g (typically IR_TENSOR parameters). Uses of a node are accumulated,
 * broadcasts are undone by sums, and every operation's vector-Jacobian
 * product is its registry gradient, in terms of IR operations (runtime
 * backward kernels for conv, pooling, softmax, cross-entropy, normalization,
 * attention, rope, embedding). Returns 0, or -1 with a message in g->err
 * when the loss depends differentiably on an operation without a gradient
 * (polar_ns, polar_svd, spectral_norm, spd_pow, random initializers,
 * backward kernels, auxiliary outputs of normalization and attention).
 */
int ad_grad(ir_graph *g, ir_node *loss, int n, ir_node *const *wrt, ir_node **grads);

/* Gradients with respect to persistent tensors (program tensor indices):
 * sums over every IR_TENSOR node of g that reads tensor[i]. */
int ad_grad_tensors(ir_graph *g, ir_node *loss, int n, const int *tensors, ir_node **grads);

/* ---- for operation gradients -------------------------------------------- */

typedef struct ad_ctx ad_ctx;

ir_graph *ad_graph(const ad_ctx *c);
/* Whether the loss depends on x through the differentiated nodes. */
int ad_active(const ad_ctx *c, const ir_node *x);
/* Adds contrib (x's shape; NULL: a failed builder call) to x's adjoint. */
void ad_acc(ad_ctx *c, ir_node *x, ir_node *contrib);
/* Adds contrib, a gradient of a value x was broadcast into, summed back to
 * x's shape. */
void ad_acc_unbroadcast(ad_ctx *c, ir_node *x, ir_node *contrib);
/* The adjoint of part i of a tuple node (NULL: zero). */
ir_node *ad_part_adjoint(const ad_ctx *c, const ir_node *tuple, int i);
/* Reports that n (`what`: "" or " (auxiliary output)") has no gradient;
 * returns -1. */
int ad_no_gradient(ad_ctx *c, const ir_node *n, const char *what);

#endif
