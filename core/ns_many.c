/* ml_ns over a list of matrices (ns_many.h). The list is split once per call by the longest-
 * processing-time rule on the flop count m^2 n, then each share runs in its own thread of
 * core/parallel.c's pool, with OpenBLAS at one thread meanwhile (each BLAS call in its caller's
 * thread). */
#include "ns_many.h"
#include "error.h"
#include "parallel.h"
#include "threads.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct share_result {
    int rc;
    char msg[256];   /* ml_errmsg() is thread-local: copied out of the worker */
} share_result;

typedef struct many {
    size_t k;
    ml_mat *const *out;
    const ml_mat *const *G;
    const ml_schedule *sch;
    const ml_ns_opts *o;
    ml_ns_work *works;
    const size_t *order;   /* indices, largest first */
    const int *owner;      /* owner[i]: the thread of matrix i */
    share_result *res;     /* per thread */
} many;

/* Shares [begin, end) (one each when the pool runs them in parallel, all of them when it cannot). */
static void run_shares(void *ctx, int part, size_t begin, size_t end)
{
    const many *c = ctx;
    for (size_t t = begin; t < end; t++)
        for (size_t j = 0; j < c->k; j++) {
            size_t i = c->order[j];
            if (c->owner[i] != (int)t) continue;
            int rc = ml_ns(c->out[i], c->G[i], c->sch, c->o, &c->works[t]);
            if (rc) {
                c->res[t].rc = rc;
                snprintf(c->res[t].msg, sizeof c->res[t].msg, "matrix %zu: %s", i + 1, ml_errmsg());
                break;
            }
        }
}

static int by_cost_desc(const void *a, const void *b, void *G)
{
    const ml_mat *const *g = G;
    double ca = ml_ns_cost(g[*(const size_t *)a]), cb = ml_ns_cost(g[*(const size_t *)b]);
    if (ca != cb) return ca < cb ? 1 : -1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;   /* stable: by index */
}

int ml_ns_many(size_t k, ml_mat *const *out, const ml_mat *const *G, const ml_schedule *sch, const ml_ns_opts *o,
               ml_ns_work *works, int nworks)
{
    if (nworks < 1 || !works) return ml_error(ML_EINVAL, "ns_many: need at least one workspace");
    if (k == 0) return ML_OK;
    for (size_t i = 0; i < k; i++)
        if (!G[i] || !G[i]->buf || !out[i]) return ml_error(ML_EINVAL, "matrix %zu: empty input matrix", i + 1);
    double biggest = 0;
    for (size_t i = 0; i < k; i++) biggest = ml_ns_cost(G[i]) > biggest ? ml_ns_cost(G[i]) : biggest;
    int T = nworks < (int)(k < (size_t)ML_PARALLEL_MAX ? k : ML_PARALLEL_MAX) ? nworks : (int)k;
    if (T < 2 || (o && o->hook) || biggest > ML_NS_MANY_SMALL) {
        for (size_t i = 0; i < k; i++) {
            int rc = ml_ns(out[i], G[i], sch, o, &works[0]);
            if (rc) return k > 1 ? ml_error(rc, "matrix %zu: %s", i + 1, ml_errmsg()) : rc;
        }
        return ML_OK;
    }
    size_t *order = malloc(k * sizeof *order);
    int *owner = malloc(k * sizeof *owner);
    double *load = calloc((size_t)T, sizeof *load);
    share_result *res = calloc((size_t)T, sizeof *res);
    int rc = ML_OK;
    if (!order || !owner || !load || !res) {
        rc = ml_error(ML_ENOMEM, "out of memory (ns_many)");
        goto done;
    }
    for (size_t i = 0; i < k; i++) order[i] = i;
    qsort_r(order, k, sizeof *order, by_cost_desc, (void *)G);
    for (size_t j = 0; j < k; j++) {   /* largest first, to the least loaded thread */
        int best = 0;
        for (int t = 1; t < T; t++)
            if (load[t] < load[best]) best = t;
        owner[order[j]] = best;
        load[best] += ml_ns_cost(G[order[j]]);
    }
    many c = {k, out, G, sch, o, works, order, owner, res};
    ml_parallel_for_blas1((size_t)T, 1, T, run_shares, &c);
    for (int t = 0; t < T && !rc; t++)   /* the first failure in thread order */
        if (res[t].rc) rc = ml_error(res[t].rc, "%s", res[t].msg);
done:
    free(order);
    free(owner);
    free(load);
    free(res);
    return rc;
}
