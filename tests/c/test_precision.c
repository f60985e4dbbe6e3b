/* Reduced-precision emulation (core/precision.c).
 * Scalars are checked against bit patterns worked out by hand from the IEEE formats, then
 * exhaustively (all 2^16 patterns decode and re-encode to themselves), then against gcc's
 * _Float16 conversion as an independent reference. The vectorised kernels of ml_mat_round
 * are checked bit for bit against the scalar functions; the emulated products against a
 * double-accumulated reference with the fp32 accumulation bound. */
#include "check.h"
#include "error.h"
#include "ops.h"
#include "precision.h"
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float bitsf(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static uint64_t dbits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* splitmix64: independent of core/rng.c, so these tests do not depend on it */
static uint64_t next64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(next64(s) >> 11) * 0x1p-53; }

#define CHECK_BITS16(got, want)                                                                      \
    do {                                                                                             \
        unsigned g_ = (got), w_ = (want);                                                            \
        if (g_ != w_) ml_test_fail(__FILE__, __LINE__, "%s = 0x%04X, want 0x%04X", #got, g_, w_);    \
    } while (0)

#define CHECK_SAME(got, want)                                                                        \
    do {                                                                                             \
        double g_ = (got), w_ = (want);                                                              \
        if (dbits(g_) != dbits(w_))                                                                  \
            ml_test_fail(__FILE__, __LINE__, "%s = %a, want %a", #got, g_, w_);                      \
    } while (0)

static int is_nan16(uint16_t h, unsigned expmask) { return (h & expmask) == expmask && (h & ~expmask & 0x7FFF); }

TEST(precision_names)
{
    static const struct { const char *s; ml_precision p; } ok[] = {
        {"fp64", ML_FP64}, {"float64", ML_FP64}, {"fp32", ML_FP32}, {"float32", ML_FP32},
        {"bf16", ML_BF16}, {"bfloat16", ML_BF16}, {"fp16", ML_FP16}, {"float16", ML_FP16}, {"BF16", ML_BF16},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ml_precision p = ML_FP64;
        CHECK_OK(ml_precision_parse(ok[i].s, &p));
        CHECK(p == ok[i].p);
    }
    CHECK(!strcmp(ml_precision_name(ML_FP64), "fp64"));
    CHECK(!strcmp(ml_precision_name(ML_FP32), "fp32"));
    CHECK(!strcmp(ml_precision_name(ML_BF16), "bf16"));
    CHECK(!strcmp(ml_precision_name(ML_FP16), "fp16"));
    ml_precision p = ML_FP32;
    CHECK(ml_precision_parse("bf17", &p) == ML_EINVAL);
    CHECK(p == ML_FP32);
    CHECK(!strcmp(ml_errmsg(), "unknown precision 'bf17'; expected fp64, fp32, bf16 or fp16"));
    CHECK(ml_precision_parse("", &p) == ML_EINVAL);
}

/* bf16 = the upper 16 bits of fp32; the dropped half decides the rounding. */
TEST(precision_bf16_patterns)
{
    CHECK_BITS16(ml_f32_to_bf16_bits(1.0f), 0x3F80);
    CHECK_BITS16(ml_f32_to_bf16_bits(-2.0f), 0xC000);
    CHECK_BITS16(ml_f32_to_bf16_bits(1.0f + 0x1p-8f), 0x3F80);          /* tie, 0x3F80 is even */
    CHECK_BITS16(ml_f32_to_bf16_bits(1.0f + 0x1p-8f + 0x1p-23f), 0x3F81); /* just above the tie */
    CHECK_BITS16(ml_f32_to_bf16_bits(1.0f + 3 * 0x1p-8f), 0x3F82);     /* tie, up to the even 0x3F82 */
    CHECK_BITS16(ml_f32_to_bf16_bits(1.0f + 0x1p-7f), 0x3F81);          /* exact */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x3FFF8000u)), 0x4000);      /* 1.99609375 (tie, odd): carries into the exponent */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x3FFF7FFFu)), 0x3FFF);      /* just below that tie */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x7F7F0000u)), 0x7F7F);      /* largest finite bf16 */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x7F7F7FFFu)), 0x7F7F);      /* below the tie: stays finite */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x7F7F8000u)), 0x7F80);      /* tie above max, odd: Inf */
    CHECK_BITS16(ml_f32_to_bf16_bits(FLT_MAX), 0x7F80);
    CHECK_BITS16(ml_f32_to_bf16_bits(-FLT_MAX), 0xFF80);
    CHECK_BITS16(ml_f32_to_bf16_bits(INFINITY), 0x7F80);
    CHECK_BITS16(ml_f32_to_bf16_bits(-INFINITY), 0xFF80);
    CHECK_BITS16(ml_f32_to_bf16_bits(0.0f), 0x0000);
    CHECK_BITS16(ml_f32_to_bf16_bits(-0.0f), 0x8000);
    /* fp32 subnormals are bf16 subnormals on the same bits */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x00010000u)), 0x0001);      /* 2^-133, smallest bf16 subnormal */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x00008000u)), 0x0000);      /* 2^-134: tie to even zero */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x00008001u)), 0x0001);
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x00018000u)), 0x0002);      /* 1.5 * 2^-133: tie up to even */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x007FFFFFu)), 0x0080);      /* largest fp32 subnormal -> 2^-126 */
    CHECK_BITS16(ml_f32_to_bf16_bits(bitsf(0x80000001u)), 0x8000);      /* -2^-149 -> -0 */
    CHECK(ml_bf16_bits_to_f32(0x3F80) == 1.0f);
    CHECK(ml_bf16_bits_to_f32(0x7F7F) == 0x1.FEp127f);
    CHECK(ml_bf16_bits_to_f32(0x0001) == 0x1p-133f);
    CHECK(fbits(ml_bf16_bits_to_f32(0x8000)) == 0x80000000u);
    /* NaN stays a (quiet) NaN, with its sign, even when the payload sits in the dropped bits */
    uint16_t h = ml_f32_to_bf16_bits(bitsf(0x7F800001u));
    CHECK(is_nan16(h, 0x7F80) && (h & 0x0040));
    h = ml_f32_to_bf16_bits(bitsf(0xFFC00000u));
    CHECK(h == 0xFFC0);
    CHECK(isnan(ml_round_bf16(NAN)));
    CHECK(ml_round_bf16(3.0f) == 3.0f);
    CHECK(ml_round_bf16(1.0f + 0x1p-8f) == 1.0f);
}

