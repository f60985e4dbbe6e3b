/* Kernels for the optimizers (see optim_prims.h). Every loop has a float64 and a float32 body;
 * sums are accumulated in double. */
#include "optim_prims.h"
#include "error.h"
#include "internal/simd.h"
#include "parallel.h"
#include <math.h>
#include <string.h>

#define ROW(M, T, i) ((T *)(M)->data + (i) * (M)->stride)

static int checkmat(const ml_mat *A, const char *what)
{
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty %s", what);
    return ML_OK;
}

static int same(const ml_mat *a, const ml_mat *b, const char *na, const char *nb)
{
    if (!ml_mat_same_shape(a, b))
        return ml_error(ML_EINVAL, "%s is %zu x %zu but %s is %zu x %zu", na, a->rows, a->cols, nb, b->rows, b->cols);
    if (a->dtype != b->dtype)
        return ml_error(ML_EINVAL, "%s is %s but %s is %s", na, ml_dtype_name(a->dtype), nb, ml_dtype_name(b->dtype));
    return ML_OK;
}

/* ---- reductions ---- */

static int reduce(ml_mat *out, const ml_mat *A, int per_row, int square, int mean)
{
    int rc = checkmat(A, "matrix");
    if (!rc) rc = checkmat(out, "output");
    if (rc) return rc;
    size_t m = A->rows, n = A->cols;
    if (per_row ? (out->rows != m || out->cols != 1) : (out->rows != 1 || out->cols != n))
        return ml_error(ML_EINVAL, "output must be %zu x %zu, got %zu x %zu", per_row ? m : 1,
                        per_row ? 1 : n, out->rows, out->cols);
    double scale = mean ? 1.0 / (double)(per_row ? n : m) : 1.0;
    if (per_row) {
        for (size_t i = 0; i < m; i++) {
            double s = 0;
            if (A->dtype == ML_F64) {
                const double *a = ROW(A, const double, i);
                if (square)
                    for (size_t j = 0; j < n; j++) s += a[j] * a[j];
                else
                    for (size_t j = 0; j < n; j++) s += a[j];
            } else {
                const float *a = ROW(A, const float, i);
                if (square)
                    for (size_t j = 0; j < n; j++) s += (double)a[j] * a[j];
                else
                    for (size_t j = 0; j < n; j++) s += a[j];
            }
            ml_mat_set(out, i, 0, s * scale);
        }
        return ML_OK;
    }
    if (out->dtype == ML_F64) {   /* out is one row, contiguous: accumulate in place, row by row */
        double *o = out->data;
        memset(o, 0, n * sizeof *o);
        for (size_t i = 0; i < m; i++) {
            if (A->dtype == ML_F64) {
                const double *a = ROW(A, const double, i);
                if (square)
                    for (size_t j = 0; j < n; j++) o[j] += a[j] * a[j];
                else
                    for (size_t j = 0; j < n; j++) o[j] += a[j];
            } else {
                const float *a = ROW(A, const float, i);
                if (square)
                    for (size_t j = 0; j < n; j++) o[j] += (double)a[j] * a[j];
                else
                    for (size_t j = 0; j < n; j++) o[j] += a[j];
            }
        }
        for (size_t j = 0; j < n; j++) o[j] *= scale;
        return ML_OK;
    }
    for (size_t j = 0; j < n; j++) {   /* float32 output: a double sum per column */
        double s = 0;
        for (size_t i = 0; i < m; i++) {
            double x = ml_mat_get(A, i, j);
            s += square ? x * x : x;
        }
        ml_mat_set(out, 0, j, s * scale);
    }
    return ML_OK;
}

/* ---- median by quickselect ---- */

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Rearrange a[0..n-1] so that a[k] is the k-th smallest, a[i] <= a[k] for i < k and
 * a[i] >= a[k] for i > k (Hoare partition around a median-of-three pivot). */
