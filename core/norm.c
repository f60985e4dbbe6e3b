/* LayerNorm and RMSNorm, forward and backward (equations in norm.h). One row routine per
 * dtype serves both: RMSNorm is LayerNorm without centring (mu = 0) and without bias. */
#include "norm.h"
#include "error.h"
#include "internal/argcheck.h"
#include "internal/simd.h"
#include <math.h>

/* ---- checks ---------------------------------------------------------------------------- */

/* Every operand the shape and dtype it must have; NULL operands are skipped. */
static int check(const char *fn, const ml_mat *X, const ml_mat *stats, const ml_mat *w, const ml_mat *b,
                 const ml_mat *Y, const char *yname, const ml_mat *dX, const ml_mat *dw, const ml_mat *db)
{
    int rc;
    size_t N = X->rows, n = X->cols;
    if ((rc = ml_check_shape(fn, "statistics", stats, N, 2))) return rc;
    if (stats->dtype != ML_F64) return ml_error(ML_EINVAL, "%s: statistics must be float64", fn);
    const ml_mat *m[] = {w, b, Y, dX, dw, db};
    const char *names[] = {"weight", "bias", yname, "input gradient", "weight gradient", "bias gradient"};
    size_t rows[] = {1, 1, N, N, 1, 1};
    for (int i = 0; i < 6; i++) {
        if (!m[i]) continue;
        if ((rc = ml_check_shape(fn, names[i], m[i], rows[i], n)) || (rc = ml_check_dtype(fn, names[i], m[i], X->dtype, "the input"))) return rc;
    }
    if (Y && Y->buf == X->buf) return ml_error(ML_EINVAL, "%s: the %s must not share storage with the input", fn, yname);
    if (dX && (dX->buf == Y->buf || dX->buf == X->buf))
        return ml_error(ML_EINVAL, "%s: the input gradient must not share storage with the input or its gradient", fn);
    return ML_OK;
}

/* ---- row kernels ----------------------------------------------------------------------- */

/* Sums in double, elementwise work in the storage precision; the loops are written for GCC
 * to vectorize (_Pragma("omp simd"), enabled by -fopenmp-simd). */

/* y = w .* (x - mu) r + b with mu = mean(x) when center (else 0), r = 1/sqrt(mean((x-mu)^2) + eps). */
#define DEFINE_NORM_ROWS(NAME, REAL, ATTR)                                                                \
    ATTR static void NAME(const ml_mat *Y, const ml_mat *st, const ml_mat *X, const ml_mat *W, const ml_mat *Bi, \
                     int center)                                                                          \
    {                                                                                                     \
        size_t n = X->cols;                                                                               \
        const REAL *restrict w = W->data, *restrict bb = Bi ? Bi->data : NULL;                            \
        for (size_t i = 0; i < X->rows; i++) {                                                            \
            const REAL *restrict x = (const REAL *)X->data + i * X->stride;                               \
            REAL *restrict y = (REAL *)Y->data + i * Y->stride;                                           \
            double mu = 0, ss = 0;                                                                        \
            if (center) {                                                                                 \
                _Pragma("omp simd reduction(+:mu)") for (size_t j = 0; j < n; j++) mu += x[j];            \
                mu /= (double)n;                                                                          \
            }                                                                                             \
            _Pragma("omp simd reduction(+:ss)") for (size_t j = 0; j < n; j++) ss += (x[j] - mu) * (x[j] - mu); \
            double r = 1 / sqrt(ss / (double)n + ML_NORM_EPS);                                            \
            double *s = (double *)st->data + i * st->stride;                                              \
            s[0] = mu, s[1] = r;                                                                          \
            REAL m = (REAL)mu, rr = (REAL)r;                                                              \
            if (bb) {                                                                                     \
                _Pragma("omp simd") for (size_t j = 0; j < n; j++) y[j] = w[j] * ((x[j] - m) * rr) + bb[j]; \
            } else {                                                                                      \
                _Pragma("omp simd") for (size_t j = 0; j < n; j++) y[j] = w[j] * ((x[j] - m) * rr);       \
            }                                                                                             \
        }                                                                                                 \
    }
DEFINE_NORM_ROWS(norm_rows_d, double, )
DEFINE_NORM_ROWS(norm_rows_f, float, ML_CLONES)

