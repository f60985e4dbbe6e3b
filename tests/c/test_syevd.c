/* ml_syevd (core/syevd.c: ?sytrd, ?stedc, its own blocked back-transformation) against matrices of
 * known spectrum A = Q diag(lambda) Q^T and against LAPACK's ?syevd on the same matrix; the triangle
 * ml_gram_eig_decompose reads through it. */
#include "check.h"
#include "error.h"
#include "gram_eig.h"
#include "internal/syevd.h"
#include "rng.h"
#include "threads.h"
#include <float.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

/* Column-major n x n A = Q diag(lam) Q^T, Q = H_1 ... H_k a product of k = min(n, 24) random
 * Householder reflectors (dense), in long double (the reference; rounded to t when stored):
 * A <- H A H from diag(lam) one reflector at a time, with u = A v / (v^T v):
 * H A H = A - 2 (v u^T + u v^T) + 4 (v^T u) v v^T / (v^T v), O(n^2) per reflector. */
static long double *known_spectrum(size_t n, const double *lam, uint64_t seed)
{
    long double *A = calloc(n * n, sizeof *A), *v = malloc(n * sizeof *v), *u = malloc(n * sizeof *u);
    ml_rng r;
    ml_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) A[i * n + i] = lam[i];
    for (size_t h = 0; h < n && h < 24; h++) {
        long double nn = 0, vu = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = ml_rng_normal(&r);
            nn += v[i] * v[i];
        }
        for (size_t i = 0; i < n; i++) {   /* A is symmetric: row i = column i */
            long double d = 0;
            for (size_t k = 0; k < n; k++) d += A[i * n + k] * v[k];
            u[i] = d / nn;
        }
        for (size_t i = 0; i < n; i++) vu += v[i] * u[i];
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < n; i++)
                A[j * n + i] += -2 * (v[i] * u[j] + u[i] * v[j]) + 4 * vu * v[i] * v[j] / nn;
    }
    free(v), free(u);
    return A;
}

static double at(ml_dtype t, const void *p, size_t i)
{
    return t == ML_F64 ? ((const double *)p)[i] : ((const float *)p)[i];
}

static void put(ml_dtype t, void *p, size_t i, long double x)
{
    if (t == ML_F64)
        ((double *)p)[i] = (double)x;
    else
        ((float *)p)[i] = (float)x;
}

typedef struct {
    double lam_err, resid, orth;
} quality;

/* max |w_i - lam_i| / ||A||, max |A v_j - w_j v_j| / ||A||, max |V^T V - I| (columns j: every
 * step-th and the last), A the stored (rounded) matrix, in long double. */
static quality measure(ml_dtype t, size_t n, const void *A, const void *V, const void *w, const double *lam,
                       double anorm, size_t step)
{
    quality q = {0, 0, 0};
    for (size_t j = 0; j < n; j++) {
        q.lam_err = fmax(q.lam_err, fabs(at(t, w, j) - lam[j]) / anorm);
        if (j % step && j != n - 1) continue;   /* vectors: every step-th and the last */
        for (size_t i = 0; i < n; i++) {
            long double av = 0, vv = 0;
            for (size_t k = 0; k < n; k++) {
                av += (long double)at(t, A, k * n + i) * at(t, V, j * n + k);
                vv += (long double)at(t, V, i * n + k) * at(t, V, j * n + k);
            }
            q.resid = fmax(q.resid, (double)fabsl(av - at(t, w, j) * at(t, V, j * n + i)) / anorm);
            q.orth = fmax(q.orth, (double)fabsl(vv - (i == j)));
        }
    }
    return q;
}

/* A stored in t from Al, V its eigenvectors and w its eigenvalues by ml_syevd (workspace by the
 * query); the caller frees A, V and w. */
typedef struct {
    char *A, *V, *w;
} decomposed;

