/* Exact polar factor and spectral transforms from the SVD (the references every
 * iteration is measured against). For A = U diag(s) V^T:
 *   polar(A)       = U_r V_r^T        (partial isometry on the numerical range)
 *   spectral(A, p) = U diag(s^p) V^T  (p = 0 is polar, p = 1 is A)
 * where singular values <= rtol * s_max map to 0 (rtol < 0: ml_rank_tol default). */
#ifndef ML_POLAR_H
#define ML_POLAR_H

#include "matrix.h"

int ml_polar(ml_mat *out, const ml_mat *A, double rtol);
int ml_spectral_svd(ml_mat *out, const ml_mat *A, double p, double rtol);

/* polar(A) from the eigendecomposition of the short-side Gram matrix (eig_polar.c): faster than
 * the SVD, accurate while cond(A) <~ 1/sqrt(eps), error ~ cond(A)^2 eps. Singular values
 * <= rtol * s_max map to 0; rtol < 0: ml_polar_eig_rtol(A) = sqrt(max(m, n) eps). */
int ml_polar_eig(ml_mat *out, const ml_mat *A, double rtol);
double ml_polar_eig_rtol(const ml_mat *A);

#endif
