/* Mid-size BLAS products split between the pool's threads (parallel.h), each part a call of
 * single-threaded OpenBLAS on its own block of the result.
 *
 * Why: OpenBLAS threads a product by sharing packed panels between its threads, which at the
 * sizes of a training step (256 x 256 x 256 .. 2048 x 512 x 128) gains 1.0-1.6x from a second
 * core; independent blocks with their own packing gain a little more, and OpenBLAS's own
 * workers, which spin for ~0.1 s after each threaded call, then stay asleep instead of competing
 * with the pool. Row-major throughout; sizes must fit in int (callers check). Every entry of
 * the result is computed by one single-threaded BLAS call over the whole inner dimension (not
 * always bit for bit as by the unsplit call: OpenBLAS's edge kernels for a block's last rows sum
 * in another order). ML_BLAS_SPLIT=0 in the environment turns the split off (to compare). */
#ifndef ML_INTERNAL_BLAS_SPLIT_H
#define ML_INTERNAL_BLAS_SPLIT_H

#include "../matrix.h"

/* How a product of `mac` multiply-adds runs: 0, a plain BLAS call with OpenBLAS's own threading
 * (one thread set, the split turned off, or above the window); 1, one call on one OpenBLAS
 * thread (below the window: OpenBLAS threads products from 2^18 multiply-adds, where a second
 * thread gains little and leaves its workers spinning); else split in that many parts. */
int ml_split_parts(double mac);

/* C (M x N) <- alpha op(A) op(B) + beta C: one plain cblas call, never split (for callers
 * already inside a part of the pool, as the attention's per-sequence products). */
void ml_blas_gemm1(ml_dtype t, int ta, int tb, size_t M, size_t N, size_t K, double alpha, const void *A, size_t lda,
                   const void *B, size_t ldb, double beta, void *C, size_t ldc);

/* C (M x N) <- alpha op(A) op(B) + beta C, split when ml_split_parts says so. */
void ml_blas_gemm(ml_dtype t, int ta, int tb, size_t M, size_t N, size_t K, double alpha, const void *A, size_t lda,
                  const void *B, size_t ldb, double beta, void *C, size_t ldc);

/* C (M x N) <- alpha S B + beta C (right = 0, S M x M) or alpha B S + beta C (right = 1, S N x N),
 * S symmetric, its upper triangle read. */
void ml_blas_symm(ml_dtype t, int right, size_t M, size_t N, double alpha, const void *S, size_t lds, const void *B,
                  size_t ldb, double beta, void *C, size_t ldc);

/* C (n x n) <- alpha op(A) op(A)^T + beta C, op(A) = A (trans = 0) or A^T: the upper triangle
 * computed (beta applies to it), then mirrored into the lower one, each part its own rows. */
void ml_blas_syrk_sym(ml_dtype t, int trans, size_t n, size_t k, double alpha, const void *A, size_t lda,
                      double beta, void *C, size_t ldc);

/* C (n x n) <- A B (A n x k, B k x n, both as stored) for a product known to be symmetric
 * (commuting symmetric factors): its upper triangle, the diagonal blocks recursively down to
 * `leaf` rows, each off-diagonal block by one gemm, then mirrored as by ml_blas_syrk_sym. */
void ml_blas_sym_product(ml_dtype t, size_t n, size_t k, const void *A, size_t lda, const void *B, size_t ldb,
                         void *C, size_t ldc, size_t leaf);

/* How ml_blas_sym_product splits: part p of `parts` (1..ML_PARALLEL_MAX; a part outside them gets
 * the empty range [n, n)) computes rows [a, b) of the upper triangle,
 * boundaries at multiples of 16, cut so that the largest part's cost is as small as it can be.
 * The cost of rows [a, b) in multiply-adds per unit of k: their block right of the diagonal plus
 * their diagonal block with its full leaves. Equal areas would leave the leaves' extra work to
 * the last part: at n = 128, leaf 32, 6144 against the first part's 4096 (this cut: 5632 and
 * 4352). A function of (n, leaf, parts) only: the same cut, so the same result bits, whatever
 * the timing. */
void ml_blas_sym_product_cut(size_t n, size_t leaf, int parts, int p, size_t *a, size_t *b);
double ml_blas_sym_product_cost(size_t n, size_t leaf, size_t a, size_t b);

#endif
