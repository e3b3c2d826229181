/* test_schedule.c: the learning-rate schedule of the driver against values
 * computed by hand from its definition (drv_schedule.h): warmup t/n, then
 * the remaining steps shared by the other pieces, decays from 1 towards
 * `to`. */
#include <math.h>

#include "check.h"
#include "drv_schedule.h"

/* Every value of a schedule lies in [0, 1], where check_close's bound is
 * absolute: |got - want| <= 1e-12. */
static void expect(check_ctx *t, const char *what, double got, double want) {
  check_close(t, got, want, 1e-12, what);
}

static sema_sched_piece piece(const char *name, int nargs, double *args) {
  return (sema_sched_piece){.name = name, .nargs = nargs, .args = args};
}

int main(void) {
  check_ctx ctx = {0}, *t = &ctx;
  double w100[] = {100}, w4[] = {4}, none[] = {NAN}, to01[] = {0.1};

  expect(t, "no pieces", drv_schedule_at(NULL, 0, 7, 10), 1);

  sema_sched_piece wl[] = {piece("warmup", 1, w100), piece("linear_decay", 1, none)};
  expect(t, "warmup first step", drv_schedule_at(wl, 2, 1, 1100), 0.01);
  expect(t, "warmup last step", drv_schedule_at(wl, 2, 100, 1100), 1);
  expect(t, "decay first step", drv_schedule_at(wl, 2, 101, 1100), 1);
  expect(t, "decay middle", drv_schedule_at(wl, 2, 600, 1100), 0.501);
  expect(t, "decay last step", drv_schedule_at(wl, 2, 1100, 1100), 0.001);
  expect(t, "run shorter than warmup", drv_schedule_at(wl, 2, 50, 50), 0.5);

  sema_sched_piece lt[] = {piece("linear_decay", 1, to01)};
  expect(t, "linear to 0.1, first", drv_schedule_at(lt, 1, 1, 10), 1);
  expect(t, "linear to 0.1, last", drv_schedule_at(lt, 1, 10, 10), 0.19);

  sema_sched_piece cd[] = {piece("cosine_decay", 1, none)};
  expect(t, "cosine first", drv_schedule_at(cd, 1, 1, 5), 1);
  expect(t, "cosine step 3 of 5", drv_schedule_at(cd, 1, 3, 5), 0.5 * (1 + cos(0.4 * acos(-1.0))));

  sema_sched_piece wcl[] = {piece("warmup", 1, w4), piece("constant", 0, NULL),
                            piece("linear_decay", 1, none)};
  expect(t, "3 pieces: warmup", drv_schedule_at(wcl, 3, 2, 24), 0.5);
  expect(t, "3 pieces: constant start", drv_schedule_at(wcl, 3, 5, 24), 1);
  expect(t, "3 pieces: constant end", drv_schedule_at(wcl, 3, 14, 24), 1);
  expect(t, "3 pieces: decay start", drv_schedule_at(wcl, 3, 15, 24), 1);
  expect(t, "3 pieces: decay last", drv_schedule_at(wcl, 3, 24, 24), 0.1);

  return check_done(t, "test_schedule");
}