static void select_k(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(&a[mid], &a[lo]);
        if (a[hi] < a[lo]) swap(&a[hi], &a[lo]);
        if (a[hi] < a[mid]) swap(&a[hi], &a[mid]);
        double pivot = a[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap(&a[i], &a[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        /* now a[lo..j] <= pivot <= a[i..hi], and j < i */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;   /* j < k < i: a[k] == pivot is in place */
    }
}

/* Copy A (|A| when absolute) into work (checked: contiguous float64, >= numel(A) entries);
 * ML_ENUM on NaN. */
static int fill_work(const ml_mat *A, ml_mat *work, int absolute)
{
    int rc = checkmat(A, "matrix");
    if (!rc) rc = checkmat(work, "workspace");
    if (rc) return rc;
    size_t n = A->rows * A->cols;
    if (work->dtype != ML_F64 || !ml_mat_is_contiguous(work) || work->rows * work->cols < n)
        return ml_error(ML_EINVAL, "workspace must be a contiguous float64 matrix with >= %zu entries", n);
    if (ml_mat_shares(work, A)) return ml_error(ML_EINVAL, "the workspace shares storage with the matrix");
    double *a = work->data;
    for (size_t i = 0, k = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) {
            double x = ml_mat_get(A, i, j);
            if (isnan(x)) return ml_error(ML_ENUM, "the matrix contains NaN");
            a[k++] = absolute ? fabs(x) : x;
        }
    return ML_OK;
}

/* The smallest of a[0..n-1] */
static double smallest(const double *a, size_t n)
{
    double v = a[0];
    for (size_t i = 1; i < n; i++)
        if (a[i] < v) v = a[i];
    return v;
}

int ml_optim_median(const ml_mat *A, ml_mat *work, double *out)
{
    int rc = fill_work(A, work, 0);
    if (rc) return rc;
    double *a = work->data;
    size_t n = A->rows * A->cols;
    size_t h = n / 2;
    select_k(a, n, h);
    if (n % 2) {
        *out = a[h];
        return ML_OK;
    }
    double lower = a[0];   /* the largest of a[0..h-1], all <= a[h] */
    for (size_t i = 1; i < h; i++)
        if (a[i] > lower) lower = a[i];
    *out = (lower + a[h]) / 2;
    return ML_OK;
}

int ml_optim_quantile(const ml_mat *A, ml_mat *work, double q, double *out)
{
    if (!(q >= 0 && q <= 1)) return ml_error(ML_EINVAL, "quantile q must be in [0, 1], got %g", q);
    int rc = fill_work(A, work, 0);
    if (rc) return rc;
    double *a = work->data;
    size_t n = A->rows * A->cols;
    /* position h = q (n - 1) between the order statistics lo = floor(h) and lo + 1 */
    double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo > n - 1) lo = n - 1;
    double frac = h - (double)lo;
    select_k(a, n, lo);
    double below = a[lo];
    if (frac == 0 || lo + 1 >= n) {
        *out = below;
        return ML_OK;
    }
    double above = smallest(a + lo + 1, n - lo - 1);   /* a[lo+1..] are all >= a[lo] */
    *out = below + frac * (above - below);
    return ML_OK;
}

int ml_optim_topk(ml_mat *A, size_t k, ml_mat *work)
{
    int rc = fill_work(A, work, 1);
    if (rc) return rc;
    size_t n = A->rows * A->cols;
    if (k == 0 || k > n) return ml_error(ML_EINVAL, "k must be in 1..%zu, got %zu", n, k);
    double *a = work->data;
    /* t = the k-th largest |A_ij|: the (n - k)-th smallest */
    select_k(a, n, n - k);
    double t = a[n - k];
    size_t above = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) above += fabs(ml_mat_get(A, i, j)) > t;
    size_t ties = k - above;   /* entries equal to t that are kept, first ones in row-major order */
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) {
            double x = fabs(ml_mat_get(A, i, j));
            if (x > t) continue;
            if (x == t && ties > 0) {
                ties--;
                continue;
            }
            ml_mat_set(A, i, j, 0.0);
        }
    return ML_OK;
}

/* ---- broadcasts and maps ---- */

