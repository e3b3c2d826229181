/* drv_gradient.c: gradient checking (see drv_gradient.h).
 *
 * Entries: the nodes train_step's "loss" output depends on (its forward
 * pass) are copied into a new entry (ir_graph_copy) and ad_grad_tensors
 * differentiates the copy.
 *
 * Finite differences: the central difference D(h) = (L(w + h v) - L(w -
 * h v)) / 2h of the loss along a unit direction v has two errors: the
 * rounding noise of the loss over the step, about noise / h, and the
 * truncation, h^2 |L'''| / 6 + O(h^4). The noise is measured once per weight
 * from the differences of the loss at NOISE_POINTS closely spaced points
 * (after Moré and Wild's ECnoise); it is never taken below u |L| (u the
 * float64 unit roundoff) and grows with |L| at the perturbed points. The
 * truncation at step h is estimated from the next step RATIO h as
 * |D(RATIO h) - D(h)| / (RATIO^2 - 1). Starting at u^(1/3) times the
 * weight's scale, the step moves by factors of RATIO, up while the
 * estimated total error falls and otherwise down, and the difference at the
 * step of least estimated error is compared with the reverse-mode
 * derivative: wrong beyond tol relative plus DRV_FD_MARGIN times its
 * estimated error. */
#include "drv_gradient.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"
#include "rt_kernels.h"

static const ir_node *output_node(const ir_graph *g, const char *name) {
  for (int i = 0; i < g->noutputs; i++)
    if (strcmp(g->outputs[i].name, name) == 0)
      return g->outputs[i].node;
  return NULL;
}

/* A new entry with a copy of train_step's loss; NULL with a message in err. */
static ir_graph *loss_entry_of(ir_program *p, const char *name, ir_node **loss, char *err,
                               size_t errlen) {
  const ir_graph *step = ir_find_entry(p, "train_step");
  const ir_node *root = step ? output_node(step, "loss") : NULL;
  if (!root) {
    snprintf(err, errlen, "the program has no train_step with a loss");
    return NULL;
  }
  ir_graph *g = ir_entry(p, name);
  if (!g) {
    snprintf(err, errlen, "%s", p->err);
    return NULL;
  }
  ir_node *const roots[1] = {(ir_node *)root};
  if (ir_graph_copy(g, step, 1, roots, loss) < 0 || ir_output_add(g, "loss", *loss) < 0) {
    snprintf(err, errlen, "copying the loss of train_step: %s", ir_error(g));
    return NULL;
  }
  return g;
}

bool drv_gradient_entries(ir_program *p, const char *grad_entry, const char *loss_entry, char *err,
                          size_t errlen) {
  int nt = p->ntensors, np = 0;
  int *params = calloc((size_t)nt + 1, sizeof *params);
  ir_node **grads = calloc((size_t)nt + 1, sizeof *grads);
  if (!params || !grads)
    abort();
  for (int i = 0; i < nt; i++)
    if (p->tensors[i].kind == IR_PARAM)
      params[np++] = i;
  ir_node *loss;
  ir_graph *g = NULL;
  if (loss_entry_of(p, loss_entry, &loss, err, errlen))
    g = loss_entry_of(p, grad_entry, &loss, err, errlen);
  bool ok = g != NULL;
  if (ok && ad_grad_tensors(g, loss, np, params, grads) < 0) {
    snprintf(err, errlen, "differentiating the loss: %s", ir_error(g));
    ok = false;
  }
  for (int k = 0; ok && k < np; k++) {
    const ir_tensor_decl *t = &p->tensors[params[k]];
    char name[1024];
    snprintf(name, sizeof name, DRV_GRAD_PREFIX "%s", t->name);
    int gi = ir_state(p, name, t->shape.rank, t->shape.d, (ir_init){IR_INIT_ZEROS, 0, 0, 0});
    if (gi < 0 || ir_assign_add(g, gi, grads[k]) < 0) {
      snprintf(err, errlen, "gradient of %s: %s", t->name, gi < 0 ? p->err : ir_error(g));
      ok = false;
    }
  }
  free(params);
  free(grads);
  return ok;
}

/* ---- finite differences ---------------------------------------------------- */

#define UNIT_ROUNDOFF (DBL_EPSILON / 2)
#define RATIO         4.0
/* The steps tried lie within RATIO^MAX_MOVES of the first one. */
#define MAX_MOVES     4
/* Loss values of the noise estimate (the middle one at the weights), and
 * their spacing relative to the first step. With 17 values the estimate of
 * white noise exceeds 0.4 times its level in 99% of draws (with 7: 0.18). */
