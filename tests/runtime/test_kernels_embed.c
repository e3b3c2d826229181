/*
 * test_kernels_embed.c - embedding gather and scatter-add (with repeated
 * tokens) in f32 and f64 against naive loops; the backward also against
 * central finite differences of <w, embed(E)> in f64.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt_kernels.h"
#include "test_kernels_util.h"

static const double fd_h = 1e-6, fd_tol = 1e-6; /* linear loss */

typedef struct {
  const int32_t *tokens;
  const double *w;
  double *y;
  long n, vocab, dim;
} embed_fd;

static double embed_loss(void *ctx, const double *E) {
  embed_fd *f = ctx;
  rt_embed_fwd_f64(E, f->tokens, f->y, f->n, f->vocab, f->dim);
  return tk_dot(f->w, f->y, f->n * f->dim);
}

static void embed_check(check_ctx *t, long n, long vocab, long dim, uint64_t stream) {
  double *E = tk_alloc(vocab * dim), *w = tk_alloc(n * dim);
  double *u = tk_alloc(n), *y = tk_alloc(n * dim), *ref = tk_alloc(n * dim);
  double *dE = tk_alloc(vocab * dim), *dref = tk_alloc(vocab * dim);
  double *fdE = tk_alloc(vocab * dim);
  int32_t *tokens = malloc(sizeof(int32_t) * (n ? n : 1));
  tk_rand(E, vocab * dim, -1, 1, stream);
  tk_rand(w, n * dim, -1, 1, stream + 1);
  tk_rand(u, n, 0, 1, stream + 2);
  for (long i = 0; i < n; i++) /* n > vocab forces repeats */
    tokens[i] = (int32_t)(u[i] * vocab);
  for (long i = 0; i < n; i++)
    for (long j = 0; j < dim; j++) {
      ref[i * dim + j] = E[tokens[i] * dim + j];
      dref[tokens[i] * dim + j] += w[i * dim + j];
    }
  float *E32 = tk_to32(E, vocab * dim), *w32 = tk_to32(w, n * dim);
  float *y32 = tk_alloc32(n * dim), *dE32 = tk_alloc32(vocab * dim);
  for (long i = 0; i < vocab * dim; i++) /* must be overwritten */
    dE[i] = dE32[i] = 99;
  rt_embed_fwd_f64(E, tokens, y, n, vocab, dim);
  rt_embed_fwd_f32(E32, tokens, y32, n, vocab, dim);
  rt_embed_bwd_f64(tokens, w, dE, n, vocab, dim);
  rt_embed_bwd_f32(tokens, w32, dE32, n, vocab, dim);
  tk_check(t, tk_err(y, ref, n * dim), 0, "embed n%ld vocab%ld dim%ld fwd f64", n, vocab, dim);
  tk_check(t, tk_err32(y32, ref, n * dim), 1e-7, "embed n%ld vocab%ld dim%ld fwd f32", n, vocab,
           dim);
  tk_check(t, tk_err(dE, dref, vocab * dim), 1e-15, "embed n%ld vocab%ld dim%ld bwd f64", n, vocab,
           dim);
  tk_check(t, tk_err32(dE32, dref, vocab * dim), 1e-6, "embed n%ld vocab%ld dim%ld bwd f32", n,
           vocab, dim);
  embed_fd f = {tokens, w, y, n, vocab, dim};
  tk_fd_grad(embed_loss, &f, E, vocab * dim, fd_h, fdE);
  tk_check(t, tk_err(dE, fdE, vocab * dim), fd_tol, "embed n%ld vocab%ld dim%ld bwd f64 vs FD", n,
           vocab, dim);
  free(E), free(w), free(u), free(y), free(ref), free(dE), free(dref);
  free(fdE), free(tokens), free(E32), free(w32), free(y32), free(dE32);
}

int main(void) {
  check_ctx t = {0};
  embed_check(&t, 1, 1, 1, 10);
  embed_check(&t, 13, 7, 5, 20);
  embed_check(&t, 31, 11, 17, 30);
  embed_check(&t, 3, 29, 8, 40); /* most rows untouched: zero gradient */
  return check_done(&t, "test_kernels_embed");
}
