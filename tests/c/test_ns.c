/* Newton-Schulz: against its scalar map (exact in fp64), the two forms against each other, every
 * preconditioner against its definition (steps = 0 returns X_0), the precision emulation against
 * bit-level representability, the hook against separate runs, workspace reuse, bad options;
 * the eigendecomposition polar factor against the SVD one; BLAS threads. */
#include "check.h"
#include "coeffs.h"
#include "gram_eig.h"
#include "error.h"
#include "matrix.h"
#include "metrics.h"
#include "ns.h"
#include "ns_many.h"
#include "ops.h"
#include "polar.h"
#include "precision.h"
#include "rng.h"
#include "svd.h"
#include "threads.h"
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static void spectrum(ml_mat *A, size_t m, size_t n, double cond, uint64_t seed)
{
    ml_rng r;
    ml_rng_seed(&r, seed);
    ml_spectrum_opts o = {.kind = ML_SPEC_GEOMETRIC, .cond = cond, .scale = 1.0};
    CHECK_OK(ml_random_spectrum(A, m, n, ML_F64, &o, &r));
}

static double maxdiff(const ml_mat *X, const ml_mat *Y)
{
    double d = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) d = fmax(d, fabs(ml_mat_get(X, i, j) - ml_mat_get(Y, i, j)));
    return d;
}

static double smax(const ml_mat *X)
{
    ml_mat Xd = {0}, s = {0};
    CHECK_OK(ml_mat_clone(&Xd, X, ML_F64));
    CHECK_OK(ml_svd(&Xd, NULL, &s, NULL));
    double v = ml_mat_get(&s, 0, 0);
    ml_mat_free(&Xd);
    ml_mat_free(&s);
    return v;
}

/* ||X - polar(A)||_F / ||polar(A)||_F */
static double rel_polar_dist(const ml_mat *X, const ml_mat *A)
{
    double d;
    CHECK_OK(ml_polar_distance(X, A, &d));
    size_t k = A->rows < A->cols ? A->rows : A->cols;
    return d / sqrt((double)k);
}

static ml_ns_opts opts(ml_precond p, ml_ns_form f, int prec)
{
    ml_ns_opts o;
    ml_ns_opts_default(&o);
    o.precond = p;
    o.form = f;
    o.precision = prec;
    return o;
}

static void run(ml_mat *X, const ml_mat *G, const char *sched, int steps, const ml_ns_opts *o)
{
    ml_schedule s;
    CHECK_OK(ml_schedule_named(&s, sched, steps));
    s.steps = steps;   /* 0 allowed: X_0 */
    *X = (ml_mat){0};
    CHECK_OK(ml_ns(X, G, &s, o, NULL));
    ml_schedule_free(&s);
}

/* ---- against the scalar map ---- */

/* A = Q1 diag(d) Q2^T (m x n, dtype t; d geometric from 1 to 1/cond) and the exact result
 * E = Q1 diag(f(d / (||d|| + eps))) Q2^T in float64, f the composed polynomial of the schedule. */
static void scalar_map_case(const char *name, int steps, size_t m, size_t n, double cond, ml_dtype t, ml_mat *At,
                            ml_mat *E, ml_schedule *sch)
{
    ml_rng r;
    ml_rng_seed(&r, 21);
    size_t k = m < n ? m : n;
    ml_mat Q1, Q2, A, W;
    CHECK_OK(ml_random_orthogonal(&Q1, m, k, ML_F64, &r));
    CHECK_OK(ml_random_orthogonal(&Q2, n, k, ML_F64, &r));
    double d[512], fro = 0, eps = 1e-7;   /* the default ml_ns_opts eps */
    for (size_t i = 0; i < k; i++) {
        d[i] = pow(cond, -(double)i / (double)(k - 1));
        fro += d[i] * d[i];
    }
    fro = sqrt(fro);
    CHECK_OK(ml_schedule_named(sch, name, steps));
    CHECK_OK(ml_mat_clone(&W, &Q1, ML_F64));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < m; i++) ml_mat_set(&W, i, j, ml_mat_get(&Q1, i, j) * d[j]);
    CHECK_OK(ml_mat_alloc(&A, m, n, ML_F64));
    CHECK_OK(ml_gemm(&A, 1.0, &W, ML_NOTRANS, &Q2, ML_TRANS, 0.0));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < m; i++)
            ml_mat_set(&W, i, j, ml_mat_get(&Q1, i, j) * ml_schedule_apply(sch, d[j] / (fro + eps)));
    CHECK_OK(ml_mat_alloc(E, m, n, ML_F64));
    CHECK_OK(ml_gemm(E, 1.0, &W, ML_NOTRANS, &Q2, ML_TRANS, 0.0));
    CHECK_OK(ml_mat_clone(At, &A, t));
    ml_mat_free(&Q1), ml_mat_free(&Q2), ml_mat_free(&A), ml_mat_free(&W);
}

/* ||X - E||_F / ||E||_F */
static double rel_fro_diff(const ml_mat *X, const ml_mat *E)
{
    double d = 0, e = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double x = ml_mat_get(X, i, j), y = ml_mat_get(E, i, j);
            d += (x - y) * (x - y);
            e += y * y;
        }
    return sqrt(d / e);
}

/* On A = Q1 diag(d) Q2^T (cond 1e3) the iteration must give Q1 diag(f(d / (||d|| + eps))) Q2^T. */
static void check_against_scalar_map(const char *name, int steps, size_t m, size_t n, ml_dtype t, ml_ns_form form,
                                     double tol)
{
    ml_mat At, E, X = {0};
    ml_schedule sch;
    scalar_map_case(name, steps, m, n, 1e3, t, &At, &E, &sch);
    ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, form, ML_NS_PRECISION_AUTO);
    CHECK_OK(ml_ns(&X, &At, &sch, &o, NULL));
    CHECK(X.dtype == t && X.rows == m && X.cols == n);
    CHECK_NEAR(maxdiff(&X, &E), 0, tol);
    ml_schedule_free(&sch);
    ml_mat_free(&At), ml_mat_free(&E), ml_mat_free(&X);
}

/* fp64: rounding of ~steps products of size k, well below 1e-12. fp32: ~1e-5 after 5 steps
 * because each step's polynomial amplifies the relative error of small singular values. The gram
 * form sees the squared singular values (down to 1e-6 here), still far above fp64 rounding. */