/* binary16: 5 exponent bits (bias 15), 10 mantissa bits. */
TEST(precision_fp16_patterns)
{
    CHECK_BITS16(ml_f32_to_fp16_bits(1.0f), 0x3C00);
    CHECK_BITS16(ml_f32_to_fp16_bits(-2.0f), 0xC000);
    CHECK_BITS16(ml_f32_to_fp16_bits(0.1f), 0x2E66);                    /* 0.0999755859375 */
    CHECK_BITS16(ml_f32_to_fp16_bits(65504.0f), 0x7BFF);                /* max finite */
    CHECK_BITS16(ml_f32_to_fp16_bits(65519.99f), 0x7BFF);               /* below the tie */
    CHECK_BITS16(ml_f32_to_fp16_bits(65520.0f), 0x7C00);                /* tie above max, odd: Inf */
    CHECK_BITS16(ml_f32_to_fp16_bits(-65520.0f), 0xFC00);
    CHECK_BITS16(ml_f32_to_fp16_bits(1e6f), 0x7C00);
    CHECK_BITS16(ml_f32_to_fp16_bits(FLT_MAX), 0x7C00);
    CHECK_BITS16(ml_f32_to_fp16_bits(INFINITY), 0x7C00);
    CHECK_BITS16(ml_f32_to_fp16_bits(-INFINITY), 0xFC00);
    CHECK_BITS16(ml_f32_to_fp16_bits(0.0f), 0x0000);
    CHECK_BITS16(ml_f32_to_fp16_bits(-0.0f), 0x8000);
    CHECK_BITS16(ml_f32_to_fp16_bits(1.0f + 0x1p-11f), 0x3C00);         /* tie to even */
    CHECK_BITS16(ml_f32_to_fp16_bits(1.0f + 3 * 0x1p-11f), 0x3C02);     /* tie, up to even */
    CHECK_BITS16(ml_f32_to_fp16_bits(1.0f + 0x1p-11f + 0x1p-23f), 0x3C01);
    CHECK_BITS16(ml_f32_to_fp16_bits(2.0f - 0x1p-11f), 0x4000);         /* tie, odd: carries into exponent */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-14f), 0x0400);                /* smallest normal */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-14f - 0x1p-25f), 0x0400);     /* tie between 0x3FF and 0x400: even */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-14f - 0x1p-24f), 0x03FF);     /* largest subnormal */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-24f), 0x0001);                /* smallest subnormal */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-25f), 0x0000);                /* tie to even zero */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-25f + 0x1p-40f), 0x0001);     /* just above that tie */
    CHECK_BITS16(ml_f32_to_fp16_bits(3 * 0x1p-25f), 0x0002);            /* tie, up to even */
    CHECK_BITS16(ml_f32_to_fp16_bits(5 * 0x1p-25f), 0x0002);            /* tie, down to even */
    CHECK_BITS16(ml_f32_to_fp16_bits(0x1p-26f), 0x0000);
    CHECK_BITS16(ml_f32_to_fp16_bits(-0x1p-30f), 0x8000);
    CHECK_BITS16(ml_f32_to_fp16_bits(bitsf(1)), 0x0000);                /* fp32 subnormal */
    CHECK(ml_fp16_bits_to_f32(0x7BFF) == 65504.0f);
    CHECK(ml_fp16_bits_to_f32(0x0001) == 0x1p-24f);
    CHECK(ml_fp16_bits_to_f32(0x03FF) == 0x1p-14f - 0x1p-24f);
    CHECK(ml_fp16_bits_to_f32(0x0400) == 0x1p-14f);
    CHECK(ml_fp16_bits_to_f32(0x7C00) == INFINITY);
    CHECK(fbits(ml_fp16_bits_to_f32(0x8000)) == 0x80000000u);
    uint16_t h = ml_f32_to_fp16_bits(bitsf(0x7F800001u));   /* signalling NaN, payload below fp16's bits */
    CHECK(is_nan16(h, 0x7C00) && (h & 0x0200));
    h = ml_f32_to_fp16_bits(-NAN);
    CHECK(is_nan16(h, 0x7C00) && (h & 0x8000));
    CHECK(isnan(ml_fp16_bits_to_f32(0x7E00)));
    CHECK(isnan(ml_round_fp16(NAN)));
    CHECK(ml_round_fp16(65519.0f) == 65504.0f);
}

