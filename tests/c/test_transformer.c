/* Tests of the transformer kernels: core/attention.c, core/norm.c, and the token + position
 * embedding and squared ReLU of core/nn.c. Forwards against slow straightforward loops written
 * here (long double sums); every backward against central finite differences in float64 of
 * the scalar f = sum(Y .* R) for a fixed random R, so df/dY = R is the backward's input.
 * Tolerances: forwards 1e-13 absolute in float64 (sums of <= 16 products of O(1) numbers),
 * 1e-5 in float32; finite differences with h = 1e-5 on functions with bounded third
 * derivatives: truncation ~h^2 = 1e-10, rounding ~1e-16/h = 1e-11, so 1e-7 relative
 * (norm-wise over the tensor) is a wide margin that a wrong term (O(1)) cannot pass. */
#include "attention.h"
#include "internal/smallmm.h"
#include "check.h"
#include "error.h"
#include "nn.h"
#include "norm.h"
#include "ops.h"
#include "parallel.h"
#include "refdot.h"
#include "threads.h"
#include "rng.h"
#include <float.h>
#include <stdlib.h>
#include <string.h>

static void randmat(ml_mat *m, size_t r, size_t c, ml_dtype t, uint64_t seed)
{
    ml_rng g;
    ml_rng_seed(&g, seed);
    CHECK_OK(ml_mat_alloc(m, r, c, t));
    ml_rng_fill_normal(&g, m, 0, 1);
}

static double dot(const ml_mat *a, const ml_mat *b)
{
    long double s = 0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) s += (long double)ml_mat_get(a, i, j) * ml_mat_get(b, i, j);
    return (double)s;
}

static double maxdiff(const ml_mat *a, const ml_mat *b)
{
    double d = 0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) d = fmax(d, fabs(ml_mat_get(a, i, j) - ml_mat_get(b, i, j)));
    return d;
}

/* ||fd - G|| / ||G|| where fd_ij = (f(P + h e_ij) - f(P - h e_ij)) / 2h, f = sum(Y .* R) after fwd(ctx). */
typedef void (*forward_fn)(void *ctx);
static double fd_error(ml_mat *P, const ml_mat *G, const ml_mat *Y, const ml_mat *R, forward_fn fwd, void *ctx)
{
    double h = 1e-5, e2 = 0, n2 = 0;
    for (size_t i = 0; i < P->rows; i++)
        for (size_t j = 0; j < P->cols; j++) {
            double v = ml_mat_get(P, i, j);
            ml_mat_set(P, i, j, v + h);
            fwd(ctx);
            double fp = dot(Y, R);
            ml_mat_set(P, i, j, v - h);
            fwd(ctx);
            double fm = dot(Y, R);
            ml_mat_set(P, i, j, v);
            double fd = (fp - fm) / (2 * h), g = ml_mat_get(G, i, j);
            e2 += (fd - g) * (fd - g), n2 += g * g;
        }
    fwd(ctx);
    return sqrt(e2 / n2);
}

/* ---- attention ----------------------------------------------------------------------------- */

enum { AB = 2, AT = 5, AH = 2, AC = 6 };

typedef struct {
    ml_mat qkv, out, P, maxl;
} attn_ctx;

static void attn_fwd(void *c)
{
    attn_ctx *a = c;
    CHECK_OK(ml_attn_forward(&a->out, &a->P, &a->maxl, &a->qkv, AB, AH));
}