#define NOISE_POINTS  17
#define NOISE_SPACING 1e-2

/* The loss along one line through the weights: w + t v, or w + t e_coord
 * when v is NULL, and what is known of it. */
typedef struct line {
  drv_machine *m;
  int entry;
  double *w;           /* the weight in the arena */
  const double *saved; /* its values */
  const double *v;     /* unit direction, or NULL */
  long n, coord;
  double loss, noise; /* at the weights: the loss and its rounding noise */
  double h_min, h_max;
} line;

/* The loss at w + t (direction); w is left perturbed (the caller restores). */
static double loss_at(const line *l, double t) {
  if (l->v)
    for (long i = 0; i < l->n; i++)
      l->w[i] = l->saved[i] + t * l->v[i];
  else
    l->w[l->coord] = l->saved[l->coord] + t;
  double out[DRV_MAX_OUTPUTS];
  drv_machine_run(l->m, l->entry, out);
  return out[0];
}

/* Rounding noise of the loss near w along the line: the RMS of the k-th
 * differences of NOISE_POINTS equally spaced values, scaled by
 * gamma_k = (k!)^2 / (2k)! (the variance of a k-th difference of white noise
 * of variance s^2 is s^2 / gamma_k), the largest for k = 3..5; at least
 * u |L|. */
static double loss_noise(const line *l, double spacing) {
  double f[NOISE_POINTS], noise = UNIT_ROUNDOFF * fabs(l->loss), gamma = 1;
  for (int i = 0; i < NOISE_POINTS; i++)
    f[i] = i == NOISE_POINTS / 2 ? l->loss : loss_at(l, (i - NOISE_POINTS / 2) * spacing);
  for (int k = 1; k <= 5; k++) {
    gamma *= (double)k / (2.0 * (2 * k - 1)); /* (k!)^2 / (2k)! from k - 1 */
    double ss = 0;
    for (int i = 0; i + k < NOISE_POINTS; i++) {
      f[i] = f[i + 1] - f[i];
      ss += f[i] * f[i];
    }
    if (k >= 3)
      noise = fmax(noise, sqrt(gamma * ss / (NOISE_POINTS - k)));
  }
  return noise;
}

/* A central difference: at step h, d, from losses of magnitude up to mag. */
typedef struct fd_point {
  double h, d, mag;
} fd_point;

/* Along a coordinate the step actually taken (the difference of the two
 * rounded weights) divides. */
static fd_point central(const line *l, double h) {
  double up = loss_at(l, h), down = loss_at(l, -h), c = l->v ? 0 : l->saved[l->coord];
  double taken = l->v ? 2 * h : (c + h) - (c - h);
  return (fd_point){h, (up - down) / taken, fmax(fabs(up), fabs(down))};
}

/* Estimated error of the difference a, from b at the next step up: the
 * noise (grown with the losses' magnitude) over the step, plus the
 * truncation h^2 |L'''| / 6 ~ |b - a| / (RATIO^2 - 1). */
static double fd_error(const line *l, fd_point a, fd_point b) {
  double noise = l->noise * (l->loss != 0 ? fmax(1, a.mag / fabs(l->loss)) : 1);
  return noise / a.h + fabs(b.d - a.d) / (RATIO * RATIO - 1);
}

static void take(drv_fd_probe *p, fd_point a, double error) {
  p->fd = a.d;
  p->step = a.h;
  p->error = error;
}

/* The difference along l at step h (forced), or at the step of least
 * estimated error on the ladder h RATIO^k within [h_min, h_max]: up while
 * the error falls, else down while it falls (automatic). */
static void probe_line(const line *l, double h, bool automatic, drv_fd_probe *p) {
  fd_point a = central(l, h), b = central(l, RATIO * h);
  take(p, a, fd_error(l, a, b));
  bool moved = false;
  while (automatic && b.h <= l->h_max) {
    fd_point c = central(l, RATIO * b.h);
    double e = fd_error(l, b, c);
    if (!(e < p->error))
      break;
    take(p, b, e);
    a = b;
    b = c;
    moved = true;
  }
  while (automatic && !moved && a.h / RATIO >= l->h_min) {
    fd_point c = central(l, a.h / RATIO);
    double e = fd_error(l, c, a);
    if (!(e < p->error))
      break;
    take(p, c, e);
    a = c;
  }
}

/* The DRV_FD_COORDS coordinates of largest |g| (fewer when n is smaller),
 * largest first; returns how many. */
