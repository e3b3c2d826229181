/* drv_owners.h: under mpirun, which rank computes each weight's optimizer
 * step (docs/distributed.md): the weights go to the ranks by the cost of
 * their updates (longest first, each to the rank with the least work so
 * far), and the program of a rank keeps only the assignments of its own
 * weights and their state in apply_step, and stores only their state. */
#ifndef DUET_DRV_OWNERS_H
#define DUET_DRV_OWNERS_H

#include "arena.h"
#include "ir.h"
#include "sema.h"

/* The estimated floating-point operations of updating each weight: the
 * nodes of apply_step that the assignments of the weight and of its state
 * need (a product 2 m n k, Newton-Schulz 4 m^2 n + 2 m^3 per iteration on
 * an m x n matrix, m <= n, anything else one per element), into flops[i]
 * (e's weights, in order). False when p has no apply_step. */
bool drv_update_flops(const ir_program *p, const sema_experiment *e, arena *a, double *flops);

/* Spreads the weights over `ranks` ranks by their flops: owner[i] is the
 * rank of weight i. The same answer on every rank. */
void drv_owners_assign(const double *flops, int nweights, int ranks, int *owner);

/* Drops from apply_step the assignments of the weights (and their state)
 * that `rank` does not own, and gives the optimizer state of those weights
 * no storage on this rank (ir_keep_elsewhere: ZeRO stage 1). */
void drv_owners_keep(ir_program *p, const sema_experiment *e, arena *a, const int *owner, int rank);

#endif
