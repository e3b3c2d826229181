/* conv_path.c: the convolutions' path of a run (host_conv.h): --conv's
 * values, the picks written into summary.json and the checkpoint, and the
 * one reader of them that pins an earlier run's picks again. */
#include "host_conv.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host_checkpoint.h"
#include "host_report.h"
#include "rt_kernels.h"

enum { PICK_FIELDS = 13 };

/* The file the pins came from (host_conv_apply, host_conv_resume), or "". */
static char pinned_from[4200];

/* ---- writing ------------------------------------------------------------------- */

size_t host_conv_fields(rt_field *f, rt_field **store) {
  const int n = rt_conv_pick_count();
  rt_field *obj = calloc((size_t)n * (PICK_FIELDS + 1) + 1, sizeof *obj);
  if (!obj)
    abort();
  for (int i = 0; i < n; i++) {
    const rt_conv_pick *p = rt_conv_pick_at(i);
    rt_field *v = obj + n + (size_t)i * PICK_FIELDS;
    size_t k = 0;
    v[k++] = RT_STR("pass", rt_conv_pass_name(p->pass));
    const int dims[] = {p->n, p->c, p->h, p->w, p->o, p->kh, p->kw, p->stride, p->pad};
    static const char *const names[] = {"n", "c", "h", "w", "o", "kh", "kw", "stride", "pad"};
    for (int d = 0; d < 9; d++)
      v[k++] = RT_INT(names[d], dims[d]);
    if (p->pinned) {
      v[k++] = RT_BOOL("pinned", 1);
    } else if (p->onednn_s >= 0) { /* else oneDNN has no primitive: im2col, untimed */
      v[k++] = RT_NUM("im2col_ms", 1e3 * p->im2col_s);
      v[k++] = RT_NUM("onednn_ms", 1e3 * p->onednn_s);
    }
    v[k++] = RT_STR("pick", rt_conv_path_name(p->pick));
    obj[i] = RT_OBJ(NULL, v, k);
  }
  *store = obj;
  size_t k = 0;
  f[k++] = RT_STR("conv", rt_conv_path_name(rt_conv_get_path()));
  if (pinned_from[0])
    f[k++] = RT_STR("conv_pinned_from", pinned_from);
  f[k++] = RT_ARR("conv_picks", obj, (size_t)n);
  return k;
}

void host_conv_print(void) {
  printf("  conv %s", rt_conv_path_name(rt_conv_get_path()));
  if (pinned_from[0])
    printf(", pinned from %s", pinned_from);
  printf("\n");
  for (int i = 0; i < rt_conv_pick_count(); i++) {
    const rt_conv_pick *p = rt_conv_pick_at(i);
    printf("    %-10s n %d c %d %dx%d o %d k %dx%d stride %d pad %d: ", rt_conv_pass_name(p->pass),
           p->n, p->c, p->h, p->w, p->o, p->kh, p->kw, p->stride, p->pad);
    if (p->pinned)
      printf("pinned: %s\n", rt_conv_path_name(p->pick));
    else if (p->onednn_s < 0)
      printf("no oneDNN primitive: im2col\n");
    else
      printf("timed: im2col %.3f ms, onednn %.3f ms: %s\n", 1e3 * p->im2col_s, 1e3 * p->onednn_s,
             rt_conv_path_name(p->pick));
  }
}

/* ---- reading --------------------------------------------------------------------- */

/* A non-negative number member of q, or -1 when absent or not one. */
static double ms_member(const rt_json *q, const char *key) {
  const rt_json *v = rt_json_member(q, key);
  return v && v->type == RT_JSON_NUMBER && v->num >= 0 ? v->num : -1;
}

/* Pick i of conv_picks (q) as host_conv_fields writes it, exactly: 0, or
 * -1 with a message. */
