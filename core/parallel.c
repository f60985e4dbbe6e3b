/* The worker pool behind ml_parallel_for (parallel.h). One job at a time: the caller publishes
 * it under the mutex and bumps `generation`; each worker k runs part k + 1 when k + 1 < parts
 * and counts down `pending`; the caller runs part 0 and waits for pending = 0. */
#include "parallel.h"
#include "threads.h"
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static pthread_t workers[ML_PARALLEL_MAX];
static int nworkers, stopping, busy, atfork_set;
static unsigned long generation;
static struct {
    ml_range_fn fn;
    void *ctx;
    size_t n;
    int parts, pending;
} job;

static void part_range(size_t n, int parts, int k, size_t *b, size_t *e)
{
    *b = n * (size_t)k / (size_t)parts;
    *e = n * (size_t)(k + 1) / (size_t)parts;
}

static void *worker(void *arg)
{
    int k = (int)(size_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!stopping && generation == seen) pthread_cond_wait(&start, &lock);
        if (stopping) break;
        seen = generation;
        if (k + 1 >= job.parts) continue;
        ml_range_fn fn = job.fn;
        void *ctx = job.ctx;
        size_t b, e;
        part_range(job.n, job.parts, k + 1, &b, &e);
        pthread_mutex_unlock(&lock);
        fn(ctx, k + 1, b, e);
        pthread_mutex_lock(&lock);
        if (--job.pending == 0) pthread_cond_signal(&done);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void stop_pool(void)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&start);
    pthread_mutex_unlock(&lock);
    for (int k = 0; k < nworkers; k++) pthread_join(workers[k], NULL);
    nworkers = 0;
    stopping = 0;
}

/* A forked child has the parent's memory but none of its threads: start afresh. */
static void child_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
    pthread_cond_init(&start, NULL);
    pthread_cond_init(&done, NULL);
    nworkers = 0, busy = 0, stopping = 0;
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
        if (pthread_create(&workers[nworkers], NULL, worker, (void *)(size_t)nworkers)) break;
        nworkers++;
    }
    return nworkers;
}

int ml_parallel_for(size_t n, size_t min_chunk, ml_range_fn fn, void *ctx)
{
    int parts = ml_threads_get();
    if (parts > ML_PARALLEL_MAX) parts = ML_PARALLEL_MAX;
    if (min_chunk < 1) min_chunk = 1;
    if ((size_t)parts > n / min_chunk) parts = (int)(n / min_chunk);
    if (parts > 1) {
        pthread_mutex_lock(&lock);
        if (busy) {
            parts = 1;
        } else {
            int w = ensure_workers(parts - 1);
            if (parts > w + 1) parts = w + 1;
            if (parts > 1) {
                busy = 1;
                job.fn = fn, job.ctx = ctx, job.n = n, job.parts = parts, job.pending = parts - 1;
                generation++;
                pthread_cond_broadcast(&start);
            }
        }
        pthread_mutex_unlock(&lock);
    }
    if (parts <= 1) {
        fn(ctx, 0, 0, n);
        return 1;
    }
    size_t b, e;
    part_range(n, parts, 0, &b, &e);
    fn(ctx, 0, b, e);
    pthread_mutex_lock(&lock);
    while (job.pending > 0) pthread_cond_wait(&done, &lock);
    busy = 0;
    pthread_mutex_unlock(&lock);
    return parts;
}
