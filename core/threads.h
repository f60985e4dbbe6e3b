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

#endif
