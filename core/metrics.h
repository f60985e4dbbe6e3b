/* How far an iterate is from orthogonal, and from the exact polar factor. */
#ifndef ML_METRICS_H
#define ML_METRICS_H

#include "matrix.h"

/* ||X X^T - I|| on the short side (X^T X when X is tall): Frobenius and spectral. */
int ml_orth_error(const ml_mat *X, double *fro, double *spec);
/* ||X - Q||_F for Q = polar(A) computed by SVD. */
int ml_polar_distance(const ml_mat *X, const ml_mat *A, double *out);

#endif
