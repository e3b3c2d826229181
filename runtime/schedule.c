/*
 * schedule.c - the learning-rate schedule of an experiment as a number per
 * step: one table of piece shapes, and the split of a run's steps between
 * the pieces of `a >> b >> ...` (see rt_io.h). `duet run` and the programs
 * `duet emit-c` writes both compute it here.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "rt_io.h"

/* Value of a piece at position u in [0, 1) of its span; `to` is the
 * piece's argument (NaN when not given). */
typedef double (*piece_fn)(double u, double to);

static double arg_or(double v, double dflt) { return isnan(v) ? dflt : v; }

static double warmup_shape(double u, double to) {
  (void)to;
  return u;
}

static double constant_shape(double u, double to) {
  (void)u, (void)to;
  return 1;
}

static double linear_shape(double u, double to) {
  to = arg_or(to, 0);
  return 1 - (1 - to) * u;
}

static double cosine_shape(double u, double to) {
  to = arg_or(to, 0);
  return to + (1 - to) * 0.5 * (1 + cos(acos(-1.0) * u));
}

static const struct {
  const char *name;
  piece_fn fn;
} shapes[] = {
    {"warmup", warmup_shape},
    {"constant", constant_shape},
    {"linear_decay", linear_shape},
    {"cosine_decay", cosine_shape},
};

static piece_fn shape_of(const char *name) {
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (strcmp(shapes[i].name, name) == 0)
      return shapes[i].fn;
  return NULL;
}

static int is_warmup(const char *name) { return strcmp(name, "warmup") == 0; }

double rt_schedule_at(const char *const *names, const double *args, int n, long t, long total) {
  double left = (double)total;
  int others = 0;
  for (int i = 0; i < n; i++) {
    if (is_warmup(names[i]))
      left -= args[i];
    else
      others++;
  }
  double share = others && left > 0 ? left / others : 0;
  double start = 0; /* steps before the current piece */
  for (int i = 0; i < n; i++) {
    double len = is_warmup(names[i]) ? args[i] : share;
    piece_fn fn = shape_of(names[i]);
    assert(fn); /* callers pass only pieces of the table */
    if (len <= 0)
      continue;
    if (t <= start + len || i == n - 1) {
      /* warmup reaches 1 at its last step; other pieces start at 1 */
      double u = is_warmup(names[i]) ? (t - start) / len : (t - 1 - start) / len;
      return fn(u < 1 ? u : 1, args[i]);
    }
    start += len;
  }
  return 1;
}