TEST(ns_matches_scalar_map_wide_f64) { check_against_scalar_map("quintic", 8, 12, 30, ML_F64, ML_NS_DIRECT, 1e-12); }
TEST(ns_matches_scalar_map_tall_f64) { check_against_scalar_map("jordan", 5, 30, 12, ML_F64, ML_NS_DIRECT, 1e-12); }
TEST(ns_matches_scalar_map_cubic_f64) { check_against_scalar_map("cubic", 12, 16, 16, ML_F64, ML_NS_DIRECT, 1e-12); }
TEST(ns_matches_scalar_map_septic_f64) { check_against_scalar_map("septic", 6, 10, 20, ML_F64, ML_NS_DIRECT, 1e-12); }
TEST(ns_matches_scalar_map_you_f32) { check_against_scalar_map("you", 6, 20, 40, ML_F32, ML_NS_DIRECT, 2e-5); }
TEST(ns_gram_matches_scalar_map_wide_f64) { check_against_scalar_map("quintic", 8, 12, 30, ML_F64, ML_NS_GRAM, 1e-12); }
TEST(ns_gram_matches_scalar_map_tall_f64) { check_against_scalar_map("jordan", 5, 30, 12, ML_F64, ML_NS_GRAM, 1e-12); }
TEST(ns_gram_matches_scalar_map_septic_f64) { check_against_scalar_map("septic", 6, 10, 20, ML_F64, ML_NS_GRAM, 1e-12); }
/* The eig form evaluates the composed polynomial at sigma = sqrt(lambda): its error is about
 * eps lambda_max max |g'(lambda)| sqrt(lambda) (ns.c, eig_error_estimate), 1e-13 for these
 * schedules in fp64 and 3e-4 (relative, Frobenius) for You's in fp32 at cond 1e3, not cond^2 eps. */
TEST(ns_eig_matches_scalar_map_wide_f64) { check_against_scalar_map("quintic", 8, 12, 30, ML_F64, ML_NS_EIG, 1e-12); }
TEST(ns_eig_matches_scalar_map_tall_f64) { check_against_scalar_map("jordan", 5, 30, 12, ML_F64, ML_NS_EIG, 1e-12); }
TEST(ns_eig_matches_scalar_map_you_f32) { check_against_scalar_map("you", 6, 20, 40, ML_F32, ML_NS_EIG, 1e-3); }

/* The eig form against the exact map over cond 1e1..1e8 in fp32 and fp64, for a mild (Jordan)
 * and a steep (Polar Express, 8 steps) schedule: the error stays below the form's own estimate
 * (measured at most 0.74 of it); "auto" keeps the eig result exactly when the estimate is
 * within 3e4 eps, and otherwise returns the direct form's result bit for bit (it restarts from
 * the same X_0 X_0^T). */
TEST(ns_eig_error_estimate_and_auto_fallback)
{
    const char *scheds[] = {"jordan", "polar_express"};
    const int steps[] = {5, 8};
    int fell_back = 0, kept = 0;
    for (int dt = 0; dt < 2; dt++)
        for (int k = 0; k < 2; k++)
            for (int e = 2; e <= 8; e += 6) {   /* cond 1e2, 1e8 */
                ml_dtype t = dt ? ML_F32 : ML_F64;
                double eps = t == ML_F64 ? 2.220446049250313e-16 : 1.1920929e-07;
                ml_mat At, E, Xe = {0}, Xa = {0}, Xd = {0};
                ml_schedule sch;
                /* 512 x 1024: a shape where auto chooses eig (ml_ns_form_auto) */
                scalar_map_case(scheds[k], steps[k], 512, 1024, pow(10.0, e), t, &At, &E, &sch);
                ml_ns_work w;
                ml_ns_work_init(&w);
                ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, ML_NS_EIG, ML_NS_PRECISION_AUTO);
                CHECK_OK(ml_ns(&Xe, &At, &sch, &o, &w));
                double est = w.eig_error, err = rel_fro_diff(&Xe, &E);
                CHECK(w.form_used == ML_NS_EIG && est >= 0);
                CHECK(err <= est + 10 * eps);
                o.form = ML_NS_AUTO;
                CHECK_OK(ml_ns(&Xa, &At, &sch, &o, &w));
                o.form = ML_NS_DIRECT;
                CHECK_OK(ml_ns(&Xd, &At, &sch, &o, NULL));
                if (est <= 3e4 * eps) {
                    CHECK(w.form_used == ML_NS_EIG && maxdiff(&Xa, &Xe) == 0);
                    kept++;
                } else {
                    CHECK(w.form_used == ML_NS_DIRECT && maxdiff(&Xa, &Xd) == 0);
                    fell_back++;
                }
                ml_ns_work_free(&w);
                ml_schedule_free(&sch);
                ml_mat_free(&At), ml_mat_free(&E), ml_mat_free(&Xe), ml_mat_free(&Xa), ml_mat_free(&Xd);
            }
    CHECK(fell_back > 0 && kept > 0);   /* both branches ran */
}

/* The shape/precision/schedule rule of form "auto" (ns.c, measured crossovers). */
TEST(ns_form_auto_rule)
{
    ml_schedule j, y, one;
    CHECK_OK(ml_schedule_named(&j, "jordan", 5));
    CHECK_OK(ml_schedule_named(&y, "you", 6));
    CHECK_OK(ml_schedule_named(&one, "jordan", 1));
    CHECK(ml_ns_form_auto(512, 1024, ML_FP32, &j) == ML_NS_EIG);
    CHECK(ml_ns_form_auto(256, 784, ML_FP32, &j) == ML_NS_GRAM);
    CHECK(ml_ns_form_auto(1024, 4096, ML_FP64, &y) == ML_NS_EIG);   /* eig checks its accuracy itself */
    CHECK(ml_ns_form_auto(2048, 2048, ML_FP32, &j) == ML_NS_EIG);
    CHECK(ml_ns_form_auto(256, 256, ML_FP32, &j) == ML_NS_DIRECT);
    CHECK(ml_ns_form_auto(256, 256, ML_FP64, &j) == ML_NS_DIRECT);
    CHECK(ml_ns_form_auto(512, 512, ML_FP64, &j) == ML_NS_EIG);
    CHECK(ml_ns_form_auto(32, 128, ML_FP32, &j) == ML_NS_GRAM);
    CHECK(ml_ns_form_auto(128, 128, ML_FP32, &j) == ML_NS_DIRECT);
    CHECK(ml_ns_form_auto(64, 64, ML_FP32, &j) == ML_NS_DIRECT);   /* small square: direct is faster and more accurate */
    CHECK(ml_ns_form_auto(32, 48, ML_FP64, &j) == ML_NS_DIRECT);
    CHECK(ml_ns_form_auto(32, 128, ML_FP32, &y) == ML_NS_DIRECT);   /* too steep for the unchecked gram form */
    CHECK(ml_ns_form_auto(1024, 4096, ML_BF16, &j) == ML_NS_DIRECT);
    CHECK(ml_ns_form_auto(1024, 4096, ML_FP32, &one) == ML_NS_DIRECT);
    int n0 = ml_threads_get();   /* fp64, n >= 2m: eig from m = 256 on one thread, from m = 384 on more */
    CHECK_OK(ml_threads_set(1));
    CHECK(ml_ns_form_auto(256, 512, ML_FP64, &j) == ML_NS_EIG);
    CHECK(ml_ns_form_auto(256, 1024, ML_FP64, &j) == ML_NS_EIG);
    CHECK(ml_ns_form_auto(256, 511, ML_FP64, &j) == ML_NS_DIRECT);
    CHECK(ml_ns_form_auto(255, 1020, ML_FP64, &j) == ML_NS_GRAM);
    CHECK(ml_ns_form_auto(256, 512, ML_FP32, &j) == ML_NS_GRAM);
    if (ml_threads_set(2) == ML_OK) {
        CHECK(ml_ns_form_auto(256, 512, ML_FP64, &j) == ML_NS_GRAM);
        CHECK(ml_ns_form_auto(256, 1024, ML_FP64, &j) == ML_NS_GRAM);
        CHECK(ml_ns_form_auto(383, 1532, ML_FP64, &j) == ML_NS_GRAM);
        CHECK(ml_ns_form_auto(384, 768, ML_FP64, &j) == ML_NS_EIG);
        CHECK(ml_ns_form_auto(384, 767, ML_FP64, &j) == ML_NS_DIRECT);
    }
    CHECK_OK(ml_threads_set(n0));
    ml_schedule_free(&j), ml_schedule_free(&y), ml_schedule_free(&one);
}

