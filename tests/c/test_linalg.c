/* RNG, random spectra, SVD, polar factor and spectral transform against closed forms. */
#include "check.h"
#include "error.h"
#include "matrix.h"
#include "metrics.h"
#include "ops.h"
#include "polar.h"
#include "rng.h"
#include "svd.h"
#include "threads.h"
#include <string.h>
#include <time.h>

TEST(rng_reference_stream)
{
    /* xoshiro256** seeded by splitmix64(12345): values from an independent Python
     * transcription of the two reference algorithms (Blackman & Vigna). */
    ml_rng r;
    ml_rng_seed(&r, 12345);
    CHECK(ml_rng_next(&r) == 0xbe6a36374160d49bull);
    CHECK(ml_rng_next(&r) == 0x214aaa0637a688c6ull);
    CHECK(ml_rng_next(&r) == 0xf69d16de9954d388ull);
}

TEST(rng_normal_moments)
{
    ml_rng r;
    ml_rng_seed(&r, 1);
    const int n = 200000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = ml_rng_normal(&r);
        s += x;
        s2 += x * x;
    }
    /* 5 standard errors: sd(mean) = 1/sqrt(n), sd(var) = sqrt(2/n). */
    CHECK_NEAR(s / n, 0.0, 5 / sqrt(n));
    CHECK_NEAR(s2 / n, 1.0, 5 * sqrt(2.0 / n));
}

TEST(rng_orthogonal_is_orthonormal)
{
    ml_rng r;
    ml_rng_seed(&r, 3);
    ml_mat Q;
    double f, s;
    CHECK_OK(ml_random_orthogonal(&Q, 50, 20, ML_F64, &r));
    CHECK_OK(ml_orth_error(&Q, &f, &s));
    CHECK_NEAR(f, 0, 1e-13);
    ml_mat_free(&Q);
    CHECK_OK(ml_random_orthogonal(&Q, 20, 50, ML_F64, &r));
    CHECK_OK(ml_orth_error(&Q, &f, &s));
    CHECK_NEAR(f, 0, 1e-13);
    ml_mat_free(&Q);
}

TEST(spectrum_has_prescribed_singular_values)
{
    ml_rng r;
    ml_rng_seed(&r, 5);
    ml_spectrum_opts o = {.kind = ML_SPEC_GEOMETRIC, .cond = 1e6, .scale = 2.0, .zeros = 3};
    ml_mat A, s;
    double want[30];
    CHECK_OK(ml_spectrum_values(&o, 30, want));
    CHECK_NEAR(want[0], 2.0, 0);
    CHECK_REL(want[26], 2.0 * pow(1e6, -26.0 / 29.0), 1e-14);
    CHECK(want[27] == 0 && want[29] == 0);
    CHECK_OK(ml_random_spectrum(&A, 30, 45, ML_F64, &o, &r));
    CHECK_OK(ml_svd(&A, NULL, &s, NULL));
    /* Relative to s_max: the backward error of U diag(s) V^T and of the SVD is ~ k eps s_max. */
    for (int i = 0; i < 30; i++) CHECK_NEAR(ml_mat_get(&s, i, 0), want[i], 1e-13 * 2.0);
    ml_mat_free(&A);
    ml_mat_free(&s);
}

TEST(svd_closed_form_and_reconstruction)
{
    /* [[3, 0], [4, 5]]: A^T A = [[25, 20], [20, 25]], eigenvalues 45 and 5. */
    double a[] = {3, 0, 4, 5};
    ml_mat A, U, s, V, US, R;
    CHECK_OK(ml_mat_from_array(&A, 2, 2, a, ML_F64));
    CHECK_OK(ml_svd(&A, &U, &s, &V));
    CHECK_NEAR(ml_mat_get(&s, 0, 0), sqrt(45.0), 1e-14);
    CHECK_NEAR(ml_mat_get(&s, 1, 0), sqrt(5.0), 1e-14);
    ml_mat_free(&A), ml_mat_free(&U), ml_mat_free(&s), ml_mat_free(&V);

    ml_rng r;
    ml_rng_seed(&r, 11);
    CHECK_OK(ml_mat_alloc(&A, 40, 25, ML_F64));
    ml_rng_fill_normal(&r, &A, 0, 1);
    CHECK_OK(ml_svd(&A, &U, &s, &V));
    CHECK(U.rows == 40 && U.cols == 25 && V.rows == 25 && V.cols == 25 && s.rows == 25);
    for (int i = 1; i < 25; i++) CHECK(ml_mat_get(&s, i, 0) <= ml_mat_get(&s, i - 1, 0));
    CHECK_OK(ml_mat_clone(&US, &U, ML_F64));
    for (size_t j = 0; j < 25; j++)
        for (size_t i = 0; i < 40; i++) ml_mat_set(&US, i, j, ml_mat_get(&US, i, j) * ml_mat_get(&s, j, 0));
    CHECK_OK(ml_mat_alloc(&R, 40, 25, ML_F64));
    CHECK_OK(ml_gemm(&R, 1.0, &US, ML_NOTRANS, &V, ML_TRANS, 0.0));
    CHECK_OK(ml_axpy(&R, -1.0, &A));
    CHECK_NEAR(ml_norm_fro(&R) / ml_norm_fro(&A), 0, 1e-14);   /* backward stable: ~ sqrt(mn) eps */
    double f, sp;
    CHECK_OK(ml_orth_error(&U, &f, &sp));
    CHECK_NEAR(f, 0, 1e-13);
    CHECK_OK(ml_orth_error(&V, &f, &sp));
    CHECK_NEAR(f, 0, 1e-13);
    ml_mat_free(&A), ml_mat_free(&U), ml_mat_free(&s), ml_mat_free(&V), ml_mat_free(&US), ml_mat_free(&R);
}

