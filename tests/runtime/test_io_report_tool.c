/*
 * test_io_report_tool.c - writes metrics.jsonl, summary.json and SVG plots
 * into a directory for test_io_report.py, which parses them with Python's
 * json and xml.etree and checks every value against the same formulas.
 *   write DIR   the files below, then the diagnostics for an unwritable path
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rt_io.h"

static int fail(const rt_error *err) {
  printf("error: %s\n", err->msg);
  return 1;
}

/* metrics.jsonl also goes to metrics.csv and TensorBoard event files. */
#define LOG_FORMATS (RT_LOG_CSV | RT_LOG_TENSORBOARD)

static int write_metrics(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
  rt_metrics m;
  rt_error err;
  float loss = 2.3025851f;
  if (rt_metrics_open(&m, path, 0, &err) || rt_metrics_formats(&m, LOG_FORMATS, &err))
    return fail(&err);
  rt_field first[] = {RT_INT("step", 0),           RT_INT("epoch", 0),
                      RT_NUM("loss", loss),        RT_NUM("lr", 0.02),
                      RT_NUM("ms_per_step", 12.5), RT_STR("name", "dual \"q\"\n\t\\ \xc3\xa9")};
  rt_field eval[] = {RT_NUM("test_loss", 0.45f), RT_NUM("test_accuracy", 0.8812)};
  rt_field second[] = {RT_INT("step", 100), RT_NUM("loss", NAN), RT_NUM("grad_norm", INFINITY),
                       RT_NUM("update_norm", -INFINITY), RT_OBJ("eval", eval, 2)};
  if (rt_metrics_log(&m, first, 6, &err) || rt_metrics_log(&m, second, 5, &err) ||
      rt_metrics_close(&m, &err))
    return fail(&err);
  /* a resumed run appends */
  rt_field third[] = {RT_INT("step", 9007199254740993LL), RT_NUM("tiny", 1e-45f),
                      RT_NUM("huge", 1e300), RT_NUM("third", 1.0f / 3.0f)};
  if (rt_metrics_open(&m, path, 1, &err) || rt_metrics_formats(&m, LOG_FORMATS, &err) ||
      rt_metrics_log(&m, third, 4, &err) || rt_metrics_close(&m, &err))
    return fail(&err);
  return 0;
}

static int write_summary(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  rt_error err;
  rt_field config[] = {RT_NUM("lr", 0.02), RT_INT("batch", 256)};
  rt_field fields[] = {RT_STR("experiment", "fashion_mlp"),
                       RT_INT("steps", 2340),
                       RT_NUM("train_loss", 0.2718f),
                       RT_NUM("test_accuracy", 0.9031),
                       RT_OBJ("config", config, 2),
                       RT_OBJ("extra", NULL, 0),
                       RT_NUM("val_loss", NAN)};
  return rt_summary_write(path, fields, 7, &err) ? fail(&err) : 0;
}

/* The automatic y scale (losses from 2.3 down to 2.7e-11: log; a span of
 * 100 or less: linear), a band, and a legend-only entry. */
static int write_scaled_plots(const char *dir) {
  char path[1024];
  rt_error err;
  double x[30], fast[30], slow[30], lo[30], hi[30];
  for (int i = 0; i < 30; i++) {
    x[i] = 10.0 * (i + 1);
    fast[i] = 2.3 * pow(2.7e-11 / 2.3, i / 29.0);
    slow[i] = 2.3 - 0.05 * i;
    lo[i] = slow[i] - 0.1;
    hi[i] = slow[i] + 0.2;
  }
  rt_series s[] = {{.name = "momentum", .x = x, .y = fast, .n = 30},
                   {.name = "plain", .x = x, .y = slow, .n = 30, .dash = 1}};
  rt_plot_opts o = {.title = "toy_quadratic compare: loss", .xlabel = "step", .ylabel = "loss"};
  snprintf(path, sizeof path, "%s/auto_log.svg", dir);
  if (rt_svg_plot(path, &o, s, 2, &err))
    return fail(&err);
  rt_series band[] = {{.name = "plain (mean of 3)", .x = x, .y = slow, .n = 30, .lo = lo, .hi = hi},
                      {.name = "key", .color = RT_COLOR_GRAY, .dash = 2}};
  snprintf(path, sizeof path, "%s/band.svg", dir);
  if (rt_svg_plot(path, &o, band, 2, &err))
    return fail(&err);
  o.y_scale = RT_SCALE_LINEAR;
  snprintf(path, sizeof path, "%s/forced_linear.svg", dir);
  return rt_svg_plot(path, &o, s, 2, &err) ? fail(&err) : 0;
}

