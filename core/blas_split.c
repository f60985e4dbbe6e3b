/* Mid-size products split between the pool's threads (internal/blas_split.h). */
#include "internal/blas_split.h"
#include "internal/transpose.h"
#include "parallel.h"
#include "threads.h"
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The window, in multiply-adds. Below 2^20 (a 100^3 product, ~10 us on one core) the split's
 * hand-over is a noticeable part of the product; from 2^28 (512 x 512 x 1024) OpenBLAS's own
 * threading scales about 1.9x (with no upper bound, the eig NS of 1024 x 4096, whose products
 * are 2^30-2^32, took 185-217 ms against 183-196 in 3 alternated pairs). Measured on the 2-core
 * Intel Xeon (AVX-512), alternated runs: fp32 256^3 166-238 us split against 187-203 unsplit (a
 * wash alone); the 5-step gram NS of 256 x 784 4.5-4.8 ms against 5.1-5.2; a GPT training step
 * 58.6 ms against 63.4-66.1 (with parallel.c's final waits); a Fashion-MNIST epoch 2.6-2.9 s
 * against 3.1-3.3. The gain is that OpenBLAS's spinning workers are no longer woken between the
 * products of a step, not the products themselves. */
#define SPLIT_MIN_MAC 1048576.0
#define SPLIT_MAX_MAC 268435456.0
#define UNIT 16   /* blocks of the result start at multiples of 16 rows or columns */

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int enabled = 1;

/* ML_BLAS_SPLIT=0 leaves every product to OpenBLAS's own threading (to compare). */
static void read_env(void)
{
    const char *s = getenv("ML_BLAS_SPLIT");
    enabled = !(s && strcmp(s, "0") == 0);
}

int ml_split_parts(double mac)
{
    pthread_once(&env_once, read_env);
    int t = ml_threads_get();
    if (t < 2) return 0;
    if (!enabled || mac > SPLIT_MAX_MAC) {
        ml_parallel_nap();
        return 0;
    }
    if (mac < SPLIT_MIN_MAC) return 1;
    return t > ML_PARALLEL_MAX ? ML_PARALLEL_MAX : t;
}

void ml_blas_gemm1(ml_dtype t, int ta, int tb, size_t M, size_t N, size_t K, double alpha, const void *A, size_t lda,
                  const void *B, size_t ldb, double beta, void *C, size_t ldc)
{
    enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    if (t == ML_F64)
        cblas_dgemm(CblasRowMajor, TA, TB, (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
    else
        cblas_sgemm(CblasRowMajor, TA, TB, (int)M, (int)N, (int)K, (float)alpha, A, (int)lda, B, (int)ldb, (float)beta,
                    C, (int)ldc);
}

static void symm1(ml_dtype t, int right, size_t M, size_t N, double alpha, const void *S, size_t lds, const void *B,
                  size_t ldb, double beta, void *C, size_t ldc)
{
    enum CBLAS_SIDE side = right ? CblasRight : CblasLeft;
    if (t == ML_F64)
        cblas_dsymm(CblasRowMajor, side, CblasUpper, (int)M, (int)N, alpha, S, (int)lds, B, (int)ldb, beta, C,
                    (int)ldc);
    else
        cblas_ssymm(CblasRowMajor, side, CblasUpper, (int)M, (int)N, (float)alpha, S, (int)lds, B, (int)ldb,
                    (float)beta, C, (int)ldc);
}

static void syrk1(ml_dtype t, int trans, size_t n, size_t k, double alpha, const void *A, size_t lda, double beta,
                  void *C, size_t ldc)
{
    enum CBLAS_TRANSPOSE T = trans ? CblasTrans : CblasNoTrans;
    if (t == ML_F64)
        cblas_dsyrk(CblasRowMajor, CblasUpper, T, (int)n, (int)k, alpha, A, (int)lda, beta, C, (int)ldc);
    else
        cblas_ssyrk(CblasRowMajor, CblasUpper, T, (int)n, (int)k, (float)alpha, A, (int)lda, (float)beta, C, (int)ldc);
}

/* One job description for every kind of split product. */
typedef struct {
    ml_dtype t;
    int ta, tb, by_rows, parts;
    size_t M, N, K, lda, ldb, ldc, leaf;
    double alpha, beta;
    const char *A, *B;
    char *C;
} job;

/* Row or column u * UNIT, clamped to len. */
static size_t unit_pos(size_t u, size_t len) { return u * UNIT < len ? u * UNIT : len; }

static void unit_range(size_t b, size_t e, size_t len, size_t *lo, size_t *hi)
{
    *lo = unit_pos(b, len);
    *hi = unit_pos(e, len);
}

static void gemm_part(void *ctx, int part, size_t b, size_t e)
{
    (void)part;
    const job *j = ctx;
    size_t es = ml_dtype_size(j->t), lo, hi;
    unit_range(b, e, j->by_rows ? j->M : j->N, &lo, &hi);
    if (lo >= hi) return;
    if (j->by_rows)   /* rows lo..hi of C: rows of op(A) (columns of A when ta) */
        ml_blas_gemm1(j->t, j->ta, j->tb, hi - lo, j->N, j->K, j->alpha, j->A + (j->ta ? lo : lo * j->lda) * es,
                      j->lda, j->B, j->ldb, j->beta, j->C + lo * j->ldc * es, j->ldc);
    else   /* columns lo..hi of C: columns of op(B) (rows of B when tb) */
        ml_blas_gemm1(j->t, j->ta, j->tb, j->M, hi - lo, j->K, j->alpha, j->A, j->lda,
                      j->B + (j->tb ? lo * j->ldb : lo) * es, j->ldb, j->beta, j->C + lo * es, j->ldc);
}

void ml_blas_gemm(ml_dtype t, int ta, int tb, size_t M, size_t N, size_t K, double alpha, const void *A, size_t lda,
                  const void *B, size_t ldb, double beta, void *C, size_t ldc)
{
    int parts = ml_split_parts((double)M * (double)N * (double)K);
    if (!parts) {
        ml_blas_gemm1(t, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    job j = {.t = t, .ta = ta, .tb = tb, .by_rows = M >= N, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb,
             .ldc = ldc, .alpha = alpha, .beta = beta, .A = A, .B = B, .C = C};
    ml_parallel_for_blas1(((j.by_rows ? M : N) + UNIT - 1) / UNIT, 1, parts, gemm_part, &j);
}

static void symm_part(void *ctx, int part, size_t b, size_t e)
{
    (void)part;
    const job *j = ctx;
    size_t es = ml_dtype_size(j->t), lo, hi;
    if (j->ta) {   /* right: rows lo..hi of B and C */
        unit_range(b, e, j->M, &lo, &hi);
        if (lo < hi)
            symm1(j->t, 1, hi - lo, j->N, j->alpha, j->A, j->lda, j->B + lo * j->ldb * es, j->ldb, j->beta,
                  j->C + lo * j->ldc * es, j->ldc);
    } else {   /* left: columns lo..hi of B and C */
        unit_range(b, e, j->N, &lo, &hi);
        if (lo < hi)
            symm1(j->t, 0, j->M, hi - lo, j->alpha, j->A, j->lda, j->B + lo * es, j->ldb, j->beta, j->C + lo * es,
                  j->ldc);
    }
}

void ml_blas_symm(ml_dtype t, int right, size_t M, size_t N, double alpha, const void *S, size_t lds, const void *B,
                  size_t ldb, double beta, void *C, size_t ldc)
{
    double s = right ? (double)N : (double)M;
    int parts = ml_split_parts(s * (double)M * (double)N);
    if (!parts) {
        symm1(t, right, M, N, alpha, S, lds, B, ldb, beta, C, ldc);
        return;
    }
    job j = {.t = t, .ta = right, .M = M, .N = N, .lda = lds, .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta,
             .A = S, .B = B, .C = C};
    ml_parallel_for_blas1(((right ? M : N) + UNIT - 1) / UNIT, 1, parts, symm_part, &j);
}

/* Rows [a, b) of part p of an upper triangle of order n cut into `parts` parts of equal area:
 * the first r rows hold n r - r^2 / 2 entries, a share p / parts of n^2 / 2 at
 * r = n (1 - sqrt(1 - p / parts)); boundaries rounded to UNIT. */
static void triangle_rows(size_t n, int parts, int p, size_t *a, size_t *b)
{
    size_t r[2];
    for (int i = 0; i < 2; i++) {
        int q = p + i;
        double x = q >= parts ? (double)n : (double)n * (1.0 - sqrt(1.0 - (double)q / parts));
        size_t v = (size_t)llround(x / UNIT) * UNIT;
        r[i] = q >= parts || v > n ? n : v;
    }
    *a = r[0], *b = r[1];
}

static void syrk_part(void *ctx, int part, size_t u0, size_t u1)
{
    (void)u1;
    const job *j = ctx;
    size_t es = ml_dtype_size(j->t), n = j->N, a, b;
    triangle_rows(n, j->parts, (int)u0, &a, &b);
    if (a >= b) return;
    /* op(A) rows a..b: rows of A (trans 0) or columns of A (trans 1) */
    const char *ra = j->A + (j->ta ? a : a * j->lda) * es, *rb = j->A + (j->ta ? b : b * j->lda) * es;
    syrk1(j->t, j->ta, b - a, j->K, j->alpha, ra, j->lda, j->beta, j->C + (a * j->ldc + a) * es, j->ldc);
    if (b < n)   /* C[a:b, b:n] = alpha op(A)[a:b] op(A)[b:n]^T + beta C */
        ml_blas_gemm1(j->t, j->ta, !j->ta, b - a, n - b, j->K, j->alpha, ra, j->lda, rb, j->lda, j->beta,
                      j->C + (a * j->ldc + b) * es, j->ldc);
    ml_mirror_upper_rows(j->t, j->C, j->ldc, n, a, b);
}

void ml_blas_syrk_sym(ml_dtype t, int trans, size_t n, size_t k, double alpha, const void *A, size_t lda, double beta,
                      void *C, size_t ldc)
{
    int parts = ml_split_parts(0.5 * (double)n * (double)n * (double)k);
    if (!parts) {
        syrk1(t, trans, n, k, alpha, A, lda, beta, C, ldc);
        ml_mirror_upper_rows(t, C, ldc, n, 0, n);
        return;
    }
    job j = {.t = t, .ta = trans, .parts = parts, .N = n, .K = k, .lda = lda, .ldc = ldc, .alpha = alpha,
             .beta = beta, .A = A, .C = C};
    ml_parallel_for_blas1((size_t)parts, 1, parts, syrk_part, &j);
}

/* Where upper_rec halves a diagonal block of nb rows (nb itself: a leaf). */
static size_t rec_half(size_t nb, size_t leaf) { return nb <= leaf ? nb : (nb / 2 + 31) / 32 * 32; }

/* Upper triangle of rows/columns r0..r0+nb-1 of C = A B: the diagonal blocks recursively, the
 * off-diagonal block by one gemm; blocks of `leaf` or fewer rows by a full gemm. */
static void upper_rec(const job *j, size_t r0, size_t nb)
{
    size_t es = ml_dtype_size(j->t);
    size_t h = rec_half(nb, j->leaf), c0 = r0 + (h < nb ? h : 0);
    ml_blas_gemm1(j->t, 0, 0, h, h < nb ? nb - h : nb, j->K, 1.0, j->A + r0 * j->lda * es, j->lda, j->B + c0 * es,
                  j->ldb, 0.0, j->C + (r0 * j->ldc + c0) * es, j->ldc);
    if (h < nb) {
        upper_rec(j, r0, h);
        upper_rec(j, r0 + h, nb - h);
    }
}

/* Multiply-adds per unit of k of upper_rec over nb rows (its full diagonal leaves included). */
static double rec_cost(size_t nb, size_t leaf)
{
    size_t h = rec_half(nb, leaf);
    if (h >= nb) return (double)nb * (double)nb;
    return (double)h * (double)(nb - h) + rec_cost(h, leaf) + rec_cost(nb - h, leaf);
}

double ml_blas_sym_product_cost(size_t n, size_t leaf, size_t a, size_t b)
{
    return (double)(b - a) * (double)(n - b) + rec_cost(b - a, leaf);
}

/* The cut, cached per thread for the last (n, leaf, parts) asked (it costs up to milliseconds at
 * n = 2048): the least largest part over every cut at multiples of UNIT, by dynamic programming
 * on the boundaries (the cost is not monotone in a boundary, so a greedy cut can miss it);
 * beyond CUT_UNITS units (products this large go to OpenBLAS's threads unless k is small) the
 * equal-area cut. Ties go to the earliest boundary. */
#define CUT_UNITS 128
static const size_t *cut_of(size_t n, size_t leaf, int parts)
{
    static _Thread_local struct {
        size_t n, leaf;
        int parts;
        size_t at[ML_PARALLEL_MAX + 1];
    } c;
    if (c.n == n && c.leaf == leaf && c.parts == parts) return c.at;
    size_t U = (n + UNIT - 1) / UNIT;
    c.at[0] = 0;
    if (U > CUT_UNITS) {
        for (int q = 0; q < parts; q++) triangle_rows(n, parts, q, &c.at[q], &c.at[q + 1]);
    } else {
        double best[ML_PARALLEL_MAX + 1][CUT_UNITS + 1];   /* best[q][i]: rows [0, unit_pos(i)) in q parts */
        unsigned char from[ML_PARALLEL_MAX + 1][CUT_UNITS + 1];
        for (size_t i = 0; i <= U; i++) best[0][i] = i ? INFINITY : 0;
        for (int q = 1; q <= parts; q++)
            for (size_t i = 0; i <= U; i++) {
                best[q][i] = INFINITY;
                for (size_t r = 0; r <= i; r++) {
                    double last = r < i ? ml_blas_sym_product_cost(n, leaf, unit_pos(r, n), unit_pos(i, n)) : 0;
                    double m = fmax(best[q - 1][r], last);
                    if (m < best[q][i]) best[q][i] = m, from[q][i] = (unsigned char)r;
                }
            }
        size_t i = U;
        for (int q = parts; q >= 1; q--) {
            c.at[q] = unit_pos(i, n);
            i = from[q][i];
        }
    }
    c.n = n, c.leaf = leaf, c.parts = parts;
    return c.at;
}

void ml_blas_sym_product_cut(size_t n, size_t leaf, int parts, int p, size_t *a, size_t *b)
{
    if (parts < 1) parts = 1;
    if (parts > ML_PARALLEL_MAX) parts = ML_PARALLEL_MAX;
    if (p < 0 || p >= parts) {   /* no such part: an empty range */
        *a = *b = n;
        return;
    }
    const size_t *at = cut_of(n, leaf, parts);
    *a = at[p], *b = at[p + 1];
}

static void upper_part(void *ctx, int part, size_t u0, size_t u1)
{
    (void)part, (void)u1;
    const job *j = ctx;
    size_t es = ml_dtype_size(j->t), n = j->N, a, b;
    ml_blas_sym_product_cut(n, j->leaf, j->parts, (int)u0, &a, &b);
    if (a >= b) return;
    if (b < n)
        ml_blas_gemm1(j->t, 0, 0, b - a, n - b, j->K, 1.0, j->A + a * j->lda * es, j->lda, j->B + b * es, j->ldb, 0.0,
                      j->C + (a * j->ldc + b) * es, j->ldc);
    upper_rec(j, a, b - a);
    ml_mirror_upper_rows(j->t, j->C, j->ldc, n, a, b);
}

void ml_blas_sym_product(ml_dtype t, size_t n, size_t k, const void *A, size_t lda, const void *B, size_t ldb,
                         void *C, size_t ldc, size_t leaf)
{
    job j = {.t = t, .N = n, .K = k, .lda = lda, .ldb = ldb, .ldc = ldc, .leaf = leaf, .A = A, .B = B, .C = C};
    j.parts = ml_split_parts(0.5 * (double)n * (double)n * (double)k);
    if (!j.parts) {
        upper_rec(&j, 0, n);
        ml_mirror_upper_rows(t, C, ldc, n, 0, n);
        return;
    }
    ml_parallel_for_blas1((size_t)j.parts, 1, j.parts, upper_part, &j);
}
