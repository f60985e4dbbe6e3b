/* Matrix storage, views, copies and the BLAS wrappers against slow direct loops. */
#include "check.h"
#include "error.h"
#include "matrix.h"
#include "ops.h"
#include "internal/transpose.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void fill_seq(ml_mat *m)
{
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) ml_mat_set(m, i, j, (double)(i * 10 + j) * 0.25 - 3.0);
}

TEST(matrix_alloc_view_refcount)
{
    ml_mat a, v;
    CHECK_OK(ml_mat_alloc(&a, 4, 5, ML_F64));
    fill_seq(&a);
    CHECK_OK(ml_mat_view(&v, &a, 1, 2, 2, 3));
    CHECK(a.buf->refs == 2);
    CHECK(v.stride == 5);
    CHECK_NEAR(ml_mat_get(&v, 1, 2), ml_mat_get(&a, 2, 4), 0);
    ml_mat_set(&v, 0, 0, 99.0);   /* a view writes through to its parent */
    CHECK_NEAR(ml_mat_get(&a, 1, 2), 99.0, 0);
    ml_mat_free(&a);
    CHECK(v.buf->refs == 1);
    CHECK_NEAR(ml_mat_get(&v, 0, 0), 99.0, 0);   /* storage outlives the parent */
    CHECK(ml_mat_view(&a, &v, 1, 1, 2, 2) == ML_EINVAL);
    ml_mat_free(&v);
}

TEST(matrix_rejects_empty_and_huge_before_allocating)
{
    ml_mat a;
    CHECK(ml_mat_alloc(&a, 0, 3, ML_F64) == ML_EINVAL);
    CHECK(a.buf == NULL);
    CHECK(ml_mat_alloc(&a, 1000000, 1000000, ML_F64) == ML_ENOMEM);
    CHECK(a.buf == NULL);
}

TEST(matrix_transpose_reshape_copy)
{
    ml_mat a, t, r, f;
    CHECK_OK(ml_mat_alloc(&a, 37, 70, ML_F32));   /* not a multiple of the transpose block */
    fill_seq(&a);
    CHECK_OK(ml_mat_transpose(&t, &a));
    int bad = 0;
    for (size_t i = 0; i < 37; i++)
        for (size_t j = 0; j < 70; j++) bad += ml_mat_get(&t, j, i) != ml_mat_get(&a, i, j);
    CHECK(bad == 0);
    CHECK_OK(ml_mat_reshape(&r, &a, 70, 37));
    CHECK(r.data == a.data);                      /* contiguous: a view */
    CHECK_NEAR(ml_mat_get(&r, 1, 0), ml_mat_get(&a, 0, 37), 0);
    CHECK(ml_mat_reshape(&f, &a, 10, 10) == ML_EINVAL);
    CHECK_OK(ml_mat_clone(&f, &a, ML_F64));
    CHECK(f.dtype == ML_F64);
    CHECK_NEAR(ml_mat_get(&f, 36, 69), ml_mat_get(&a, 36, 69), 0);
    ml_mat_free(&a);
    ml_mat_free(&t);
    ml_mat_free(&r);
    ml_mat_free(&f);
}

/* Storage is zeroed (also when the allocator hands back a block just freed), aligned to 64 bytes,
 * and from 2 MB on to 2 MB (core/matrix.c: the huge-page path), either side of that boundary. */
TEST(matrix_storage_zeroed_and_aligned)
{
    const size_t shapes[][3] = {{3, 5, ML_F32}, {7, 3, ML_F64}, {1023, 512, ML_F32}, {512, 1024, ML_F32},
                                {512, 1025, ML_F32}, {1000, 700, ML_F64}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        for (int round = 0; round < 2; round++) {
            ml_mat a;
            CHECK_OK(ml_mat_alloc(&a, shapes[s][0], shapes[s][1], (ml_dtype)shapes[s][2]));
            size_t bytes = a.rows * a.cols * ml_dtype_size(a.dtype);
            CHECK((uintptr_t)a.data % (bytes >= ((size_t)2 << 20) ? ((size_t)2 << 20) : 64) == 0);
            size_t nonzero = 0;
            for (size_t i = 0; i < a.rows; i++)
                for (size_t j = 0; j < a.cols; j++) nonzero += ml_mat_get(&a, i, j) != 0;
            CHECK(nonzero == 0);
            for (size_t i = 0; i < a.rows; i++)   /* dirty every byte before the block goes back */
                for (size_t j = 0; j < a.cols; j++) ml_mat_set(&a, i, j, -1.5);
            CHECK_NEAR(ml_mat_get(&a, a.rows - 1, a.cols - 1), -1.5, 0);
            ml_mat_free(&a);
        }
    }
}

