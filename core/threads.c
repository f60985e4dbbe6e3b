#include "threads.h"
#include "error.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS extensions; declared here in case a cblas.h does not. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

int ml_threads_set(int n)
{
    if (n < 1 || n > ML_MAX_THREADS) return ml_error(ML_EINVAL, "number of threads must be in 1..%d, got %d", ML_MAX_THREADS, n);
    int prev = openblas_get_num_threads();
    openblas_set_num_threads(n);
    int got = openblas_get_num_threads();
    if (got != n) {   /* OpenBLAS caps at its build's NUM_THREADS without a word: say so */
        openblas_set_num_threads(prev);
        return ml_error(ML_EINVAL, "number of threads %d exceeds this OpenBLAS's limit of %d", n, got);
    }
    return ML_OK;
}

int ml_threads_get(void) { return openblas_get_num_threads(); }

int ml_threads_from_env(void)
{
    const char *s = getenv("ML_THREADS");
    if (!s || !*s) return ML_OK;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end || n < 1 || n > ML_MAX_THREADS)
        return ml_error(ML_EINVAL, "ML_THREADS must be an integer in 1..%d, got '%s'", ML_MAX_THREADS, s);
    if (ml_threads_set((int)n) == ML_OK) return ML_OK;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", ml_errmsg());
    return ml_error(ML_EINVAL, "ML_THREADS=%s: %s", s, msg);
}

typedef struct task {
    int (*fn)(void *ctx, int t);
    void *ctx;
    int t, rc;
    char msg[512];
} task;

static void *task_main(void *arg)
{
    task *k = arg;
    k->rc = k->fn(k->ctx, k->t);
    if (k->rc) snprintf(k->msg, sizeof k->msg, "%s", ml_errmsg());   /* the message is thread-local */
    return NULL;
}

int ml_threads_run(int n, int (*fn)(void *ctx, int t), void *ctx)
{
    if (n < 1 || n > ML_MAX_THREADS) return ml_error(ML_EINVAL, "number of threads must be in 1..%d, got %d", ML_MAX_THREADS, n);
    task *k = calloc((size_t)n, sizeof *k);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    char *started = calloc((size_t)n, 1);
    int rc = ML_OK;
    if (!k || !th || !started) {
        rc = ml_error(ML_ENOMEM, "out of memory (thread table)");
        goto done;
    }
    int blas = openblas_get_num_threads();
    if (n > 1) openblas_set_num_threads(1);
    for (int t = 0; t < n; t++) k[t] = (task){.fn = fn, .ctx = ctx, .t = t};
    for (int t = 1; t < n; t++) started[t] = pthread_create(&th[t], NULL, task_main, &k[t]) == 0;
    for (int t = 1; t < n; t++)   /* a thread that could not start runs here */
        if (!started[t]) task_main(&k[t]);
    task_main(&k[0]);
    for (int t = 1; t < n; t++)
        if (started[t]) pthread_join(th[t], NULL);
    if (n > 1) openblas_set_num_threads(blas);
    for (int t = 0; t < n && !rc; t++)
        if (k[t].rc) rc = ml_error(k[t].rc, "%s", k[t].msg);
done:
    free(k);
    free(th);
    free(started);
    return rc;
}
