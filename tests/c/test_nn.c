/* Tests of core/nn.c. References: straightforward loops written here (linear layer, embedding,
 * log-sum-exp in long double), closed forms (GELU values from the tanh formula evaluated
 * by Python's math module, softmax-CE of two-class logits), and central finite differences
 * in float64 for every backward kernel. */
#include "check.h"
#include "error.h"
#include "nn.h"
#include "ops.h"
#include "rng.h"
#include <string.h>

static void randmat(ml_mat *m, size_t r, size_t c, ml_dtype t, uint64_t seed)
{
    ml_rng g;
    ml_rng_seed(&g, seed);
    CHECK_OK(ml_mat_alloc(m, r, c, t));
    ml_rng_fill_normal(&g, m, 0, 1);
}

static double maxdiff(const ml_mat *a, const ml_mat *b)
{
    double d = 0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) d = fmax(d, fabs(ml_mat_get(a, i, j) - ml_mat_get(b, i, j)));
    return d;
}

/* Linear forward and backward against triple loops. float64: sums of 7 products of O(1)
 * numbers agree to a few ulps (1e-13); float32: 1e-5 (24-bit mantissa, 7 terms). */
static void linear_case(ml_dtype t, double tol)
{
    size_t B = 5, in = 7, out = 4;
    ml_mat X, W, b, Y, dY, dX, dW, db;
    randmat(&X, B, in, t, 1);
    randmat(&W, out, in, t, 2);
    randmat(&b, 1, out, t, 3);
    randmat(&dY, B, out, t, 4);
    CHECK_OK(ml_mat_alloc(&Y, B, out, t));
    CHECK_OK(ml_mat_alloc(&dX, B, in, t));
    CHECK_OK(ml_mat_alloc(&dW, out, in, t));
    CHECK_OK(ml_mat_alloc(&db, 1, out, t));
    CHECK_OK(ml_nn_linear_forward(&Y, &X, &W, &b));
    double e = 0;
    for (size_t i = 0; i < B; i++)
        for (size_t o = 0; o < out; o++) {
            double s = ml_mat_get(&b, 0, o);
            for (size_t k = 0; k < in; k++) s += ml_mat_get(&X, i, k) * ml_mat_get(&W, o, k);
            e = fmax(e, fabs(s - ml_mat_get(&Y, i, o)));
        }
    CHECK_NEAR(e, 0, tol);
    CHECK_OK(ml_nn_linear_backward(&dX, &dW, &db, &dY, &X, &W, 0));
    double ex = 0, ew = 0, eb = 0;
    for (size_t i = 0; i < B; i++)
        for (size_t k = 0; k < in; k++) {
            double s = 0;
            for (size_t o = 0; o < out; o++) s += ml_mat_get(&dY, i, o) * ml_mat_get(&W, o, k);
            ex = fmax(ex, fabs(s - ml_mat_get(&dX, i, k)));
        }
    for (size_t o = 0; o < out; o++) {
        double sb = 0;
        for (size_t i = 0; i < B; i++) sb += ml_mat_get(&dY, i, o);
        eb = fmax(eb, fabs(sb - ml_mat_get(&db, 0, o)));
        for (size_t k = 0; k < in; k++) {
            double s = 0;
            for (size_t i = 0; i < B; i++) s += ml_mat_get(&dY, i, o) * ml_mat_get(&X, i, k);
            ew = fmax(ew, fabs(s - ml_mat_get(&dW, o, k)));
        }
    }
    CHECK_NEAR(ex, 0, tol);
    CHECK_NEAR(ew, 0, tol);
    CHECK_NEAR(eb, 0, tol);
    /* accumulate: a second call doubles dW and db */
    ml_mat dW1, db1;
    CHECK_OK(ml_mat_clone(&dW1, &dW, t));
    CHECK_OK(ml_mat_clone(&db1, &db, t));
    CHECK_OK(ml_nn_linear_backward(NULL, &dW, &db, &dY, &X, &W, 1));
    ml_scale(&dW1, 2);
    ml_scale(&db1, 2);
    CHECK_NEAR(maxdiff(&dW, &dW1), 0, tol);
    CHECK_NEAR(maxdiff(&db, &db1), 0, tol);
    ml_mat *all[] = {&X, &W, &b, &Y, &dY, &dX, &dW, &db, &dW1, &db1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ml_mat_free(all[i]);
}

TEST(nn_linear_matches_loops)
{
    linear_case(ML_F64, 1e-13);
    linear_case(ML_F32, 1e-5);
}

TEST(nn_linear_checks_arguments)
{
    ml_mat X, W, Y;
    randmat(&X, 3, 4, ML_F64, 1);
    randmat(&W, 2, 5, ML_F64, 2);
    CHECK_OK(ml_mat_alloc(&Y, 3, 2, ML_F64));
    CHECK(ml_nn_linear_forward(&Y, &X, &W, NULL) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "linear_forward") && strstr(ml_errmsg(), "4 columns"));
    ml_mat_free(&W);
    randmat(&W, 2, 4, ML_F32, 2);
    CHECK(ml_nn_linear_forward(&Y, &X, &W, NULL) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "dtype"));
    ml_mat_free(&W);
    /* output aliasing the input: refused, BLAS would read what it writes */
    ml_mat V;
    randmat(&W, 4, 4, ML_F64, 2);
    CHECK_OK(ml_mat_view(&V, &X, 0, 0, 3, 4));
    CHECK(ml_nn_linear_forward(&V, &X, &W, NULL) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "storage"));
    ml_mat_free(&V);
    ml_mat_free(&X);
    ml_mat_free(&W);
    ml_mat_free(&Y);
}