/* Form auto's trial of eig (ns.c, eig_trial_shape) on fp32 512 x 512 at one BLAS thread, where the rule
 * by shape says direct: a Gaussian input runs eig (within its own error estimate of the composed
 * map, taken by the fp64 direct form: 5 Jordan steps in fp64 are exact to ~1e-15 here); a
 * power-law spectrum trips eig's float64 refinement, and the shape then runs direct for
 * TRIAL_WAIT (64) calls before eig is tried again; without a workspace, at 2 threads and in fp64
 * the rule by shape stands. */
TEST(ns_auto_eig_trial)
{
    int n0 = ml_threads_get();
    CHECK_OK(ml_threads_set(1));
    ml_schedule j;
    CHECK_OK(ml_schedule_named(&j, "jordan", 5));
    ml_rng rng;
    ml_rng_seed(&rng, 11);
    ml_mat G64 = {0}, G = {0}, P64 = {0}, P = {0}, X = {0}, R = {0}, Y = {0};
    CHECK_OK(ml_mat_alloc(&G64, 512, 512, ML_F64));
    ml_rng_fill_normal(&rng, &G64, 0, 1);
    ml_spectrum_opts po = {.kind = ML_SPEC_POWERLAW, .alpha = 1, .scale = 1.0};
    CHECK_OK(ml_random_spectrum(&P64, 512, 512, ML_F64, &po, &rng));
    CHECK_OK(ml_mat_clone(&G, &G64, ML_F32));
    CHECK_OK(ml_mat_clone(&P, &P64, ML_F32));
    ml_ns_opts oa = opts(ML_PRECOND_FROBENIUS, ML_NS_AUTO, ML_NS_PRECISION_AUTO);
    ml_ns_opts od = opts(ML_PRECOND_FROBENIUS, ML_NS_DIRECT, ML_NS_PRECISION_AUTO);
    CHECK(ml_ns_form_auto(512, 512, ML_FP32, &j) == ML_NS_DIRECT);
    ml_ns_work w;
    ml_ns_work_init(&w);

    CHECK_OK(ml_ns(&X, &G, &j, &oa, &w));
    CHECK(w.form_used == ML_NS_EIG && !w.eig_refined);
    ml_mat Gx = {0};   /* the float32 input's exact values, in float64 */
    CHECK_OK(ml_mat_clone(&Gx, &G, ML_F64));
    CHECK_OK(ml_ns(&R, &Gx, &j, &od, NULL));   /* the composed map in fp64 */
    ml_mat_free(&Gx);
    ml_mat Xd = {0};
    CHECK_OK(ml_mat_clone(&Xd, &X, ML_F64));
    CHECK_OK(ml_axpy(&Xd, -1.0, &R));
    double rel = ml_norm_fro(&Xd) / ml_norm_fro(&R);
    CHECK(rel > 0 && rel <= w.eig_error && w.eig_error <= 3e4 * 1.1920929e-7);

    CHECK_OK(ml_ns(&X, &P, &j, &oa, &w));   /* refined: eig this time, direct for the next 64 */
    CHECK(w.form_used == ML_NS_EIG && w.eig_refined);
    CHECK_OK(ml_ns(&Y, &P, &j, &od, NULL));
    CHECK_OK(ml_ns(&X, &P, &j, &oa, &w));
    CHECK(w.form_used == ML_NS_DIRECT);
    CHECK(maxdiff(&X, &Y) == 0);   /* the direct form itself */
    int slot = -1;
    for (int i = 0; i < 8; i++)
        if (w.trial[i].m == 512 && w.trial[i].n == 512) slot = i;
    CHECK(slot >= 0 && w.trial[slot].wait == 63);
    CHECK_OK(ml_ns(&X, &G, &j, &oa, &w));   /* the same shape waits, whatever the input */
    CHECK(w.form_used == ML_NS_DIRECT && w.trial[slot].wait == 62);
    w.trial[slot].wait = 0;   /* as after 64 calls */
    CHECK_OK(ml_ns(&X, &G, &j, &oa, &w));
    CHECK(w.form_used == ML_NS_EIG && w.trial[slot].wait == 0);

    CHECK_OK(ml_ns(&X, &G, &j, &oa, NULL));   /* no workspace: the rule by shape (direct) */
    CHECK_OK(ml_ns(&Y, &G, &j, &od, NULL));
    CHECK(maxdiff(&X, &Y) == 0);
    CHECK_OK(ml_ns(&X, &G64, &j, &oa, &w));   /* fp64: the rule by shape */
    CHECK(w.form_used == ML_NS_EIG || w.form_used == ML_NS_DIRECT);
    CHECK(w.form_used == ml_ns_form_auto(512, 512, ML_FP64, &j));
    if (ml_threads_set(2) == ML_OK) {
        CHECK_OK(ml_ns(&X, &G, &j, &oa, &w));
        CHECK(w.form_used == ML_NS_DIRECT);
    }
    CHECK_OK(ml_threads_set(n0));
    ml_ns_work_free(&w);
    ml_mat_free(&G64), ml_mat_free(&G), ml_mat_free(&P64), ml_mat_free(&P), ml_mat_free(&X), ml_mat_free(&R);
    ml_mat_free(&Y), ml_mat_free(&Xd);
    ml_schedule_free(&j);
}

/* Every preconditioner through the eig form equals the direct form in fp64 (cond 10): the same
 * polynomial of X_0 X_0^T, evaluated differently (measured max 4e-15). Reduced precisions refuse
 * the eig form. */