/* dx (+)= r (g - mean(g) [center only] - xh mean(g .* xh)), g = w .* dy; dw += dy .* xh; db += dy */
#define DEFINE_NORM_BACK_ROWS(NAME, REAL, ATTR)                                                           \
    ATTR static void NAME(const ml_mat *DX, const ml_mat *DW, const ml_mat *DB, const ml_mat *DY, const ml_mat *X, \
                     const ml_mat *W, const ml_mat *st, int center, int acc)                             \
    {                                                                                                     \
        size_t n = X->cols;                                                                               \
        const REAL *restrict w = W->data;                                                                 \
        REAL *restrict dw = DW ? DW->data : NULL, *restrict db = DB ? DB->data : NULL;                    \
        for (size_t j = 0; j < n; j++) {                                                                  \
            if (dw) dw[j] = 0;                                                                            \
            if (db) db[j] = 0;                                                                            \
        }                                                                                                 \
        for (size_t i = 0; i < X->rows; i++) {                                                            \
            const REAL *restrict x = (const REAL *)X->data + i * X->stride;                               \
            const REAL *restrict dy = (const REAL *)DY->data + i * DY->stride;                            \
            const double *s = (const double *)st->data + i * st->stride;                                  \
            REAL m = (REAL)s[0], r = (REAL)s[1];                                                          \
            double mg = 0, mgx = 0;                                                                       \
            _Pragma("omp simd reduction(+:mg, mgx)") for (size_t j = 0; j < n; j++) {                     \
                REAL g = w[j] * dy[j];                                                                    \
                mg += g, mgx += g * ((x[j] - m) * r);                                                     \
            }                                                                                             \
            if (dw) _Pragma("omp simd") for (size_t j = 0; j < n; j++) dw[j] += dy[j] * ((x[j] - m) * r); \
            if (db) _Pragma("omp simd") for (size_t j = 0; j < n; j++) db[j] += dy[j];                   \
            REAL a = (REAL)(center ? mg / (double)n : 0), c = (REAL)(mgx / (double)n);                   \
            if (!DX) continue;                                                                            \
            REAL *restrict dx = (REAL *)DX->data + i * DX->stride;                                        \
            if (acc) {                                                                                    \
                _Pragma("omp simd") for (size_t j = 0; j < n; j++)                                        \
                    dx[j] += r * (w[j] * dy[j] - a - (x[j] - m) * r * c);                                 \
            } else {                                                                                      \
                _Pragma("omp simd") for (size_t j = 0; j < n; j++)                                        \
                    dx[j] = r * (w[j] * dy[j] - a - (x[j] - m) * r * c);                                  \
            }                                                                                             \
        }                                                                                                 \
    }
DEFINE_NORM_BACK_ROWS(norm_back_rows_d, double, )
DEFINE_NORM_BACK_ROWS(norm_back_rows_f, float, ML_CLONES)

/* ---- the four entry points --------------------------------------------------------------- */

static int forward(const char *fn, ml_mat *Y, ml_mat *stats, const ml_mat *X, const ml_mat *w, const ml_mat *b, int center)
{
    int rc;
    if ((rc = check(fn, X, stats, w, b, Y, "output", NULL, NULL, NULL))) return rc;
    if (X->dtype == ML_F64)
        norm_rows_d(Y, stats, X, w, b, center);
    else
        norm_rows_f(Y, stats, X, w, b, center);
    return ML_OK;
}

static int backward(const char *fn, ml_mat *dX, ml_mat *dw, ml_mat *db, const ml_mat *dY, const ml_mat *X,
                    const ml_mat *w, const ml_mat *stats, int center, int acc)
{
    int rc;
    if ((rc = check(fn, X, stats, w, NULL, dY, "output gradient", dX, dw, db))) return rc;
    if (X->dtype == ML_F64)
        norm_back_rows_d(dX, dw, db, dY, X, w, stats, center, acc);
    else
        norm_back_rows_f(dX, dw, db, dY, X, w, stats, center, acc);
    return ML_OK;
}

int ml_nn_layernorm_forward(ml_mat *Y, ml_mat *stats, const ml_mat *X, const ml_mat *w, const ml_mat *b)
{
    return forward("layernorm_forward", Y, stats, X, w, b, 1);
}

int ml_nn_layernorm_backward(ml_mat *dX, ml_mat *dw, ml_mat *db, const ml_mat *dY, const ml_mat *X, const ml_mat *w,
                             const ml_mat *stats, int accumulate)
{
    return backward("layernorm_backward", dX, dw, db, dY, X, w, stats, 1, accumulate);
}

int ml_nn_rmsnorm_forward(ml_mat *Y, ml_mat *stats, const ml_mat *X, const ml_mat *w)
{
    return forward("rmsnorm_forward", Y, stats, X, w, NULL, 0);
}

int ml_nn_rmsnorm_backward(ml_mat *dX, ml_mat *dw, const ml_mat *dY, const ml_mat *X, const ml_mat *w,
                           const ml_mat *stats, int accumulate)
{
    return backward("rmsnorm_backward", dX, dw, NULL, dY, X, w, stats, 0, accumulate);
}