/* Closed-form values of x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) from Python's math. */
TEST(nn_gelu_values_and_derivative)
{
    CHECK_NEAR(ml_nn_gelu(1.0), 0.8411919906082768, 1e-15);
    CHECK_NEAR(ml_nn_gelu(-1.0), -0.15880800939172324, 1e-15);
    CHECK_NEAR(ml_nn_gelu(0.5), 0.34571400982514394, 1e-15);
    CHECK_NEAR(ml_nn_gelu(3.0), 2.996362607918227, 1e-15);
    CHECK(ml_nn_gelu(0.0) == 0.0);
    CHECK_NEAR(ml_nn_gelu_grad(0.0), 0.5, 1e-16);
    /* Central differences, h = 1e-5: truncation h^2 |f'''|/6 < 1e-10 (|f'''| < 2), rounding
     * eps |f| / h < 1e-10 for |x| <= 12: tolerance 1e-9. Covers the |x| = 10 switch. */
    double worst = 0, h = 1e-5;
    for (double x = -12; x <= 12; x += 0.0625) {
        double fd = (ml_nn_gelu(x + h) - ml_nn_gelu(x - h)) / (2 * h);
        worst = fmax(worst, fabs(fd - ml_nn_gelu_grad(x)));
    }
    CHECK_NEAR(worst, 0, 1e-9);
    /* no overflow to NaN far out */
    CHECK(ml_nn_gelu(1e200) == 1e200 && ml_nn_gelu(-1e200) == 0.0);
    CHECK(ml_nn_gelu_grad(1e200) == 1.0 && ml_nn_gelu_grad(-1e200) == 0.0);
}

