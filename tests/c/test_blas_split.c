/* The split products (core/internal/blas_split.h) against long double triple loops, and the
 * pool's hand-over (core/parallel.c) under many jobs and its sleep/wake path. */
#include "check.h"
#include "error.h"
#include "internal/blas_split.h"
#include "parallel.h"
#include "refdot.h"
#include "rng.h"
#include "threads.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fill(ml_mat *M, size_t rows, size_t cols, ml_dtype t, uint64_t seed)
{
    ml_rng r;
    ml_rng_seed(&r, seed);
    CHECK_OK(ml_mat_alloc(M, rows, cols, t));
    ml_rng_fill_normal(&r, M, 0, 1);
}

/* |got - sum| <= (K + 2) eps (|alpha| sum |a b| + |beta c|): a K-term dot product in any order
 * (Higham 3.1) plus the scaling and the addition of beta c. */
static void check_entry(double got, long double sum, long double bound, double eps, size_t K, int *bad)
{
    if (!(fabsl((long double)got - sum) <= (long double)(K + 2) * eps * bound)) {
        if (!*bad) ml_test_fail(__FILE__, __LINE__, "entry %.17g, reference %.17Lg, bound %.3Lg", got, sum,
                                (long double)(K + 2) * eps * bound);
        *bad = 1;
    }
}

static int two_threads(const char *test)
{
    if (ml_threads_set(2)) {
        printf("note: %s: no second BLAS thread\n", test);
        return 0;
    }
    return 1;
}

/* Both splits (by rows: M >= N; by columns), every transpose pair, strided operands (3 spare
 * columns), alpha and beta not 1 and 0, float32 and float64; the split really runs (2 parts)
 * and the BLAS thread count is back at 2 after. (Not bit for bit the unsplit call's: OpenBLAS's
 * edge kernels for a block's last rows sum in another order; measured, every case differs.) */
TEST(blas_split_gemm_matches_a_triple_loop)
{
    int n0 = ml_threads_get();
    if (!two_threads("blas_split_gemm_matches_a_triple_loop")) return;
    size_t shapes[][3] = {{200, 130, 60}, {70, 300, 64}};
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F64 : ML_F32;
        double eps = ti ? DBL_EPSILON : FLT_EPSILON, alpha = 0.75, beta = -0.5;
        for (int s = 0; s < 2; s++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++) {
                    size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                    CHECK(ml_split_parts((double)M * N * K) == 2);
                    ml_mat A, B, C, C0;
                    fill(&A, ta ? K : M, (ta ? M : K) + 3, t, 11 + s);
                    fill(&B, tb ? N : K, (tb ? K : N) + 3, t, 21 + s);
                    fill(&C, M, N + 3, t, 31 + s);
                    CHECK_OK(ml_mat_clone(&C0, &C, t));
                    ml_blas_gemm(t, ta, tb, M, N, K, alpha, A.data, A.stride, B.data, B.stride, beta, C.data, C.stride);
                    CHECK(ml_threads_get() == 2);
                    int bad = 0;
                    for (size_t i = 0; i < M; i++)
                        for (size_t j = 0; j < N; j++) {
                            long double bound, sum = ref_dot(&A, ta, &B, tb, i, j, K, &bound);
                            long double c0 = ml_mat_get(&C0, i, j);
                            check_entry(ml_mat_get(&C, i, j), alpha * sum + beta * c0, alpha * bound + fabsl(beta * c0),
                                        eps, K, &bad);
                        }
                    ml_mat_free(&A), ml_mat_free(&B), ml_mat_free(&C), ml_mat_free(&C0);
                }
    }
    CHECK_OK(ml_threads_set(n0));
}

/* Left and right, S's lower triangle NaN (only the upper may be read). */
TEST(blas_split_symm_reads_the_upper_triangle_only)
{
    int n0 = ml_threads_get();
    if (!two_threads("blas_split_symm_reads_the_upper_triangle_only")) return;
    size_t M = 150, N = 100;
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F64 : ML_F32;
        double eps = ti ? DBL_EPSILON : FLT_EPSILON, alpha = 1.5, beta = 0.25;
        for (int right = 0; right < 2; right++) {
            size_t s = right ? N : M;
            CHECK(ml_split_parts((double)s * M * N) == 2);
            ml_mat S, B, C, C0;
            fill(&S, s, s + 3, t, 5);
            for (size_t i = 0; i < s; i++)
                for (size_t j = 0; j < i; j++) ml_mat_set(&S, i, j, NAN);
            fill(&B, M, N + 3, t, 6);
            fill(&C, M, N + 3, t, 7);
            CHECK_OK(ml_mat_clone(&C0, &C, t));
            ml_blas_symm(t, right, M, N, alpha, S.data, S.stride, B.data, B.stride, beta, C.data, C.stride);
            CHECK(ml_threads_get() == 2);
            int bad = 0;
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    long double sum = 0, bound = 0;
                    for (size_t k = 0; k < s; k++) {
                        size_t r = right ? k : i, c = right ? j : k;   /* S(r, c) from the upper triangle */
                        long double sv = r <= c ? ml_mat_get(&S, r, c) : ml_mat_get(&S, c, r);
                        long double b = right ? ml_mat_get(&B, i, k) : ml_mat_get(&B, k, j);
                        sum += sv * b, bound += fabsl(sv * b);
                    }
                    long double c0 = ml_mat_get(&C0, i, j);
                    check_entry(ml_mat_get(&C, i, j), alpha * sum + beta * c0, alpha * bound + fabsl(beta * c0), eps, s,
                                &bad);
                }
            ml_mat_free(&S), ml_mat_free(&B), ml_mat_free(&C), ml_mat_free(&C0);
        }
    }
    CHECK_OK(ml_threads_set(n0));
}

