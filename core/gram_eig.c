/* Spectral maps through the eigendecomposition of the short-side Gram matrix (see gram_eig.h):
 *   F(A) = V diag(g(sigma)) V^T A,  A A^T = V diag(sigma^2) V^T.
 * The exact polar factor is g = 1/sigma (above a cut), U Sigma^p W^T is g = sigma^(p-1), any map
 * f (ml.spectral_map, e.g. spectral clipping) g = f(sigma)/sigma; ns.c's form "eig" uses the same
 * pieces with g the composed Newton-Schulz polynomial. */
#include "gram_eig.h"
#include "parallel.h"
#include "internal/syevd.h"
#include "error.h"
#include "ops.h"
#include "polar.h"
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

void ml_gram_eig_init(ml_gram_eig *e) { *e = (ml_gram_eig){0}; }

void ml_gram_eig_free(ml_gram_eig *e)
{
    ml_mat_free(&e->V);
    ml_mat_free(&e->lam);
    ml_mat_free(&e->g);
    ml_mat_free(&e->W);
    free(e->work);
    free(e->iwork);
    *e = (ml_gram_eig){0};
}

/* ml_mat_ensure, counting the calls that cannot reuse the buffer (the rule of ns.c's need()). */
static int need(ml_gram_eig *e, ml_mat *M, size_t r, size_t c, ml_dtype t)
{
    int reuse = M->buf && M->buf->refs == 1 && M->data == M->buf->data && M->buf->bytes >= r * c * ml_dtype_size(t);
    if (!reuse) e->allocs++;
    return ml_mat_ensure(M, r, c, t);
}

static int grow(ml_gram_eig *e, void **p, size_t *have, size_t bytes)
{
    if (*have >= bytes) return ML_OK;
    void *q = realloc(*p, bytes);
    if (!q) return ml_error(ML_ENOMEM, "out of memory (%zu bytes for the eigensolver)", bytes);
    *p = q;
    *have = bytes;
    e->allocs++;
    return ML_OK;
}

/* internal/syevd.h's decomposition, the workspace kept in e (allocated on the first call with a
 * shape). Column-major call on the row-major buffer: the matrix is symmetric, and on
 * return row i holds the i-th eigenvector. */
int ml_gram_eig_decompose(ml_gram_eig *e, const ml_mat *R)
{
    size_t m = R->rows;
    if (R->cols != m) return ml_error(ML_EINVAL, "gram_eig: the Gram matrix must be square, got %zu x %zu", m, R->cols);
    ml_dtype t = R->dtype;
    int rc = need(e, &e->lam, m, 1, ML_F64);
    if (!rc) rc = need(e, &e->g, m, 1, ML_F64);
    if (!rc && R != &e->V) rc = need(e, &e->V, m, m, t);
    if (!rc && R != &e->V) rc = ml_mat_copy(&e->V, R);
    if (rc) return rc;
    ml_parallel_nap();   /* LAPACK's and the back-transformation's products run on OpenBLAS's threads */
    size_t lw, liw, es = ml_dtype_size(t);
    rc = ml_syevd_query(t, m, &lw, &liw);
    if (!rc) rc = grow(e, &e->work, &e->work_bytes, (lw + m) * es);   /* + room for float eigenvalues */
    if (!rc) rc = grow(e, &e->iwork, &e->iwork_bytes, liw * sizeof(int));
    if (rc) return rc;
    double *l = e->lam.data;
    float *lf = (float *)e->work + lw;
    rc = ml_syevd(t, m, e->V.data, e->V.stride, t == ML_F64 ? (void *)l : (void *)lf, e->work, e->iwork);
    if (rc) return rc;
    if (t == ML_F32)
        for (size_t i = 0; i < m; i++) l[i] = lf[i];
    return ML_OK;
}

int ml_gram_eig_combine(ml_gram_eig *e, ml_mat *M)
{
    size_t m = e->V.rows;
    ml_dtype t = e->V.dtype;
    const double *g = e->g.data;
    int nonneg = 1;
    for (size_t i = 0; i < m; i++) nonneg &= g[i] >= 0;
    int rc = need(e, &e->W, m, m, t);
    if (!rc) rc = ml_mat_ensure(M, m, m, t);
    if (rc) return rc;
    /* W = diag(sqrt(g)) V and M = W^T W (syrk), or W = diag(g) V and M = V^T W */
    for (size_t i = 0; i < m; i++) {
        double f = nonneg ? sqrt(g[i]) : g[i];
        if (t == ML_F64) {
            const double *v = (const double *)e->V.data + i * e->V.stride;
            double *w = (double *)e->W.data + i * e->W.stride;
            for (size_t j = 0; j < m; j++) w[j] = f * v[j];
        } else {
            const float *v = (const float *)e->V.data + i * e->V.stride;
            float *w = (float *)e->W.data + i * e->W.stride;
            float ff = (float)f;
            for (size_t j = 0; j < m; j++) w[j] = ff * v[j];
        }
    }
    if (nonneg) return ml_syrk(M, 1.0, &e->W, ML_TRANS, 0.0);
    return ml_gemm(M, 1.0, &e->V, ML_TRANS, &e->W, ML_NOTRANS, 0.0);
}

int ml_gram_eig_apply(ml_mat *out, const ml_mat *M, const ml_mat *A)
{
    int rc = ml_mat_ensure(out, A->rows, A->cols, A->dtype);
    if (rc) return rc;
    return A->rows > A->cols ? ml_symm_right(out, 1.0, A, M, 0.0) : ml_symm(out, 1.0, M, A, 0.0);
}

