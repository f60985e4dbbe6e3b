/* BLAS threads. OpenBLAS uses all cores by default (or OPENBLAS_NUM_THREADS); ML_THREADS, read
 * by ml_threads_from_env (the Lua module calls it when it loads), or ml_threads_set change it for
 * the whole process. */
#ifndef ML_THREADS_H
#define ML_THREADS_H

#define ML_MAX_THREADS 1024

/* n in 1..ML_MAX_THREADS and at most the limit OpenBLAS was built with (64 in Debian's
 * pthread build, which otherwise caps silently); returns 0, or ML_EINVAL naming the limit
 * with the count unchanged. */
int ml_threads_set(int n);
int ml_threads_get(void);
/* Apply ML_THREADS when set: 0 (also when unset or empty), or ML_EINVAL when it is not an
 * integer in 1..ML_MAX_THREADS. */
int ml_threads_from_env(void);

/* Run fn(ctx, t) for t = 0 .. n-1 concurrently (t = 0 in the calling thread, the others in new
 * pthreads), with OpenBLAS at one thread meanwhile (each task's BLAS calls run in its own thread;
 * the previous count is restored after). Returns 0, or the first nonzero return of a task in
 * task order, whose ml_errmsg() it carries over to the calling thread. n in 1..ML_MAX_THREADS. */
int ml_threads_run(int n, int (*fn)(void *ctx, int t), void *ctx);

#endif