/* Elementwise kernels on matrices against the scalar functions; in place allowed. */
TEST(nn_activation_kernels)
{
    ml_mat X, Y, dY, dX;
    randmat(&X, 6, 5, ML_F64, 7);
    ml_scale(&X, 3);
    randmat(&dY, 6, 5, ML_F64, 8);
    CHECK_OK(ml_mat_alloc(&Y, 6, 5, ML_F64));
    CHECK_OK(ml_mat_alloc(&dX, 6, 5, ML_F64));
    CHECK_OK(ml_nn_gelu_forward(&Y, &X));
    CHECK_OK(ml_nn_gelu_backward(&dX, &dY, &X));
    double e = 0;
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 5; j++) {
            double x = ml_mat_get(&X, i, j);
            e = fmax(e, fabs(ml_mat_get(&Y, i, j) - ml_nn_gelu(x)));
            e = fmax(e, fabs(ml_mat_get(&dX, i, j) - ml_mat_get(&dY, i, j) * ml_nn_gelu_grad(x)));
        }
    CHECK(e == 0);
    CHECK_OK(ml_nn_relu_forward(&Y, &X));
    CHECK_OK(ml_nn_relu_backward(&dX, &dY, &X));
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 5; j++) {
            double x = ml_mat_get(&X, i, j);
            CHECK(ml_mat_get(&Y, i, j) == (x > 0 ? x : 0));
            CHECK(ml_mat_get(&dX, i, j) == (x > 0 ? ml_mat_get(&dY, i, j) : 0));
        }
    CHECK_OK(ml_nn_relu_backward(&dY, &dY, &X));   /* in place */
    CHECK(maxdiff(&dY, &dX) == 0);
    CHECK(ml_nn_gelu_backward(&X, &dY, &X) == ML_EINVAL);   /* dX may not be X */
    ml_mat_free(&X);
    ml_mat_free(&Y);
    ml_mat_free(&dY);
    ml_mat_free(&dX);
}

/* Reference loss: long-double log-sum-exp with the max shift. */
static double ce_ref(const ml_mat *Z, const ml_mat *y)
{
    long double tot = 0;
    for (size_t i = 0; i < Z->rows; i++) {
        long double m = ml_mat_get(Z, i, 0), s = 0;
        for (size_t j = 1; j < Z->cols; j++) m = fmaxl(m, ml_mat_get(Z, i, j));
        for (size_t j = 0; j < Z->cols; j++) s += expl(ml_mat_get(Z, i, j) - m);
        tot += m + logl(s) - ml_mat_get(Z, i, (size_t)ml_mat_get(y, i, 0));
    }
    return (double)(tot / Z->rows);
}

TEST(nn_softmax_ce_reference_and_gradient)
{
    size_t B = 4, K = 6;
    ml_mat Z, y, dZ;
    randmat(&Z, B, K, ML_F64, 11);
    ml_scale(&Z, 4);
    double lab[] = {0, 5, 2, 2};
    CHECK_OK(ml_mat_from_array(&y, B, 1, lab, ML_F64));
    CHECK_OK(ml_mat_alloc(&dZ, B, K, ML_F64));
    double loss;
    size_t nc;
    CHECK_OK(ml_nn_softmax_ce(&loss, &nc, &dZ, &Z, &y));
    CHECK_REL(loss, ce_ref(&Z, &y), 1e-14);
    /* central differences: the loss is smooth with |d3L| <= 1 per coordinate; h = 1e-5 gives
     * truncation ~1e-11 and rounding ~eps*L/h ~ 1e-11; relative 1e-6 as the brief asks */
    double h = 1e-5, worst = 0;
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < K; j++) {
            double z = ml_mat_get(&Z, i, j), lp, lm;
            ml_mat_set(&Z, i, j, z + h);
            CHECK_OK(ml_nn_softmax_ce(&lp, NULL, NULL, &Z, &y));
            ml_mat_set(&Z, i, j, z - h);
            CHECK_OK(ml_nn_softmax_ce(&lm, NULL, NULL, &Z, &y));
            ml_mat_set(&Z, i, j, z);
            double fd = (lp - lm) / (2 * h), g = ml_mat_get(&dZ, i, j);
            worst = fmax(worst, fabs(fd - g) / fmax(fabs(g), 1e-3));
        }
    CHECK_NEAR(worst, 0, 1e-6);
    /* accuracy count: argmax per row by hand */
    size_t c = 0;
    for (size_t i = 0; i < B; i++) {
        size_t a = 0;
        for (size_t j = 1; j < K; j++)
            if (ml_mat_get(&Z, i, j) > ml_mat_get(&Z, i, a)) a = j;
        c += a == (size_t)lab[i];
    }
    CHECK(nc == c);
    size_t nc2;
    CHECK_OK(ml_nn_count_correct(&nc2, &Z, &y));
    CHECK(nc2 == c);
    /* in place: dZ written over Z */
    CHECK_OK(ml_nn_softmax_ce(&loss, NULL, &Z, &Z, &y));
    CHECK(maxdiff(&Z, &dZ) == 0);
    ml_mat_free(&Z);
    ml_mat_free(&y);
    ml_mat_free(&dZ);
}