static double resident_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1048576.0);
}

/* Storage of 2 MB and more goes back to the system when freed, whatever the allocator did
 * before: a 16 MB matrix freed first (glibc then serves blocks up to that size from its heap,
 * which an aligned calloc block kept resident, slack included), then 50 rounds of three 2-3 MB
 * matrices, written and freed. Resident memory afterwards: within 2 MB of the start (plain
 * calloc kept 7 MB, the aligned calloc block 13 MB). */
TEST(matrix_large_storage_returns_to_the_system)
{
#if defined(__SANITIZE_ADDRESS__)
    return;   /* ASan's allocator serves every block (its quarantine keeps freed memory) */
#endif
    double r0 = resident_mb();
    if (r0 < 0) return;   /* no /proc: nothing to measure */
    ml_mat big;
    CHECK_OK(ml_mat_alloc(&big, 4096, 1024, ML_F32));
    ml_mat_set(&big, 4095, 1023, 1.0);
    ml_mat_free(&big);
    r0 = resident_mb();
    for (int round = 0; round < 50; round++) {
        ml_mat m[3];
        for (int k = 0; k < 3; k++) {
            CHECK_OK(ml_mat_alloc(&m[k], 1024, 540 + 80 * (size_t)k, ML_F32));
            for (size_t i = 0; i < m[k].rows; i++) ml_mat_set(&m[k], i, m[k].cols - 1, (double)k);
            memset(m[k].data, 1, m[k].rows * m[k].cols * sizeof(float));
        }
        for (int k = 0; k < 3; k++) ml_mat_free(&m[k]);
    }
    CHECK(resident_mb() - r0 < 2.0);
}

TEST(matrix_ensure_reuses_buffer)
{
    ml_mat w = {0};
    CHECK_OK(ml_mat_ensure(&w, 10, 20, ML_F64));
    void *p = w.data;
    CHECK_OK(ml_mat_ensure(&w, 20, 10, ML_F64));
    CHECK(w.data == p);
    CHECK_OK(ml_mat_ensure(&w, 10, 20, ML_F32));   /* smaller element type fits too */
    CHECK(w.data == p);
    ml_mat_free(&w);
}

TEST(matrix_all_finite)
{
    ml_mat a;
    CHECK_OK(ml_mat_alloc(&a, 3, 3, ML_F32));
    CHECK(ml_mat_all_finite(&a));
    ml_mat_set(&a, 2, 1, NAN);
    CHECK(!ml_mat_all_finite(&a));
    ml_mat_set(&a, 2, 1, INFINITY);
    CHECK(!ml_mat_all_finite(&a));
    ml_mat_free(&a);
}

/* ml_mat_all_finite (vectorized row scans) on a strided 5 x 37 view of both dtypes (37 columns:
 * vector bodies and a tail): a NaN or +-Inf at any position is seen, NaN in the padding outside
 * the view is not, and the largest finite values and subnormals are finite. */
TEST(matrix_all_finite_every_position)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        ml_mat A, V;
        CHECK_OK(ml_mat_alloc(&A, 7, 41, dt));
        ml_mat_fill(&A, NAN);
        CHECK_OK(ml_mat_view(&V, &A, 1, 2, 5, 37));
        ml_mat_fill(&V, 1.0);
        ml_mat_set(&V, 0, 0, t ? 3.4028234663852886e38 : 1.7976931348623157e308);
        ml_mat_set(&V, 4, 36, t ? -1e-45 : -4.9e-324);
        CHECK(ml_mat_all_finite(&V));
        CHECK(!ml_mat_all_finite(&A));
        int missed = 0;
        double specials[] = {NAN, INFINITY, -INFINITY};
        for (size_t i = 0; i < 5; i++)
            for (size_t j = 0; j < 37; j++)
                for (int k = 0; k < 3; k++) {
                    double keep = ml_mat_get(&V, i, j);
                    ml_mat_set(&V, i, j, specials[k]);
                    missed += ml_mat_all_finite(&V);
                    ml_mat_set(&V, i, j, keep);
                }
        CHECK(missed == 0);
        CHECK(ml_mat_all_finite(&V));
        ml_mat_free(&V);
        ml_mat_free(&A);
    }
}

