/* Symmetric eigendecomposition A = Q T Q^T = (Q Z) diag(w) (Q Z)^T (see internal/syevd.h):
 * ?sytrd gives T and Q as n - 1 Householder reflectors, ?stedc T = Z diag(w) Z^T, and V = Q Z is
 * formed here. Q = H(n-1) ... H(1) (?sytrd with uplo 'U'; H(i) = I - tau_i v_i v_i^T, v_i(i) = 1,
 * v_i below row i zero, v_i above row i stored in column i + 1 of A), applied H(1) first, in
 * blocks of b reflectors as the compact WY form (Schreiber & Van Loan 1989)
 *   H(i+b-1) ... H(i) = I - P T P^T,  P = [v_i .. v_(i+b-1)] (rows 1..i+b-1), T lower triangular
 * (?larft, direction backward), so Z <- Z - P (T (P^T Z)): two gemm and a trmm per block. */
#include "internal/syevd.h"
#include "error.h"
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define NB ML_SYEVD_NB

/* ?stedc's workspace, 1 + 4n + n^2 elements, is counted in int */
#define MAX_ORDER 46000

static size_t scratch_elems(size_t n, size_t lw_trd, size_t lw_edc)
{
    size_t bt = n * NB + NB * NB + NB * n;   /* the panel P, T and P^T Z */
    size_t s = lw_trd > lw_edc ? lw_trd : lw_edc;
    return s > bt ? s : bt;
}

int ml_syevd_query(ml_dtype t, size_t n, size_t *work, size_t *iwork)
{
    if (n == 0 || n > MAX_ORDER) return ml_error(ML_EINVAL, "syevd: order %zu outside 1..%d", n, MAX_ORDER);
    lapack_int ni = (lapack_int)n, info, liw = 0;
    double dq = 0, dd = 0;
    float fq = 0, fd = 0;
    size_t lw_trd, lw_edc;
    if (t == ML_F64) {
        info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'U', ni, &dd, ni, &dd, &dd, &dd, &dq, -1);
        lw_trd = (size_t)dq;
        if (!info) info = LAPACKE_dstedc_work(LAPACK_COL_MAJOR, 'I', ni, &dd, &dd, &dd, ni, &dq, -1, &liw, -1);
    } else {
        info = LAPACKE_ssytrd_work(LAPACK_COL_MAJOR, 'U', ni, &fd, ni, &fd, &fd, &fd, &fq, -1);
        lw_trd = (size_t)fq;
        if (!info) info = LAPACKE_sstedc_work(LAPACK_COL_MAJOR, 'I', ni, &fd, &fd, &fd, ni, &fq, -1, &liw, -1);
        dq = fq;
    }
    if (info) return ml_error(ML_EINVAL, "syevd: workspace query failed, info = %d", (int)info);
    lw_edc = (size_t)dq;
    *work = 3 * n + n * n + scratch_elems(n, lw_trd, lw_edc);
    *iwork = (size_t)liw;
    return ML_OK;
}

static double get(ml_dtype t, const void *p, size_t i)
{
    return t == ML_F64 ? ((const double *)p)[i] : ((const float *)p)[i];
}

static void set(ml_dtype t, void *p, size_t i, double v)
{
    if (t == ML_F64)
        ((double *)p)[i] = v;
    else
        ((float *)p)[i] = (float)v;
}

/* The largest |a_ij| of the upper triangle, NAN when one is not finite. */
static double upper_maxabs(ml_dtype t, size_t n, const void *A, size_t lda)
{
    double m = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i <= j; i++) {
            double a = fabs(get(t, A, j * lda + i));
            if (!(a <= DBL_MAX)) return NAN;
            if (a > m) m = a;
        }
    return m;
}

