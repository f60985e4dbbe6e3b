/* The worker pool behind ml_parallel_for (parallel.h). One job at a time: the caller publishes
 * it and bumps `generation`; each worker k runs part k + 1 when k + 1 < parts, and every worker
 * counts down `pending` once it is done with the job (so that none still reads it when the next
 * is written); the caller runs part 0 and waits for pending = 0.
 *
 * Waiting spins first, then blocks. A worker that finished a job watches `generation`: 0.2 ms
 * with `pause` between looks, then up to 0.1 s with sched_yield between them (a runnable thread
 * on its CPU goes first), then it sleeps on the condition variable; ml_parallel_nap() cuts the
 * yielding phase short before OpenBLAS's own threads need the cores. The caller watches
 * `pending` for 0.2 ms before it sleeps. Why so long: on the 2-vCPU VMs here waking a sleeping
 * thread costs 0.1-1.5 ms, and a woken worker lands on the caller's CPU (moved off below): with
 * a 0.2 ms spin only, a 5-step NS of 256 x 1024 called every 0.1 s took 12-16 ms against 5-6 ms
 * with OpenBLAS's own threading (whose workers spin ~0.1 s); with the yielding phase 5.3-5.4
 * against 6.0-6.2. A sleeper is woken through the mutex (the flag `sleepers` / `caller_sleeps`
 * is set under it before the last check, and read after the publishing store: sequentially
 * consistent atomics, so one side always sees the other). */
#include "parallel.h"
#include "threads.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>
#include <time.h>

#define ML_PARALLEL_SPIN_NS 200000L
#define ML_PARALLEL_YIELD_NS 100000000L

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
    int parts, caller_cpu;
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

/* A worker waits for the next job: ML_PARALLEL_SPIN_NS of pause-spinning, then up to
 * ML_PARALLEL_YIELD_NS yielding between looks (a runnable thread on its CPU goes first), unless
 * ml_parallel_nap() asks the pool to sleep. */
static atomic_ulong naps;
static int spin_while_gen(unsigned long seen)
{
    long t0 = now_ns();
    unsigned long nap0 = atomic_load(&naps);
    int yielding = 0;
    for (unsigned i = 1;; i++) {
        if (atomic_load(&generation) != seen || atomic_load(&stopping)) return 1;
        if (yielding) {
            sched_yield();
            if (!(i & 15) && (now_ns() - t0 > ML_PARALLEL_YIELD_NS || atomic_load(&naps) != nap0)) return 0;
        } else {
            relax();
            if (!(i & 255) && now_ns() - t0 > ML_PARALLEL_SPIN_NS) yielding = 1;
        }
    }
}

void ml_parallel_nap(void) { atomic_fetch_add(&naps, 1); }

static unsigned long first_seen[ML_PARALLEL_MAX];   /* the generation when worker k started */

/* A sleeping worker may be woken onto the caller's CPU (the scheduler's wake-affine placement;
 * seen on a 2-vCPU VM whose vCPUs share no cache level as far as the guest knows: 134 of 142
 * wakes counted), and a new one starts there, where it halves the caller's speed until the load
 * balancer moves it (~0.1 s). So a worker that finds itself there when it takes a job moves off
 * at once (affinity without that CPU, then the old mask back: the second call does not move it).
 * Measured, a 5-step NS of 256 x 1024 called every 0.3 s (the worker asleep each time): 5.8 ms
 * with the move, 6.5-6.8 without, 6.3-6.4 unsplit; the GPT bench's attention at 2 threads in a
 * fresh process: its first ~30 calls took 3.0-3.2 ms instead of 1.1 in 4 of 5 runs when only a
 * woken worker checked (the new one never slept), in 0 of 5 with the check at every job. */
static void move_off(int cpu)
{
    cpu_set_t all, other;
    if (cpu < 0 || sched_getaffinity(0, sizeof all, &all)) return;
    other = all;
    CPU_CLR(cpu, &other);
    if (CPU_COUNT(&other) > 0 && sched_setaffinity(0, sizeof other, &other) == 0) sched_setaffinity(0, sizeof all, &all);
}

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
        if (sched_getcpu() == job.caller_cpu) move_off(job.caller_cpu);
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
    job.fn = fn, job.ctx = ctx, job.n = n, job.parts = parts, job.caller_cpu = sched_getcpu();
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

int ml_parallel_for_blas1(size_t n, size_t min_chunk, int threads, ml_range_fn fn, void *ctx)
{
    int blas = ml_threads_get();
    ml_threads_set(1);
    int parts = ml_parallel_for_threads(n, min_chunk, threads, fn, ctx);
    ml_threads_set(blas);
    return parts;
}