/* ml_axpby in float32 computes in double and rounds once (both builds of its row kernel, SSE2
 * and AVX2, give these bits): every entry equals the scalar (float)(a x + b y), on a strided view
 * with a tail, in place too. */
TEST(axpby_float_rounds_once)
{
    ml_mat X, Y, Z, V;
    CHECK_OK(ml_mat_alloc(&X, 6, 43, ML_F32));
    CHECK_OK(ml_mat_alloc(&Y, 6, 43, ML_F32));
    CHECK_OK(ml_mat_alloc(&Z, 8, 50, ML_F32));
    ml_rng r;
    ml_rng_seed(&r, 11);
    ml_rng_fill_normal(&r, &X, 0, 1);
    ml_rng_fill_normal(&r, &Y, 0, 1e-3);
    CHECK_OK(ml_mat_view(&V, &Z, 1, 3, 6, 43));
    const double a = 0.95, b = 1.0 / 3.0;
    CHECK_OK(ml_axpby(&V, a, &X, b, &Y));
    int wrong = 0;
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 43; j++) {
            float want = (float)(a * (double)((float *)X.data)[i * X.stride + j] + b * (double)((float *)Y.data)[i * Y.stride + j]);
            wrong += ((float *)V.data)[i * V.stride + j] != want;
        }
    CHECK(wrong == 0);
    ml_mat W;
    CHECK_OK(ml_mat_clone(&W, &X, ML_F32));
    CHECK_OK(ml_axpby(&X, a, &X, b, &Y));   /* in place */
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 43; j++) {
            float want = (float)(a * (double)((float *)W.data)[i * W.stride + j] + b * (double)((float *)Y.data)[i * Y.stride + j]);
            wrong += ((float *)X.data)[i * X.stride + j] != want;
        }
    CHECK(wrong == 0);
    ml_mat_free(&W), ml_mat_free(&V), ml_mat_free(&X), ml_mat_free(&Y), ml_mat_free(&Z);
}

/* gemm/syrk/symm against the textbook triple loop in double. */
static void check_products(ml_dtype t, double tol)
{
    ml_rng r;
    ml_rng_seed(&r, 7);
    ml_mat A, B, C, G, S, D;
    CHECK_OK(ml_mat_alloc(&A, 13, 9, t));
    CHECK_OK(ml_mat_alloc(&B, 11, 9, t));
    CHECK_OK(ml_mat_alloc(&C, 13, 11, t));
    ml_rng_fill_normal(&r, &A, 0, 1);
    ml_rng_fill_normal(&r, &B, 0, 1);
    ml_mat_fill(&C, 1.0);
    CHECK_OK(ml_gemm(&C, 2.0, &A, ML_NOTRANS, &B, ML_TRANS, 0.5));   /* C = 2 A B^T + 0.5 */
    double err = 0;
    for (size_t i = 0; i < 13; i++)
        for (size_t j = 0; j < 11; j++) {
            double s = 0;
            for (size_t k = 0; k < 9; k++) s += ml_mat_get(&A, i, k) * ml_mat_get(&B, j, k);
            err = fmax(err, fabs(ml_mat_get(&C, i, j) - (2 * s + 0.5)));
        }
    CHECK_NEAR(err, 0, tol);
    CHECK_OK(ml_mat_alloc(&G, 9, 9, t));
    CHECK_OK(ml_syrk(&G, 1.0, &A, ML_TRANS, 0.0));   /* A^T A, both triangles */
    err = 0;
    for (size_t i = 0; i < 9; i++)
        for (size_t j = 0; j < 9; j++) {
            double s = 0;
            for (size_t k = 0; k < 13; k++) s += ml_mat_get(&A, k, i) * ml_mat_get(&A, k, j);
            err = fmax(err, fabs(ml_mat_get(&G, i, j) - s));
        }
    CHECK_NEAR(err, 0, tol * 4);
    CHECK_OK(ml_mat_alloc(&S, 9, 11, t));
    CHECK_OK(ml_mat_alloc(&D, 9, 11, t));
    ml_mat Bt;
    CHECK_OK(ml_mat_transpose(&Bt, &B));
    CHECK_OK(ml_symm(&S, 1.0, &G, &Bt, 0.0));
    CHECK_OK(ml_gemm(&D, 1.0, &G, ML_NOTRANS, &Bt, ML_NOTRANS, 0.0));
    CHECK_OK(ml_axpy(&D, -1.0, &S));
    CHECK_NEAR(ml_norm_maxabs(&D), 0, tol * 20);
    CHECK(ml_gemm(&C, 1.0, &A, ML_NOTRANS, &B, ML_NOTRANS, 0.0) == ML_EINVAL);   /* 13x9 * 11x9 */
    ml_mat_free(&A), ml_mat_free(&B), ml_mat_free(&C), ml_mat_free(&G), ml_mat_free(&S), ml_mat_free(&D),
        ml_mat_free(&Bt);
}