static void attention_case(ml_dtype t, double tol)
{
    attn_ctx a;
    size_t N = AB * AT, hs = AC / AH;
    randmat(&a.qkv, N, 3 * AC, t, 1);
    ml_scale(&a.qkv, 2.0);   /* scores of a few units: a softmax that is neither flat nor one-hot */
    CHECK_OK(ml_mat_alloc(&a.out, N, AC, t));
    CHECK_OK(ml_mat_alloc(&a.P, AB * AH * AT, AT, t));
    CHECK_OK(ml_mat_alloc(&a.maxl, 1, AH, ML_F64));
    attn_fwd(&a);
    /* slow reference: per (b, h, i) the scores over j <= i, softmax, weighted sum of v */
    double eo = 0, ep = 0, em = 0;
    for (size_t h = 0; h < AH; h++) {
        double top = -INFINITY;
        for (size_t b = 0; b < AB; b++)
            for (size_t i = 0; i < AT; i++) {
                long double s[AT], m = -INFINITY, z = 0;
                for (size_t j = 0; j <= i; j++) {
                    s[j] = 0;
                    for (size_t e = 0; e < hs; e++)
                        s[j] += (long double)ml_mat_get(&a.qkv, b * AT + i, h * hs + e) *
                                ml_mat_get(&a.qkv, b * AT + j, AC + h * hs + e);
                    s[j] /= sqrtl((long double)hs);
                    if (s[j] > m) m = s[j];
                }
                top = fmax(top, (double)m);
                for (size_t j = 0; j <= i; j++) z += expl(s[j] - m);
                for (size_t j = 0; j < AT; j++) {
                    double p = j <= i ? (double)(expl(s[j] - m) / z) : 0.0;
                    ep = fmax(ep, fabs(p - ml_mat_get(&a.P, (b * AH + h) * AT + i, j)));
                }
                for (size_t e = 0; e < hs; e++) {
                    long double o = 0;
                    for (size_t j = 0; j <= i; j++)
                        o += expl(s[j] - m) / z * ml_mat_get(&a.qkv, b * AT + j, 2 * AC + h * hs + e);
                    eo = fmax(eo, fabs((double)o - ml_mat_get(&a.out, b * AT + i, h * hs + e)));
                }
            }
        em = fmax(em, fabs(top - ml_mat_get(&a.maxl, 0, h)));
    }
    CHECK_NEAR(eo, 0, tol);
    CHECK_NEAR(ep, 0, tol);
    CHECK_NEAR(em, 0, tol);
    if (t == ML_F64) {
        ml_mat R, dqkv, dP;
        randmat(&R, N, AC, t, 2);
        CHECK_OK(ml_mat_alloc(&dqkv, N, 3 * AC, t));
        CHECK_OK(ml_mat_alloc(&dP, AB * AH * AT, AT, t));
        CHECK_OK(ml_attn_backward(&dqkv, &dP, &R, &a.P, &a.qkv, AB, AH));
        double e = fd_error(&a.qkv, &dqkv, &a.out, &R, attn_fwd, &a);
        CHECK(e < 1e-7);
        if (!(e < 1e-7)) fprintf(stderr, "attention backward: relative error %g\n", e);
        /* the backward overwrites dqkv (no accumulation): a second call gives the same result */
        ml_mat d2;
        CHECK_OK(ml_mat_clone(&d2, &dqkv, t));
        CHECK_OK(ml_attn_backward(&dqkv, &dP, &R, &a.P, &a.qkv, AB, AH));
        CHECK(maxdiff(&d2, &dqkv) == 0);
        ml_mat_free(&d2);
        ml_mat_free(&R);
        ml_mat_free(&dqkv);
        ml_mat_free(&dP);
    }
    ml_mat_free(&a.qkv);
    ml_mat_free(&a.out);
    ml_mat_free(&a.P);
    ml_mat_free(&a.maxl);
}

TEST(attention_forward_backward_f64) { attention_case(ML_F64, 1e-13); }
TEST(attention_forward_f32) { attention_case(ML_F32, 1e-5); }

/* Finite inputs whose products overflow are an error (ML_ENUM), never a silent NaN or Inf; a NaN
 * already in the input propagates like every nn kernel; tiny inputs (1e-300) stay exact-sized. */
