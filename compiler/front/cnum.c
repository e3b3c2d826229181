/* cnum.c: the arithmetic, comparisons and builtin functions of compile-time
 * numbers (cnum.h), with int64 overflow reported as an error. */
#include "cnum.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define TWO63 9223372036854775808.0 /* 2^63 */
#define TWO53 9007199254740992.0    /* 2^53 */

static bool fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return false;
}

static bool overflow(char *err, size_t errlen) {
  return fail(err, errlen, "integer overflow in compile-time arithmetic");
}

double cnum_to_double(cnum v) { return v.is_int ? (double)v.i : v.f; }

bool cnum_integral(cnum v, int64_t *out) {
  if (v.is_int) {
    *out = v.i;
    return true;
  }
  if (v.f != floor(v.f) || fabs(v.f) > TWO53)
    return false;
  *out = (int64_t)v.f;
  return true;
}

const char *cnum_format(cnum v, char *buf, size_t len) {
  if (v.is_int)
    snprintf(buf, len, "%lld", (long long)v.i);
  else
    snprintf(buf, len, "%g", v.f);
  return buf;
}

/* base ^ ex for ex >= 0 by repeated squaring, reporting overflow. */
static bool int_pow(int64_t base, int64_t ex, cnum *out, char *err, size_t errlen) {
  int64_t r = 1, b = base;
  for (int64_t k = ex; k > 0; k >>= 1) {
    if (((k & 1) && __builtin_mul_overflow(r, b, &r)) ||
        (k > 1 && __builtin_mul_overflow(b, b, &b)))
      return fail(err, errlen, "integer overflow in %lld ^ %lld", (long long)base, (long long)ex);
  }
  *out = cnum_int(r);
  return true;
}

bool cnum_arith(cnum_op op, cnum a, cnum b, cnum *out, char *err, size_t errlen) {
  bool ints = a.is_int && b.is_int;
  double x = cnum_to_double(a), y = cnum_to_double(b);
  int64_t r;
  switch (op) {
  case CNUM_ADD:
  case CNUM_SUB:
  case CNUM_MUL:
    if (ints) {
      bool ovf = op == CNUM_ADD   ? __builtin_add_overflow(a.i, b.i, &r)
                 : op == CNUM_SUB ? __builtin_sub_overflow(a.i, b.i, &r)
                                  : __builtin_mul_overflow(a.i, b.i, &r);
      if (ovf)
        return overflow(err, errlen);
      *out = cnum_int(r);
      return true;
    }
    *out = cnum_float(op == CNUM_ADD ? x + y : op == CNUM_SUB ? x - y : x * y);
    return true;
  case CNUM_DIV:
    if (y == 0)
      return fail(err, errlen, "division by zero in a compile-time value");
    *out = cnum_float(x / y);
    return true;
  case CNUM_POW:
    if (ints && b.i >= 0)
      return int_pow(a.i, b.i, out, err, errlen);
    *out = cnum_float(pow(x, y));
    return true;
  }
  return fail(err, errlen, "unknown operation");
}

bool cnum_neg(cnum a, cnum *out, char *err, size_t errlen) {
  if (!a.is_int) {
    *out = cnum_float(-a.f);
    return true;
  }
  if (a.i == INT64_MIN)
    return overflow(err, errlen);
  *out = cnum_int(-a.i);
  return true;
}

/* An integer against a float, exactly. */
static int compare_int_float(int64_t i, double f) {
  if (isnan(f))
    return CNUM_UNORDERED;
  if (f >= TWO63)
    return -1;
  if (f < -TWO63)
    return 1;
  double fl = floor(f);
  int64_t fi = (int64_t)fl; /* exact: |fl| <= 2^63 and fl is integral */
  if (i != fi)
    return i < fi ? -1 : 1;
  return f > fl ? -1 : 0;
}

int cnum_compare(cnum a, cnum b) {
  if (a.is_int && b.is_int)
    return (a.i > b.i) - (a.i < b.i);
  if (a.is_int)
    return compare_int_float(a.i, b.f);
  if (b.is_int) {
    int c = compare_int_float(b.i, a.f);
    return c == CNUM_UNORDERED ? c : -c;
  }
  if (isnan(a.f) || isnan(b.f))
    return CNUM_UNORDERED;
  return (a.f > b.f) - (a.f < b.f);
}

int cnum_fn_arity(cnum_fn f) { return f == CNUM_FN_MIN || f == CNUM_FN_MAX ? 2 : 1; }

/* floor or ceil of a float as an integer. */
static bool to_int(const char *name, double r, double x, cnum *out, char *err, size_t errlen) {
  if (!(r >= -TWO63 && r < TWO63))
    return fail(err, errlen, "%s(%g) is too large for an integer", name, x);
  *out = cnum_int((int64_t)r);
  return true;
}

bool cnum_call(cnum_fn f, const cnum *args, cnum *out, char *err, size_t errlen) {
  cnum a = args[0];
  double x = cnum_to_double(a);
  switch (f) {
  case CNUM_FN_SQRT:
    if (x < 0)
      return fail(err, errlen, "square root of a negative number (%g)", x);
    *out = cnum_float(sqrt(x));
    return true;
  case CNUM_FN_RSQRT:
    if (!(x > 0))
      return fail(err, errlen, "rsqrt of a number that is not positive (%g)", x);
    *out = cnum_float(1 / sqrt(x));
    return true;
  case CNUM_FN_LOG:
    if (!(x > 0))
      return fail(err, errlen, "logarithm of a number that is not positive (%g)", x);
    *out = cnum_float(log(x));
    return true;
  case CNUM_FN_EXP:
    *out = cnum_float(exp(x));
    return true;
  case CNUM_FN_TANH:
    *out = cnum_float(tanh(x));
    return true;
  case CNUM_FN_SIGMOID:
    *out = cnum_float(1 / (1 + exp(-x)));
    return true;
  case CNUM_FN_ABS:
    if (a.is_int && a.i < 0)
      return cnum_neg(a, out, err, errlen);
    *out = a.is_int ? a : cnum_float(fabs(a.f));
    return true;
  case CNUM_FN_SIGN:
    *out = a.is_int ? cnum_int((a.i > 0) - (a.i < 0)) : cnum_float((x > 0) - (x < 0));
    return true;
  case CNUM_FN_RELU:
    *out = a.is_int ? cnum_int(a.i > 0 ? a.i : 0) : cnum_float(x > 0 ? x : 0);
    return true;
  case CNUM_FN_SQUARE:
    return cnum_arith(CNUM_MUL, a, a, out, err, errlen);
  case CNUM_FN_MIN:
  case CNUM_FN_MAX: {
    int c = cnum_compare(a, args[1]);
    bool first = f == CNUM_FN_MIN ? c == -1 || c == 0 : c == 1 || c == 0;
    cnum r = first ? a : args[1];
    *out = a.is_int && args[1].is_int ? r : cnum_float(cnum_to_double(r));
    return true;
  }
  case CNUM_FN_FLOOR:
  case CNUM_FN_CEIL:
    if (a.is_int) {
      *out = a;
      return true;
    }
    return f == CNUM_FN_FLOOR ? to_int("floor", floor(x), x, out, err, errlen)
                              : to_int("ceil", ceil(x), x, out, err, errlen);
  case CNUM_FN_NONE:
    break;
  }
  return fail(err, errlen, "not a function of numbers");
}
