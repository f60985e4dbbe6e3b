#include "ops.h"
#include "error.h"
#include "svd.h"
#include "internal/blas_split.h"
#include "internal/simd.h"
#include "internal/transpose.h"
#include "parallel.h"
#include <xmmintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define SHAPE_ERR(what, a, b) \
    ml_error(ML_EINVAL, "%s: shape mismatch (%zu x %zu vs %zu x %zu)", what, (a)->rows, (a)->cols, (b)->rows, (b)->cols)

static int check_binary(const char *what, const ml_mat *a, const ml_mat *b)
{
    if (!ml_mat_same_shape(a, b)) return SHAPE_ERR(what, a, b);
    if (a->dtype != b->dtype)
        return ml_error(ML_EINVAL, "%s: dtype mismatch (%s vs %s)", what, ml_dtype_name(a->dtype), ml_dtype_name(b->dtype));
    return ML_OK;
}

/* Elementwise row kernels z = EXPR(x[j], y[j], a, b), built for baseline x86-64 and x86-64-v3
 * (core/internal/simd.h). float rows compute in double and round once, as always; AVX2 does it
 * 4 lanes at a time instead of SSE2's 2 (axpby on a 128 x 512 float32 matrix: 77 us before, at
 * 1.2 ns an element, 11% of a GPT optimizer step). z may be x or y itself, never a partial overlap. */
#define DEFINE_ROWS2(name, EXPR)                                                                          \
    ML_CLONES static void name##_d(double *z, const double *x, const double *y, size_t n, double a, double b) \
    {                                                                                                     \
        _Pragma("omp simd") for (size_t j = 0; j < n; j++) z[j] = EXPR;                                   \
    }                                                                                                     \
    ML_CLONES static void name##_f(float *z, const float *x, const float *y, size_t n, double a, double b)    \
    {                                                                                                     \
        _Pragma("omp simd") for (size_t j = 0; j < n; j++) z[j] = EXPR;                                   \
    }
DEFINE_ROWS2(axpby_rows, a * x[j] + b * y[j])
DEFINE_ROWS2(hadamard_rows, x[j] * y[j])
DEFINE_ROWS2(scale_rows, a * x[j])

/* Apply row kernel `name` over every row of Z, for each dtype: on the pool's threads (rows cut
 * in contiguous parts) from ML_PARALLEL_ELEMENTS entries (parallel.h says why), else on the
 * caller's. Elementwise, so the result is the same either way. */
typedef void (*rows2_d)(double *, const double *, const double *, size_t, double, double);
typedef void (*rows2_f)(float *, const float *, const float *, size_t, double, double);
typedef struct {
    rows2_d fd;
    rows2_f ff;
    ml_mat *Z;
    const ml_mat *X, *Y;
    double a, b;
} rows2_job;

static void rows2_part(void *ctx, int part, size_t r0, size_t r1)
{
    rows2_job *j = ctx;
    ml_mat *Z = j->Z;
    const ml_mat *X = j->X, *Y = j->Y;
    for (size_t i = r0; i < r1; i++) {
        if (Z->dtype == ML_F64)
            j->fd((double *)Z->data + i * Z->stride, (const double *)X->data + i * X->stride,
                  (const double *)Y->data + i * Y->stride, Z->cols, j->a, j->b);
        else
            j->ff((float *)Z->data + i * Z->stride, (const float *)X->data + i * X->stride,
                  (const float *)Y->data + i * Y->stride, Z->cols, j->a, j->b);
    }
}

static void rows2_run(rows2_d fd, rows2_f ff, ml_mat *Z, const ml_mat *X, const ml_mat *Y, double a, double b)
{
    rows2_job j = {fd, ff, Z, X, Y, a, b};
    if (Z->rows * Z->cols < ML_PARALLEL_ELEMENTS) {
        rows2_part(&j, 0, 0, Z->rows);
        return;
    }
    ml_parallel_for(Z->rows, (ML_PARALLEL_ELEMENTS / 2 + Z->cols - 1) / Z->cols, rows2_part, &j);
}
#define ROWS2(name, Z, X, Y, a, b) rows2_run(name##_d, name##_f, Z, X, Y, a, b)

