/* elab_logits.h: the forward program of a language model, for generating
 * text: the model's weights, one window of tokens per row and one entry
 * that stores the model's logits at every position of every window. */
#ifndef DUET_ELAB_LOGITS_H
#define DUET_ELAB_LOGITS_H

#include "diag.h"
#include "ir.h"
#include "sema.h"

/* Names in the program built below. */
#define ELAB_LOGITS_ENTRY  "logits" /* the entry point */
#define ELAB_LOGITS_TENSOR "logits" /* state tensor [batch, context, vocab] it writes */

/* Builds a program in `dtype` declaring one parameter per model weight (as
 * elab_experiment does, so a checkpoint of the experiment restores them),
 * the token input `x` [batch, context] (and `y`, unused), and the entry
 * ELAB_LOGITS_ENTRY, which writes the model's output for x to the state
 * tensor ELAB_LOGITS_TENSOR (entry outputs are scalars only). The
 * experiment must be a language model: `train` data of token windows
 * (a text source), loss cross_entropy and an output of one row of vocab
 * logits per position. NULL after reporting errors to d. */
ir_program *elab_logits_program(const sema_result *r, const sema_experiment *e, ir_dtype dtype,
                                long long batch, diag_ctx *d);

#endif
