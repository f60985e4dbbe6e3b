/* Causal multi-head self-attention, forward and backward (equations in attention.h).
 * Products: small-matrix kernels (internal/smallmm.h: libxsmm, cblas for what it lacks) on
 * strided T x hs blocks of qkv; the products with a transposed second operand (Q K^T, dO V^T)
 * run as plain products on a transposed copy of K or V kept on the stack (libxsmm generates no
 * A B^T), with 1/sqrt(hs) folded into K's copy and into dS. The row-wise softmax and its
 * Jacobian are plain loops over the lower triangle. */
#include "attention.h"
#include "error.h"
#include "internal/argcheck.h"
#include "internal/blas_split.h"
#include "internal/simd.h"
#include "internal/smallmm.h"
#include "internal/transpose.h"
#include "ops.h"
#include "parallel.h"
#include <math.h>

/* GCC vectorizes the row loops (omp simd) only when comparisons may not trap. */
#pragma GCC optimize("no-trapping-math")

/* ---- checks ---------------------------------------------------------------------------- */

/* Shapes from qkv: T tokens per sequence, C channels, hs per head. */
static int check_qkv(const char *fn, const ml_mat *qkv, size_t B, size_t H, size_t *T, size_t *C)
{
    if (B == 0 || H == 0) return ml_error(ML_EINVAL, "%s: batch and head counts must be >= 1", fn);
    if (qkv->rows % B)
        return ml_error(ML_EINVAL, "%s: qkv has %zu rows, not a multiple of the batch size %zu", fn, qkv->rows, B);
    if (qkv->cols % 3 || (qkv->cols / 3) % H)
        return ml_error(ML_EINVAL, "%s: qkv has %zu columns, not 3C with C a multiple of %zu heads", fn, qkv->cols, H);
    *T = qkv->rows / B;
    *C = qkv->cols / 3;
    if (*T > 1u << 30 || *C > 1u << 30) return ml_error(ML_EINVAL, "%s: sizes beyond BLAS's int range", fn);
    return ML_OK;
}

static int disjoint(const char *fn, const char *a, const ml_mat *x, const char *b, const ml_mat *y)
{
    if (x->buf && x->buf == y->buf) return ml_error(ML_EINVAL, "%s: %s must not share storage with %s", fn, a, b);
    return ML_OK;
}

/* ---- dtype-generic pieces ---------------------------------------------------------------- */

/* libm's exp and expf with their vector variants (glibc's libmvec), so the row loops vectorize. */
double ml_attn_exp(double) __asm__("exp") __attribute__((simd("notinbranch"), const, nothrow, leaf));
float ml_attn_expf(float) __asm__("expf") __attribute__((simd("notinbranch"), const, nothrow, leaf));

/* Rows of one T x T block p (stride ld) hold scores S; replace them by the causal softmax and
 * return max_{i, j<=i} S_ij. */
#define DEFINE_CAUSAL_SOFTMAX(NAME, REAL, EXP, ATTR)                                           \
    ATTR static double NAME(REAL *p, size_t T, size_t ld)                                            \
    {                                                                                           \
        double top = -INFINITY;                                                                 \
        for (size_t i = 0; i < T; i++) {                                                        \
            REAL *restrict r = p + i * ld, m = r[0], s = 0;                                     \
            _Pragma("omp simd reduction(max : m)") for (size_t j = 1; j <= i; j++)              \
                m = r[j] > m ? r[j] : m;                                                        \
            if (m > top) top = m;                                                               \
            _Pragma("omp simd") for (size_t j = 0; j <= i; j++) r[j] = EXP(r[j] - m);           \
            _Pragma("omp simd reduction(+ : s)") for (size_t j = 0; j <= i; j++) s += r[j];     \
            REAL inv = 1 / s;                                                                   \
            _Pragma("omp simd") for (size_t j = 0; j <= i; j++) r[j] *= inv;                    \
            for (size_t j = i + 1; j < T; j++) r[j] = 0;                                        \
        }                                                                                       \
        return top;                                                                             \
    }