int ml_axpy(ml_mat *Y, double a, const ml_mat *X)
{
    return ml_axpby(Y, a, X, 1.0, Y);
}

/* Z <- f(X, Y) elementwise; X or Y overlapping Z (other than as Z itself) is read from a copy. */
#define BINARY(what, Z, X, Y, name, a, b)                               \
    do {                                                                \
        int rc = check_binary(what, X, Y);                              \
        if (!rc) rc = check_binary(what, Z, X);                         \
        ml_mat tx = {0}, ty = {0};                                      \
        const ml_mat *X_ = X, *Y_ = Y;                                  \
        if (!rc) rc = ml_mat_unalias(Z, X, &tx, &X_);                   \
        if (!rc) rc = ml_mat_unalias(Z, Y, &ty, &Y_);                   \
        if (!rc) ROWS2(name, Z, X_, Y_, a, b);                          \
        ml_mat_free(&tx);                                               \
        ml_mat_free(&ty);                                               \
        return rc;                                                      \
    } while (0)

int ml_axpby(ml_mat *Z, double a, const ml_mat *X, double b, const ml_mat *Y)
{
    BINARY("axpby", Z, X, Y, axpby_rows, a, b);
}

int ml_hadamard(ml_mat *Z, const ml_mat *X, const ml_mat *Y)
{
    BINARY("hadamard", Z, X, Y, hadamard_rows, 0.0, 0.0);
}

void ml_scale(ml_mat *X, double a)
{
    ROWS2(scale_rows, X, X, X, a, 0.0);
}

void ml_add_diag(ml_mat *X, double a)
{
    size_t k = X->rows < X->cols ? X->rows : X->cols;
    for (size_t i = 0; i < k; i++) ml_mat_set(X, i, i, ml_mat_get(X, i, i) + a);
}

int ml_gemm(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb, double beta)
{
    size_t m = ta ? A->cols : A->rows, k = ta ? A->rows : A->cols;
    size_t kb = tb ? B->cols : B->rows, n = tb ? B->rows : B->cols;
    if (k != kb || C->rows != m || C->cols != n)
        return ml_error(ML_EINVAL, "matmul: shape mismatch (%zu x %zu times %zu x %zu into %zu x %zu)", m, k, kb, n,
                        C->rows, C->cols);
    if (A->dtype != B->dtype || A->dtype != C->dtype)
        return ml_error(ML_EINVAL, "matmul: dtype mismatch (%s, %s, %s)", ml_dtype_name(A->dtype),
                        ml_dtype_name(B->dtype), ml_dtype_name(C->dtype));
    ml_blas_gemm(C->dtype, ta != 0, tb != 0, m, n, k, alpha, A->data, A->stride, B->data, B->stride, beta, C->data,
                 C->stride);
    return ML_OK;
}

/* dst (cols x rows, row stride ldd) = scale src^T, src rows x cols (row stride lds); the two
 * must not overlap. float32 moves whole 4x4 tiles through SSE registers (_MM_TRANSPOSE4_PS),
 * then the ragged edges. Used after every Gram-form product of ml_ns (mirroring the upper
 * triangle) and for the attention's transposed K and V blocks, thousands of times a step. */
void ml_transpose_block(ml_dtype t, void *dst, size_t ldd, const void *src, size_t lds, size_t rows, size_t cols,
                        double scale)
{
    if (t == ML_F64) {
        double *o = dst;
        const double *in = src;
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) o[c * ldd + r] = scale * in[r * lds + c];
        return;
    }
    float *o = dst, sc = (float)scale;
    const float *in = src;
    __m128 vs = _mm_set1_ps(sc);
    size_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        size_t c = 0;
        for (; c + 4 <= cols; c += 4) {
            __m128 r0 = _mm_loadu_ps(in + r * lds + c), r1 = _mm_loadu_ps(in + (r + 1) * lds + c),
                   r2 = _mm_loadu_ps(in + (r + 2) * lds + c), r3 = _mm_loadu_ps(in + (r + 3) * lds + c);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(o + c * ldd + r, _mm_mul_ps(vs, r0));
            _mm_storeu_ps(o + (c + 1) * ldd + r, _mm_mul_ps(vs, r1));
            _mm_storeu_ps(o + (c + 2) * ldd + r, _mm_mul_ps(vs, r2));
            _mm_storeu_ps(o + (c + 3) * ldd + r, _mm_mul_ps(vs, r3));
        }
        for (size_t i = r; i < r + 4; i++)
            for (size_t j = c; j < cols; j++) o[j * ldd + i] = sc * in[i * lds + j];
    }
    for (; r < rows; r++)
        for (size_t c = 0; c < cols; c++) o[c * ldd + r] = sc * in[r * lds + c];
}

