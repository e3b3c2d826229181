/*
 * test_io_progress.c - the progress display: the exact status text at
 * terminal widths 120, 80 and 40 (fields dropped by priority, never wider
 * than the terminal), rates, ETA, fractional epochs, resumed runs and a NaN
 * loss; plain lines at every 5% when the output is not a terminal; the
 * exact bytes of bar redraws, messages and the final line; and the number
 * format of tables (rt_num_text).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_io.h"
#include "test_io_check.h"

/* A bar display of a resumed run: 1000 steps of 351 per epoch, started at
 * step 200 at time 0; status at step 450 after 10 s. */
static void check_widths(check_ctx *t) {
  FILE *null = fopen("/dev/null", "w");
  rt_progress p;
  char buf[512];
  rt_progress_init(&p, null, RT_PROGRESS_BAR, 200, 1000, 351, 0.0);
  rt_progress_format(&p, buf, sizeof buf, 0, 450, 1.23456, 10.0);
  CHECK_STR(t, buf,
            "[#########...........] step 450/1000 (45%) | epoch 1.28/2.85 | loss 1.235 "
            "| 25.0 steps/s | elapsed 0:10 | ETA 0:22");
  /* a terminal of 120 columns: everything fits in 119 */
  rt_progress_format(&p, buf, sizeof buf, 119, 450, 1.23456, 10.0);
  CHECK_STR(t, buf,
            "[#########...........] step 450/1000 (45%) | epoch 1.28/2.85 | loss 1.235 "
            "| 25.0 steps/s | elapsed 0:10 | ETA 0:22");
  /* 80 columns: no bar, no rate */
  rt_progress_format(&p, buf, sizeof buf, 79, 450, 1.23456, 10.0);
  CHECK_STR(t, buf, "step 450/1000 (45%) | epoch 1.28/2.85 | loss 1.235 | elapsed 0:10 | ETA 0:22");
  /* 40 columns: the step, loss and time left */
  rt_progress_format(&p, buf, sizeof buf, 39, 450, 1.23456, 10.0);
  CHECK_STR(t, buf, "step 450/1000 | loss 1.235 | ETA 0:22");
  /* long numbers at 40 columns drop the ETA too */
  rt_progress_init(&p, null, RT_PROGRESS_BAR, 0, 1000000, 0, 0.0);
  rt_progress_format(&p, buf, sizeof buf, 39, 450000, 1.5e-11, 3600.0);
  CHECK_STR(t, buf, "step 450000/1000000 | loss 1.5e-11");
  /* narrower than the step itself: cut */
  rt_progress_format(&p, buf, sizeof buf, 12, 450000, 1.5e-11, 3600.0);
  CHECK_STR(t, buf, "step 450000/");
  /* no rate yet, a NaN loss, whole epochs */
  rt_progress_init(&p, null, RT_PROGRESS_BAR, 200, 1000, 100, 0.0);
  rt_progress_format(&p, buf, sizeof buf, 0, 200, NAN, 0.0);
  CHECK_STR(t, buf,
            "[####................] step 200/1000 (20%) | epoch 2.00/10 | loss nan "
            "| - steps/s | elapsed 0:00 | ETA ?");
  /* plain lines: no bar; slow steps shown as seconds per step */
  rt_progress_init(&p, null, RT_PROGRESS_LINES, 0, 100000, 0, 5.0);
  rt_progress_format(&p, buf, sizeof buf, 0, 10, 0.5, 30.0);
  CHECK_STR(t, buf, "step 10/100000 (0%) | loss 0.5 | 2.5 s/step | elapsed 0:25 | ETA 69:26:15");
  rt_progress_init(&p, null, RT_PROGRESS_AUTO, 0, 10, 0, 0.0);
  CHECK(t, p.bar == 0, "a non-terminal got the bar");
  fclose(null);
}

/* One thing the display is given: an update, or a line of text when msg
 * is set. */
typedef struct event {
  long step;
  double loss, now_s;
  const char *msg;
} event;

/* Feeds n events to a display (mode, columns, total steps, steps per
 * epoch, start time) writing into memory, then ends it. Returns what it
 * wrote (caller frees); shown[] gets '1' or '0' for each update: whether it
 * drew. */
static char *replay(rt_progress_mode mode, int columns, long total, long spe, double start_s,
                    const event *ev, int n, char *shown) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  rt_progress p;
  rt_progress_init(&p, f, mode, 0, total, spe, start_s);
  p.columns = columns;
  for (int i = 0; i < n; i++) {
    if (ev[i].msg)
      rt_progress_message(&p, ev[i].msg);
    else
      *shown++ = rt_progress_update(&p, ev[i].step, ev[i].loss, ev[i].now_s) ? '1' : '0';
  }
  *shown = '\0';
  rt_progress_end(&p);
  fclose(f);
  return text;
}

/* Not a terminal: a line when a multiple of 5% is passed, whatever the
 * time, and at the end. */