/* dZ against a long-double reference, float32 and float64, rows of 257 logits (vector loops and
 * their remainders) spread over +-30 around offsets 0 and 1e4. The gradient is e_j / (s B) with
 * e_j = exp(z_j - m), one exp per entry. float64: exp(x) has condition |x|, so z_j - m rounded
 * to double moves it by |z_j - m| eps/2; with libmvec's exp (< 2 ulp) and the products the bound
 * is (8 + |z_j - m|) eps. Forming exp(z_j - lse) instead carries lse = m + log s rounded, |m| eps
 * (1e-12 at 1e4), which this bound catches (the earlier code failed it by 80x). float32: z_j - m
 * is exact in double, the stored exp and the product round twice: 2 float ulps. The label's
 * entry (p - 1)/B cancels, so its error is measured against 1/B. */
TEST(nn_softmax_ce_gradient_against_long_double)
{
    size_t B = 5, K = 257;
    for (int ti = 0; ti < 2; ti++)
        for (int oi = 0; oi < 2; oi++) {
            ml_dtype t = ti ? ML_F32 : ML_F64;
            double off = oi ? 1e4 : 0;
            ml_mat Z, y, dZ;
            randmat(&Z, B, K, t, 31 + oi);
            CHECK_OK(ml_mat_alloc(&dZ, B, K, t));
            double lab[] = {0, 256, 100, 7, 255};
            CHECK_OK(ml_mat_from_array(&y, B, 1, lab, ML_F64));
            for (size_t i = 0; i < B; i++)
                for (size_t j = 0; j < K; j++) ml_mat_set(&Z, i, j, off + 30 * ml_mat_get(&Z, i, j));
            double loss;
            CHECK_OK(ml_nn_softmax_ce(&loss, NULL, &dZ, &Z, &y));
            long double lref = 0, worst = 0;
            for (size_t i = 0; i < B; i++) {
                long double m = -INFINITY, s = 0;
                for (size_t j = 0; j < K; j++) m = fmaxl(m, ml_mat_get(&Z, i, j));
                for (size_t j = 0; j < K; j++) s += expl(ml_mat_get(&Z, i, j) - m);
                lref += m + logl(s) - ml_mat_get(&Z, i, (size_t)lab[i]);
                for (size_t j = 0; j < K; j++) {
                    long double x = ml_mat_get(&Z, i, j) - m, ref = (expl(x) / s - (j == (size_t)lab[i])) / B;
                    long double scale = fabsl(ref) + (j == (size_t)lab[i] ? 1.0L / B : 0);
                    long double bound = ti ? 2 * 5.96e-8L * scale + 1.5e-45L : 2.22e-16L * (8 + fabsl(x)) * scale;
                    worst = fmaxl(worst, fabsl(ml_mat_get(&dZ, i, j) - ref) / bound);
                }
            }
            CHECK_REL(loss, (double)(lref / B), 1e-13);
            CHECK(worst <= 1);
            if (worst > 1) fprintf(stderr, "  dtype %s offset %g: %.3Lg of the bound\n", ti ? "f32" : "f64", off, worst);
            ml_mat_free(&Z);
            ml_mat_free(&y);
            ml_mat_free(&dZ);
        }
}

/* Two-class logits (a, 0): loss = log(1 + e^-a) for label 0 and a + log(1 + e^-a) for label 1.
 * Up to |a| = 1e300 nothing overflows: exp() only sees z - max <= 0. */
