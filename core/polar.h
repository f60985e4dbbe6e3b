/* Exact polar factor and spectral transforms from the SVD (the references every
 * iteration is measured against). For A = U diag(s) V^T:
 *   polar(A)       = U_r V_r^T        (partial isometry on the numerical range)
 *   spectral(A, p) = U diag(s^p) V^T  (p = 0 is polar, p = 1 is A; any finite p: p < 0 gives
 *                    U diag(s^p) V^T on the numerical range, p = -1 the pseudo-inverse transposed)
 * where singular values <= rtol * s_max map to 0 (rtol < 0: ml_rank_tol default).
 *   spectral_clip(A, tau)       = U diag(min(s, tau)) V^T              (MuCon, hard clip)
 *   spectral_clip(A, tau, soft) = U diag(s / sqrt(1 + s^2/tau^2)) V^T  (SPECTRA's soft clip,
 *                                 (I + A A^T/tau^2)^(-1/2) A); no rank tolerance: both maps send 0 to 0. */
#ifndef ML_POLAR_H
#define ML_POLAR_H

#include "matrix.h"

int ml_polar(ml_mat *out, const ml_mat *A, double rtol);

/* How the exact polar factor is computed: ML_POLAR_SVD (ml_polar), ML_POLAR_EIG (ml_polar_eig,
 * eig_polar.h), or by an iteration at matmul/factorisation speed: ML_POLAR_QDWH (qdwh.h),
 * ML_POLAR_ZOLO (zolo.h), ML_POLAR_NEWTON (newton_polar.h, square only). Parse a name ("svd",
 * "eig", "qdwh", "zolo", "newton"); 0 or ML_EINVAL with a message listing the names. */
typedef enum { ML_POLAR_SVD, ML_POLAR_EIG, ML_POLAR_QDWH, ML_POLAR_ZOLO, ML_POLAR_NEWTON } ml_polar_method;
int ml_polar_method_parse(const char *s, ml_polar_method *out);
const char *ml_polar_method_name(ml_polar_method m);

/* What an iterative method did. The iterative methods compute in float64 (the result in A's
 * dtype), on the tall orientation (A^T when A is wide), from X_0 = A/alpha, alpha ~ ||A||_2 and
 * l0 ~ sigma_min(X_0) estimated by power and inverse iteration on R of a QR factorisation
 * (core/internal/polar_iter.h; Newton scales itself and skips this). They need full rank: an
 * estimated sigma_min/sigma_max below eps (Newton: LU condition estimate) is an ML_ENUM error
 * naming method "svd"; above it the result is the (orthonormal) polar factor of the rounded
 * matrix. */
typedef struct ml_polar_info {
    int iterations;      /* matrix iterations */
    int qr_iterations;   /* of those, QR-based (QDWH while c > 100; Zolo-PD's first) */
    int factorizations;  /* QR, Cholesky or LU factorisations in all */
    int degree;          /* Zolo-PD: r of the type (2r+1, 2r) Zolotarev function; else 0 */
    double l0;           /* the lower bound of sigma_min(X_0) used */
    double alpha;        /* the scaling X_0 = A/alpha */
} ml_polar_info;

/* polar(A) by method m; rtol applies to svd/eig only (< 0: their default). info may be NULL. */
int ml_polar_by(ml_mat *out, const ml_mat *A, ml_polar_method m, double rtol, ml_polar_info *info);
int ml_spectral_svd(ml_mat *out, const ml_mat *A, double p, double rtol);
int ml_spectral_clip_svd(ml_mat *out, const ml_mat *A, double tau, int soft);

#endif