TEST(attention_overflow_is_an_error)
{
    size_t B = 2, T = 8, H = 2, C = 8;
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F32 : ML_F64;
        double big = ti ? 1e30 : 1e300;   /* q.k ~ big^2: beyond either range */
        ml_mat qkv, out, P, R, dq, dP;
        randmat(&qkv, B * T, 3 * C, t, 71);
        randmat(&R, B * T, C, t, 72);
        CHECK_OK(ml_mat_alloc(&out, B * T, C, t));
        CHECK_OK(ml_mat_alloc(&P, B * H * T, T, t));
        CHECK_OK(ml_mat_alloc(&dq, B * T, 3 * C, t));
        CHECK_OK(ml_mat_alloc(&dP, B * H * T, T, t));
        ml_scale(&qkv, 1e10);   /* scores ~1e20: finite in both */
        CHECK_OK(ml_attn_forward(&out, &P, NULL, &qkv, B, H));
        CHECK_OK(ml_attn_backward(&dq, &dP, &R, &P, &qkv, B, H));
        ml_scale(&R, ti ? 1e30 : 1e300);   /* dP = dO V^T ~1e40 / 1e310: overflows */
        CHECK(ml_mat_all_finite(&R));
        CHECK(ml_attn_backward(&dq, &dP, &R, &P, &qkv, B, H) == ML_ENUM);
        CHECK(strstr(ml_errmsg(), "attention_backward") != NULL);
        ml_scale(&qkv, big / 1e10);
        CHECK(ml_attn_forward(&out, &P, NULL, &qkv, B, H) == ML_ENUM);
        CHECK(strstr(ml_errmsg(), "overflow") != NULL);
        ml_scale(&qkv, 1 / big * 1e-300);   /* tiny: scores ~0, a uniform causal average, finite */
        CHECK_OK(ml_attn_forward(&out, &P, NULL, &qkv, B, H));
        CHECK(ml_mat_all_finite(&out));
        CHECK_NEAR(ml_mat_get(&P, T - 1, 0), 1.0 / T, 1e-6);   /* last row of (b 0, h 0): 1/T each */
        ml_mat_set(&qkv, 0, 0, NAN);   /* NaN in: propagates, no error */
        CHECK_OK(ml_attn_forward(&out, &P, NULL, &qkv, B, H));
        CHECK(!ml_mat_all_finite(&out));
        ml_mat *all[] = {&qkv, &out, &P, &R, &dq, &dP};
        for (int i = 0; i < 6; i++) ml_mat_free(all[i]);
    }
}

TEST(attention_rejects_bad_shapes)
{
    ml_mat qkv, out, P, bad;
    CHECK_OK(ml_mat_alloc(&qkv, 10, 18, ML_F64));
    CHECK_OK(ml_mat_alloc(&out, 10, 6, ML_F64));
    CHECK_OK(ml_mat_alloc(&P, 20, 5, ML_F64));
    CHECK_OK(ml_mat_alloc(&bad, 10, 6, ML_F32));
    CHECK_OK(ml_attn_forward(&out, &P, NULL, &qkv, 2, 2));
    CHECK(ml_attn_forward(&out, &P, NULL, &qkv, 3, 2) == ML_EINVAL);   /* 10 rows, batch 3 */
    CHECK(strstr(ml_errmsg(), "multiple of the batch size 3"));
    CHECK(ml_attn_forward(&out, &P, NULL, &qkv, 2, 4) == ML_EINVAL);   /* C = 6, 4 heads */
    CHECK(ml_attn_forward(&bad, &P, NULL, &qkv, 2, 2) == ML_EINVAL);   /* dtype */
    CHECK(ml_attn_forward(&out, &P, NULL, &qkv, 2, 1) == ML_EINVAL);   /* P must be 10 x 5 for H = 1 */
    CHECK(ml_attn_forward(&qkv, &P, NULL, &qkv, 2, 2) == ML_EINVAL);   /* aliasing */
    CHECK(ml_attn_backward(&qkv, &P, &out, &P, &qkv, 2, 2) == ML_EINVAL);
    ml_mat_free(&qkv);
    ml_mat_free(&out);
    ml_mat_free(&P);
    ml_mat_free(&bad);
}

/* ---- LayerNorm and RMSNorm --------------------------------------------------------------------- */

enum { NN_ = 4, NC = 7 };

typedef struct {
    ml_mat X, w, b, Y, st;
    int rms;
} norm_ctx;

static void norm_fwd(void *c)
{
    norm_ctx *n = c;
    if (n->rms)
        CHECK_OK(ml_nn_rmsnorm_forward(&n->Y, &n->st, &n->X, &n->w));
    else
        CHECK_OK(ml_nn_layernorm_forward(&n->Y, &n->st, &n->X, &n->w, &n->b));
}

