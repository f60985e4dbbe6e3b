#include "ops.h"
#include "error.h"
#include "svd.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

#define SHAPE_ERR(what, a, b) \
    ml_error(ML_EINVAL, "%s: shape mismatch (%zu x %zu vs %zu x %zu)", what, (a)->rows, (a)->cols, (b)->rows, (b)->cols)

static int check_binary(const char *what, const ml_mat *a, const ml_mat *b)
{
    if (!ml_mat_same_shape(a, b)) return SHAPE_ERR(what, a, b);
    if (a->dtype != b->dtype)
        return ml_error(ML_EINVAL, "%s: dtype mismatch (%s vs %s)", what, ml_dtype_name(a->dtype), ml_dtype_name(b->dtype));
    return ML_OK;
}

/* Apply a row kernel over every row, for each dtype. */
#define ROWS2(Z, X, Y, EXPR)                                                            \
    for (size_t i = 0; i < (Z)->rows; i++) {                                            \
        if ((Z)->dtype == ML_F64) {                                                     \
            double *z = (double *)(Z)->data + i * (Z)->stride;                          \
            const double *x = (const double *)(X)->data + i * (X)->stride;              \
            const double *y = (const double *)(Y)->data + i * (Y)->stride;              \
            (void)y;                                                                    \
            for (size_t j = 0; j < (Z)->cols; j++) z[j] = EXPR;                         \
        } else {                                                                        \
            float *z = (float *)(Z)->data + i * (Z)->stride;                            \
            const float *x = (const float *)(X)->data + i * (X)->stride;                \
            const float *y = (const float *)(Y)->data + i * (Y)->stride;                \
            (void)y;                                                                    \
            for (size_t j = 0; j < (Z)->cols; j++) z[j] = EXPR;                         \
        }                                                                               \
    }

int ml_axpy(ml_mat *Y, double a, const ml_mat *X)
{
    return ml_axpby(Y, a, X, 1.0, Y);
}

int ml_axpby(ml_mat *Z, double a, const ml_mat *X, double b, const ml_mat *Y)
{
    int rc = check_binary("axpby", X, Y);
    if (!rc) rc = check_binary("axpby", Z, X);
    if (rc) return rc;
    ROWS2(Z, X, Y, a * x[j] + b * y[j]);
    return ML_OK;
}

int ml_hadamard(ml_mat *Z, const ml_mat *X, const ml_mat *Y)
{
    int rc = check_binary("hadamard", X, Y);
    if (!rc) rc = check_binary("hadamard", Z, X);
    if (rc) return rc;
    ROWS2(Z, X, Y, x[j] * y[j]);
    return ML_OK;
}

void ml_scale(ml_mat *X, double a)
{
    ROWS2(X, X, X, a * x[j]);
}

void ml_add_diag(ml_mat *X, double a)
{
    size_t k = X->rows < X->cols ? X->rows : X->cols;
    for (size_t i = 0; i < k; i++) ml_mat_set(X, i, i, ml_mat_get(X, i, i) + a);
}

int ml_gemm(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb, double beta)
{
    size_t m = ta ? A->cols : A->rows, k = ta ? A->rows : A->cols;
    size_t kb = tb ? B->cols : B->rows, n = tb ? B->rows : B->cols;
    if (k != kb || C->rows != m || C->cols != n)
        return ml_error(ML_EINVAL, "matmul: shape mismatch (%zu x %zu times %zu x %zu into %zu x %zu)", m, k, kb, n,
                        C->rows, C->cols);
    if (A->dtype != B->dtype || A->dtype != C->dtype)
        return ml_error(ML_EINVAL, "matmul: dtype mismatch (%s, %s, %s)", ml_dtype_name(A->dtype),
                        ml_dtype_name(B->dtype), ml_dtype_name(C->dtype));
    enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    if (C->dtype == ML_F64)
        cblas_dgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, alpha, A->data, (int)A->stride, B->data,
                    (int)B->stride, beta, C->data, (int)C->stride);
    else
        cblas_sgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, (float)alpha, A->data, (int)A->stride, B->data,
                    (int)B->stride, (float)beta, C->data, (int)C->stride);
    return ML_OK;
}

/* Blocked 32x32 so that reading columns of the upper triangle stays in cache. */
void ml_symmetrize_from_upper(ml_mat *S)
{
    size_t n = S->rows, ld = S->stride;
    for (size_t i0 = 0; i0 < n; i0 += 32)
        for (size_t j0 = 0; j0 <= i0; j0 += 32) {
            size_t i1 = i0 + 32 < n ? i0 + 32 : n, j1 = j0 + 32 < n ? j0 + 32 : n;
            if (S->dtype == ML_F64) {
                double *d = S->data;
                for (size_t i = i0; i < i1; i++)
                    for (size_t j = j0; j < j1 && j < i; j++) d[i * ld + j] = d[j * ld + i];
            } else {
                float *d = S->data;
                for (size_t i = i0; i < i1; i++)
                    for (size_t j = j0; j < j1 && j < i; j++) d[i * ld + j] = d[j * ld + i];
            }
        }
}