/* Every 16-bit pattern decodes to an fp32 value that encodes back to the same pattern, and
 * that value is a fixed point of rounding: the formats are subsets of fp32. */
TEST(precision_exhaustive_roundtrip)
{
    int bad_bf = 0, bad_h = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        uint16_t h = (uint16_t)i;
        float b = ml_bf16_bits_to_f32(h), f = ml_fp16_bits_to_f32(h);
        if (is_nan16(h, 0x7F80)) {
            bad_bf += !isnan(b) || !is_nan16(ml_f32_to_bf16_bits(b), 0x7F80);
        } else {
            bad_bf += ml_f32_to_bf16_bits(b) != h || fbits(ml_round_bf16(b)) != fbits(b);
        }
        if (is_nan16(h, 0x7C00)) {
            bad_h += !isnan(f) || !is_nan16(ml_f32_to_fp16_bits(f), 0x7C00);
        } else {
            bad_h += ml_f32_to_fp16_bits(f) != h || fbits(ml_round_fp16(f)) != fbits(f);
        }
    }
    if (bad_bf) ml_test_fail(__FILE__, __LINE__, "%d bf16 patterns do not round-trip", bad_bf);
    if (bad_h) ml_test_fail(__FILE__, __LINE__, "%d fp16 patterns do not round-trip", bad_h);
    /* quiet NaNs keep their payload */
    CHECK(ml_f32_to_bf16_bits(ml_bf16_bits_to_f32(0x7FC5)) == 0x7FC5);
    CHECK(ml_f32_to_fp16_bits(ml_fp16_bits_to_f32(0xFE15)) == 0xFE15);
}

/* Random fp32 inputs: all bit patterns, a log-uniform spread over the fp16 range with its
 * subnormals and overflow region, and exact ties (random fp16 value plus half an ulp). */
