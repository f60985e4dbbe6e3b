/* Small dense products C = op(A) op(B) (row-major, alpha 1, beta 0) through libxsmm's
 * JIT-generated kernels, with cblas gemm for what libxsmm does not generate.
 *
 * Why: OpenBLAS packs both operands on every call, which at the attention's per-(sequence, head)
 * sizes (64 x 64 x 32) costs as much as the arithmetic: measured on one AMD EPYC (AVX2) core,
 * 128 products 64 x 32 x 64 take 0.62 ms through cblas_sgemm and 0.38 ms through libxsmm. The
 * kernel is generated once per shape (libxsmm keeps a registry); ml_smallmm_plan looks it up,
 * ml_smallmm_run calls it. libxsmm is column-major: row-major C = op(A) op(B) is column-major
 * C^T = op(B)^T op(A)^T, so the operands swap. It generates A^T B (row-major) but not A B^T:
 * those products go to cblas (callers that own a transposed copy use the NN kernel instead).
 * Setting the environment variable ML_SMALLMM=blas sends every product to cblas (to compare). */
#ifndef ML_INTERNAL_SMALLMM_H
#define ML_INTERNAL_SMALLMM_H

#include "../matrix.h"

typedef struct {
    void (*fs)(const float *, const float *, float *, ...);     /* libxsmm kernels, or NULL */
    void (*fd)(const double *, const double *, double *, ...);
    ml_dtype t;
    int ta, tb, M, N, K, lda, ldb, ldc;
} ml_smallmm;

/* Plans C (M x N, row stride ldc) = op(A) op(B) with op(A) M x K, op(B) K x N (row strides lda,
 * ldb of A and B as stored). Sizes must fit in int (callers check). Thread-safe. */
void ml_smallmm_plan(ml_smallmm *p, ml_dtype t, int ta, int tb, size_t M, size_t N, size_t K, size_t lda, size_t ldb,
                     size_t ldc);

/* C <- op(A) op(B) as planned. */
void ml_smallmm_run(const ml_smallmm *p, const void *A, const void *B, void *C);

/* 1 when the plan runs a libxsmm kernel (for the bench and tests). */
int ml_smallmm_jit(const ml_smallmm *p);

#endif