/* Tolerances: sums of 9..13 products of N(0,1) entries, so |error| ~ k * eps * max|term|. */
TEST(blas_products_f64) { check_products(ML_F64, 1e-13); }
TEST(blas_products_f32) { check_products(ML_F32, 2e-5); }

TEST(norms_trace_dot_closed_forms)
{
    double a[] = {3, 0, 0, 0, -4, 0};   /* 2x3, singular values 4 and 3 */
    ml_mat A;
    CHECK_OK(ml_mat_from_array(&A, 2, 3, a, ML_F64));
    double s, n, d;
    CHECK_NEAR(ml_norm_fro(&A), 5.0, 1e-15);
    CHECK_NEAR(ml_norm_maxabs(&A), 4.0, 0);
    CHECK_OK(ml_norm_spectral(&A, &s));
    CHECK_NEAR(s, 4.0, 1e-14);
    CHECK_OK(ml_norm_nuclear(&A, &n));
    CHECK_NEAR(n, 7.0, 1e-14);
    CHECK_NEAR(ml_trace(&A), -1.0, 0);
    CHECK_OK(ml_dot(&A, &A, &d));
    CHECK_NEAR(d, 25.0, 0);
    ml_scale(&A, 1e200);   /* no overflow in the Frobenius norm */
    CHECK_REL(ml_norm_fro(&A), 5e200, 1e-15);
    ml_mat_free(&A);
}

/* Issue 12 item 2: the element limit is the BLAS int limit, so no matrix exceeds it. */
TEST(matrix_limit_is_the_blas_int)
{
    ml_mat a;
    CHECK(ML_MAX_ELEMS == 2147483647u);
    CHECK(ml_mat_check_dims(1, (size_t)1 << 31) == ML_ENOMEM);
    CHECK(ml_mat_check_dims((size_t)1 << 16, (size_t)1 << 15) == ML_ENOMEM);
    CHECK(ml_mat_check_dims(1, 2147483647u) == ML_OK);
    CHECK(ml_mat_alloc(&a, 2, (size_t)1 << 30, ML_F32) == ML_ENOMEM);
}

/* Issue 12 item 3: overlap detection and in-place operations through a copy. Reference: the
 * same operation with the source cloned first. */