/* Blocked 32x32 so that the columns written stay in cache; the off-diagonal blocks by
 * ml_transpose_block, the diagonal block by typed loops (a memcpy call per entry had been 7% of
 * a GPT optimizer step: 80 mirrors of 128 x 128 Gram matrices). */
void ml_mirror_upper_rows(ml_dtype t, void *C, size_t ldc, size_t n, size_t a, size_t b)
{
    size_t es = ml_dtype_size(t);
    char *d = C;
    for (size_t i0 = a; i0 < b; i0 += 32) {
        size_t i1 = i0 + 32 < b ? i0 + 32 : b;
        if (t == ML_F64) {   /* the diagonal block */
            double *x = C;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = i + 1; j < i1; j++) x[j * ldc + i] = x[i * ldc + j];
        } else {
            float *x = C;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = i + 1; j < i1; j++) x[j * ldc + i] = x[i * ldc + j];
        }
        for (size_t j0 = i1; j0 < n; j0 += 32) {
            size_t j1 = j0 + 32 < n ? j0 + 32 : n;
            ml_transpose_block(t, d + (j0 * ldc + i0) * es, ldc, d + (i0 * ldc + j0) * es, ldc, i1 - i0, j1 - j0, 1.0);
        }
    }
}

void ml_symmetrize_from_upper(ml_mat *S)
{
    ml_mirror_upper_rows(S->dtype, S->data, S->stride, S->rows, 0, S->rows);
}

int ml_syrk(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta)
{
    size_t n = trans ? A->cols : A->rows, k = trans ? A->rows : A->cols;
    if (C->rows != n || C->cols != n)
        return ml_error(ML_EINVAL, "syrk: result must be %zu x %zu, got %zu x %zu", n, n, C->rows, C->cols);
    if (A->dtype != C->dtype) return ml_error(ML_EINVAL, "syrk: dtype mismatch");
    ml_blas_syrk_sym(C->dtype, trans != 0, n, k, alpha, A->data, A->stride, beta, C->data, C->stride);
    return ML_OK;
}

int ml_symm(ml_mat *C, double alpha, const ml_mat *S, const ml_mat *B, double beta)
{
    if (S->rows != S->cols || S->cols != B->rows || C->rows != S->rows || C->cols != B->cols)
        return ml_error(ML_EINVAL, "symm: shape mismatch");
    if (S->dtype != B->dtype || B->dtype != C->dtype) return ml_error(ML_EINVAL, "symm: dtype mismatch");
    int m = (int)C->rows, n = (int)C->cols;
    ml_blas_symm(C->dtype, 0, (size_t)m, (size_t)n, alpha, S->data, S->stride, B->data, B->stride, beta, C->data,
                 C->stride);
    return ML_OK;
}

int ml_symm_right(ml_mat *C, double alpha, const ml_mat *B, const ml_mat *S, double beta)
{
    if (S->rows != S->cols || B->cols != S->rows || C->rows != B->rows || C->cols != S->cols)
        return ml_error(ML_EINVAL, "symm: shape mismatch");
    if (S->dtype != B->dtype || B->dtype != C->dtype) return ml_error(ML_EINVAL, "symm: dtype mismatch");
    int m = (int)C->rows, n = (int)C->cols;
    ml_blas_symm(C->dtype, 1, (size_t)m, (size_t)n, alpha, S->data, S->stride, B->data, B->stride, beta, C->data,
                 C->stride);
    return ML_OK;
}

/* max |x| as the maximum of the bit patterns with the sign cleared: for IEEE numbers that order
 * is the order of |x|, +Inf sits above every finite value and every NaN above +Inf, so one
 * unsigned max (which vectorizes; a floating max with NaN checks does not) gives the norm, Inf or
 * NaN exactly. It runs on every ml_ns call (the prescale exponent), once per optimizer step; the
 * row scans are built for x86-64-v3 too (SSE2 has no unsigned 32-bit max: the float row ran scalar). */
