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

/* How the exact polar factor is computed: ML_POLAR_SVD (ml_polar) or ML_POLAR_EIG (ml_polar_eig,
 * eig_polar.h). Parse a name ("svd", "eig"); 0 or ML_EINVAL with a message listing the names. */
typedef enum { ML_POLAR_SVD, ML_POLAR_EIG } ml_polar_method;
int ml_polar_method_parse(const char *s, ml_polar_method *out);
const char *ml_polar_method_name(ml_polar_method m);
int ml_spectral_svd(ml_mat *out, const ml_mat *A, double p, double rtol);
int ml_spectral_clip_svd(ml_mat *out, const ml_mat *A, double tau, int soft);

#endif
