/*
 * svgplot.c - multi-series line plots as standalone SVG (loss curves,
 * optimizer comparisons, singular values over steps): "nice" linear or
 * logarithmic axes with ticks, grid, labels, a title and a legend.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rt_io_internal.h"

#define MAX_TICKS     32
#define MARGIN_LEFT   72
#define MARGIN_RIGHT  24
#define MARGIN_TOP    40
#define MARGIN_BOTTOM 56

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

/* One axis: its range (in log10 units for a log axis) and tick values. */
typedef struct axis {
  int log;
  double lo, hi;
  double ticks[MAX_TICKS]; /* data units */
  int nticks;
  int decimals; /* for linear tick labels; -1: %g */
} axis;

/* The plot area in pixels and the two axes. */
typedef struct frame {
  double x0, x1, y0, y1; /* left, right, top, bottom */
  axis xa, ya;
} frame;

static int usable(const axis *a, double v) { return isfinite(v) && (!a->log || v > 0); }

/* 1, 2 or 5 times a power of ten, close to raw. */
static double nice_step(double raw, int *decimals) {
  double e = floor(log10(raw));
  double base = pow(10, e), f = raw / base;
  double m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  if (m == 10) {
    m = 1;
    e += 1;
    base *= 10;
  }
  *decimals = e < 0 ? (int)-e : 0;
  return m * base;
}

static void linear_axis(axis *a, double lo, double hi) {
  if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi))) {
    double pad = lo != 0 ? 0.5 * fabs(lo) : 1;
    lo -= pad;
    hi += pad;
  }
  int decimals;
  double step = nice_step((hi - lo) / 5, &decimals);
  a->lo = floor(lo / step) * step;
  a->hi = ceil(hi / step) * step;
  a->decimals = step < 1e-4 || fmax(fabs(a->lo), fabs(a->hi)) >= 1e6 ? -1 : decimals;
  a->nticks = 0;
  for (int i = 0; i < MAX_TICKS && a->lo + i * step <= a->hi + 0.5 * step; i++) {
    double t = a->lo + i * step;
    a->ticks[a->nticks++] = fabs(t) < 1e-9 * step ? 0 : t;
  }
}

static void log_axis(axis *a, double lo, double hi) {
  a->lo = floor(log10(lo));
  a->hi = ceil(log10(hi));
  if (a->hi <= a->lo)
    a->hi = a->lo + 1;
  a->decimals = -1;
  a->nticks = 0;
  double decades = a->hi - a->lo;
  int minor = decades <= 2;          /* label 2x and 5x on short ranges */
  double stride = ceil(decades / 8); /* at most about 8 decade labels */
  for (double e = a->lo; e <= a->hi && a->nticks < MAX_TICKS; e += stride)
    for (int m = 1; m <= 5 && a->nticks < MAX_TICKS; m++)
      if (m == 1 || (minor && (m == 2 || m == 5) && e < a->hi))
        a->ticks[a->nticks++] = m * pow(10, e);
}

/* Range of the usable coordinates of every series along one axis. */
static void data_range(const rt_series *s, size_t ns, int want_y, const axis *xa, const axis *ya,
                       double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t k = 0; k < ns; k++)
    for (size_t i = 0; i < s[k].n; i++) {
      if (!usable(xa, s[k].x[i]) || !usable(ya, s[k].y[i]))
        continue;
      double v = want_y ? s[k].y[i] : s[k].x[i];
      *lo = fmin(*lo, v);
      *hi = fmax(*hi, v);
    }
}

static double to_px(const axis *a, double v, double p0, double p1) {
  double t = a->log ? log10(v) : v;
  return p0 + (t - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

static double px_x(const frame *f, double x) { return to_px(&f->xa, x, f->x0, f->x1); }

static double px_y(const frame *f, double y) { return to_px(&f->ya, y, f->y1, f->y0); }

/* Text content or attribute value, escaped for XML. */
static void put_text(rt_strbuf *sb, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '&':
      rt_sb_puts(sb, "&amp;");
      break;
    case '<':
      rt_sb_puts(sb, "&lt;");
      break;
    case '>':
      rt_sb_puts(sb, "&gt;");
      break;
    case '"':
      rt_sb_puts(sb, "&quot;");
      break;
    default:
      /* control characters are not allowed in XML 1.0 */
      rt_sb_append(sb, *p < 0x20 ? "?" : (const char *)p, 1);
    }
  }
}