TEST(ns_eig_matches_direct_every_precond)
{
    const size_t shapes[][2] = {{24, 60}, {60, 24}, {32, 32}};
    for (int si = 0; si < 3; si++) {
        ml_mat A;
        spectrum(&A, shapes[si][0], shapes[si][1], 10, 5);
        for (int p = ML_PRECOND_FROBENIUS; p <= ML_PRECOND_NONE; p++) {
            ml_ns_opts od = opts(p, ML_NS_DIRECT, ML_NS_PRECISION_AUTO), oe = opts(p, ML_NS_EIG, ML_NS_PRECISION_AUTO);
            ml_mat Xd, Xe;
            run(&Xd, &A, "quintic", 6, &od);
            run(&Xe, &A, "quintic", 6, &oe);
            CHECK_NEAR(maxdiff(&Xd, &Xe), 0, 1e-12);
            ml_mat_free(&Xd), ml_mat_free(&Xe);
        }
        ml_ns_opts ob = opts(ML_PRECOND_FROBENIUS, ML_NS_EIG, ML_BF16);
        ml_schedule sch;
        CHECK_OK(ml_schedule_named(&sch, "jordan", 5));
        ml_mat X = {0};
        CHECK(ml_ns(&X, &A, &sch, &ob, NULL) == ML_EINVAL);
        ob.form = ML_NS_AUTO;   /* auto picks a form that works in bf16 */
        CHECK_OK(ml_ns(&X, &A, &sch, &ob, NULL));
        ml_schedule_free(&sch);
        ml_mat_free(&X), ml_mat_free(&A);
    }
}

/* ---- the two forms ---- */

/* Same polynomial in A_0, different order of operations: on cond 10 in fp64 the results differ
 * by a few 1e-15 (measured max 3.2e-15 over this grid); 1e-12 leaves room for other BLAS builds. */
TEST(ns_gram_and_restart_match_direct_f64)
{
    const size_t shapes[][2] = {{24, 60}, {60, 24}, {32, 32}};
    const char *scheds[] = {"cubic", "quintic", "septic", "jordan"};
    for (int si = 0; si < 3; si++) {
        ml_mat A;
        spectrum(&A, shapes[si][0], shapes[si][1], 10, 5);
        for (int p = ML_PRECOND_FROBENIUS; p <= ML_PRECOND_NONE; p++)
            for (int k = 0; k < 4; k++) {
                ml_ns_opts od = opts(p, ML_NS_DIRECT, ML_NS_PRECISION_AUTO);
                ml_ns_opts og = opts(p, ML_NS_GRAM, ML_NS_PRECISION_AUTO), orr = og;
                orr.restart = 2;
                ml_mat Xd, Xg, Xr;
                run(&Xd, &A, scheds[k], 6, &od);
                run(&Xg, &A, scheds[k], 6, &og);
                run(&Xr, &A, scheds[k], 6, &orr);
                CHECK_NEAR(maxdiff(&Xd, &Xg), 0, 1e-12);
                CHECK_NEAR(maxdiff(&Xd, &Xr), 0, 1e-12);
                ml_mat_free(&Xd), ml_mat_free(&Xg), ml_mat_free(&Xr);
            }
        ml_mat_free(&A);
    }
}

/* ---- preconditioners: steps = 0 returns X_0 ---- */

TEST(ns_precond_frobenius_none_schatten)
{
    ml_mat A, X;
    spectrum(&A, 20, 50, 100, 7);
    ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, ML_NS_DIRECT, ML_NS_PRECISION_AUTO);
    double fro = ml_norm_fro(&A);
    run(&X, &A, "quintic", 0, &o);
    for (size_t i = 0; i < A.rows; i++)
        for (size_t j = 0; j < A.cols; j++) CHECK_NEAR(ml_mat_get(&X, i, j), ml_mat_get(&A, i, j) / (fro + o.eps), 1e-15);
    ml_mat_free(&X);

    o.precond = ML_PRECOND_NONE;
    run(&X, &A, "quintic", 0, &o);
    CHECK(maxdiff(&X, &A) == 0);
    ml_mat_free(&X);

    /* Schatten-4 from the SVD: (sum s^4)^(1/4) */
    ml_mat s = {0};
    CHECK_OK(ml_svd(&A, NULL, &s, NULL));
    double s4 = 0;
    for (size_t i = 0; i < s.rows; i++) s4 += pow(ml_mat_get(&s, i, 0), 4);
    s4 = pow(s4, 0.25);
    o.precond = ML_PRECOND_SCHATTEN;
    for (int f = 0; f < 2; f++) {
        o.form = (ml_ns_form)f;
        run(&X, &A, "quintic", 0, &o);
        for (size_t i = 0; i < A.rows; i++)
            for (size_t j = 0; j < A.cols; j++) CHECK_NEAR(ml_mat_get(&X, i, j) * (s4 + o.eps), ml_mat_get(&A, i, j), 1e-14);
        CHECK(smax(&X) <= 1.0);
        ml_mat_free(&X);
    }
    ml_mat_free(&s);
    ml_mat_free(&A);
}

/* With a gap at the top (geometric spectrum, s1/s2 = 1.19) 12 Lanczos products find s_max to
 * 1e-7 (measured 9.6e-8), so s_max(X_0) = 1/1.02 to 1e-6. Gaussian matrices (no gap): measured shortfall of
 * the estimate below 2.5% (ns.h), so s_max(X_0) in [0.96, 1.005]. */
TEST(ns_precond_spectral)
{
    ml_mat A, X;
    spectrum(&A, 40, 100, 1e3, 8);
    ml_ns_opts o = opts(ML_PRECOND_SPECTRAL, ML_NS_DIRECT, ML_NS_PRECISION_AUTO);
    run(&X, &A, "quintic", 0, &o);
    CHECK_NEAR(smax(&X), 1.0 / ML_NS_SPECTRAL_SAFETY, 1e-6);
    ml_mat_free(&X);
    ml_mat_free(&A);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        ml_rng r;
        ml_rng_seed(&r, seed);
        CHECK_OK(ml_mat_alloc(&A, 64, 160, ML_F64));
        ml_rng_fill_normal(&r, &A, 0, 1);
        run(&X, &A, "quintic", 0, &o);
        double s = smax(&X);
        CHECK(s >= 0.96 && s <= 1.005);
        ml_mat_free(&X);
        ml_mat_free(&A);
    }
}

/* AOL: X_0 = diag(s) G_w with s_i = 1/(sqrt(sum_j |(G_w G_w^T)_ij|) + eps), recomputed here by
 * plain loops; the Schur test bounds ||X_0||_2 <= 1. Tall input: the rows of G_w are G's columns. */
