/* Optimizer kernels (core/optim_prims.c) against slow straightforward loops written here:
 * reductions, median (against a full insertion sort), broadcasts, maps, fused Adam. float64
 * results must agree to a few ulps (the same operations in a different order); float32 ones to
 * float32 rounding. Views (stride > cols) exercise the row addressing. */
#include "check.h"
#include "error.h"
#include "matrix.h"
#include "optim_prims.h"
#include "parallel.h"
#include "threads.h"
#include "ops.h"
#include "rng.h"
#include <stdlib.h>
#include <string.h>

static void randmat(ml_mat *A, size_t r, size_t c, ml_dtype t, uint64_t seed)
{
    ml_rng g;
    ml_rng_seed(&g, seed);
    CHECK_OK(ml_mat_alloc(A, r, c, t));
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++) ml_mat_set(A, i, j, ml_rng_normal(&g));
}

/* A view of the inner r x c block of a larger matrix: stride != cols. */
static void randview(ml_mat *V, ml_mat *parent, size_t r, size_t c, ml_dtype t, uint64_t seed)
{
    randmat(parent, r + 2, c + 3, t, seed);
    CHECK_OK(ml_mat_view(V, parent, 1, 2, r, c));
}

static double maxdiff(const ml_mat *X, const ml_mat *Y)
{
    double d = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) d = fmax(d, fabs(ml_mat_get(X, i, j) - ml_mat_get(Y, i, j)));
    return d;
}

TEST(optim_reduce_matches_loops)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        /* float64: sums of <= 9 terms of size ~1 agree to ~1e-15; float32 outputs add one rounding */
        double tol = t ? 1e-5 : 1e-14;
        ml_mat P = {0}, A = {0};
        randview(&A, &P, 7, 9, dt, 11 + t);
        for (int per_row = 0; per_row < 2; per_row++)
            for (int sq = 0; sq < 2; sq++)
                for (int mean = 0; mean < 2; mean++) {
                    ml_mat out = {0};
                    CHECK_OK(ml_mat_alloc(&out, per_row ? 7 : 1, per_row ? 1 : 9, dt));
                    CHECK_OK(ml_optim_reduce(&out, &A, per_row, sq, mean));
                    for (size_t k = 0; k < (per_row ? 7u : 9u); k++) {
                        double s = 0;
                        size_t n = per_row ? 9 : 7;
                        for (size_t l = 0; l < n; l++) {
                            double x = per_row ? ml_mat_get(&A, k, l) : ml_mat_get(&A, l, k);
                            s += sq ? x * x : x;
                        }
                        if (mean) s /= (double)n;
                        double got = per_row ? ml_mat_get(&out, k, 0) : ml_mat_get(&out, 0, k);
                        CHECK_NEAR(got, s, tol * (1 + fabs(s)));
                    }
                    ml_mat_free(&out);
                }
        ml_mat bad = {0};
        CHECK_OK(ml_mat_alloc(&bad, 7, 2, dt));
        CHECK(ml_optim_reduce(&bad, &A, 1, 1, 0) == ML_EINVAL);
        ml_mat_free(&bad);
        ml_mat_free(&A);
        ml_mat_free(&P);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median by a full sort: the reference for quickselect. */
static double sorted_median(const ml_mat *A)
{
    size_t n = A->rows * A->cols, k = 0;
    double *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) a[k++] = ml_mat_get(A, i, j);
    qsort(a, n, sizeof *a, cmp_double);
    double m = n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    free(a);
    return m;
}

TEST(optim_median_matches_sort)
{
    ml_mat W = {0};
    CHECK_OK(ml_mat_alloc(&W, 400, 1, ML_F64));
    ml_rng g;
    ml_rng_seed(&g, 5);
    /* odd and even counts, ties (entries rounded to a few values), sorted and reversed input */
    for (int trial = 0; trial < 60; trial++) {
        size_t r = 1 + (size_t)(ml_rng_uniform(&g) * 12), c = 1 + (size_t)(ml_rng_uniform(&g) * 30);
        ml_mat A = {0};
        CHECK_OK(ml_mat_alloc(&A, r, c, trial % 3 ? ML_F64 : ML_F32));
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                double x = ml_rng_normal(&g);
                if (trial % 4 == 1) x = round(2 * x);                      /* many ties */
                if (trial % 4 == 2) x = (double)(i * c + j);               /* sorted */
                if (trial % 4 == 3) x = -(double)(i * c + j);              /* reversed */
                ml_mat_set(&A, i, j, x);
            }
        double med;
        CHECK_OK(ml_optim_median(&A, &W, &med));
        CHECK(med == sorted_median(&A));   /* both are the same element (or the same mean of two) */
        ml_mat_free(&A);
    }
    ml_mat A = {0}, small = {0};
    CHECK_OK(ml_mat_alloc(&A, 3, 3, ML_F64));
    CHECK_OK(ml_mat_alloc(&small, 8, 1, ML_F64));
    double med;
    CHECK(ml_optim_median(&A, &small, &med) == ML_EINVAL);   /* workspace too small */
    ml_mat_set(&A, 1, 1, NAN);
    CHECK(ml_optim_median(&A, &W, &med) == ML_ENUM);
    ml_mat_free(&A);
    ml_mat_free(&small);
    ml_mat_free(&W);
}

