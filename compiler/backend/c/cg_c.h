/*
 * cg_c.h - the C back end: a kernel program printed as one readable C11
 * translation unit that computes, instruction for instruction, what the
 * LLVM back end computes (same loop order, the reduction lanes of kp.h, the
 * scalar operations of kp_math.h), so both give the same bits when the C is
 * compiled without floating-point contraction.
 *
 * The unit includes "kp_math.h" and "rt_kernels.h" and defines, all static:
 *  - KP_ARENA_BYTES, KP_PERSISTENT_BYTES, KP_NTENSORS, KP_NINPUTS,
 *    KP_NSCALARS, KP_NENTRIES, and one macro per persistent tensor giving
 *    its byte offset (OFF_<name>, the name with non-identifier characters
 *    replaced), commented with the tensor's name and shape;
 *  - one function per entry point with the ABI of kp.h, named after the
 *    entry, which first evaluates the entry's derived scalars (kp.h) in
 *    double, as kp_derive_scalars does for the JIT, then runs every
 *    instruction, commented by what it computes (IR operation and module
 *    path); fused loops are functions of their own
 *    (<entry>_k<i>) with restrict pointers where the accesses cannot
 *    overlap;
 *  - for an entry with a cross-entropy or a count of correct predictions
 *    (rt_softmax_xent_fwd, rt_count_correct), a function <entry>_scores
 *    running its instructions up to the first of them, after which the class
 *    scores [rows, classes] are at arena offset kp_entries[i].scores_off (the
 *    entry itself calls it first);
 *  - the tables kp_tensors[], kp_inputs[], kp_scalar_names[], kp_entries[]
 *    of the types kp_tensor_info, kp_input_info, kp_entry_info it declares.
 */
#ifndef DUET_CG_C_H
#define DUET_CG_C_H

#include <stddef.h>
#include <stdio.h>

#include "kp.h"

/* Writes the unit to out. Returns 0, or -1 with a message in err when a
 * write fails. */
int cg_c_emit(const kp_program *kp, FILE *out, char *err, size_t errlen);

#endif
