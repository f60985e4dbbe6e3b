/* Newton-Schulz iteration for the polar factor:
 *   X_0 = G / (||G||_F + eps),  X_{t+1} = p_t(X_t X_t^T) X_t  with odd p_t,
 * i.e. X <- c1 X + c3 (X X^T) X + c5 (X X^T)^2 X + ... on the short side
 * (a tall G is transposed first so the Gram matrix is the small one). */
#ifndef ML_NS_H
#define ML_NS_H

#include "matrix.h"
#include "coeffs.h"

typedef struct ml_ns_opts {
    double eps;          /* added to the normaliser; default 1e-7 (Muon reference) */
} ml_ns_opts;

void ml_ns_opts_default(ml_ns_opts *o);

/* Reusable workspace: keep one per parameter shape in a training loop; after the
 * first call with a shape no further allocation happens. */
typedef struct ml_ns_work {
    ml_mat X, Y, A, B, C;
} ml_ns_work;

void ml_ns_work_init(ml_ns_work *w);
void ml_ns_work_free(ml_ns_work *w);

/* out (allocated here or reused when it already has G's shape and dtype) <- NS(G). */
int ml_ns(ml_mat *out, const ml_mat *G, const ml_schedule *sch, const ml_ns_opts *o, ml_ns_work *w);

#endif
