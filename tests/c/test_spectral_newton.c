/* Coupled Newton U diag(s^p) V^T (core/spectral_newton.c) against the SVD route (LAPACK, an
 * independent computation), the root identities, and the exact effect of the shift. */
#include "check.h"
#include "error.h"
#include "matrix.h"
#include "ops.h"
#include "polar.h"
#include "rng.h"
#include "spectral_newton.h"
#include "svd.h"
#include <string.h>

/* ||X - R||_F / ||R||_F, in double whatever the dtypes. */
static double rel_dist(const ml_mat *X, const ml_mat *R)
{
    double n = 0, d = 0;
    for (size_t i = 0; i < R->rows; i++)
        for (size_t j = 0; j < R->cols; j++) {
            double r = ml_mat_get(R, i, j), e = ml_mat_get(X, i, j) - r;
            n += e * e;
            d += r * r;
        }
    return sqrt(n / d);
}

static ml_mat spectrum(size_t m, size_t n, double cond, uint64_t seed)
{
    ml_rng g;
    ml_rng_seed(&g, seed);
    ml_spectrum_opts so = {.kind = ML_SPEC_GEOMETRIC, .cond = cond, .scale = 1.0};
    ml_mat A = {0};
    CHECK_OK(ml_random_spectrum(&A, m, n, ML_F64, &so, &g));
    return A;
}

static ml_spectral_newton_opts opts(int steps, double shift, ml_sn_route route)
{
    ml_spectral_newton_opts o;
    ml_spectral_newton_opts_default(&o);
    o.steps = steps;
    o.shift_rel = o.shift_abs = shift;
    o.route = route;
    return o;
}

static double newton_vs_svd(const ml_mat *A, double p, const ml_spectral_newton_opts *o)
{
    ml_mat X = {0}, R = {0};
    CHECK_OK(ml_spectral_newton(&X, A, p, o));
    CHECK_OK(ml_spectral_svd(&R, A, p, -1));
    double e = X.buf && R.buf ? rel_dist(&X, &R) : INFINITY;
    ml_mat_free(&X);
    ml_mat_free(&R);
    return e;
}

TEST(spectral_newton_supported_powers)
{
    int r, a;
    CHECK_OK(ml_spectral_newton_check_p(0.5, ML_SN_PAPER, &r, &a));
    CHECK(r == 4 && a == 1);
    CHECK_OK(ml_spectral_newton_check_p(0.25, ML_SN_PAPER, &r, &a));
    CHECK(r == 8 && a == 3);                      /* G^{-3/8} */
    CHECK_OK(ml_spectral_newton_check_p(1.0, ML_SN_PAPER, &r, &a));
    CHECK(r == 0);
    CHECK_OK(ml_spectral_newton_check_p(0.0, ML_SN_ROOTS, &r, &a));
    CHECK(r == 2 && a == 1);
    CHECK_OK(ml_spectral_newton_check_p(1.0 / 3, ML_SN_ROOTS, &r, &a));
    CHECK(r == 3 && a == 1);                      /* (1 - 1/3)/2 = 1/3 */
    CHECK_OK(ml_spectral_newton_check_p(1.0 / 8, ML_SN_ROOTS, &r, &a));
    CHECK(r == 16 && a == 7);
    CHECK_OK(ml_spectral_newton_check_p(0.6, ML_SN_ROOTS, &r, &a));
    CHECK(r == 5 && a == 1);

    CHECK(ml_spectral_newton_check_p(0.3, ML_SN_ROOTS, &r, &a) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "p = 0.3") && strstr(ml_errmsg(), "1/3") && strstr(ml_errmsg(), "7/8"));
    CHECK(ml_spectral_newton_check_p(1.0 / 3, ML_SN_PAPER, &r, &a) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "route 'paper'") && strstr(ml_errmsg(), "{0, 1/4, 1/2, 1}"));
    CHECK(ml_spectral_newton_check_p(1.5, ML_SN_ROOTS, &r, &a) == ML_EINVAL);
    CHECK(ml_spectral_newton_check_p(-0.5, ML_SN_ROOTS, &r, &a) == ML_EINVAL);
    CHECK(ml_spectral_newton_check_p(NAN, ML_SN_PAPER, &r, &a) == ML_EINVAL);
}

