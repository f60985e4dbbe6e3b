/* Thin QR factorisations (see qr.h). Both compute in float64 and convert at the end. */
#include "qr.h"
#include "error.h"
#include "ops.h"
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

static const char *const method_names[] = {"householder", "rcholesky"};

int ml_qr_method_parse(const char *s, ml_qr_method *out)
{
    int i, rc = ml_parse_choice("method", method_names, 2, s, &i);
    if (!rc) *out = (ml_qr_method)i;
    return rc;
}

/* a (m x n, row-major, float64) <- its Householder QR: Q (m x k) in a[.., 0..k-1] is formed
 * only when q != NULL (then q gets it), r (k x n) the upper triangle; diag(r) made >= 0. */
static int householder(double *a, size_t m, size_t n, double *q, double *r)
{
    size_t k = m < n ? m : n;
    double *tau = malloc(k * sizeof *tau);
    if (!tau) return ml_error(ML_ENOMEM, "out of memory in qr");
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)n, a, (lapack_int)n, tau);
    if (info) {
        free(tau);
        return ml_error(ML_ENUM, "LAPACK geqrf failed (info = %d)", (int)info);
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < n; j++) r[i * n + j] = j >= i ? a[i * n + j] : 0.0;
    if (q) {
        /* orgqr wants the k reflectors in an m x k array */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < k; j++) q[i * k + j] = a[i * n + j];
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)k, (lapack_int)k, q, (lapack_int)k, tau);
    }
    free(tau);
    if (info) return ml_error(ML_ENUM, "LAPACK orgqr failed (info = %d)", (int)info);
    /* Q diag(d), diag(d) R with d_i = sign(R_ii): the factorisation with diag(R) >= 0 */
    for (size_t i = 0; i < k; i++)
        if (r[i * n + i] < 0) {
            for (size_t j = i; j < n; j++) r[i * n + j] = -r[i * n + j];
            if (q)
                for (size_t l = 0; l < m; l++) q[l * k + i] = -q[l * k + i];
        }
    return ML_OK;
}

static int check_input(const ml_mat *A)
{
    if (!A || !A->buf || A->rows == 0 || A->cols == 0) return ml_error(ML_EINVAL, "empty matrix");
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    return ML_OK;
}

/* out (allocated here, dtype t) <- the float64 matrix d (rows x cols) */
static int emit(ml_mat *out, const ml_mat *d, ml_dtype t) { return ml_mat_clone(out, d, t); }

int ml_qr(const ml_mat *A, ml_mat *Q, ml_mat *R)
{
    int rc = check_input(A);
    if (rc) return rc;
    size_t m = A->rows, n = A->cols, k = m < n ? m : n;
    ml_mat a = {0}, q = {0}, r = {0};
    rc = ml_mat_clone(&a, A, ML_F64);
    if (!rc) rc = ml_mat_alloc(&q, m, k, ML_F64);
    if (!rc) rc = ml_mat_alloc(&r, k, n, ML_F64);
    if (!rc) rc = householder(a.data, m, n, q.data, r.data);
    if (!rc) rc = emit(Q, &q, A->dtype);
    if (!rc) {
        rc = emit(R, &r, A->dtype);
        if (rc) ml_mat_free(Q);
    }
    ml_mat_free(&a);
    ml_mat_free(&q);
    ml_mat_free(&r);
    return rc;
}

int ml_qr_rcholesky(const ml_mat *P, ml_mat *Q, ml_mat *R, double oversample, ml_rng *rng)
{
    int rc = check_input(P);
    if (rc) return rc;
    size_t m = P->rows, n = P->cols;
    if (m <= n) return ml_error(ML_EINVAL, "randomised Cholesky-QR needs a tall matrix (rows > cols), got %zu x %zu", m, n);
    if (!(oversample >= 1) || !isfinite(oversample))
        return ml_error(ML_EINVAL, "oversample must be a finite number >= 1, got %g", oversample);
    size_t k = (size_t)ceil(oversample * (double)n / 128.0) * 128;
    ml_mat p = {0}, S = {0}, SP = {0}, R1 = {0}, PP = {0};
    rc = ml_mat_clone(&p, P, ML_F64);
    if (!rc) rc = ml_mat_alloc(&S, k, m, ML_F64);
    if (!rc) rc = ml_mat_alloc(&SP, k, n, ML_F64);
    if (!rc) rc = ml_mat_alloc(&R1, n, n, ML_F64);
    if (!rc) rc = ml_mat_alloc(&PP, n, n, ML_F64);
    if (rc) goto done;
    /* S ~ N(0, 1/k);  R1 = the R factor of S P */
    ml_rng_fill_normal(rng, &S, 0, 1 / sqrt((double)k));
    rc = ml_gemm(&SP, 1.0, &S, ML_NOTRANS, &p, ML_NOTRANS, 0.0);
    if (!rc) rc = householder(SP.data, k, n, NULL, R1.data);
    if (rc) goto done;
    for (size_t i = 0; i < n; i++)
        if (!(fabs(((double *)R1.data)[i * n + i]) > 0)) {
            rc = ml_error(ML_ENUM, "randomised Cholesky-QR: the sketch is rank deficient (column %zu)", i + 1);
            goto done;
        }
    /* P1 = P R1^-1 */
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m, (int)n, 1.0, R1.data,
                (int)n, p.data, (int)n);
    /* P1^T P1 = R2^T R2 (Cholesky, upper) */
    rc = ml_syrk(&PP, 1.0, &p, ML_TRANS, 0.0);
    if (rc) goto done;
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, PP.data, (lapack_int)n);
    if (info) {
        rc = ml_error(ML_ENUM, "randomised Cholesky-QR: P1^T P1 is not positive definite (potrf info = %d)", (int)info);
        goto done;
    }
    double *r2 = PP.data;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) r2[i * n + j] = 0.0;
    /* Q = P1 R2^-1;  R = R2 R1 */
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m, (int)n, 1.0, r2, (int)n,
                p.data, (int)n);
    cblas_dtrmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)n, (int)n, 1.0, r2, (int)n,
                R1.data, (int)n);
    rc = emit(Q, &p, P->dtype);
    if (!rc) {
        rc = emit(R, &R1, P->dtype);
        if (rc) ml_mat_free(Q);
    }
done:
    ml_mat_free(&p);
    ml_mat_free(&S);
    ml_mat_free(&SP);
    ml_mat_free(&R1);
    ml_mat_free(&PP);
    return rc;
}