TEST(svd_rejects_nonfinite)
{
    ml_mat A, s;
    CHECK_OK(ml_mat_alloc(&A, 3, 3, ML_F64));
    ml_mat_set(&A, 1, 1, NAN);
    CHECK(ml_svd(&A, NULL, &s, NULL) == ML_ENUM);
    ml_mat_free(&A);
}

TEST(polar_rotation_times_spd)
{
    /* A = R(t) diag(2, 0.5): polar(A) = R(t); and for a reflection F, polar(F diag) = F. */
    double t = 0.7, c = cos(t), sn = sin(t);
    double a[] = {2 * c, -0.5 * sn, 2 * sn, 0.5 * c};
    ml_mat A, Q;
    CHECK_OK(ml_mat_from_array(&A, 2, 2, a, ML_F64));
    CHECK_OK(ml_polar(&Q, &A, -1));
    CHECK_NEAR(ml_mat_get(&Q, 0, 0), c, 1e-15);
    CHECK_NEAR(ml_mat_get(&Q, 0, 1), -sn, 1e-15);
    CHECK_NEAR(ml_mat_get(&Q, 1, 0), sn, 1e-15);
    CHECK_NEAR(ml_mat_get(&Q, 1, 1), c, 1e-15);
    ml_mat_free(&A), ml_mat_free(&Q);
    double f[] = {3 * c, 1 * sn, 3 * sn, -1 * c};   /* reflection [[c, s], [s, -c]] times diag(3, 1) */
    CHECK_OK(ml_mat_from_array(&A, 2, 2, f, ML_F64));
    CHECK_OK(ml_polar(&Q, &A, -1));
    CHECK_NEAR(ml_mat_get(&Q, 0, 0), c, 1e-15);
    CHECK_NEAR(ml_mat_get(&Q, 0, 1), sn, 1e-15);
    CHECK_NEAR(ml_mat_get(&Q, 1, 1), -c, 1e-15);
    ml_mat_free(&A), ml_mat_free(&Q);
}

TEST(polar_rank_deficient_gives_partial_isometry)
{
    /* diag(5, 1e-20, 0) in a 3x4: the tiny value is below the rank tolerance. */
    ml_mat A, Q;
    CHECK_OK(ml_mat_alloc(&A, 3, 4, ML_F64));
    ml_mat_set(&A, 0, 0, 5);
    ml_mat_set(&A, 1, 1, 1e-20);
    CHECK_OK(ml_polar(&Q, &A, -1));
    CHECK_NEAR(ml_mat_get(&Q, 0, 0), 1, 1e-15);
    CHECK_NEAR(ml_norm_fro(&Q), 1, 1e-15);   /* rank 1: exactly one unit singular value */
    ml_mat_free(&Q);
    CHECK_OK(ml_polar(&Q, &A, 0.0));         /* rtol 0 keeps every nonzero value */
    CHECK_NEAR(ml_norm_fro(&Q), sqrt(2.0), 1e-15);
    ml_mat_free(&A), ml_mat_free(&Q);
}

