/* Newton-Schulz on many matrices in one call (a model's parameter list, ns_many.c): small
 * matrices run concurrently, one thread per share of the list with single-threaded BLAS inside;
 * large ones one after the other with BLAS's own threads. */
#ifndef ML_NS_MANY_H
#define ML_NS_MANY_H

#include "ns.h"

/* Below this many flops (m^2 n, m <= n) for the largest matrix, the list runs concurrently:
 * BLAS threading does not pay at these sizes (measurements in ns_many.c). */
#define ML_NS_MANY_SMALL 3.4e7

/* out[i] <- NS(G[i]) for i < k, as ml_ns(out[i], G[i], sch, o, ...) would (the same kernels, the
 * same result). works: nworks >= 1 workspaces; with nworks > 1, k > 1, no hook and every matrix
 * small, the list is split over nworks threads (largest first, each to the least loaded thread,
 * so a thread sees the same shapes every call and its workspace stops allocating), else it runs
 * in order in works[0]. Errors name the matrix: "matrix i: ...". */
int ml_ns_many(size_t k, ml_mat *const *out, const ml_mat *const *G, const ml_schedule *sch, const ml_ns_opts *o,
               ml_ns_work *works, int nworks);

#endif
