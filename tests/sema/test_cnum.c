/* test_cnum.c: compile-time numbers (cnum.h), the arithmetic sema, the
 * elaborator and the module tree share: exact int64 results and their
 * overflow errors, exact comparisons between integers and floats around
 * 2^53 and 2^63, division and the float cases, integrality, and the
 * builtin functions with their domain errors and messages. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cnum.h"

static char msg[160];

static cnum op(cnum_op o, cnum a, cnum b, bool *ok) {
  cnum r = cnum_int(0);
  msg[0] = 0;
  *ok = cnum_arith(o, a, b, &r, msg, sizeof msg);
  return r;
}

static bool is_int(cnum v, int64_t i) { return v.is_int && v.i == i; }

static void test_arith(check_ctx *t) {
  bool ok;
  cnum big = cnum_int(9007199254740993); /* 2^53 + 1 */
  cnum r = op(CNUM_SUB, big, cnum_int(9007199254740992), &ok);
  check(t, ok && is_int(r, 1), "(2^53 + 1) - 2^53 = 1 exactly");
  r = op(CNUM_MUL, cnum_int(3037000499), cnum_int(3037000499), &ok);
  check(t, ok && is_int(r, 9223372030926249001), "3037000499^2 fits");
  op(CNUM_MUL, cnum_int(3037000500), cnum_int(3037000500), &ok);
  check(t, !ok && strcmp(msg, "integer overflow in compile-time arithmetic") == 0,
        "3037000500^2 overflows: '%s'", msg);
  op(CNUM_ADD, cnum_int(INT64_MAX), cnum_int(1), &ok);
  check(t, !ok, "INT64_MAX + 1 overflows");
  op(CNUM_SUB, cnum_int(INT64_MIN), cnum_int(1), &ok);
  check(t, !ok, "INT64_MIN - 1 overflows");
  r = op(CNUM_POW, cnum_int(3), cnum_int(39), &ok);
  check(t, ok && is_int(r, 4052555153018976267), "3^39 exactly");
  r = op(CNUM_POW, cnum_int(-2), cnum_int(63), &ok);
  check(t, ok && is_int(r, INT64_MIN), "(-2)^63 = INT64_MIN fits");
  op(CNUM_POW, cnum_int(2), cnum_int(63), &ok);
  check(t, !ok && strcmp(msg, "integer overflow in 2 ^ 63") == 0, "2^63 overflows: '%s'", msg);
  r = op(CNUM_POW, cnum_int(2), cnum_int(-1), &ok);
  check(t, ok && !r.is_int && r.f == 0.5, "2^-1 = 0.5");
  r = op(CNUM_DIV, cnum_int(1), cnum_int(2), &ok);
  check(t, ok && !r.is_int && r.f == 0.5, "1 / 2 = 0.5 (real division)");
  op(CNUM_DIV, cnum_float(1), cnum_int(0), &ok);
  check(t, !ok && strcmp(msg, "division by zero in a compile-time value") == 0,
        "division by zero: '%s'", msg);
  r = op(CNUM_ADD, cnum_int(1), cnum_float(0.5), &ok);
  check(t, ok && !r.is_int && r.f == 1.5, "1 + 0.5 is a float");
  check(t, !cnum_neg(cnum_int(INT64_MIN), &r, msg, sizeof msg), "-INT64_MIN overflows");
  check(t, cnum_neg(cnum_int(INT64_MAX), &r, msg, sizeof msg) && is_int(r, -INT64_MAX),
        "-INT64_MAX");
}