static decomposed decompose(ml_dtype t, size_t n, const long double *Al)
{
    size_t es = ml_dtype_size(t), lw, liw;
    decomposed r = {malloc(n * n * es), malloc(n * n * es), malloc(n * es)};
    for (size_t i = 0; i < n * n; i++) put(t, r.A, i, Al[i]);
    memcpy(r.V, r.A, n * n * es);
    CHECK_OK(ml_syevd_query(t, n, &lw, &liw));
    void *work = malloc(lw * es);
    int *iwork = malloc(liw * sizeof(int));
    CHECK_OK(ml_syevd(t, n, r.V, n, r.w, work, iwork));
    free(work), free(iwork);
    return r;
}

/* Orders around the block size (64: 63 reflectors in one block, 65: one full block, 130 and
 * 200: two to four blocks, the last partial), fp32 and fp64, spectrum 1..n (spread, ||A|| = n)
 * and one with a cluster (20 equal eigenvalues); 1 and 2 BLAS threads. Bounds: backward stable
 * algorithms leave eigenvalue errors and residuals of c n eps ||A|| (LAPACK's own tests accept
 * a residual ratio |A V - V W| / (n eps ||A||) below 30; 2 is used here per entry), and
 * orthogonality of c n eps; the same bounds hold for ?syevd's result on the same matrix, which
 * is measured too, so a regression shows as a ratio to LAPACK's. */
TEST(syevd_matches_known_spectra_and_lapack)
{
    int n0 = ml_threads_get();
    size_t orders[] = {1, 2, 7, 64, 65, 130, 200};
    for (int th = 1; th <= 2; th++) {
        if (ml_threads_set(th)) continue;
        for (int ti = 0; ti < 2; ti++) {
            ml_dtype t = ti ? ML_F64 : ML_F32;
            size_t es = ti ? sizeof(double) : sizeof(float);
            double eps = ti ? DBL_EPSILON : FLT_EPSILON;
            for (size_t oi = 0; oi < sizeof orders / sizeof *orders; oi++)
                for (int cluster = 0; cluster < 2; cluster++) {
                    size_t n = orders[oi];
                    double *lam = malloc(n * sizeof *lam);
                    for (size_t i = 0; i < n; i++) lam[i] = cluster && i >= n / 3 && i < n / 3 + 20 ? n / 3 + 1 : i + 1;
                    for (size_t i = 1; i < n; i++)   /* ascending */
                        for (size_t k = i; k > 0 && lam[k - 1] > lam[k]; k--) {
                            double s = lam[k];
                            lam[k] = lam[k - 1], lam[k - 1] = s;
                        }
                    long double *Al = known_spectrum(n, lam, 100 + n);
                    decomposed r = decompose(t, n, Al);
                    char *A = r.A, *V = r.V, *w = r.w;
                    double anorm = lam[n - 1];
                    quality q = measure(t, n, A, V, w, lam, anorm, 1);
                    /* LAPACK's ?syevd on the same stored matrix */
                    char *Vr = malloc(n * n * es), *wr = malloc(n * es);
                    memcpy(Vr, A, n * n * es);
                    int info = ti ? LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', (int)n, (double *)Vr, (int)n, (double *)wr)
                                  : LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'V', 'U', (int)n, (float *)Vr, (int)n, (float *)wr);
                    CHECK(info == 0);
                    quality qr = measure(t, n, A, Vr, wr, lam, anorm, 1);
                    double bound = 2 * (double)n * eps;
                    if (!(q.lam_err <= bound && q.resid <= bound && q.orth <= bound))
                        ml_test_fail(__FILE__, __LINE__,
                                     "%s n=%zu cluster=%d threads=%d: eigenvalue %.3g, residual %.3g, orthogonality %.3g "
                                     "(bound %.3g; LAPACK's syevd %.3g, %.3g, %.3g)",
                                     ti ? "fp64" : "fp32", n, cluster, th, q.lam_err, q.resid, q.orth, bound, qr.lam_err,
                                     qr.resid, qr.orth);
                    /* eigenvalues agree with LAPACK's to the same accuracy */
                    for (size_t i = 0; i < n; i++) CHECK_NEAR(at(t, w, i), at(t, wr, i), bound * anorm);
                    free(lam), free(Al), free(A), free(V), free(w), free(Vr), free(wr);
                }
        }
    }
    CHECK_OK(ml_threads_set(n0));
}

