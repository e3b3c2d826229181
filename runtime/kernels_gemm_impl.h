/*
 * kernels_gemm_impl.h - generic body of rt_gemm_ld and of rt_gemm, its
 * dense case (see rt_kernels.h): on oneDNN when gemm_dnn (kernels_gemm.c)
 * takes the product, else one cblas gemm per batch item, or a single
 * taller gemm when the batch items of A and C are consecutive row blocks
 * sharing one B (for both).
 */
void FN(rt_gemm_ld)(int ta, int tb, int m, int n, int k, REAL alpha, const REAL *A, long lda,
                    long sa, const REAL *B, long ldb, long sb, REAL beta, REAL *C, long ldc,
                    long sc, int batch) {
  assert(m >= 0 && n >= 0 && k >= 0 && batch >= 0);
  if (m == 0 || n == 0 || batch == 0)
    return;
  /* [A_0; A_1; ...] B = [C_0; C_1; ...]: one product with m * batch rows. */
  if (!ta && sb == 0 && sa == (long)m * lda && sc == (long)m * ldc &&
      (long)m * batch <= 0x7fffffffL) {
    m *= batch;
    batch = 1;
  }
  if (FN(gemm_dnn)(ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch) == 0)
    return;
  const enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE opb = tb ? CblasTrans : CblasNoTrans;
  for (int b = 0; b < batch; b++) {
    const REAL beta_b = (sc == 0 && b > 0) ? 1 : beta;
    BLAS(gemm)
    (CblasRowMajor, opa, opb, m, n, k, alpha, A + b * sa, (int)lda, B + b * sb, (int)ldb, beta_b,
     C + b * sc, (int)ldc);
  }
}

void FN(rt_gemm)(int ta, int tb, int m, int n, int k, REAL alpha, const REAL *A, long sa,
                 const REAL *B, long sb, REAL beta, REAL *C, long sc, int batch) {
  FN(rt_gemm_ld)
  (ta, tb, m, n, k, alpha, A, max1(ta ? m : k), sa, B, max1(tb ? k : n), sb, beta, C, max1(n), sc,
   batch);
}
