/*
 * ad.h - reverse-mode automatic differentiation over an entry-point graph.
 */
#ifndef DUET_AD_H
#define DUET_AD_H

#include "ir.h"

/*
 * Appends to g the nodes computing d loss / d wrt[i] for i < n and stores
 * them in grads[i] (same shape as wrt[i]; a broadcast zero when the loss does
 * not depend on wrt[i]). loss must be a real scalar node of g, wrt real nodes
 * of g (typically IR_TENSOR parameters). Uses of a node are accumulated,
 * broadcasts are undone by sums, and every operation has its vector-Jacobian
 * product in terms of IR operations (runtime backward kernels for conv,
 * pooling, softmax, cross-entropy, normalization, attention, rope,
 * embedding). sign, comparisons, count_correct and the mask of relu have
 * zero derivative. Returns 0, or -1 with a message in g->err when the loss
 * depends differentiably on an operation without a gradient (polar_ns,
 * polar_svd, spectral_norm, spd_pow, random initializers, backward kernels,
 * auxiliary outputs of normalization and attention).
 */
int ad_grad(ir_graph *g, ir_node *loss, int n, ir_node *const *wrt, ir_node **grads);

/* Gradients with respect to persistent tensors (program tensor indices):
 * sums over every IR_TENSOR node of g that reads tensor[i]. */
int ad_grad_tensors(ir_graph *g, ir_node *loss, int n, const int *tensors, ir_node **grads);

#endif