DEFINE_CAUSAL_SOFTMAX(causal_softmax_d, double, ml_attn_exp, )
DEFINE_CAUSAL_SOFTMAX(causal_softmax_f, float, ml_attn_expf, ML_CLONES)

/* dS_ij = scale P_ij (dP_ij - sum_{k<=i} P_ik dP_ik), in place in dp; zero above the diagonal. */
#define DEFINE_SOFTMAX_BACKWARD(NAME, REAL, ATTR)                                    \
    ATTR static void NAME(REAL *dp, const REAL *p, size_t T, size_t ldd, size_t ldp, REAL scale) \
    {                                                                                 \
        for (size_t i = 0; i < T; i++) {                                              \
            REAL *restrict d = dp + i * ldd, dot = 0;                                 \
            const REAL *restrict r = p + i * ldp;                                     \
            _Pragma("omp simd reduction(+:dot)") for (size_t j = 0; j <= i; j++) dot += r[j] * d[j]; \
            _Pragma("omp simd") for (size_t j = 0; j <= i; j++) d[j] = scale * (r[j] * (d[j] - dot)); \
            for (size_t j = i + 1; j < T; j++) d[j] = 0;                              \
        }                                                                             \
    }
DEFINE_SOFTMAX_BACKWARD(softmax_backward_d, double, )
DEFINE_SOFTMAX_BACKWARD(softmax_backward_f, float, ML_CLONES)

/* ---- forward ----------------------------------------------------------------------------- */

/* Heads per parallel pass of the forward (the parts keep one max logit per head apart). */
#define PASS_HEADS 64

/* Q K^T and dO V^T run as plain products on a transposed copy of the T x hs block of K or V
 * kept on each part's stack when T hs <= PACK_MAX (64 KB): libxsmm generates no A B^T kernel.
 * Larger blocks go to cblas. (Packing the other operands contiguously as well was measured:
 * the kernels gain what the copies cost.) */
#define PACK_MAX 8192

/* The causal mask leaves the upper triangle of S and dS zero: the products run by blocks of
 * TB rows (columns for dV, dK) over only the columns (rows) the mask keeps, 3/4 of the
 * multiply-adds at T = 2 TB, approaching 1/2 as T grows; up to NB_MAX blocks (T <= 256), one
 * block (the full products) beyond, or without the transposed copies. */
#define TB 32
#define NB_MAX 8

/* Rows [r0, r1) of causal row block i of T rows in blocks of tb. */
static void block_rows(size_t tb, size_t T, size_t i, size_t *r0, size_t *r1)
{
    *r0 = i * tb;
    *r1 = *r0 + tb < T ? *r0 + tb : T;
}

/* What the parts of a parallel call share; each part owns the sequences b in [b0, b1). */
typedef struct {
    ml_mat *out, *P, *dqkv, *dP;
    const ml_mat *qkv, *dout, *Pin;
    size_t T, C, H, h0, h1;
    int pk;                        /* K^T and V^T copies fit (T hs <= PACK_MAX) */
    size_t tb, nb;                 /* causal row blocks: nb blocks of tb rows (the last may be short) */
    ml_smallmm mm[4][NB_MAX];      /* per block: forward S, O; backward dP, dV, dQ, dK (planned by the callers) */
    double top[ML_PARALLEL_MAX][PASS_HEADS];   /* forward: max logit per part and head h0 + i */
    int nonfinite[ML_PARALLEL_MAX];            /* a part wrote a NaN or Inf (checked per block while
                                                  in cache: a pass over the output afterwards read it
                                                  back from memory, 1% of a GPT step) */
} attn_job;