TEST(optim_scale_rows_cols)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        ml_mat P = {0}, A = {0}, R = {0}, vr = {0}, vc = {0};
        randview(&A, &P, 4, 5, dt, 21 + t);
        CHECK_OK(ml_mat_clone(&R, &A, ML_F64));
        randmat(&vr, 4, 1, ML_F64, 31);
        randmat(&vc, 1, 5, dt, 32);   /* a row vector for the columns */
        CHECK_OK(ml_optim_scale(&A, &vr, 1));
        CHECK_OK(ml_optim_scale(&A, &vc, 0));
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 5; j++) ml_mat_set(&R, i, j, ml_mat_get(&R, i, j) * ml_mat_get(&vr, i, 0) * ml_mat_get(&vc, 0, j));
        CHECK(maxdiff(&A, &R) <= (t ? 1e-5 : 1e-15) * (1 + ml_norm_maxabs(&R)));
        /* the parent outside the view is untouched: its first row is still the random one */
        ml_mat Q = {0};
        randmat(&Q, 6, 8, dt, 21 + t);
        for (size_t j = 0; j < 8; j++) CHECK(ml_mat_get(&P, 0, j) == ml_mat_get(&Q, 0, j));
        CHECK(ml_optim_scale(&A, &vc, 1) == ML_EINVAL);   /* 5 entries for 4 rows */
        ml_mat_free(&Q);
        ml_mat_free(&A);
        ml_mat_free(&P);
        ml_mat_free(&R);
        ml_mat_free(&vr);
        ml_mat_free(&vc);
    }
}

TEST(optim_maps)
{
    ml_mat A = {0}, B = {0};
    randmat(&A, 3, 7, ML_F64, 41);
    struct { ml_map_op op; double a, b; } cases[] = {
        {ML_MAP_SIGN, 0, 0}, {ML_MAP_ABS, 0, 0},    {ML_MAP_CLIP, -0.5, 0.25}, {ML_MAP_POW, -1, 10},
        {ML_MAP_POW, 0.5, 10}, {ML_MAP_POW, -0.5, 10}, {ML_MAP_POW, 1.5, 10},  {ML_MAP_LOG1P, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK_OK(ml_mat_clone(&B, &A, ML_F64));
        if (cases[c].op == ML_MAP_LOG1P) CHECK_OK(ml_optim_map(&B, ML_MAP_ABS, 0, 0));
        CHECK_OK(ml_optim_map(&B, cases[c].op, cases[c].a, cases[c].b));
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 7; j++) {
                double x = ml_mat_get(&A, i, j), want = 0;
                switch (cases[c].op) {
                case ML_MAP_SIGN: want = x > 0 ? 1 : -1; break;
                case ML_MAP_ABS: want = fabs(x); break;
                case ML_MAP_CLIP: want = fmin(fmax(x, -0.5), 0.25); break;
                case ML_MAP_POW: want = pow(x + 10, cases[c].a); break;
                case ML_MAP_LOG1P: want = log(1 + fabs(x)); break;
                default: break;
                }
                /* pow and log differ from the special-cased sqrt/1/x/log1p by an ulp or two */
                CHECK_NEAR(ml_mat_get(&B, i, j), want, 4e-16 * (1 + fabs(want)));
            }
        ml_mat_free(&B);
    }
    CHECK_OK(ml_mat_clone(&B, &A, ML_F64));
    ml_mat_set(&B, 0, 0, 0.0);
    CHECK_OK(ml_optim_map(&B, ML_MAP_SIGN, 0, 0));
    CHECK(ml_mat_get(&B, 0, 0) == 0.0);   /* sign(0) = 0 */
    CHECK(ml_optim_map(&B, ML_MAP_CLIP, 1, -1) == ML_EINVAL);
    ml_mat_free(&B);
    ml_mat_free(&A);
}

