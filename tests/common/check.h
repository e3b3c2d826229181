/* check.h: the tally shared by the C tests. Every check is counted; a
 * failed one is printed with what was expected (a passing one too when the
 * test asks for it), and a summary line gives the exit status. A test's
 * context also carries its deterministic random stream. */
#ifndef DUET_CHECK_H
#define DUET_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* One test program's checks; lives on main()'s stack. */
typedef struct check_ctx {
  int checks, failures;
  bool verbose; /* print passing checks as well */
  uint64_t rng; /* state of check_uniform: any nonzero seed */
} check_ctx;

/* Counts one check (the caller prints); returns ok. */
bool check_count(check_ctx *t, bool ok);
/* Counts one check and prints "FAIL  " and the message (printf format)
 * when it failed, "ok    " and the message when it passed and the test is
 * verbose. Returns ok. */
bool check(check_ctx *t, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* |got - want| <= tol * max(1, |want|); prints both on failure. */
bool check_close(check_ctx *t, double got, double want, double tol, const char *what);
/* Prints "name: N checks, M failed"; the exit status of the test. */
int check_done(const check_ctx *t, const char *name);
/* Uniform in [lo, hi) from the context's stream (xorshift64*). */
double check_uniform(check_ctx *t, double lo, double hi);

#endif
