/* Thin SVD through LAPACK: A = U diag(s) V^T with U (m x k), s (k x 1, descending),
 * V (n x k), k = min(m, n). gesdd first (divide and conquer); if it reports
 * non-convergence, gesvd (QR iteration), which is slower but more robust. */
#ifndef ML_SVD_H
#define ML_SVD_H

#include "matrix.h"

/* U, s, V are allocated here (dtype of A); computed in the dtype of A. Pass NULL for
 * U and V to get singular values only. Non-finite input is rejected. */
int ml_svd(const ml_mat *A, ml_mat *U, ml_mat *s, ml_mat *V);

/* Default relative rank tolerance: singular values <= max(m, n) * eps(dtype) * s_max
 * are treated as zero (the rule of numpy.linalg.matrix_rank and MATLAB's rank). */
double ml_rank_tol(const ml_mat *A);

#endif