static float random_f32(uint64_t *s, int kind)
{
    uint64_t r = next64(s);
    switch (kind) {
    case 0: return bitsf((uint32_t)r);
    case 1: {
        float x = (float)ldexp(1.0 + uniform(s), (int)(r % 48) - 32);   /* 2^-32 .. 2^16 */
        return (r >> 32) & 1 ? -x : x;
    }
    default: {
        uint16_t h = (uint16_t)(r % 0x7C00);   /* finite, positive */
        float x = ml_fp16_bits_to_f32(h), up = ml_fp16_bits_to_f32((uint16_t)(h + 1));
        float mid = x + (up - x) / 2;   /* exact: the midpoint needs one more bit than fp16 has */
        return (r >> 32) & 1 ? -mid : mid;
    }
    }
}

#if defined(__FLT16_MAX__)
static uint16_t f16bits(_Float16 h)
{
    uint16_t u;
    memcpy(&u, &h, sizeof u);
    return u;
}

/* gcc's _Float16 conversion (libgcc's soft-fp __truncsfhf2 on x86_64) is an independent
 * implementation of IEEE binary16 rounding. */
TEST(precision_fp16_vs_Float16)
{
    uint64_t s = 42;
    int bad = 0;
    for (int i = 0; i < 1000000; i++) {
        float x = random_f32(&s, i % 3);
        _Float16 ref = (_Float16)x;
        uint16_t got = ml_f32_to_fp16_bits(x);
        int ok = isnan(x) ? is_nan16(got, 0x7C00) && isnan(ml_round_fp16(x))
                          : got == f16bits(ref) && fbits(ml_round_fp16(x)) == fbits((float)ref);
        if (!ok && bad++ < 5)
            ml_test_fail(__FILE__, __LINE__, "x = %a (0x%08X): got 0x%04X, _Float16 gives 0x%04X", x, fbits(x), got,
                         f16bits(ref));
    }
    CHECK(bad == 0);
}
#endif

/* The branch-free kernels behind ml_mat_round against the scalar functions, bit for bit,
 * on every 4099th fp32 pattern (about a million, all exponents) plus the random sets. */
TEST(precision_mat_round_matches_scalar_f32)
{
    size_t n = ((size_t)1 << 32) / 4099 + 300000;
    ml_mat m, b, h;
    CHECK_OK(ml_mat_alloc(&m, 1, n, ML_F32));
    float *x = m.data;
    size_t i = 0;
    for (uint64_t u = 0; u < ((uint64_t)1 << 32) && i < n; u += 4099) x[i++] = bitsf((uint32_t)u);
    uint64_t s = 7;
    for (; i < n; i++) x[i] = random_f32(&s, (int)(i % 3));
    CHECK_OK(ml_mat_clone(&b, &m, ML_F32));
    CHECK_OK(ml_mat_clone(&h, &m, ML_F32));
    ml_mat_round(&b, ML_BF16);
    ml_mat_round(&h, ML_FP16);
    int bad = 0;
    for (i = 0; i < n; i++) {
        uint32_t wb = fbits(ml_round_bf16(x[i])), wh = fbits(ml_round_fp16(x[i]));
        uint32_t gb = fbits(((float *)b.data)[i]), gh = fbits(((float *)h.data)[i]);
        if ((gb != wb || gh != wh) && bad++ < 5)
            ml_test_fail(__FILE__, __LINE__, "x = 0x%08X: kernel bf16 0x%08X fp16 0x%08X, scalar 0x%08X 0x%08X",
                         fbits(x[i]), gb, gh, wb, wh);
    }
    CHECK(bad == 0);
    ml_mat_free(&m);
    ml_mat_free(&b);
    ml_mat_free(&h);
}

/* float64 storage is rounded directly: no intermediate rounding through fp32, which would
 * turn a value just above a tie into an exact tie. */