static void forward_part(void *ctx, int part, size_t b0, size_t b1)
{
    attn_job *j = ctx;
    const ml_mat *qkv = j->qkv;
    ml_dtype t = qkv->dtype;
    size_t T = j->T, C = j->C, H = j->H, hs = C / H, es = ml_dtype_size(t);
    size_t lq = qkv->stride, lo = j->out->stride, lp = j->P->stride;
    double scale = 1 / sqrt((double)hs), kt[PACK_MAX];
    for (size_t h = j->h0; h < j->h1; h++) {
        double top = -INFINITY;
        for (size_t b = b0; b < b1; b++) {
            const char *q = (const char *)qkv->data + (b * T * lq + h * hs) * es, *k = q + C * es, *v = q + 2 * C * es;
            char *p = (char *)j->P->data + (b * H + h) * T * lp * es;
            char *o = (char *)j->out->data + (b * T * lo + h * hs) * es;
            if (j->pk) {   /* S = Q (K^T / sqrt(hs)), row block [r0, r1) over columns < r1 */
                ml_transpose_block(t, kt, T, k, lq, T, hs, scale);
                for (size_t i = 0, r0, r1; i < j->nb; i++) {
                    block_rows(j->tb, T, i, &r0, &r1);
                    ml_smallmm_run(&j->mm[0][i], q + r0 * lq * es, kt, p + r0 * lp * es);
                }
            } else {
                ml_blas_gemm1(t, 0, 1, T, T, hs, scale, q, lq, k, lq, 0, p, lp);   /* S = Q K^T / sqrt(hs) */
            }
            /* the softmax writes the zeros above the diagonal, over the columns no block computed too */
            double m = t == ML_F64 ? causal_softmax_d((double *)p, T, lp) : causal_softmax_f((float *)p, T, lp);
            if (m > top) top = m;
            for (size_t i = 0, r0, r1; i < j->nb; i++) {   /* O = P V by row blocks, columns < r1 of P */
                block_rows(j->tb, T, i, &r0, &r1);
                ml_smallmm_run(&j->mm[1][i], p + r0 * lp * es, v, o + r0 * lo * es);
            }
            if (!ml_block_all_finite(t, o, T, hs, lo)) j->nonfinite[part] = 1;   /* checked while in cache */
        }
        j->top[part][h - j->h0] = top;
    }
}

/* Whether the transposed copies fit; blocks of TB rows when they do and TB < T <= TB NB_MAX,
 * else one block. */
static void set_blocks(attn_job *j)
{
    j->pk = j->C / j->H * j->T <= PACK_MAX;
    j->tb = j->pk && j->T > TB && j->T <= (size_t)TB * NB_MAX ? TB : j->T;
    j->nb = (j->T + j->tb - 1) / j->tb;
}

int ml_attn_forward(ml_mat *out, ml_mat *P, ml_mat *maxlogit, const ml_mat *qkv, size_t B, size_t H)
{
    const char *fn = "attention_forward";
    size_t T, C;
    int rc;
    if ((rc = check_qkv(fn, qkv, B, H, &T, &C))) return rc;
    if ((rc = ml_check_shape(fn, "output", out, B * T, C)) || (rc = ml_check_shape(fn, "probabilities", P, B * H * T, T))) return rc;
    if ((rc = ml_check_dtype(fn, "output", out, qkv->dtype, "qkv")) || (rc = ml_check_dtype(fn, "probabilities", P, qkv->dtype, "qkv"))) return rc;
    if ((rc = disjoint(fn, "output", out, "qkv", qkv)) || (rc = disjoint(fn, "probabilities", P, "qkv", qkv)) ||
        (rc = disjoint(fn, "output", out, "the probabilities", P)))
        return rc;
    if (maxlogit && (rc = ml_check_shape(fn, "max logits", maxlogit, 1, H))) return rc;
    size_t hs = C / H;
    attn_job j = {.out = out, .P = P, .qkv = qkv, .T = T, .C = C, .H = H};
    set_blocks(&j);
    for (size_t i = 0, r0, r1; i < j.nb; i++) {   /* row block [r0, r1) uses columns [0, r1) */
        block_rows(j.tb, T, i, &r0, &r1);
        ml_smallmm_plan(&j.mm[0][i], qkv->dtype, 0, 0, r1 - r0, r1, hs, qkv->stride, T, P->stride);   /* Q (K^T/sqrt(hs)) */
        ml_smallmm_plan(&j.mm[1][i], qkv->dtype, 0, 0, r1 - r0, hs, r1, P->stride, qkv->stride, out->stride);   /* P V */
    }
    int bad = 0;
    for (j.h0 = 0; j.h0 < H; j.h0 = j.h1) {
        j.h1 = j.h0 + PASS_HEADS < H ? j.h0 + PASS_HEADS : H;
        int parts = ml_parallel_for(B, 1, forward_part, &j);
        for (int k = 0; k < parts; k++) bad |= j.nonfinite[k];
        for (size_t h = j.h0; h < j.h1; h++) {
            double top = -INFINITY;
            for (int k = 0; k < parts; k++) top = j.top[k][h - j.h0] > top ? j.top[k][h - j.h0] : top;
            if (maxlogit) ml_mat_set(maxlogit, 0, h, top);
        }
    }
    /* finite qkv gives finite scores and outputs unless Q K^T overflowed: an error, not a NaN (a
     * NaN or Inf in qkv propagates, as in every nn kernel) */
    if (bad && ml_mat_all_finite(qkv))
        return ml_error(ML_ENUM, "%s: the scores Q K^T / sqrt(hs) overflow the %s range (qkv entries up to %g); scale "
                        "the inputs down", fn, ml_dtype_name(qkv->dtype), ml_norm_maxabs(qkv));
    return ML_OK;
}