/* Only the upper triangle is read (the lower one NaN); a leading dimension above the order works;
 * far-from-unit magnitudes are scaled by a power of 2 (2^-100 and 2^+120 in fp32, outside
 * [3e-16, 3e15], where ?syevd scales too) and give the unit matrix's eigenvalues times that
 * power; a NaN or Inf in the upper triangle and order 0 are errors. */
TEST(syevd_reads_the_upper_triangle_scales_and_refuses_bad_input)
{
    size_t n = 40, lw, liw;
    double lam[40];
    for (size_t i = 0; i < n; i++) lam[i] = 0.5 + (double)i / 8;
    long double *Al = known_spectrum(n, lam, 7);
    CHECK_OK(ml_syevd_query(ML_F32, n, &lw, &liw));
    float *work = malloc(lw * sizeof(float)), A[40 * 40], w[40];
    int *iwork = malloc(liw * sizeof(int));
    int pows[] = {0, -100, 120};
    for (int p = 0; p < 3; p++) {
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < n; i++) A[j * n + i] = i > j ? NAN : (float)ldexpl(Al[j * n + i], pows[p]);
        CHECK_OK(ml_syevd(ML_F32, n, A, n, w, work, iwork));
        for (size_t i = 0; i < n; i++) CHECK_NEAR(ldexp(w[i], -pows[p]), lam[i], 2 * n * FLT_EPSILON * lam[n - 1]);
        for (size_t i = 0; i < n * n; i++) CHECK(isfinite(A[i]));
    }
    /* a leading dimension above the order (a strided buffer): the same eigenvalues, the eigenvectors
     * in the first n rows of each column, the 3 spare rows untouched */
    size_t ld = n + 3;
    float *As = malloc(ld * n * sizeof(float)), ws[40];
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < ld; i++) As[j * ld + i] = i < n ? (float)Al[j * n + i] : -7.0f;
    CHECK_OK(ml_syevd(ML_F32, n, As, ld, ws, work, iwork));
    for (size_t i = 0; i < n; i++) CHECK_NEAR(ws[i], lam[i], 2 * n * FLT_EPSILON * lam[n - 1]);
    for (size_t j = 0; j < n; j++) {
        long double r = 0, nv = 0;   /* |A v - w v| for column j, A from Al */
        for (size_t i = 0; i < n; i++) {
            long double av = 0;
            for (size_t k = 0; k < n; k++) av += (float)Al[k * n + i] * (long double)As[j * ld + k];
            r = fmaxl(r, fabsl(av - ws[j] * (long double)As[j * ld + i]));
            nv += (long double)As[j * ld + i] * As[j * ld + i];
        }
        CHECK(r <= 2 * n * FLT_EPSILON * lam[n - 1]);
        CHECK_NEAR((double)nv, 1.0, 2 * n * FLT_EPSILON);
        for (size_t i = n; i < ld; i++) CHECK(As[j * ld + i] == -7.0f);
    }
    free(As);
    for (int bad = 0; bad < 2; bad++) {
        for (size_t i = 0; i < n * n; i++) A[i] = (float)Al[i];
        A[5 * n + 3] = bad ? INFINITY : NAN;   /* row 3, column 5: upper */
        w[0] = 123;
        CHECK(ml_syevd(ML_F32, n, A, n, w, work, iwork) == ML_ENUM);
        CHECK(strstr(ml_errmsg(), "non-finite") != NULL);
        CHECK(w[0] == 123);
    }
    CHECK(ml_syevd_query(ML_F32, 0, &lw, &liw) == ML_EINVAL);
    CHECK(ml_syevd(ML_F32, 0, A, 1, w, work, iwork) == ML_EINVAL);
    free(Al), free(work), free(iwork);
}