TEST(nn_softmax_ce_extreme_logits)
{
    double as[] = {1e3, 1e4, 1e300, -1e300, 745.2, 1e-300};
    for (size_t k = 0; k < sizeof as / sizeof *as; k++) {
        double a = as[k];
        double z[] = {a, 0, a, 0}, lab[] = {0, 1};
        ml_mat Z, y, dZ;
        CHECK_OK(ml_mat_from_array(&Z, 2, 2, z, ML_F64));
        CHECK_OK(ml_mat_from_array(&y, 2, 1, lab, ML_F64));
        CHECK_OK(ml_mat_alloc(&dZ, 2, 2, ML_F64));
        double loss;
        CHECK_OK(ml_nn_softmax_ce(&loss, NULL, &dZ, &Z, &y));
        double l0 = a > 0 ? log1p(exp(-a)) : -a + log1p(exp(a)), l1 = a + l0;
        CHECK(isfinite(loss));
        CHECK_REL(loss, (l0 + l1) / 2, 1e-15);
        for (size_t i = 0; i < 2; i++) {
            CHECK(isfinite(ml_mat_get(&dZ, i, 0)) && isfinite(ml_mat_get(&dZ, i, 1)));
            CHECK_NEAR(ml_mat_get(&dZ, i, 0) + ml_mat_get(&dZ, i, 1), 0, 1e-16);   /* rows of dZ sum to 0 */
        }
        ml_mat_free(&Z);
        ml_mat_free(&y);
        ml_mat_free(&dZ);
    }
}

TEST(nn_softmax_ce_checks_labels)
{
    ml_mat Z, y;
    randmat(&Z, 2, 3, ML_F64, 1);
    double bad[][2] = {{0, 3}, {0, -1}, {1.5, 0}, {NAN, 0}};
    for (int k = 0; k < 4; k++) {
        CHECK_OK(ml_mat_from_array(&y, 2, 1, bad[k], ML_F64));
        double loss;
        CHECK(ml_nn_softmax_ce(&loss, NULL, NULL, &Z, &y) == ML_EINVAL);
        CHECK(strstr(ml_errmsg(), "softmax_ce: label") && strstr(ml_errmsg(), "0..2"));
        ml_mat_free(&y);
    }
    CHECK_OK(ml_mat_alloc(&y, 3, 1, ML_F64));
    double loss;
    CHECK(ml_nn_softmax_ce(&loss, NULL, NULL, &Z, &y) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "labels must have 2 entries"));
    ml_mat_free(&y);
    ml_mat_free(&Z);
}

/* Embedding against a loop; backward is the adjoint of forward:
 * <dE, embed(C)> = <embed_backward(dE), C> (both are sums of the same products). */
TEST(nn_embedding_forward_backward)
{
    size_t B = 3, T = 4, V = 5, d = 2;
    double idv[] = {0, 1, 4, 4, 2, 2, 2, 0, 3, 1, 0, 4};
    ml_mat ids, C, E, dE, dC;
    CHECK_OK(ml_mat_from_array(&ids, B, T, idv, ML_F32));
    randmat(&C, V, d, ML_F64, 3);
    randmat(&dE, B, T * d, ML_F64, 4);
    CHECK_OK(ml_mat_alloc(&E, B, T * d, ML_F64));
    CHECK_OK(ml_mat_alloc(&dC, V, d, ML_F64));
    CHECK_OK(ml_nn_embed_forward(&E, &ids, &C));
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t k = 0; k < d; k++)
                CHECK(ml_mat_get(&E, b, t * d + k) == ml_mat_get(&C, (size_t)idv[b * T + t], k));
    CHECK_OK(ml_nn_embed_backward(&dC, &dE, &ids, 0));
    double lhs, rhs;
    CHECK_OK(ml_dot(&dE, &E, &lhs));
    CHECK_OK(ml_dot(&dC, &C, &rhs));
    CHECK_REL(lhs, rhs, 1e-14);
    /* token 2 appears only in row 2, three times: its gradient row is the sum of three slices */
    double s = ml_mat_get(&dE, 1, 0 * d) + ml_mat_get(&dE, 1, 1 * d) + ml_mat_get(&dE, 1, 2 * d);
    CHECK_NEAR(ml_mat_get(&dC, 2, 0), s, 1e-15);
    ml_mat_set(&ids, 2, 3, 5);   /* out of the vocabulary */
    CHECK(ml_nn_embed_forward(&E, &ids, &C) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "token id 5 at position 12"));
    ml_mat *all[] = {&ids, &C, &E, &dE, &dC};
    for (int i = 0; i < 5; i++) ml_mat_free(all[i]);
}