int ml_syrk(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta)
{
    size_t n = trans ? A->cols : A->rows, k = trans ? A->rows : A->cols;
    if (C->rows != n || C->cols != n)
        return ml_error(ML_EINVAL, "syrk: result must be %zu x %zu, got %zu x %zu", n, n, C->rows, C->cols);
    if (A->dtype != C->dtype) return ml_error(ML_EINVAL, "syrk: dtype mismatch");
    enum CBLAS_TRANSPOSE T = trans ? CblasTrans : CblasNoTrans;
    if (C->dtype == ML_F64)
        cblas_dsyrk(CblasRowMajor, CblasUpper, T, (int)n, (int)k, alpha, A->data, (int)A->stride, beta, C->data,
                    (int)C->stride);
    else
        cblas_ssyrk(CblasRowMajor, CblasUpper, T, (int)n, (int)k, (float)alpha, A->data, (int)A->stride, (float)beta,
                    C->data, (int)C->stride);
    ml_symmetrize_from_upper(C);
    return ML_OK;
}

int ml_symm(ml_mat *C, double alpha, const ml_mat *S, const ml_mat *B, double beta)
{
    if (S->rows != S->cols || S->cols != B->rows || C->rows != S->rows || C->cols != B->cols)
        return ml_error(ML_EINVAL, "symm: shape mismatch");
    if (S->dtype != B->dtype || B->dtype != C->dtype) return ml_error(ML_EINVAL, "symm: dtype mismatch");
    int m = (int)C->rows, n = (int)C->cols;
    if (C->dtype == ML_F64)
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, m, n, alpha, S->data, (int)S->stride, B->data,
                    (int)B->stride, beta, C->data, (int)C->stride);
    else
        cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, m, n, (float)alpha, S->data, (int)S->stride, B->data,
                    (int)B->stride, (float)beta, C->data, (int)C->stride);
    return ML_OK;
}

int ml_symm_right(ml_mat *C, double alpha, const ml_mat *B, const ml_mat *S, double beta)
{
    if (S->rows != S->cols || B->cols != S->rows || C->rows != B->rows || C->cols != S->cols)
        return ml_error(ML_EINVAL, "symm: shape mismatch");
    if (S->dtype != B->dtype || B->dtype != C->dtype) return ml_error(ML_EINVAL, "symm: dtype mismatch");
    int m = (int)C->rows, n = (int)C->cols;
    if (C->dtype == ML_F64)
        cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, m, n, alpha, S->data, (int)S->stride, B->data,
                    (int)B->stride, beta, C->data, (int)C->stride);
    else
        cblas_ssymm(CblasRowMajor, CblasRight, CblasUpper, m, n, (float)alpha, S->data, (int)S->stride, B->data,
                    (int)B->stride, (float)beta, C->data, (int)C->stride);
    return ML_OK;
}

/* Sums are accumulated in double for both dtypes. The Frobenius norm scales by the
 * largest magnitude first so that huge or tiny entries neither overflow nor underflow. */
double ml_norm_maxabs(const ml_mat *X)
{
    double m = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double v = fabs(ml_mat_get(X, i, j));
            if (v > m || v != v) m = v;
        }
    return m;
}

double ml_norm_fro(const ml_mat *X)
{
    double s = 0;
    if (X->dtype == ML_F64) {
        for (size_t i = 0; i < X->rows; i++) {
            const double *r = (const double *)X->data + i * X->stride;
            for (size_t j = 0; j < X->cols; j++) s += r[j] * r[j];
        }
    } else {
        for (size_t i = 0; i < X->rows; i++) {
            const float *r = (const float *)X->data + i * X->stride;
            for (size_t j = 0; j < X->cols; j++) s += (double)r[j] * r[j];
        }
    }
    if (s > 0 && s < 1e300 && s > 1e-300) return sqrt(s);
    /* Rescale only in the rare over/underflow case. */
    double m = ml_norm_maxabs(X);
    if (m == 0 || !isfinite(m)) return m;
    double t = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double v = ml_mat_get(X, i, j) / m;
            t += v * v;
        }
    return m * sqrt(t);
}

double ml_trace(const ml_mat *X)
{
    double t = 0;
    size_t k = X->rows < X->cols ? X->rows : X->cols;
    for (size_t i = 0; i < k; i++) t += ml_mat_get(X, i, i);
    return t;
}

int ml_dot(const ml_mat *X, const ml_mat *Y, double *out)
{
    if (!ml_mat_same_shape(X, Y)) return SHAPE_ERR("dot", X, Y);
    double s = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) s += ml_mat_get(X, i, j) * ml_mat_get(Y, i, j);
    *out = s;
    return ML_OK;
}

int ml_norm_spectral(const ml_mat *X, double *out)
{
    ml_mat s = {0};
    int rc = ml_svd(X, NULL, &s, NULL);
    if (rc) return rc;
    *out = ml_mat_get(&s, 0, 0);
    ml_mat_free(&s);
    return ML_OK;
}

int ml_norm_nuclear(const ml_mat *X, double *out)
{
    ml_mat s = {0};
    int rc = ml_svd(X, NULL, &s, NULL);
    if (rc) return rc;
    double t = 0;
    for (size_t i = 0; i < s.rows; i++) t += ml_mat_get(&s, i, 0);
    *out = t;
    ml_mat_free(&s);
    return ML_OK;
}
