/*
 * test_io_check.h - assertion helpers shared by the runtime I/O tests:
 * CHECK, which counts a check in the test's tally (check.h) and prints
 * where and what failed (expected vs got) without stopping the test.
 */
#ifndef DUET_TEST_IO_CHECK_H
#define DUET_TEST_IO_CHECK_H

#include <stdio.h>
#include <string.h>

#include "check.h"

#define CHECK(t, cond, ...)                                           \
  do {                                                                \
    if (!check_count((t), (cond))) {                                  \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fputc('\n', stderr);                                            \
    }                                                                 \
  } while (0)

/* Checks that got equals expected exactly. */
#define CHECK_STR(t, got, expected) \
  CHECK(t, strcmp((got), (expected)) == 0, "expected \"%s\", got \"%s\"", (expected), (got))

#endif
