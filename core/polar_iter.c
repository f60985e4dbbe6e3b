/* Helpers shared by the iterative polar references (see core/internal/polar_iter.h). */
#include "internal/polar_iter.h"
#include "error.h"
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ml_tall_load(ml_tallmat *t, const ml_mat *A, const char *method)
{
    memset(t, 0, sizeof *t);
    if (!A || !A->buf) return ml_error(ML_EINVAL, "%s: empty input matrix", method);
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "%s: input contains NaN or Inf", method);
    if (A->rows > INT32_MAX / 2 || A->cols > INT32_MAX / 2) return ml_error(ML_EINVAL, "%s: matrix too large", method);
    t->wide = A->rows < A->cols;
    t->m = (int)(t->wide ? A->cols : A->rows);
    t->n = (int)(t->wide ? A->rows : A->cols);
    t->x = malloc((size_t)t->m * (size_t)t->n * sizeof(double));
    if (!t->x) return ml_error(ML_ENOMEM, "%s: out of memory", method);
    /* column-major X(i, j) at x[i + j m]: X = A (A(i, j)) or X = A^T (A(j, i)) */
    for (size_t r = 0; r < A->rows; r++)
        for (size_t c = 0; c < A->cols; c++) {
            size_t i = t->wide ? c : r, j = t->wide ? r : c;
            t->x[i + j * (size_t)t->m] = ml_mat_get(A, r, c);
        }
    return ML_OK;
}

int ml_tall_store(ml_mat *out, const ml_tallmat *t, const ml_mat *A)
{
    ml_mat res = {0};
    int rc = ml_mat_alloc(&res, A->rows, A->cols, A->dtype);
    if (rc) return rc;
    for (size_t r = 0; r < A->rows; r++)
        for (size_t c = 0; c < A->cols; c++) {
            size_t i = t->wide ? c : r, j = t->wide ? r : c;
            ml_mat_set(&res, r, c, t->x[i + j * (size_t)t->m]);
        }
    *out = res;   /* like ml_polar: out is overwritten, not freed */
    return ML_OK;
}

void ml_tall_free(ml_tallmat *t)
{
    free(t->x);
    t->x = NULL;
}

double ml_cm_norm_fro(const double *x, int m, int n) { return cblas_dnrm2(m * n, x, 1); }

double ml_cm_norm_1(const double *x, int m, int n)
{
    double best = 0;
    for (int j = 0; j < n; j++) best = fmax(best, cblas_dasum(m, x + (size_t)j * m, 1));
    return best;
}

double ml_cm_norm_inf(const double *x, int m, int n)
{
    double best = 0;
    for (int i = 0; i < m; i++) {
        double s = 0;
        for (int j = 0; j < n; j++) s += fabs(x[i + (size_t)j * m]);
        best = fmax(best, s);
    }
    return best;
}

double ml_cm_norm2_bound(const double *x, int m, int n)
{
    /* the square roots taken apart: the product of the two norms under/overflows for entries near 1e+-160 */
    return fmin(ml_cm_norm_fro(x, m, n), sqrt(ml_cm_norm_1(x, m, n)) * sqrt(ml_cm_norm_inf(x, m, n)));
}

/* v <- v/||v||, returning ||v|| */
static double normalize(double *v, int n)
{
    double nv = cblas_dnrm2(n, v, 1);
    if (nv > 0) cblas_dscal(n, 1.0 / nv, v, 1);
    return nv;
}

