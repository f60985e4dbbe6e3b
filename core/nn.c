/* Layer kernels: linear, bias, ReLU, GELU, softmax cross-entropy, argmax, embedding,
 * minibatch gather. Each layer's forward and backward side by side, the math above them.
 * Elementwise work is done in double whatever the storage; products go to BLAS (ops.c). */
#include "nn.h"
#include "error.h"
#include "internal/argcheck.h"
#include "internal/simd.h"
#include "ops.h"
#include "parallel.h"
#include <math.h>
#include <string.h>

/* ---- argument checks (once per call; the loops below trust them) ------------------ */

static int is_vector(const ml_mat *m) { return m->rows == 1 || m->cols == 1; }
static size_t vec_len(const ml_mat *m) { return m->rows * m->cols; }
static double vec_get(const ml_mat *m, size_t k) { return m->rows == 1 ? ml_mat_get(m, 0, k) : ml_mat_get(m, k, 0); }
static void vec_set(ml_mat *m, size_t k, double v)
{
    if (m->rows == 1)
        ml_mat_set(m, 0, k, v);
    else
        ml_mat_set(m, k, 0, v);
}

static int same_dtype(const char *fn, const ml_mat *a, const ml_mat *b)
{
    if (a->dtype != b->dtype)
        return ml_error(ML_EINVAL, "%s: dtype mismatch (%s and %s)", fn, ml_dtype_name(a->dtype), ml_dtype_name(b->dtype));
    return ML_OK;
}

/* An id (label, token, row number) must be an integer in [0, n). */
static int check_id(const char *fn, const char *what, double v, size_t k, size_t n)
{
    if (!(v >= 0 && v < (double)n && v == floor(v)))
        return ml_error(ML_EINVAL, "%s: %s %g at position %zu is not an integer in 0..%zu", fn, what, v, k + 1, n - 1);
    return ML_OK;
}

/* Entry k of a matrix in row-major order (for a vector: its k-th entry). */
static double flat_get(const ml_mat *m, size_t k) { return ml_mat_get(m, k / m->cols, k % m->cols); }

static int check_labels(const char *fn, const ml_mat *y, size_t B, size_t K)
{
    if (y->rows * y->cols != B)
        return ml_error(ML_EINVAL, "%s: labels must have %zu entries, got %zu x %zu", fn, B, y->rows, y->cols);
    for (size_t i = 0; i < B; i++) {
        int rc = check_id(fn, "label", flat_get(y, i), i, K);
        if (rc) return rc;
    }
    return ML_OK;
}

/* The rows of bias_add (Y += b per row) and bias_backward (g += the rows of dY); the operands do
 * not overlap (checked by the callers). */
#define DEFINE_BIAS_ROWS(ADD, SUM, REAL, ATTR)                                  \
    ATTR static void ADD(const ml_mat *Y, const REAL *restrict bb)              \
    {                                                                           \
        for (size_t i = 0; i < Y->rows; i++) {                                  \
            REAL *restrict y = (REAL *)Y->data + i * Y->stride;                 \
            _Pragma("omp simd") for (size_t j = 0; j < Y->cols; j++) y[j] += bb[j]; \
        }                                                                       \
    }                                                                           \
    ATTR static void SUM(REAL *restrict g, const ml_mat *dY)                    \
    {                                                                           \
        for (size_t i = 0; i < dY->rows; i++) {                                 \
            const REAL *restrict d = (const REAL *)dY->data + i * dY->stride;   \
            _Pragma("omp simd") for (size_t j = 0; j < dY->cols; j++) g[j] += d[j]; \
        }                                                                       \
    }
DEFINE_BIAS_ROWS(bias_add_d, bias_sum_d, double, )
DEFINE_BIAS_ROWS(bias_add_f, bias_sum_f, float, ML_CLONES)

/* ---- linear ------------------------------------------------------------------------ */

int ml_nn_bias_add(ml_mat *Y, const ml_mat *b)
{
    int rc;
    if ((rc = ml_check_shape("bias_add", "bias", b, 1, Y->cols))) return rc;
    if ((rc = same_dtype("bias_add", Y, b))) return rc;
    if (ml_mat_shares(Y, b)) return ml_error(ML_EINVAL, "bias_add: the bias must not share storage with the output");
    if (Y->dtype == ML_F64) bias_add_d(Y, b->data);
    else bias_add_f(Y, b->data);
    return ML_OK;
}

/* db_j = beta db_j + sum_i dY_ij */
int ml_nn_bias_backward(ml_mat *db, const ml_mat *dY, double beta)
{
    int rc;
    if ((rc = ml_check_shape("bias_backward", "bias gradient", db, 1, dY->cols))) return rc;
    if ((rc = same_dtype("bias_backward", db, dY))) return rc;
    if (ml_mat_shares(db, dY))
        return ml_error(ML_EINVAL, "bias_backward: the bias gradient must not share storage with the output gradient");
    if (beta == 0) ml_mat_fill(db, 0.0);
    else if (beta != 1) ml_scale(db, beta);
    if (db->dtype == ML_F64) bias_sum_d(db->data, dY);
    else bias_sum_f(db->data, dY);
    return ML_OK;
}