TEST(spectral_transform_closed_form)
{
    /* A = Q1 diag(s) Q2^T with known factors; spectral(A, p) = Q1 diag(s^p) Q2^T. */
    ml_rng r;
    ml_rng_seed(&r, 9);
    ml_mat Q1, Q2, A, B, T;
    CHECK_OK(ml_random_orthogonal(&Q1, 6, 4, ML_F64, &r));
    CHECK_OK(ml_random_orthogonal(&Q2, 4, 4, ML_F64, &r));
    double s[] = {4, 2, 1, 0.25};
    double ps[] = {0, 0.25, 0.5, 1, 2, -0.5, -1};   /* p < 0: all four s are far above the rank tolerance */
    for (int k = 0; k < 7; k++) {
        double p = ps[k];
        ml_mat Qs, Qp;
        CHECK_OK(ml_mat_clone(&Qs, &Q1, ML_F64));
        CHECK_OK(ml_mat_clone(&Qp, &Q1, ML_F64));
        for (size_t j = 0; j < 4; j++)
            for (size_t i = 0; i < 6; i++) {
                ml_mat_set(&Qs, i, j, ml_mat_get(&Q1, i, j) * s[j]);
                ml_mat_set(&Qp, i, j, ml_mat_get(&Q1, i, j) * pow(s[j], p));
            }
        CHECK_OK(ml_mat_alloc(&A, 6, 4, ML_F64));
        CHECK_OK(ml_mat_alloc(&B, 6, 4, ML_F64));
        CHECK_OK(ml_gemm(&A, 1.0, &Qs, ML_NOTRANS, &Q2, ML_TRANS, 0.0));
        CHECK_OK(ml_gemm(&B, 1.0, &Qp, ML_NOTRANS, &Q2, ML_TRANS, 0.0));
        CHECK_OK(ml_spectral_svd(&T, &A, p, -1));
        CHECK_OK(ml_axpy(&T, -1.0, &B));
        CHECK_NEAR(ml_norm_maxabs(&T), 0, 1e-13 * fmax(1, fmax(pow(4, p), pow(0.25, p))));
        ml_mat_free(&Qs), ml_mat_free(&Qp), ml_mat_free(&A), ml_mat_free(&B), ml_mat_free(&T);
    }
    CHECK(ml_spectral_svd(&T, &Q1, NAN, -1) == ML_EINVAL);
    CHECK(ml_spectral_svd(&T, &Q1, INFINITY, -1) == ML_EINVAL);
    ml_mat_free(&Q1), ml_mat_free(&Q2);
}

TEST(metrics_closed_forms)
{
    ml_rng r;
    ml_rng_seed(&r, 2);
    ml_mat Q;
    double f, s, d;
    CHECK_OK(ml_random_orthogonal(&Q, 9, 16, ML_F64, &r));
    ml_scale(&Q, 2.0);   /* X X^T = 4 I: error 3 I */
    CHECK_OK(ml_orth_error(&Q, &f, &s));
    CHECK_NEAR(f, 3 * sqrt(9.0), 1e-12);
    CHECK_NEAR(s, 3.0, 1e-12);
    CHECK_OK(ml_polar_distance(&Q, &Q, &d));   /* polar(2Q) = Q, distance ||Q||_F = 3 */
    CHECK_NEAR(d, 3.0, 1e-12);
    ml_mat_free(&Q);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* issue 12 item 12: an SVD whose LAPACK workspace cannot fit is refused up front (it used to
 * fail after 26 s with info = -1010). The estimate comes from LAPACK's workspace query. */
TEST(svd_memory_checked_up_front)
{
    size_t small = 0, big = 0;
    CHECK_OK(ml_svd_memory(100, 50, ML_F64, 1, &small));
    CHECK(small >= 100 * 50 * 8 && small < ((size_t)64 << 20));
    int rc = ml_svd_memory(20000, 20000, ML_F64, 1, &big);
    size_t avail = ml_mem_available();
    if (rc == ML_OK) {   /* a machine with that much memory */
        CHECK(big <= avail);
        printf("svd_memory: 20000 x 20000 fits (%.1f GB of %.1f GB): refusal not exercised\n", big / 1e9,
               avail / 1e9);
        return;
    }
    CHECK(rc == ML_ENOMEM && strstr(ml_errmsg(), "20000 x 20000"));
    ml_mat A;
    CHECK_OK(ml_mat_alloc(&A, 20000, 20000, ML_F64));   /* calloc: untouched pages cost nothing */
    ml_mat U = {0}, sv = {0}, V = {0};
    double t0 = wall_now();
    CHECK(ml_svd(&A, &U, &sv, &V) == ML_ENOMEM && strstr(ml_errmsg(), "GB"));
    CHECK(wall_now() - t0 < 5);
    CHECK(U.buf == NULL && sv.buf == NULL && V.buf == NULL);
    ml_mat_free(&A);
}

/* issue 12 item 12: more threads than OpenBLAS supports is an error naming its limit, and the
 * count stays what it was (it used to cap at 64 without a word). */
TEST(threads_above_openblas_limit)
{
    int before = ml_threads_get();
    CHECK(ml_threads_set(1000) == ML_EINVAL && strstr(ml_errmsg(), "limit"));
    CHECK(ml_threads_get() == before);
    CHECK_OK(ml_threads_set(1));
    CHECK(ml_threads_get() == 1);
    CHECK_OK(ml_threads_set(before));
}
