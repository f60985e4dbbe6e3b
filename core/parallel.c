/* The worker pool behind ml_parallel_for (parallel.h). One job at a time: the caller publishes
 * it and bumps `generation`; each worker k runs part k + 1 when k + 1 < parts, and every worker
 * counts down `pending` once it is done with the job (so that none still reads it when the next
 * is written); the caller runs part 0 and waits for pending = 0.
 *
 * Waiting spins first, then blocks: a worker that finished a job watches `generation` for
 * ML_PARALLEL_SPIN_NS before it sleeps on the condition variable, and the caller watches
 * `pending` as long before it sleeps. The split products of a Newton-Schulz step (blas_split.c)
 * come a few microseconds apart and take 50-200 us each; waking a sleeping thread costs 10-50 us
 * on a virtual machine, a quarter of a product. A sleeper is woken through the mutex (the flag
 * `sleepers` / `caller_sleeps` is set under it before the last check, and read after the
 * publishing store: sequentially consistent atomics, so one side always sees the other). */
#include "parallel.h"
#include "threads.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* Long enough to bridge the gaps between the products of one optimizer step, short enough that
 * a worker with nothing to do gives its core back within a fraction of a millisecond. */
#define ML_PARALLEL_SPIN_NS 200000L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static pthread_t workers[ML_PARALLEL_MAX];
static int nworkers, atfork_set;
static atomic_int stopping, busy, sleepers, caller_sleeps, pending;
static atomic_ulong generation;
static struct {
    ml_range_fn fn;
    void *ctx;
    size_t n;
    int parts;
} job;

static void part_range(size_t n, int parts, int k, size_t *b, size_t *e)
{
    *b = n * (size_t)k / (size_t)parts;
    *e = n * (size_t)(k + 1) / (size_t)parts;
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spin up to ML_PARALLEL_SPIN_NS until pending = 0 (1) or the time is up (0); the same for a
 * new generation. */
static int spin_until_done(void)
{
    long t0 = now_ns();
    for (unsigned i = 1;; i++) {
        if (atomic_load(&pending) == 0) return 1;
        relax();
        if (!(i & 255) && now_ns() - t0 > ML_PARALLEL_SPIN_NS) return 0;
    }
}

static int spin_while_gen(unsigned long seen)
{
    long t0 = now_ns();
    for (unsigned i = 1;; i++) {
        if (atomic_load(&generation) != seen || atomic_load(&stopping)) return 1;
        relax();
        if (!(i & 255) && now_ns() - t0 > ML_PARALLEL_SPIN_NS) return 0;
    }
}

static unsigned long first_seen[ML_PARALLEL_MAX];   /* the generation when worker k started */

static void *worker(void *arg)
{
    int k = (int)(size_t)arg;
    unsigned long seen = first_seen[k];
    for (;;) {
        if (!spin_while_gen(seen)) {
            pthread_mutex_lock(&lock);
            atomic_fetch_add(&sleepers, 1);
            while (!atomic_load(&stopping) && atomic_load(&generation) == seen) pthread_cond_wait(&start, &lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&lock);
        }
        if (atomic_load(&stopping)) break;
        seen = atomic_load(&generation);
        if (k + 1 < job.parts) {
            size_t b, e;
            part_range(job.n, job.parts, k + 1, &b, &e);
            job.fn(job.ctx, k + 1, b, e);
        }
        if (atomic_fetch_sub(&pending, 1) == 1 && atomic_load(&caller_sleeps)) {
            pthread_mutex_lock(&lock);
            pthread_cond_signal(&done);
            pthread_mutex_unlock(&lock);
        }
    }
    return NULL;
}

static void stop_pool(void)
{
    pthread_mutex_lock(&lock);
    atomic_store(&stopping, 1);
    pthread_cond_broadcast(&start);
    pthread_mutex_unlock(&lock);
    for (int k = 0; k < nworkers; k++) pthread_join(workers[k], NULL);
    nworkers = 0;
    atomic_store(&stopping, 0);
}

/* A forked child has the parent's memory but none of its threads: start afresh. */
static void child_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
    pthread_cond_init(&start, NULL);
    pthread_cond_init(&done, NULL);
    nworkers = 0;
    atomic_store(&busy, 0), atomic_store(&stopping, 0), atomic_store(&sleepers, 0);
    atomic_store(&caller_sleeps, 0), atomic_store(&pending, 0);
}

/* Called with the lock held: grow the pool to `want` workers; returns how many there are. */
static int ensure_workers(int want)
{
    if (!atfork_set) {
        atfork_set = 1;
        pthread_atfork(NULL, NULL, child_after_fork);
        atexit(stop_pool);
    }
    while (nworkers < want) {
        first_seen[nworkers] = atomic_load(&generation);
        if (pthread_create(&workers[nworkers], NULL, worker, (void *)(size_t)nworkers)) break;
        nworkers++;
    }
    return nworkers;
}

int ml_parallel_for(size_t n, size_t min_chunk, ml_range_fn fn, void *ctx)
{
    return ml_parallel_for_threads(n, min_chunk, ml_threads_get(), fn, ctx);
}

int ml_parallel_for_threads(size_t n, size_t min_chunk, int threads, ml_range_fn fn, void *ctx)
{
    int parts = threads;
    if (parts > ML_PARALLEL_MAX) parts = ML_PARALLEL_MAX;
    if (min_chunk < 1) min_chunk = 1;
    if ((size_t)parts > n / min_chunk) parts = (int)(n / min_chunk);
    int idle = 0, w = 0;
    if (parts > 1 && !atomic_compare_exchange_strong(&busy, &idle, 1)) parts = 1;   /* a job is running */
    if (parts > 1) {
        pthread_mutex_lock(&lock);
        w = ensure_workers(parts - 1);
        pthread_mutex_unlock(&lock);
        if (parts > w + 1) parts = w + 1;
        if (parts <= 1) atomic_store(&busy, 0);
    }
    if (parts <= 1) {
        fn(ctx, 0, 0, n);
        return 1;
    }
    job.fn = fn, job.ctx = ctx, job.n = n, job.parts = parts;
    atomic_store(&pending, w);
    atomic_fetch_add(&generation, 1);   /* publishes job (sequentially consistent) */
    if (atomic_load(&sleepers)) {
        pthread_mutex_lock(&lock);
        pthread_cond_broadcast(&start);
        pthread_mutex_unlock(&lock);
    }
    size_t b, e;
    part_range(n, parts, 0, &b, &e);
    fn(ctx, 0, b, e);
    if (!spin_until_done()) {
        pthread_mutex_lock(&lock);
        atomic_store(&caller_sleeps, 1);
        while (atomic_load(&pending) > 0) pthread_cond_wait(&done, &lock);
        atomic_store(&caller_sleeps, 0);
        pthread_mutex_unlock(&lock);
    }
    atomic_store(&busy, 0);
    return parts;
}
