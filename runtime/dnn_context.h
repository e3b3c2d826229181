/*
 * dnn_context.h - what the oneDNN layer's files (dnn_*.c) share: the
 * engine and stream, status checks and the primitive cache (dnn_context.c).
 * Included only by dnn_*.c, inside their DUET_ONEDNN guard.
 */
#ifndef DUET_DNN_CONTEXT_H
#define DUET_DNN_CONTEXT_H

#include <dnnl.h>
#include <stddef.h>

#include "rt_dnn.h"

/* The CPU engine and stream; valid once rt_dnn_ready() returned 1. */
dnnl_engine_t rt_dnn_engine(void);
dnnl_stream_t rt_dnn_stream(void);

/* Aborts with a message naming `what` unless status is dnnl_success: for
 * calls that cannot fail once their primitive exists (execution, memory
 * objects, data handles). */
void rt_dnn_check(dnnl_status_t status, const char *what);

/* The oneDNN type of t. */
dnnl_data_type_t rt_dnn_dtype(rt_dnn_type t);

/* The primitive cache: values keyed by (key bytes, thread count at
 * creation), since oneDNN plans a primitive's work for the thread count of
 * its creation. rt_dnn_cache_find returns 1 and the value if present (a
 * NULL value records a configuration oneDNN does not support), else 0.
 * rt_dnn_cache_put takes ownership of value (destroy frees it; NULL is not
 * destroyed); at RT_DNN_CACHE_MAX entries the cache is emptied first, so a
 * value found is valid until the next put. */
enum { RT_DNN_CACHE_MAX = 4096 };
int rt_dnn_cache_find(const void *key, size_t len, void **value);
void rt_dnn_cache_put(const void *key, size_t len, void *value, void (*destroy)(void *));

/* Records the implementation name of a primitive descriptor (its impl info
 * string) among those rt_dnn_describe_used() lists. */
void rt_dnn_note_impl(const_dnnl_primitive_desc_t pd);

#endif
