/* The exact polar factor without an SVD (eig_polar.c). */
#ifndef ML_EIG_POLAR_H
#define ML_EIG_POLAR_H

#include "matrix.h"

/* polar(A) from the eigendecomposition of the short-side Gram matrix: faster than
 * the SVD, accurate while cond(A) <~ 1/sqrt(eps), error ~ cond(A)^2 eps. Singular values
 * <= rtol * s_max map to 0; rtol < 0: ml_polar_eig_rtol(A) = sqrt(max(m, n) eps). */
int ml_polar_eig(ml_mat *out, const ml_mat *A, double rtol);
double ml_polar_eig_rtol(const ml_mat *A);

#endif