static void norm_case(int rms, ml_dtype t, double tol)
{
    norm_ctx n = {.rms = rms};
    randmat(&n.X, NN_, NC, t, 3);
    ml_mat_set(&n.X, 0, 0, 5.0);   /* one row far from centred */
    randmat(&n.w, 1, NC, t, 4);
    randmat(&n.b, 1, NC, t, 5);
    CHECK_OK(ml_mat_alloc(&n.Y, NN_, NC, t));
    CHECK_OK(ml_mat_alloc(&n.st, NN_, 2, ML_F64));
    norm_fwd(&n);
    double e = 0;
    for (size_t i = 0; i < NN_; i++) {
        long double mu = 0, v = 0;
        if (!rms) {
            for (size_t j = 0; j < NC; j++) mu += ml_mat_get(&n.X, i, j);
            mu /= NC;
        }
        for (size_t j = 0; j < NC; j++) v += (ml_mat_get(&n.X, i, j) - mu) * (ml_mat_get(&n.X, i, j) - mu);
        long double r = 1 / sqrtl(v / NC + 1e-5L);
        for (size_t j = 0; j < NC; j++) {
            long double y = (ml_mat_get(&n.X, i, j) - mu) * r * ml_mat_get(&n.w, 0, j) + (rms ? 0 : ml_mat_get(&n.b, 0, j));
            e = fmax(e, fabs((double)y - ml_mat_get(&n.Y, i, j)));
        }
    }
    CHECK_NEAR(e, 0, tol);
    if (t == ML_F64) {
        ml_mat R, dX, dw, db, dX0;
        randmat(&R, NN_, NC, t, 6);
        randmat(&dX0, NN_, NC, t, 7);
        CHECK_OK(ml_mat_clone(&dX, &dX0, t));
        CHECK_OK(ml_mat_alloc(&dw, 1, NC, t));
        CHECK_OK(ml_mat_alloc(&db, 1, NC, t));
        /* accumulate = 1: dX ends as dX0 + the gradient */
        if (rms)
            CHECK_OK(ml_nn_rmsnorm_backward(&dX, &dw, &R, &n.X, &n.w, &n.st, 1));
        else
            CHECK_OK(ml_nn_layernorm_backward(&dX, &dw, &db, &R, &n.X, &n.w, &n.st, 1));
        for (size_t i = 0; i < NN_; i++)
            for (size_t j = 0; j < NC; j++) ml_mat_set(&dX, i, j, ml_mat_get(&dX, i, j) - ml_mat_get(&dX0, i, j));
        double ex = fd_error(&n.X, &dX, &n.Y, &R, norm_fwd, &n), ew = fd_error(&n.w, &dw, &n.Y, &R, norm_fwd, &n);
        CHECK(ex < 1e-7);
        CHECK(ew < 1e-7);
        if (!rms) CHECK(fd_error(&n.b, &db, &n.Y, &R, norm_fwd, &n) < 1e-7);
        if (!(ex < 1e-7 && ew < 1e-7)) fprintf(stderr, "norm (rms %d) backward: dX %g, dw %g\n", rms, ex, ew);
        /* accumulate = 0 overwrites: the same gradient without dX0 */
        ml_mat dX2;
        CHECK_OK(ml_mat_alloc(&dX2, NN_, NC, t));
        ml_mat_fill(&dX2, 7.0);
        if (rms)
            CHECK_OK(ml_nn_rmsnorm_backward(&dX2, NULL, &R, &n.X, &n.w, &n.st, 0));
        else
            CHECK_OK(ml_nn_layernorm_backward(&dX2, NULL, NULL, &R, &n.X, &n.w, &n.st, 0));
        CHECK_NEAR(maxdiff(&dX2, &dX), 0, 1e-13);
        ml_mat_free(&dX2);
        ml_mat_free(&R);
        ml_mat_free(&dX);
        ml_mat_free(&dX0);
        ml_mat_free(&dw);
        ml_mat_free(&db);
    }
    ml_mat_free(&n.X);
    ml_mat_free(&n.w);
    ml_mat_free(&n.b);
    ml_mat_free(&n.Y);
    ml_mat_free(&n.st);
}

TEST(layernorm_forward_backward_f64) { norm_case(0, ML_F64, 1e-13); }
TEST(rmsnorm_forward_backward_f64) { norm_case(1, ML_F64, 1e-13); }
TEST(layernorm_forward_f32) { norm_case(0, ML_F32, 1e-5); }
TEST(rmsnorm_forward_f32) { norm_case(1, ML_F32, 1e-5); }

TEST(norm_rejects_bad_operands)
{
    ml_mat X, w, b, Y, st, st32;
    CHECK_OK(ml_mat_alloc(&X, 3, 4, ML_F64));
    CHECK_OK(ml_mat_alloc(&w, 1, 4, ML_F64));
    CHECK_OK(ml_mat_alloc(&b, 1, 3, ML_F64));
    CHECK_OK(ml_mat_alloc(&Y, 3, 4, ML_F64));
    CHECK_OK(ml_mat_alloc(&st, 3, 2, ML_F64));
    CHECK_OK(ml_mat_alloc(&st32, 3, 2, ML_F32));
    CHECK(ml_nn_layernorm_forward(&Y, &st, &X, &w, &b) == ML_EINVAL);   /* bias 1 x 3 */
    CHECK(strstr(ml_errmsg(), "layernorm_forward: bias must be 1 x 4"));
    CHECK(ml_nn_rmsnorm_forward(&Y, &st32, &X, &w) == ML_EINVAL);
    CHECK(ml_nn_rmsnorm_forward(&X, &st, &X, &w) == ML_EINVAL);          /* Y aliases X */
    CHECK(ml_nn_rmsnorm_backward(&Y, NULL, &Y, &X, &w, &st, 0) == ML_EINVAL);   /* dX aliases dY */
    const ml_mat *m[] = {&X, &w, &b, &Y, &st, &st32};
    for (int i = 0; i < 6; i++) ml_mat_free((ml_mat *)m[i]);
}