TEST(spectral_newton_matches_svd_without_shift)
{
    /* Singular values geometric from 1 to 1/100, so cond(G) = 1e4: the Gram matrix squares the
     * condition number, and rounding in G = M^T M perturbs its smallest eigenvalue (1e-4) by about
     * k eps ||G|| ~ 1e-14, i.e. up to 1e-10 relative on the smallest singular value; the measured
     * distances after 25 steps are 7e-15 .. 6e-14, so 1e-12 leaves a margin of 15 (the paper route's
     * first call needs ~18 steps to lift eigenvalues of G/||G||_F ~ 2e-5 at a rate of 2.25 per
     * step; at 15 steps it is still at 3e-6). Both orientations: wide uses G = M M^T, tall M^T M. */
    ml_mat wide = spectrum(32, 96, 100, 11), tall = spectrum(96, 32, 100, 12);
    const double ps[] = {0, 0.25, 0.5, 1};
    for (int route = 0; route < 2; route++)
        for (int i = 0; i < 4; i++) {
            ml_spectral_newton_opts o = opts(25, 0, (ml_sn_route)route);
            double ew = newton_vs_svd(&wide, ps[i], &o), et = newton_vs_svd(&tall, ps[i], &o);
            if (!(ew <= 1e-12 && et <= 1e-12))
                ml_test_fail(__FILE__, __LINE__, "route %d p = %g: wide %.3g, tall %.3g > 1e-12", route, ps[i], ew, et);
        }
    /* Other rational powers on the roots route, square input (G = M^T M): measured 3e-15 .. 2.5e-14. */
    ml_mat sq = spectrum(40, 40, 30, 13);
    const double qs[] = {1.0 / 3, 2.0 / 3, 0.75, 0.125, 0.6};
    for (int i = 0; i < 5; i++) {
        ml_spectral_newton_opts o = opts(25, 0, ML_SN_ROOTS);
        double e = newton_vs_svd(&sq, qs[i], &o);
        if (!(e <= 1e-12)) ml_test_fail(__FILE__, __LINE__, "roots p = %g: %.3g > 1e-12", qs[i], e);
    }
    ml_mat_free(&wide);
    ml_mat_free(&tall);
    ml_mat_free(&sq);
}

/* U diag(f(s)) V^T from the SVD of A. */
static ml_mat svd_map(const ml_mat *A, double (*f)(double s, const double *sv, size_t k, void *ctx), void *ctx)
{
    ml_mat U = {0}, s = {0}, V = {0}, R = {0};
    CHECK_OK(ml_svd(A, &U, &s, &V));
    size_t k = s.rows;
    double sv[128] = {0};
    CHECK(k <= 128);
    if (k > 128) k = 128;
    for (size_t i = 0; i < k; i++) sv[i] = ml_mat_get(&s, i, 0);
    for (size_t i = 0; i < k; i++) {
        double fi = f(sv[i], sv, k, ctx);
        for (size_t r = 0; r < U.rows; r++) ml_mat_set(&U, r, i, ml_mat_get(&U, r, i) * fi);
    }
    CHECK_OK(ml_mat_alloc(&R, A->rows, A->cols, ML_F64));
    CHECK_OK(ml_gemm(&R, 1.0, &U, ML_NOTRANS, &V, ML_TRANS, 0.0));
    ml_mat_free(&U);
    ml_mat_free(&s);
    ml_mat_free(&V);
    return R;
}

/* The paper's default shift on eigenvalues lam[0..k-1]: 1e-6 + 1e-4 mean(lam). */
static double paper_shift(const double *lam, size_t k)
{
    double t = 0;
    for (size_t i = 0; i < k; i++) t += lam[i];
    return 1e-6 + 1e-4 * t / k;
}

