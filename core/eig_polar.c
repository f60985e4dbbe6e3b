/* Exact polar factor through the eigendecomposition of the short-side Gram matrix:
 *   A A^T = W diag(lambda) W^T  (m x m, m <= n; A^T A when A is tall),
 *   polar(A) = W diag(lambda^(-1/2)) W^T A = (A A^T)^(-1/2) A.
 * Cost m^2 n (syrk) + the m x m eigendecomposition (syevd, divide and conquer) + m^3 (syrk for
 * W diag(lambda^(-1/2)) W^T = R^T R, R = diag(lambda^(-1/4)) W^T) + 2 m^2 n (symm), against a
 * full SVD of the m x n matrix.
 * Conditioning: the Gram matrix has the squared singular values, so its eigenvalues carry an
 * absolute error of about m eps lambda_max and sigma_i = sqrt(lambda_i) has relative error about
 * eps (sigma_max / sigma_i)^2: the result is accurate while kappa(A) <~ 1/sqrt(eps) (1e8 in fp64,
 * 3e3 in fp32) and its error grows like kappa^2 eps. Singular values below rtol * sigma_max (by
 * default sqrt(max(m, n) eps): below it lambda_i is rounding noise) are treated as zero. */
#include "eig_polar.h"
#include "error.h"
#include "ops.h"
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>

double ml_polar_eig_rtol(const ml_mat *A)
{
    size_t k = A->rows > A->cols ? A->rows : A->cols;
    return sqrt((double)k * (A->dtype == ML_F64 ? DBL_EPSILON : FLT_EPSILON));
}

int ml_polar_eig(ml_mat *out, const ml_mat *A, double rtol)
{
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty input matrix");
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    if (!(rtol < 1) || isnan(rtol)) return ml_error(ML_EINVAL, "rtol must be < 1, got %g", rtol);
    if (rtol < 0) rtol = ml_polar_eig_rtol(A);
    int tall = A->rows > A->cols;
    size_t m = tall ? A->cols : A->rows;
    ml_dtype t = A->dtype;
    ml_mat C = {0}, R = {0}, lam = {0}, res = {0}, As = {0};
    int rc = ML_OK, e = ml_scale_exponent(ml_norm_maxabs(A), ML_SCALE_WINDOW(t));
    if (e) {   /* A A^T would overflow or underflow: polar(2^e A) = polar(A) */
        rc = ml_mat_clone(&As, A, t);
        ml_mat_ldexp(&As, e);
        A = &As;
    }
    if (!rc) rc = ml_mat_alloc(&C, m, m, t);
    if (!rc) rc = ml_mat_alloc(&lam, m, 1, ML_F64);
    if (!rc) rc = ml_mat_alloc(&R, m, m, t);
    if (!rc) rc = ml_mat_alloc(&res, A->rows, A->cols, t);
    if (!rc) rc = ml_syrk(&C, 1.0, A, tall ? ML_TRANS : ML_NOTRANS, 0.0);
    if (rc) goto done;
    /* Column-major call on the row-major buffer: the matrix is symmetric, and on return row i
     * holds the i-th eigenvector (eigenvalues ascending). */
    lapack_int info, n = (lapack_int)m, ld = (lapack_int)C.stride;
    double *l = lam.data;
    if (t == ML_F64) {
        info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', n, C.data, ld, l);
    } else {
        float *lf = (float *)R.data;   /* R is free until the scaling below */
        info = LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'V', 'U', n, C.data, ld, lf);
        for (size_t i = 0; i < m; i++) l[i] = lf[i];
    }
    if (info) {
        rc = ml_error(info < 0 ? ML_EINVAL : ML_ENUM, "eigendecomposition (syevd) failed, info = %d", (int)info);
        goto done;
    }
    double cut = rtol * rtol * fmax(l[m - 1], 0.0);
    for (size_t i = 0; i < m; i++) {   /* R = diag(lambda^(-1/4)) W^T, zero rows below the cut */
        double f = l[i] > cut && l[i] > 0 ? 1.0 / sqrt(sqrt(l[i])) : 0.0;
        for (size_t j = 0; j < m; j++) ml_mat_set(&C, i, j, f * ml_mat_get(&C, i, j));
    }
    rc = ml_syrk(&R, 1.0, &C, ML_TRANS, 0.0);   /* R^T R = W diag(lambda^(-1/2)) W^T */
    if (rc) goto done;
    if (!tall) {
        rc = ml_symm(&res, 1.0, &R, A, 0.0);
    } else {   /* A (A^T A)^(-1/2) */
        int M = (int)A->rows, N = (int)A->cols;
        if (t == ML_F64)
            cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, M, N, 1.0, R.data, (int)R.stride, A->data,
                        (int)A->stride, 0.0, res.data, (int)res.stride);
        else
            cblas_ssymm(CblasRowMajor, CblasRight, CblasUpper, M, N, 1.0f, R.data, (int)R.stride, A->data,
                        (int)A->stride, 0.0f, res.data, (int)res.stride);
    }
done:
    ml_mat_free(&As);
    ml_mat_free(&C);
    ml_mat_free(&R);
    ml_mat_free(&lam);
    if (rc) {
        ml_mat_free(&res);
        return rc;
    }
    *out = res;   /* like ml_polar: out is overwritten, not freed */
    return ML_OK;
}