TEST(matrix_overlapping_views)
{
    ml_mat a, b, v1, v2, c;
    CHECK_OK(ml_mat_alloc(&a, 4, 5, ML_F64));
    fill_seq(&a);
    CHECK_OK(ml_mat_clone(&b, &a, ML_F64));
    CHECK_OK(ml_mat_view(&v1, &a, 1, 0, 3, 5));
    CHECK_OK(ml_mat_view(&v2, &a, 0, 0, 3, 5));
    CHECK(ml_mat_overlap(&v1, &v2) && ml_mat_shares(&v1, &v2));
    CHECK(!ml_mat_overlap(&v1, &v1) && ml_mat_shares(&v1, &v1));   /* the identical view: in place is fine */
    CHECK(!ml_mat_shares(&a, &b));
    CHECK_OK(ml_axpby(&v1, 2.0, &v2, -1.0, &v1));   /* rows 1..3 <- 2 rows 0..2 - rows 1..3 */
    for (size_t i = 3; i >= 1; i--)
        for (size_t j = 0; j < 5; j++)
            ml_mat_set(&b, i, j, 2 * ml_mat_get(&b, i - 1, j) - ml_mat_get(&b, i, j));
    /* b computed bottom-up reads the old rows: the out-of-place result */
    CHECK(ml_mat_get(&a, 3, 4) == ml_mat_get(&b, 3, 4) && ml_mat_get(&a, 1, 0) == ml_mat_get(&b, 1, 0));
    CHECK_OK(ml_mat_clone(&c, &v2, ML_F64));
    CHECK_OK(ml_mat_copy(&v1, &v2));
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 5; j++) CHECK(ml_mat_get(&v1, i, j) == ml_mat_get(&c, i, j));
    ml_mat_free(&v1);
    ml_mat_free(&v2);
    ml_mat_free(&c);
    ml_mat_free(&a);
    ml_mat_free(&b);
}

/* Issue 12 item 1: the scaled Frobenius norm, trace and dot against closed forms at the ends of
 * the double range: ||c 1_{m x n}||_F = c sqrt(mn). */
TEST(norms_without_overflow_or_underflow)
{
    ml_mat a, z;
    CHECK_OK(ml_mat_alloc(&a, 3, 4, ML_F64));
    CHECK_OK(ml_mat_alloc(&z, 3, 4, ML_F64));
    const double cs[] = {1e300, 1e-300, 0x1p-1074, 1.0, 1e154, 1e-170};
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        ml_mat_fill(&a, cs[k]);
        CHECK_NEAR(ml_norm_fro(&a) / (cs[k] * sqrt(12.0)), 1.0, 1e-15 + (cs[k] < 1e-300 ? 0.2 : 0));
        double d;
        CHECK_OK(ml_norm_fro_diff(&a, &z, &d));
        CHECK(d == ml_norm_fro(&a));
    }
    ml_mat_fill(&a, 1e308);
    CHECK(isinf(ml_norm_fro(&a)));   /* beyond the range: the binding reports it */
    ml_mat_fill(&z, -1e308);
    double d;
    CHECK_OK(ml_norm_fro_diff(&a, &z, &d));   /* 2e308 per entry: not representable */
    CHECK(isinf(d));
    ml_mat_set_eye(&a);
    ml_scale(&a, 1e308);
    ml_mat_set(&a, 2, 2, -1e308);
    CHECK_NEAR(ml_trace(&a), 1e308, 1e293);   /* 1e308 + 1e308 - 1e308: the plain sum overflows */
    ml_mat_fill(&a, 0x1p-500);
    ml_mat_fill(&z, 0x1p-520);
    CHECK_OK(ml_dot(&a, &z, &d));
    CHECK(d == 12 * 0x1p-1020);   /* products 2^-1020: exact after rescaling */
    ml_mat_free(&a);
    ml_mat_free(&z);
}

/* ml_norm_maxabs against a straightforward scan, on strided views of both dtypes, with the
 * special values its bit-pattern maximum must order right: -0, subnormals, Inf above every
 * finite value, NaN above Inf (a NaN anywhere gives NaN). */
