/*
 * fuzz_common.h - what the libFuzzer harnesses of the data-file readers
 * share (fuzz_common.c): the input as a file (the readers take paths), the
 * invariants every failure keeps (a message that names the file) and the
 * conversions every loaded array goes through.
 */
#ifndef DUET_FUZZ_COMMON_H
#define DUET_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "rt_io.h"

/* Writes data [size] to this process's input file and returns its path. */
const char *fuzz_file(const uint8_t *data, size_t size);

/* Aborts (a finding) unless err holds a message starting with "<path>: ". */
void fuzz_check_error(const rt_error *err, const char *path);

/* Checks the array's invariants and converts it to floats, doubles and
 * class ids (a failure must name the array's origin). */
void fuzz_use_array(const rt_array *a);

#endif
