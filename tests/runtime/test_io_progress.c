/*
 * test_io_progress.c - the progress display: exact status text for given
 * states (rates, ETA, epochs, resumed runs, NaN loss), when plain lines are
 * due, and the exact bytes of bar redraws, messages and the final line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_io.h"
#include "test_io_check.h"

static void check_format(check_ctx *t) {
  FILE *null = fopen("/dev/null", "w");
  rt_progress p;
  char buf[256];
  rt_progress_init(&p, null, RT_PROGRESS_BAR, 200, 1000, 0, 0.0);
  rt_progress_format(&p, buf, sizeof buf, 450, 1, 1.23456, 10.0);
  CHECK_STR(t, buf,
            "[#########...........] step 450/1000 (45%) | loss 1.235 "
            "| 25.0 steps/s | ETA 0:22");
  rt_progress_format(&p, buf, sizeof buf, 200, 1, NAN, 0.0);
  CHECK_STR(t, buf,
            "[####................] step 200/1000 (20%) | loss nan "
            "| - steps/s | ETA ?");
  rt_progress_init(&p, null, RT_PROGRESS_LINES, 0, 100000, 3, 5.0);
  rt_progress_format(&p, buf, sizeof buf, 10, 1, 0.5, 6.0);
  CHECK_STR(t, buf,
            "step 10/100000 (0%) | epoch 1/3 | loss 0.5 | 10.0 "
            "steps/s | ETA 2:46:39");
  rt_progress_init(&p, null, RT_PROGRESS_AUTO, 0, 10, 0, 0.0);
  CHECK(t, p.bar == 0, "a non-terminal got the bar");
  fclose(null);
}

/* One thing the display is given: an update, or a line of text when msg
 * is set. */
typedef struct event {
  long step;
  int epoch;
  double loss, now_s;
  const char *msg;
} event;

/* Feeds n events to a display (mode, total steps and epochs, start time)
 * writing into memory, then ends it. Returns what it wrote (caller frees);
 * shown[] gets '1' or '0' for each update: whether it drew. */
static char *replay(rt_progress_mode mode, long total, int epochs, double start_s, const event *ev,
                    int n, char *shown) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  rt_progress p;
  rt_progress_init(&p, f, mode, 0, total, epochs, start_s);
  for (int i = 0; i < n; i++) {
    if (ev[i].msg)
      rt_progress_message(&p, ev[i].msg);
    else
      *shown++ =
          rt_progress_update(&p, ev[i].step, ev[i].epoch, ev[i].loss, ev[i].now_s) ? '1' : '0';
  }
  *shown = '\0';
  rt_progress_end(&p);
  fclose(f);
  return text;
}

static void check_lines(check_ctx *t) {
  static const event ev[] = {
      {1, 1, 2.5, 100.5, NULL},      /* not due */
      {50, 1, 2.5, 101.0, NULL},     /* every 50 steps */
      {60, 1, 2.0, 140.0, NULL},     /* every 30 s */
      {100, 2, 1.0, 141.0, NULL},    /* not due */
      {1000, 10, 0.25, 200.0, NULL}, /* final */
      {1000, 10, 0.25, 201.0, NULL}, /* already shown */
  };
  char shown[7];
  char *text = replay(RT_PROGRESS_LINES, 1000, 10, 100.0, ev, 6, shown);
  CHECK_STR(t, shown, "011010");
  CHECK_STR(t, text,
            "step 50/1000 (5%) | epoch 1/10 | loss 2.5 | 50.0 steps/s | ETA 0:19\n"
            "step 60/1000 (6%) | epoch 1/10 | loss 2 | 1.5 steps/s | ETA 10:27\n"
            "step 1000/1000 (100%) | epoch 10/10 | loss 0.25 | 10.0 steps/s "
            "| ETA 0:00\n");
  free(text);
}

static void check_bar(check_ctx *t) {
  static const event ev[] = {
      {1, 1, 3.0, 0.05, NULL}, /* first draw */
      {2, 1, 3.0, 0.1, NULL},  /* within 0.1 s */
      {20, 1, 2.0, 0.2, NULL},  {0, 0, 0, 0, "eval: accuracy 0.9"},
      {21, 1, 2.0, 0.21, NULL}, /* redraw after it */
      {40, 1, 1.0, 0.4, NULL},  /* final */
  };
  char shown[6];
  char *text = replay(RT_PROGRESS_BAR, 40, 0, 0.0, ev, 6, shown);
  CHECK_STR(t, shown, "10111");
  CHECK_STR(t, text,
            "\r[....................] step 1/40 (2%) | loss 3 | 20.0 steps/s "
            "| ETA 0:02\033[K"
            "\r[##########..........] step 20/40 (50%) | loss 2 | 100.0 "
            "steps/s | ETA 0:00\033[K"
            "\r\033[Keval: accuracy 0.9\n"
            "\r[##########..........] step 21/40 (52%) | loss 2 | 100.0 "
            "steps/s | ETA 0:00\033[K"
            "\r[####################] step 40/40 (100%) | loss 1 | 100.0 "
            "steps/s | ETA 0:00\033[K\n");
  free(text);
}

int main(void) {
  check_ctx t = {0};
  check_format(&t);
  check_lines(&t);
  check_bar(&t);
  double a = rt_now_s(), b = rt_now_s();
  CHECK(&t, b >= a && a > 0, "clock not monotonic: %f then %f", a, b);
  return check_done(&t, "test_io_progress");
}