TEST(ns_precond_aol)
{
    const size_t shapes[][2] = {{16, 40}, {40, 16}};
    for (int si = 0; si < 2; si++) {
        ml_mat A, X;
        spectrum(&A, shapes[si][0], shapes[si][1], 1e2, 9);
        int tall = A.rows > A.cols;
        size_t m = tall ? A.cols : A.rows, n = tall ? A.rows : A.cols;
#define GW(i, j) (tall ? ml_mat_get(&A, j, i) : ml_mat_get(&A, i, j))
        double s[64];
        ml_ns_opts o = opts(ML_PRECOND_AOL, ML_NS_DIRECT, ML_NS_PRECISION_AUTO);
        for (size_t i = 0; i < m; i++) {
            double rs = 0;
            for (size_t j = 0; j < m; j++) {
                double g = 0;
                for (size_t l = 0; l < n; l++) g += GW(i, l) * GW(j, l);
                rs += fabs(g);
            }
            s[i] = 1.0 / (sqrt(rs) + o.eps);
        }
        for (int f = 0; f < 2; f++) {
            o.form = (ml_ns_form)f;
            run(&X, &A, "quintic", 0, &o);
            double d = 0;
            for (size_t i = 0; i < m; i++)
                for (size_t l = 0; l < n; l++) {
                    double x = tall ? ml_mat_get(&X, l, i) : ml_mat_get(&X, i, l);
                    d = fmax(d, fabs(x - s[i] * GW(i, l)));
                }
            CHECK_NEAR(d, 0, 1e-14);
            CHECK(smax(&X) <= 1.0 + 1e-14);
            ml_mat_free(&X);
        }
#undef GW
        ml_mat_free(&A);
    }
}

/* The first step reuses the preconditioner's Gram matrix (scaled, or diag(s) A diag(s) for aol)
 * and folds the scaling into its product: it must equal a plain run from the formed X_0. */
TEST(ns_precond_reuse_matches_explicit_x0)
{
    const size_t shapes[][2] = {{18, 45}, {45, 18}};
    for (int si = 0; si < 2; si++) {
        ml_mat A;
        spectrum(&A, shapes[si][0], shapes[si][1], 30, 10);
        for (int p = ML_PRECOND_FROBENIUS; p < ML_PRECOND_NONE; p++)
            for (int f = 0; f < 2; f++) {
                ml_ns_opts o = opts(p, f, ML_NS_PRECISION_AUTO), on = opts(ML_PRECOND_NONE, f, ML_NS_PRECISION_AUTO);
                ml_mat X0, X, Y;
                run(&X0, &A, "quintic", 0, &o);
                run(&X, &A, "quintic", 3, &o);
                run(&Y, &X0, "quintic", 3, &on);
                CHECK_NEAR(maxdiff(&X, &Y), 0, 1e-13);
                ml_mat_free(&X0), ml_mat_free(&X), ml_mat_free(&Y);
            }
        ml_mat_free(&A);
    }
}

/* ---- precision emulation ---- */

typedef struct repr_ctx {
    ml_precision p;
    int calls, bad;
} repr_ctx;

static int repr_hook(void *ctx, int step, const ml_mat *X, double secs)
{
    repr_ctx *c = ctx;
    c->calls++;
    if (X->dtype != ML_F32) c->bad++;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            float x = (float)ml_mat_get(X, i, j);
            float r = c->p == ML_BF16 ? ml_round_bf16(x) : ml_round_fp16(x);
            if (r != x) c->bad++;
        }
    return 0;
}

/* Every iterate the hook sees and the result are values of the format; the distance to the
 * polar factor after 12 quintic steps (converged in exact arithmetic) is the format's rounding
 * level. Measured on this 48 x 128, cond 10 input (ns.h): bf16 direct 7.5e-3, gram 1.8e-2;
 * fp16 9.6e-4 / 2.3e-3; fp32 4.7e-7 / 1.3e-6. The ranges are [u/2, 32u] with u the unit
 * roundoff (2^-8, 2^-11, 2^-24), twice that for gram: rounding level, far below the 0.3 of a
 * non-converged schedule and far above the next format's level. */
TEST(ns_reduced_precision_is_faithful)
{
    ml_mat A, A32;
    spectrum(&A, 48, 128, 10, 11);
    CHECK_OK(ml_mat_clone(&A32, &A, ML_F32));
    const struct { ml_precision p; double u; } ps[] = {{ML_BF16, 0x1p-8}, {ML_FP16, 0x1p-11}, {ML_FP32, 0x1p-24}};
    for (int k = 0; k < 3; k++)
        for (int f = 0; f < 2; f++) {
            ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, f, (int)ps[k].p);
            repr_ctx c = {.p = ps[k].p};
            if (ps[k].p != ML_FP32) {
                o.hook = repr_hook;
                o.hook_ctx = &c;
            }
            ml_mat X, X32;
            run(&X, &A, "quintic", 12, &o);
            CHECK(X.dtype == ML_F64);
            double d = rel_polar_dist(&X, &A), u = ps[k].u * (f ? 2 : 1);
            if (!(d >= u / 2 && d <= 32 * u))
                ml_test_fail(__FILE__, __LINE__, "%s %s: distance %.3g outside [%.3g, %.3g]", ml_precision_name(ps[k].p),
                             f ? "gram" : "direct", d, u / 2, 32 * u);
            if (ps[k].p != ML_FP32) {
                CHECK(c.calls == 13);
                CHECK(c.bad == 0);
            }
            /* float64 input is rounded to the format on entry: the same as float32 input */
            o.hook = NULL;
            run(&X32, &A32, "quintic", 12, &o);
            CHECK(X32.dtype == ML_F32);
            CHECK(maxdiff(&X, &X32) == 0);
            ml_mat_free(&X);
            ml_mat_free(&X32);
        }
    ml_mat_free(&A);
    ml_mat_free(&A32);
}

/* fp16 tops out at 65504: without a normaliser (precond none) an input beyond it is Inf after
 * rounding, reported, not returned; the normalising preconditioners rescale the input first
 * (by a power of two: exact), so they give the unit-scale result. */
TEST(ns_fp16_overflow_is_an_error)
{
    ml_mat A, X = {0}, X1 = {0};
    spectrum(&A, 8, 12, 10, 12);
    ml_schedule s;
    CHECK_OK(ml_schedule_named(&s, "quintic", 3));
    ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, ML_NS_DIRECT, ML_FP16);
    o.eps = 0;
    CHECK_OK(ml_ns(&X1, &A, &s, &o, NULL));
    ml_scale(&A, 0x1p20);   /* 1e6: beyond fp16, and a power of two so the results are comparable */
    CHECK_OK(ml_ns(&X, &A, &s, &o, NULL));
    CHECK(maxdiff(&X, &X1) == 0);
    ml_mat_free(&X1);
    o.precond = ML_PRECOND_NONE;
    CHECK(ml_ns(&X, &A, &s, &o, NULL) == ML_ENUM);
    CHECK(strstr(ml_errmsg(), "fp16") != NULL);
    o.precond = ML_PRECOND_FROBENIUS;
    o.precision = ML_FP32;
    CHECK_OK(ml_ns(&X, &A, &s, &o, NULL));
    ml_schedule_free(&s);
    ml_mat_free(&A);
    ml_mat_free(&X);
}