TEST(precision_round_double)
{
    CHECK_SAME(ml_round_double(1 + 0x1p-8 + 0x1p-30, ML_BF16), 1 + 0x1p-7);
    CHECK_SAME(ml_round_double(1 + 0x1p-8, ML_BF16), 1.0);
    CHECK_SAME(ml_round_double(1 + 0x1p-11 + 0x1p-40, ML_FP16), 1 + 0x1p-10);
    CHECK_SAME(ml_round_double(0x1p-25 + 0x1p-60, ML_FP16), 0x1p-24);
    CHECK_SAME(ml_round_double(0x1p-25, ML_FP16), 0.0);
    CHECK_SAME(ml_round_double(-0x1p-134 - 0x1p-170, ML_BF16), -0x1p-133);
    CHECK_SAME(ml_round_double(0x1p-134, ML_BF16), 0.0);
    CHECK_SAME(ml_round_double(65520 - 0x1p-30, ML_FP16), 65504.0);
    CHECK_SAME(ml_round_double(65520, ML_FP16), INFINITY);
    CHECK_SAME(ml_round_double(-1e300, ML_FP16), -INFINITY);
    CHECK_SAME(ml_round_double(1e300, ML_BF16), INFINITY);
    CHECK_SAME(ml_round_double(0x1.FEp127, ML_BF16), 0x1.FEp127);
    CHECK_SAME(ml_round_double(0x1.FFp127 - 0x1p90, ML_BF16), 0x1.FEp127);
    CHECK_SAME(ml_round_double(-1e-300, ML_BF16), -0.0);
    CHECK_SAME(ml_round_double(4.9e-324, ML_FP16), 0.0);
    CHECK_SAME(ml_round_double(1 + 0x1p-24 + 0x1p-50, ML_FP32), 1 + 0x1p-23);
    CHECK_SAME(ml_round_double(0.1, ML_FP64), 0.1);
    CHECK(isnan(ml_round_double(NAN, ML_BF16)) && isnan(ml_round_double(NAN, ML_FP16)));
    CHECK_SAME(ml_round_double(-INFINITY, ML_BF16), -INFINITY);

    /* doubles that are floats round exactly like the fp32 scalars; arbitrary doubles through
     * the float64 kernel exactly like ml_round_double */
    size_t n = 400000;
    ml_mat m, b, h, f;
    CHECK_OK(ml_mat_alloc(&m, 1, n, ML_F64));
    double *x = m.data;
    uint64_t s = 11;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2) {
            float v = random_f32(&s, (int)(i % 3));
            x[i] = v;
            double wb = ml_round_bf16(v), wh = ml_round_fp16(v);
            if (isnan(v)) continue;
            if ((dbits(ml_round_double(x[i], ML_BF16)) != dbits(wb) ||
                 dbits(ml_round_double(x[i], ML_FP16)) != dbits(wh)) && bad++ < 5)
                ml_test_fail(__FILE__, __LINE__, "x = %a: double path differs from float path", v);
        } else {
            uint64_t r = next64(&s);
            x[i] = ldexp(1 + uniform(&s), (int)(r % 300) - 150) * (r >> 63 ? -1 : 1);
        }
    }
    CHECK(bad == 0);
    CHECK_OK(ml_mat_clone(&b, &m, ML_F64));
    CHECK_OK(ml_mat_clone(&h, &m, ML_F64));
    CHECK_OK(ml_mat_clone(&f, &m, ML_F64));
    ml_mat_round(&b, ML_BF16);
    ml_mat_round(&h, ML_FP16);
    ml_mat_round(&f, ML_FP32);
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        const double *B = b.data, *H = h.data, *F = f.data;
        if ((dbits(B[i]) != dbits(ml_round_double(x[i], ML_BF16)) ||
             dbits(H[i]) != dbits(ml_round_double(x[i], ML_FP16)) || dbits(F[i]) != dbits((double)(float)x[i])) &&
            bad++ < 5)
            ml_test_fail(__FILE__, __LINE__, "x = %a: kernel %a %a %a", x[i], B[i], H[i], F[i]);
    }
    CHECK(bad == 0);
    ml_mat_free(&m);
    ml_mat_free(&b);
    ml_mat_free(&h);
    ml_mat_free(&f);
}

/* A block view is rounded and its surroundings left alone; fp64 is a no-op. */
TEST(precision_mat_round_view)
{
    for (int t = 0; t < 2; t++) {
        ml_mat m, v;
        ml_dtype dt = t ? ML_F32 : ML_F64;
        CHECK_OK(ml_mat_alloc(&m, 5, 13, dt));
        ml_mat_fill(&m, 1 + 0x1p-9 * 3);   /* 1.005859375: bf16 1.0078125, fp16 1.005859375 */
        CHECK_OK(ml_mat_view(&v, &m, 1, 2, 3, 10));
        ml_mat_round(&v, ML_FP64);
        CHECK(ml_mat_get(&m, 2, 3) == 1 + 0x1p-9 * 3);
        ml_mat_round(&v, ML_FP16);
        CHECK(ml_mat_get(&m, 2, 3) == 1 + 0x1p-9 * 3);
        ml_mat_round(&v, ML_BF16);
        for (size_t i = 0; i < 5; i++)
            for (size_t j = 0; j < 13; j++) {
                int in = i >= 1 && i < 4 && j >= 2 && j < 12;
                CHECK(ml_mat_get(&m, i, j) == (in ? 1 + 0x1p-7 : 1 + 0x1p-9 * 3));
            }
        ml_mat_free(&v);
        ml_mat_free(&m);
    }
}

