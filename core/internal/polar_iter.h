/* Shared by the iterative polar references (qdwh.c, zolo.c, newton_polar.c; polar_iter.c):
 * the input in float64, column-major, in its tall orientation (m >= n: A itself when tall or
 * square, A^T when wide, which is the same memory order as a row-major wide A), the norms the
 * scalings need, and the lower bound of sigma_min from a condition estimate. Internal: not
 * installed. */
#ifndef ML_POLAR_ITER_H
#define ML_POLAR_ITER_H

#include "matrix.h"
#include "polar.h"

typedef struct ml_tallmat {
    double *x;      /* m x n, column-major, leading dimension m */
    int m, n;       /* m >= n */
    int wide;       /* the input was wide: the result is transposed back */
} ml_tallmat;

/* Check A (allocated, finite), copy it into t (its own malloc'd buffer). */
int ml_tall_load(ml_tallmat *t, const ml_mat *A, const char *method);
/* out (allocated here, A's shape and dtype) <- t, transposed back for a wide input. */
int ml_tall_store(ml_mat *out, const ml_tallmat *t, const ml_mat *A);
void ml_tall_free(ml_tallmat *t);

/* Column-major m x n helpers (leading dimension m). */
double ml_cm_norm_fro(const double *x, int m, int n);
double ml_cm_norm_1(const double *x, int m, int n);
double ml_cm_norm_inf(const double *x, int m, int n);

/* alpha >= ||X||_2: min(||X||_F, sqrt(||X||_1 ||X||_inf)) (both are upper bounds). */
double ml_cm_norm2_bound(const double *x, int m, int n);

/* Estimates of sigma_max(X) (from below) and sigma_min(X) (from above; 0 when R is exactly
 * singular) for X m x n, m >= n: R of the QR factorisation (geqrf on a copy), then
 * ML_POLAR_EST_STEPS steps of the power iteration on R^T R and of the inverse iteration (two
 * triangular solves each), O(n^2) per step against the QR's 2 m n^2. */
#define ML_POLAR_EST_STEPS 30
int ml_cm_extremes(const double *x, int m, int n, double *smax, double *smin);

/* Y <- X (a X^T X + b I)^-1 by Cholesky (Z: n x n workspace, overwritten): the Cholesky form of
 * QDWH (a = c, b = 1) and of Zolo-PD's shifted solves (a = 1, b = c). method names the caller. */
int ml_cm_gram_solve(const double *x, double *y, double *Z, int m, int n, double a, double b, const char *method);
/* The estimates are moved toward safety: alpha = min(the norm bound, 1.02 sigma_max est) (the
 * spectral preconditioner's factor, core/ns.h: sigma(X_0) may exceed 1 by the power iteration's
 * shortfall, which both rational maps tolerate), l0 = sigma_min est / (1.5 alpha) (inverse
 * iteration approaches sigma_min from above; an l0 above sigma_min(X_0) costs QDWH an iteration
 * and Zolo-PD digits). */
#define ML_POLAR_EST_SAFETY 1.02
#define ML_POLAR_LMIN_SAFETY 1.5

/* Load A (tall orientation), scale it to X_0 = A/alpha (info->alpha) and, when want_l0, set
 * info->l0 from ml_cm_extremes, failing with ml_polar_rank_error when the estimated
 * sigma_min/sigma_max is below eps. */
int ml_polar_prepare(ml_tallmat *t, const ml_mat *A, const char *method, int want_l0, ml_polar_info *info);

/* The error every iterative method returns for numerically singular input: their rational maps
 * send rounding noise in the null space to arbitrary values in [0, 1], so there is no partial
 * isometry to return (method = "svd" gives it). */
int ml_polar_rank_error(const char *method, double rel_smin);

#endif