/* ---- hook ---- */

typedef struct keep_ctx {
    ml_mat X[8];
    double secs[8];
    int last;
} keep_ctx;

static int keep_hook(void *ctx, int step, const ml_mat *X, double secs)
{
    keep_ctx *c = ctx;
    c->secs[step] = secs;
    c->last = step;
    return ml_mat_clone(&c->X[step], X, X->dtype);
}

static int stop_hook(void *ctx, int step, const ml_mat *X, double secs) { return step == 2 ? 42 : 0; }

/* The iterate the hook sees at step t is what a t-step run returns (working orientation: the
 * transpose for a tall input); the same kernels run in the same order, so they agree to the
 * last bit up to BLAS blocking (1e-14). */
TEST(ns_hook_sees_each_iterate)
{
    const size_t shapes[][2] = {{20, 36}, {36, 20}};
    for (int si = 0; si < 2; si++)
        for (int f = 0; f < 3; f++)
            for (int prec = ML_FP64; prec <= ML_BF16; prec++) {
                if (f == ML_NS_EIG && prec == ML_BF16) continue;
                ml_mat A;
                spectrum(&A, shapes[si][0], shapes[si][1], 10, 13);
                keep_ctx c = {0};
                ml_ns_opts o = opts(ML_PRECOND_AOL, f, prec);
                o.hook = keep_hook;
                o.hook_ctx = &c;
                ml_mat X;
                run(&X, &A, "jordan", 5, &o);
                CHECK(c.last == 5);
                o.hook = NULL;
                for (int t = 0; t <= 5; t++) {
                    ml_mat Xt, Xw = {0};
                    run(&Xt, &A, "jordan", t, &o);
                    if (si) CHECK_OK(ml_mat_transpose(&Xw, &Xt));
                    else ml_mat_ref(&Xw, &Xt);
                    CHECK_NEAR(maxdiff(&Xw, &c.X[t]), 0, 1e-14);
                    CHECK(c.secs[t] >= 0 && c.secs[t] < 10);
                    ml_mat_free(&Xt), ml_mat_free(&Xw), ml_mat_free(&c.X[t]);
                }
                ml_mat_free(&X);
                ml_mat_free(&A);
            }
}

TEST(ns_hook_can_stop)
{
    ml_mat A, X = {0};
    spectrum(&A, 6, 9, 10, 14);
    ml_schedule s;
    CHECK_OK(ml_schedule_named(&s, "quintic", 5));
    ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, ML_NS_GRAM, ML_NS_PRECISION_AUTO);
    o.hook = stop_hook;
    CHECK(ml_ns(&X, &A, &s, &o, NULL) == 42);
    ml_schedule_free(&s);
    ml_mat_free(&A);
    ml_mat_free(&X);
}

/* ---- workspace ---- */

TEST(ns_workspace_is_reused)
{
    ml_rng r;
    ml_rng_seed(&r, 4);
    const size_t shapes[][2] = {{32, 64}, {64, 32}};
    const int precs[] = {ML_FP32, ML_BF16, ML_FP64};
    for (int si = 0; si < 2; si++)
        for (int f = 0; f < 3; f++)
            for (int k = 0; k < 3; k++)
                for (int p = ML_PRECOND_FROBENIUS; p < ML_PRECOND_NONE; p++) {   /* none diverges on N(0,1) */
                    if (f == ML_NS_EIG && precs[k] == ML_BF16) continue;
                    ml_mat G, X = {0};
                    CHECK_OK(ml_mat_alloc(&G, shapes[si][0], shapes[si][1], ML_F32));
                    ml_rng_fill_normal(&r, &G, 0, 1);
                    ml_schedule sch;
                    CHECK_OK(ml_schedule_named(&sch, "jordan", 5));
                    ml_ns_work w;
                    ml_ns_work_init(&w);
                    ml_ns_opts o = opts(p, f, precs[k]);
                    o.restart = f == ML_NS_GRAM ? 2 : 0;
                    CHECK_OK(ml_ns(&X, &G, &sch, &o, &w));
                    size_t allocs = w.allocs;
                    void *out = X.data;
                    CHECK(allocs > 0);
                    for (int i = 0; i < 3; i++) CHECK_OK(ml_ns(&X, &G, &sch, &o, &w));
                    CHECK(w.allocs == allocs);
                    CHECK(X.data == out);
                    /* a smaller shape fits in the same buffers */
                    ml_mat Gs;
                    CHECK_OK(ml_mat_view(&Gs, &G, 0, 0, shapes[si][0] / 2, shapes[si][1] / 2));
                    ml_mat Xs = {0};
                    CHECK_OK(ml_ns(&Xs, &Gs, &sch, &o, &w));
                    CHECK(w.allocs == allocs);
                    ml_ns_work_free(&w);
                    ml_schedule_free(&sch);
                    ml_mat_free(&G), ml_mat_free(&Gs), ml_mat_free(&X), ml_mat_free(&Xs);
                }
}

/* ---- bad input ---- */

TEST(ns_rejects_bad_options)
{
    ml_mat G, X = {0};
    spectrum(&G, 3, 4, 10, 15);
    ml_schedule sch;
    CHECK_OK(ml_schedule_named(&sch, "quintic", 5));
    ml_ns_opts o;
#define BAD(field, value)                                         \
    do {                                                          \
        ml_ns_opts_default(&o);                                   \
        o.field = value;                                          \
        CHECK(ml_ns(&X, &G, &sch, &o, NULL) == ML_EINVAL);        \
    } while (0)
    BAD(eps, -1.0);
    BAD(eps, NAN);
    BAD(precond, (ml_precond)9);
    BAD(power_steps, 0);
    BAD(power_steps, -3);
    BAD(power_steps, ML_NS_MAX_POWER_STEPS + 1);
    BAD(precision, 7);
    BAD(form, (ml_ns_form)5);
    BAD(restart, -1);
#undef BAD
    ml_precond p;
    ml_ns_form f;
    CHECK(ml_precond_parse("spectral", &p) == 0 && p == ML_PRECOND_SPECTRAL);
    CHECK(ml_precond_parse("turbo", &p) == ML_EINVAL && strstr(ml_errmsg(), "aol"));
    CHECK(ml_ns_form_parse("gram", &f) == 0 && f == ML_NS_GRAM);
    CHECK(ml_ns_form_parse("fast", &f) == ML_EINVAL);
    CHECK(!strcmp(ml_precond_name(ML_PRECOND_AOL), "aol") && !strcmp(ml_ns_form_name(ML_NS_DIRECT), "direct"));
    ml_mat_set(&G, 0, 0, INFINITY);
    CHECK(ml_ns(&X, &G, &sch, NULL, NULL) == ML_ENUM);
    ml_schedule_free(&sch);
    ml_mat_free(&G);
    ml_mat_free(&X);
}