/* ---- backward ---------------------------------------------------------------------------- */

static void backward_part(void *ctx, int part, size_t b0, size_t b1)
{
    attn_job *j = ctx;
    const ml_mat *qkv = j->qkv;
    ml_dtype t = qkv->dtype;
    size_t T = j->T, C = j->C, H = j->H, hs = C / H, es = ml_dtype_size(t);
    size_t lq = qkv->stride, ldq = j->dqkv->stride, lo = j->dout->stride, lp = j->Pin->stride, ld = j->dP->stride;
    double scale = 1 / sqrt((double)hs), vt[PACK_MAX];
    for (size_t b = b0; b < b1; b++)
        for (size_t h = 0; h < H; h++) {
            size_t qoff = b * T * lq + h * hs, goff = b * T * ldq + h * hs;
            const char *q = (const char *)qkv->data + qoff * es, *k = q + C * es, *v = q + 2 * C * es;
            char *dq = (char *)j->dqkv->data + goff * es, *dk = dq + C * es, *dv = dq + 2 * C * es;
            const char *p = (const char *)j->Pin->data + (b * H + h) * T * lp * es;
            char *dp = (char *)j->dP->data + (b * H + h) * T * ld * es;
            const char *dO = (const char *)j->dout->data + (b * T * lo + h * hs) * es;
            const void *vb = v;   /* dP = dO V^T, row block [r0, r1) over columns < r1 */
            if (j->pk) {
                ml_transpose_block(t, vt, T, v, lq, T, hs, 1.0);
                vb = vt;
            }
            for (size_t i = 0, r0, r1; i < j->nb; i++) {
                block_rows(j->tb, T, i, &r0, &r1);
                ml_smallmm_run(&j->mm[0][i], dO + r0 * lo * es, vb, dp + r0 * ld * es);
            }
            /* dS / sqrt(hs) in dp, zeros above the diagonal (over the columns no block computed too) */
            if (t == ML_F64)
                softmax_backward_d((double *)dp, (const double *)p, T, ld, lp, scale);
            else
                softmax_backward_f((float *)dp, (const float *)p, T, ld, lp, (float)scale);
            for (size_t i = 0, r0, r1; i < j->nb; i++) {
                block_rows(j->tb, T, i, &r0, &r1);
                /* rows [r0, r1) of dV = P^T dO and of dK = dS^T Q: rows >= r0 of P and dS (above: zeros) */
                ml_smallmm_run(&j->mm[1][i], p + (r0 * lp + r0) * es, dO + r0 * lo * es, dv + r0 * ldq * es);
                ml_smallmm_run(&j->mm[3][i], dp + (r0 * ld + r0) * es, q + r0 * lq * es, dk + r0 * ldq * es);
                /* rows [r0, r1) of dQ = dS K: columns < r1 of dS */
                ml_smallmm_run(&j->mm[2][i], dp + r0 * ld * es, k, dq + r0 * ldq * es);
            }
            if (!ml_block_all_finite(t, dq, T, hs, ldq) || !ml_block_all_finite(t, dk, T, hs, ldq) ||
                !ml_block_all_finite(t, dv, T, hs, ldq))
                j->nonfinite[part] = 1;   /* checked while in cache, not in a pass over dqkv afterwards */
        }
}