/* From order 256 with 2 threads the tridiagonal problem is torn in two halves solved at the same
 * time and merged by LAPACK's ?laed1: n = 261 (unequal halves) and 520, fp32 and fp64, a spread
 * spectrum, one with half of the eigenvalues zero (a low-rank Gram matrix: most of the merge
 * deflates) and a diagonal matrix (the tridiagonal's coupling rho is exactly 0), each with the
 * bounds of the test above (vectors: every 7th and the last, O(n^2) each, so that valgrind's run
 * stays short). */
TEST(syevd_split_tridiagonal_solve_matches_known_spectra)
{
    int n0 = ml_threads_get();
    if (ml_threads_set(2)) {
        printf("note: syevd_split_tridiagonal_solve_matches_known_spectra: no second BLAS thread\n");
        return;
    }
    for (size_t n = 261; n <= 520; n += 259) {
        double *lam = malloc(n * sizeof *lam);
        for (int ti = 0; ti < 2; ti++)
            for (int kind = 0; kind < 3; kind++) {
                ml_dtype t = ti ? ML_F64 : ML_F32;
                double eps = ti ? DBL_EPSILON : FLT_EPSILON;
                for (size_t i = 0; i < n; i++) lam[i] = kind == 1 ? (i < n / 2 ? 0 : (double)i) : (double)i + 1;
                long double *Al = kind == 2 ? calloc(n * n, sizeof *Al) : known_spectrum(n, lam, 300 + kind);
                if (kind == 2)
                    for (size_t i = 0; i < n; i++) Al[i * n + i] = lam[n - 1 - i];   /* diagonal, descending */
                decomposed r = decompose(t, n, Al);
                quality q = measure(t, n, r.A, r.V, r.w, lam, lam[n - 1], 7);
                double bound = 2 * (double)n * eps;
                if (!(q.lam_err <= bound && q.resid <= bound && q.orth <= bound))
                    ml_test_fail(__FILE__, __LINE__,
                                 "%s n = %zu kind %d: eigenvalue %.3g, residual %.3g, orthogonality %.3g (bound %.3g)",
                                 ti ? "fp64" : "fp32", n, kind, q.lam_err, q.resid, q.orth, bound);
                free(Al), free(r.A), free(r.V), free(r.w);
            }
        free(lam);
    }
    CHECK_OK(ml_threads_set(n0));
}

/* ml_gram_eig_decompose hands its row-major buffer to ml_syevd as column-major: it reads the
 * row-major lower triangle (gram_eig.h), so NaN above the diagonal gives the full matrix's result
 * bit for bit, and NaN below it is refused. */
TEST(gram_eig_decompose_reads_the_row_major_lower_triangle)
{
    double res[2][6];
    for (int kind = 0; kind < 3; kind++) {   /* 0: full, 1: NaN above, 2: NaN below */
        ml_mat R;
        CHECK_OK(ml_mat_alloc(&R, 6, 6, ML_F64));
        double *r = R.data;
        for (size_t i = 0; i < 6; i++)
            for (size_t j = 0; j < 6; j++) {
                double v = i == j ? 2.0 + (double)i : 0.1 * (double)(i + j + 1) / 7.0;
                r[i * R.stride + j] = (kind == 1 && j > i) || (kind == 2 && j < i) ? NAN : v;
            }
        ml_gram_eig e;
        ml_gram_eig_init(&e);
        int rc = ml_gram_eig_decompose(&e, &R);
        if (kind < 2) {
            CHECK(rc == ML_OK);
            for (size_t i = 0; i < 6 && !rc; i++) res[kind][i] = ((const double *)e.lam.data)[i];
        } else {
            CHECK(rc == ML_ENUM);
        }
        ml_gram_eig_free(&e);
        ml_mat_free(&R);
    }
    for (size_t i = 0; i < 6; i++) CHECK(res[0][i] == res[1][i]);
}