/* One paper call inverts the square root of G + d1 I; p = 1/2 takes the square root of
 * (G + d1 I)^{-1/2} + d2 I. f for p = 0 and p = 1/2 (exact maps of the shifted algorithm). */
static double shifted_p0(double s, const double *sv, size_t k, void *ctx)
{
    double lam[128] = {0};
    for (size_t i = 0; i < k; i++) lam[i] = sv[i] * sv[i];
    return s / sqrt(s * s + paper_shift(lam, k));
}

static double shifted_half(double s, const double *sv, size_t k, void *ctx)
{
    double lam[128] = {0}, w[128] = {0};
    for (size_t i = 0; i < k; i++) lam[i] = sv[i] * sv[i];
    double d1 = paper_shift(lam, k);
    for (size_t i = 0; i < k; i++) w[i] = 1 / sqrt(lam[i] + d1);
    return s * sqrt(1 / sqrt(s * s + d1) + paper_shift(w, k));
}

static double exact_pow(double s, const double *sv, size_t k, void *ctx) { return pow(s, *(double *)ctx); }

TEST(spectral_newton_default_shift_is_the_predicted_bias)
{
    /* With the paper's shift the iteration converges to the shifted map, not to s^p: that map,
     * evaluated on the SVD, matches to 1e-12 (measured 5e-14 for p = 0, 8e-15 for p = 1/2), while
     * the distance to the unshifted s^p is the bias the shift costs: on this spectrum (cond 100,
     * singular values from 1 to 1e-2, delta ~ 1e-5 against s_min^2 = 1e-4) measured 1.6e-2 for
     * p = 0 and 2.1e-3 for p = 1/2, far above the iteration's own error. */
    ml_mat A = spectrum(32, 96, 100, 21);
    ml_spectral_newton_opts o = opts(30, 0, ML_SN_PAPER);
    o.shift_rel = 1e-4;
    o.shift_abs = 1e-6;
    double zero = 0, half = 0.5;
    struct { double p; double (*f)(double, const double *, size_t, void *); double *pp; double lo, hi; } cases[] = {
        {0.0, shifted_p0, &zero, 5e-3, 5e-2}, {0.5, shifted_half, &half, 5e-4, 5e-3}};
    for (int c = 0; c < 2; c++) {
        ml_mat X = {0};
        CHECK_OK(ml_spectral_newton(&X, &A, cases[c].p, &o));
        ml_mat B = svd_map(&A, cases[c].f, NULL), E = svd_map(&A, exact_pow, cases[c].pp);
        double eb = rel_dist(&X, &B), ee = rel_dist(&X, &E);
        if (!(eb <= 1e-12)) ml_test_fail(__FILE__, __LINE__, "p = %g: shifted map %.3g > 1e-12", cases[c].p, eb);
        if (!(ee >= cases[c].lo && ee <= cases[c].hi))
            ml_test_fail(__FILE__, __LINE__, "p = %g: bias %.3g outside [%g, %g]", cases[c].p, ee, cases[c].lo, cases[c].hi);
        ml_mat_free(&X);
        ml_mat_free(&B);
        ml_mat_free(&E);
    }
    /* On a well-conditioned input (cond 3: s^2 >= mean/9) the default shift costs about
     * (1-p)/2 * 1e-4 * mean(s^2)/s^2 per singular value, <= 5e-4: the paper's accuracy (measured
     * 9.1e-5, 5.4e-5, 4.9e-5 for p = 0, 1/4, 1/2). */
    ml_mat W = spectrum(32, 96, 3, 22);
    ml_spectral_newton_opts d;
    ml_spectral_newton_opts_default(&d);
    const double ps[] = {0, 0.25, 0.5};
    for (int i = 0; i < 3; i++) {
        double e = newton_vs_svd(&W, ps[i], &d);
        if (!(e <= 5e-4 && e >= 1e-6)) ml_test_fail(__FILE__, __LINE__, "default p = %g: %.3g not in [1e-6, 5e-4]", ps[i], e);
    }
    ml_mat_free(&A);
    ml_mat_free(&W);
}