/* Y = X W^T + 1 b */
int ml_nn_linear_forward(ml_mat *Y, const ml_mat *X, const ml_mat *W, const ml_mat *b)
{
    int rc;
    if (X->cols != W->cols)
        return ml_error(ML_EINVAL, "linear_forward: input has %zu columns but the weight is %zu x %zu (out x in)",
                        X->cols, W->rows, W->cols);
    if ((rc = ml_check_shape("linear_forward", "output", Y, X->rows, W->rows))) return rc;
    if ((rc = same_dtype("linear_forward", Y, X)) || (rc = same_dtype("linear_forward", Y, W))) return rc;
    if (ml_mat_shares(Y, X) || ml_mat_shares(Y, W))
        return ml_error(ML_EINVAL, "linear_forward: the output must not share storage with the input or the weight");
    if (b && (rc = ml_check_shape("linear_forward", "bias", b, 1, W->rows))) return rc;
    if (b && (rc = same_dtype("linear_forward", Y, b))) return rc;
    if (b && ml_mat_shares(Y, b))
        return ml_error(ML_EINVAL, "linear_forward: the output must not share storage with the bias");
    if (!b) return ml_gemm(Y, 1.0, X, ML_NOTRANS, W, ML_TRANS, 0.0);
    /* the bias rows first, then the product added (beta = 1): OpenBLAS would otherwise zero Y
     * (beta = 0) and a second pass add b */
    size_t es = ml_dtype_size(Y->dtype);
    for (size_t i = 0; i < Y->rows; i++) memcpy((char *)Y->data + i * Y->stride * es, b->data, Y->cols * es);
    return ml_gemm(Y, 1.0, X, ML_NOTRANS, W, ML_TRANS, 1.0);
}

/* dX = dY W;  dW (+)= dY^T X;  db (+)= 1^T dY */
int ml_nn_linear_backward(ml_mat *dX, ml_mat *dW, ml_mat *db, const ml_mat *dY, const ml_mat *X, const ml_mat *W,
                          int accumulate)
{
    int rc;
    const char *fn = "linear_backward";
    if (X->cols != W->cols)
        return ml_error(ML_EINVAL, "%s: input has %zu columns but the weight is %zu x %zu (out x in)", fn, X->cols,
                        W->rows, W->cols);
    if ((rc = ml_check_shape(fn, "output gradient", dY, X->rows, W->rows))) return rc;
    if ((rc = same_dtype(fn, dY, X)) || (rc = same_dtype(fn, dY, W))) return rc;
    if (dX) {
        if ((rc = ml_check_shape(fn, "input gradient", dX, X->rows, X->cols)) || (rc = same_dtype(fn, dX, X))) return rc;
        if (ml_mat_shares(dX, dY) || ml_mat_shares(dX, W))
            return ml_error(ML_EINVAL, "%s: the input gradient must not share storage with dY or the weight", fn);
    }
    if (dW && ((rc = ml_check_shape(fn, "weight gradient", dW, W->rows, W->cols)) || (rc = same_dtype(fn, dW, W)))) return rc;
    if (db && ((rc = ml_check_shape(fn, "bias gradient", db, 1, W->rows)) || (rc = same_dtype(fn, db, W)))) return rc;
    if (dX && (rc = ml_gemm(dX, 1.0, dY, ML_NOTRANS, W, ML_NOTRANS, 0.0))) return rc;
    if (dW && (rc = ml_gemm(dW, 1.0, dY, ML_TRANS, X, ML_NOTRANS, accumulate ? 1.0 : 0.0))) return rc;
    if (db && (rc = ml_nn_bias_backward(db, dY, accumulate ? 1.0 : 0.0))) return rc;
    return ML_OK;
}

/* ---- ReLU -------------------------------------------------------------------------- */

/* The ReLU loops vectorize (omp simd) only where comparisons may not trap. */
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")

/* y = max(x, 0) */
int ml_nn_relu_forward(ml_mat *Y, const ml_mat *X)
{
    int rc;
    if ((rc = ml_check_shape("relu_forward", "output", Y, X->rows, X->cols)) || (rc = same_dtype("relu_forward", Y, X)))
        return rc;
    if (ml_mat_overlap(Y, X))   /* in place (the same view) is fine; a shifted overlap is not, for omp simd */
        return ml_error(ML_EINVAL, "relu_forward: the output overlaps the input other than as the same view");
    /* NaN passes (README: nn kernels propagate): x > 0 is false for NaN, so the test is x <= 0 */
    for (size_t i = 0; i < X->rows; i++) {
        if (X->dtype == ML_F64) {
            const double *x = (const double *)X->data + i * X->stride;
            double *y = (double *)Y->data + i * Y->stride;
#pragma omp simd
            for (size_t j = 0; j < X->cols; j++) y[j] = x[j] <= 0 ? 0.0 : x[j];
        } else {
            const float *x = (const float *)X->data + i * X->stride;
            float *y = (float *)Y->data + i * Y->stride;
#pragma omp simd
            for (size_t j = 0; j < X->cols; j++) y[j] = x[j] <= 0 ? 0.0f : x[j];
        }
    }
    return ML_OK;
}

