/*
 * progress.c - the training progress display on stderr: on a terminal one
 * line redrawn in place that never gets wider than the terminal (fields
 * are dropped by priority as it narrows), otherwise a plain line at every
 * 5% of the run. The text is a function of the struct, the arguments and
 * the time the caller passes in; only the terminal's width is read from
 * the system, at each redraw.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "rt_io.h"

enum {
  BAR_CELLS = 20,       /* the cells between the brackets */
  LINE_PARTS = 20,      /* plain lines: one per 1/20 of the run */
  DEFAULT_COLUMNS = 80, /* a terminal that does not tell its width */
  FIELD_CHARS = 64
};

double rt_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int rt_terminal_columns(FILE *out) {
  struct winsize ws;
  if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *env = getenv("COLUMNS");
  long c = env ? strtol(env, NULL, 10) : 0;
  return c > 0 && c < 100000 ? (int)c : DEFAULT_COLUMNS;
}

void rt_progress_init(rt_progress *p, FILE *out, rt_progress_mode mode, long first_step,
                      long total_steps, long steps_per_epoch, double now_s) {
  *p = (rt_progress){0};
  p->out = out;
  p->bar = mode == RT_PROGRESS_BAR || (mode == RT_PROGRESS_AUTO && isatty(fileno(out)));
  p->total_steps = total_steps;
  p->steps_per_epoch = steps_per_epoch;
  p->first_step = first_step;
  p->start_s = now_s;
  p->bar_interval_s = 0.1;
  p->last_step = first_step;
  p->last_s = now_s;
}

/* "1:02:03" or "2:03" */
static void duration_text(double s, char *buf, size_t cap) {
  long t = (long)(s + 0.5);
  if (t >= 3600)
    snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

/* The fields of the status line, in the order they are shown. */
enum { F_BAR, F_STEP, F_PERCENT, F_EPOCH, F_LOSS, F_RATE, F_ELAPSED, F_ETA, NFIELDS };

/* The order in which fields are dropped as the line narrows; the step is
 * never dropped. */
static const int drop_order[] = {F_BAR, F_RATE, F_EPOCH, F_PERCENT, F_ELAPSED, F_ETA, F_LOSS};

/* The text of every field (with its leading separator) into f; a field
 * that does not apply is empty. */
static void fields(const rt_progress *p, long step, double loss, double now_s,
                   char f[NFIELDS][FIELD_CHARS]) {
  double frac = p->total_steps > 0 ? (double)step / (double)p->total_steps : 1;
  frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
  memset(f, 0, NFIELDS * FIELD_CHARS);
  if (p->bar) {
    int filled = (int)(frac * BAR_CELLS);
    f[F_BAR][0] = '[';
    for (int i = 0; i < BAR_CELLS; i++)
      f[F_BAR][1 + i] = i < filled ? '#' : '.';
    strcpy(f[F_BAR] + 1 + BAR_CELLS, "] ");
  }
  snprintf(f[F_STEP], FIELD_CHARS, "step %ld/%ld", step, p->total_steps);
  snprintf(f[F_PERCENT], FIELD_CHARS, " (%d%%)", (int)(frac * 100));
  if (p->steps_per_epoch > 0) {
    long spe = p->steps_per_epoch, total = p->total_steps;
    if (total % spe == 0)
      snprintf(f[F_EPOCH], FIELD_CHARS, " | epoch %.2f/%ld", (double)step / (double)spe,
               total / spe);
    else
      snprintf(f[F_EPOCH], FIELD_CHARS, " | epoch %.2f/%.2f", (double)step / (double)spe,
               (double)total / (double)spe);
  }
  char num[RT_NUM_CHARS];
  snprintf(f[F_LOSS], FIELD_CHARS, " | loss %s", rt_num_text(num, loss));
  double elapsed = now_s - p->start_s;
  long done = step - p->first_step;
  char eta[32] = "?", took[32];
  duration_text(elapsed > 0 ? elapsed : 0, took, sizeof took);
  snprintf(f[F_ELAPSED], FIELD_CHARS, " | elapsed %s", took);
  if (elapsed > 0 && done > 0) {
    double r = (double)done / elapsed;
    if (r >= 1)
      snprintf(f[F_RATE], FIELD_CHARS, " | %.1f steps/s", r);
    else
      snprintf(f[F_RATE], FIELD_CHARS, " | %.1f s/step", 1 / r);
    duration_text((double)(p->total_steps - step) / r, eta, sizeof eta);
  } else {
    snprintf(f[F_RATE], FIELD_CHARS, " | - steps/s");
  }
  snprintf(f[F_ETA], FIELD_CHARS, " | ETA %s", eta);
}

int rt_progress_format(const rt_progress *p, char *buf, size_t cap, int width, long step,
                       double loss, double now_s) {
  char f[NFIELDS][FIELD_CHARS];
  fields(p, step, loss, now_s, f);
  size_t len = 0;
  for (int i = 0; i < NFIELDS; i++)
    len += strlen(f[i]);
  for (size_t k = 0; width > 0 && len > (size_t)width && k < sizeof drop_order / sizeof *drop_order;
       k++) {
    len -= strlen(f[drop_order[k]]);
    f[drop_order[k]][0] = '\0';
  }
  char line[NFIELDS * FIELD_CHARS] = "";
  for (int i = 0; i < NFIELDS; i++)
    strcat(line, f[i]);
  if (width > 0 && len > (size_t)width)
    line[width] = '\0';
  return snprintf(buf, cap, "%s", line);
}

int rt_progress_update(rt_progress *p, long step, double loss, double now_s) {
  int final = step >= p->total_steps;
  long parts = LINE_PARTS;
  int due = p->bar ? final || !p->bar_visible || now_s - p->last_s >= p->bar_interval_s
                   : step > p->last_step && (final || step * parts / p->total_steps >
                                                          p->last_step * parts / p->total_steps);
  if (!due)
    return 0;
  char text[NFIELDS * FIELD_CHARS];
  if (p->bar) {
    /* one column short of the width: a full line would wrap on some terminals */
    int width = (p->columns > 0 ? p->columns : rt_terminal_columns(p->out)) - 1;
    rt_progress_format(p, text, sizeof text, width > 1 ? width : 1, step, loss, now_s);
    fprintf(p->out, "\r%s\033[K%s", text, final ? "\n" : "");
    p->bar_visible = !final;
  } else {
    rt_progress_format(p, text, sizeof text, 0, step, loss, now_s);
    fprintf(p->out, "%s\n", text);
  }
  fflush(p->out);
  p->last_step = step;
  p->last_s = now_s;
  return 1;
}

void rt_progress_message(rt_progress *p, const char *line) {
  if (p->bar_visible)
    fputs("\r\033[K", p->out);
  p->bar_visible = 0;
  fprintf(p->out, "%s\n", line);
  fflush(p->out);
}

void rt_progress_end(rt_progress *p) {
  if (p->bar_visible)
    fputs("\n", p->out);
  p->bar_visible = 0;
  fflush(p->out);
}
