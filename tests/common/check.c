/* check.c: the tally shared by the C tests: counting, failure messages,
 * the summary line and the random stream (see check.h). */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

bool check_count(check_ctx *t, bool ok) {
  t->checks++;
  t->failures += !ok;
  return ok;
}

bool check(check_ctx *t, bool ok, const char *fmt, ...) {
  if (!check_count(t, ok) || t->verbose) {
    va_list ap;
    va_start(ap, fmt);
    fputs(ok ? "ok    " : "FAIL  ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
  }
  return ok;
}

bool check_close(check_ctx *t, double got, double want, double tol, const char *what) {
  return check(t, fabs(got - want) <= tol * fmax(1, fabs(want)),
               "%s: expected %.15g, got %.15g (tol %g)", what, want, got, tol);
}

int check_done(const check_ctx *t, const char *name) {
  printf("%s: %d checks, %d failed\n", name, t->checks, t->failures);
  return t->failures ? 1 : 0;
}

double check_uniform(check_ctx *t, double lo, double hi) {
  t->rng ^= t->rng >> 12;
  t->rng ^= t->rng << 25;
  t->rng ^= t->rng >> 27;
  uint64_t r = t->rng * 2685821657736338717ULL;
  return lo + (hi - lo) * (double)(r >> 11) / 9007199254740992.0;
}
