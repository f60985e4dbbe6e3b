/* QDWH: the polar factor by the QR-based dynamically weighted Halley iteration (qdwh.c). */
#ifndef ML_QDWH_H
#define ML_QDWH_H

#include "matrix.h"
#include "polar.h"

/* out (allocated here, A's shape and dtype) <- polar(A) for full-rank A; info (may be NULL)
 * receives the iteration counts. At most ML_QDWH_MAX_ITER iterations (6 suffice in float64 for
 * any l0 >= 1e-16; the cap only guards against a wrong l0). */
#define ML_QDWH_MAX_ITER 12
int ml_polar_qdwh(ml_mat *out, const ml_mat *A, ml_polar_info *info);

#endif