TEST(schedule_named_tables)
{
    ml_schedule s;
    CHECK_OK(ml_schedule_named_safety(&s, "polar_express", 10, 1));   /* the bare published table */
    CHECK(s.steps == 10 && s.terms == 3 && s.input_scale == 1);
    CHECK_NEAR(s.c[0], 8.28721201814563, 0);
    CHECK_NEAR(s.c[9 * 3 + 0], 1.875, 0);   /* beyond the table the last row repeats */
    ml_schedule_free(&s);
    CHECK(ml_schedule_named(&s, "nonsense", 5) == ML_EINVAL);
    /* quintic's fixed point is 1 */
    CHECK_OK(ml_schedule_named(&s, "quintic", 1));
    CHECK_NEAR(ml_schedule_apply(&s, 1.0), 1.0, 1e-15);
    ml_schedule_free(&s);
}

/* ---- polar factor from the eigendecomposition of the Gram matrix ---- */

/* Against the SVD route. Error ~ cond^2 eps: measured 2.2e-12 (max abs) at cond 1e3, 1.6e-8 at
 * 1e5 (64 x 256), so 1e-10 at cond 1e3 and the documented limit [1e-10, 1e-6] at cond 1e5. */
TEST(polar_eig_matches_svd)
{
    const size_t shapes[][2] = {{64, 256}, {256, 64}, {40, 40}};
    for (int si = 0; si < 3; si++) {
        ml_mat A, P, Q = {0};
        spectrum(&A, shapes[si][0], shapes[si][1], 1e3, 16);
        CHECK_OK(ml_polar(&P, &A, -1));
        CHECK_OK(ml_polar_eig(&Q, &A, -1));
        CHECK(Q.rows == A.rows && Q.cols == A.cols && Q.dtype == ML_F64);
        CHECK_NEAR(maxdiff(&P, &Q), 0, 1e-10);
        ml_mat_free(&A), ml_mat_free(&P), ml_mat_free(&Q);
    }
    ml_mat A, P, Q = {0}, A32, Q32 = {0};
    spectrum(&A, 64, 256, 1e5, 17);
    CHECK_OK(ml_polar(&P, &A, -1));
    CHECK_OK(ml_polar_eig(&Q, &A, -1));
    double d = maxdiff(&P, &Q);
    CHECK(d > 1e-10 && d < 1e-6);
    ml_mat_free(&A), ml_mat_free(&Q);
    /* float32 (ssyevd), cond 10: eps32 * cond^2 ~ 1e-5; measured 5.6e-7 */
    spectrum(&A, 64, 256, 10, 18);
    CHECK_OK(ml_mat_clone(&A32, &A, ML_F32));
    ml_mat_free(&P);
    CHECK_OK(ml_polar(&P, &A, -1));
    CHECK_OK(ml_polar_eig(&Q32, &A32, -1));
    CHECK(Q32.dtype == ML_F32);
    CHECK_NEAR(maxdiff(&P, &Q32), 0, 1e-5);
    ml_mat_free(&A), ml_mat_free(&P), ml_mat_free(&A32), ml_mat_free(&Q32);
}

/* Exact zeros map to zero (partial isometry, as the SVD route); the zero matrix gives zero. */
TEST(polar_eig_rank_deficient)
{
    ml_rng r;
    ml_rng_seed(&r, 19);
    ml_spectrum_opts o = {.kind = ML_SPEC_GEOMETRIC, .cond = 100, .scale = 1.0, .zeros = 4};
    ml_mat A, P, Q = {0}, Z, QZ = {0};
    CHECK_OK(ml_random_spectrum(&A, 20, 50, ML_F64, &o, &r));
    CHECK_OK(ml_polar(&P, &A, -1));
    CHECK_OK(ml_polar_eig(&Q, &A, -1));
    CHECK_NEAR(maxdiff(&P, &Q), 0, 1e-12);
    CHECK_OK(ml_mat_alloc(&Z, 5, 7, ML_F64));
    CHECK_OK(ml_polar_eig(&QZ, &Z, -1));
    CHECK(ml_norm_maxabs(&QZ) == 0);
    CHECK(ml_polar_eig(&QZ, &Z, 1.5) == ML_EINVAL);
    ml_mat_set(&Z, 1, 1, NAN);
    CHECK(ml_polar_eig(&QZ, &Z, -1) == ML_ENUM);
    ml_mat_free(&A), ml_mat_free(&P), ml_mat_free(&Q), ml_mat_free(&Z), ml_mat_free(&QZ);
}

/* ---- many matrices per call ---- */

/* ml_ns_many over a model-like list (GPT block and MLP shapes, wide and tall, two heads of one
 * parameter as views sharing storage) gives what ml_ns gives one by one: in order with one
 * workspace exactly; over threads to fp32 rounding, since OpenBLAS with one thread may take other
 * kernels (its small-matrix paths; syevd's symv reductions unsplit) than with two (measured max
 * 1.1e-6 on entries of size ~0.2, so 1e-5). The threads' workspaces stop allocating after the
 * first call; an error names the matrix. */