/* ---- token + position embedding, squared ReLU ----------------------------------------------- */

TEST(tokpos_forward_backward)
{
    size_t B = 2, T = 3, V = 4, P = 5, C = 3;
    double idv[] = {1, 3, 1, 0, 1, 2};
    ml_mat ids, wte, wpe, X, dX, dwte, dwpe;
    CHECK_OK(ml_mat_from_array(&ids, B, T, idv, ML_F64));
    randmat(&wte, V, C, ML_F64, 8);
    randmat(&wpe, P, C, ML_F64, 9);
    CHECK_OK(ml_mat_alloc(&X, B * T, C, ML_F64));
    CHECK_OK(ml_nn_tokpos_forward(&X, &ids, &wte, &wpe));
    double e = 0;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++)
                e = fmax(e, fabs(ml_mat_get(&X, b * T + t, c) -
                                 (ml_mat_get(&wte, (size_t)idv[b * T + t], c) + ml_mat_get(&wpe, t, c))));
    CHECK(e == 0);
    randmat(&dX, B * T, C, ML_F64, 10);
    CHECK_OK(ml_mat_alloc(&dwte, V, C, ML_F64));
    CHECK_OK(ml_mat_alloc(&dwpe, P, C, ML_F64));
    ml_mat_fill(&dwte, 1.0);   /* accumulate: the scatter adds to these ones */
    CHECK_OK(ml_nn_tokpos_backward(&dwte, &dwpe, &dX, &ids, 1));
    double ew = 0, ep = 0;
    for (size_t c = 0; c < C; c++) {
        for (size_t v = 0; v < V; v++) {
            double s = 1;
            for (size_t k = 0; k < B * T; k++)
                if ((size_t)idv[k] == v) s += ml_mat_get(&dX, k, c);
            ew = fmax(ew, fabs(s - ml_mat_get(&dwte, v, c)));
        }
        for (size_t t = 0; t < P; t++) {
            double s = 0;
            for (size_t b = 0; b < B && t < T; b++) s += ml_mat_get(&dX, b * T + t, c);
            ep = fmax(ep, fabs(s - ml_mat_get(&dwpe, t, c)));
        }
    }
    CHECK_NEAR(ew, 0, 1e-15);
    CHECK_NEAR(ep, 0, 1e-15);
    /* errors: an id out of range, more positions than the table */
    ml_mat_set(&ids, 1, 2, 4.0);
    CHECK(ml_nn_tokpos_forward(&X, &ids, &wte, &wpe) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "token id 4 at position 6 is not an integer in 0..3"));
    ml_mat wpe2;
    CHECK_OK(ml_mat_view(&wpe2, &wpe, 0, 0, 2, C));
    ml_mat_set(&ids, 1, 2, 0.0);
    CHECK(ml_nn_tokpos_forward(&X, &ids, &wte, &wpe2) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "3 positions exceed"));
    const ml_mat *m[] = {&ids, &wte, &wpe, &wpe2, &X, &dX, &dwte, &dwpe};
    for (int i = 0; i < 8; i++) ml_mat_free((ml_mat *)m[i]);
}

typedef struct {
    ml_mat X, Y;
} act_ctx;

static void relu2_fwd(void *c)
{
    act_ctx *a = c;
    CHECK_OK(ml_nn_relu2_forward(&a->Y, &a->X));
}