/* dx = dy [x > 0] */
int ml_nn_relu_backward(ml_mat *dX, const ml_mat *dY, const ml_mat *X)
{
    int rc;
    const char *fn = "relu_backward";
    if ((rc = ml_check_shape(fn, "output gradient", dY, X->rows, X->cols)) || (rc = ml_check_shape(fn, "input gradient", dX, X->rows, X->cols)))
        return rc;
    if ((rc = same_dtype(fn, dX, dY)) || (rc = same_dtype(fn, dX, X))) return rc;
    if (ml_mat_overlap(dX, dY) || ml_mat_overlap(dX, X))
        return ml_error(ML_EINVAL, "%s: the input gradient overlaps dY or X other than as the same view", fn);
    for (size_t i = 0; i < X->rows; i++) {
        if (X->dtype == ML_F64) {
            const double *x = (const double *)X->data + i * X->stride, *dy = (const double *)dY->data + i * dY->stride;
            double *dx = (double *)dX->data + i * dX->stride;
#pragma omp simd
            for (size_t j = 0; j < X->cols; j++) {
                double d = dy[j];   /* loaded unconditionally: a select, not a branch */
                dx[j] = x[j] > 0 ? d : 0.0;
            }
        } else {
            const float *x = (const float *)X->data + i * X->stride, *dy = (const float *)dY->data + i * dY->stride;
            float *dx = (float *)dX->data + i * dX->stride;
#pragma omp simd
            for (size_t j = 0; j < X->cols; j++) {
                float d = dy[j];
                dx[j] = x[j] > 0 ? d : 0.0f;
            }
        }
    }
    return ML_OK;
}

#pragma GCC pop_options

/* ---- squared ReLU -------------------------------------------------------------------- */

/* y = max(x, 0)^2 */
int ml_nn_relu2_forward(ml_mat *Y, const ml_mat *X)
{
    int rc;
    if ((rc = ml_check_shape("relu2_forward", "output", Y, X->rows, X->cols)) || (rc = same_dtype("relu2_forward", Y, X)))
        return rc;
    for (size_t i = 0; i < X->rows; i++) {
        if (X->dtype == ML_F64) {
            const double *x = (const double *)X->data + i * X->stride;
            double *y = (double *)Y->data + i * Y->stride;
            for (size_t j = 0; j < X->cols; j++) y[j] = x[j] > 0 ? x[j] * x[j] : 0.0;
        } else {
            const float *x = (const float *)X->data + i * X->stride;
            float *y = (float *)Y->data + i * Y->stride;
            for (size_t j = 0; j < X->cols; j++) y[j] = x[j] > 0 ? x[j] * x[j] : 0.0f;
        }
    }
    return ML_OK;
}

/* dx = dy 2 max(x, 0) */
int ml_nn_relu2_backward(ml_mat *dX, const ml_mat *dY, const ml_mat *X)
{
    int rc;
    const char *fn = "relu2_backward";
    if ((rc = ml_check_shape(fn, "output gradient", dY, X->rows, X->cols)) || (rc = ml_check_shape(fn, "input gradient", dX, X->rows, X->cols)))
        return rc;
    if ((rc = same_dtype(fn, dX, dY)) || (rc = same_dtype(fn, dX, X))) return rc;
    if (ml_mat_shares(dX, X)) return ml_error(ML_EINVAL, "%s: the input gradient must not share storage with the input", fn);
    for (size_t i = 0; i < X->rows; i++) {
        if (X->dtype == ML_F64) {
            const double *x = (const double *)X->data + i * X->stride, *dy = (const double *)dY->data + i * dY->stride;
            double *dx = (double *)dX->data + i * dX->stride;
            for (size_t j = 0; j < X->cols; j++) dx[j] = x[j] > 0 ? 2 * x[j] * dy[j] : 0.0;
        } else {
            const float *x = (const float *)X->data + i * X->stride, *dy = (const float *)dY->data + i * dY->stride;
            float *dx = (float *)dX->data + i * dX->stride;
            for (size_t j = 0; j < X->cols; j++) dx[j] = x[j] > 0 ? 2 * x[j] * dy[j] : 0.0f;
        }
    }
    return ML_OK;
}

/* ---- GELU (tanh form) ---------------------------------------------------------------- */

#define GELU_S 0.7978845608028654 /* sqrt(2/pi) */
#define GELU_C 0.044715

/* Beyond |x| = 10, u > 19.1 and tanh(u) = +-1 exactly in double: gelu(x) = max(x, 0),
 * gelu'(x) = [x > 0]. The branch also keeps x^3 from overflowing (inf * 0 = NaN).
 * tanh(u) = 1 - 2/(1 + e^(2u)): within 4e-16 of libm's tanh and 2-4x faster (exp vs tanh). */
static inline double tanh_fast(double u) { return 1 - 2 / (1 + exp(2 * u)); }