TEST(optim_adam_fused_matches_loops)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        double tol = t ? 2e-6 : 1e-15;   /* float32: one rounding per stored value */
        ml_mat m = {0}, v = {0}, g = {0}, d = {0}, M = {0}, V = {0};
        randmat(&m, 5, 6, dt, 51);
        randmat(&v, 5, 6, dt, 52);
        randmat(&g, 5, 6, dt, 53);
        CHECK_OK(ml_optim_map(&v, ML_MAP_ABS, 0, 0));
        CHECK_OK(ml_mat_clone(&M, &m, ML_F64));
        CHECK_OK(ml_mat_clone(&V, &v, ML_F64));
        CHECK_OK(ml_optim_adam_moments(&m, &v, &g, 0.9, 0.999));
        CHECK_OK(ml_mat_alloc(&d, 5, 6, dt));
        const double c1 = 1 - 0.9 * 0.9, c2 = 1 - 0.999 * 0.999, eps = 1e-3;
        for (int q2 = 0; q2 < 2; q2++) {
            double q = q2 ? 0.5 : 1.0;
            CHECK_OK(ml_optim_adam_dir(&d, &m, &v, c1, c2, eps, q));
            for (size_t i = 0; i < 5; i++)
                for (size_t j = 0; j < 6; j++) {
                    double x = ml_mat_get(&g, i, j);
                    double mm = 0.9 * ml_mat_get(&M, i, j) + 0.1 * x;
                    double vv = 0.999 * ml_mat_get(&V, i, j) + 0.001 * x * x;
                    CHECK_NEAR(ml_mat_get(&m, i, j), mm, tol * (1 + fabs(mm)));
                    CHECK_NEAR(ml_mat_get(&v, i, j), vv, tol * (1 + fabs(vv)));
                    double want = (mm / c1) / pow(sqrt(vv / c2) + eps, q);
                    CHECK_NEAR(ml_mat_get(&d, i, j), want, 4 * tol * (1 + fabs(want)));
                }
        }
        ml_mat wrong = {0};
        CHECK_OK(ml_mat_alloc(&wrong, 6, 5, dt));
        CHECK(ml_optim_adam_moments(&m, &v, &wrong, 0.9, 0.99) == ML_EINVAL);
        CHECK(ml_optim_adam_dir(&wrong, &m, &v, 1, 1, 0, 1) == ML_EINVAL);
        ml_mat_free(&wrong);
        ml_mat *all[] = {&m, &v, &g, &d, &M, &V};
        for (size_t k = 0; k < 6; k++) ml_mat_free(all[k]);
    }
}

/* Momentum and its look-ahead in one pass against the two passes it replaces, written here as
 * loops with axpby's arithmetic (each line in double, rounded once to the storage): equal bit for
 * bit, in float32 and float64, on views (stride > cols) with a column count that leaves a vector
 * remainder; without out only mu moves. NaN in g propagates to both outputs; shapes, dtypes and
 * shared storage are refused. */
TEST(optim_momentum_matches_two_passes)
{
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F32 : ML_F64;
        ml_mat P1, P2, P3, mu, out, g, mu2, out2;
        double beta = 0.95, a = beta / (1 - pow(beta, 8)), b = (1 - beta) / (1 - pow(beta, 7));
        randview(&mu, &P1, 13, 37, t, 5);
        randview(&out, &P2, 13, 37, t, 6);
        randview(&g, &P3, 13, 37, t, 7);
        CHECK_OK(ml_mat_clone(&mu2, &mu, t));
        CHECK_OK(ml_mat_clone(&out2, &out, t));
        for (size_t i = 0; i < 13; i++)
            for (size_t j = 0; j < 37; j++) {
                double m = beta * ml_mat_get(&mu2, i, j) + (1 - beta) * ml_mat_get(&g, i, j);
                if (ti) m = (float)m;
                ml_mat_set(&mu2, i, j, m);
                ml_mat_set(&out2, i, j, a * m + b * ml_mat_get(&g, i, j));
            }
        CHECK_OK(ml_optim_momentum(&mu, &out, &g, beta, a, b));
        CHECK(maxdiff(&mu, &mu2) == 0 && maxdiff(&out, &out2) == 0);
        /* without out: mu alone, out untouched */
        CHECK_OK(ml_mat_copy(&out2, &out));
        for (size_t i = 0; i < 13; i++)
            for (size_t j = 0; j < 37; j++) {
                double m = beta * ml_mat_get(&mu2, i, j) + (1 - beta) * ml_mat_get(&g, i, j);
                ml_mat_set(&mu2, i, j, ti ? (float)m : m);
            }
        CHECK_OK(ml_optim_momentum(&mu, NULL, &g, beta, 0, 0));
        CHECK(maxdiff(&mu, &mu2) == 0 && maxdiff(&out, &out2) == 0);
        /* NaN in g: both outputs NaN at that entry, the rest finite */
        ml_mat_set(&g, 2, 3, NAN);
        CHECK_OK(ml_optim_momentum(&mu, &out, &g, beta, a, b));
        CHECK(isnan(ml_mat_get(&mu, 2, 3)) && isnan(ml_mat_get(&out, 2, 3)) && isfinite(ml_mat_get(&out, 2, 4)));
        /* refused: shapes, dtypes, shared storage (g as mu, out as g, out inside mu's parent) */
        ml_mat small, other, inner;
        CHECK_OK(ml_mat_alloc(&small, 13, 36, t));
        CHECK_OK(ml_mat_alloc(&other, 13, 37, ti ? ML_F64 : ML_F32));
        CHECK(ml_optim_momentum(&mu, &out, &small, beta, a, b) == ML_EINVAL);
        CHECK(ml_optim_momentum(&mu, &other, &g, beta, a, b) == ML_EINVAL);
        CHECK(ml_optim_momentum(&mu, NULL, &mu, beta, 0, 0) == ML_EINVAL);
        CHECK(strstr(ml_errmsg(), "momentum shares storage with the gradient") != NULL);
        CHECK(ml_optim_momentum(&mu, &g, &g, beta, a, b) == ML_EINVAL);
        CHECK_OK(ml_mat_view(&inner, &P1, 0, 0, 13, 37));   /* mu's shape, overlapping mu */
        CHECK(ml_optim_momentum(&mu, &inner, &g, beta, a, b) == ML_EINVAL);
        CHECK(strstr(ml_errmsg(), "output shares storage with the momentum") != NULL);
        ml_mat *all[] = {&mu, &out, &g, &inner, &P1, &P2, &P3, &mu2, &out2, &small, &other};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) ml_mat_free(all[k]);
    }
}