/* SPD A = M^T M with cond(A) = cond^2. */
static ml_mat spd(size_t k, double cond, uint64_t seed)
{
    ml_mat M = spectrum(k + 20, k, cond, seed), A = {0};
    CHECK_OK(ml_mat_alloc(&A, k, k, ML_F64));
    CHECK_OK(ml_syrk(&A, 1.0, &M, ML_TRANS, 0.0));
    ml_mat_free(&M);
    return A;
}

static double identity_residual(const ml_mat *X)   /* ||X - I||_F / sqrt(k) */
{
    double t = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double e = ml_mat_get(X, i, j) - (i == j);
            t += e * e;
        }
    return sqrt(t / X->rows);
}

TEST(sqrt_newton_root_identities)
{
    /* cond(A) = 1e4. S S - A is O(k eps ||A||) once converged; Z A Z - I and S Z - I are
     * O(k eps cond(A)^{1/2}) since Z carries cond^{1/2}: measured 5.6e-15, 8.9e-14 and 9.0e-15. */
    ml_mat A = spd(40, 100, 31), S = {0}, Z = {0}, P = {0}, Q = {0};
    ml_spectral_newton_opts o = opts(25, 0, ML_SN_PAPER);
    CHECK_OK(ml_sqrt_newton(&S, &Z, &A, &o));
    CHECK_OK(ml_mat_alloc(&P, 40, 40, ML_F64));
    CHECK_OK(ml_mat_alloc(&Q, 40, 40, ML_F64));
    CHECK_OK(ml_gemm(&P, 1.0, &S, ML_NOTRANS, &S, ML_NOTRANS, 0.0));
    CHECK(rel_dist(&P, &A) <= 1e-12);
    CHECK_OK(ml_gemm(&P, 1.0, &Z, ML_NOTRANS, &A, ML_NOTRANS, 0.0));
    CHECK_OK(ml_gemm(&Q, 1.0, &P, ML_NOTRANS, &Z, ML_NOTRANS, 0.0));
    CHECK(identity_residual(&Q) <= 1e-11);
    CHECK_OK(ml_gemm(&P, 1.0, &S, ML_NOTRANS, &Z, ML_NOTRANS, 0.0));   /* S Z = I */
    CHECK(identity_residual(&P) <= 1e-11);

    /* Guo-Higham: X = A^{-1/3}, X^3 A = I (O(k eps cond(A)) ~ 1e-10 allowed, measured 6.8e-13). */
    ml_mat X = {0};
    o.route = ML_SN_ROOTS;
    CHECK_OK(ml_invroot_newton(&X, &A, 3, &o));
    CHECK_OK(ml_gemm(&P, 1.0, &X, ML_NOTRANS, &X, ML_NOTRANS, 0.0));
    CHECK_OK(ml_gemm(&Q, 1.0, &P, ML_NOTRANS, &X, ML_NOTRANS, 0.0));
    CHECK_OK(ml_gemm(&P, 1.0, &Q, ML_NOTRANS, &A, ML_NOTRANS, 0.0));
    CHECK(identity_residual(&P) <= 1e-10);

    /* With the shift, Y converges to (A + delta I)^{1/2}: S S = A + delta I (measured 3.3e-15). */
    o = opts(25, 0, ML_SN_PAPER);
    o.shift_abs = 1e-3;
    CHECK_OK(ml_sqrt_newton(&S, NULL, &A, &o));
    CHECK_OK(ml_gemm(&P, 1.0, &S, ML_NOTRANS, &S, ML_NOTRANS, 0.0));
    ml_add_diag(&P, -1e-3);
    CHECK(rel_dist(&P, &A) <= 1e-12);

    ml_mat_free(&A);
    ml_mat_free(&S);
    ml_mat_free(&Z);
    ml_mat_free(&P);
    ml_mat_free(&Q);
    ml_mat_free(&X);
}

