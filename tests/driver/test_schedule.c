/* test_schedule.c: the learning-rate schedule the training host runs
 * (rt_schedule_at) against values computed by hand from its definition
 * (rt_io.h): warmup t/n, then
 * the remaining steps shared by the other pieces, decays from 1 towards
 * `to`. */
#include <math.h>

#include "check.h"
#include "rt_io.h"

/* Every value of a schedule lies in [0, 1], where check_close's bound is
 * absolute: |got - want| <= 1e-12. */
static void expect(check_ctx *t, const char *what, double got, double want) {
  check_close(t, got, want, 1e-12, what);
}

/* One piece of a schedule and its argument (NaN: not given). */
typedef struct sched_piece {
  const char *name;
  double arg;
} sched_piece;

static sched_piece piece(const char *name, int nargs, double *args) {
  return (sched_piece){name, nargs ? args[0] : NAN};
}

/* The schedule of n pieces at step t of total. */
static double schedule_at(const sched_piece *p, int n, long t, long total) {
  const char *names[8];
  double args[8];
  for (int i = 0; i < n; i++) {
    names[i] = p[i].name;
    args[i] = p[i].arg;
  }
  return rt_schedule_at(names, args, n, t, total);
}

int main(void) {
  check_ctx ctx = {0}, *t = &ctx;
  double w100[] = {100}, w4[] = {4}, none[] = {NAN}, to01[] = {0.1};

  expect(t, "no pieces", schedule_at(NULL, 0, 7, 10), 1);

  sched_piece wl[] = {piece("warmup", 1, w100), piece("linear_decay", 1, none)};
  expect(t, "warmup first step", schedule_at(wl, 2, 1, 1100), 0.01);
  expect(t, "warmup last step", schedule_at(wl, 2, 100, 1100), 1);
  expect(t, "decay first step", schedule_at(wl, 2, 101, 1100), 1);
  expect(t, "decay middle", schedule_at(wl, 2, 600, 1100), 0.501);
  expect(t, "decay last step", schedule_at(wl, 2, 1100, 1100), 0.001);
  expect(t, "run shorter than warmup", schedule_at(wl, 2, 50, 50), 0.5);

  sched_piece lt[] = {piece("linear_decay", 1, to01)};
  expect(t, "linear to 0.1, first", schedule_at(lt, 1, 1, 10), 1);
  expect(t, "linear to 0.1, last", schedule_at(lt, 1, 10, 10), 0.19);

  sched_piece cd[] = {piece("cosine_decay", 1, none)};
  expect(t, "cosine first", schedule_at(cd, 1, 1, 5), 1);
  expect(t, "cosine step 3 of 5", schedule_at(cd, 1, 3, 5), 0.5 * (1 + cos(0.4 * acos(-1.0))));

  sched_piece wcl[] = {piece("warmup", 1, w4), piece("constant", 0, NULL),
                       piece("linear_decay", 1, none)};
  expect(t, "3 pieces: warmup", schedule_at(wcl, 3, 2, 24), 0.5);
  expect(t, "3 pieces: constant start", schedule_at(wcl, 3, 5, 24), 1);
  expect(t, "3 pieces: constant end", schedule_at(wcl, 3, 14, 24), 1);
  expect(t, "3 pieces: decay start", schedule_at(wcl, 3, 15, 24), 1);
  expect(t, "3 pieces: decay last", schedule_at(wcl, 3, 24, 24), 0.1);

  return check_done(t, "test_schedule");
}
