/*
 * kernels_embed_impl.h - generic body of the embedding kernels.
 */

void FN(rt_embed_fwd)(const REAL *E, const int32_t *tokens, REAL *y, long n, long vocab, long dim) {
  (void)vocab;
  for (long i = 0; i < n; i++) {
    assert(tokens[i] >= 0 && tokens[i] < vocab);
    memcpy(y + i * dim, E + (long)tokens[i] * dim, sizeof(REAL) * dim);
  }
}

void FN(rt_embed_bwd)(const int32_t *tokens, const REAL *dy, REAL *dE, long n, long vocab,
                      long dim) {
  memset(dE, 0, sizeof(REAL) * vocab * dim);
  for (long i = 0; i < n; i++) {
    assert(tokens[i] >= 0 && tokens[i] < vocab);
    REAL *row = dE + (long)tokens[i] * dim;
    const REAL *g = dy + i * dim;
    for (long j = 0; j < dim; j++)
      row[j] += g[j];
  }
}