static void check_lines(check_ctx *t) {
  static const event ev[] = {
      {1, 2.5, 100.5, NULL},     /* not due */
      {50, 2.5, 101.0, NULL},    /* 5% */
      {60, 2.0, 140.0, NULL},    /* not due, however late */
      {99, 1.5, 141.0, NULL},    /* not due */
      {100, 1.0, 142.0, NULL},   /* 10% */
      {170, 1.0, 143.0, NULL},   /* 17%: passes 15% */
      {1000, 0.25, 200.0, NULL}, /* final */
      {1000, 0.25, 201.0, NULL}, /* already shown */
  };
  char shown[9];
  char *text = replay(RT_PROGRESS_LINES, 0, 1000, 100, 100.0, ev, 8, shown);
  CHECK_STR(t, shown, "01001110");
  CHECK_STR(t, text,
            "step 50/1000 (5%) | epoch 0.50/10 | loss 2.5 | 50.0 steps/s | elapsed 0:01 "
            "| ETA 0:19\n"
            "step 100/1000 (10%) | epoch 1.00/10 | loss 1 | 2.4 steps/s | elapsed 0:42 "
            "| ETA 6:18\n"
            "step 170/1000 (17%) | epoch 1.70/10 | loss 1 | 4.0 steps/s | elapsed 0:43 "
            "| ETA 3:30\n"
            "step 1000/1000 (100%) | epoch 10.00/10 | loss 0.25 | 10.0 steps/s "
            "| elapsed 1:40 | ETA 0:00\n");
  free(text);
  /* every step of a 100-step run: exactly 20 lines */
  event each[100];
  for (int i = 0; i < 100; i++)
    each[i] = (event){i + 1, 1.0, 1.0 + i, NULL};
  char shown100[101];
  text = replay(RT_PROGRESS_LINES, 0, 100, 0, 0.0, each, 100, shown100);
  int lines = 0;
  for (const char *c = text; *c; c++)
    lines += *c == '\n';
  CHECK(t, lines == 20, "20 lines for every 5%%, got %d", lines);
  CHECK(t, !strchr(text, '\r') && !strchr(text, '\033'), "control characters in plain lines");
  free(text);
}

static void check_bar(check_ctx *t) {
  static const event ev[] = {
      {1, 3.0, 0.05, NULL}, /* first draw */
      {2, 3.0, 0.1, NULL},  /* within 0.1 s */
      {20, 2.0, 0.2, NULL},  {0, 0, 0, "eval: accuracy 0.9"},
      {21, 2.0, 0.21, NULL}, /* redraw after it */
      {40, 1.0, 0.4, NULL},  /* final */
  };
  char shown[6];
  char *text = replay(RT_PROGRESS_BAR, 120, 40, 0, 0.0, ev, 6, shown);
  CHECK_STR(t, shown, "10111");
  CHECK_STR(t, text,
            "\r[....................] step 1/40 (2%) | loss 3 | 20.0 steps/s | elapsed 0:00 "
            "| ETA 0:02\033[K"
            "\r[##########..........] step 20/40 (50%) | loss 2 | 100.0 steps/s "
            "| elapsed 0:00 | ETA 0:00\033[K"
            "\r\033[Keval: accuracy 0.9\n"
            "\r[##########..........] step 21/40 (52%) | loss 2 | 100.0 steps/s "
            "| elapsed 0:00 | ETA 0:00\033[K"
            "\r[####################] step 40/40 (100%) | loss 1 | 100.0 steps/s "
            "| elapsed 0:00 | ETA 0:00\033[K\n");
  free(text);
}

/* Every redrawn line of a 40-, 80- and 120-column terminal is narrower
 * than the terminal, at every step of a long run. */
static void check_fits(check_ctx *t) {
  static const int widths[] = {40, 80, 120};
  for (int w = 0; w < 3; w++) {
    event ev[300];
    for (int i = 0; i < 300; i++)
      ev[i] = (event){(i + 1) * 3333L, 1.0 / (i + 1), 1.0 * i, NULL};
    char shown[301];
    char *text = replay(RT_PROGRESS_BAR, widths[w], 999900, 4545, 0.0, ev, 300, shown);
    size_t widest = 0;
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
      char *esc = strstr(line, "\033[K");
      size_t len = esc ? (size_t)(esc - line) : strlen(line);
      widest = len > widest ? len : widest;
    }
    CHECK(t, widest < (size_t)widths[w] && widest > (size_t)widths[w] / 2,
          "%d columns: widest line %zu", widths[w], widest);
    free(text);
  }
}

static void check_numbers(check_ctx *t) {
  static const struct {
    double v;
    const char *text;
  } cases[] = {{2.7e-11, "2.7e-11"},
               {0.9091, "0.9091"},
               {0.07083, "0.07083"},
               {1.23456, "1.235"},
               {12345.6, "1.235e+04"},
               {2340, "2340"},
               {0, "0"},
               {NAN, "nan"},
               {-INFINITY, "-inf"}};
  char buf[RT_NUM_CHARS];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_STR(t, rt_num_text(buf, cases[i].v), cases[i].text);
}

int main(void) {
  check_ctx t = {0};
  check_widths(&t);
  check_lines(&t);
  check_bar(&t);
  check_fits(&t);
  check_numbers(&t);
  double a = rt_now_s(), b = rt_now_s();
  CHECK(&t, b >= a && a > 0, "clock not monotonic: %f then %f", a, b);
  return check_done(&t, "test_io_progress");
}
