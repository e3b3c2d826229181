/* cnum.h: compile-time numbers, one type and one arithmetic for every phase
 * (sema's evaluator, the elaborator's folding, the module tree's stored
 * values). A number is an exact 64-bit integer or a double:
 *   - + - * and ^ (with an exponent >= 0) of two integers, unary minus,
 *     abs, square, min and max of integers are integers; an integer result
 *     that does not fit in int64 is an overflow error, never a float;
 *   - / always divides as reals (1 / 2 is 0.5); any other operation with a
 *     float operand is computed in double;
 *   - comparisons are exact, also between an integer and a float (2^53 + 1
 *     is greater than 2^53 as a float); NaN compares unequal to everything;
 *   - floor and ceil give integers.
 * Failing operations return false and write the message (the same in every
 * phase: "integer overflow in compile-time arithmetic", ...) into err. */
#ifndef DUET_CNUM_H
#define DUET_CNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cnum {
  bool is_int;
  union {
    int64_t i; /* is_int */
    double f;
  };
} cnum;

static inline cnum cnum_int(int64_t i) { return (cnum){.is_int = true, .i = i}; }
static inline cnum cnum_float(double f) { return (cnum){.is_int = false, .f = f}; }

double cnum_to_double(cnum v);
/* The integer value of an integer, or of an integral float of magnitude at
 * most 2^53 (where floats are exact); false otherwise. */
bool cnum_integral(cnum v, int64_t *out);
/* "3", "-2", or a float as %g ("0.5", "1e+20"). */
const char *cnum_format(cnum v, char *buf, size_t len);

typedef enum cnum_op { CNUM_ADD, CNUM_SUB, CNUM_MUL, CNUM_DIV, CNUM_POW } cnum_op;

bool cnum_arith(cnum_op op, cnum a, cnum b, cnum *out, char *err, size_t errlen);
bool cnum_neg(cnum a, cnum *out, char *err, size_t errlen);

/* The order of a and b: -1, 0 or 1, or CNUM_UNORDERED when one is NaN. */
enum { CNUM_UNORDERED = 2 };
int cnum_compare(cnum a, cnum b);

/* The builtin functions of numbers (their language names in comments). */
typedef enum cnum_fn {
  CNUM_FN_NONE,
  CNUM_FN_SQRT,    /* sqrt: float; a negative number is an error */
  CNUM_FN_EXP,     /* exp */
  CNUM_FN_LOG,     /* log: of a positive number */
  CNUM_FN_ABS,     /* abs */
  CNUM_FN_RSQRT,   /* rsqrt: of a positive number */
  CNUM_FN_TANH,    /* tanh */
  CNUM_FN_SIGMOID, /* sigmoid */
  CNUM_FN_SIGN,    /* sign: -1, 0 or 1 */
  CNUM_FN_RELU,    /* relu: max(x, 0) */
  CNUM_FN_SQUARE,  /* square */
  CNUM_FN_MIN,     /* min(a, b): a when a <= b, else b (as min of tensors) */
  CNUM_FN_MAX,     /* max(a, b): a when a >= b, else b */
  CNUM_FN_FLOOR,   /* floor: an integer */
  CNUM_FN_CEIL     /* ceil: an integer */
} cnum_fn;

/* Arguments a function takes (1 or 2). */
int cnum_fn_arity(cnum_fn f);
/* f(args[0] (, args[1])); the function's language name in messages. */
bool cnum_call(cnum_fn f, const cnum *args, cnum *out, char *err, size_t errlen);

#endif
