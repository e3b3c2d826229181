/*
 * test_io_check.h - assertion helpers shared by the runtime I/O tests: a
 * tally of checks, and CHECK, which prints what failed (expected vs got)
 * without stopping the test.
 */
#ifndef DUET_TEST_IO_CHECK_H
#define DUET_TEST_IO_CHECK_H

#include <stdio.h>
#include <string.h>

typedef struct io_tally {
    int checks, failures;
} io_tally;

#define CHECK(t, cond, ...)                                                    \
    do {                                                                       \
        (t)->checks++;                                                         \
        if (!(cond)) {                                                         \
            (t)->failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

/* Checks that got equals expected exactly. */
#define CHECK_STR(t, got, expected)                                            \
    CHECK(t, strcmp((got), (expected)) == 0, "expected \"%s\", got \"%s\"",    \
          (expected), (got))

/* Prints the tally; returns the process exit status. */
static inline int io_tally_report(const io_tally *t, const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t->checks, t->failures);
    return t->failures ? 1 : 0;
}

#endif