static void test_compare(check_ctx *t) {
  cnum i53 = cnum_int(9007199254740992), i53p1 = cnum_int(9007199254740993);
  cnum f53 = cnum_float(9007199254740992.0);
  check(t, cnum_compare(i53p1, f53) == 1 && cnum_compare(f53, i53p1) == -1,
        "2^53 + 1 > 2^53 as a float (in double they are equal)");
  check(t, cnum_compare(i53, f53) == 0, "2^53 == 2^53 as a float");
  check(t, cnum_compare(cnum_int(INT64_MAX), cnum_float(9223372036854775808.0)) == -1,
        "INT64_MAX < 2^63 as a float");
  check(t, cnum_compare(cnum_int(INT64_MIN), cnum_float(-9223372036854775808.0)) == 0,
        "INT64_MIN == -2^63 as a float");
  check(t,
        cnum_compare(cnum_int(3), cnum_float(3.5)) == -1 &&
            cnum_compare(cnum_int(-3), cnum_float(-3.5)) == 1,
        "3 < 3.5, -3 > -3.5");
  check(t,
        cnum_compare(cnum_int(1), cnum_float(NAN)) == CNUM_UNORDERED &&
            cnum_compare(cnum_float(NAN), cnum_float(NAN)) == CNUM_UNORDERED,
        "NaN is unordered");
  int64_t v;
  check(t, cnum_integral(cnum_float(9007199254740992.0), &v) && v == 9007199254740992,
        "2^53 as a float is an integer");
  check(t, !cnum_integral(cnum_float(18014398509481984.0), &v), "2^54 as a float is not exact");
  check(t, !cnum_integral(cnum_float(2.5), &v) && cnum_integral(cnum_int(-7), &v) && v == -7,
        "2.5 is not an integer, -7 is");
}

static bool call(cnum_fn f, cnum a, cnum b, cnum *r) {
  cnum args[2] = {a, b};
  msg[0] = 0;
  return cnum_call(f, args, r, msg, sizeof msg);
}

static void test_functions(check_ctx *t) {
  cnum r = cnum_int(0);
  check(t, call(CNUM_FN_FLOOR, cnum_float(-2.5), r, &r) && is_int(r, -3), "floor(-2.5) = -3");
  check(t, call(CNUM_FN_CEIL, cnum_float(1e18 + 0.0), r, &r) && is_int(r, 1000000000000000000),
        "ceil(1e18) is an exact integer");
  check(t,
        !call(CNUM_FN_FLOOR, cnum_float(1e19), r, &r) &&
            strcmp(msg, "floor(1e+19) is too large for an integer") == 0,
        "floor(1e19): '%s'", msg);
  check(t, call(CNUM_FN_ABS, cnum_int(-5), r, &r) && is_int(r, 5), "abs(-5) = 5");
  check(t, !call(CNUM_FN_ABS, cnum_int(INT64_MIN), r, &r), "abs(INT64_MIN) overflows");
  check(t, call(CNUM_FN_MIN, cnum_int(2), cnum_float(3.5), &r) && !r.is_int && r.f == 2,
        "min(2, 3.5) = 2.0");
  check(t,
        call(CNUM_FN_MAX, cnum_int(9007199254740993), cnum_int(9007199254740992), &r) &&
            is_int(r, 9007199254740993),
        "max of integers above 2^53 is exact");
  check(t, !call(CNUM_FN_SQUARE, cnum_int(3037000500), r, &r), "square overflows");
  check(t,
        !call(CNUM_FN_SQRT, cnum_int(-1), r, &r) &&
            strcmp(msg, "square root of a negative number (-1)") == 0,
        "sqrt(-1): '%s'", msg);
  check(t, !call(CNUM_FN_LOG, cnum_int(0), r, &r), "log(0) is an error");
  check(t, call(CNUM_FN_SQRT, cnum_int(16), r, &r) && !r.is_int && r.f == 4, "sqrt(16) = 4.0");
  check(t, call(CNUM_FN_SIGN, cnum_int(-9), r, &r) && is_int(r, -1), "sign(-9) = -1");
  char buf[32];
  check(t,
        strcmp(cnum_format(cnum_int(INT64_MIN), buf, sizeof buf), "-9223372036854775808") == 0 &&
            strcmp(cnum_format(cnum_float(0.1), buf, sizeof buf), "0.1") == 0,
        "formats");
}

int main(void) {
  check_ctx t = {.rng = 1};
  test_arith(&t);
  test_compare(&t);
  test_functions(&t);
  return check_done(&t, "test_cnum");
}
