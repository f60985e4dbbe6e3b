#include "tracer.h"
#include "error.h"
#include "metrics.h"
#include "ops.h"
#include "polar.h"
#include "svd.h"
#include <math.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ml_tracer_init(ml_tracer *t) { *t = (ml_tracer){0}; }

void ml_tracer_free(ml_tracer *t)
{
    ml_mat_free(&t->ref);
    free(t->rec);
    *t = (ml_tracer){0};
}

static void set_ref_norm(ml_tracer *t)
{
    t->refnorm = ml_norm_fro(&t->ref);
    if (!(t->refnorm > 0)) t->refnorm = 1;   /* zero input: absolute distance */
}

int ml_tracer_ns_start(ml_tracer *t, const ml_mat *A)
{
    ml_tracer_init(t);
    ml_mat ad = {0}, aw = {0};
    int rc = ml_mat_clone(&ad, A, ML_F64);
    if (!rc && A->rows > A->cols) rc = ml_mat_transpose(&aw, &ad);
    else if (!rc) ml_mat_ref(&aw, &ad);
    if (!rc) rc = ml_polar(&t->ref, &aw, -1);
    ml_mat_free(&ad);
    ml_mat_free(&aw);
    if (rc) return rc;
    set_ref_norm(t);
    t->spectrum = 1;
    return ML_OK;
}

int ml_tracer_spectral_start(ml_tracer *t, const ml_mat *A, double p)
{
    ml_tracer_init(t);
    ml_mat a64 = {0};
    const ml_mat *src = A;
    int rc = ML_OK;
    if (A->dtype != ML_F64) rc = ml_mat_clone(&a64, A, ML_F64), src = &a64;
    if (!rc) rc = ml_spectral_svd(&t->ref, src, p, -1);
    ml_mat_free(&a64);
    if (rc) return rc;
    set_ref_norm(t);
    t->t0 = now();
    return ML_OK;
}

/* Append the record of iterate X (of the reference's shape). */
static int record(ml_tracer *t, int step, const ml_mat *X, double time)
{
    if (!ml_mat_same_shape(X, &t->ref))
        return ml_error(ML_EINVAL, "trace: iterate %zu x %zu, reference %zu x %zu", X->rows, X->cols, t->ref.rows,
                        t->ref.cols);
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 32;
        ml_trace_rec *r = realloc(t->rec, (size_t)cap * sizeof *r);
        if (!r) return ml_error(ML_ENOMEM, "out of memory recording the trace");
        t->rec = r;
        t->cap = cap;
    }
    ml_trace_rec *r = &t->rec[t->n];
    *r = (ml_trace_rec){.step = step, .time = time, .orth_fro = NAN, .orth_spec = NAN, .smin = NAN, .smax = NAN};
    double s;
    int rc = ml_norm_fro_diff(X, &t->ref, &s);   /* scaled: no overflow at any magnitude */
    r->dist = s / t->refnorm;
    if (t->spectrum) {
        rc = ml_orth_error(X, &r->orth_fro, &r->orth_spec);
        ml_mat Xd = {0}, sv = {0};
        if (!rc) rc = ml_mat_clone(&Xd, X, ML_F64);
        if (!rc) rc = ml_svd(&Xd, NULL, &sv, NULL);
        if (!rc) {
            r->smax = ml_mat_get(&sv, 0, 0);
            r->smin = ml_mat_get(&sv, sv.rows - 1, 0);
        }
        ml_mat_free(&Xd);
        ml_mat_free(&sv);
    }
    if (!rc) t->n++;
    return rc;
}

int ml_tracer_ns_hook(void *ctx, int step, const ml_mat *X, double seconds)
{
    return record(ctx, step, X, seconds);
}

int ml_tracer_spectral_hook(void *ctx, int step, const ml_mat *X)
{
    ml_tracer *t = ctx;
    double start = now();
    int rc = record(t, step, X, start - t->t0 - t->excluded);
    t->excluded += now() - start;
    return rc;
}
