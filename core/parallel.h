/* A parallel for over [0, n) for the elementwise and small-product parts of the layer kernels
 * (core/attention.c, core/nn.c) and the split products (internal/blas_split.h), with as many
 * threads as BLAS uses (ml_threads_get, at most ML_PARALLEL_MAX). The range is cut into that
 * many contiguous parts; the calling thread runs part 0 and a pool of worker threads (started on
 * first use; joined at exit; reset in a forked child) the others. Between calls a worker spins
 * 0.2 ms, then yields its CPU between looks for up to 0.1 s (like OpenBLAS's own workers), then
 * blocks on a condition variable (parallel.c says why). fn must only write what its part owns.
 * Calls made while a parallel for is running (from a part, or from another thread) run serially. */
#ifndef ML_PARALLEL_H
#define ML_PARALLEL_H

#include <stddef.h>

#define ML_PARALLEL_MAX 8

/* Elementwise passes (ops.c's axpby/scale/hadamard rows, optim_prims.c's momentum) run on the
 * pool from this many entries, in parts of at least half of it; below, waking a worker (~5 us)
 * costs more than it saves. Muon's update of a 256 x 784 fp32 matrix at 2 threads: axpby 57 ->
 * 25 us, the Fashion-MNIST epoch with OpenBLAS's AVX2 kernels 2.00 -> 1.98 s (3 pairs). */
#define ML_PARALLEL_ELEMENTS 65536

/* fn(ctx, part, begin, end) for the parts of [0, n); part in 0..parts-1. Returns the number of
 * parts used (1 when n < 2 * min_chunk, one thread, or the pool is busy or cannot start). */
typedef void (*ml_range_fn)(void *ctx, int part, size_t begin, size_t end);
int ml_parallel_for(size_t n, size_t min_chunk, ml_range_fn fn, void *ctx);
/* The same with at most `threads` parts instead of ml_threads_get() (core/ns_many.c: one part per
 * thread's share of a matrix list, with BLAS set to one thread meanwhile). */
int ml_parallel_for_threads(size_t n, size_t min_chunk, int threads, ml_range_fn fn, void *ctx);

/* ml_parallel_for_threads with BLAS on one thread while the parts run, each part calling
 * single-threaded BLAS (ns_many.c's shares of a matrix list, blas_split.c's blocks of a
 * product); BLAS's thread count comes back afterwards. */
int ml_parallel_for_blas1(size_t n, size_t min_chunk, int threads, ml_range_fn fn, void *ctx);

/* Idle workers stop waiting for work and sleep: called before products that OpenBLAS threads
 * itself (blas_split.c above its window, LAPACK), whose threads need the cores. */
void ml_parallel_nap(void);

#endif