double ml_nn_gelu(double x)
{
    if (fabs(x) > 10) return x > 0 ? x : 0.0;
    double u = GELU_S * (x + GELU_C * x * x * x);
    return 0.5 * x * (1 + tanh_fast(u));
}

/* gelu'(x) = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3c x^2),  t = tanh(u) */
double ml_nn_gelu_grad(double x)
{
    if (fabs(x) > 10) return x > 0 ? 1.0 : 0.0;
    double u = GELU_S * (x + GELU_C * x * x * x), t = tanh_fast(u);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_S * (1 + 3 * GELU_C * x * x);
}

/* The row loops below are written so that GCC vectorizes them (#pragma omp simd, enabled by
 * -fopenmp-simd; no-trapping-math lets it turn the selects into blends). */
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math", "fp-contract=fast")

/* tanh for float32 in a branch-free form the compiler vectorizes: Eigen's rational [13/6]
 * approximation (generic_fast_tanh_float) on [-7.905, 7.905], where tanh rounds to +-1 in
 * float outside; within 5e-7 of tanh (checked against libm in tests/c/test_nn.c). */
static inline float tanh_ratf(float x)
{
    const float a1 = 4.89352455891786e-03f, a3 = 6.37261928875436e-04f, a5 = 1.48572235717979e-05f,
                a7 = 5.12229709037114e-08f, a9 = -8.60467152213735e-11f, a11 = 2.00018790482477e-13f,
                a13 = -2.76076847742355e-16f;
    const float b0 = 4.89352518554385e-03f, b2 = 2.26843463243900e-03f, b4 = 1.18534705686654e-04f,
                b6 = 1.19825839466702e-06f;
    x = x > 7.90531110763549805f ? 7.90531110763549805f : x < -7.90531110763549805f ? -7.90531110763549805f : x;
    float x2 = x * x;
    float p = ((((((a13 * x2 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1) * x;
    float q = ((b6 * x2 + b4) * x2 + b2) * x2 + b0;
    return p / q;
}

float ml_nn_tanh_f32(float x) { return tanh_ratf(x); }

/* gelu from x and t = tanh(u); gelu' from x and t. Beyond |x| = 10: max(x, 0) and [x > 0]. */
static inline double gelu_xt(double x, double t) { return fabs(x) > 10 ? (x > 0 ? x : 0.0) : 0.5 * x * (1 + t); }
static inline double gelu_grad_xt(double x, double t)
{
    return fabs(x) > 10 ? (x > 0 ? 1.0 : 0.0) : 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_S * (1 + 3 * GELU_C * x * x);
}
static inline float gelu_xt_f(float x, float t) { return fabsf(x) > 10 ? (x > 0 ? x : 0.0f) : 0.5f * x * (1 + t); }
static inline float gelu_grad_xt_f(float x, float t)
{
    const float S = (float)GELU_S, c3 = 3 * (float)GELU_C;
    return fabsf(x) > 10 ? (x > 0 ? 1.0f : 0.0f) : 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * S * (1 + c3 * x * x);
}
static inline double gelu_u(double x) { return GELU_S * (x + GELU_C * x * x * x); }
static inline float gelu_u_f(float x) { return (float)GELU_S * (x + (float)GELU_C * x * x * x); }

/* libm's exp declared with its vector variants (glibc's libmvec: _ZGVbN2v_exp, ...), so the
 * float64 row loop vectorizes; libmvec's exp is within 4 ulp. */
double ml_vexp(double) __asm__("exp") __attribute__((simd("notinbranch"), const, nothrow, leaf));

/* One row: y = gelu(x); t = tanh(u) kept for the backward when t != NULL. Beyond |x| = 10
 * u is clamped (tanh(u) = +-1 there in double, and x^3 cannot overflow). */
static inline double gelu_tanh_d(double x)
{
    double xc = x > 10 ? 10 : x < -10 ? -10 : x;
    return 1 - 2 / (1 + ml_vexp(2 * gelu_u(xc)));
}

static void gelu_row_d(double *restrict y, double *restrict t, const double *restrict x, size_t n)
{
    if (t) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) {
            double th = gelu_tanh_d(x[j]);
            t[j] = th;
            y[j] = gelu_xt(x[j], th);
        }
    } else {
#pragma omp simd
        for (size_t j = 0; j < n; j++) y[j] = gelu_xt(x[j], gelu_tanh_d(x[j]));
    }
}

ML_CLONES static void gelu_row_f(float *restrict y, float *restrict t, const float *restrict x, size_t n)
{
    if (t) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) {
            float th = tanh_ratf(gelu_u_f(x[j]));
            t[j] = th;
            y[j] = gelu_xt_f(x[j], th);
        }
    } else {
#pragma omp simd
        for (size_t j = 0; j < n; j++) y[j] = gelu_xt_f(x[j], tanh_ratf(gelu_u_f(x[j])));
    }
}

/* dx = dy gelu'(x), gelu'(x) = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3c x^2); t from the
 * forward when given (no transcendental then), else recomputed. dx may be dy. */
static void gelu_back_row_d(double *dx, const double *dy, const double *restrict x, const double *restrict t, size_t n)
{
    if (t) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) dx[j] = dy[j] * gelu_grad_xt(x[j], t[j]);
    } else {
        for (size_t j = 0; j < n; j++) dx[j] = dy[j] * ml_nn_gelu_grad(x[j]);
    }
}

