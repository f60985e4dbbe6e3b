/* Symmetric eigendecomposition A = Q T Q^T = (Q Z) diag(w) (Q Z)^T (see internal/syevd.h):
 * ?sytrd gives T and Q as n - 1 Householder reflectors, ?stedc T = Z diag(w) Z^T, and V = Q Z is
 * formed here. Q = H(n-1) ... H(1) (?sytrd with uplo 'U'; H(i) = I - tau_i v_i v_i^T, v_i(i) = 1,
 * v_i below row i zero, v_i above row i stored in column i + 1 of A), applied H(1) first, in
 * blocks of b reflectors as the compact WY form (Schreiber & Van Loan 1989)
 *   H(i+b-1) ... H(i) = I - P T P^T,  P = [v_i .. v_(i+b-1)] (rows 1..i+b-1), T lower triangular
 * (?larft, direction backward), so Z <- Z - P (T (P^T Z)): two gemm and a trmm per block. */
#include "internal/syevd.h"
#include "error.h"
#include "ops.h"
#include "parallel.h"
#include "threads.h"
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define NB ML_SYEVD_NB

/* ?syevd's safe range [sqrt(safmin / eps), its inverse] is 2^+-51.5 in fp32, 2^+-485 in fp64: a
 * matrix whose largest entry is outside [2^-51, 2^51) (fp64: 2^+-485) is scaled by a power of 2
 * (ml_scale_exponent), as ?syevd scales */
#define SAFE_WINDOW(t) ((t) == ML_F64 ? 485 : 51)

/* ?stedc's workspace, 1 + 4n + n^2 elements, is counted in int */
#define MAX_ORDER 46000

/* LAPACK's rank-one merge of two solved halves (no LAPACKE wrapper): the routine ?stedc's own
 * divide and conquer (?laed0) calls at every level. */
void slaed1_(const int *n, float *d, float *q, const int *ldq, int *indxq, const float *rho, const int *cutpnt,
             float *work, int *iwork, int *info);
void dlaed1_(const int *n, double *d, double *q, const int *ldq, int *indxq, const double *rho, const int *cutpnt,
             double *work, int *iwork, int *info);

/* From this order, with 2 threads, the tridiagonal problem is torn in two halves solved at the
 * same time (tridiag_eig). 256 rather than 512: the 5-step eig NS of m x 4m at 2 threads, 3
 * alternated pairs (Intel Xeon, model 167), fp64 m = 256 7.57 -> 7.20 ms, 320 12.1 -> 11.4, 384
 * 18.2 -> 18.2, 448 26.6 -> 24.9; fp32 256 4.63 -> 4.31, 320 6.9 -> 6.6, 384 10.33 -> 10.56
 * (the one loss), 448 14.6 -> 13.8. */
#define SPLIT_ORDER 256

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

/* ?stedc's workspace for order n (compz 'I'): lwork elements and liwork ints, by LAPACK's query. */
static int edc_query(ml_dtype t, size_t n, size_t *lw, size_t *liw)
{
    lapack_int ni = (lapack_int)n, info, li = 0;
    if (t == ML_F64) {
        double q = 0, x = 0;
        info = LAPACKE_dstedc_work(LAPACK_COL_MAJOR, 'I', ni, &x, &x, &x, ni, &q, -1, &li, -1);
        *lw = (size_t)q;
    } else {
        float q = 0, x = 0;
        info = LAPACKE_sstedc_work(LAPACK_COL_MAJOR, 'I', ni, &x, &x, &x, ni, &q, -1, &li, -1);
        *lw = (size_t)q;
    }
    *liw = (size_t)li;
    return info;
}

/* The layout of ml_syevd's workspace, in elements of t: d, e, tau (n each), Z (n x n), then a
 * scratch area shared by ?sytrd, the tridiagonal solve and the back-transformation; in ints: the
 * solve's, then the sorting permutation (n). */
typedef struct {
    size_t scratch, iscratch;
    size_t lw_half[2], liw_half[2];   /* ?stedc of the two halves (n >= SPLIT_ORDER) */
} layout;

