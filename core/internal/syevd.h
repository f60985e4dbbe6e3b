/* Eigendecomposition of a symmetric matrix (syevd.c): LAPACK's ?sytrd (tridiagonal reduction)
 * and ?stedc (divide and conquer on the tridiagonal), then the back-transformation V = Q Z done
 * here in blocks of ML_SYEVD_NB reflectors, each block two gemm and one trmm on the whole of Z
 * (LAPACK's ?ormtr, which ?syevd calls, works in blocks of 32 and copies rows of Z with a stride:
 * 29-30 ms against 14-15 ms here for n = 1024 in fp32 at 2 threads on the Intel Xeon, model 167).
 * The same result as ?syevd up to rounding (the same reflectors, summed in another order). */
#ifndef ML_INTERNAL_SYEVD_H
#define ML_INTERNAL_SYEVD_H

#include "../matrix.h"

#define ML_SYEVD_NB 64

/* Workspace for ml_syevd of order n in dtype t: `work` elements of t and `iwork` ints. */
int ml_syevd_query(ml_dtype t, size_t n, size_t *work, size_t *iwork);

/* A (n x n, column-major with leading dimension lda; its upper triangle is read) <- the
 * eigenvectors as columns, w (n elements of t) <- the eigenvalues ascending. A non-finite entry
 * in the upper triangle is ML_ENUM (nothing written to w); ?stedc failing to converge is
 * ML_ENUM too. Scaled by a power of 2 (exact) when the largest entry is outside ?syevd's safe
 * range [sqrt(smallest normal / eps), its inverse], as ?syevd scales. */
int ml_syevd(ml_dtype t, size_t n, void *A, size_t lda, void *w, void *work, int *iwork);

#endif
