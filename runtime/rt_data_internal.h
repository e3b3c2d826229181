/*
 * rt_data_internal.h - what the data-file readers (idx.c, npy.c, npz.c,
 * csv.c) share beyond rt_io.h, defined in ndarray.c: setting a checked
 * shape, byte order and storage order, and quoting file text in messages.
 */
#ifndef DUET_RT_DATA_INTERNAL_H
#define DUET_RT_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rt_io.h"

/* Sets a->ndim, a->shape and a->count for an array of a->elem whose ndim
 * sizes are dims (0 <= ndim <= RT_ARRAY_MAX_DIMS, checked by the caller).
 * Fails when the data size in bytes does not fit in size_t; the message
 * says "<origin>: byte <at>: <what> ... are too large". */
int rt_array_set_shape(rt_array *a, int ndim, const uint64_t *dims, const char *what, uint64_t at,
                       rt_error *err);

/* Bytes of data: count * rt_elem_size(elem) (never overflows once
 * rt_array_set_shape has succeeded). */
size_t rt_array_bytes(const rt_array *a);

/* Reverses the bytes of each of the count elements of size (1, 2, 4 or 8)
 * bytes at data. */
void rt_swap_bytes(void *data, size_t count, size_t size);

/* Turns column-major data (a->fortran) into row-major: a new block replaces
 * the old one; a->fortran stays set, as messages count offsets in the file's
 * order. */
int rt_array_fortran_to_c(rt_array *a, rt_error *err);

/* Up to 40 bytes of s[0 .. n) as printable text for a message, into
 * out[cap] (cap >= 64): bytes outside printable ASCII, quotes and
 * backslashes as \xNN, "..." when cut. */
void rt_printable(char *out, size_t cap, const void *s, size_t n);

#endif
