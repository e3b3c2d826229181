/*
 * kernels_gemm_impl.h - generic body of rt_gemm_ld and of rt_gemm, its
 * dense case (see rt_kernels.h): on oneDNN when gemm_dnn (kernels_gemm.c)
 * takes the product (with two batch levels, one 4-D matmul), else one
 * cblas gemm per batch item, or a single taller gemm when the batch items
 * of A and C are consecutive row blocks sharing one B (for both).
 */
void FN(rt_gemm_ld)(int ta, int tb, int m, int n, int k, REAL alpha, const REAL *A, long lda,
                    long sa, long sa2, const REAL *B, long ldb, long sb, long sb2, REAL beta,
                    REAL *C, long ldc, long sc, long sc2, int batch, int batch2) {
  assert(m >= 0 && n >= 0 && k >= 0 && batch >= 0 && batch2 >= 0 && (batch2 <= 1 || sc2 != 0));
  if (m == 0 || n == 0 || batch == 0 || batch2 == 0)
    return;
  /* two levels that are one: items (b, j) at (b batch2 + j) s2 */
  if (batch2 > 1 && (batch == 1 || (sa == batch2 * sa2 && sb == batch2 * sb2 &&
                                    sc == batch2 * sc2 && (long)batch * batch2 <= 0x7fffffffL))) {
    batch *= batch2;
    sa = sa2, sb = sb2, sc = sc2;
    batch2 = 1;
  }
  /* [A_0; A_1; ...] B = [C_0; C_1; ...]: one product with m * batch rows. */
  if (batch2 <= 1 && !ta && sb == 0 && sa == (long)m * lda && sc == (long)m * ldc &&
      (long)m * batch <= 0x7fffffffL) {
    m *= batch;
    batch = 1;
  }
  if (FN(gemm_dnn)(ta, tb, m, n, k, alpha, A, lda, sa, sa2, B, ldb, sb, sb2, beta, C, ldc, sc, sc2,
                   batch, batch2) == 0)
    return;
  const enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE opb = tb ? CblasTrans : CblasNoTrans;
  for (int b = 0; b < batch; b++)
    for (int j = 0; j < (batch2 > 1 ? batch2 : 1); j++) {
      const REAL beta_b = (sc == 0 && b > 0) ? 1 : beta;
      BLAS(gemm)
      (CblasRowMajor, opa, opb, m, n, k, alpha, A + b * sa + j * sa2, (int)lda,
       B + b * sb + j * sb2, (int)ldb, beta_b, C + b * sc + j * sc2, (int)ldc);
    }
}

void FN(rt_gemm)(int ta, int tb, int m, int n, int k, REAL alpha, const REAL *A, long sa,
                 const REAL *B, long sb, REAL beta, REAL *C, long sc, int batch) {
  FN(rt_gemm_ld)
  (ta, tb, m, n, k, alpha, A, max1(ta ? m : k), sa, 0, B, max1(tb ? k : n), sb, 0, beta, C, max1(n),
   sc, 0, batch, 1);
}