ML_CLONES static void gelu_back_row_f(float *dx, const float *dy, const float *restrict x, const float *restrict t, size_t n)
{
    if (t) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) dx[j] = dy[j] * gelu_grad_xt_f(x[j], t[j]);
    } else {
#pragma omp simd
        for (size_t j = 0; j < n; j++) dx[j] = dy[j] * gelu_grad_xt_f(x[j], tanh_ratf(gelu_u_f(x[j])));
    }
}

#pragma GCC pop_options

/* Rows [r0, r1) of a GELU call, for ml_parallel_for (rows are independent). */
typedef struct {
    ml_mat *Y, *Tk;   /* backward: Y is dX */
    const ml_mat *X, *dY;
} gelu_job;
#define GELU_ROWS 16  /* rows per part at least: below, threads cost more than they save */

static void gelu_part(void *ctx, int part, size_t r0, size_t r1)
{
    gelu_job *j = ctx;
    size_t es = ml_dtype_size(j->X->dtype);
    for (size_t i = r0; i < r1; i++) {
        void *y = (char *)j->Y->data + i * j->Y->stride * es, *t = j->Tk ? (char *)j->Tk->data + i * j->Tk->stride * es : NULL;
        const void *x = (const char *)j->X->data + i * j->X->stride * es;
        if (j->X->dtype == ML_F64)
            gelu_row_d(y, t, x, j->X->cols);
        else
            gelu_row_f(y, t, x, j->X->cols);
    }
}

static void gelu_back_part(void *ctx, int part, size_t r0, size_t r1)
{
    gelu_job *j = ctx;
    size_t es = ml_dtype_size(j->X->dtype);
    for (size_t i = r0; i < r1; i++) {
        void *dx = (char *)j->Y->data + i * j->Y->stride * es;
        const void *dy = (const char *)j->dY->data + i * j->dY->stride * es, *x = (const char *)j->X->data + i * j->X->stride * es;
        const void *t = j->Tk ? (const char *)j->Tk->data + i * j->Tk->stride * es : NULL;
        if (j->X->dtype == ML_F64)
            gelu_back_row_d(dx, dy, x, t, j->X->cols);
        else
            gelu_back_row_f(dx, dy, x, t, j->X->cols);
    }
}

int ml_nn_gelu_forward_keep(ml_mat *Y, ml_mat *Tk, const ml_mat *X)
{
    int rc;
    const char *fn = "gelu_forward";
    if ((rc = ml_check_shape(fn, "output", Y, X->rows, X->cols)) || (rc = same_dtype(fn, Y, X))) return rc;
    if (Tk) {
        if ((rc = ml_check_shape(fn, "kept tanh", Tk, X->rows, X->cols)) || (rc = same_dtype(fn, Tk, X))) return rc;
        if (ml_mat_shares(Tk, X) || ml_mat_shares(Tk, Y))
            return ml_error(ML_EINVAL, "%s: the kept tanh must not share storage with the input or the output", fn);
    }
    gelu_job j = {.Y = Y, .Tk = Tk, .X = X};
    ml_parallel_for(X->rows, GELU_ROWS, gelu_part, &j);
    return ML_OK;
}

int ml_nn_gelu_forward(ml_mat *Y, const ml_mat *X) { return ml_nn_gelu_forward_keep(Y, NULL, X); }

int ml_nn_gelu_backward_kept(ml_mat *dX, const ml_mat *dY, const ml_mat *X, const ml_mat *Tk)
{
    int rc;
    const char *fn = "gelu_backward";
    if ((rc = ml_check_shape(fn, "output gradient", dY, X->rows, X->cols)) || (rc = ml_check_shape(fn, "input gradient", dX, X->rows, X->cols)))
        return rc;
    if ((rc = same_dtype(fn, dX, dY)) || (rc = same_dtype(fn, dX, X))) return rc;
    if (ml_mat_shares(dX, X)) return ml_error(ML_EINVAL, "%s: the input gradient must not share storage with the input", fn);
    if (Tk) {
        if ((rc = ml_check_shape(fn, "kept tanh", Tk, X->rows, X->cols)) || (rc = same_dtype(fn, Tk, X))) return rc;
        if (ml_mat_shares(dX, Tk)) return ml_error(ML_EINVAL, "%s: the input gradient must not share storage with the kept tanh", fn);
    }
    gelu_job j = {.Y = dX, .Tk = (ml_mat *)Tk, .X = X, .dY = dY};
    ml_parallel_for(X->rows, GELU_ROWS, gelu_back_part, &j);
    return ML_OK;
}

int ml_nn_gelu_backward(ml_mat *dX, const ml_mat *dY, const ml_mat *X) { return ml_nn_gelu_backward_kept(dX, dY, X, NULL); }