static int scale(ml_mat *A, const ml_mat *v, int per_row)
{
    int rc = checkmat(A, "matrix");
    if (!rc) rc = checkmat(v, "vector");
    if (rc) return rc;
    size_t k = per_row ? A->rows : A->cols;
    if ((v->rows != 1 && v->cols != 1) || v->rows * v->cols != k)
        return ml_error(ML_EINVAL, "vector must have %zu entries (k x 1 or 1 x k), got %zu x %zu", k, v->rows, v->cols);
    int col = v->cols == 1;
    for (size_t i = 0; i < A->rows; i++) {
        if (per_row) {
            double s = col ? ml_mat_get(v, i, 0) : ml_mat_get(v, 0, i);
            if (A->dtype == ML_F64) {
                double *a = ROW(A, double, i);
                for (size_t j = 0; j < A->cols; j++) a[j] *= s;
            } else {
                float *a = ROW(A, float, i);
                for (size_t j = 0; j < A->cols; j++) a[j] = (float)(a[j] * s);
            }
        } else if (A->dtype == ML_F64) {
            double *a = ROW(A, double, i);
            for (size_t j = 0; j < A->cols; j++) a[j] *= col ? ml_mat_get(v, j, 0) : ml_mat_get(v, 0, j);
        } else {
            float *a = ROW(A, float, i);
            for (size_t j = 0; j < A->cols; j++) a[j] = (float)(a[j] * (col ? ml_mat_get(v, j, 0) : ml_mat_get(v, 0, j)));
        }
    }
    return ML_OK;
}

static double map1(ml_map_op op, double x, double a, double b)
{
    switch (op) {
    case ML_MAP_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : x;   /* keeps 0 and NaN */
    case ML_MAP_ABS: return fabs(x);
    case ML_MAP_SQRT: return sqrt(x);
    case ML_MAP_LOG1P: return log1p(x);
    case ML_MAP_POW:
        x += b;
        return a == 0.5 ? sqrt(x) : a == -0.5 ? 1.0 / sqrt(x) : a == -1.0 ? 1.0 / x : a == 1.0 ? x : pow(x, a);
    case ML_MAP_CLIP: return x < a ? a : x > b ? b : x;
    case ML_MAP_COSH: return cosh(a * x);
    case ML_MAP_NATURAL: {
        /* |x| = f 2^e with f in [0.5, 1): between 2^(e-1) and 2^e, the nearer (ties up) */
        if (x == 0 || !isfinite(x)) return x;
        int e;
        double f = frexp(fabs(x), &e);
        return copysign(ldexp(1.0, f < 0.75 ? e - 1 : e), x);
    }
    }
    return x;
}

int ml_optim_map(ml_mat *A, ml_map_op op, double a, double b)
{
    int rc = checkmat(A, "matrix");
    if (rc) return rc;
    if (op < ML_MAP_SIGN || op > ML_MAP_NATURAL) return ml_error(ML_EINVAL, "unknown map operation %d", (int)op);
    if (op == ML_MAP_CLIP && !(a <= b)) return ml_error(ML_EINVAL, "clip: lower bound %g > upper bound %g", a, b);
    for (size_t i = 0; i < A->rows; i++) {
        if (A->dtype == ML_F64) {
            double *r = ROW(A, double, i);
            for (size_t j = 0; j < A->cols; j++) r[j] = map1(op, r[j], a, b);
        } else {
            float *r = ROW(A, float, i);
            for (size_t j = 0; j < A->cols; j++) r[j] = (float)map1(op, r[j], a, b);
        }
    }
    return ML_OK;
}

/* ---- Adam ---- */

static int adam_moments(ml_mat *m, ml_mat *v, const ml_mat *g, double b1, double b2)
{
    int rc = checkmat(m, "m");
    if (!rc) rc = checkmat(v, "v");
    if (!rc) rc = checkmat(g, "g");
    if (!rc) rc = same(m, g, "m", "g");
    if (!rc) rc = same(v, g, "v", "g");
    if (rc) return rc;
    double a1 = 1 - b1, a2 = 1 - b2;
    for (size_t i = 0; i < g->rows; i++) {
        if (g->dtype == ML_F64) {
            double *pm = ROW(m, double, i), *pv = ROW(v, double, i);
            const double *pg = ROW(g, const double, i);
            for (size_t j = 0; j < g->cols; j++) {
                double x = pg[j];
                pm[j] = b1 * pm[j] + a1 * x;
                pv[j] = b2 * pv[j] + a2 * (x * x);
            }
        } else {
            float *pm = ROW(m, float, i), *pv = ROW(v, float, i);
            const float *pg = ROW(g, const float, i);
            for (size_t j = 0; j < g->cols; j++) {
                double x = pg[j];
                pm[j] = (float)(b1 * pm[j] + a1 * x);
                pv[j] = (float)(b2 * pv[j] + a2 * (x * x));
            }
        }
    }
    return ML_OK;
}