TEST(relu2_forward_backward)
{
    act_ctx a;
    ml_mat R, dX;
    randmat(&a.X, 5, 6, ML_F64, 11);
    for (size_t i = 0; i < 5; i++)   /* keep entries 0.01 away from the kink for the differences */
        for (size_t j = 0; j < 6; j++)
            if (fabs(ml_mat_get(&a.X, i, j)) < 0.01) ml_mat_set(&a.X, i, j, 0.5);
    CHECK_OK(ml_mat_alloc(&a.Y, 5, 6, ML_F64));
    relu2_fwd(&a);
    double e = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 6; j++) {
            double x = ml_mat_get(&a.X, i, j);
            e = fmax(e, fabs((x > 0 ? x * x : 0) - ml_mat_get(&a.Y, i, j)));
        }
    CHECK(e == 0);
    randmat(&R, 5, 6, ML_F64, 12);
    CHECK_OK(ml_mat_alloc(&dX, 5, 6, ML_F64));
    CHECK_OK(ml_nn_relu2_backward(&dX, &R, &a.X));
    CHECK(fd_error(&a.X, &dX, &a.Y, &R, relu2_fwd, &a) < 1e-7);
    CHECK(ml_nn_relu2_backward(&a.X, &R, &a.X) == ML_EINVAL);
    ml_mat_free(&a.X);
    ml_mat_free(&a.Y);
    ml_mat_free(&R);
    ml_mat_free(&dX);
}

/* ---- the parallel for behind the kernels ------------------------------------------------------- */

static void mark(void *ctx, int part, size_t b, size_t e)
{
    int *seen = ctx;
    for (size_t i = b; i < e; i++) __atomic_add_fetch(&seen[i], 1, __ATOMIC_RELAXED);
    /* a call from inside a part runs serially (and must not deadlock) */
    if (part == 1 && b < e) CHECK(ml_parallel_for(4, 1, mark, seen + 1000) == 1);
}

TEST(parallel_for_covers_the_range_once)
{
    int before = ml_threads_get();
    static int seen[1004];
    for (int threads = 1; threads <= 3; threads++) {
        CHECK_OK(ml_threads_set(threads));
        for (size_t n = 0; n <= 1000; n += 333) {
            memset(seen, 0, sizeof seen);
            int parts = ml_parallel_for(n, 1, mark, seen);
            CHECK(parts >= 1 && parts <= threads);
            for (size_t i = 0; i < n; i++) CHECK(seen[i] == 1);
        }
    }
    CHECK_OK(ml_threads_set(before));
}

/* ---- small products (core/internal/smallmm.h) and the attention at production sizes ------- */

/* Every (ta, tb) against a long double triple loop, on strided operands, float32 and float64.
 * Tolerance: the standard bound for a K-term dot product, |err| <= K eps sum_k |a_ik b_kj|
 * (summation in any order, Higham 3.1), per entry. */
TEST(smallmm_matches_a_triple_loop)
{
    const char *env = getenv("ML_SMALLMM");
    int jit_expected = !(env && strcmp(env, "blas") == 0);
    size_t shapes[][3] = {{64, 64, 32}, {64, 32, 64}, {7, 5, 9}, {1, 1, 1}};
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F64 : ML_F32;
        double eps = ti ? DBL_EPSILON : FLT_EPSILON;
        for (int s = 0; s < 4; s++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++) {
                    size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                    size_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
                    ml_mat A, B, C;   /* 3 spare columns each: strides beyond the width */
                    randmat(&A, ar, ac + 3, t, 31 + s);
                    randmat(&B, br, bc + 3, t, 41 + s);
                    randmat(&C, M, N + 3, t, 51 + s);
                    ml_smallmm p;
                    ml_smallmm_plan(&p, t, ta, tb, M, N, K, A.stride, B.stride, C.stride);
                    if (!tb && s < 2) CHECK(ml_smallmm_jit(&p) == jit_expected);
                    if (tb) CHECK(!ml_smallmm_jit(&p));   /* libxsmm generates no A B^T */
                    ml_smallmm_run(&p, A.data, B.data, C.data);
                    double worst = 0;
                    for (size_t i = 0; i < M; i++)
                        for (size_t j = 0; j < N; j++) {
                            long double bound, r = ref_dot(&A, ta, &B, tb, i, j, K, &bound);
                            double e = fabs((double)r - ml_mat_get(&C, i, j)) / ((double)bound * K * eps + 1e-300);
                            worst = fmax(worst, e);
                        }
                    CHECK(worst <= 1);
                    if (!(worst <= 1))
                        fprintf(stderr, "smallmm dtype %d %zux%zux%zu ta %d tb %d: error %g of the bound\n", ti, M, N, K,
                                ta, tb, worst);
                    ml_mat_free(&A);
                    ml_mat_free(&B);
                    ml_mat_free(&C);
                }
    }
}