TEST(norm_maxabs_bits_match_a_plain_scan)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        ml_mat A;
        CHECK_OK(ml_mat_alloc(&A, 7, 13, dt));
        ml_rng r;
        ml_rng_seed(&r, 5);
        for (size_t i = 0; i < 7; i++)
            for (size_t j = 0; j < 13; j++) ml_mat_set(&A, i, j, ml_rng_normal(&r) * (j % 3 ? 1 : -3));
        ml_mat V = A;   /* a 5 x 9 view at (1, 2): stride 13 */
        V.rows = 5;
        V.cols = 9;
        V.data = (char *)A.data + (1 * A.stride + 2) * ml_dtype_size(dt);
        double want = 0;
        for (size_t i = 0; i < 5; i++)
            for (size_t j = 0; j < 9; j++) want = fmax(want, fabs(ml_mat_get(&V, i, j)));
        CHECK(ml_norm_maxabs(&V) == want);
        ml_mat_set(&A, 0, 0, 1e30);   /* outside the view: not seen */
        CHECK(ml_norm_maxabs(&V) == want);
        ml_mat_set(&V, 4, 8, -2 * want);
        CHECK(ml_norm_maxabs(&V) == 2 * want);
        ml_mat_set(&V, 2, 3, -INFINITY);
        CHECK(ml_norm_maxabs(&V) == INFINITY);
        ml_mat_set(&V, 3, 1, NAN);
        CHECK(isnan(ml_norm_maxabs(&V)));
        ml_mat_fill(&A, -0.0);
        CHECK(ml_norm_maxabs(&A) == 0 && !signbit(ml_norm_maxabs(&A)));
        double sub = t ? 1e-40 : 1e-310;
        ml_mat_set(&A, 6, 12, -sub);
        CHECK(ml_norm_maxabs(&A) == (t ? (double)(float)sub : sub));
        ml_mat_free(&A);
    }
}

/* ml_symmetrize_from_upper (4 x 4 SSE tiles in float32, scalar edges) against the plain rule
 * S_ij = S_ji for i > j, at sizes around the tile and block edges, on a strided matrix. */
TEST(symmetrize_from_upper_all_sizes)
{
    size_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 31, 32, 33, 36, 63, 64, 65, 70, 130};
    for (int t = 0; t < 2; t++)
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            size_t n = sizes[k];
            ml_dtype dt = t ? ML_F32 : ML_F64;
            ml_mat B;
            CHECK_OK(ml_mat_alloc(&B, n, n + 3, dt));
            ml_mat S = B;
            S.cols = n;   /* stride n + 3 */
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n + 3; j++) ml_mat_set(&B, i, j, j >= i ? (double)(i * 1000 + j) : -1.0);
            ml_symmetrize_from_upper(&S);
            int ok = 1;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n + 3; j++) {
                    double want = j >= n ? (double)(i * 1000 + j) : j >= i ? (double)(i * 1000 + j) : (double)(j * 1000 + i);
                    ok &= ml_mat_get(&B, i, j) == want;
                }
            CHECK(ok);
            ml_mat_free(&B);
        }
}

/* ml_transpose_block (4 x 4 SSE tiles in float32, scalar edges) against the
 * plain rule dst[c][r] = scale src[r][c], for every shape up to 19 x 19 (tiles and every ragged
 * edge), strided source and destination, a scale of 1 and of 0.37; the destination's spare
 * columns untouched. float32 products by a float scale are exact to compare: the same rounding. */
TEST(transpose_block_all_shapes)
{
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        for (size_t rows = 1; rows <= 19; rows++)
            for (size_t cols = 1; cols <= 19; cols++)
                for (int k = 0; k < 2; k++) {
                    double sc = k ? 0.37 : 1.0;
                    size_t lds = cols + 5, ldd = rows + 3;
                    ml_mat S, D;
                    CHECK_OK(ml_mat_alloc(&S, rows, lds, dt));
                    CHECK_OK(ml_mat_alloc(&D, cols, ldd, dt));
                    for (size_t i = 0; i < rows; i++)
                        for (size_t j = 0; j < lds; j++) ml_mat_set(&S, i, j, (double)(i * 100 + j) + 0.25);
                    ml_mat_fill(&D, -7.0);
                    ml_transpose_block(dt, D.data, ldd, S.data, lds, rows, cols, sc);
                    int ok = 1;
                    for (size_t c = 0; c < cols; c++)
                        for (size_t r = 0; r < ldd; r++) {
                            double want = r >= rows ? -7.0 : t ? (double)((float)sc * (float)(r * 100 + c + 0.25)) : sc * (double)(r * 100 + c + 0.25);
                            ok &= ml_mat_get(&D, c, r) == want;
                        }
                    if (!ok) ml_test_fail(__FILE__, __LINE__, "transpose %s %zu x %zu scale %g", t ? "f32" : "f64", rows, cols, sc);
                    ml_mat_free(&S);
                    ml_mat_free(&D);
                }
    }
}
