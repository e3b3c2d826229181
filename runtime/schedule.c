/*
 * schedule.c - the learning-rate schedule of an experiment as a number per
 * step: the value programs of its pieces (compiled from their duet
 * declarations) and the split of a run's steps between the pieces of
 * `a >> b >> ...` (see rt_io.h). `duet run` and the programs `duet emit-c`
 * writes both compute it here.
 */
#include <assert.h>
#include <math.h>

#include "rt_io.h"

static double unary(int op, double a) {
  switch (op) {
  case RT_SCHED_NEG:
    return -a;
  case RT_SCHED_NOT:
    return a == 0;
  case RT_SCHED_SQRT:
    return sqrt(a);
  case RT_SCHED_EXP:
    return exp(a);
  case RT_SCHED_LOG:
    return log(a);
  case RT_SCHED_ABS:
    return fabs(a);
  case RT_SCHED_FLOOR:
    return floor(a);
  case RT_SCHED_CEIL:
    return ceil(a);
  case RT_SCHED_SIN:
    return sin(a);
  case RT_SCHED_COS:
    return cos(a);
  default:
    assert(op == RT_SCHED_TANH);
    return tanh(a);
  }
}

static double binary(int op, double a, double b) {
  switch (op) {
  case RT_SCHED_ADD:
    return a + b;
  case RT_SCHED_SUB:
    return a - b;
  case RT_SCHED_MUL:
    return a * b;
  case RT_SCHED_DIV:
    return a / b;
  case RT_SCHED_POW:
    return pow(a, b);
  case RT_SCHED_MIN:
    return b < a ? b : a;
  case RT_SCHED_MAX:
    return b > a ? b : a;
  case RT_SCHED_LT:
    return a < b;
  case RT_SCHED_LE:
    return a <= b;
  case RT_SCHED_GT:
    return a > b;
  case RT_SCHED_GE:
    return a >= b;
  case RT_SCHED_EQ:
    return a == b;
  case RT_SCHED_NE:
    return a != b;
  case RT_SCHED_AND:
    return a != 0 && b != 0;
  default:
    assert(op == RT_SCHED_OR);
    return a != 0 || b != 0;
  }
}

double rt_sched_eval(const rt_sched_instr *code, int ncode, double t, double total) {
  double st[RT_SCHED_STACK];
  int n = 0;
  for (int i = 0; i < ncode; i++) {
    int op = code[i].op;
    if (op == RT_SCHED_CONST || op == RT_SCHED_T || op == RT_SCHED_TOTAL) {
      assert(n < RT_SCHED_STACK); /* the compiler bounds the depth */
      st[n++] = op == RT_SCHED_CONST ? code[i].imm : op == RT_SCHED_T ? t : total;
    } else if (op == RT_SCHED_SELECT) {
      assert(n >= 3);
      n -= 2;
      st[n - 1] = st[n - 1] != 0 ? st[n] : st[n + 1];
    } else if (op >= RT_SCHED_ADD) {
      assert(n >= 2);
      n--;
      st[n - 1] = binary(op, st[n - 1], st[n]);
    } else {
      assert(n >= 1);
      st[n - 1] = unary(op, st[n - 1]);
    }
  }
  assert(n == 1);
  return st[0];
}

double rt_schedule_at(const rt_sched_piece *p, int n, long t, long total) {
  double left = (double)total;
  int others = 0;
  for (int i = 0; i < n; i++) {
    if (!isnan(p[i].steps))
      left -= p[i].steps;
    else
      others++;
  }
  double share = others && left > 0 ? left / others : 0;
  double start = 0; /* steps before the current piece */
  for (int i = 0; i < n; i++) {
    double len = isnan(p[i].steps) ? share : p[i].steps;
    if (len <= 0)
      continue;
    if (t <= start + len || i == n - 1)
      return rt_sched_eval(p[i].code, p[i].ncode, (double)t - start, len);
    start += len;
  }
  return 1;
}
