/* Spectral maps through the eigendecomposition of the short-side Gram matrix (gram_eig.c).
 * For A (m x n, m <= n; a tall A is used through A^T) with SVD A = U diag(sigma) W^T:
 *   R = A A^T = V diag(lambda) V^T  (syrk, then syevd on m x m),  sigma_i = sqrt(lambda_i),
 *   F(A) = V diag(g_i) V^T A = U diag(g_i sigma_i) W^T,  g_i = f(sigma_i) / sigma_i,
 * so any map f of the singular values (the polar factor f = 1, U Sigma^p W^T, the composed
 * Newton-Schulz polynomial of a schedule, spectral clipping) costs m^2 n + the m x m
 * eigendecomposition + m^3 + 2 m^2 n flops, against a full SVD.
 * Conditioning: lambda carries an absolute error of about m eps lambda_max, so sigma_i has a
 * relative error of about eps (sigma_max / sigma_i)^2: a map that needs the small singular
 * values resolved (1/sigma, sigma^p with p < 1) is accurate only while cond(A) <~ 1/sqrt(eps)
 * (1e8 in fp64, 3e3 in fp32), its error growing like cond^2 eps; a map whose g is smooth in
 * lambda near 0 (the odd NS polynomials: g(sigma) = q(sigma^2)) is not limited that way. */
#ifndef ML_GRAM_EIG_H
#define ML_GRAM_EIG_H

#include "matrix.h"

/* Buffers of one decomposition; reused across calls (no allocation after the first call with a
 * shape and dtype; `allocs` counts the buffer allocations, for tests). */
typedef struct ml_gram_eig {
    ml_mat V;        /* m x m, the working dtype: row i is the i-th eigenvector (ascending lambda) */
    ml_mat lam;      /* m x 1 float64: eigenvalues of the Gram matrix, ascending */
    ml_mat g;        /* m x 1 float64: multipliers g_i, set between decompose and combine */
    ml_mat W;        /* m x m scratch */
    void *work;      /* LAPACK syevd workspaces (real and integer), sized by a query */
    size_t work_bytes;
    void *iwork;
    size_t iwork_bytes;
    size_t allocs;
} ml_gram_eig;

void ml_gram_eig_init(ml_gram_eig *e);
void ml_gram_eig_free(ml_gram_eig *e);

/* e->V, e->lam <- eigenvectors and eigenvalues of the symmetric m x m R (its lower triangle in
 * row-major order is read: the buffer goes to internal/syevd.h's ml_syevd as column-major with
 * its upper triangle read; R may be &e->V). ML_ENUM when that triangle has a non-finite entry or
 * the eigensolver does not converge. */
int ml_gram_eig_decompose(ml_gram_eig *e, const ml_mat *R);
/* The decomposition of A's Gram matrix (A A^T, or A^T A when A is tall), formed from A scaled by
 * a power of 2 when its entries are far from unit size (so neither overflows nor underflows):
 * e->V the eigenvectors, e->lam the eigenvalues of that scaled Gram matrix, and e->g <- A's
 * singular values sigma_i ascending (to be replaced by the multipliers g_i before combine). */
int ml_gram_eig_sigma(ml_gram_eig *e, const ml_mat *A);
/* M (m x m, R's dtype, allocated or reused) <- V^T diag(g) V = sum_i g_i v_i v_i^T, both
 * triangles: one syrk when every g_i >= 0, else a gemm. */
int ml_gram_eig_combine(ml_gram_eig *e, ml_mat *M);
/* out <- M A (wide) or A M (tall), M m x m symmetric (upper triangle read); out allocated or
 * reused with A's shape and dtype, and must not share storage with A. */
int ml_gram_eig_apply(ml_mat *out, const ml_mat *M, const ml_mat *A);

/* g(sigma) for one singular value: f(sigma) / sigma (sigma_max: the largest, for cut-offs). */
typedef double (*ml_sigma_fn)(void *ctx, double sigma, double sigma_max);
/* out <- U diag(g(sigma_i) sigma_i) W^T: the whole map (Gram, decompose, g, combine, apply).
 * e may be NULL (a temporary workspace is used). */
int ml_gram_eig_map(ml_mat *out, const ml_mat *A, ml_sigma_fn g, void *ctx, ml_gram_eig *e);

/* polar(A) = (A A^T)^(-1/2) A: singular values <= rtol * s_max map to 0; rtol < 0:
 * ml_polar_eig_rtol(A) = sqrt(max(m, n) eps) (below it lambda_i is rounding noise). */
int ml_polar_eig(ml_mat *out, const ml_mat *A, double rtol);
double ml_polar_eig_rtol(const ml_mat *A);
/* polar(A) through the eigendecomposition while lambda_min >= sqrt(eps) lambda_max (error about
 * cond^2 eps <= sqrt(eps)), else through the SVD (ml_polar with its default rtol). */
int ml_polar_auto(ml_mat *out, const ml_mat *A, double rtol);
/* U diag(sigma^p) W^T for p >= 0, singular values <= rtol * s_max map to 0 (rtol < 0: the
 * default of ml_polar_eig_rtol when p < 1, where small sigma are amplified, else 0). */
int ml_spectral_eig(ml_mat *out, const ml_mat *A, double p, double rtol);

#endif
