/*
 * progress.c - the training progress display on stderr: a bar redrawn in
 * place on a terminal, plain periodic lines otherwise. Everything is a
 * function of the struct, the arguments and the time the caller passes in.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_io.h"

#define BAR_WIDTH 20

double rt_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rt_progress_init(rt_progress *p, FILE *out, rt_progress_mode mode, long first_step,
                      long total_steps, int total_epochs, double now_s) {
  *p = (rt_progress){0};
  p->out = out;
  p->bar = mode == RT_PROGRESS_BAR || (mode == RT_PROGRESS_AUTO && isatty(fileno(out)));
  p->total_steps = total_steps;
  p->total_epochs = total_epochs;
  p->first_step = first_step;
  p->start_s = now_s;
  p->bar_interval_s = 0.1;
  p->line_every_steps = total_steps / 20 > 0 ? total_steps / 20 : 1;
  p->line_every_s = 30;
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

int rt_progress_format(const rt_progress *p, char *buf, size_t cap, long step, int epoch,
                       double loss, double now_s) {
  double frac = p->total_steps > 0 ? (double)step / (double)p->total_steps : 0;
  frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
  char bar[BAR_WIDTH + 4] = "";
  if (p->bar) {
    int filled = (int)(frac * BAR_WIDTH);
    bar[0] = '[';
    for (int i = 0; i < BAR_WIDTH; i++)
      bar[1 + i] = i < filled ? '#' : '.';
    strcpy(bar + 1 + BAR_WIDTH, "] ");
  }
  char ep[48] = "";
  if (p->total_epochs > 0)
    snprintf(ep, sizeof ep, " | epoch %d/%d", epoch, p->total_epochs);
  double elapsed = now_s - p->start_s;
  long done = step - p->first_step;
  char rate[32] = "- steps/s", eta[32] = "?";
  if (elapsed > 0 && done > 0) {
    double r = (double)done / elapsed;
    snprintf(rate, sizeof rate, "%.1f steps/s", r);
    duration_text((double)(p->total_steps - step) / r, eta, sizeof eta);
  }
  return snprintf(buf, cap, "%sstep %ld/%ld (%d%%)%s | loss %.4g | %s | ETA %s", bar, step,
                  p->total_steps, (int)(frac * 100), ep, loss, rate, eta);
}

int rt_progress_update(rt_progress *p, long step, int epoch, double loss, double now_s) {
  int final = step >= p->total_steps;
  int due = p->bar ? final || !p->bar_visible || now_s - p->last_s >= p->bar_interval_s
                   : step > p->last_step && (final || step - p->last_step >= p->line_every_steps ||
                                             now_s - p->last_s >= p->line_every_s);
  if (!due)
    return 0;
  char text[256];
  rt_progress_format(p, text, sizeof text, step, epoch, loss, now_s);
  if (p->bar) {
    fprintf(p->out, "\r%s\033[K%s", text, final ? "\n" : "");
    p->bar_visible = !final;
  } else {
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