/* A A^T would overflow or underflow far from unit size: the Gram matrix of 2^x A, whose
 * eigenvectors are A's, and sigma = 2^-x sqrt(lambda); M then applies to A itself. */
int ml_gram_eig_sigma(ml_gram_eig *e, const ml_mat *A)
{
    int tall = A->rows > A->cols;
    size_t m = tall ? A->cols : A->rows;
    int x = ml_scale_exponent(ml_norm_maxabs(A), ML_SCALE_WINDOW(A->dtype)), rc = ML_OK;
    ml_mat As = {0};
    const ml_mat *Ag = A;
    if (x) {
        rc = ml_mat_clone(&As, A, A->dtype);
        if (!rc) ml_mat_ldexp(&As, x);
        Ag = &As;
    }
    if (!rc) rc = need(e, &e->V, m, m, A->dtype);
    if (!rc) rc = ml_syrk(&e->V, 1.0, Ag, tall ? ML_TRANS : ML_NOTRANS, 0.0);
    ml_mat_free(&As);
    if (!rc) rc = ml_gram_eig_decompose(e, &e->V);
    const double *l = e->lam.data;
    double *sigma = e->g.data;
    for (size_t i = 0; i < m && !rc; i++) sigma[i] = ldexp(sqrt(fmax(l[i], 0.0)), -x);
    return rc;
}

/* ml_gram_eig_map, optionally refusing (returning ML_GRAM_EIG_REFUSED, out untouched) when
 * lambda_min < min_ratio * lambda_max. */
#define ML_GRAM_EIG_REFUSED 1
static int map_checked(ml_mat *out, const ml_mat *A, ml_sigma_fn gfn, void *ctx, ml_gram_eig *e, double min_ratio)
{
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty input matrix");
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    ml_gram_eig local;
    int own = !e;
    if (own) {
        ml_gram_eig_init(&local);
        e = &local;
    }
    size_t m = A->rows > A->cols ? A->cols : A->rows;
    ml_mat M = {0};
    int rc = ml_gram_eig_sigma(e, A);
    if (!rc) {
        const double *l = e->lam.data;
        double *g = e->g.data, smax = g[m - 1];
        if (min_ratio > 0 && !(l[0] >= min_ratio * l[m - 1])) rc = ML_GRAM_EIG_REFUSED;
        for (size_t i = 0; i < m && !rc; i++) g[i] = gfn(ctx, g[i], smax);
        if (!rc) rc = ml_gram_eig_combine(e, &M);
    }
    /* out is written only on success (it may be a reused buffer the caller still holds) */
    ml_mat res = {0};
    if (!rc) rc = ml_gram_eig_apply(&res, &M, A);
    if (!rc) {
        ml_mat_free(out);
        *out = res;
    } else {
        ml_mat_free(&res);
    }
    ml_mat_free(&M);
    if (own) ml_gram_eig_free(e);
    return rc;
}

int ml_gram_eig_map(ml_mat *out, const ml_mat *A, ml_sigma_fn gfn, void *ctx, ml_gram_eig *e)
{
    return map_checked(out, A, gfn, ctx, e, -INFINITY);
}

/* ---- the maps ---- */

double ml_polar_eig_rtol(const ml_mat *A)
{
    size_t k = A->rows > A->cols ? A->rows : A->cols;
    return sqrt((double)k * (A->dtype == ML_F64 ? DBL_EPSILON : FLT_EPSILON));
}

typedef struct power_ctx {
    double p, rtol;
} power_ctx;

/* g = sigma^(p - 1) above the cut rtol * sigma_max, 0 below */
static double g_power(void *ctx, double s, double smax)
{
    const power_ctx *c = ctx;
    if (!(s > c->rtol * smax) || !(s > 0)) return 0.0;
    return c->p == 1 ? 1.0 : pow(s, c->p - 1);
}

static int check_rtol(double rtol)
{
    if (!(rtol < 1) || isnan(rtol)) return ml_error(ML_EINVAL, "rtol must be < 1, got %g", rtol);
    return ML_OK;
}

int ml_polar_eig(ml_mat *out, const ml_mat *A, double rtol)
{
    return ml_spectral_eig(out, A, 0.0, rtol);
}

int ml_spectral_eig(ml_mat *out, const ml_mat *A, double p, double rtol)
{
    if (!(p >= 0) || !isfinite(p)) return ml_error(ML_EINVAL, "power p must be a finite number >= 0, got %g", p);
    int rc = check_rtol(rtol);
    if (rc) return rc;
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty input matrix");
    if (rtol < 0) rtol = p < 1 ? ml_polar_eig_rtol(A) : 0.0;
    power_ctx c = {p, rtol};
    return ml_gram_eig_map(out, A, g_power, &c, NULL);
}

/* The eig route's error is about cond^2 eps: it is taken while that is at most sqrt(eps), i.e.
 * lambda_min >= sqrt(eps) lambda_max (cond <= 8e3 in fp64, 54 in fp32; error <= 1.5e-8 and
 * 3.5e-4), else the SVD runs (also for rank-deficient input, where only the SVD tells exact zeros
 * from rounding noise). */
int ml_polar_auto(ml_mat *out, const ml_mat *A, double rtol)
{
    int rc = check_rtol(rtol);
    if (rc) return rc;
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty input matrix");
    power_ctx c = {0.0, rtol < 0 ? ml_polar_eig_rtol(A) : rtol};
    rc = map_checked(out, A, g_power, &c, NULL, sqrt(A->dtype == ML_F64 ? DBL_EPSILON : FLT_EPSILON));
    return rc == ML_GRAM_EIG_REFUSED ? ml_polar(out, A, rtol) : rc;
}