/* ---- emulated products ---- */

/* rows x cols of dtype t with entries representable in p (normal(0,1)-ish, rounded). */
static void random_mat(ml_mat *m, size_t rows, size_t cols, ml_dtype t, ml_precision p, uint64_t *s)
{
    CHECK_OK(ml_mat_alloc(m, rows, cols, t));
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            ml_mat_set(m, i, j, ml_round_double((uniform(s) - 0.5) * 4 + (uniform(s) - 0.5), p));
}

static double at(const ml_mat *m, ml_trans t, size_t i, size_t j) { return t ? ml_mat_get(m, j, i) : ml_mat_get(m, i, j); }

/* C (computed by the emulation from A, B and the incoming C0) against a reference summed in
 * double. sgemm returns S with |S - exact| <= gamma, gamma = (k+2) u (|alpha| sum|a||b| + |beta c0|),
 * u = 2^-24 (Higham's bound for a dot product in fp32, plus the alpha and beta steps); the
 * double reference is off by k 2^-53 sum|a||b| at most, far inside that. For fp64 both sides
 * are double sums, so u = 2 * 2^-53 covers dgemm's error and the reference's.
 * Rounding to the format is monotone, so C must lie in [rnd(ref - gamma), rnd(ref + gamma)],
 * and it must be a value of the format. *pinned counts entries where that interval holds a
 * single value, i.e. where the check is exact. */
static int check_product(const ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb,
                         double beta, const ml_mat *C0, ml_precision p, int *pinned)
{
    double u = p == ML_FP64 ? 0x1p-52 : 0x1p-24;
    /* the result is stored in C's dtype: fp64 into float32 ends rounded to fp32 */
    ml_precision pout = p == ML_FP64 && C->dtype == ML_F32 ? ML_FP32 : p;
    size_t k = ta ? A->rows : A->cols;
    int bad = 0;
    for (size_t i = 0; i < C->rows; i++)
        for (size_t j = 0; j < C->cols; j++) {
            double sum = 0, mag = 0;
            for (size_t l = 0; l < k; l++) {
                double a = ml_round_double(at(A, ta, i, l), p), b = ml_round_double(at(B, tb, l, j), p);
                sum += a * b;
                mag += fabs(a * b);
            }
            double c0 = beta != 0 ? ml_round_double(ml_mat_get(C0, i, j), p) : 0;
            double exact = alpha * sum + beta * c0;
            double gamma = (double)(k + 2) * u * (fabs(alpha) * mag + fabs(beta * c0)) * 1.0001 + 1e-300;
            double lo = ml_round_double(exact - gamma, pout), hi = ml_round_double(exact + gamma, pout);
            double c = ml_mat_get(C, i, j);
            *pinned += lo == hi;
            if (!(c >= lo && c <= hi) || ml_round_double(c, pout) != c) {
                if (bad++ < 3)
                    ml_test_fail(__FILE__, __LINE__, "%s C(%zu,%zu) = %a outside [%a, %a] (exact %a)",
                                 ml_precision_name(p), i, j, c, lo, hi, exact);
            }
        }
    return bad;
}