static double adam1(double m, double v, double c1, double c2, double eps, double q)
{
    double d = sqrt(v / c2) + eps;
    if (q == 0.5) d = sqrt(d);
    else if (q != 1.0) d = pow(d, q);
    return (m / c1) / d;
}

static int adam_dir(ml_mat *dst, const ml_mat *m, const ml_mat *v, double c1, double c2, double eps, double q)
{
    int rc = checkmat(dst, "destination");
    if (!rc) rc = checkmat(m, "m");
    if (!rc) rc = checkmat(v, "v");
    if (!rc) rc = same(dst, m, "dst", "m");
    if (!rc) rc = same(v, m, "v", "m");
    if (rc) return rc;
    for (size_t i = 0; i < m->rows; i++) {
        if (m->dtype == ML_F64) {
            double *pd = ROW(dst, double, i);
            const double *pm = ROW(m, const double, i), *pv = ROW(v, const double, i);
            for (size_t j = 0; j < m->cols; j++) pd[j] = adam1(pm[j], pv[j], c1, c2, eps, q);
        } else {
            float *pd = ROW(dst, float, i);
            const float *pm = ROW(m, const float, i), *pv = ROW(v, const float, i);
            for (size_t j = 0; j < m->cols; j++) pd[j] = (float)adam1(pm[j], pv[j], c1, c2, eps, q);
        }
    }
    return ML_OK;
}

/* ---- the public kernels: an input overlapping an output is read from a copy (ml_mat_unalias) ---- */

#define UNALIASED(dst, in, CALL)                                        \
    do {                                                                \
        ml_mat t_ = {0};                                                \
        const ml_mat *in_;                                              \
        int rc_ = checkmat(dst, "output");                              \
        if (!rc_) rc_ = checkmat(in, "input");                          \
        if (!rc_) rc_ = ml_mat_unalias(dst, in, &t_, &in_);             \
        if (!rc_) rc_ = CALL;                                           \
        ml_mat_free(&t_);                                               \
        return rc_;                                                     \
    } while (0)

/* A non-finite result from finite input is an overflow, reported (issue 12: no silent inf). */
static int finite_result(const ml_mat *A, const ml_mat *out, const char *what)
{
    if (ml_mat_all_finite(out) || !ml_mat_all_finite(A)) return ML_OK;
    return ml_error(ML_ENUM, "%s overflows the %s range", what, ml_dtype_name(out->dtype));
}

static int reduce_checked(ml_mat *out, const ml_mat *A, int per_row, int square, int mean)
{
    int rc = reduce(out, A, per_row, square, mean);
    return rc ? rc : finite_result(A, out, square ? "the sum of squares" : "the sum");
}

int ml_optim_reduce(ml_mat *out, const ml_mat *A, int per_row, int square, int mean)
{
    UNALIASED(out, A, reduce_checked(out, in_, per_row, square, mean));
}

int ml_optim_scale(ml_mat *A, const ml_mat *v, int per_row)
{
    UNALIASED(A, v, scale(A, in_, per_row));
}

int ml_optim_adam_moments(ml_mat *m, ml_mat *v, const ml_mat *g, double b1, double b2)
{
    int rc = checkmat(m, "m");
    if (!rc) rc = checkmat(v, "v");
    if (!rc && ml_mat_shares(m, v)) rc = ml_error(ML_EINVAL, "m and v share storage (both are outputs)");
    if (rc) return rc;
    ml_mat t = {0};
    const ml_mat *g1 = g;
    if (ml_mat_overlap(v, g)) {   /* one copy serves both outputs */
        rc = ml_mat_clone(&t, g, g->dtype);
        g1 = &t;
    } else {
        rc = ml_mat_unalias(m, g, &t, &g1);
    }
    if (!rc) rc = adam_moments(m, v, g1, b1, b2);
    if (!rc) rc = finite_result(g1, v, "v = b2 v + (1 - b2) g^2");
    if (!rc) rc = finite_result(g1, m, "m = b1 m + (1 - b1) g");
    ml_mat_free(&t);
    return rc;
}