/* A two-layer network, L = CE(act(X W1^T + b1) W2^T + b2, y), against central differences
 * with h = 1e-6: the norm-wise relative error ||fd - g|| / ||g|| over all parameters must be
 * below 1e-6 (truncation h^2 ~ 1e-12; rounding eps L / h ~ 1e-10 per coordinate). GELU is
 * smooth; for ReLU the data keep every pre-activation at least 1e-3 from the kink (checked). */
static void twolayer_check(int gelu)
{
    size_t B = 3, in = 4, hid = 5, K = 3;
    ml_mat X, W1, b1, W2, b2, y, H, A, Z, dZ, dA, dH, dW1, db1, dW2, db2;
    randmat(&X, B, in, ML_F64, 21);
    randmat(&W1, hid, in, ML_F64, 22);
    randmat(&b1, 1, hid, ML_F64, 23);
    randmat(&W2, K, hid, ML_F64, 24);
    randmat(&b2, 1, K, ML_F64, 25);
    double lab[] = {2, 0, 1};
    CHECK_OK(ml_mat_from_array(&y, B, 1, lab, ML_F64));
    ml_mat *bufs[] = {&H, &A, &Z, &dZ, &dA, &dH, &dW1, &db1, &dW2, &db2};
    size_t shp[][2] = {{B, hid}, {B, hid}, {B, K}, {B, K}, {B, hid}, {B, hid}, {hid, in}, {1, hid}, {K, hid}, {1, K}};
    for (int i = 0; i < 10; i++) CHECK_OK(ml_mat_alloc(bufs[i], shp[i][0], shp[i][1], ML_F64));

#define FORWARD(lossp)                                                                  \
    do {                                                                                \
        CHECK_OK(ml_nn_linear_forward(&H, &X, &W1, &b1));                               \
        CHECK_OK(gelu ? ml_nn_gelu_forward(&A, &H) : ml_nn_relu_forward(&A, &H));       \
        CHECK_OK(ml_nn_linear_forward(&Z, &A, &W2, &b2));                               \
        CHECK_OK(ml_nn_softmax_ce(lossp, NULL, NULL, &Z, &y));                          \
    } while (0)

    double loss;
    FORWARD(&loss);
    double margin = INFINITY;
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < hid; j++) margin = fmin(margin, fabs(ml_mat_get(&H, i, j)));
    if (!gelu) CHECK(margin > 1e-3);
    CHECK_OK(ml_nn_softmax_ce(&loss, NULL, &dZ, &Z, &y));
    CHECK_OK(ml_nn_linear_backward(&dA, &dW2, &db2, &dZ, &A, &W2, 0));
    CHECK_OK(gelu ? ml_nn_gelu_backward(&dH, &dA, &H) : ml_nn_relu_backward(&dH, &dA, &H));
    CHECK_OK(ml_nn_linear_backward(NULL, &dW1, &db1, &dH, &X, &W1, 0));

    ml_mat *P[] = {&W1, &b1, &W2, &b2}, *G[] = {&dW1, &db1, &dW2, &db2};
    double h = 1e-6, err2 = 0, norm2 = 0;
    for (int p = 0; p < 4; p++)
        for (size_t i = 0; i < P[p]->rows; i++)
            for (size_t j = 0; j < P[p]->cols; j++) {
                double v = ml_mat_get(P[p], i, j), lp, lm;
                ml_mat_set(P[p], i, j, v + h);
                FORWARD(&lp);
                ml_mat_set(P[p], i, j, v - h);
                FORWARD(&lm);
                ml_mat_set(P[p], i, j, v);
                double fd = (lp - lm) / (2 * h), g = ml_mat_get(G[p], i, j);
                err2 += (fd - g) * (fd - g);
                norm2 += g * g;
            }
#undef FORWARD
    CHECK_NEAR(sqrt(err2 / norm2), 0, 1e-6);
    ml_mat *all[] = {&X, &W1, &b1, &W2, &b2, &y};
    for (int i = 0; i < 6; i++) ml_mat_free(all[i]);
    for (int i = 0; i < 10; i++) ml_mat_free(bufs[i]);
}