TEST(ns_many_matches_one_by_one)
{
    const size_t shapes[][2] = {{96, 32}, {32, 48}, {128, 32}, {32, 128}, {96, 32}, {10, 64}, {64, 196}};   /* cond <= ~10 */
    enum { K = 9 };
    ml_rng r;
    ml_rng_seed(&r, 31);
    ml_mat G[K], Gv[K], X[K], R[K];
    const ml_mat *gp[K];
    ml_mat *xp[K];
    for (int i = 0; i < 7; i++) {
        CHECK_OK(ml_mat_alloc(&G[i], shapes[i][0], shapes[i][1], ML_F32));
        ml_rng_fill_normal(&r, &G[i], 0, 1);
        ml_mat_ref(&Gv[i], &G[i]);
    }
    CHECK_OK(ml_mat_view(&Gv[7], &G[0], 0, 0, 16, 32));   /* two heads of G[0] */
    CHECK_OK(ml_mat_view(&Gv[8], &G[0], 16, 0, 16, 32));
    ml_schedule sch;
    CHECK_OK(ml_schedule_named(&sch, "jordan", 5));
    for (int f = 0; f < 4; f++) {
        ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, (ml_ns_form)f, ML_NS_PRECISION_AUTO);
        ml_ns_work w[3];
        for (int t = 0; t < 3; t++) ml_ns_work_init(&w[t]);
        for (int i = 0; i < K; i++) {
            X[i] = (ml_mat){0}, R[i] = (ml_mat){0};
            CHECK_OK(ml_ns(&R[i], &Gv[i], &sch, &o, NULL));
            gp[i] = &Gv[i];
            xp[i] = &X[i];
        }
        CHECK_OK(ml_ns_many(K, xp, gp, &sch, &o, w, 3));
        size_t allocs = w[0].allocs + w[1].allocs + w[2].allocs;
        CHECK(w[1].allocs > 0 && w[2].allocs > 0);   /* every thread had work */
        CHECK_OK(ml_ns_many(K, xp, gp, &sch, &o, w, 3));
        CHECK(w[0].allocs + w[1].allocs + w[2].allocs == allocs);
        for (int i = 0; i < K; i++) CHECK_NEAR(maxdiff(&X[i], &R[i]), 0, 1e-5);
        CHECK_OK(ml_ns_many(K, xp, gp, &sch, &o, w, 1));   /* one workspace: in order */
        for (int i = 0; i < K; i++) CHECK(maxdiff(&X[i], &R[i]) == 0);
        for (int t = 0; t < 3; t++) ml_ns_work_free(&w[t]);
        for (int i = 0; i < K; i++) ml_mat_free(&X[i]), ml_mat_free(&R[i]);
    }
    ml_ns_work w[2];
    ml_ns_work_init(&w[0]), ml_ns_work_init(&w[1]);
    ml_mat_set(&G[3], 0, 0, NAN);
    for (int i = 0; i < K; i++) X[i] = (ml_mat){0};
    CHECK(ml_ns_many(K, xp, gp, &sch, NULL, w, 2) == ML_ENUM && strstr(ml_errmsg(), "matrix 4: "));
    CHECK(ml_ns_many(K, xp, gp, &sch, NULL, w, 0) == ML_EINVAL);
    ml_ns_work_free(&w[0]), ml_ns_work_free(&w[1]);
    for (int i = 0; i < K; i++) ml_mat_free(&X[i]), ml_mat_free(&Gv[i]);
    for (int i = 0; i < 7; i++) ml_mat_free(&G[i]);
    ml_schedule_free(&sch);
}

/* ---- threads ---- */

TEST(threads_set_get_env)
{
    int n = ml_threads_get();
    CHECK(n >= 1);
    CHECK_OK(ml_threads_set(1));
    CHECK(ml_threads_get() == 1);
    CHECK(ml_threads_set(0) == ML_EINVAL);
    const char *old = getenv("ML_THREADS");
    char *saved = old ? strdup(old) : NULL;
    setenv("ML_THREADS", "two", 1);
    CHECK(ml_threads_from_env() == ML_EINVAL);
    setenv("ML_THREADS", "1", 1);
    CHECK_OK(ml_threads_from_env());
    if (saved) setenv("ML_THREADS", saved, 1);
    else unsetenv("ML_THREADS");
    free(saved);
    CHECK_OK(ml_threads_set(n));
}

/* The gram form at 2 threads on a problem large enough that its products are split and each
 * step's P Q and P^2 run at once (core/ns.c pq_and_p2): the scalar map as at 1 thread, and the
 * two results within fp64 rounding of each other (the products are cut differently). */
TEST(ns_gram_two_threads_matches_scalar_map_f64)
{
    int n0 = ml_threads_get();
    if (ml_threads_set(2)) {
        printf("note: ns_gram_two_threads_matches_scalar_map_f64: no second BLAS thread\n");
        return;
    }
    ml_mat At, E, X1 = {0}, X2 = {0};
    ml_schedule sch;
    scalar_map_case("jordan", 5, 160, 400, 1e3, ML_F64, &At, &E, &sch);
    ml_ns_opts o = opts(ML_PRECOND_FROBENIUS, ML_NS_GRAM, ML_NS_PRECISION_AUTO);
    CHECK_OK(ml_ns(&X2, &At, &sch, &o, NULL));
    CHECK(ml_threads_get() == 2);
    CHECK_NEAR(maxdiff(&X2, &E), 0, 1e-12);
    CHECK_OK(ml_threads_set(1));
    CHECK_OK(ml_ns(&X1, &At, &sch, &o, NULL));
    CHECK_NEAR(maxdiff(&X1, &X2), 0, 1e-13);
    CHECK_OK(ml_threads_set(n0));
    ml_schedule_free(&sch);
    ml_mat_free(&At), ml_mat_free(&E), ml_mat_free(&X1), ml_mat_free(&X2);
}

/* Small NS problems run on one BLAS thread (ml_ns's ML_NS_SERIAL_WORK): the caller's thread count
 * comes back after the call, also when it fails, and the result is the one a 1-thread run gives;
 * a problem above the limit keeps both threads throughout (its hook sees them). */
static int hook_threads(void *ctx, int step, const ml_mat *X, double secs)
{
    (void)X, (void)secs;
    if (step == 1) *(int *)ctx = ml_threads_get();
    return 0;
}

TEST(ns_small_problems_on_one_blas_thread)
{
    int n0 = ml_threads_get();
    if (ml_threads_set(2)) {
        printf("note: ns_small_problems_on_one_blas_thread: no second BLAS thread\n");
        return;
    }
    ml_rng r;
    ml_rng_seed(&r, 77);
    ml_mat G, X1 = {0}, X2 = {0};
    CHECK_OK(ml_mat_alloc(&G, 16, 64, ML_F32));
    ml_rng_fill_normal(&r, &G, 0, 1);
    ml_schedule sch;
    CHECK_OK(ml_schedule_named(&sch, "jordan", 5));
    ml_ns_opts o;
    ml_ns_opts_default(&o);
    int seen = 0;
    o.hook = hook_threads, o.hook_ctx = &seen;
    CHECK_OK(ml_ns(&X2, &G, &sch, &o, NULL));
    CHECK(seen == 1);
    CHECK(ml_threads_get() == 2);
    CHECK_OK(ml_threads_set(1));
    CHECK_OK(ml_ns(&X1, &G, &sch, &o, NULL));
    CHECK_OK(ml_threads_set(2));
    CHECK(memcmp(X1.data, X2.data, 16 * 64 * sizeof(float)) == 0);
    ml_mat_set(&G, 3, 5, NAN);
    CHECK(ml_ns(&X2, &G, &sch, &o, NULL) == ML_ENUM);
    CHECK(ml_threads_get() == 2);
    ml_mat B, XB = {0};
    CHECK_OK(ml_mat_alloc(&B, 256, 512, ML_F32));
    ml_rng_fill_normal(&r, &B, 0, 1);
    seen = 0;
    CHECK_OK(ml_ns(&XB, &B, &sch, &o, NULL));
    CHECK(seen == 2);
    CHECK(ml_threads_get() == 2);
    ml_mat_free(&G), ml_mat_free(&X1), ml_mat_free(&X2), ml_mat_free(&B), ml_mat_free(&XB);
    ml_schedule_free(&sch);
    CHECK_OK(ml_threads_set(n0));
}