static int plan(ml_dtype t, size_t n, layout *L)
{
    lapack_int ni = (lapack_int)n, info;
    size_t lw_trd, lw, liw, lw1 = 0, liw1 = 0, lw2 = 0, liw2 = 0, n1 = n / 2;
    if (t == ML_F64) {
        double q = 0, x = 0;
        info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'U', ni, &x, ni, &x, &x, &x, &q, -1);
        lw_trd = (size_t)q;
    } else {
        float q = 0, x = 0;
        info = LAPACKE_ssytrd_work(LAPACK_COL_MAJOR, 'U', ni, &x, ni, &x, &x, &x, &q, -1);
        lw_trd = (size_t)q;
    }
    if (!info) info = edc_query(t, n, &lw, &liw);
    if (!info && n >= SPLIT_ORDER) info = edc_query(t, n1, &lw1, &liw1);
    if (!info && n >= SPLIT_ORDER) info = edc_query(t, n - n1, &lw2, &liw2);
    L->lw_half[0] = lw1, L->lw_half[1] = lw2, L->liw_half[0] = liw1, L->liw_half[1] = liw2;
    if (info) return ml_error(ML_EINVAL, "syevd: workspace query failed, info = %d", (int)info);
    /* the two halves' ?stedc at once; ?laed1: 4n + n^2 and 4n ints; the back-transformation's
     * panel P (n x NB), its T (NB x NB) and P^T Z (NB x n) */
    L->scratch = max2(max2(lw_trd, lw), max2(max2(lw1 + lw2, 4 * n + n * n), 2 * n * NB + NB * NB));
    L->iscratch = max2(max2(liw, liw1 + liw2), 4 * n);
    return ML_OK;
}