int ml_cm_extremes(const double *x, int m, int n, double *smax, double *smin)
{
    double *q = malloc((size_t)m * (size_t)n * sizeof(double)), *tau = malloc((size_t)n * sizeof(double));
    double *v = malloc((size_t)n * sizeof(double));
    if (!q || !tau || !v) {
        free(q), free(tau), free(v);
        return ml_error(ML_ENOMEM, "out of memory");
    }
    memcpy(q, x, (size_t)m * (size_t)n * sizeof(double));
    lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, q, m, tau);
    int singular = 0;
    for (int i = 0; i < n && !info; i++) singular |= q[i + (size_t)i * m] == 0;
    double hi = 0, lo = 0;
    if (!info) {
        /* power iteration on R^T R: ||R v|| for a unit v converges to sigma_max from below */
        for (int i = 0; i < n; i++) v[i] = 1.0 + 0.1 * (i % 7);
        normalize(v, n);
        for (int k = 0; k < ML_POLAR_EST_STEPS; k++) {
            cblas_dtrmv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, n, q, m, v, 1);
            hi = fmax(hi, normalize(v, n));
            cblas_dtrmv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, n, q, m, v, 1);
            normalize(v, n);
        }
    }
    if (!info && !singular) {
        /* inverse iteration on R^T R: 1/||R^-1 v|| converges to sigma_min from above */
        for (int i = 0; i < n; i++) v[i] = 1.0 + 0.1 * (i % 5);
        normalize(v, n);
        double inv = 0;
        for (int k = 0; k < ML_POLAR_EST_STEPS; k++) {
            cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, n, q, m, v, 1);
            normalize(v, n);
            cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, n, q, m, v, 1);
            double nv = normalize(v, n);
            if (!isfinite(nv)) break;
            inv = fmax(inv, nv);
        }
        lo = inv > 0 && isfinite(inv) ? 1.0 / inv : 0.0;
    }
    free(q), free(tau), free(v);
    if (info) return ml_error(ML_ENUM, "QR for the singular value estimates failed, info = %d", (int)info);
    *smax = hi;
    *smin = lo;
    return ML_OK;
}

int ml_polar_rank_error(const char *method, double rel_smin)
{
    return ml_error(ML_ENUM,
                    "%s: input is numerically rank-deficient (estimated sigma_min/sigma_max %.2g); the iteration has "
                    "no partial isometry to converge to, use method 'svd' (or 'eig')",
                    method, rel_smin);
}

int ml_polar_prepare(ml_tallmat *t, const ml_mat *A, const char *method, int want_l0, ml_polar_info *info)
{
    int rc = ml_tall_load(t, A, method);
    if (rc) return rc;
    size_t len = (size_t)t->m * (size_t)t->n;
    double alpha = ml_cm_norm2_bound(t->x, t->m, t->n), smax = 0, smin = 0;
    if (want_l0 && alpha > 0) {
        rc = ml_cm_extremes(t->x, t->m, t->n, &smax, &smin);
        if (!rc && !(smin >= DBL_EPSILON * smax)) rc = ml_polar_rank_error(method, smax > 0 ? smin / smax : 0.0);
        if (!rc) alpha = fmin(alpha, ML_POLAR_EST_SAFETY * smax);
        info->l0 = fmin(1.0, smin / (ML_POLAR_LMIN_SAFETY * alpha));
    }
    info->alpha = alpha;
    if (!rc && !(alpha > 0)) rc = ml_polar_rank_error(method, 0.0);
    if (!rc) cblas_dscal((int)len, 1.0 / alpha, t->x, 1);
    if (rc) ml_tall_free(t);
    return rc;
}

int ml_cm_gram_solve(const double *x, double *y, double *Z, int m, int n, double a, double b, const char *method)
{
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, m, a, x, m, 0.0, Z, n);
    for (int i = 0; i < n; i++) Z[i + (size_t)i * n] += b;
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, Z, n);
    if (info) return ml_error(ML_ENUM, "%s: Cholesky factorisation failed, info = %d", method, (int)info);
    memcpy(y, x, (size_t)m * (size_t)n * sizeof(double));
    /* Y W = X, then Y W^T = Y: Y = X W^-1 W^-T = X Z^-1 */
    cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, n, 1.0, Z, n, y, m);
    cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasTrans, CblasNonUnit, m, n, 1.0, Z, n, y, m);
    return ML_OK;
}