int ml_optim_adam_dir(ml_mat *dst, const ml_mat *m, const ml_mat *v, double c1, double c2, double eps, double q)
{
    ml_mat tm = {0}, tv = {0};
    const ml_mat *m1 = m, *v1 = v;
    int rc = checkmat(dst, "destination");
    if (!rc) rc = checkmat(m, "m");
    if (!rc) rc = checkmat(v, "v");
    if (!rc) rc = ml_mat_unalias(dst, m, &tm, &m1);
    if (!rc) rc = ml_mat_unalias(dst, v, &tv, &v1);
    if (!rc) rc = adam_dir(dst, m1, v1, c1, c2, eps, q);
    ml_mat_free(&tm);
    ml_mat_free(&tv);
    return rc;
}

/* ---- momentum ---- */

/* One row of ml_optim_momentum; the expressions are axpby_rows' (core/ops.c), term for term. */
#define DEFINE_MOMENTUM_ROW(NAME, REAL)                                                                     \
    ML_CLONES static void NAME(REAL *restrict mu, REAL *restrict out, const REAL *restrict g, size_t n,     \
                               double beta, double c, double a, double b)                                 \
    {                                                                                                     \
        if (out) {                                                                                        \
            _Pragma("omp simd") for (size_t j = 0; j < n; j++) {                                          \
                REAL m = (REAL)(beta * mu[j] + c * g[j]);                                                 \
                mu[j] = m;                                                                                \
                out[j] = (REAL)(a * m + b * g[j]);                                                        \
            }                                                                                             \
        } else {                                                                                          \
            _Pragma("omp simd") for (size_t j = 0; j < n; j++) mu[j] = (REAL)(beta * mu[j] + c * g[j]);   \
        }                                                                                                 \
    }
DEFINE_MOMENTUM_ROW(momentum_row_d, double)
DEFINE_MOMENTUM_ROW(momentum_row_f, float)

typedef struct {
    ml_mat *mu, *out;
    const ml_mat *g;
    double beta, a, b;
} momentum_job;

/* Rows [r0, r1), for ml_parallel_for (parallel.h: from ML_PARALLEL_ELEMENTS entries). */
static void momentum_part(void *ctx, int part, size_t r0, size_t r1)
{
    momentum_job *j = ctx;
    ml_mat *mu = j->mu, *out = j->out;
    const ml_mat *g = j->g;
    for (size_t i = r0; i < r1; i++) {
        if (g->dtype == ML_F64)
            momentum_row_d(ROW(mu, double, i), out ? ROW(out, double, i) : NULL, ROW(g, const double, i), g->cols, j->beta,
                           1 - j->beta, j->a, j->b);
        else
            momentum_row_f(ROW(mu, float, i), out ? ROW(out, float, i) : NULL, ROW(g, const float, i), g->cols, j->beta,
                           1 - j->beta, j->a, j->b);
    }
}

int ml_optim_momentum(ml_mat *mu, ml_mat *out, const ml_mat *g, double beta, double a, double b)
{
    int rc = checkmat(mu, "momentum");
    if (!rc) rc = checkmat(g, "gradient");
    if (!rc) rc = same(mu, g, "the momentum", "the gradient");
    if (!rc && out) rc = checkmat(out, "output");
    if (!rc && out) rc = same(out, g, "the output", "the gradient");
    if (rc) return rc;
    if (ml_mat_shares(mu, g)) return ml_error(ML_EINVAL, "the momentum shares storage with the gradient");
    if (out && (ml_mat_shares(out, mu) || ml_mat_shares(out, g)))
        return ml_error(ML_EINVAL, "the output shares storage with the %s", ml_mat_shares(out, mu) ? "momentum" : "gradient");
    momentum_job j = {mu, out, g, beta, a, b};
    if (g->rows * g->cols < ML_PARALLEL_ELEMENTS) momentum_part(&j, 0, 0, g->rows);
    else ml_parallel_for(g->rows, (ML_PARALLEL_ELEMENTS / 2 + g->cols - 1) / g->cols, momentum_part, &j);
    return ML_OK;
}