TEST(spectral_newton_converges_monotonically)
{
    /* The error after k steps never increases with k until it reaches the rounding floor
     * (1e-12 here; measured 5e-14 .. 8e-15). */
    ml_mat A = spectrum(32, 96, 100, 41);
    const double ps[] = {0, 0.25, 0.5};
    for (int route = 0; route < 2; route++)
        for (int i = 0; i < 3; i++) {
            double prev = INFINITY;
            for (int k = 1; k <= 25; k++) {
                ml_spectral_newton_opts o = opts(k, 0, (ml_sn_route)route);
                double e = newton_vs_svd(&A, ps[i], &o);
                if (!(e <= prev || e < 1e-12))
                    ml_test_fail(__FILE__, __LINE__, "route %d p = %g: error rose from %.3g to %.3g at step %d", route,
                                 ps[i], prev, e, k);
                prev = e;
            }
            if (!(prev < 1e-12)) ml_test_fail(__FILE__, __LINE__, "route %d p = %g: %.3g after 25 steps", route, ps[i], prev);
        }
    ml_mat_free(&A);
}

typedef struct { int calls, stop_at; ml_mat last; } trace_log;

static int record(void *ctx, int step, const ml_mat *X)
{
    trace_log *t = ctx;
    t->calls++;
    if (step != t->calls) return 99;
    ml_mat_free(&t->last);
    if (ml_mat_clone(&t->last, X, ML_F64)) return 98;
    return step == t->stop_at ? 7 : 0;
}

TEST(spectral_newton_trace_and_workspace)
{
    ml_mat A = spectrum(24, 40, 10, 51), X = {0};
    ml_spectral_newton_work w;
    ml_spectral_newton_work_init(&w);
    const double ps[] = {0, 0.25, 0.5, 1.0 / 3};
    for (int i = 0; i < 4; i++) {
        trace_log t = {0, -1, {0}};
        ml_spectral_newton_opts o = opts(12, 1e-4, i == 3 ? ML_SN_ROOTS : ML_SN_PAPER);
        o.trace = record;
        o.trace_ctx = &t;
        CHECK_OK(ml_spectral_newton_w(&X, &A, ps[i], &o, &w));
        CHECK(t.calls == 12);   /* one per step of the last run */
        /* the last traced estimate is the output but for the final symmetrisation */
        CHECK(t.last.buf && rel_dist(&t.last, &X) <= 1e-13);
        ml_mat_free(&t.last);
    }
    /* A nonzero return stops the run and is returned. */
    trace_log t = {0, 3, {0}};
    ml_spectral_newton_opts o = opts(12, 1e-4, ML_SN_PAPER);
    o.trace = record;
    o.trace_ctx = &t;
    CHECK(ml_spectral_newton_w(&X, &A, 0.5, &o, &w) == 7);
    CHECK(t.calls == 3);
    ml_mat_free(&t.last);

    /* Workspace reuse: the same buffers on a second call with the same shape. */
    o.trace = NULL;
    CHECK_OK(ml_spectral_newton_w(&X, &A, 0.25, &o, &w));
    void *g = w.G.data, *y = w.Y.data, *m = w.M.data, *x = X.data;
    CHECK_OK(ml_spectral_newton_w(&X, &A, 0.25, &o, &w));
    CHECK(w.G.data == g && w.M.data == m && X.data == x);
    CHECK(w.Y.data == y || w.Y.data == w.P.data || w.Y.data == w.Z.data);   /* iterates swap buffers */
    ml_spectral_newton_work_free(&w);
    ml_mat_free(&X);
    ml_mat_free(&A);
}