/* ---- softmax cross-entropy ------------------------------------------------------------ */

/* The first maximum of row i of Z. */
static size_t row_argmax(const ml_mat *Z, size_t i)
{
    size_t a = 0;
    double m = ml_mat_get(Z, i, 0);
    for (size_t j = 1; j < Z->cols; j++)
        if (ml_mat_get(Z, i, j) > m) m = ml_mat_get(Z, i, j), a = j;
    return a;
}

/* m = max_j z_j, s = sum_j exp(z_j - m): lse = m + log s. */
static double row_lse(const ml_mat *Z, size_t i)
{
    double m = ml_mat_get(Z, i, row_argmax(Z, i)), s = 0;
    for (size_t j = 0; j < Z->cols; j++) s += exp(ml_mat_get(Z, i, j) - m);
    return m + log(s);
}

/* One row of softmax_ce in double whatever the storage: returns lse(z) - z_y, sets *arg to the
 * first maximum, and when dz is given dz_j = (exp(z_j - lse) - [j = y]) / B. The loops vectorize
 * (omp simd, libmvec's exp within 4 ulp); a NaN in z makes the loss NaN (it enters the sum).
 * One exp per entry: e_j = exp(z_j - m) goes into dz while s is summed, then dz_j = e_j / (s B)
 * (as exp(z_j - lse) / B, without lse's rounding of m + log s, which costs |m| eps relative).
 * dz may be z (in place: each entry is read before it is written). */
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#define DEFINE_CE_ROW(NAME, REAL, ATTR)                                                                   \
    ATTR static double NAME(const REAL *z, REAL *dz, size_t K, size_t y, double Bd,                         \
                            size_t *arg)                                                                  \
    {                                                                                                     \
        double m = z[0], s = 0;                                                                           \
        _Pragma("omp simd reduction(max : m)") for (size_t j = 0; j < K; j++) m = z[j] > m ? z[j] : m;     \
        size_t a = 0;                                                                                     \
        while (a < K && !(z[a] == m)) a++;                                                                \
        *arg = a < K ? a : 0;                                                                             \
        double zy = (double)z[y];   /* dz may be z itself: read z_y first */                              \
        if (dz) {                                                                                         \
            _Pragma("omp simd reduction(+ : s)") for (size_t j = 0; j < K; j++) {                         \
                double e = ml_vexp((double)z[j] - m);                                                     \
                s += e;                                                                                   \
                dz[j] = (REAL)e;                                                                          \
            }                                                                                             \
            double inv = 1 / (s * Bd);                                                                    \
            _Pragma("omp simd") for (size_t j = 0; j < K; j++) dz[j] = (REAL)((double)dz[j] * inv);      \
            dz[y] = (REAL)((exp(zy - m) / s - 1) / Bd);                                                   \
        } else {                                                                                          \
            _Pragma("omp simd reduction(+ : s)") for (size_t j = 0; j < K; j++) s += ml_vexp((double)z[j] - m); \
        }                                                                                                 \
        return m + log(s) - zy;                                                                           \
    }
DEFINE_CE_ROW(ce_row_d, double, )
DEFINE_CE_ROW(ce_row_f, float, ML_CLONES)
#pragma GCC pop_options

/* loss = (1/B) sum_i lse(z_i) - z_i,y_i;  dZ = (softmax(Z) - onehot(y)) / B */
int ml_nn_softmax_ce(double *loss, size_t *ncorrect, ml_mat *dZ, const ml_mat *Z, const ml_mat *y)
{
    int rc;
    size_t B = Z->rows, K = Z->cols;
    if ((rc = check_labels("softmax_ce", y, B, K))) return rc;
    if (dZ && ((rc = ml_check_shape("softmax_ce", "logit gradient", dZ, B, K)) || (rc = same_dtype("softmax_ce", dZ, Z))))
        return rc;
    double total = 0;
    size_t correct = 0;
    for (size_t i = 0; i < B; i++) {
        size_t arg, yi = (size_t)flat_get(y, i);
        if (Z->dtype == ML_F64)
            total += ce_row_d((const double *)Z->data + i * Z->stride, dZ ? (double *)dZ->data + i * dZ->stride : NULL,
                              K, yi, (double)B, &arg);
        else
            total += ce_row_f((const float *)Z->data + i * Z->stride, dZ ? (float *)dZ->data + i * dZ->stride : NULL,
                              K, yi, (double)B, &arg);
        correct += arg == yi;
    }
    if (loss) *loss = total / (double)B;
    if (ncorrect) *ncorrect = correct;
    return ML_OK;
}

/* p_ij = exp(z_ij - lse(z_i)) */
int ml_nn_softmax(ml_mat *P, const ml_mat *Z)
{
    int rc;
    if ((rc = ml_check_shape("softmax", "output", P, Z->rows, Z->cols)) || (rc = same_dtype("softmax", P, Z))) return rc;
    for (size_t i = 0; i < Z->rows; i++) {
        double lse = row_lse(Z, i);
        for (size_t j = 0; j < Z->cols; j++) ml_mat_set(P, i, j, exp(ml_mat_get(Z, i, j) - lse));
    }
    return ML_OK;
}