/* Forward and backward against the formulas of attention.h evaluated by slow loops in long
 * double, at sizes where the products run through libxsmm (T = 64, hs = 32: the benchmark GPT)
 * and where the transposed block does not fit the stack buffer (hs T = 130 x 66 > 8192: cblas).
 * Tolerances relative to the largest entry of each result: float64 1e-12, float32 2e-5 (sums
 * of <= 256 products, two products deep: K eps bounds them by 5.7e-14 and 3.1e-5; measured
 * 2e-16..8e-16 and 1e-7..4e-7, while a wrong or missing term is O(1)). */
static void attention_vs_loops(ml_dtype t, size_t B, size_t T, size_t H, size_t C, double tol)
{
    size_t N = B * T, hs = C / H;
    ml_mat qkv, R, out, P, dqkv, dP, maxl;
    randmat(&qkv, N, 3 * C, t, 61);
    ml_scale(&qkv, 2.0 / sqrt(sqrt((double)hs)));   /* scores of a few units at any hs */
    randmat(&R, N, C, t, 62);
    CHECK_OK(ml_mat_alloc(&out, N, C, t));
    CHECK_OK(ml_mat_alloc(&P, B * H * T, T, t));
    CHECK_OK(ml_mat_alloc(&dqkv, N, 3 * C, t));
    CHECK_OK(ml_mat_alloc(&dP, B * H * T, T, t));
    CHECK_OK(ml_mat_alloc(&maxl, 1, H, ML_F64));
    CHECK_OK(ml_attn_forward(&out, &P, &maxl, &qkv, B, H));
    CHECK_OK(ml_attn_backward(&dqkv, &dP, &R, &P, &qkv, B, H));
    long double *S = malloc(T * T * sizeof *S), *G = malloc(T * T * sizeof *G);
    long double *ref = calloc(N * 3 * C, sizeof *ref), *refo = calloc(N * C, sizeof *refo);
    CHECK(S && G && ref && refo);
    double top_err = 0;
#define QKV(b, i, part, e) ((long double)ml_mat_get(&qkv, (b) * T + (i), (part) * C + h * hs + (e)))
#define DO(b, i, e) ((long double)ml_mat_get(&R, (b) * T + (i), h * hs + (e)))
    for (size_t h = 0; h < H; h++) {
        long double top = -INFINITY;
        for (size_t b = 0; b < B; b++) {
            for (size_t i = 0; i < T; i++) {   /* P = causal softmax(Q K^T / sqrt(hs)) */
                long double m = -INFINITY, z = 0;
                for (size_t j = 0; j <= i; j++) {
                    long double d = 0;
                    for (size_t e = 0; e < hs; e++) d += QKV(b, i, 0, e) * QKV(b, j, 1, e);
                    S[i * T + j] = d / sqrtl((long double)hs);
                    if (S[i * T + j] > m) m = S[i * T + j];
                }
                if (m > top) top = m;
                for (size_t j = 0; j <= i; j++) z += expl(S[i * T + j] - m);
                for (size_t j = 0; j < T; j++) S[i * T + j] = j <= i ? expl(S[i * T + j] - m) / z : 0;
                for (size_t e = 0; e < hs; e++) {
                    long double o = 0;
                    for (size_t j = 0; j <= i; j++) o += S[i * T + j] * QKV(b, j, 2, e);
                    refo[(b * T + i) * C + h * hs + e] = o;
                }
            }
            for (size_t i = 0; i < T; i++) {   /* dP = dO V^T, dS = P (dP - rowsum(P dP)) / sqrt(hs) */
                long double dot = 0;
                for (size_t j = 0; j <= i; j++) {
                    long double d = 0;
                    for (size_t e = 0; e < hs; e++) d += DO(b, i, e) * QKV(b, j, 2, e);
                    G[i * T + j] = d;
                    dot += S[i * T + j] * d;
                }
                for (size_t j = 0; j < T; j++) G[i * T + j] = j <= i ? S[i * T + j] * (G[i * T + j] - dot) / sqrtl((long double)hs) : 0;
            }
            for (size_t i = 0; i < T; i++)
                for (size_t e = 0; e < hs; e++) {
                    long double dq = 0, dk = 0, dv = 0;
                    for (size_t j = 0; j < T; j++) {
                        dq += G[i * T + j] * QKV(b, j, 1, e);   /* dQ = dS K */
                        dk += G[j * T + i] * QKV(b, j, 0, e);   /* dK = dS^T Q */
                        dv += S[j * T + i] * DO(b, j, e);       /* dV = P^T dO */
                    }
                    size_t r = (b * T + i) * 3 * C + h * hs + e;
                    ref[r] = dq, ref[r + C] = dk, ref[r + 2 * C] = dv;
                }
        }
        top_err = fmax(top_err, fabs((double)top - ml_mat_get(&maxl, 0, h)));
    }
#undef QKV
#undef DO
    double eo = 0, mo = 0, eg = 0, mg = 0;
    for (size_t i = 0; i < N; i++) {
        for (size_t c = 0; c < C; c++) {
            eo = fmax(eo, fabs((double)refo[i * C + c] - ml_mat_get(&out, i, c)));
            mo = fmax(mo, fabs((double)refo[i * C + c]));
        }
        for (size_t c = 0; c < 3 * C; c++) {
            eg = fmax(eg, fabs((double)ref[i * 3 * C + c] - ml_mat_get(&dqkv, i, c)));
            mg = fmax(mg, fabs((double)ref[i * 3 * C + c]));
        }
    }
    CHECK(eo <= tol * mo);
    CHECK(eg <= tol * mg);
    CHECK(top_err <= tol * 10);
    if (!(eo <= tol * mo && eg <= tol * mg))
        fprintf(stderr, "attention %zux%zu H %zu C %zu dtype %d: output %g, gradient %g (relative)\n", B, T, H, C, (int)t,
                eo / mo, eg / mg);
    free(S), free(G), free(ref), free(refo);
    ml_mat *all[] = {&qkv, &R, &out, &P, &dqkv, &dP, &maxl};
    for (int i = 0; i < 7; i++) ml_mat_free(all[i]);
}

