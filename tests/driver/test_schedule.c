/* test_schedule.c: the learning-rate schedules of stdlib/optim.duet,
 * compiled by sema into value programs and run by the training host's
 * rt_schedule_at: against values computed by hand from their definitions
 * (warmup t/n, then the remaining steps shared by the other pieces, decays
 * from 1 towards `to`), and bit for bit against the schedules as they were
 * built into the runtime before they were declared in duet (the formulas
 * below, kept as the reference), on every step of many runs; a user's
 * schedule declared in a program, and a schedule's arguments in the
 * provenance text. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "drv_front.h"
#include "rt_io.h"
#include "sema.h"

/* ---- the reference: the runtime's schedules before they were declared ---- */

typedef struct ref_piece {
  const char *name; /* warmup, constant, linear_decay, cosine_decay */
  double arg;       /* NaN: not given */
} ref_piece;

static double arg_or(double v, double dflt) { return isnan(v) ? dflt : v; }

static double ref_shape(const char *name, double u, double to) {
  if (strcmp(name, "warmup") == 0)
    return u;
  if (strcmp(name, "constant") == 0)
    return 1;
  to = arg_or(to, 0);
  if (strcmp(name, "linear_decay") == 0)
    return 1 - (1 - to) * u;
  return to + (1 - to) * 0.5 * (1 + cos(acos(-1.0) * u));
}

static double ref_schedule_at(const ref_piece *p, int n, long t, long total) {
  double left = (double)total;
  int others = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(p[i].name, "warmup") == 0)
      left -= p[i].arg;
    else
      others++;
  }
  double share = others && left > 0 ? left / others : 0;
  double start = 0;
  for (int i = 0; i < n; i++) {
    bool warmup = strcmp(p[i].name, "warmup") == 0;
    double len = warmup ? p[i].arg : share;
    if (len <= 0)
      continue;
    if (t <= start + len || i == n - 1) {
      double u = warmup ? (t - start) / len : (t - 1 - start) / len;
      return ref_shape(p[i].name, u < 1 ? u : 1, p[i].arg);
    }
    start += len;
  }
  return 1;
}

/* ---- the schedules of a program -------------------------------------- */

/* The schedules under test: each one's source text and its reference. */
static const struct {
  const char *text;
  int n;
  ref_piece ref[4];
} cases[] = {
    {"constant", 1, {{"constant", NAN}}},
    {"warmup(100)", 1, {{"warmup", 100}}},
    {"linear_decay", 1, {{"linear_decay", NAN}}},
    {"linear_decay(0.1)", 1, {{"linear_decay", 0.1}}},
    {"cosine_decay", 1, {{"cosine_decay", NAN}}},
    {"cosine_decay(to = 0.05)", 1, {{"cosine_decay", 0.05}}},
    {"warmup(100) >> linear_decay", 2, {{"warmup", 100}, {"linear_decay", NAN}}},
    {"warmup(7) >> cosine_decay(0.1)", 2, {{"warmup", 7}, {"cosine_decay", 0.1}}},
    {"warmup(4) >> constant >> linear_decay",
     3,
     {{"warmup", 4}, {"constant", NAN}, {"linear_decay", NAN}}},
    {"warmup(10) >> cosine_decay(0.2) >> constant >> linear_decay(0.01)",
     4,
     {{"warmup", 10}, {"cosine_decay", 0.2}, {"constant", NAN}, {"linear_decay", 0.01}}},
    {"linear_decay >> warmup(3) >> cosine_decay",
     3,
     {{"linear_decay", NAN}, {"warmup", 3}, {"cosine_decay", NAN}}},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

/* A program with one experiment per case, s<i>, and a user's schedule. */
static char *program_text(void) {
  static char text[8192];
  size_t n = (size_t)snprintf(text, sizeof text,
                              "use std.nn\nuse std.optim\n"
                              "schedule step_down(period: int, factor: float = 0.5) =\n"
                              "  factor ^ floor((t - 1) / period)\n");
  for (int i = 0; i <= NCASES; i++)
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "experiment s%d {\n  data train = clusters(\"train\", d = 4, k = 2)\n"
                          "  model = Linear(4, 2)\n  loss = cross_entropy\n"
                          "  optimizer = SGD\n  schedule = %s\n}\n",
                          i, i < NCASES ? cases[i].text : "warmup(2) >> step_down(3)");
  return text;
}