static void tick_label(const axis *a, double v, char *buf, size_t cap) {
  if (a->decimals < 0)
    snprintf(buf, cap, "%g", v);
  else
    snprintf(buf, cap, "%.*f", a->decimals, v);
}

static void put_axes(rt_strbuf *sb, const frame *f, const rt_plot_opts *o, int width, int height) {
  char label[64];
  for (int i = 0; i < f->xa.nticks; i++) {
    double x = px_x(f, f->xa.ticks[i]);
    tick_label(&f->xa, f->xa.ticks[i], label, sizeof label);
    rt_sb_printf(sb,
                 "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" "
                 "x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
                 x, f->y0, x, f->y1);
    rt_sb_printf(sb,
                 "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" "
                 "text-anchor=\"middle\">%s</text>\n",
                 x, f->y1 + 16, label);
  }
  for (int i = 0; i < f->ya.nticks; i++) {
    double y = px_y(f, f->ya.ticks[i]);
    tick_label(&f->ya, f->ya.ticks[i], label, sizeof label);
    rt_sb_printf(sb,
                 "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" "
                 "x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
                 f->x0, y, f->x1, y);
    rt_sb_printf(sb,
                 "<text class=\"ytick\" x=\"%.2f\" y=\"%.2f\" "
                 "text-anchor=\"end\">%s</text>\n",
                 f->x0 - 6, y + 4, label);
  }
  rt_sb_printf(sb,
               "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
               "height=\"%.2f\" fill=\"none\" stroke=\"#333\"/>\n",
               f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
  if (o->title) {
    rt_sb_printf(sb,
                 "<text class=\"title\" x=\"%.2f\" y=\"24\" "
                 "text-anchor=\"middle\" font-size=\"15\">",
                 width / 2.0);
    put_text(sb, o->title);
    rt_sb_puts(sb, "</text>\n");
  }
  if (o->xlabel) {
    rt_sb_printf(sb,
                 "<text class=\"xlabel\" x=\"%.2f\" y=\"%d\" "
                 "text-anchor=\"middle\">",
                 (f->x0 + f->x1) / 2, height - 12);
    put_text(sb, o->xlabel);
    rt_sb_puts(sb, "</text>\n");
  }
  if (o->ylabel) {
    double cy = (f->y0 + f->y1) / 2;
    rt_sb_printf(sb,
                 "<text class=\"ylabel\" x=\"16\" y=\"%.2f\" "
                 "text-anchor=\"middle\" transform=\"rotate(-90 16 %.2f)\">",
                 cy, cy);
    put_text(sb, o->ylabel);
    rt_sb_puts(sb, "</text>\n");
  }
}

/* Polylines through the usable points, broken where points are skipped; an
 * isolated point is drawn as a dot. */
static void put_series(rt_strbuf *sb, const frame *f, const rt_series *s, const char *color) {
  size_t i = 0;
  while (i < s->n) {
    while (i < s->n && !(usable(&f->xa, s->x[i]) && usable(&f->ya, s->y[i])))
      i++;
    size_t start = i;
    while (i < s->n && usable(&f->xa, s->x[i]) && usable(&f->ya, s->y[i]))
      i++;
    if (i - start == 1) {
      rt_sb_printf(sb,
                   "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2\" "
                   "fill=\"%s\"/>\n",
                   px_x(f, s->x[start]), px_y(f, s->y[start]), color);
    } else if (i > start) {
      rt_sb_printf(sb,
                   "<polyline fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"1.5\" points=\"",
                   color);
      for (size_t j = start; j < i; j++)
        rt_sb_printf(sb, "%s%.2f,%.2f", j > start ? " " : "", px_x(f, s->x[j]), px_y(f, s->y[j]));
      rt_sb_puts(sb, "\"/>\n");
    }
  }
}

static void put_legend(rt_strbuf *sb, const frame *f, const rt_series *s, size_t ns) {
  size_t longest = 0;
  for (size_t k = 0; k < ns; k++) {
    size_t len = strlen(s[k].name ? s[k].name : "");
    longest = len > longest ? len : longest;
  }
  double w = 40 + 7.0 * (double)longest, h = 8 + 18.0 * (double)ns;
  double x = f->x1 - w - 8, y = f->y0 + 8;
  rt_sb_printf(sb,
               "<g class=\"legend\">\n<rect x=\"%.2f\" y=\"%.2f\" "
               "width=\"%.2f\" height=\"%.2f\" fill=\"white\" "
               "fill-opacity=\"0.85\" stroke=\"#999\"/>\n",
               x, y, w, h);
  for (size_t k = 0; k < ns; k++) {
    double ly = y + 17 + 18.0 * (double)k;
    const char *color = palette[k % PALETTE_SIZE];
    rt_sb_printf(sb,
                 "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
                 "y2=\"%.2f\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                 x + 6, ly - 4, x + 30, ly - 4, color);
    rt_sb_printf(sb, "<text x=\"%.2f\" y=\"%.2f\">", x + 36, ly);
    put_text(sb, s[k].name ? s[k].name : "");
    rt_sb_puts(sb, "</text>\n");
  }
  rt_sb_puts(sb, "</g>\n");
}

static void render(rt_strbuf *sb, const rt_plot_opts *o, const rt_series *s, size_t ns) {
  int width = o->width > 0 ? o->width : 720;
  int height = o->height > 0 ? o->height : 450;
  frame f = {.x0 = MARGIN_LEFT,
             .x1 = width - MARGIN_RIGHT,
             .y0 = MARGIN_TOP,
             .y1 = height - MARGIN_BOTTOM};
  f.ya.log = o->log_y;
  double lo, hi;
  data_range(s, ns, 0, &f.xa, &f.ya, &lo, &hi);
  if (lo > hi) { /* nothing to draw */
    lo = 0;
    hi = 1;
  }
  linear_axis(&f.xa, lo, hi);
  data_range(s, ns, 1, &f.xa, &f.ya, &lo, &hi);
  if (lo > hi) {
    lo = 1;
    hi = o->log_y ? 10 : 2;
  }
  if (o->log_y)
    log_axis(&f.ya, lo, hi);
  else
    linear_axis(&f.ya, lo, hi);

  rt_sb_printf(sb,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"%d\" height=\"%d\" "
               "fill=\"white\"/>\n",
               width, height, width, height, width, height);
  put_axes(sb, &f, o, width, height);
  rt_sb_printf(sb,
               "<defs><clipPath id=\"plot-area\"><rect x=\"%.2f\" "
               "y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/></clipPath></defs>\n"
               "<g class=\"series\" clip-path=\"url(#plot-area)\">\n",
               f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0);
  for (size_t k = 0; k < ns; k++)
    put_series(sb, &f, &s[k], palette[k % PALETTE_SIZE]);
  rt_sb_puts(sb, "</g>\n");
  if (ns > 0)
    put_legend(sb, &f, s, ns);
  rt_sb_puts(sb, "</svg>\n");
}

int rt_svg_plot(const char *path, const rt_plot_opts *opts, const rt_series *series, size_t nseries,
                rt_error *err) {
  rt_strbuf sb = {0};
  render(&sb, opts, series, nseries);
  int rc;
  if (sb.oom) {
    rt_error_set(err, "%s: out of memory", path);
    rc = -1;
  } else {
    rt_chunk c = {sb.data, sb.len};
    rc = rt_write_atomic(path, &c, 1, err);
  }
  rt_sb_free(&sb);
  return rc;
}

int rt_svg_loss_plot(const char *path, const rt_series *series, size_t nseries, int log_y,
                     rt_error *err) {
  rt_plot_opts o = {.title = "loss", .xlabel = "step", .ylabel = "loss", .log_y = log_y};
  return rt_svg_plot(path, &o, series, nseries, err);
}