TEST(spectral_newton_reduced_precision)
{
    /* fp32 products: cond 10 input, so cond(G) = 100; the iteration's rounding error is about
     * eps32 cond(G) ~ 1e-5 at worst (measured 4.8e-7 paper, 5.5e-7 roots; float32 LAPACK's own SVD
     * is 7e-7 away). bf16 (2^-8 relative) measured 9e-3, fp16 1e-3. A float32 input gives a
     * float32 result. */
    ml_mat A = spectrum(32, 96, 10, 61), A32 = {0}, X = {0}, R = {0};
    ml_spectral_newton_opts o = opts(20, 0, ML_SN_PAPER);
    o.precision = ML_FP32;
    for (int route = 0; route < 2; route++) {
        o.route = (ml_sn_route)route;
        double e = newton_vs_svd(&A, 0.5, &o);
        if (!(e <= 2e-5)) ml_test_fail(__FILE__, __LINE__, "fp32 route %d: %.3g > 2e-5", route, e);
    }
    o.precision = ML_BF16;
    o.route = ML_SN_PAPER;
    o.shift_rel = 1e-4;
    double e = newton_vs_svd(&A, 0.5, &o);
    if (!(e <= 0.05)) ml_test_fail(__FILE__, __LINE__, "bf16: %.3g > 0.05", e);
    o.shift_rel = 0;
    CHECK_OK(ml_mat_clone(&A32, &A, ML_F32));
    o.precision = ML_FP32;
    CHECK_OK(ml_spectral_newton(&X, &A32, 0.5, &o));
    CHECK(X.dtype == ML_F32);
    CHECK_OK(ml_spectral_svd(&R, &A, 0.5, -1));
    CHECK(rel_dist(&X, &R) <= 2e-5);
    ml_mat_free(&A);
    ml_mat_free(&A32);
    ml_mat_free(&X);
    ml_mat_free(&R);
}

TEST(spectral_newton_rejects_bad_input)
{
    ml_mat A = spectrum(6, 9, 10, 71), X = {0};
    ml_spectral_newton_opts o;
    ml_spectral_newton_opts_default(&o);
    o.steps = 0;
    CHECK(ml_spectral_newton(&X, &A, 0.5, &o) == ML_EINVAL && strstr(ml_errmsg(), "steps"));
    ml_spectral_newton_opts_default(&o);
    o.shift_rel = -1;
    CHECK(ml_spectral_newton(&X, &A, 0.5, &o) == ML_EINVAL && strstr(ml_errmsg(), "shift"));
    o.shift_rel = NAN;
    CHECK(ml_spectral_newton(&X, &A, 0.5, &o) == ML_EINVAL);
    ml_spectral_newton_opts_default(&o);
    o.shift_abs = INFINITY;
    CHECK(ml_spectral_newton(&X, &A, 0.5, &o) == ML_EINVAL && strstr(ml_errmsg(), "shift_abs"));
    ml_spectral_newton_opts_default(&o);
    o.route = (ml_sn_route)5;
    CHECK(ml_spectral_newton(&X, &A, 0.5, &o) == ML_EINVAL);
    CHECK(ml_spectral_newton(&X, &A, 0.3, NULL) == ML_EINVAL && strstr(ml_errmsg(), "1/4"));
    CHECK(ml_spectral_newton(&X, &A, -1, NULL) == ML_EINVAL);
    CHECK(X.buf == NULL);
    /* All-zero input: fine with the default shift (the result is 0), an error without one. */
    ml_mat Zr = {0};
    CHECK_OK(ml_mat_alloc(&Zr, 4, 5, ML_F64));
    CHECK_OK(ml_spectral_newton(&X, &Zr, 0.5, NULL));
    CHECK(ml_norm_fro(&X) == 0);
    o = opts(15, 0, ML_SN_PAPER);
    CHECK(ml_spectral_newton(&X, &Zr, 0.5, &o) == ML_ENUM);
    ml_mat_set(&A, 1, 1, NAN);
    CHECK(ml_spectral_newton(&X, &A, 0.5, NULL) == ML_ENUM);
    CHECK(ml_sqrt_newton(&X, NULL, &Zr, NULL) == ML_EINVAL && strstr(ml_errmsg(), "square"));
    ml_mat I3 = {0};
    CHECK_OK(ml_mat_alloc(&I3, 3, 3, ML_F64));
    ml_mat_set_eye(&I3);
    CHECK(ml_invroot_newton(&X, &I3, 0, NULL) == ML_EINVAL && strstr(ml_errmsg(), "root r"));
    CHECK_OK(ml_invroot_newton(&X, &I3, 5, NULL));
    ml_mat_free(&I3);
    ml_mat_free(&A);
    ml_mat_free(&X);
    ml_mat_free(&Zr);
}
