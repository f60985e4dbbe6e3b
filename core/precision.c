#include "precision.h"
#include "error.h"
#include <string.h>
#include <strings.h>

/* ---- names ---- */

int ml_precision_parse(const char *s, ml_precision *out)
{
    static const struct { const char *a, *b; ml_precision p; } names[] = {
        {"fp64", "float64", ML_FP64}, {"fp32", "float32", ML_FP32},
        {"bf16", "bfloat16", ML_BF16}, {"fp16", "float16", ML_FP16},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(s, names[i].a) || !strcasecmp(s, names[i].b)) {
            *out = names[i].p;
            return ML_OK;
        }
    return ml_error(ML_EINVAL, "unknown precision '%s'; expected fp64, fp32, bf16 or fp16", s);
}

const char *ml_precision_name(ml_precision p)
{
    switch (p) {
    case ML_FP64: return "fp64";
    case ML_FP32: return "fp32";
    case ML_BF16: return "bf16";
    case ML_FP16: return "fp16";
    }
    return "?";
}

/* ---- bits ---- */

static inline uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float bitsf(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint64_t dbits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double bitsd(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

#define F32_INF 0x7F800000u
#define F32_QUIET 0x00400000u
#define F64_SIGN 0x8000000000000000ull
#define F64_INF 0x7FF0000000000000ull
#define F64_QUIET 0x0008000000000000ull
#define F64_MANT 0x000FFFFFFFFFFFFFull

/* ---- scalar conversions: integer operations only; the reference for the kernels below ---- */

/* bf16 is the upper half of an fp32 pattern: add just under half an ulp of the kept part,
 * plus its lowest bit (ties to even), then truncate. A carry out of the mantissa moves into
 * the exponent, which is right (and past the largest finite value gives Inf). fp32
 * subnormals are bf16 subnormals on the same bits, so the same rule covers them. */
uint16_t ml_f32_to_bf16_bits(float x)
{
    uint32_t u = fbits(x);
    if ((u & 0x7FFFFFFFu) > F32_INF) return (uint16_t)((u >> 16) | 0x0040u);   /* quiet NaN */
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

float ml_bf16_bits_to_f32(uint16_t h) { return bitsf((uint32_t)h << 16); }

/* binary16: rebias the exponent (127 -> 15) and round away 13 mantissa bits; below 2^-14
 * the result is a multiple of 2^-24, so the number of bits dropped grows as the exponent falls. */
uint16_t ml_f32_to_fp16_bits(float x)
{
    uint32_t u = fbits(x), a = u & 0x7FFFFFFFu;
    uint16_t s = (uint16_t)((u >> 16) & 0x8000u);
    if (a > F32_INF) return (uint16_t)(s | 0x7E00u | ((a >> 13) & 0x3FFu));   /* quiet NaN */
    if (a >= 0x477FF000u) return (uint16_t)(s | 0x7C00u);                     /* >= 65520: Inf */
    if (a >= 0x38800000u) {                                                   /* >= 2^-14: normal */
        a -= (127u - 15u) << 23;
        return (uint16_t)(s | ((a + 0xFFFu + ((a >> 13) & 1u)) >> 13));
    }
    unsigned e = a >> 23;
    if (e < 102) return s;                      /* < 2^-25: rounds to zero */
    /* |x| = m * 2^(e-150) with the implicit bit in m; in units of 2^-24 that is m >> (126-e). */
    uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
    unsigned shift = 126 - e;                   /* 14 .. 24 */
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(s | q);                   /* q == 0x400 is the smallest normal: right pattern */
}

float ml_fp16_bits_to_f32(uint16_t h)
{
    uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
    if (e == 0x1F) return bitsf(s | F32_INF | (m << 13));
    if (e) return bitsf(s | ((e + 112u) << 23) | (m << 13));
    if (!m) return bitsf(s);
    /* subnormal m * 2^-24: shift the leading one into the implicit position */
    uint32_t k = 0;
    while (!(m & 0x400u)) {
        m <<= 1;
        k++;
    }
    return bitsf(s | ((113u - k) << 23) | ((m & 0x3FFu) << 13));
}

float ml_round_bf16(float x) { return ml_bf16_bits_to_f32(ml_f32_to_bf16_bits(x)); }
float ml_round_fp16(float x) { return ml_fp16_bits_to_f32(ml_f32_to_fp16_bits(x)); }

/* A double rounded to a binary format with `mbits` stored mantissa bits, smallest normal
 * 2^emin and overflow threshold `ovf` (the bits of the tie above the largest finite value). */
static double round_double_to(double x, int mbits, int emin, uint64_t ovf)
{
    uint64_t u = dbits(x), s = u & F64_SIGN, a = u ^ s;
    if (a > F64_INF) return bitsd(s | ((a | F64_QUIET) & ~((1ull << (52 - mbits)) - 1)));
    if (a >= ovf) return bitsd(s | F64_INF);
    int e = (int)(a >> 52) - 1023;
    int shift = 52 - mbits + (e < emin ? emin - e : 0);
    if (shift > 53) return bitsd(s);            /* below half the smallest subnormal */
    uint64_t m = (a & F64_MANT) | (1ull << 52);
    uint64_t half = 1ull << (shift - 1), rem = m & (2 * half - 1), q = m >> shift;
    if (rem > half || (rem == half && (q & 1))) q++;
    /* |result| = q * 2^(e - 52 + shift): q has at most mbits+2 bits, so this is exact */
    return bitsd(s | dbits((double)q * bitsd((uint64_t)(e - 52 + shift + 1023) << 52)));
}

#define BF16_OVF_D 0x47EFF00000000000ull   /* (2 - 2^-8) * 2^127 */
#define FP16_OVF_D 0x40EFFE0000000000ull   /* 65520 */

double ml_round_double(double x, ml_precision p)
{
    switch (p) {
    case ML_FP64: return x;
    case ML_FP32: return (double)(float)x;
    case ML_BF16: return round_double_to(x, 7, -126, BF16_OVF_D);
    case ML_FP16: return round_double_to(x, 10, -14, FP16_OVF_D);
    }
    return x;
}

/* ---- kernels: branch-free selects so the loops vectorise; tested against the scalars ---- */

/* c ? x : y for c in {0, 1}, as mask arithmetic: gcc leaves a ?: whose operands involve
 * floating-point operations as a branch (they might trap), which stops vectorisation. */
static inline uint32_t sel32(uint32_t c, uint32_t x, uint32_t y) { return (x & -c) | (y & (c - 1)); }
static inline uint64_t sel64(uint64_t c, uint64_t x, uint64_t y) { return (x & -c) | (y & (c - 1)); }
/* x < y for x, y < 2^63, by the borrow: SSE2 has no 64-bit compare, but it has 64-bit subtract. */
static inline uint64_t lt64(uint64_t x, uint64_t y) { return (x - y) >> 63; }

static inline float k_bf16_f(float x)
{
    uint32_t u = fbits(x), a = u & 0x7FFFFFFFu, s = u ^ a;
    uint32_t r = (a + 0x7FFFu + ((a >> 16) & 1u)) & 0xFFFF0000u;
    r = sel32(a > F32_INF, (a | F32_QUIET) & 0xFFFF0000u, r);
    return bitsf(r | s);
}

/* Normal range: round away 13 bits in place. Below 2^-14 the quantum is fixed at 2^-24:
 * adding 0.5 (whose ulp is 2^-24) lets the FPU round to nearest even (the default mode); the
 * subtraction is exact. */
static inline float k_fp16_f(float x)
{
    uint32_t u = fbits(x), a = u & 0x7FFFFFFFu, s = u ^ a;
    uint32_t r = (a + 0xFFFu + ((a >> 13) & 1u)) & 0xFFFFE000u;
    uint32_t sub = fbits((bitsf(a) + 0.5f) - 0.5f);
    r = sel32(a < 0x38800000u, sub, r);
    r = sel32(a >= 0x477FF000u, F32_INF, r);
    r = sel32(a > F32_INF, (a | F32_QUIET) & 0xFFFFE000u, r);
    return bitsf(r | s);
}

/* The same on float64 storage, SH = 52 - mantissa bits. The magic constant 2^(emin - mbits + 52)
 * has an ulp equal to the format's smallest subnormal. Inf and NaN: set the quiet bit only
 * when the mantissa is nonzero (q = 1 exactly then). */
#define K_ROUND_D(name, SH, MINNORMAL, OVF, MAGIC)                                   \
    static inline double name(double x)                                             \
    {                                                                               \
        const uint64_t mask = (1ull << SH) - 1;                                     \
        uint64_t u = dbits(x), a = u & ~F64_SIGN, s = u ^ a;                        \
        uint64_t r = (a + (mask >> 1) + ((a >> SH) & 1)) & ~mask;                   \
        uint64_t sub = dbits((bitsd(a) + MAGIC) - MAGIC);                           \
        uint64_t q = (((a & F64_MANT) + F64_MANT) >> 52) & 1;                       \
        r = sel64(lt64(a, MINNORMAL), sub, r);                                      \
        r = sel64(1 - lt64(a, OVF), F64_INF, r);                                    \
        r = sel64(1 - lt64(a, F64_INF), (a | (q << 51)) & ~mask, r);                \
        return bitsd(r | s);                                                        \
    }

K_ROUND_D(k_bf16_d, 45, 0x3810000000000000ull, BF16_OVF_D, 0x1p-81)   /* 2^-126, quantum 2^-133 */
K_ROUND_D(k_fp16_d, 42, 0x3F10000000000000ull, FP16_OVF_D, 0x1p28)    /* 2^-14, quantum 2^-24 */

/* Blocks of 8: a fixed trip count gets vectorised at -O2 (gcc's cheap cost model refuses
 * loops that would need a scalar epilogue). Callers pass d == s, or d and s of different
 * types, so that no overlap check is needed. */
#define ROUND_LOOP(TD, d, s, n, F)                                                  \
    do {                                                                            \
        size_t i_ = 0;                                                              \
        for (; i_ + 8 <= (n); i_ += 8)                                              \
            for (int k_ = 0; k_ < 8; k_++) (d)[i_ + k_] = (TD)F((s)[i_ + k_]);      \
        for (; i_ < (n); i_++) (d)[i_] = (TD)F((s)[i_]);                            \
    } while (0)

#define ID(x) (x)
#define TO_F32(x) ((float)(x))

static void row_f32_f32(float *d, const float *s, size_t n, ml_precision p)
{
    if (d != s) memcpy(d, s, n * sizeof *d);
    if (p == ML_BF16) ROUND_LOOP(float, d, d, n, k_bf16_f);
    else if (p == ML_FP16) ROUND_LOOP(float, d, d, n, k_fp16_f);
}

static void row_f64_f64(double *d, const double *s, size_t n, ml_precision p)
{
    if (d != s) memcpy(d, s, n * sizeof *d);
    if (p == ML_BF16) ROUND_LOOP(double, d, d, n, k_bf16_d);
    else if (p == ML_FP16) ROUND_LOOP(double, d, d, n, k_fp16_d);
    else if (p == ML_FP32) ROUND_LOOP(double, d, d, n, TO_F32);
}

static void row_f64_f32(float *d, const double *s, size_t n, ml_precision p)
{
    if (p == ML_BF16) ROUND_LOOP(float, d, s, n, k_bf16_d);
    else if (p == ML_FP16) ROUND_LOOP(float, d, s, n, k_fp16_d);
    else ROUND_LOOP(float, d, s, n, ID);   /* fp32 and fp64: the cast rounds to fp32 */
}

static void row_f32_f64(double *d, const float *s, size_t n, ml_precision p)
{
    if (p == ML_BF16) ROUND_LOOP(double, d, s, n, k_bf16_f);
    else if (p == ML_FP16) ROUND_LOOP(double, d, s, n, k_fp16_f);
    else ROUND_LOOP(double, d, s, n, ID);
}

/* dst <- src rounded to p, stored in dst's dtype (same shapes; dst may be src). */
static void copy_round(ml_mat *dst, const ml_mat *src, ml_precision p)
{
    size_t rows = src->rows, n = src->cols;
    if (ml_mat_is_contiguous(dst) && ml_mat_is_contiguous(src)) {
        n *= rows;
        rows = 1;
    }
    size_t ds = dst->stride, ss = src->stride;
    for (size_t i = 0; i < rows; i++) {
        if (dst->dtype == ML_F32 && src->dtype == ML_F32)
            row_f32_f32((float *)dst->data + i * ds, (const float *)src->data + i * ss, n, p);
        else if (dst->dtype == ML_F64 && src->dtype == ML_F64)
            row_f64_f64((double *)dst->data + i * ds, (const double *)src->data + i * ss, n, p);
        else if (dst->dtype == ML_F32)
            row_f64_f32((float *)dst->data + i * ds, (const double *)src->data + i * ss, n, p);
        else
            row_f32_f64((double *)dst->data + i * ds, (const float *)src->data + i * ss, n, p);
    }
}

void ml_mat_round(ml_mat *m, ml_precision p)
{
    if (!m->data || p == ML_FP64 || (p == ML_FP32 && m->dtype == ML_F32)) return;
    copy_round(m, m, p);
}

/* ---- emulated products ---- */

void ml_prec_work_init(ml_prec_work *w) { memset(w, 0, sizeof *w); }

void ml_prec_work_free(ml_prec_work *w)
{
    ml_mat_free(&w->A);
    ml_mat_free(&w->B);
    ml_mat_free(&w->C);
}

static _Thread_local ml_prec_work thread_work;

void ml_prec_release(void) { ml_prec_work_free(&thread_work); }

static int check_precision(const char *what, ml_precision p)
{
    if (p != ML_FP64 && p != ML_FP32 && p != ML_BF16 && p != ML_FP16)
        return ml_error(ML_EINVAL, "%s: invalid precision %d", what, (int)p);
    return ML_OK;
}

static ml_dtype compute_dtype(ml_precision p) { return p == ML_FP64 ? ML_F64 : ML_F32; }

/* The operand as the BLAS call sees it: X itself when it is already in the compute dtype
 * and needs no rounding, else X rounded into the scratch matrix ws. */
static int operand(const ml_mat **out, ml_mat *ws, const ml_mat *X, ml_precision p)
{
    ml_dtype t = compute_dtype(p);
    if (X->dtype == t && (p == ML_FP64 || p == ML_FP32)) {
        *out = X;
        return ML_OK;
    }
    int rc = ml_mat_ensure(ws, X->rows, X->cols, t);
    if (rc) return rc;
    copy_round(ws, X, p);
    *out = ws;
    return ML_OK;
}

/* The destination BLAS writes: C itself when in the compute dtype, else the scratch ws;
 * when beta != 0 its incoming values are an operand too and are rounded to p. */
static int result(ml_mat **out, ml_mat *ws, ml_mat *C, double beta, ml_precision p)
{
    ml_dtype t = compute_dtype(p);
    if (C->dtype == t) {
        if (beta != 0) ml_mat_round(C, p);
        *out = C;
        return ML_OK;
    }
    int rc = ml_mat_ensure(ws, C->rows, C->cols, t);
    if (rc) return rc;
    if (beta != 0) copy_round(ws, C, p);
    *out = ws;
    return ML_OK;
}

static void finish(ml_mat *C, ml_mat *Cc, ml_precision p)
{
    if (Cc != C) copy_round(C, Cc, p);   /* rounds to p on the way (no-op work for fp32 into f64) */
    else ml_mat_round(C, p);
}

static int same_matrix(const ml_mat *a, const ml_mat *b)
{
    return a->data == b->data && a->dtype == b->dtype && a->rows == b->rows && a->cols == b->cols &&
           a->stride == b->stride;
}

int ml_gemm_prec_w(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb,
                   double beta, ml_precision p, ml_prec_work *w)
{
    int rc = check_precision("matmul", p);
    if (rc) return rc;
    size_t m = ta ? A->cols : A->rows, k = ta ? A->rows : A->cols;
    size_t kb = tb ? B->cols : B->rows, n = tb ? B->rows : B->cols;
    if (k != kb || C->rows != m || C->cols != n)
        return ml_error(ML_EINVAL, "matmul: shape mismatch (%zu x %zu times %zu x %zu into %zu x %zu)", m, k, kb, n,
                        C->rows, C->cols);
    if (!w) w = &thread_work;
    const ml_mat *Ar, *Br;
    ml_mat *Cc;
    rc = operand(&Ar, &w->A, A, p);
    if (!rc) {
        if (same_matrix(A, B)) Br = Ar;   /* X*X^T and friends: round once */
        else rc = operand(&Br, &w->B, B, p);
    }
    if (!rc) rc = result(&Cc, &w->C, C, beta, p);
    if (!rc) rc = ml_gemm(Cc, alpha, Ar, ta, Br, tb, beta);
    if (rc) return rc;
    finish(C, Cc, p);
    return ML_OK;
}

int ml_gemm_prec(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb,
                 double beta, ml_precision p)
{
    return ml_gemm_prec_w(C, alpha, A, ta, B, tb, beta, p, NULL);
}

int ml_syrk_prec_w(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta, ml_precision p,
                   ml_prec_work *w)
{
    int rc = check_precision("syrk", p);
    if (rc) return rc;
    size_t n = trans ? A->cols : A->rows;
    if (C->rows != n || C->cols != n)
        return ml_error(ML_EINVAL, "syrk: result must be %zu x %zu, got %zu x %zu", n, n, C->rows, C->cols);
    if (!w) w = &thread_work;
    const ml_mat *Ar;
    ml_mat *Cc;
    rc = operand(&Ar, &w->A, A, p);
    if (!rc) rc = result(&Cc, &w->C, C, beta, p);
    if (!rc) rc = ml_syrk(Cc, alpha, Ar, trans, beta);
    if (rc) return rc;
    finish(C, Cc, p);
    return ML_OK;
}

int ml_syrk_prec(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta, ml_precision p)
{
    return ml_syrk_prec_w(C, alpha, A, trans, beta, p, NULL);
}