static int write_plots(const char *dir) {
  char path[1024];
  rt_error err;
  double step[100], train[100], tstep[10], test[10];
  for (int i = 0; i < 100; i++) {
    step[i] = 10.0 * i;
    train[i] = 2.3 * exp(-i / 30.0) + 0.2;
  }
  for (int i = 0; i < 10; i++) {
    tstep[i] = 100.0 * i + 90;
    test[i] = i == 5 ? NAN : 2.0 * exp(-i / 3.0) + 0.3;
  }
  rt_series loss[] = {{.name = "train", .x = step, .y = train, .n = 100},
                      {.name = "test <&> \"quoted\"", .x = tstep, .y = test, .n = 10, .dash = 1}};
  rt_plot_opts lo = {.title = "loss", .xlabel = "step", .ylabel = "loss"};
  snprintf(path, sizeof path, "%s/loss.svg", dir);
  if (rt_svg_plot(path, &lo, loss, 2, &err))
    return fail(&err);

  double sv[3][40], x[40];
  for (int i = 0; i < 40; i++) {
    x[i] = i;
    for (int k = 0; k < 3; k++)
      sv[k][i] = pow(10, k - 1.5) * (1 + i);
  }
  sv[1][20] = 0;   /* not drawable on a log axis: breaks the line */
  sv[2][38] = NAN; /* leaves an isolated last point */
  rt_series svs[] = {{.name = "s1", .x = x, .y = sv[0], .n = 40},
                     {.name = "s2", .x = x, .y = sv[1], .n = 40},
                     {.name = "s3", .x = x, .y = sv[2], .n = 40}};
  rt_plot_opts opts = {.title = "singular values",
                       .xlabel = "step",
                       .ylabel = "sigma",
                       .y_scale = RT_SCALE_LOG,
                       .width = 800,
                       .height = 500};
  snprintf(path, sizeof path, "%s/sv.svg", dir);
  if (rt_svg_plot(path, &opts, svs, 3, &err))
    return fail(&err);
  rt_plot_opts bare = {0};
  snprintf(path, sizeof path, "%s/empty.svg", dir);
  if (rt_svg_plot(path, &bare, NULL, 0, &err))
    return fail(&err);
  return write_scaled_plots(dir);
}

/* Diagnostics for paths that cannot be written, one line each. */
static void print_errors(const char *dir) {
  char path[1024];
  rt_error err;
  rt_metrics m;
  rt_field f = RT_INT("x", 1);
  snprintf(path, sizeof path, "%s/missing/metrics.jsonl", dir);
  if (rt_metrics_open(&m, path, 0, &err))
    printf("error: %s\n", err.msg);
  snprintf(path, sizeof path, "%s/missing/summary.json", dir);
  if (rt_summary_write(path, &f, 1, &err))
    printf("error: %s\n", err.msg);
  snprintf(path, sizeof path, "%s/missing/loss.svg", dir);
  if (rt_svg_plot(path, &(rt_plot_opts){0}, NULL, 0, &err))
    printf("error: %s\n", err.msg);
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "write") != 0) {
    fprintf(stderr, "usage: %s write DIR\n", argv[0]);
    return 2;
  }
  if (write_metrics(argv[2]) || write_summary(argv[2]) || write_plots(argv[2]))
    return 1;
  print_errors(argv[2]);
  return 0;
}