#define DEFINE_MAXBITS_ROW(name, UINT, MASK)                                          \
    ML_CLONES static UINT name(const UINT *x, size_t n, UINT mb)                     \
    {                                                                                 \
        _Pragma("omp simd reduction(max : mb)") for (size_t j = 0; j < n; j++)        \
        {                                                                             \
            UINT u = x[j] & (MASK);                                                   \
            mb = u > mb ? u : mb;                                                     \
        }                                                                             \
        return mb;                                                                    \
    }
DEFINE_MAXBITS_ROW(maxbits_row_d, uint64_t, 0x7FFFFFFFFFFFFFFFull)
DEFINE_MAXBITS_ROW(maxbits_row_f, uint32_t, 0x7FFFFFFFu)

/* rows 0..rows-1, the first LEN(i) entries of row i */
#define MAXABS_BITS(X, UINT, REAL, ROW, LEN)                                                             \
    do {                                                                                                \
        UINT mb = 0;                                                                                    \
        for (size_t i = 0; i < (X)->rows; i++)                                                          \
            mb = ROW((const UINT *)((const REAL *)(X)->data + i * (X)->stride), (LEN), mb);            \
        REAL m;                                                                                         \
        memcpy(&m, &mb, sizeof m);                                                                      \
        return m;                                                                                       \
    } while (0)

double ml_norm_maxabs(const ml_mat *X)
{
    if (X->dtype == ML_F64) MAXABS_BITS(X, uint64_t, double, maxbits_row_d, X->cols);
    MAXABS_BITS(X, uint32_t, float, maxbits_row_f, X->cols);
}

double ml_norm_maxabs_lower(const ml_mat *S)
{
    if (S->dtype == ML_F64) MAXABS_BITS(S, uint64_t, double, maxbits_row_d, i < S->cols ? i + 1 : S->cols);
    MAXABS_BITS(S, uint32_t, float, maxbits_row_f, i < S->cols ? i + 1 : S->cols);
}

/* max |x - y| (Y NULL: y = 0) as a power of two: *e with the maximum in [2^e, 2^(e+1)). Returns
 * 0 when every difference is 0, NaN/inf when an entry is not finite, else 1. A difference that
 * overflows counts through its halves. */
static double maxabs_diff_exp(const ml_mat *X, const ml_mat *Y, int *e)
{
    double m = 0, over = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double x = ml_mat_get(X, i, j), y = Y ? ml_mat_get(Y, i, j) : 0.0;
            if (!isfinite(x) || !isfinite(y)) return isnan(x) || isnan(y) ? NAN : INFINITY;
            double d = fabs(x - y);
            if (isfinite(d)) m = fmax(m, d);
            else over = fmax(over, fabs(0.5 * x - 0.5 * y));
        }
    if (over > 0) *e = ilogb(over) + 1;
    else if (m > 0) *e = ilogb(m);
    else return 0;
    return 1;
}

/* (x - y) 2^-e without overflow in the difference (the halves' difference is always finite). */
static double diff_scaled(double x, double y, int e)
{
    double d = x - y;
    return isfinite(d) ? ldexp(d, -e) : ldexp(0.5 * x - 0.5 * y, 1 - e);
}

/* sum of ((x - y) 2^-e)^2 (Y NULL: y = 0), in double. */
static double sumsq_diff(const ml_mat *X, const ml_mat *Y, int e)
{
    double s = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double d = diff_scaled(ml_mat_get(X, i, j), Y ? ml_mat_get(Y, i, j) : 0.0, e);
            s += d * d;
        }
    return s;
}

/* The one scaled norm of the library (LAPACK dnrm2/dlassq idea): a plain sum of squares when it
 * lands safely inside the double range, else a second pass with every term scaled by the power of
 * two 2^-e that brings max |x - y| to [1, 2), the result scaled back by 2^e. Above 2^-900 a square
 * that underflowed is below 2^-122 of the sum times the element count, so the fast path is exact
 * to rounding; it is taken for every float32 matrix (squares of floats fit a double). */
