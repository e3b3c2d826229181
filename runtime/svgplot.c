/*
 * svgplot.c - multi-series line plots as standalone SVG (loss curves,
 * optimizer comparisons, singular values over steps): "nice" linear or
 * logarithmic axes with ticks, grid, labels and a title, lines in colors and
 * dash patterns, shaded bands, and a legend to the right of the plot area.
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
#define LEGEND_GAP    16 /* between the plot area and the legend */
#define LEGEND_CHARS  48 /* longer legend names are cut */
#define LEGEND_ROW    18
#define CHAR_WIDTH    7.0 /* of the 12-pixel font, for sizing the legend */
#define AUTO_LOG_SPAN 100 /* RT_SCALE_AUTO: log when max / min exceeds this */

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])
#define GRAY         "#555555"

/* stroke-dasharray of the dash styles 1, 2, 3 (0 is solid) */
static const char *const dashes[] = {"6 4", "2 3", "8 3 2 3"};
#define NDASHES (sizeof dashes / sizeof dashes[0])

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

/* Whether point i of a series can be drawn, and its band when it has one. */
static int point_ok(const axis *xa, const axis *ya, const rt_series *s, size_t i) {
  return usable(xa, s->x[i]) && usable(ya, s->y[i]) &&
         (!s->lo || (usable(ya, s->lo[i]) && usable(ya, s->hi[i])));
}

/* Range of the usable coordinates of every series (bands included) along
 * one axis. */
static void data_range(const rt_series *s, size_t ns, int want_y, const axis *xa, const axis *ya,
                       double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t k = 0; k < ns; k++)
    for (size_t i = 0; i < s[k].n; i++) {
      if (!point_ok(xa, ya, &s[k], i))
        continue;
      double v = want_y ? s[k].y[i] : s[k].x[i];
      double a = want_y && s[k].lo ? s[k].lo[i] : v, b = want_y && s[k].hi ? s[k].hi[i] : v;
      *lo = fmin(*lo, fmin(v, a));
      *hi = fmax(*hi, fmax(v, b));
    }
}

/* RT_SCALE_AUTO: log when every finite y is positive and they span more
 * than AUTO_LOG_SPAN. */
static int auto_log(const rt_series *s, size_t ns) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < ns; k++)
    for (size_t i = 0; i < s[k].n; i++)
      for (int b = 0; b < 3; b++) {
        const double *v = b == 0 ? s[k].y : b == 1 ? s[k].lo : s[k].hi;
        if (!v || !isfinite(v[i]))
          continue;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
      }
  return lo > 0 && hi / lo > AUTO_LOG_SPAN;
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

static const char *color_of(const rt_series *s, size_t position) {
  if (s->color == RT_COLOR_GRAY)
    return GRAY;
  return palette[(s->color > 0 ? (size_t)s->color - 1 : position) % PALETTE_SIZE];
}

/* ' stroke-dasharray="..."' for a dashed style, else nothing. */
static void put_dash(rt_strbuf *sb, int dash) {
  if (dash > 0)
    rt_sb_printf(sb, " stroke-dasharray=\"%s\"", dashes[(size_t)(dash - 1) % NDASHES]);
}

/* The runs of drawable points: [*start, *end) from i on; false when none. */
static int next_run(const frame *f, const rt_series *s, size_t *i, size_t *start, size_t *end) {
  while (*i < s->n && !point_ok(&f->xa, &f->ya, s, *i))
    (*i)++;
  *start = *i;
  while (*i < s->n && point_ok(&f->xa, &f->ya, s, *i))
    (*i)++;
  *end = *i;
  return *end > *start;
}

/* The band of a series as a filled polygon per run of drawable points:
 * along hi, then back along lo. */
static void put_band(rt_strbuf *sb, const frame *f, const rt_series *s, const char *color) {
  size_t i = 0, start, end;
  while (s->lo && next_run(f, s, &i, &start, &end)) {
    rt_sb_printf(sb, "<polygon class=\"band\" fill=\"%s\" fill-opacity=\"0.2\" points=\"", color);
    for (size_t j = start; j < end; j++)
      rt_sb_printf(sb, "%.2f,%.2f ", px_x(f, s->x[j]), px_y(f, s->hi[j]));
    for (size_t j = end; j-- > start;)
      rt_sb_printf(sb, "%.2f,%.2f%s", px_x(f, s->x[j]), px_y(f, s->lo[j]), j > start ? " " : "");
    rt_sb_puts(sb, "\"/>\n");
  }
}

/* Polylines through the usable points, broken where points are skipped; an
 * isolated point is drawn as a dot. */
static void put_series(rt_strbuf *sb, const frame *f, const rt_series *s, const char *color) {
  size_t i = 0, start, end;
  while (next_run(f, s, &i, &start, &end)) {
    if (end - start == 1) {
      rt_sb_printf(sb, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2\" fill=\"%s\"/>\n",
                   px_x(f, s->x[start]), px_y(f, s->y[start]), color);
      continue;
    }
    rt_sb_printf(sb, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"", color);
    put_dash(sb, s->dash);
    rt_sb_puts(sb, " points=\"");
    for (size_t j = start; j < end; j++)
      rt_sb_printf(sb, "%s%.2f,%.2f", j > start ? " " : "", px_x(f, s->x[j]), px_y(f, s->y[j]));
    rt_sb_puts(sb, "\"/>\n");
  }
}