/* The elementwise passes from ML_PARALLEL_ELEMENTS entries run on the pool: axpby, hadamard,
 * scale and momentum on a 301 x 263 view (79163 entries, odd sizes, stride > cols) at 2 threads
 * against loops with the same arithmetic, bit for bit; the spare columns of the parent stay as
 * they were (no part writes outside its rows' columns). */
TEST(optim_elementwise_parallel_matches_loops)
{
    int n0 = ml_threads_get();
    if (ml_threads_set(2)) {
        printf("note: no second thread here; the parallel passes are not exercised\n");
        return;
    }
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F32 : ML_F64;
        size_t r = 301, c = 263;
        ml_mat PZ, PX, PY, Z, X, Y, R, spare;
        randview(&Z, &PZ, r, c, t, 11);
        randview(&X, &PX, r, c, t, 12);
        randview(&Y, &PY, r, c, t, 13);
        CHECK(r * c >= ML_PARALLEL_ELEMENTS);
        CHECK_OK(ml_mat_clone(&spare, &PZ, t));
        CHECK_OK(ml_mat_clone(&R, &Z, t));
        double a = 0.3, b = -1.7;
        CHECK_OK(ml_axpby(&Z, a, &X, b, &Y));
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                double v = a * ml_mat_get(&X, i, j) + b * ml_mat_get(&Y, i, j);
                ml_mat_set(&R, i, j, ti ? (float)v : v);
            }
        CHECK(maxdiff(&Z, &R) == 0);
        CHECK_OK(ml_hadamard(&Z, &X, &Y));
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                double v = ml_mat_get(&X, i, j) * ml_mat_get(&Y, i, j);
                ml_mat_set(&R, i, j, ti ? (float)v : v);
            }
        CHECK(maxdiff(&Z, &R) == 0);
        ml_scale(&Z, 3.1);
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                double v = 3.1 * ml_mat_get(&R, i, j);
                ml_mat_set(&R, i, j, ti ? (float)v : v);
            }
        CHECK(maxdiff(&Z, &R) == 0);
        /* momentum: Z is mu, X the gradient, Y the look-ahead */
        ml_mat M2, O2;
        CHECK_OK(ml_mat_clone(&M2, &Z, t));
        CHECK_OK(ml_mat_clone(&O2, &Y, t));
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                double m = 0.9 * ml_mat_get(&M2, i, j) + (1 - 0.9) * ml_mat_get(&X, i, j);
                if (ti) m = (float)m;
                ml_mat_set(&M2, i, j, m);
                ml_mat_set(&O2, i, j, 0.5 * m + 0.25 * ml_mat_get(&X, i, j));
            }
        CHECK_OK(ml_optim_momentum(&Z, &Y, &X, 0.9, 0.5, 0.25));
        CHECK(maxdiff(&Z, &M2) == 0 && maxdiff(&Y, &O2) == 0);
        /* the parent's border around Z untouched */
        int border = 1;
        for (size_t i = 0; i < PZ.rows; i++)
            for (size_t j = 0; j < PZ.cols; j++)
                if ((i < 1 || i > r || j < 2 || j >= c + 2) && ml_mat_get(&PZ, i, j) != ml_mat_get(&spare, i, j)) border = 0;
        CHECK(border);
        ml_mat *all[] = {&Z, &X, &Y, &PZ, &PX, &PY, &R, &spare, &M2, &O2};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) ml_mat_free(all[k]);
    }
    CHECK_OK(ml_threads_set(n0));
}