TEST(nn_two_layer_gradient_check)
{
    twolayer_check(1);
    twolayer_check(0);
}

TEST(nn_gather_and_randperm)
{
    ml_mat src, dst, P;
    randmat(&src, 10, 3, ML_F64, 5);
    CHECK_OK(ml_mat_alloc(&P, 10, 1, ML_F64));
    ml_rng r;
    ml_rng_seed(&r, 9);
    CHECK_OK(ml_nn_randperm(&P, &r));
    int seen[10] = {0};
    for (size_t i = 0; i < 10; i++) {
        double v = ml_mat_get(&P, i, 0);
        CHECK(v >= 0 && v < 10 && v == floor(v));
        if (v >= 0 && v < 10) seen[(int)v]++;
    }
    for (int i = 0; i < 10; i++) CHECK(seen[i] == 1);
    CHECK_OK(ml_mat_alloc(&dst, 4, 3, ML_F32));   /* dtypes may differ */
    CHECK_OK(ml_nn_gather_rows(&dst, &src, &P, 6));
    for (size_t r2 = 0; r2 < 4; r2++)
        for (size_t j = 0; j < 3; j++)
            CHECK(ml_mat_get(&dst, r2, j) == (double)(float)ml_mat_get(&src, (size_t)ml_mat_get(&P, 6 + r2, 0), j));
    CHECK(ml_nn_gather_rows(&dst, &src, &P, 7) == ML_EINVAL);   /* 4 rows from offset 7 need 11 indices */
    CHECK(strstr(ml_errmsg(), "need 11 indices"));
    ml_mat_free(&P);
    ml_mat_free(&src);
    ml_mat_free(&dst);
}

/* The float32 tanh of the GELU kernels (Eigen's rational form) against libm's tanh in double,
 * on a grid over [-12, 12] including the clamp: |error| < 5e-7 (measured 3.2e-7: ~5 float ulps of 1). */
TEST(nn_tanh_f32_accuracy)
{
    double worst = 0;
    for (int k = -120000; k <= 120000; k++) {
        float x = (float)(k * 1e-4);
        worst = fmax(worst, fabs((double)ml_nn_tanh_f32(x) - tanh((double)x)));
    }
    CHECK_NEAR(worst, 0, 5e-7);
}

/* ReLU forward/backward run their rows with omp simd: in place (the same view) gives the plain
 * rule, NaN passes the forward; an output shifted over its input is refused, not silently wrong. */
TEST(relu_in_place_and_overlap)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        ml_mat A, G;
        CHECK_OK(ml_mat_alloc(&A, 3, 37, dt));
        CHECK_OK(ml_mat_alloc(&G, 3, 37, dt));
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 37; j++) {
                ml_mat_set(&A, i, j, ((i * 37 + j) % 5) - 2.0);
                ml_mat_set(&G, i, j, 1.0 + (double)j);
            }
        ml_mat_set(&A, 1, 5, NAN);
        ml_mat X0;
        CHECK_OK(ml_mat_clone(&X0, &A, dt));
        CHECK_OK(ml_nn_relu_backward(&G, &G, &A));   /* dX = dY in place */
        CHECK_OK(ml_nn_relu_forward(&A, &A));
        int ok = 1;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 37; j++) {
                double x = ml_mat_get(&X0, i, j), y = ml_mat_get(&A, i, j), g = ml_mat_get(&G, i, j);
                ok &= (x != x) ? (y != y) : y == (x > 0 ? x : 0.0);
                ok &= g == (x > 0 ? 1.0 + (double)j : 0.0);   /* NaN > 0 is false: 0 */
            }
        CHECK(ok);
        ml_mat S = A;   /* the same storage one element on */
        S.cols = 36;
        S.data = (char *)A.data + ml_dtype_size(dt);
        ml_mat V = A;
        V.cols = 36;
        CHECK(ml_nn_relu_forward(&S, &V) == ML_EINVAL);
        CHECK(ml_nn_relu_backward(&S, &V, &V) == ML_EINVAL);
        ml_mat_free(&A);
        ml_mat_free(&G);
        ml_mat_free(&X0);
    }
}