static double fro_scaled(const ml_mat *X, const ml_mat *Y)
{
    double s = 0;
    if (!Y && X->dtype == ML_F64) {   /* the common case, a tight loop */
        for (size_t i = 0; i < X->rows; i++) {
            const double *r = (const double *)X->data + i * X->stride;
            for (size_t j = 0; j < X->cols; j++) s += r[j] * r[j];
        }
    } else if (!Y) {
        for (size_t i = 0; i < X->rows; i++) {
            const float *r = (const float *)X->data + i * X->stride;
            for (size_t j = 0; j < X->cols; j++) s += (double)r[j] * r[j];
        }
    } else {
        s = sumsq_diff(X, Y, 0);
    }
    if (isfinite(s) && s >= 0x1p-900) return sqrt(s);
    int e;
    double st = maxabs_diff_exp(X, Y, &e);
    if (st != 1) return st;   /* all zero, or NaN/Inf entries */
    return ldexp(sqrt(sumsq_diff(X, Y, e)), e);
}

double ml_norm_fro(const ml_mat *X) { return fro_scaled(X, NULL); }

int ml_norm_fro_diff(const ml_mat *X, const ml_mat *Y, double *out)
{
    if (!ml_mat_same_shape(X, Y)) return SHAPE_ERR("distance", X, Y);
    *out = fro_scaled(X, Y);
    return ML_OK;
}

/* trace and dot add in double; when the plain sum overflows with finite terms, or lands below
 * 2^-900 where partial results may have lost digits to underflow, they add again with each operand
 * scaled by the power of two of its largest magnitude (exact) and scale the sum back: inf only when
 * the result itself is beyond the double range. */
double ml_trace(const ml_mat *X)
{
    size_t k = X->rows < X->cols ? X->rows : X->cols;
    double t = 0, m = 0;
    for (size_t i = 0; i < k; i++) t += ml_mat_get(X, i, i);
    if (isfinite(t) && (t == 0 || fabs(t) >= 0x1p-900)) return t;
    for (size_t i = 0; i < k; i++) m = fmax(m, fabs(ml_mat_get(X, i, i)));
    if (m == 0 || !isfinite(m)) return t;   /* NaN/Inf entries propagate */
    int e = ilogb(m);
    double u = 0;
    for (size_t i = 0; i < k; i++) u += ldexp(ml_mat_get(X, i, i), -e);
    return ldexp(u, e);
}

int ml_dot(const ml_mat *X, const ml_mat *Y, double *out)
{
    if (!ml_mat_same_shape(X, Y)) return SHAPE_ERR("dot", X, Y);
    double s = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) s += ml_mat_get(X, i, j) * ml_mat_get(Y, i, j);
    *out = s;
    if (isfinite(s) && fabs(s) >= 0x1p-900) return ML_OK;
    double mx = ml_norm_maxabs(X), my = ml_norm_maxabs(Y);
    if (mx == 0 || my == 0 || !isfinite(mx) || !isfinite(my)) return ML_OK;
    int ex = ilogb(mx), ey = ilogb(my);
    double t = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) t += ldexp(ml_mat_get(X, i, j), -ex) * ldexp(ml_mat_get(Y, i, j), -ey);
    *out = ldexp(t, ex + ey);
    return ML_OK;
}

int ml_scale_exponent(double M, int window)
{
    if (M == 0 || !isfinite(M)) return 0;
    int k = ilogb(M);
    return k >= -window && k < window ? 0 : -k - 1;
}

void ml_mat_ldexp(ml_mat *X, int e)
{
    if (e == 0) return;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) ml_mat_set(X, i, j, ldexp(ml_mat_get(X, i, j), e));
}

int ml_norm_spectral(const ml_mat *X, double *out)
{
    ml_mat s = {0};
    int rc = ml_svd(X, NULL, &s, NULL);
    if (rc) return rc;
    *out = ml_mat_get(&s, 0, 0);
    ml_mat_free(&s);
    return ML_OK;
}

int ml_norm_nuclear(const ml_mat *X, double *out)
{
    ml_mat s = {0};
    int rc = ml_svd(X, NULL, &s, NULL);
    if (rc) return rc;
    double t = 0;
    for (size_t i = 0; i < s.rows; i++) t += ml_mat_get(&s, i, 0);
    *out = t;
    ml_mat_free(&s);
    return ML_OK;
}