/* syrk (both op(A)) and the symmetric product of two general matrices (leaf 32, so that the
 * diagonal blocks recurse): the upper triangle against the triple loop, the lower triangle its
 * exact mirror (each part mirrors its own rows), the spare columns untouched; sizes not
 * multiples of 16. */
TEST(blas_split_symmetric_results_match_a_triple_loop)
{
    int n0 = ml_threads_get();
    if (!two_threads("blas_split_symmetric_results_match_a_triple_loop")) return;
    size_t n = 203, k = 61;
    for (int ti = 0; ti < 2; ti++) {
        ml_dtype t = ti ? ML_F64 : ML_F32;
        double eps = ti ? DBL_EPSILON : FLT_EPSILON, alpha = -0.5, beta = 2.0;
        for (int kind = 0; kind < 3; kind++) {   /* syrk of A, syrk of A^T, upper product */
            size_t kk = kind == 2 ? n : k;
            CHECK(ml_split_parts(0.5 * n * n * kk) == 2);
            ml_mat A, B = {0}, C, C0;
            fill(&A, kind == 1 ? kk : n, (kind == 1 ? n : kk) + 3, t, 8 + kind);
            if (kind == 2) fill(&B, n, n + 3, t, 9);
            fill(&C, n, n + 3, t, 10);
            CHECK_OK(ml_mat_clone(&C0, &C, t));
            if (kind < 2)
                ml_blas_syrk_sym(t, kind, n, kk, alpha, A.data, A.stride, beta, C.data, C.stride);
            else
                ml_blas_sym_product(t, n, kk, A.data, A.stride, B.data, B.stride, C.data, C.stride, 32);
            CHECK(ml_threads_get() == 2);
            int bad = 0;
            double al = kind == 2 ? 1.0 : alpha, be = kind == 2 ? 0.0 : beta;
            for (size_t i = 0; i < n; i++)
                for (size_t j = i; j < n; j++) {
                    long double bound, sum = kind == 2 ? ref_dot(&A, 0, &B, 0, i, j, kk, &bound)
                                                       : ref_dot(&A, kind, &A, !kind, i, j, kk, &bound);
                    long double c0 = ml_mat_get(&C0, i, j);
                    check_entry(ml_mat_get(&C, i, j), al * sum + be * c0, fabsl(al) * bound + fabsl(be * c0), eps, kk,
                                &bad);
                    if (ml_mat_get(&C, j, i) != ml_mat_get(&C, i, j) && !bad) {
                        ml_test_fail(__FILE__, __LINE__, "kind %d: C[%zu][%zu] is not the mirror of C[%zu][%zu]", kind,
                                     j, i, i, j);
                        bad = 1;
                    }
                }
            for (size_t i = 0; i < n; i++)
                for (size_t j = n; j < n + 3; j++) CHECK(ml_mat_get(&C, i, j) == ml_mat_get(&C0, i, j));
            ml_mat_free(&A), ml_mat_free(&B), ml_mat_free(&C), ml_mat_free(&C0);
        }
    }
    CHECK_OK(ml_threads_set(n0));
}

/* The cut of the symmetric product: contiguous parts covering every row, boundaries at multiples
 * of 16, and a largest part no larger than the best cut found by trying every boundary (2 and 3
 * parts); the cost itself against its closed forms (one leaf: the block right of the diagonal
 * plus the full square; n = 64, leaf 32: three 32 x 32 blocks). */