static int top_coords(const double *g, long n, long *top) {
  int ntop = 0;
  for (long i = 0; i < n; i++) {
    if (ntop == DRV_FD_COORDS && fabs(g[i]) <= fabs(g[top[ntop - 1]]))
      continue;
    int pos = ntop < DRV_FD_COORDS ? ntop++ : DRV_FD_COORDS - 1;
    while (pos > 0 && fabs(g[i]) > fabs(g[top[pos - 1]])) {
      top[pos] = top[pos - 1];
      pos--;
    }
    top[pos] = i;
  }
  return ntop;
}

drv_fd_verdict drv_fd_probe_verdict(const drv_fd_probe *p, double tol) {
  double size = fmax(fabs(p->ad), fabs(p->fd)), resolved = DRV_FD_MARGIN * p->error;
  if (!(fabs(p->fd - p->ad) <= tol * size + resolved)) /* NaN too */
    return DRV_FD_WRONG;
  return size > resolved ? DRV_FD_OK : DRV_FD_TOO_SMALL;
}

drv_fd_verdict drv_fd_weight_verdict(const drv_fd_probe *p, int n, double tol) {
  drv_fd_verdict v = DRV_FD_TOO_SMALL;
  for (int i = 0; i < n && v != DRV_FD_WRONG; i++) {
    drv_fd_verdict pv = drv_fd_probe_verdict(&p[i], tol);
    if (pv != DRV_FD_TOO_SMALL)
      v = pv;
  }
  return v;
}

void drv_fd_check(drv_machine *m, int loss_entry, double *w, const double *g, long n,
                  const drv_fd_settings *s, uint64_t stream, drv_fd_result *r) {
  assert(s->directions >= 1 && n >= 1);
  double *saved = malloc((size_t)n * sizeof *saved), *v = malloc((size_t)n * sizeof *v);
  *r = (drv_fd_result){.probes = calloc((size_t)s->directions + DRV_FD_COORDS, sizeof *r->probes)};
  if (!saved || !v || !r->probes)
    abort();
  memcpy(saved, w, (size_t)n * sizeof *w);
  double ss = 0, gg = 0;
  for (long i = 0; i < n; i++) {
    ss += w[i] * w[i];
    gg += g[i] * g[i];
  }
  r->grad_norm = sqrt(gg);
  double scale = fmax(1, sqrt(ss / (double)n)), h0 = cbrt(UNIT_ROUNDOFF) * scale;
  double range = pow(RATIO, MAX_MOVES);
  bool automatic = !(s->step > 0);
  double h = automatic ? h0 : s->step * scale;
  line l = {.m = m,
            .entry = loss_entry,
            .w = w,
            .saved = saved,
            .v = v,
            .n = n,
            .h_min = h0 / range,
            .h_max = h0 * range};
  /* Random unit directions, the noise along the first; each probe starts
   * at the step the previous one chose. */
  for (long k = 0; k < s->directions; k++) {
    rt_init_normal_f64(v, (size_t)n, 0, 1, s->seed, stream << 32 | (uint64_t)k);
    double norm = 0, ad = 0;
    for (long i = 0; i < n; i++)
      norm += v[i] * v[i];
    norm = sqrt(norm);
    for (long i = 0; i < n; i++) {
      v[i] /= norm;
      ad += g[i] * v[i];
    }
    if (k == 0) {
      l.loss = loss_at(&l, 0);
      r->noise = l.noise = loss_noise(&l, NOISE_SPACING * h0);
    }
    drv_fd_probe *p = &r->probes[r->nprobes++];
    *p = (drv_fd_probe){.coord = -1, .ad = ad};
    probe_line(&l, h, automatic, p);
    h = p->step;
  }
  memcpy(w, saved, (size_t)n * sizeof *w);
  long top[DRV_FD_COORDS];
  int ntop = top_coords(g, n, top);
  l.v = NULL;
  for (int k = 0; k < ntop; k++) {
    l.coord = top[k];
    drv_fd_probe *p = &r->probes[r->nprobes++];
    *p = (drv_fd_probe){.coord = top[k], .ad = g[top[k]]};
    probe_line(&l, h, automatic, p);
    h = p->step;
    w[top[k]] = saved[top[k]];
  }
  r->verdict = drv_fd_weight_verdict(r->probes, r->nprobes, s->tol);
  free(saved);
  free(v);
}

void drv_fd_free(drv_fd_result *r) {
  free(r->probes);
  *r = (drv_fd_result){0};
}