static int read_pick(const rt_json *q, size_t i, rt_conv_pick *p, rt_error *err) {
  static const char *const names[] = {"n", "c", "h", "w", "o", "kh", "kw", "stride", "pad"};
  int *dims[] = {&p->n, &p->c, &p->h, &p->w, &p->o, &p->kh, &p->kw, &p->stride, &p->pad};
  const rt_json *pass = q->type == RT_JSON_OBJECT ? rt_json_member(q, "pass") : NULL;
  const rt_json *pick = q->type == RT_JSON_OBJECT ? rt_json_member(q, "pick") : NULL;
  int pass_ok = 0;
  for (int k = 0; pass && pass->type == RT_JSON_STRING && k < 3; k++)
    if (strcmp(pass->str, rt_conv_pass_name((rt_conv_pass)k)) == 0)
      p->pass = (rt_conv_pass)k, pass_ok = 1;
  if (!pass_ok || !pick || pick->type != RT_JSON_STRING ||
      rt_conv_path_parse(pick->str, &p->pick) < 0 || p->pick == RT_CONV_AUTO) {
    rt_error_set(err,
                 "conv_picks[%zu] needs \"pass\" (fwd, bwd_data or bwd_weight) and \"pick\" "
                 "(im2col or onednn)",
                 i);
    return -1;
  }
  for (int d = 0; d < 9; d++) {
    const rt_json *v = rt_json_member(q, names[d]);
    const long long least = d == 8 ? 0 : 1; /* the padding may be 0 */
    if (!v || v->type != RT_JSON_NUMBER || !v->is_int || v->inum < least || v->inum > INT_MAX) {
      rt_error_set(err, "conv_picks[%zu]: \"%s\" is not an integer >= %lld", i, names[d], least);
      return -1;
    }
    *dims[d] = (int)v->inum;
  }
  const rt_json *pinned = rt_json_member(q, "pinned");
  p->pinned = pinned && pinned->type == RT_JSON_BOOL && pinned->boolean;
  const double im2col = ms_member(q, "im2col_ms"), onednn = ms_member(q, "onednn_ms");
  if (p->pinned || (im2col < 0 && onednn < 0)) { /* no oneDNN primitive: onednn_s < 0 */
    p->im2col_s = 0, p->onednn_s = p->pinned ? 0 : -1;
  } else if (im2col < 0 || onednn < 0) {
    rt_error_set(err, "conv_picks[%zu] has one time of the two (im2col_ms, onednn_ms)", i);
    return -1;
  } else {
    p->im2col_s = 1e-3 * im2col, p->onednn_s = 1e-3 * onednn;
  }
  return 0;
}

/* The setting (`conv`) and picks (`conv_picks`) of an object as
 * host_conv_fields writes it: 0 with *n picks in *picks (malloc'd), or -1
 * with a message. */
static int read_picks(const rt_json *o, rt_conv_path *path, rt_conv_pick **picks, int *n,
                      rt_error *err) {
  *picks = NULL, *n = 0;
  const rt_json *setting = rt_json_member(o, "conv");
  if (!setting || setting->type != RT_JSON_STRING || rt_conv_path_parse(setting->str, path) < 0) {
    rt_error_set(err, "no \"conv\": \"auto\", \"im2col\" or \"onednn\"");
    return -1;
  }
  const rt_json *a = rt_json_member(o, "conv_picks");
  if (!a || a->type != RT_JSON_ARRAY) {
    rt_error_set(err, "no \"conv_picks\" list");
    return -1;
  }
  *picks = calloc(a->count + 1, sizeof **picks);
  if (!*picks)
    abort();
  for (size_t i = 0; i < a->count; i++)
    if (read_pick(&a->items[i], i, &(*picks)[i], err) < 0) {
      free(*picks), *picks = NULL;
      return -1;
    }
  *n = (int)a->count;
  return 0;
}

/* Sets path p (rt_conv_set_path): 0, or -1 with the reason. */
static int set_path(rt_conv_path p, const char *what, rt_error *err) {
  if (p == RT_CONV_ONEDNN && rt_gemm_get_backend() != RT_GEMM_ONEDNN)
    rt_error_set(err,
                 "%s: the convolution primitives come with the oneDNN backend "
                 "(--gemm onednn), which this run does not use",
                 what);
  else if (rt_conv_set_path(p) < 0)
    rt_error_set(err, "%s: this build has no oneDNN, or oneDNN cannot start", what);
  else
    return 0;
  return -1;
}