TEST(precision_gemm_against_reference)
{
    uint64_t s = 3;
    const ml_precision ps[] = {ML_BF16, ML_FP16, ML_FP32, ML_FP64};
    const size_t M = 7, K = 300, N = 5;
    for (int pi = 0; pi < 4; pi++)
        for (int variant = 0; variant < 8; variant++) {
            ml_precision p = ps[pi];
            ml_trans ta = variant & 1 ? ML_TRANS : ML_NOTRANS, tb = variant & 2 ? ML_TRANS : ML_NOTRANS;
            /* operands in every dtype mix; A is not pre-rounded in odd variants */
            ml_dtype da = variant & 4 ? ML_F32 : ML_F64, db = variant & 1 ? ML_F64 : ML_F32;
            ml_dtype dc = variant & 2 ? ML_F32 : ML_F64;
            ml_mat A, B, C, C0;
            random_mat(&A, ta ? K : M, ta ? M : K, da, (variant & 1) ? ML_FP64 : p, &s);
            random_mat(&B, tb ? N : K, tb ? K : N, db, p, &s);
            random_mat(&C0, M, N, dc, ML_FP64, &s);
            double alpha = variant & 4 ? 0.75 : 1.0, beta = variant & 2 ? -0.5 : 0.0;
            CHECK_OK(ml_mat_clone(&C, &C0, dc));
            CHECK_OK(ml_gemm_prec(&C, alpha, &A, ta, &B, tb, beta, p));
            int pinned = 0;
            if (check_product(&C, alpha, &A, ta, &B, tb, beta, &C0, p, &pinned))
                ml_test_fail(__FILE__, __LINE__, "precision %s, variant %d", ml_precision_name(p), variant);
            /* in bf16 the fp32 accumulation bound is a small fraction of an ulp: most entries
             * have a single admissible value, so the check is nearly exact (about 3 in 4 here) */
            if (p == ML_BF16) CHECK(pinned >= (int)(M * N) / 2);
            ml_mat_free(&A);
            ml_mat_free(&B);
            ml_mat_free(&C);
            ml_mat_free(&C0);
        }
    ml_prec_release();
}

/* p-rounded float32 copy of X, rounding each float64 value directly. */
static void rounded_f32(ml_mat *out, const ml_mat *X, ml_precision p)
{
    CHECK_OK(ml_mat_alloc(out, X->rows, X->cols, ML_F32));
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) ml_mat_set(out, i, j, ml_round_double(ml_mat_get(X, i, j), p));
}

static int count_diff(const ml_mat *X, const ml_mat *Y)
{
    int bad = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) bad += dbits(ml_mat_get(X, i, j)) != dbits(ml_mat_get(Y, i, j));
    return bad;
}

/* The emulation is exactly: round the operands, sgemm, round the result. Done by hand with
 * ml_gemm on rounded float32 copies it must agree bit for bit, for float64 and float32 C. */
TEST(precision_gemm_is_round_sgemm_round)
{
    uint64_t s = 5;
    const ml_precision ps[] = {ML_BF16, ML_FP16};
    for (int pi = 0; pi < 2; pi++) {
        ml_precision p = ps[pi];
        ml_mat A, B, C0, C, Ar, Br, R;
        random_mat(&A, 33, 70, ML_F64, ML_FP64, &s);
        random_mat(&B, 70, 21, ML_F64, ML_FP64, &s);
        random_mat(&C0, 33, 21, ML_F64, ML_FP64, &s);
        rounded_f32(&Ar, &A, p);
        rounded_f32(&Br, &B, p);
        rounded_f32(&R, &C0, p);
        CHECK_OK(ml_gemm(&R, 1.5, &Ar, ML_NOTRANS, &Br, ML_NOTRANS, 0.25));
        ml_mat_round(&R, p);

        ml_prec_work w;
        ml_prec_work_init(&w);
        for (int rep = 0; rep < 2; rep++) {
            void *wa = w.A.data;
            CHECK_OK(ml_mat_clone(&C, &C0, ML_F64));
            CHECK_OK(ml_gemm_prec_w(&C, 1.5, &A, ML_NOTRANS, &B, ML_NOTRANS, 0.25, p, &w));
            if (rep) CHECK(w.A.data == wa);   /* the workspace is reused, not reallocated */
            int bad = count_diff(&C, &R);
            if (bad) ml_test_fail(__FILE__, __LINE__, "%s: %d entries differ from round-sgemm-round", ml_precision_name(p), bad);
            ml_mat_free(&C);
        }
        /* float32 C is computed in place (no workspace); start it from p-representable values
         * so that storing C0 as float32 first does not round it twice */
        CHECK_OK(ml_mat_clone(&C, &C0, ML_F32));
        ml_mat_round(&C, p);
        ml_mat_free(&R);
        rounded_f32(&R, &C, p);
        CHECK_OK(ml_gemm(&R, 1.5, &Ar, ML_NOTRANS, &Br, ML_NOTRANS, 0.25));
        ml_mat_round(&R, p);
        CHECK_OK(ml_gemm_prec_w(&C, 1.5, &A, ML_NOTRANS, &B, ML_NOTRANS, 0.25, p, &w));
        CHECK(count_diff(&C, &R) == 0);
        ml_mat_free(&C);
        ml_prec_work_free(&w);
        ml_mat_free(&A);
        ml_mat_free(&B);
        ml_mat_free(&C0);
        ml_mat_free(&Ar);
        ml_mat_free(&Br);
        ml_mat_free(&R);
    }
}

