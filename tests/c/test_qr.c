/* Thin QR (core/qr.c): a 2 x 2 worked by hand, random tall / wide / float32 matrices against
 * their own reconstruction and orthogonality, diag(R) >= 0 and the zeros below it, and the
 * randomised Cholesky-QR against Householder (the factorisation with diag(R) > 0 is unique). */
#include "check.h"
#include "error.h"
#include "matrix.h"
#include "ops.h"
#include "qr.h"
#include "rng.h"

static double recon_err(const ml_mat *A, const ml_mat *Q, const ml_mat *R)
{
    ml_mat P = {0};
    CHECK_OK(ml_mat_alloc(&P, A->rows, A->cols, ML_F64));
    double d = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) {
            double s = 0;
            for (size_t k = 0; k < Q->cols; k++) s += ml_mat_get(Q, i, k) * ml_mat_get(R, k, j);
            d = fmax(d, fabs(s - ml_mat_get(A, i, j)));
        }
    ml_mat_free(&P);
    return d;
}

static double orth_err(const ml_mat *Q)
{
    double d = 0;
    for (size_t a = 0; a < Q->cols; a++)
        for (size_t b = 0; b < Q->cols; b++) {
            double s = 0;
            for (size_t i = 0; i < Q->rows; i++) s += ml_mat_get(Q, i, a) * ml_mat_get(Q, i, b);
            d = fmax(d, fabs(s - (a == b)));
        }
    return d;
}

TEST(qr_by_hand)
{
    /* A = [3 1; 4 2]: q1 = (3, 4)/5, R11 = 5, R12 = q1 . (1, 2) = 2.2, the remainder
     * (1, 2) - 2.2 q1 = (-0.32, 0.24) has norm 0.4 = R22, q2 = (-0.8, 0.6) */
    ml_mat A = {0}, Q = {0}, R = {0};
    CHECK_OK(ml_mat_alloc(&A, 2, 2, ML_F64));
    ml_mat_set(&A, 0, 0, 3), ml_mat_set(&A, 0, 1, 1), ml_mat_set(&A, 1, 0, 4), ml_mat_set(&A, 1, 1, 2);
    CHECK_OK(ml_qr(&A, &Q, &R));
    const double q[4] = {0.6, -0.8, 0.8, 0.6}, r[4] = {5, 2.2, 0, 0.4};
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(ml_mat_get(&Q, k / 2, k % 2), q[k], 1e-15);
        CHECK_NEAR(ml_mat_get(&R, k / 2, k % 2), r[k], 1e-14);
    }
    ml_mat_free(&A), ml_mat_free(&Q), ml_mat_free(&R);
}

TEST(qr_random_shapes)
{
    const size_t shapes[][2] = {{9, 4}, {4, 9}, {6, 6}, {1, 5}, {5, 1}};
    for (int t = 0; t < 2; t++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            ml_dtype dt = t ? ML_F32 : ML_F64;
            double tol = t ? 5e-6 : 1e-14;   /* a few ulps of entries of size ~3 */
            ml_rng g;
            ml_rng_seed(&g, 3 + s);
            ml_mat A = {0}, Q = {0}, R = {0};
            size_t m = shapes[s][0], n = shapes[s][1], k = m < n ? m : n;
            CHECK_OK(ml_mat_alloc(&A, m, n, dt));
            ml_rng_fill_normal(&g, &A, 0, 1);
            CHECK_OK(ml_qr(&A, &Q, &R));
            CHECK(Q.rows == m && Q.cols == k && R.rows == k && R.cols == n && Q.dtype == dt);
            CHECK(recon_err(&A, &Q, &R) < tol);
            CHECK(orth_err(&Q) < tol);
            for (size_t i = 0; i < k; i++) {
                CHECK(ml_mat_get(&R, i, i) >= 0);
                for (size_t j = 0; j < i; j++) CHECK(ml_mat_get(&R, i, j) == 0);
            }
            ml_mat_free(&A), ml_mat_free(&Q), ml_mat_free(&R);
        }
}

TEST(qr_rcholesky_matches_householder)
{
    ml_rng g;
    ml_rng_seed(&g, 11);
    ml_mat A = {0}, Q = {0}, R = {0}, Q2 = {0}, R2 = {0};
    CHECK_OK(ml_mat_alloc(&A, 300, 7, ML_F64));
    ml_rng_fill_normal(&g, &A, 0, 1);
    CHECK_OK(ml_qr(&A, &Q, &R));
    CHECK_OK(ml_qr_rcholesky(&A, &Q2, &R2, 1.25, &g));
    /* both are the unique factorisation with diag(R) > 0; a well-conditioned Gaussian 300 x 7
     * (condition ~1.4) keeps Cholesky-QR's error at a few ulps times cond^2 */
    CHECK(recon_err(&A, &Q2, &R2) < 1e-13);
    CHECK(orth_err(&Q2) < 1e-14);
    double d = 0;
    for (size_t i = 0; i < 300; i++)
        for (size_t j = 0; j < 7; j++) d = fmax(d, fabs(ml_mat_get(&Q, i, j) - ml_mat_get(&Q2, i, j)));
    CHECK(d < 1e-13);
    /* wide input and oversample < 1 are refused */
    ml_mat W = {0}, Q3 = {0}, R3 = {0};
    CHECK_OK(ml_mat_alloc(&W, 3, 5, ML_F64));
    CHECK(ml_qr_rcholesky(&W, &Q3, &R3, 1.25, &g) == ML_EINVAL);
    CHECK(ml_qr_rcholesky(&A, &Q3, &R3, 0.5, &g) == ML_EINVAL);
    /* a rank-deficient tall matrix fails cleanly (not positive definite) */
    ml_mat Z = {0};
    CHECK_OK(ml_mat_alloc(&Z, 200, 3, ML_F64));
    for (size_t i = 0; i < 200; i++) ml_mat_set(&Z, i, 0, 1.0);
    CHECK(ml_qr_rcholesky(&Z, &Q3, &R3, 1.25, &g) != ML_OK);
    ml_mat_free(&A), ml_mat_free(&Q), ml_mat_free(&R), ml_mat_free(&Q2), ml_mat_free(&R2);
    ml_mat_free(&W), ml_mat_free(&Z);
}
