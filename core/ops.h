/* Elementwise arithmetic, BLAS-backed products and norms on ml_mat.
 * Binary operations need equal shapes and equal dtypes; results may alias inputs. */
#ifndef ML_OPS_H
#define ML_OPS_H

#include "matrix.h"

typedef enum { ML_NOTRANS = 0, ML_TRANS = 1 } ml_trans;

/* Y <- a*X + Y */
int ml_axpy(ml_mat *Y, double a, const ml_mat *X);
/* Z <- a*X + b*Y  (Z may be X or Y) */
int ml_axpby(ml_mat *Z, double a, const ml_mat *X, double b, const ml_mat *Y);
/* Z <- X .* Y (Hadamard) */
int ml_hadamard(ml_mat *Z, const ml_mat *X, const ml_mat *Y);
/* X <- a*X */
void ml_scale(ml_mat *X, double a);
/* X <- X + a*I (square part of the diagonal) */
void ml_add_diag(ml_mat *X, double a);

/* C <- alpha*op(A)*op(B) + beta*C with BLAS gemm. C must be allocated with the right shape. */
int ml_gemm(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb, double beta);
/* Gram matrix with BLAS syrk: C <- alpha*A*A^T + beta*C (trans = ML_NOTRANS) or
 * alpha*A^T*A + beta*C (ML_TRANS); both triangles of C are filled. */
int ml_syrk(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta);
/* C <- alpha*S*B + beta*C with S symmetric (only its upper triangle is read), BLAS symm. */
int ml_symm(ml_mat *C, double alpha, const ml_mat *S, const ml_mat *B, double beta);
/* C <- alpha*B*S + beta*C with S symmetric (upper triangle read). */
int ml_symm_right(ml_mat *C, double alpha, const ml_mat *B, const ml_mat *S, double beta);
/* Copy the upper triangle into the lower one. */
void ml_symmetrize_from_upper(ml_mat *S);

/* Norms and sums never overflow or underflow in between: the Frobenius norm and ||X - Y||_F are
 * scaled sums of squares (LAPACK nrm2 style), trace and dot rescale by powers of two when the plain
 * sum leaves the safe range. The value is inf only when the result itself exceeds the double range
 * (callers that return it to a user report that as an error); NaN/Inf entries propagate. */
double ml_norm_fro(const ml_mat *X);
/* ||X - Y||_F (equal shapes; dtypes may differ). */
int ml_norm_fro_diff(const ml_mat *X, const ml_mat *Y, double *out);
double ml_norm_maxabs(const ml_mat *X);
/* The same over the lower triangle (j <= i) only: the entries above the diagonal are not read. */
double ml_norm_maxabs_lower(const ml_mat *S);
double ml_trace(const ml_mat *X);
/* Sum of X .* Y (Frobenius inner product). */
int ml_dot(const ml_mat *X, const ml_mat *Y, double *out);
/* Prescaling for the routines that square their input (Gram matrices): the exponent e that puts
 * max |X| = M at [1/2, 1) when M is outside [2^-window, 2^window], else 0 (also for M = 0 or
 * not finite). The windows keep everything the callers square twice in the normal range for up
 * to 2^31 elements: float64 200 (the Lanczos vectors of ns's spectral preconditioner sum squares
 * of A q, A = G G^T: n^3 M^4 < 2^1023 needs M < 2^232; (eps M^2)^2 > 2^-1022 needs M > 2^-229),
 * float32 32 (n M^2 < 2^127 and eps M^2 > 2^-126 in float32). ml_mat_ldexp scales X by 2^e in
 * place (exact unless an entry leaves the range). */
#define ML_SCALE_WINDOW(dtype) ((dtype) == ML_F64 ? 200 : 32)
int ml_scale_exponent(double M, int window);
void ml_mat_ldexp(ml_mat *X, int e);

/* Spectral and nuclear norms via the singular values (LAPACK). */
int ml_norm_spectral(const ml_mat *X, double *out);
int ml_norm_nuclear(const ml_mat *X, double *out);

#endif
