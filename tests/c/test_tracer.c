/* The iteration tracer (core/tracer.h) against direct recomputation: each record of a traced
 * run equals the metrics of the iterate that a run of that many steps returns; and the choice
 * parsers beside ml_precond_parse. */
#include "check.h"
#include "coeffs.h"
#include "error.h"
#include "metrics.h"
#include "ns.h"
#include "ops.h"
#include "polar.h"
#include "qr.h"
#include "rng.h"
#include "spectral_newton.h"
#include "svd.h"
#include "tracer.h"
#include <string.h>

static ml_mat spectrum(size_t m, size_t n, double cond, uint64_t seed)
{
    ml_mat A = {0};
    ml_rng r;
    ml_rng_seed(&r, seed);
    ml_spectrum_opts o = {.kind = ML_SPEC_GEOMETRIC, .cond = cond, .scale = 1};
    CHECK_OK(ml_random_spectrum(&A, m, n, ML_F64, &o, &r));
    return A;
}

TEST(tracer_ns_records_match_recomputed_iterates)
{
    ml_mat A = spectrum(40, 16, 30, 5), X = {0};   /* tall: records are in the working orientation */
    ml_schedule s;
    CHECK_OK(ml_schedule_named(&s, "quintic", 4));
    ml_tracer t;
    CHECK_OK(ml_tracer_ns_start(&t, &A));
    ml_ns_opts o;
    ml_ns_opts_default(&o);
    o.hook = ml_tracer_ns_hook;
    o.hook_ctx = &t;
    CHECK_OK(ml_ns(&X, &A, &s, &o, NULL));
    CHECK(t.n == 5);
    o.hook = NULL;
    for (int i = 0; i < t.n && i < 5; i++) {
        const ml_trace_rec *r = &t.rec[i];
        CHECK(r->step == i);
        CHECK(r->time > 0);   /* a step's own time: several BLAS calls, never 0 on a ns clock */
        ml_schedule si;
        CHECK_OK(ml_schedule_named(&si, "quintic", i ? i : 1));
        si.steps = i;   /* steps = 0: ml_ns returns X_0 */
        ml_mat Xi = {0}, sv = {0};
        CHECK_OK(ml_ns(&Xi, &A, &si, &o, NULL));
        /* independent references: ||Xi - polar(A)||_F / sqrt(16) (||polar||_F = sqrt(16)),
         * the orthogonality error and the SVD of the returned (tall) iterate; 1e-12: the same
         * fp64 arithmetic in a different order */
        double d, f, sp;
        CHECK_OK(ml_polar_distance(&Xi, &A, &d));
        CHECK_NEAR(r->dist, d / 4, 1e-12);
        CHECK_OK(ml_orth_error(&Xi, &f, &sp));
        CHECK_NEAR(r->orth_fro, f, 1e-12 * fmax(1, f));
        CHECK_NEAR(r->orth_spec, sp, 1e-12 * fmax(1, sp));
        CHECK_OK(ml_svd(&Xi, NULL, &sv, NULL));
        CHECK_NEAR(r->smax, ml_mat_get(&sv, 0, 0), 1e-12);
        CHECK_NEAR(r->smin, ml_mat_get(&sv, 15, 0), 1e-12);
        ml_schedule_free(&si);
        ml_mat_free(&Xi);
        ml_mat_free(&sv);
    }
    ml_tracer_free(&t);
    ml_schedule_free(&s);
    ml_mat_free(&X);
    ml_mat_free(&A);
}

TEST(tracer_spectral_records_every_step_in_time_order)
{
    ml_mat A = spectrum(24, 40, 10, 51), X = {0}, ref = {0};
    ml_spectral_newton_opts o;
    ml_spectral_newton_opts_default(&o);
    o.steps = 20;
    o.shift_rel = o.shift_abs = 0;
    ml_tracer t;
    CHECK_OK(ml_tracer_spectral_start(&t, &A, 0.5));
    o.trace = ml_tracer_spectral_hook;
    o.trace_ctx = &t;
    CHECK_OK(ml_spectral_newton(&X, &A, 0.5, &o));
    CHECK(t.n == 20);
    for (int i = 0; i < t.n && i < 20; i++) {
        CHECK(t.rec[i].step == i + 1);
        CHECK(t.rec[i].time >= (i ? t.rec[i - 1].time : 0));
        CHECK(isnan(t.rec[i].smin));   /* spectrum fields are for ns traces only */
    }
    /* the last estimate is the output but for the final symmetrisation: its distance to the
     * SVD result equals the output's (1e-13: cond 10, fp64, a converged iteration) */
    CHECK_OK(ml_spectral_svd(&ref, &A, 0.5, -1));
    double rn = ml_norm_fro(&ref);
    CHECK_OK(ml_axpy(&ref, -1.0, &X));
    if (t.n == 20) CHECK_NEAR(t.rec[19].dist, ml_norm_fro(&ref) / rn, 1e-13);
    CHECK(t.rec[0].dist > 0.1);   /* one step from Y_0 = W/||W||_F is far off */
    ml_tracer_free(&t);
    ml_mat_free(&ref);
    ml_mat_free(&X);
    ml_mat_free(&A);
}

TEST(choice_parsers_round_trip_and_name_the_choices)
{
    ml_sn_route r;
    CHECK_OK(ml_sn_route_parse("roots", &r));
    CHECK(r == ML_SN_ROOTS && !strcmp(ml_sn_route_name(r), "roots"));
    CHECK(ml_sn_route_parse("nope", &r) == ML_EINVAL && strstr(ml_errmsg(), "paper or roots"));
    ml_polar_method m;
    CHECK_OK(ml_polar_method_parse("eig", &m));
    CHECK(m == ML_POLAR_EIG && !strcmp(ml_polar_method_name(m), "eig"));
    CHECK(ml_polar_method_parse("qr", &m) == ML_EINVAL && strstr(ml_errmsg(), "svd, eig, qdwh, zolo, newton or auto"));
    ml_spectral_method sm = ML_SPECTRAL_SVD;
    CHECK_OK(ml_spectral_method_parse("newton", &sm));
    CHECK(sm == ML_SPECTRAL_NEWTON);
    CHECK_OK(ml_spectral_method_parse("eig", &sm));
    CHECK(sm == ML_SPECTRAL_EIG);
    CHECK(ml_spectral_method_parse("qr", &sm) == ML_EINVAL && strstr(ml_errmsg(), "svd, newton or eig"));
    ml_qr_method qm = ML_QR_HOUSEHOLDER;
    CHECK_OK(ml_qr_method_parse("rcholesky", &qm));
    CHECK(qm == ML_QR_RCHOLESKY);
    CHECK(ml_qr_method_parse("lq", &qm) == ML_EINVAL && strstr(ml_errmsg(), "householder or rcholesky"));
}