int ml_nn_argmax(ml_mat *idx, const ml_mat *Z)
{
    if (!is_vector(idx) || vec_len(idx) != Z->rows)
        return ml_error(ML_EINVAL, "argmax: the result must be a vector of %zu entries, got %zu x %zu", Z->rows,
                        idx->rows, idx->cols);
    for (size_t i = 0; i < Z->rows; i++) vec_set(idx, i, (double)row_argmax(Z, i));
    return ML_OK;
}

int ml_nn_count_correct(size_t *ncorrect, const ml_mat *Z, const ml_mat *y)
{
    int rc;
    if ((rc = check_labels("accuracy", y, Z->rows, Z->cols))) return rc;
    size_t c = 0;
    for (size_t i = 0; i < Z->rows; i++) c += row_argmax(Z, i) == (size_t)flat_get(y, i);
    *ncorrect = c;
    return ML_OK;
}

/* ---- embedding --------------------------------------------------------------------- */

static int check_embed(const char *fn, const ml_mat *E, const ml_mat *ids, const ml_mat *C)
{
    int rc;
    size_t B = ids->rows, T = ids->cols, V = C->rows, d = C->cols;
    if ((rc = ml_check_shape(fn, "embedded window", E, B, T * d))) return rc;
    if ((rc = same_dtype(fn, E, C))) return rc;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            if ((rc = check_id(fn, "token id", ml_mat_get(ids, b, t), b * T + t, V))) return rc;
    return ML_OK;
}

/* E[b, t*d + k] = C[ids[b,t], k] */
int ml_nn_embed_forward(ml_mat *E, const ml_mat *ids, const ml_mat *C)
{
    int rc;
    if ((rc = check_embed("embed_forward", E, ids, C))) return rc;
    size_t d = C->cols, es = ml_dtype_size(C->dtype);
    for (size_t b = 0; b < ids->rows; b++)
        for (size_t t = 0; t < ids->cols; t++) {
            size_t v = (size_t)ml_mat_get(ids, b, t);
            memcpy((char *)E->data + (b * E->stride + t * d) * es, (const char *)C->data + v * C->stride * es, d * es);
        }
    return ML_OK;
}

/* dC[ids[b,t], k] += dE[b, t*d + k] */
int ml_nn_embed_backward(ml_mat *dC, const ml_mat *dE, const ml_mat *ids, int accumulate)
{
    int rc;
    if ((rc = check_embed("embed_backward", dE, ids, dC))) return rc;
    if (!accumulate) ml_mat_fill(dC, 0.0);
    size_t d = dC->cols;
    for (size_t b = 0; b < ids->rows; b++)
        for (size_t t = 0; t < ids->cols; t++) {
            size_t v = (size_t)ml_mat_get(ids, b, t);
            if (dC->dtype == ML_F64) {
                double *g = (double *)dC->data + v * dC->stride;
                const double *e = (const double *)dE->data + b * dE->stride + t * d;
                for (size_t k = 0; k < d; k++) g[k] += e[k];
            } else {
                float *g = (float *)dC->data + v * dC->stride;
                const float *e = (const float *)dE->data + b * dE->stride + t * d;
                for (size_t k = 0; k < d; k++) g[k] += e[k];
            }
        }
    return ML_OK;
}

/* ---- token + position embedding -------------------------------------------------------- */

static int check_tokpos(const char *fn, const ml_mat *X, const ml_mat *ids, const ml_mat *wte, const ml_mat *wpe)
{
    int rc;
    size_t B = ids->rows, T = ids->cols;
    if (wte && wpe && wte->cols != wpe->cols)
        return ml_error(ML_EINVAL, "%s: token table has %zu columns, position table %zu", fn, wte->cols, wpe->cols);
    const ml_mat *tab = wte ? wte : wpe;
    if ((rc = ml_check_shape(fn, "embedded tokens", X, B * T, tab->cols)) || (rc = same_dtype(fn, X, tab))) return rc;
    if (wte && wpe && (rc = same_dtype(fn, wte, wpe))) return rc;
    if (wpe && wpe->rows < T)
        return ml_error(ML_EINVAL, "%s: %zu positions exceed the position table's %zu rows (the context)", fn, T, wpe->rows);
    if (wte)
        for (size_t k = 0; k < B * T; k++)
            if ((rc = check_id(fn, "token id", ml_mat_get(ids, k / T, k % T), k, wte->rows))) return rc;
    return ML_OK;
}

