#include "threads.h"
#include "error.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