static double at(const sema_experiment *e, long t, long total) {
  return rt_schedule_at(e->sched, e->nsched, t, total);
}

/* Every step of runs of many lengths, and steps past the end. */
static void identical(check_ctx *t, const sema_experiment *e, int i) {
  static const long totals[] = {1, 2, 3, 7, 10, 11, 50, 99, 100, 101, 103, 1000, 1001, 4097};
  long bad = 0, n = 0, first_t = 0, first_total = 0;
  double got = 0, want = 0;
  for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++)
    for (long s = 1; s <= totals[k] + 3; s++, n++) {
      double g = at(e, s, totals[k]), w = ref_schedule_at(cases[i].ref, cases[i].n, s, totals[k]);
      if (memcmp(&g, &w, sizeof g) != 0 && bad++ == 0) {
        first_t = s, first_total = totals[k];
        got = g, want = w;
      }
    }
  check(t, bad == 0,
        "%s: %ld of %ld values differ from the reference (first: step %ld of %ld, %.17g "
        "instead of %.17g)",
        cases[i].text, bad, n, first_t, first_total, got, want);
}

static void expect(check_ctx *t, const char *what, double got, double want) {
  check_close(t, got, want, 1e-12, what);
}

int main(int argc, char **argv) {
  check_ctx ctx = {0}, *t = &ctx;
  if (argc != 2) {
    fprintf(stderr, "usage: test_schedule STDLIB_DIR\n");
    return 2;
  }
  const char *text = program_text();
  drv_unit u;
  if (!drv_load_string(&u, "schedules.duet", text, strlen(text), argv[1])) {
    diag_print(u.diag, stderr);
    return 1;
  }
  const sema_result *r = u.sema;
  check(t, r->nexperiments == NCASES + 1, "one experiment per case");
  for (int i = 0; i < NCASES; i++)
    identical(t, r->experiments[i], i);

  /* by hand */
  const sema_experiment *wl = r->experiments[6], *lt = r->experiments[3], *cd = r->experiments[4];
  const sema_experiment *wcl = r->experiments[8], *user = r->experiments[NCASES];
  expect(t, "warmup first step", at(wl, 1, 1100), 0.01);
  expect(t, "warmup last step", at(wl, 100, 1100), 1);
  expect(t, "decay first step", at(wl, 101, 1100), 1);
  expect(t, "decay middle", at(wl, 600, 1100), 0.501);
  expect(t, "decay last step", at(wl, 1100, 1100), 0.001);
  expect(t, "run shorter than warmup", at(wl, 50, 50), 0.5);
  expect(t, "linear to 0.1, first", at(lt, 1, 10), 1);
  expect(t, "linear to 0.1, last", at(lt, 10, 10), 0.19);
  expect(t, "cosine first", at(cd, 1, 5), 1);
  expect(t, "cosine step 3 of 5", at(cd, 3, 5), 0.5 * (1 + cos(0.4 * acos(-1.0))));
  expect(t, "3 pieces: warmup", at(wcl, 2, 24), 0.5);
  expect(t, "3 pieces: constant start", at(wcl, 5, 24), 1);
  expect(t, "3 pieces: constant end", at(wcl, 14, 24), 1);
  expect(t, "3 pieces: decay start", at(wcl, 15, 24), 1);
  expect(t, "3 pieces: decay last", at(wcl, 24, 24), 0.1);
  expect(t, "no pieces", rt_schedule_at(NULL, 0, 7, 10), 1);
  /* warmup(2) >> step_down(3): halved every 3 steps after the warmup */
  double want[] = {0.5, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25};
  for (int s = 1; s <= 9; s++) {
    char what[64];
    snprintf(what, sizeof what, "a user's step_down, step %d", s);
    expect(t, what, at(user, s, 20), want[s - 1]);
  }
  check(t,
        strcmp(user->sched[1].text, "step_down(3)") == 0 && isnan(user->sched[1].steps) &&
            user->sched[0].steps == 2,
        "the pieces as written, with their lengths");
  drv_unit_free(&u);
  return check_done(t, "test_schedule");
}