/* x = wte[id] + wpe[t] */
int ml_nn_tokpos_forward(ml_mat *X, const ml_mat *ids, const ml_mat *wte, const ml_mat *wpe)
{
    int rc;
    if ((rc = check_tokpos("tokpos_forward", X, ids, wte, wpe))) return rc;
    if (ml_mat_shares(X, wte) || ml_mat_shares(X, wpe))
        return ml_error(ML_EINVAL, "tokpos_forward: the output must not share storage with the tables");
    size_t T = ids->cols, C = wte->cols;
    for (size_t b = 0; b < ids->rows; b++)
        for (size_t t = 0; t < T; t++) {
            size_t v = (size_t)ml_mat_get(ids, b, t), r = b * T + t;
            if (X->dtype == ML_F64) {
                const double *e = (const double *)wte->data + v * wte->stride, *p = (const double *)wpe->data + t * wpe->stride;
                double *x = (double *)X->data + r * X->stride;
                for (size_t k = 0; k < C; k++) x[k] = e[k] + p[k];
            } else {
                const float *e = (const float *)wte->data + v * wte->stride, *p = (const float *)wpe->data + t * wpe->stride;
                float *x = (float *)X->data + r * X->stride;
                for (size_t k = 0; k < C; k++) x[k] = e[k] + p[k];
            }
        }
    return ML_OK;
}

/* dwte[id] += dx;  dwpe[t] = sum_b dx */
int ml_nn_tokpos_backward(ml_mat *dwte, ml_mat *dwpe, const ml_mat *dX, const ml_mat *ids, int accumulate)
{
    int rc;
    if (!dwte && !dwpe) return ML_OK;
    if ((rc = check_tokpos("tokpos_backward", dX, ids, dwte, dwpe))) return rc;
    size_t T = ids->cols, C = dX->cols, es = ml_dtype_size(dX->dtype);
    if (dwte && !accumulate) ml_mat_fill(dwte, 0.0);
    if (dwpe) ml_mat_fill(dwpe, 0.0);
    for (size_t b = 0; b < ids->rows; b++)
        for (size_t t = 0; t < T; t++) {
            size_t r = b * T + t;
            const char *d = (const char *)dX->data + r * dX->stride * es;
            char *targets[2] = {NULL, NULL};
            if (dwte) targets[0] = (char *)dwte->data + (size_t)ml_mat_get(ids, b, t) * dwte->stride * es;
            if (dwpe) targets[1] = (char *)dwpe->data + t * dwpe->stride * es;
            for (int i = 0; i < 2; i++) {
                if (!targets[i]) continue;
                if (dX->dtype == ML_F64)
                    for (size_t k = 0; k < C; k++) ((double *)targets[i])[k] += ((const double *)d)[k];
                else
                    for (size_t k = 0; k < C; k++) ((float *)targets[i])[k] += ((const float *)d)[k];
            }
        }
    return ML_OK;
}

/* ---- minibatches --------------------------------------------------------------------- */

int ml_nn_gather_rows(ml_mat *dst, const ml_mat *src, const ml_mat *idx, size_t offset)
{
    int rc;
    if (dst->cols != src->cols)
        return ml_error(ML_EINVAL, "gather_rows: destination has %zu columns, source %zu", dst->cols, src->cols);
    if (!is_vector(idx)) return ml_error(ML_EINVAL, "gather_rows: the index must be a vector, got %zu x %zu", idx->rows, idx->cols);
    if (offset > vec_len(idx) || vec_len(idx) - offset < dst->rows)
        return ml_error(ML_EINVAL, "gather_rows: %zu rows from offset %zu need %zu indices, the index has %zu", dst->rows,
                        offset, offset + dst->rows, vec_len(idx));
    if (ml_mat_shares(dst, src)) return ml_error(ML_EINVAL, "gather_rows: destination and source share storage");
    for (size_t r = 0; r < dst->rows; r++)
        if ((rc = check_id("gather_rows", "row index", vec_get(idx, offset + r), offset + r, src->rows))) return rc;
    size_t es = ml_dtype_size(src->dtype);
    for (size_t r = 0; r < dst->rows; r++) {
        size_t s = (size_t)vec_get(idx, offset + r);
        if (dst->dtype == src->dtype)
            memcpy((char *)dst->data + r * dst->stride * es, (const char *)src->data + s * src->stride * es,
                   src->cols * es);
        else
            for (size_t j = 0; j < src->cols; j++) ml_mat_set(dst, r, j, ml_mat_get(src, s, j));
    }
    return ML_OK;
}

void ml_nn_affine(ml_mat *X, double a, double c)
{
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) ml_mat_set(X, i, j, a * ml_mat_get(X, i, j) + c);
}

int ml_nn_randperm(ml_mat *p, ml_rng *r)
{
    if (!is_vector(p)) return ml_error(ML_EINVAL, "randperm: the result must be a vector, got %zu x %zu", p->rows, p->cols);
    size_t n = vec_len(p);
    if (p->dtype == ML_F32 && n > ((size_t)1 << 24))
        return ml_error(ML_EINVAL, "randperm: %zu indices are not exact in float32 (limit 2^24)", n);
    for (size_t i = 0; i < n; i++) vec_set(p, i, (double)i);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(ml_rng_uniform(r) * (double)(i + 1));
        if (j > i) j = i;
        double a = vec_get(p, i), b = vec_get(p, j);
        vec_set(p, i, b);
        vec_set(p, j, a);
    }
    return ML_OK;
}