/* Makes the setting and picks of o (read_picks; `what` names them in
 * messages) the run's: with pinned, every pick pinned (untimed, from
 * `pinned_from`), else as recorded (a resumed run's, with the file its
 * run pinned from, if any). */
static int take(const rt_json *o, const char *what, bool pinned, rt_error *err, rt_error *hint) {
  rt_conv_path p;
  rt_conv_pick *picks;
  int n;
  rt_error why;
  if (read_picks(o, &p, &picks, &n, &why) < 0) {
    rt_error_set(err, "%s: %s", what, why.msg);
    rt_error_set(hint, "summary.json records the convolutions' path and picks of runs made "
                       "since --conv could pin them");
    return -1;
  }
  if (n > 0 && rt_gemm_get_backend() != RT_GEMM_ONEDNN) {
    rt_error_set(err,
                 "%s: its picks choose between im2col and oneDNN's convolution, which come "
                 "with the oneDNN backend (--gemm onednn), which this run does not use",
                 what);
    rt_error_set(hint, "--conv im2col runs every convolution by im2col on any backend");
    free(picks);
    return -1;
  }
  int rc = set_path(p, what, err);
  for (int i = 0; rc == 0 && i < n; i++) {
    if (pinned)
      picks[i].pinned = 1, picks[i].im2col_s = picks[i].onednn_s = 0;
    rt_conv_pin(&picks[i]);
  }
  const rt_json *from = rt_json_member(o, "conv_pinned_from");
  if (rc == 0 && !pinned && from && from->type == RT_JSON_STRING)
    snprintf(pinned_from, sizeof pinned_from, "%s", from->str);
  free(picks);
  return rc;
}

/* The summary.json of --conv's value (a run directory or the file),
 * pinned. */
static int pin_file(const char *arg, rt_error *err, rt_error *hint) {
  char path[4200];
  struct stat st;
  if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
    host_rundir_file(path, sizeof path, arg, "summary.json");
  else
    snprintf(path, sizeof path, "%s", arg);
  rt_error why;
  size_t len;
  char *text = rt_read_file(path, &len, &why);
  if (!text) {
    rt_error_set(err, "--conv: %s", why.msg);
    rt_error_set(hint, "--conv is auto, im2col, onednn, or a run directory (or its summary.json) "
                       "whose picks to repeat");
    return -1;
  }
  char msg[256];
  rt_json *root = rt_json_parse(text, len, msg, sizeof msg);
  free(text);
  if (!root || root->type != RT_JSON_OBJECT) {
    rt_error_set(err, "--conv: %s is not a JSON object%s%s", path, root ? "" : ": ",
                 root ? "" : msg);
    rt_error_set(hint, "give a run directory or its summary.json");
    rt_json_free(root);
    return -1;
  }
  int rc = take(root, path, true, err, hint);
  if (rc == 0)
    snprintf(pinned_from, sizeof pinned_from, "%s", path);
  rt_json_free(root);
  return rc;
}

int host_conv_apply(const char *conv, rt_error *err, rt_error *hint) {
  rt_error_set(hint, "%s", "");
  pinned_from[0] = 0;
  rt_conv_path p;
  if (!conv)
    return set_path(RT_CONV_AUTO, "--conv auto", err);
  char what[4200];
  snprintf(what, sizeof what, "--conv %s", conv);
  if (rt_conv_path_parse(conv, &p) == 0)
    return set_path(p, what, err);
  return pin_file(conv, err, hint);
}

int host_conv_resume(const rt_st_file *state, const char *from, rt_error *err) {
  const char *text = rt_st_meta(state, HOST_META_CONV);
  if (!text)
    return 0;
  char msg[256];
  rt_json *root = rt_json_parse(text, strlen(text), msg, sizeof msg);
  rt_error hint; /* the caller's own */
  int rc = -1;
  if (!root || root->type != RT_JSON_OBJECT)
    rt_error_set(err, "%s: %s is not a JSON object", from, HOST_META_CONV);
  else
    rc = take(root, from, false, err, &hint);
  rt_json_free(root);
  return rc;
}