/* Z (n x n, ld ldz) <- Q Z, Q from ?sytrd 'U' (A, tau); scratch: scratch_elems' back-transform part. */
static void back_transform(ml_dtype t, size_t n, const void *A, size_t lda, const void *tau, void *Z, size_t ldz,
                           void *scratch)
{
    size_t es = ml_dtype_size(t), k = n - 1;
    char *P = scratch, *T = P + n * NB * es, *W = T + NB * NB * es;
    const char *a = A;
    for (size_t i = 0; i < k; i += NB) {
        size_t ib = k - i < NB ? k - i : NB, mi = i + ib;
        for (size_t j = 0; j < ib; j++) {   /* column j of P: v_(i+j) over rows 0..mi-1 */
            size_t unit = i + j;
            char *p = P + j * n * es;
            memcpy(p, a + (unit + 1) * lda * es, unit * es);
            set(t, p, unit, 1.0);
            memset(p + (unit + 1) * es, 0, (mi - unit - 1) * es);
        }
        const char *v = a + (i + 1) * lda * es;
        int M = (int)mi, N = (int)n, B = (int)ib;
        if (t == ML_F64) {
            LAPACKE_dlarft_work(LAPACK_COL_MAJOR, 'B', 'C', M, B, (const double *)v, (int)lda, (const double *)tau + i,
                                (double *)T, NB);
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, B, N, M, 1.0, (double *)P, N, Z, (int)ldz, 0.0,
                        (double *)W, NB);
            cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, B, N, 1.0, (double *)T, NB,
                        (double *)W, NB);
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, N, B, -1.0, (double *)P, N, (double *)W, NB, 1.0,
                        Z, (int)ldz);
        } else {
            LAPACKE_slarft_work(LAPACK_COL_MAJOR, 'B', 'C', M, B, (const float *)v, (int)lda, (const float *)tau + i,
                                (float *)T, NB);
            cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, B, N, M, 1.0f, (float *)P, N, Z, (int)ldz, 0.0f,
                        (float *)W, NB);
            cblas_strmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, B, N, 1.0f, (float *)T, NB,
                        (float *)W, NB);
            cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, N, B, -1.0f, (float *)P, N, (float *)W, NB, 1.0f,
                        Z, (int)ldz);
        }
    }
}

int ml_syevd(ml_dtype t, size_t n, void *A, size_t lda, void *w, void *work, int *iwork)
{
    size_t lwork, liwork;
    int rc = ml_syevd_query(t, n, &lwork, &liwork);
    if (rc) return rc;
    if (lda < n || lda > INT_MAX) return ml_error(ML_EINVAL, "syevd: leading dimension %zu for order %zu", lda, n);
    double anrm = upper_maxabs(t, n, A, lda);
    if (isnan(anrm)) return ml_error(ML_ENUM, "syevd: the matrix has a non-finite entry");
    /* ?syevd's range: rmin = sqrt(safmin / eps), rmax = 1 / rmin; outside it, scale to ~1 */
    double safmin = t == ML_F64 ? DBL_MIN : FLT_MIN, eps = t == ML_F64 ? DBL_EPSILON : FLT_EPSILON;
    double rmin = sqrt(safmin / eps), rmax = 1 / rmin;
    int x = 0;
    if (anrm > 0 && (anrm < rmin || anrm > rmax)) {
        frexp(anrm, &x);
        x = -x;
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i <= j; i++) set(t, A, j * lda + i, ldexp(get(t, A, j * lda + i), x));
    }
    size_t es = ml_dtype_size(t);
    char *d = work, *e = d + n * es, *tau = e + n * es, *Z = tau + n * es, *s = Z + n * n * es;
    size_t ls = lwork - 3 * n - n * n;
    lapack_int ni = (lapack_int)n, ld = (lapack_int)lda, lsi = ls > INT_MAX ? INT_MAX : (lapack_int)ls, info;
    if (t == ML_F64) {
        info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'U', ni, A, ld, (double *)d, (double *)e, (double *)tau,
                                   (double *)s, lsi);
        if (!info)
            info = LAPACKE_dstedc_work(LAPACK_COL_MAJOR, 'I', ni, (double *)d, (double *)e, (double *)Z, ni,
                                       (double *)s, lsi, iwork, (lapack_int)liwork);
    } else {
        info = LAPACKE_ssytrd_work(LAPACK_COL_MAJOR, 'U', ni, A, ld, (float *)d, (float *)e, (float *)tau, (float *)s,
                                   lsi);
        if (!info)
            info = LAPACKE_sstedc_work(LAPACK_COL_MAJOR, 'I', ni, (float *)d, (float *)e, (float *)Z, ni, (float *)s,
                                       lsi, iwork, (lapack_int)liwork);
    }
    if (info)
        return ml_error(info < 0 ? ML_EINVAL : ML_ENUM, "eigendecomposition (%cstedc) failed, info = %d",
                        t == ML_F64 ? 'd' : 's', (int)info);
    back_transform(t, n, A, lda, tau, Z, n, s);
    for (size_t j = 0; j < n; j++) memcpy((char *)A + j * lda * es, Z + j * n * es, n * es);
    for (size_t i = 0; i < n; i++) set(t, w, i, x ? ldexp(get(t, d, i), -x) : get(t, d, i));
    return ML_OK;
}