/* gemm(X, X^T) rounds X once for both operands; the result equals that with a separate copy. */
TEST(precision_gemm_same_operand)
{
    uint64_t s = 9;
    ml_mat X, Y, C1, C2;
    random_mat(&X, 12, 40, ML_F32, ML_FP32, &s);
    CHECK_OK(ml_mat_clone(&Y, &X, ML_F32));
    CHECK_OK(ml_mat_alloc(&C1, 12, 12, ML_F32));
    CHECK_OK(ml_mat_alloc(&C2, 12, 12, ML_F32));
    CHECK_OK(ml_gemm_prec(&C1, 1.0, &X, ML_NOTRANS, &X, ML_TRANS, 0.0, ML_BF16));
    CHECK_OK(ml_gemm_prec(&C2, 1.0, &X, ML_NOTRANS, &Y, ML_TRANS, 0.0, ML_BF16));
    for (size_t i = 0; i < 12; i++)
        for (size_t j = 0; j < 12; j++) CHECK(ml_mat_get(&C1, i, j) == ml_mat_get(&C2, i, j));
    ml_mat_free(&X);
    ml_mat_free(&Y);
    ml_mat_free(&C1);
    ml_mat_free(&C2);
    ml_prec_release();
}

TEST(precision_syrk_against_reference)
{
    uint64_t s = 13;
    const ml_precision ps[] = {ML_BF16, ML_FP16, ML_FP32, ML_FP64};
    for (int pi = 0; pi < 4; pi++)
        for (int variant = 0; variant < 4; variant++) {
            ml_precision p = ps[pi];
            ml_trans t = variant & 1 ? ML_TRANS : ML_NOTRANS;
            ml_dtype da = variant & 2 ? ML_F32 : ML_F64, dc = variant & 1 ? ML_F64 : ML_F32;
            ml_mat A, C, C0;
            random_mat(&A, t ? 200 : 9, t ? 9 : 200, da, ML_FP64, &s);
            random_mat(&C0, 9, 9, dc, ML_FP64, &s);
            for (size_t i = 0; i < 9; i++)   /* symmetric incoming C */
                for (size_t j = 0; j < i; j++) ml_mat_set(&C0, i, j, ml_mat_get(&C0, j, i));
            double beta = variant & 2 ? 0.5 : 0.0;
            CHECK_OK(ml_mat_clone(&C, &C0, dc));
            CHECK_OK(ml_syrk_prec(&C, 2.0, &A, t, beta, p));
            int pinned = 0;
            if (check_product(&C, 2.0, &A, t, &A, t ? ML_NOTRANS : ML_TRANS, beta, &C0, p, &pinned))
                ml_test_fail(__FILE__, __LINE__, "syrk precision %s, variant %d", ml_precision_name(p), variant);
            for (size_t i = 0; i < 9; i++)
                for (size_t j = 0; j < i; j++) CHECK(ml_mat_get(&C, i, j) == ml_mat_get(&C, j, i));
            ml_mat_free(&A);
            ml_mat_free(&C);
            ml_mat_free(&C0);
        }
    ml_prec_release();
}

TEST(precision_products_reject_bad_arguments)
{
    ml_mat A, B, C;
    CHECK_OK(ml_mat_alloc(&A, 3, 4, ML_F32));
    CHECK_OK(ml_mat_alloc(&B, 5, 2, ML_F32));
    CHECK_OK(ml_mat_alloc(&C, 3, 2, ML_F32));
    CHECK(ml_gemm_prec(&C, 1, &A, ML_NOTRANS, &B, ML_NOTRANS, 0, ML_BF16) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "shape mismatch") != NULL);
    CHECK(ml_gemm_prec(&C, 1, &A, ML_NOTRANS, &A, ML_TRANS, 0, (ml_precision)7) == ML_EINVAL);
    CHECK(ml_syrk_prec(&C, 1, &A, ML_NOTRANS, 0, ML_FP16) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "syrk") != NULL);
    ml_mat_free(&A);
    ml_mat_free(&B);
    ml_mat_free(&C);
    ml_prec_release();
}
