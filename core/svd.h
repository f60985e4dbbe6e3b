/* Thin SVD through LAPACK: A = U diag(s) V^T with U (m x k), s (k x 1, descending),
 * V (n x k), k = min(m, n). gesdd first (divide and conquer); if it reports
 * non-convergence, gesvd (QR iteration), which is slower but more robust. */
#ifndef ML_SVD_H
#define ML_SVD_H

#include "matrix.h"

/* U, s, V are allocated here (dtype of A); computed in the dtype of A. Pass NULL for
 * U and V to get singular values only. Non-finite input is rejected. */
int ml_svd(const ml_mat *A, ml_mat *U, ml_mat *s, ml_mat *V);

/* The memory an m x n SVD of dtype t needs (LAPACK's workspace query plus the copies),
 * in *bytes; ML_ENOMEM when it exceeds what /proc/meminfo calls available or the workspace
 * does not fit LAPACK's 32-bit index (ml_svd checks this first, and refuses up front). */
int ml_svd_memory(size_t m, size_t n, ml_dtype t, int want_vectors, size_t *bytes);
/* MemAvailable from /proc/meminfo in bytes (SIZE_MAX when unknown). */
size_t ml_mem_available(void);

/* Default relative rank tolerance: singular values <= max(m, n) * eps(dtype) * s_max
 * are treated as zero (the rule of numpy.linalg.matrix_rank and MATLAB's rank). */
double ml_rank_tol(const ml_mat *A);

#endif