/* Characters of a legend name as shown (cut to LEGEND_CHARS). */
static size_t shown_chars(const char *name) {
  size_t n = strlen(name);
  return n > LEGEND_CHARS ? LEGEND_CHARS : n;
}

static size_t legend_rows(const rt_series *s, size_t ns) {
  size_t rows = 0;
  for (size_t k = 0; k < ns; k++)
    rows += s[k].name != NULL;
  return rows;
}

static double legend_width(const rt_series *s, size_t ns) {
  size_t longest = 0;
  for (size_t k = 0; k < ns; k++)
    if (s[k].name && shown_chars(s[k].name) > longest)
      longest = shown_chars(s[k].name);
  return legend_rows(s, ns) ? 40 + CHAR_WIDTH * (double)longest : 0;
}

/* The legend right of the plot area: a sample of each named series' line
 * (and band) and its name. */
static void put_legend(rt_strbuf *sb, const frame *f, const rt_series *s, size_t ns) {
  double w = legend_width(s, ns), h = 8 + LEGEND_ROW * (double)legend_rows(s, ns);
  double x = f->x1 + LEGEND_GAP, y = f->y0;
  rt_sb_printf(sb,
               "<g class=\"legend\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
               "fill=\"white\" stroke=\"#999\"/>\n",
               x, y, w, h);
  double ly = y + 17;
  for (size_t k = 0; k < ns; k++) {
    if (!s[k].name)
      continue;
    const char *color = color_of(&s[k], k);
    if (s[k].lo)
      rt_sb_printf(sb,
                   "<rect x=\"%.2f\" y=\"%.2f\" width=\"24\" height=\"10\" fill=\"%s\" "
                   "fill-opacity=\"0.2\"/>\n",
                   x + 6, ly - 9, color);
    rt_sb_printf(sb,
                 "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
                 "stroke-width=\"2\"",
                 x + 6, ly - 4, x + 30, ly - 4, color);
    put_dash(sb, s[k].dash);
    rt_sb_printf(sb, "/>\n<text x=\"%.2f\" y=\"%.2f\">", x + 36, ly);
    size_t n = shown_chars(s[k].name);
    char name[LEGEND_CHARS + 1];
    memcpy(name, s[k].name, n);
    name[n] = '\0';
    if (n < strlen(s[k].name))
      memcpy(name + n - 3, "...", 3);
    put_text(sb, name);
    rt_sb_puts(sb, "</text>\n");
    ly += LEGEND_ROW;
  }
  rt_sb_puts(sb, "</g>\n");
}

static void render(rt_strbuf *sb, const rt_plot_opts *o, const rt_series *s, size_t ns) {
  int plot_w = o->width > 0 ? o->width : 720;
  int height = o->height > 0 ? o->height : 450;
  double legend_w = legend_width(s, ns);
  double legend_h = 8 + LEGEND_ROW * (double)legend_rows(s, ns) + MARGIN_TOP + 8;
  if (legend_h > height)
    height = (int)ceil(legend_h);
  int width = plot_w + (legend_w > 0 ? (int)ceil(legend_w) + LEGEND_GAP : 0);
  frame f = {.x0 = MARGIN_LEFT,
             .x1 = plot_w - MARGIN_RIGHT,
             .y0 = MARGIN_TOP,
             .y1 = height - MARGIN_BOTTOM};
  f.xa.log = o->log_x;
  f.ya.log = o->y_scale == RT_SCALE_LOG || (o->y_scale == RT_SCALE_AUTO && auto_log(s, ns));
  double lo, hi;
  data_range(s, ns, 0, &f.xa, &f.ya, &lo, &hi);
  if (lo > hi) { /* nothing to draw */
    lo = 1;
    hi = f.xa.log ? 10 : 2;
  }
  if (f.xa.log)
    log_axis(&f.xa, lo, hi);
  else
    linear_axis(&f.xa, lo, hi);
  data_range(s, ns, 1, &f.xa, &f.ya, &lo, &hi);
  if (lo > hi) {
    lo = 1;
    hi = f.ya.log ? 10 : 2;
  }
  if (f.ya.log)
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
  put_axes(sb, &f, o, plot_w, height);
  rt_sb_printf(sb,
               "<defs><clipPath id=\"plot-area\"><rect x=\"%.2f\" "
               "y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/></clipPath></defs>\n"
               "<g class=\"series\" clip-path=\"url(#plot-area)\">\n",
               f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0);
  for (size_t k = 0; k < ns; k++) /* bands under every line */
    put_band(sb, &f, &s[k], color_of(&s[k], k));
  for (size_t k = 0; k < ns; k++)
    put_series(sb, &f, &s[k], color_of(&s[k], k));
  rt_sb_puts(sb, "</g>\n");
  if (legend_w > 0)
    put_legend(sb, &f, s, ns);
  rt_sb_puts(sb, "</svg>\n");
}

int rt_svg_plot(const char *path, const rt_plot_opts *opts, const rt_series *series, size_t nseries,
                rt_error *err) {
  rt_strbuf sb = {0};
  render(&sb, opts, series, nseries);
  return rt_sb_write_file(&sb, path, err);
}
