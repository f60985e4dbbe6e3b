/* Scaled Newton iteration for the polar factor of a square matrix (newton_polar.c). */
#ifndef ML_NEWTON_POLAR_H
#define ML_NEWTON_POLAR_H

#include "matrix.h"
#include "polar.h"

#define ML_NEWTON_POLAR_MAX_ITER 30

/* out (allocated here, A's shape and dtype) <- polar(A) for square nonsingular A: ML_EINVAL for a
 * non-square A, ML_ENUM when the LU factorisation finds A singular or its condition estimate is
 * below eps. info (may be NULL) receives the iteration count. */
int ml_polar_newton(ml_mat *out, const ml_mat *A, ml_polar_info *info);

#endif
