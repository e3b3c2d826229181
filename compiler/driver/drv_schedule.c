/* drv_schedule.c: the value of an experiment's learning-rate schedule at
 * one step: the runtime's rt_schedule_at (shared with the programs of
 * `duet emit-c`) on the checked pieces (see drv_schedule.h). */
#include "drv_schedule.h"

#include <math.h>
#include <stdlib.h>

#include "rt_io.h"

double drv_schedule_at(const sema_sched_piece *pieces, int n, long t, long total) {
  const char **names = malloc((size_t)(n + 1) * sizeof *names);
  double *args = malloc((size_t)(n + 1) * sizeof *args);
  if (!names || !args)
    abort();
  for (int i = 0; i < n; i++) {
    names[i] = pieces[i].name;
    args[i] = pieces[i].nargs ? pieces[i].args[0] : NAN;
  }
  double v = rt_schedule_at(names, args, n, t, total);
  free(names);
  free(args);
  return v;
}