TEST(attention_at_gpt_sizes_f64) { attention_vs_loops(ML_F64, 2, 64, 4, 128, 1e-12); }
TEST(attention_at_gpt_sizes_f32) { attention_vs_loops(ML_F32, 2, 64, 4, 128, 2e-5); }
TEST(attention_beyond_the_stack_buffer) { attention_vs_loops(ML_F64, 1, 66, 1, 130, 1e-12); }
/* causal row blocks of 32 (core/attention.c): a short last block (70 = 32 + 32 + 6), and the
 * largest blocked context (256: 8 blocks) */
TEST(attention_causal_blocks_ragged) { attention_vs_loops(ML_F64, 2, 70, 2, 64, 1e-12); }
TEST(attention_causal_blocks_256) { attention_vs_loops(ML_F32, 1, 256, 1, 32, 2e-5); }

/* The batch split changes no arithmetic: 1 and 2 threads give identical bits. */
TEST(attention_same_bits_on_one_and_two_threads)
{
    int before = ml_threads_get();
    ml_mat qkv, out1, out2, P, m1, m2, R, d1, d2, dP;
    size_t B = 5, T = 7, H = 3, C = 9;
    randmat(&qkv, B * T, 3 * C, ML_F64, 21);
    randmat(&R, B * T, C, ML_F64, 22);
    ml_mat *mats[] = {&out1, &out2, &d1, &d2, &P, &dP, &m1, &m2};
    size_t rows[] = {B * T, B * T, B * T, B * T, B * H * T, B * H * T, 1, 1}, cols[] = {C, C, 3 * C, 3 * C, T, T, H, H};
    for (int i = 0; i < 8; i++) CHECK_OK(ml_mat_alloc(mats[i], rows[i], cols[i], ML_F64));
    CHECK_OK(ml_threads_set(1));
    CHECK_OK(ml_attn_forward(&out1, &P, &m1, &qkv, B, H));
    CHECK_OK(ml_attn_backward(&d1, &dP, &R, &P, &qkv, B, H));
    CHECK_OK(ml_threads_set(2));
    CHECK_OK(ml_attn_forward(&out2, &P, &m2, &qkv, B, H));
    CHECK_OK(ml_attn_backward(&d2, &dP, &R, &P, &qkv, B, H));
    CHECK(maxdiff(&out1, &out2) == 0);
    CHECK(maxdiff(&m1, &m2) == 0);
    CHECK(maxdiff(&d1, &d2) == 0);
    CHECK_OK(ml_threads_set(before));
    ml_mat_free(&qkv);
    ml_mat_free(&R);
    for (int i = 0; i < 8; i++) ml_mat_free(mats[i]);
}