TEST(blas_split_sym_product_cut_is_the_best_cut)
{
    CHECK(ml_blas_sym_product_cost(300, 512, 40, 200) == 160.0 * 100 + 160.0 * 160);
    CHECK(ml_blas_sym_product_cost(64, 32, 0, 64) == 3.0 * 32 * 32);
    size_t a0 = 1, b0 = 2;   /* no such part: empty, whatever the count asked */
    ml_blas_sym_product_cut(256, 32, 2, 2, &a0, &b0);
    CHECK(a0 == 256 && b0 == 256);
    ml_blas_sym_product_cut(256, 32, 1000, 999, &a0, &b0);
    CHECK(a0 == 256 && b0 == 256);
    ml_blas_sym_product_cut(256, 32, 1000, 0, &a0, &b0);
    CHECK(a0 == 0 && b0 > 0 && b0 < 256);
    size_t ns[] = {16, 20, 64, 100, 128, 203, 256, 512, 1000}, leaves[] = {32, 128};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (int li = 0; li < 2; li++)
            for (int parts = 2; parts <= 3; parts++) {
                size_t n = ns[i], leaf = leaves[li], prev = 0;
                double worst = 0;
                for (int p = 0; p < parts; p++) {
                    size_t a, b;
                    ml_blas_sym_product_cut(n, leaf, parts, p, &a, &b);
                    CHECK(a == prev && b >= a && b <= n && (b % 16 == 0 || b == n));
                    if (b > a) worst = fmax(worst, ml_blas_sym_product_cost(n, leaf, a, b));
                    prev = b;
                }
                CHECK(prev == n);
                double best = INFINITY;   /* every cut 0 <= b1 <= b2 <= n at multiples of 16 (or n) */
                for (size_t b1 = 0; b1 <= n; b1 = b1 + 16 < n || b1 == n ? b1 + 16 : n)
                    for (size_t b2 = parts == 2 ? n : b1; b2 <= n; b2 = b2 + 16 < n || b2 == n ? b2 + 16 : n) {
                        size_t cut[4] = {0, b1, b2, n};
                        double m = 0;
                        for (int q = 0; q < 3; q++)
                            if (cut[q + 1] > cut[q]) m = fmax(m, ml_blas_sym_product_cost(n, leaf, cut[q], cut[q + 1]));
                        best = fmin(best, m);
                    }
                if (!(worst <= best))
                    ml_test_fail(__FILE__, __LINE__, "n %zu leaf %zu parts %d: largest part %.0f, best cut %.0f", n,
                                 leaf, parts, worst, best);
            }
}

/* Below the window a product runs on one OpenBLAS thread (1), above it with OpenBLAS's own
 * threads (0), and at one thread never split. */
TEST(blas_split_window)
{
    int n0 = ml_threads_get();
    if (!two_threads("blas_split_window")) return;
    const char *env = getenv("ML_BLAS_SPLIT");
    if (env && strcmp(env, "0") == 0) {
        CHECK(ml_split_parts(256.0 * 256 * 256) == 0);
    } else {
        CHECK(ml_split_parts(64.0 * 64 * 64) == 1);
        CHECK(ml_split_parts(256.0 * 256 * 256) == 2);
        CHECK(ml_split_parts(1024.0 * 1024 * 1024) == 0);
    }
    CHECK_OK(ml_threads_set(1));
    CHECK(ml_split_parts(256.0 * 256 * 256) == 0);
    CHECK_OK(ml_threads_set(n0));
}

/* ---- the pool's hand-over ---------------------------------------------------------------- */

typedef struct {
    int *seen;
    int slow_part;   /* this part sleeps 1 ms first (the other side's wait then sleeps too) */
} marks;

static void mark_once(void *ctx, int part, size_t b, size_t e)
{
    marks *m = ctx;
    if (part == m->slow_part) usleep(1000);
    for (size_t i = b; i < e; i++) __atomic_add_fetch(&m->seen[i], 1, __ATOMIC_RELAXED);
}

/* 20000 jobs back to back (the workers spinning), every 500th after a pause and a nap (the
 * workers asleep), some with a slow worker part (the caller asleep) and some with a slow caller
 * part (the worker yielding): every index of every job is marked exactly once. */
TEST(parallel_pool_hands_over_many_jobs)
{
    int n0 = ml_threads_get();
    if (!two_threads("parallel_pool_hands_over_many_jobs")) return;
    enum { N = 37 };
    int seen[N];
    int bad = 0;
    for (int job = 0; job < 20000 && !bad; job++) {
        if (job % 500 == 499) {   /* past the pause-spin, then told to nap: the workers sleep */
            usleep(1000);
            ml_parallel_nap();
            usleep(1000);
        }
        memset(seen, 0, sizeof seen);
        marks m = {seen, job % 997 == 1 ? 1 : job % 991 == 2 ? 0 : -1};
        int parts = ml_parallel_for_threads(N, 1, 2, mark_once, &m);
        if (parts != 2) bad = 1, ml_test_fail(__FILE__, __LINE__, "job %d ran in %d parts", job, parts);
        for (int i = 0; i < N; i++)
            if (seen[i] != 1) {
                ml_test_fail(__FILE__, __LINE__, "job %d: index %d marked %d times", job, i, seen[i]);
                bad = 1;
                break;
            }
    }
    CHECK_OK(ml_threads_set(n0));
}
