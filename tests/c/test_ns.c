/* Newton-Schulz against its scalar map: on A = Q1 diag(d) Q2^T the iteration must give
 * Q1 diag(f(d / (||d|| + eps))) Q2^T, f the composed polynomial of the schedule. */
#include "check.h"
#include "coeffs.h"
#include "error.h"
#include "matrix.h"
#include "ns.h"
#include "ops.h"
#include "rng.h"

static void check_against_scalar_map(const char *name, int steps, size_t m, size_t n, ml_dtype t, double tol)
{
    ml_rng r;
    ml_rng_seed(&r, 21);
    size_t k = m < n ? m : n;
    ml_mat Q1, Q2, A, W, X, E;
    CHECK_OK(ml_random_orthogonal(&Q1, m, k, ML_F64, &r));
    CHECK_OK(ml_random_orthogonal(&Q2, n, k, ML_F64, &r));
    double d[64], fro = 0;
    for (size_t i = 0; i < k; i++) {
        d[i] = pow(10.0, -3.0 * (double)i / (double)(k - 1));   /* 1 .. 1e-3 */
        fro += d[i] * d[i];
    }
    fro = sqrt(fro);
    ml_schedule sch;
    CHECK_OK(ml_schedule_named(&sch, name, steps));
    ml_ns_opts o;
    ml_ns_opts_default(&o);
    CHECK_OK(ml_mat_clone(&W, &Q1, ML_F64));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < m; i++) ml_mat_set(&W, i, j, ml_mat_get(&Q1, i, j) * d[j]);
    CHECK_OK(ml_mat_alloc(&A, m, n, ML_F64));
    CHECK_OK(ml_gemm(&A, 1.0, &W, ML_NOTRANS, &Q2, ML_TRANS, 0.0));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < m; i++)
            ml_mat_set(&W, i, j, ml_mat_get(&Q1, i, j) * ml_schedule_apply(&sch, d[j] / (fro + o.eps)));
    CHECK_OK(ml_mat_alloc(&E, m, n, ML_F64));
    CHECK_OK(ml_gemm(&E, 1.0, &W, ML_NOTRANS, &Q2, ML_TRANS, 0.0));
    ml_mat At;
    CHECK_OK(ml_mat_clone(&At, &A, t));
    X = (ml_mat){0};
    CHECK_OK(ml_ns(&X, &At, &sch, &o, NULL));
    ml_mat Xd;
    CHECK_OK(ml_mat_clone(&Xd, &X, ML_F64));
    CHECK_OK(ml_axpy(&Xd, -1.0, &E));
    CHECK_NEAR(ml_norm_maxabs(&Xd), 0, tol);
    ml_schedule_free(&sch);
    ml_mat_free(&Q1), ml_mat_free(&Q2), ml_mat_free(&A), ml_mat_free(&W), ml_mat_free(&X), ml_mat_free(&E),
        ml_mat_free(&At), ml_mat_free(&Xd);
}

/* fp64: rounding of ~steps products of size k, well below 1e-12. fp32: ~1e-5 after 5 steps
 * because each step's polynomial amplifies the relative error of small singular values. */
TEST(ns_matches_scalar_map_wide_f64) { check_against_scalar_map("quintic", 8, 12, 30, ML_F64, 1e-12); }
TEST(ns_matches_scalar_map_tall_f64) { check_against_scalar_map("jordan", 5, 30, 12, ML_F64, 1e-12); }
TEST(ns_matches_scalar_map_cubic_f64) { check_against_scalar_map("cubic", 12, 16, 16, ML_F64, 1e-12); }
TEST(ns_matches_scalar_map_septic_f64) { check_against_scalar_map("septic", 6, 10, 20, ML_F64, 1e-12); }
TEST(ns_matches_scalar_map_you_f32) { check_against_scalar_map("you", 6, 20, 40, ML_F32, 2e-5); }

TEST(ns_workspace_is_reused)
{
    ml_rng r;
    ml_rng_seed(&r, 4);
    ml_mat G, X = {0};
    CHECK_OK(ml_mat_alloc(&G, 32, 64, ML_F32));
    ml_rng_fill_normal(&r, &G, 0, 1);
    ml_schedule sch;
    CHECK_OK(ml_schedule_named(&sch, "jordan", 5));
    ml_ns_work w;
    ml_ns_work_init(&w);
    CHECK_OK(ml_ns(&X, &G, &sch, NULL, &w));
    void *px = w.X.buf, *pa = w.A.buf, *out = X.data;
    for (int i = 0; i < 3; i++) CHECK_OK(ml_ns(&X, &G, &sch, NULL, &w));
    CHECK(w.A.buf == pa);
    CHECK(w.X.buf == px || w.Y.buf == px);   /* X and Y swap roles each step */
    CHECK(X.data == out);
    ml_ns_work_free(&w);
    ml_schedule_free(&sch);
    ml_mat_free(&G);
    ml_mat_free(&X);
}

TEST(ns_rejects_nonfinite)
{
    ml_mat G, X = {0};
    CHECK_OK(ml_mat_alloc(&G, 3, 4, ML_F64));
    ml_mat_set(&G, 0, 0, INFINITY);
    ml_schedule sch;
    CHECK_OK(ml_schedule_named(&sch, "quintic", 5));
    CHECK(ml_ns(&X, &G, &sch, NULL, NULL) == ML_ENUM);
    ml_schedule_free(&sch);
    ml_mat_free(&G);
}

TEST(schedule_named_tables)
{
    ml_schedule s;
    CHECK_OK(ml_schedule_named(&s, "polar_express", 10));
    CHECK(s.steps == 10 && s.terms == 3);
    CHECK_NEAR(s.c[0], 8.28721201814563, 0);
    CHECK_NEAR(s.c[9 * 3 + 0], 1.875, 0);   /* beyond the table the last row repeats */
    ml_schedule_free(&s);
    CHECK(ml_schedule_named(&s, "nonsense", 5) == ML_EINVAL);
    /* quintic's fixed point is 1 */
    CHECK_OK(ml_schedule_named(&s, "quintic", 1));
    CHECK_NEAR(ml_schedule_apply(&s, 1.0), 1.0, 1e-15);
    ml_schedule_free(&s);
}