int ml_syevd_query(ml_dtype t, size_t n, size_t *work, size_t *iwork)
{
    if (n == 0 || n > MAX_ORDER) return ml_error(ML_EINVAL, "syevd: order %zu outside 1..%d", n, MAX_ORDER);
    layout L;
    int rc = plan(t, n, &L);
    if (rc) return rc;
    *work = 3 * n + n * n + L.scratch;
    *iwork = L.iscratch + n;
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

/* Z (n x n, ld ldz) <- Q Z, Q from ?sytrd 'U' (A, tau); scratch: 2 n NB + NB^2 elements. */
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

static lapack_int stedc(ml_dtype t, size_t n, void *d, void *e, void *z, size_t ldz, void *work, size_t lw,
                        int *iwork, size_t liw)
{
    lapack_int ni = (lapack_int)n, ld = (lapack_int)ldz, lwi = (lapack_int)lw, liwi = (lapack_int)liw;
    if (t == ML_F64) return LAPACKE_dstedc_work(LAPACK_COL_MAJOR, 'I', ni, d, e, z, ld, work, lwi, iwork, liwi);
    return LAPACKE_sstedc_work(LAPACK_COL_MAJOR, 'I', ni, d, e, z, ld, work, lwi, iwork, liwi);
}

typedef struct {
    ml_dtype t;
    size_t n[2], ldz, lw[2], liw[2];
    char *d[2], *e[2], *z[2], *work[2];
    int *iwork[2];
    lapack_int info[2];
} halves;

static void solve_half(void *ctx, int part, size_t begin, size_t end)
{
    halves *h = ctx;
    for (size_t p = begin; p < end; p++)
        h->info[p] = stedc(h->t, h->n[p], h->d[p], h->e[p], h->z[p], h->ldz, h->work[p], h->lw[p], h->iwork[p], h->liw[p]);
}

/* T = Z diag(d) Z^T for the tridiagonal T (diagonal d, off-diagonal e; both overwritten), Z n x n
 * (ld n), d[perm[i] - 1] ascending in i (perm 1-based). With 2 threads and n >= SPLIT_ORDER,
 * Cuppen's tear T = diag(T1, T2) + rho u u^T (u = e_n1 + e_(n1+1), rho = e_n1, T1 and T2 with
 * |rho| taken off their touching diagonal entries): each half by ?stedc on a thread of its own
 * (the pool, BLAS on one thread each), then LAPACK's ?laed1 merges them (deflation, the secular
 * equation, the eigenvector update) on OpenBLAS's threads. The tridiagonal is scaled to unit size
 * by a power of 2 first, as ?stedc scales before its own merges. Measured, n = 1024 fp32 on the
 * Intel Xeon (model 167): the halves 6.1-6.4 ms and the merge 8.4-8.9 against ?stedc's 19.4-20.6. */
static lapack_int tridiag_eig(ml_dtype t, size_t n, char *d, char *e, char *Z, char *s, const layout *L, int *iw,
                              int *perm)
{
    size_t es = ml_dtype_size(t), n1 = n / 2, n2 = n - n1;
    double big = 0;
    for (size_t i = 0; i < n; i++) big = fmax(big, fabs(get(t, d, i)));
    for (size_t i = 0; i + 1 < n; i++) big = fmax(big, fabs(get(t, e, i)));
    if (n < SPLIT_ORDER || ml_threads_get() < 2 || !(big > 0)) {
        for (size_t i = 0; i < n; i++) perm[i] = (int)i + 1;
        return stedc(t, n, d, e, Z, n, s, L->scratch, iw, L->iscratch);
    }
    int x = ml_scale_exponent(big, 0);   /* window 0: always to [1/2, 1) */
    for (size_t i = 0; i < n; i++) set(t, d, i, ldexp(get(t, d, i), x));
    for (size_t i = 0; i + 1 < n; i++) set(t, e, i, ldexp(get(t, e, i), x));
    double rho = get(t, e, n1 - 1);
    set(t, d, n1 - 1, get(t, d, n1 - 1) - fabs(rho));
    set(t, d, n1, get(t, d, n1) - fabs(rho));
    for (size_t j = 0; j < n1; j++) memset(Z + (j * n + n1) * es, 0, n2 * es);   /* the off-diagonal blocks */
    for (size_t j = n1; j < n; j++) memset(Z + j * n * es, 0, n1 * es);
    const size_t *lw = L->lw_half, *liw = L->liw_half;
    halves h = {.t = t, .n = {n1, n2}, .ldz = n, .lw = {lw[0], lw[1]}, .liw = {liw[0], liw[1]},
                .d = {d, d + n1 * es}, .e = {e, e + n1 * es}, .z = {Z, Z + (n1 * n + n1) * es},
                .work = {s, s + lw[0] * es}, .iwork = {iw, iw + liw[0]}};
    ml_parallel_for_blas1(2, 1, 2, solve_half, &h);
    if (h.info[0] || h.info[1]) return h.info[0] ? h.info[0] : h.info[1];
    for (size_t i = 0; i < n1; i++) perm[i] = (int)i + 1;   /* each half ascending on its own */
    for (size_t i = 0; i < n2; i++) perm[n1 + i] = (int)i + 1;
    int N = (int)n, cut = (int)n1, info = 0;
    if (t == ML_F64) {
        double r = rho;
        dlaed1_(&N, (double *)d, (double *)Z, &N, perm, &r, &cut, (double *)s, iw, &info);
    } else {
        float r = (float)rho;
        slaed1_(&N, (float *)d, (float *)Z, &N, perm, &r, &cut, (float *)s, iw, &info);
    }
    for (size_t i = 0; i < n; i++) set(t, d, i, ldexp(get(t, d, i), -x));
    return info;
}

int ml_syevd(ml_dtype t, size_t n, void *A, size_t lda, void *w, void *work, int *iwork)
{
    if (n == 0 || n > MAX_ORDER) return ml_error(ML_EINVAL, "syevd: order %zu outside 1..%d", n, MAX_ORDER);
    layout L;
    int rc = plan(t, n, &L);
    if (rc) return rc;
    if (lda < n || lda > INT_MAX) return ml_error(ML_EINVAL, "syevd: leading dimension %zu for order %zu", lda, n);
    /* column-major upper triangle = row-major lower one, the view's rows being A's columns */
    ml_mat S = {.dtype = t, .rows = n, .cols = n, .stride = lda, .data = A};
    double anrm = ml_norm_maxabs_lower(&S);
    if (!isfinite(anrm)) return ml_error(ML_ENUM, "syevd: the matrix has a non-finite entry");
    int x = ml_scale_exponent(anrm, SAFE_WINDOW(t));
    if (x) {
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i <= j; i++) set(t, A, j * lda + i, ldexp(get(t, A, j * lda + i), x));
    }
    size_t es = ml_dtype_size(t);
    char *d = work, *e = d + n * es, *tau = e + n * es, *Z = tau + n * es, *s = Z + n * n * es;
    int *perm = iwork + L.iscratch;
    lapack_int ni = (lapack_int)n, ld = (lapack_int)lda, ls = (lapack_int)L.scratch, info;
    if (t == ML_F64)
        info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'U', ni, A, ld, (double *)d, (double *)e, (double *)tau,
                                   (double *)s, ls);
    else
        info = LAPACKE_ssytrd_work(LAPACK_COL_MAJOR, 'U', ni, A, ld, (float *)d, (float *)e, (float *)tau, (float *)s, ls);
    if (!info) info = tridiag_eig(t, n, d, e, Z, s, &L, iwork, perm);
    if (info)
        return ml_error(info < 0 ? ML_EINVAL : ML_ENUM, "eigendecomposition (%cstedc) failed, info = %d",
                        t == ML_F64 ? 'd' : 's', (int)info);
    back_transform(t, n, A, lda, tau, Z, n, s);
    for (size_t j = 0; j < n; j++) {   /* in ascending order */
        size_t k = (size_t)perm[j] - 1;
        memcpy((char *)A + j * lda * es, Z + k * n * es, n * es);
        set(t, w, j, x ? ldexp(get(t, d, k), -x) : get(t, d, k));
    }
    return ML_OK;
}