int ml_attn_backward(ml_mat *dqkv, ml_mat *dP, const ml_mat *dout, const ml_mat *P, const ml_mat *qkv, size_t B,
                     size_t H)
{
    const char *fn = "attention_backward";
    size_t T, C;
    int rc;
    if ((rc = check_qkv(fn, qkv, B, H, &T, &C))) return rc;
    if ((rc = ml_check_shape(fn, "qkv gradient", dqkv, B * T, 3 * C)) || (rc = ml_check_shape(fn, "work space", dP, B * H * T, T)) ||
        (rc = ml_check_shape(fn, "output gradient", dout, B * T, C)) || (rc = ml_check_shape(fn, "probabilities", P, B * H * T, T)))
        return rc;
    if ((rc = ml_check_dtype(fn, "qkv gradient", dqkv, qkv->dtype, "qkv")) || (rc = ml_check_dtype(fn, "work space", dP, qkv->dtype, "qkv")) ||
        (rc = ml_check_dtype(fn, "output gradient", dout, qkv->dtype, "qkv")) || (rc = ml_check_dtype(fn, "probabilities", P, qkv->dtype, "qkv")))
        return rc;
    const ml_mat *in[] = {dout, P, qkv};
    const char *names[] = {"the output gradient", "the probabilities", "qkv"};
    for (int i = 0; i < 3; i++)
        if ((rc = disjoint(fn, "the qkv gradient", dqkv, names[i], in[i])) || (rc = disjoint(fn, "the work space", dP, names[i], in[i])))
            return rc;
    if ((rc = disjoint(fn, "the qkv gradient", dqkv, "the work space", dP))) return rc;
    size_t hs = C / H, ldq = dqkv->stride, lq = qkv->stride;
    attn_job j = {.dqkv = dqkv, .dP = dP, .dout = dout, .Pin = P, .qkv = qkv, .T = T, .C = C, .H = H};
    ml_dtype t = qkv->dtype;
    set_blocks(&j);
    for (size_t i = 0, r0, r1; i < j.nb; i++) {
        block_rows(j.tb, T, i, &r0, &r1);
        /* dO (V^T) on the transposed copy, or dO V^T on V in qkv (cblas) */
        ml_smallmm_plan(&j.mm[0][i], t, 0, !j.pk, r1 - r0, r1, hs, dout->stride, j.pk ? T : lq, dP->stride);
        ml_smallmm_plan(&j.mm[1][i], t, 1, 0, r1 - r0, hs, T - r0, P->stride, dout->stride, ldq);   /* P^T dO */
        ml_smallmm_plan(&j.mm[2][i], t, 0, 0, r1 - r0, hs, r1, dP->stride, lq, ldq);         /* dS K */
        ml_smallmm_plan(&j.mm[3][i], t, 1, 0, r1 - r0, hs, T - r0, dP->stride, lq, ldq);     /* dS^T Q */
    }
    int parts = ml_parallel_for(B, 1, backward_part, &j), bad = 0;
    for (int k = 0; k < parts; k++) bad |= j.nonfinite[k];
    /* finite inputs give a finite gradient unless a product overflowed: an error, not a NaN */
    if (bad && ml_mat_all_finite(dout) && ml_mat_all_finite(P) && ml_mat_all_finite(qkv))
        return ml_error(ML_ENUM, "%s: a product overflows the %s range (inputs up to %g); scale them down", fn,
                        ml_dtype_name(qkv->dtype), fmax(ml_norm_maxabs(qkv), ml_norm_maxabs(dout)));
    return ML_OK;
}
