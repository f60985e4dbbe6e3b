#include "ns.h"
#include "error.h"
#include "ops.h"
#include "threads.h"
#include "rng.h"
#include "internal/blas_split.h"
#include "parallel.h"
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- option names ---- */

static const char *const precond_names[] = {"frobenius", "spectral", "aol", "schatten", "none"};
static const char *const form_names[] = {"direct", "gram", "eig", "auto"};

int ml_precond_parse(const char *s, ml_precond *out)
{
    int i, rc = ml_parse_choice("preconditioner", precond_names, 5, s, &i);
    if (!rc) *out = (ml_precond)i;
    return rc;
}

const char *ml_precond_name(ml_precond p) { return (unsigned)p < 5 ? precond_names[p] : "?"; }

int ml_ns_form_parse(const char *s, ml_ns_form *out)
{
    int i, rc = ml_parse_choice("form", form_names, 4, s, &i);
    if (!rc) *out = (ml_ns_form)i;
    return rc;
}

const char *ml_ns_form_name(ml_ns_form f) { return (unsigned)f < 4 ? form_names[f] : "?"; }

void ml_ns_opts_default(ml_ns_opts *o)
{
    *o = (ml_ns_opts){.eps = 1e-7, .precond = ML_PRECOND_FROBENIUS, .power_steps = ML_NS_POWER_STEPS,
                      .precision = ML_NS_PRECISION_AUTO, .form = ML_NS_DIRECT};
}

/* ---- workspace ---- */

void ml_ns_work_init(ml_ns_work *w) { *w = (ml_ns_work){0}; }

void ml_ns_work_free(ml_ns_work *w)
{
    ml_mat *all[] = {&w->X, &w->Y, &w->S, &w->A, &w->P, &w->T, &w->U, &w->Q, &w->d, &w->v, &w->u, &w->H};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ml_mat_free(all[i]);
    ml_gram_eig_free(&w->e);
    ml_gram_eig_free(&w->e64);
    ml_mat_free(&w->M64);
    w->allocs = 0;
}

/* ml_mat_ensure, counting the calls that cannot reuse the buffer (the rule of matrix.c). */
static int need(ml_ns_work *w, ml_mat *M, size_t r, size_t c, ml_dtype t)
{
    int reuse = M->buf && M->buf->refs == 1 && M->data == M->buf->data &&
                M->buf->bytes >= r * c * ml_dtype_size(t);
    if (!reuse) w->allocs++;
    return ml_mat_ensure(M, r, c, t);
}

static void swap(ml_mat *a, ml_mat *b)
{
    ml_mat t = *a;
    *a = *b;
    *b = t;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- kernels ---- */

/* X_w = alpha * diag(d) * (trans ? M^T : M): an iterate described without being formed. */
typedef struct src {
    const ml_mat *M;
    int trans;
    double alpha;
    const double *d;   /* NULL: no row scaling */
} src;

/* dst(i, j) = alpha d_i M_w(i, j) for any pair of dtypes, in 32 x 32 blocks when transposing.
 * Used off the fast path only: entry/exit of the emulated precisions, steps = 0, the hook. */
#define GATHER(TD, TS)                                                                           \
    do {                                                                                         \
        TD *dd = dst->data;                                                                      \
        const TS *ss = s->M->data;                                                               \
        size_t ds = dst->stride, ms = s->M->stride;                                              \
        for (size_t i0 = 0; i0 < R; i0 += 32)                                                    \
            for (size_t j0 = 0; j0 < C; j0 += bj) {                                              \
                size_t i1 = i0 + 32 < R ? i0 + 32 : R, j1 = j0 + bj < C ? j0 + bj : C;           \
                for (size_t i = i0; i < i1; i++) {                                               \
                    double f = s->alpha * (s->d ? s->d[i] : 1.0);                                \
                    if (s->trans)                                                                \
                        for (size_t j = j0; j < j1; j++) dd[i * ds + j] = (TD)(f * ss[j * ms + i]); \
                    else                                                                         \
                        for (size_t j = j0; j < j1; j++) dd[i * ds + j] = (TD)(f * ss[i * ms + j]); \
                }                                                                                \
            }                                                                                    \
    } while (0)

static void gather(ml_mat *dst, const src *s)
{
    size_t R = dst->rows, C = dst->cols, bj = s->trans ? 32 : C;
    if (dst->dtype == ML_F64 && s->M->dtype == ML_F64) GATHER(double, double);
    else if (dst->dtype == ML_F64) GATHER(double, float);
    else if (s->M->dtype == ML_F64) GATHER(float, double);
    else GATHER(float, float);
}

/* M_ij <- alpha r_i c_j M_ij (r or c NULL: ones). */
#define SCALE_LOOP(T)                                                                   \
    for (size_t i = 0; i < M->rows; i++) {                                              \
        T *x = (T *)M->data + i * M->stride;                                            \
        double f = alpha * (r ? r[i] : 1.0);                                            \
        if (c)                                                                          \
            for (size_t j = 0; j < M->cols; j++) x[j] = (T)(f * c[j] * x[j]);           \
        else                                                                            \
            for (size_t j = 0; j < M->cols; j++) x[j] = (T)(f * x[j]);                  \
    }

static void scale_rc(ml_mat *M, double alpha, const double *r, const double *c)
{
    if (M->dtype == ML_F64) SCALE_LOOP(double)
    else SCALE_LOOP(float)
}

/* out_i = sum_j |M_ij| */
static void abs_row_sums(const ml_mat *M, double *out)
{
    for (size_t i = 0; i < M->rows; i++) {
        double s = 0;
        if (M->dtype == ML_F64) {
            const double *x = (const double *)M->data + i * M->stride;
            for (size_t j = 0; j < M->cols; j++) s += fabs(x[j]);
        } else {
            const float *x = (const float *)M->data + i * M->stride;
            for (size_t j = 0; j < M->cols; j++) s += fabs((double)x[j]);
        }
        out[i] = s;
    }
}

/* S <- G 2^e rounded to precision p in S's dtype; a float64 entry is rounded to the format directly.
 * The power of two is exact (see prescale_exponent). */
static void convert_source(ml_mat *S, const ml_mat *G, ml_precision p, int e)
{
    if (G->dtype == ML_F64 && S->dtype == ML_F32) {
        for (size_t i = 0; i < G->rows; i++) {
            const double *g = (const double *)G->data + i * G->stride;
            float *s = (float *)S->data + i * S->stride;
            for (size_t j = 0; j < G->cols; j++) s[j] = (float)ml_round_double(e ? ldexp(g[j], e) : g[j], p);
        }
        return;
    }
    ml_mat_copy(S, G);   /* same dtype, or float32 into float64 (exact) */
    ml_mat_ldexp(S, e);
    ml_mat_round(S, p);
}

/* C <- alpha op(A) op(A)^T + beta C (op(A) = A or A^T), both triangles; shapes are the
 * workspace's own, so ml_syrk cannot fail here. */
static void syrk_w(ml_mat *C, double alpha, const ml_mat *A, ml_trans t, double beta)
{
    (void)ml_syrk(C, alpha, A, t, beta);
}

/* C <- S1 S2 for symmetric S1, S2 that commute (polynomials in the same matrix), so that the
 * product is symmetric: only its upper triangle is computed (diagonal blocks of SYMPROD_LEAF or
 * fewer rows by a full gemm: 0.63x the flops of gemm at m = 128, 0.56x at 256, 0.52x at 1024;
 * leaves of 128 made it 1x, 0.75x, 0.56x), then mirrored.
 * Leaves of 32 rather than 128 (with blas_split.c's cut by cost), 5-step gram NS fp32, 4
 * alternated pairs on the Intel Xeon (model 167), OpenBLAS's Haswell / SkylakeX kernels:
 * 128 x 512 0.93 -> 0.85 / 0.80 -> 0.66 ms; 256 x 784 5.5 -> 5.1 / 3.9 -> 3.55 ms at 1 thread,
 * 3.3 -> 3.25 / 2.68 -> 2.53 ms at 2; 64 x 256 and 384 x 1536 as fast or faster. */
#define SYMPROD_LEAF 32
static void symprod(ml_mat *C, const ml_mat *S1, const ml_mat *S2)
{
    ml_blas_sym_product(C->dtype, C->rows, S1->cols, S1->data, S1->stride, S2->data, S2->stride, C->data, C->stride,
                        SYMPROD_LEAF);
}


/* dst_w = L X_w with dst_w = dst (dtrans = 0) or dst^T (dtrans = 1), L m x m (symmetric when
 * sym), X_w described by s; rounded to p. Row scales of s fold into L's columns (scratch T),
 * which loses the symmetry. Transposed operands go to BLAS as flags, never as copies. */
static int apply(ml_ns_work *w, ml_mat *dst, int dtrans, const ml_mat *L, int sym, const src *s, ml_precision p)
{
    int rc = ML_OK;
    if (s->d) {
        ml_mat *T = &w->T;
        rc = ml_mat_copy(T, L);
        if (rc) return rc;
        scale_rc(T, 1.0, NULL, s->d);
        L = T;
        sym = 0;
    }
    const ml_mat *M = s->M;
    if (!dtrans && !s->trans) rc = sym ? ml_symm(dst, s->alpha, L, M, 0.0) : ml_gemm(dst, s->alpha, L, ML_NOTRANS, M, ML_NOTRANS, 0.0);
    else if (!dtrans) rc = ml_gemm(dst, s->alpha, L, ML_NOTRANS, M, ML_TRANS, 0.0);
    else if (s->trans) {
        if (sym) rc = ml_symm_right(dst, s->alpha, M, L, 0.0);
        else rc = ml_gemm(dst, s->alpha, M, ML_NOTRANS, L, ML_TRANS, 0.0);
    } else rc = ml_gemm(dst, s->alpha, M, ML_TRANS, L, ML_TRANS, 0.0);
    ml_mat_round(dst, p);
    return rc;
}

/* P <- c1 A + c2 A^2 + ... (+ c0 I when with_c0) for the odd polynomial sum_k c_k x^(2k+1), so
 * that a step is X <- P X (or X <- c0 X + P X). A and P are symmetric; A^2 = A A^T comes from syrk
 * and c2 A^2 + c1 A is one syrk with beta (one rounding, like addmm); longer polynomials use
 * Horner with symm. Every stored intermediate is rounded to p. */
static int poly(ml_ns_work *w, const double *c, int terms, int with_c0, ml_precision p)
{
    ml_mat *A = &w->A, *P = &w->P;
    int rc = ML_OK;
    if (terms == 1) {
        ml_mat_fill(P, 0.0);
    } else if (terms == 2) {
        rc = ml_mat_copy(P, A);
        ml_scale(P, c[1]);
    } else if (terms == 3) {
        rc = ml_mat_copy(P, A);
        if (!rc) syrk_w(P, c[2], A, ML_NOTRANS, c[1]);
    } else {
        /* S = A (c1 I + A (c2 I + ... + A (c_{q-2} I + c_{q-1} A))) */
        rc = ml_mat_copy(&w->T, A);
        ml_scale(&w->T, c[terms - 1]);
        ml_add_diag(&w->T, c[terms - 2]);
        ml_mat_round(&w->T, p);
        for (int k = terms - 3; k >= 1 && !rc; k--) {
            symprod(&w->U, A, &w->T);
            ml_add_diag(&w->U, c[k]);
            ml_mat_round(&w->U, p);
            swap(&w->T, &w->U);
        }
        if (!rc) symprod(P, A, &w->T);
    }
    if (with_c0) {
        ml_mat_round(P, p);   /* c0 I + round(...): two roundings, only in the gram form */
        ml_add_diag(P, c[0]);
    }
    ml_mat_round(P, p);
    return rc;
}

/* Largest eigenvalue of the symmetric tridiagonal matrix (a[0..k-1] diagonal, b[0..k-2] off
 * diagonal) by bisection on the Sturm count (the number of negative pivots of T - x I). */
static double tridiag_max(const double *a, const double *b, int k)
{
    double lo = 0, hi = 0;
    for (int i = 0; i < k; i++) {
        double r = (i > 0 ? fabs(b[i - 1]) : 0) + (i < k - 1 ? fabs(b[i]) : 0);
        hi = fmax(hi, a[i] + r);
        lo = fmin(lo, a[i] - r);
    }
    for (int it = 0; it < 200 && hi - lo > 1e-15 * fabs(hi); it++) {
        double x = 0.5 * (lo + hi), d = 1;
        int below = 0;
        for (int i = 0; i < k; i++) {
            d = a[i] - x - (i > 0 ? b[i - 1] * b[i - 1] / d : 0);
            if (d == 0) d = -1e-300;
            below += d < 0;
        }
        if (below == k) hi = x;   /* every eigenvalue below x */
        else lo = x;
    }
    return hi;
}

/* lambda_max(A) estimated from k products with A (A symmetric positive semidefinite, the Gram
 * matrix): Lanczos with full reorthogonalisation from a fixed random start, largest Ritz value.
 * The Krylov space contains the power iterate after k - 1 products, so this is never below its
 * Rayleigh quotient, and it converges much faster on flat-topped spectra; it is still a lower
 * bound on lambda_max, which the caller scales up. Basis in w->v ((k + 1) x m, float64), the
 * products in the working dtype through w->u (2 x m). */
static double lanczos_max(ml_ns_work *w, int k)
{
    ml_mat *A = &w->A;
    size_t m = A->rows;
    if ((size_t)k > m) k = (int)m;
    double *V = w->v.data, alpha[ML_NS_MAX_POWER_STEPS], beta[ML_NS_MAX_POWER_STEPS];
    ml_rng r;
    ml_rng_seed(&r, 0x5eed);
    double nv = 0;
    for (size_t i = 0; i < m; i++) {
        V[i] = ml_rng_normal(&r);
        nv += V[i] * V[i];
    }
    for (size_t i = 0; i < m; i++) V[i] /= sqrt(nv);
    int kk = 0;
    for (int j = 0; j < k; j++) {
        double *q = V + (size_t)j * m, *z = q + m;
        if (A->dtype == ML_F64) {   /* z = A q */
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)m, 1.0, A->data, (int)A->stride, q, 1, 0.0, z, 1);
        } else {
            float *in = w->u.data, *out = in + m;
            for (size_t i = 0; i < m; i++) in[i] = (float)q[i];
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)m, 1.0f, A->data, (int)A->stride, in, 1, 0.0f, out, 1);
            for (size_t i = 0; i < m; i++) z[i] = out[i];
        }
        double s = 0;
        for (size_t i = 0; i < m; i++) s += q[i] * z[i];
        alpha[j] = s;
        kk = j + 1;
        if (j + 1 == k) break;
        for (int pass = 0; pass < 2; pass++)   /* z <- z - V V^T z, twice for orthogonality */
            for (int l = 0; l <= j; l++) {
                const double *ql = V + (size_t)l * m;
                double c = 0;
                for (size_t i = 0; i < m; i++) c += ql[i] * z[i];
                for (size_t i = 0; i < m; i++) z[i] -= c * ql[i];
            }
        double nz = 0;
        for (size_t i = 0; i < m; i++) nz += z[i] * z[i];
        nz = sqrt(nz);
        if (!(nz > 1e-12 * fabs(alpha[0]))) break;   /* invariant subspace: the Ritz values are exact */
        beta[j] = nz;
        for (size_t i = 0; i < m; i++) z[i] /= nz;
    }
    return tridiag_max(alpha, beta, kk);
}

static double inv_or_zero(double den) { return den > 0 ? 1.0 / den : 0.0; }

/* g(sigma) = f(sigma) / sigma for the schedule's first `steps` steps composed, f the map of the
 * singular values of X_0: x <- x q_t(x^2) with q_t(y) = c0 + c1 y + c2 y^2 + ..., so
 * g = prod_t q_t(x_t^2) (defined at sigma = 0: prod_t c0). */
static double composed_gain(const ml_schedule *sch, int steps, double sigma)
{
    double x = sigma, g = 1.0;
    for (int t = 0; t < steps; t++) {
        const double *c = sch->c + (size_t)t * sch->terms;
        double y = x * x, q = c[sch->terms - 1];
        for (int k = sch->terms - 2; k >= 0; k--) q = q * y + c[k];
        x *= q;
        g *= q;
    }
    return g;
}

/* ---- the iteration ---- */

typedef struct run {
    const ml_ns_opts *o;
    ml_ns_work *w;
    ml_precision p;
    ml_dtype wt;      /* working dtype */
    int reduced;      /* bf16 or fp16 */
    int tall;
    size_t m, n;
    src x0;           /* X_0 (possibly not formed) */
    int e;            /* the source is G 2^e (prescale_exponent) */
    double eps;       /* o->eps 2^e: the normaliser scales with the source */
    double safety;    /* the schedule's input_scale: every normaliser is multiplied by it */
    int have_A0;      /* w->A holds X_0 X_0^T */
} run;

static int check_opts(const ml_ns_opts *o, const ml_schedule *sch)
{
    if (!(o->eps >= 0) || !isfinite(o->eps)) return ml_error(ML_EINVAL, "eps must be a finite number >= 0");
    if ((unsigned)o->precond > ML_PRECOND_NONE) return ml_error(ML_EINVAL, "invalid preconditioner %d", (int)o->precond);
    if (o->power_steps < 1 || o->power_steps > ML_NS_MAX_POWER_STEPS)
        return ml_error(ML_EINVAL, "power_steps must be in 1..%d, got %d", ML_NS_MAX_POWER_STEPS, o->power_steps);
    if (o->precision != ML_NS_PRECISION_AUTO && (o->precision < ML_FP64 || o->precision > ML_FP16))
        return ml_error(ML_EINVAL, "invalid precision %d", o->precision);
    if ((unsigned)o->form > ML_NS_AUTO) return ml_error(ML_EINVAL, "invalid form %d", (int)o->form);
    if (o->restart < 0) return ml_error(ML_EINVAL, "restart must be >= 0, got %d", o->restart);
    if (o->restart_at & 3u) return ml_error(ML_EINVAL, "restart positions must be steps 2..63");
    if (o->restart_at && o->form != ML_NS_GRAM) return ml_error(ML_EINVAL, "restart positions apply to the gram form only");
    if (!sch || sch->steps < 0 || sch->terms < 1 || sch->terms > ML_MAX_TERMS || (sch->steps > 0 && !sch->c))
        return ml_error(ML_EINVAL, "invalid coefficient schedule");
    if (!(sch->input_scale >= 1) || !isfinite(sch->input_scale))
        return ml_error(ML_EINVAL, "the schedule's input_scale must be a finite number >= 1, got %g", sch->input_scale);
    return ML_OK;
}

/* The exponent e that makes the normalisation safe: the Gram matrix G G^T and the sums of squares
 * of the preconditioners overflow or lose digits to underflow when max |G| = M is far from 1
 * (|G| ~ 1e154 in float64, 1e19 in float32: X_0 came out 0; at 1e80 the Lanczos vectors of the
 * spectral estimate overflowed). Outside the window of ML_SCALE_WINDOW (ops.h), the source is G 2^e with M 2^e in [1/2, 1), eps is
 * scaled alike, and every preconditioner's X_0 = diag(d) G is unchanged (d scales by 2^-e): the
 * result is that of the unit-scale input, to rounding. precond = none has no normaliser: e = 0. */
static int prescale_exponent(double M, ml_precision p, ml_precond pc)
{
    if (pc == ML_PRECOND_NONE) return 0;
    /* fp16: max 65504, subnormal below 6e-5 */
    return ml_scale_exponent(M, p == ML_FP64 ? ML_SCALE_WINDOW(ML_F64) : p == ML_FP16 ? 4 : ML_SCALE_WINDOW(ML_F32));
}

/* Source, its Gram matrix, the preconditioner's scales, the first step's Gram matrix, and X_0
 * itself where the precision emulation needs it stored (bf16/fp16: rounded, in G's orientation
 * in w->S). */
static int precondition(run *r, const ml_mat *G)
{
    ml_ns_work *w = r->w;
    const ml_ns_opts *o = r->o;
    int rc = ML_OK;
    r->x0 = (src){G, r->tall, 1.0, NULL};
    if (G->dtype != r->wt || r->reduced || r->e) {
        rc = need(w, &w->S, G->rows, G->cols, r->wt);
        if (rc) return rc;
        convert_source(&w->S, G, r->p, r->e);
        r->x0.M = &w->S;
    }
    const ml_mat *S = r->x0.M;
    ml_trans gt = r->tall ? ML_TRANS : ML_NOTRANS;
    int uniform_reduced = r->reduced && (o->precond == ML_PRECOND_FROBENIUS || o->precond == ML_PRECOND_NONE);
    int gram_S = !uniform_reduced;
    if (gram_S) {
        syrk_w(&w->A, 1.0, S, gt, 0.0);
        ml_mat_round(&w->A, r->p);
    }
    /* The schedule's safety factor s multiplies every normaliser (Algorithm 1 of Polar Express:
     * X_0 = X / (s ||X||_F + eps)); none has no normaliser, its caller scales G. */
    double alpha = 1.0, s = r->safety;
    switch (o->precond) {
    case ML_PRECOND_FROBENIUS:
        alpha = inv_or_zero(s * (gram_S ? sqrt(fmax(ml_trace(&w->A), 0.0)) : ml_norm_fro(S)) + r->eps);
        break;
    case ML_PRECOND_SPECTRAL:
        alpha = inv_or_zero(s * ML_NS_SPECTRAL_SAFETY * sqrt(lanczos_max(w, o->power_steps)) + r->eps);
        break;
    case ML_PRECOND_SCHATTEN:
        alpha = inv_or_zero(s * sqrt(ml_norm_fro(&w->A)) + r->eps);
        break;
    case ML_PRECOND_AOL: {
        double *d = w->d.data;
        abs_row_sums(&w->A, d);
        for (size_t i = 0; i < r->m; i++) d[i] = inv_or_zero(s * sqrt(d[i]) + r->eps);
        r->x0.d = d;
        break;
    }
    case ML_PRECOND_NONE:
        break;
    }
    r->x0.alpha = alpha;
    r->have_A0 = gram_S && (!r->reduced || o->precond == ML_PRECOND_AOL);
    if (r->have_A0) {
        if (r->x0.d) scale_rc(&w->A, 1.0, r->x0.d, r->x0.d);   /* diag(d) A diag(d) */
        else ml_scale(&w->A, alpha * alpha);
        ml_mat_round(&w->A, r->p);
    }
    if (r->reduced) {   /* X_0 = round(diag(d) alpha S), in place, G's orientation */
        ml_mat *Sw = &w->S;
        scale_rc(Sw, alpha, r->tall ? NULL : r->x0.d, r->tall ? r->x0.d : NULL);
        ml_mat_round(Sw, r->p);
        r->x0 = (src){Sw, r->tall, 1.0, NULL};
    }
    return rc;
}

/* The iterate for the hook: X itself when it is formed in the working orientation, else
 * formed into w->H from the description s. */
static int hook_call(run *r, int step, const src *s, double secs)
{
    const ml_ns_opts *o = r->o;
    if (!o->hook) return ML_OK;
    const ml_mat *X = s->M;
    if (s->trans || s->alpha != 1.0 || s->d) {
        int rc = ml_mat_ensure(&r->w->H, r->m, r->n, r->wt);
        if (rc) return rc;
        gather(&r->w->H, s);
        ml_mat_round(&r->w->H, r->p);
        X = &r->w->H;
    }
    return o->hook(o->hook_ctx, step, X, secs);
}

/* out <- X_w^T (tall) or X_w, converting the dtype. */
static void store_out(ml_mat *out, const ml_mat *Xw, int tall)
{
    src s = {Xw, tall, 1.0, NULL};
    if (!tall) ml_mat_copy(out, Xw);
    else gather(out, &s);
}

static int run_direct(run *r, ml_mat *out, const ml_schedule *sch, double t0)
{
    ml_ns_work *w = r->w;
    int rc = ML_OK, T = sch->steps, terms = sch->terms;
    src cur = r->x0, xs = {&w->X, 0, 1.0, NULL};
    if (r->reduced || T == 0) {   /* X_0 formed in the working orientation */
        gather(&w->X, &r->x0);
        cur = xs;
    }
    rc = hook_call(r, 0, &cur, now() - t0);
    int out_direct = out->dtype == r->wt && !r->reduced, wrote_out = 0;
    for (int t = 1; t <= T && !rc; t++) {
        double ts = now();
        const double *c = sch->c + (size_t)(t - 1) * terms;
        if (t > 1 || !r->have_A0) {
            syrk_w(&w->A, 1.0, &w->X, ML_NOTRANS, 0.0);   /* cur is X here */
            ml_mat_round(&w->A, r->p);
        }
        if (!rc) rc = poly(w, c, terms, !r->reduced, r->p);
        if (rc) break;
        if (r->reduced) {   /* X <- round(c0 X + P X), one fp32 accumulation (addmm) */
            rc = ml_mat_copy(&w->Y, &w->X);
            if (!rc) rc = ml_symm(&w->Y, 1.0, &w->P, &w->X, c[0]);
            ml_mat_round(&w->Y, r->p);
            swap(&w->X, &w->Y);
        } else if (t == T && out_direct) {
            rc = apply(w, out, r->tall, &w->P, 1, &cur, r->p);
            wrote_out = 1;
        } else {
            rc = apply(w, &w->Y, 0, &w->P, 1, &cur, r->p);
            swap(&w->X, &w->Y);
            cur = xs;
        }
        double secs = now() - ts;
        if (rc) break;
        src now_s = wrote_out ? (src){out, r->tall, 1.0, NULL} : xs;
        rc = hook_call(r, t, &now_s, secs);
    }
    if (!rc && !wrote_out) store_out(out, &w->X, r->tall);
    return rc;
}

/* Gram form: rebuild A = X X^T before step t (every `restart` steps, or at a listed position). */
static int restart_before(const ml_ns_opts *o, int t)
{
    return (o->restart > 0 && (t - 1) % o->restart == 0) || (t < 64 && (o->restart_at >> t & 1u));
}

/* U <- P Q (symprod) and T <- P^2 (syrk), rounded to p: independent products of one gram step.
 * From 2 threads, when each would be split, they run at once instead, one pool thread each
 * with single-threaded BLAS: one hand-over instead of two, and each product whole (their costs,
 * 0.56 m^3 and 0.5 m^3 multiply-adds at m = 256, about balance). Measured, 5-step gram NS fp32
 * at 2 threads, 4 alternated pairs, Haswell / SkylakeX kernels: 256 x 784 3.23 -> 3.14 / 2.54
 * -> 2.49 ms, 128 x 1024 0.87 -> 0.82 / 0.77 -> 0.74, 384 x 1536 10.96 -> 10.92 / 8.32 -> 8.17;
 * a Fashion-MNIST step's optimizer 3.34 -> 3.31 ms. (Tried in the sixth round, before the split
 * products kept OpenBLAS's own workers asleep, it had slowed the epoch by 10%.) */
typedef struct {
    ml_ns_work *w;
    ml_precision p;
} pair;

static void pair_part(void *ctx, int part, size_t b, size_t e)
{
    const pair *c = ctx;
    for (size_t k = b; k < e; k++) {
        if (k == 0) {
            symprod(&c->w->U, &c->w->P, &c->w->Q);
            ml_mat_round(&c->w->U, c->p);
        } else {
            syrk_w(&c->w->T, 1.0, &c->w->P, ML_NOTRANS, 0.0);
            ml_mat_round(&c->w->T, c->p);
        }
    }
}

static void pq_and_p2(ml_ns_work *w, ml_precision p)
{
    pair c = {w, p};
    double m = (double)w->P.rows;
    if (ml_split_parts(0.5 * m * m * m) >= 2)
        ml_parallel_for_blas1(2, 1, 2, pair_part, &c);
    else
        pair_part(&c, 0, 0, 2);
}

static int run_gram(run *r, ml_mat *out, const ml_schedule *sch, double t0)
{
    ml_ns_work *w = r->w;
    int rc = ML_OK, T = sch->steps, terms = sch->terms;
    src x0 = r->x0;
    if (!r->have_A0) {   /* bf16/fp16 with a uniform preconditioner: A_0 from the stored X_0 */
        syrk_w(&w->A, 1.0, x0.M, x0.trans ? ML_TRANS : ML_NOTRANS, 0.0);
        ml_mat_round(&w->A, r->p);
    }
    if (!rc) rc = hook_call(r, 0, &x0, now() - t0);
    int q_identity = 1;   /* Q = I, not stored */
    int out_direct = out->dtype == r->wt;
    for (int t = 1; t <= T && !rc; t++) {
        double ts = now();
        rc = poly(w, sch->c + (size_t)(t - 1) * terms, terms, 1, r->p);
        if (rc) break;
        if (q_identity) {   /* Q <- P by swapping the buffers (poly rewrites P whole next step) */
            swap(&w->Q, &w->P);
        } else if (t < T) {   /* Q <- P Q and T <- P^2 (see pq_and_p2) */
            pq_and_p2(w, r->p);
            swap(&w->Q, &w->U);
        } else {   /* Q <- P Q */
            symprod(&w->U, &w->P, &w->Q);
            ml_mat_round(&w->U, r->p);
            swap(&w->Q, &w->U);
        }
        if (!rc && t < T) {   /* A <- A P^2 (= P A P: they commute) */
            if (q_identity) {   /* P is in Q now; otherwise pq_and_p2 formed T */
                syrk_w(&w->T, 1.0, &w->Q, ML_NOTRANS, 0.0);
                ml_mat_round(&w->T, r->p);
            }
            symprod(&w->U, &w->A, &w->T);
            ml_mat_round(&w->U, r->p);
            swap(&w->A, &w->U);
            q_identity = 0;
            if (restart_before(r->o, t + 1)) {   /* X = Q X_0, A = X X^T, Q = I */
                rc = apply(w, &w->Y, 0, &w->Q, 1, &x0, r->p);   /* x0 may be X itself */
                swap(&w->X, &w->Y);
                if (!rc) syrk_w(&w->A, 1.0, &w->X, ML_NOTRANS, 0.0);
                ml_mat_round(&w->A, r->p);
                x0 = (src){&w->X, 0, 1.0, NULL};
                q_identity = 1;
            }
        }
        src xt = x0;
        if (!rc && t == T) {   /* the final product X = Q X_0, timed with the last step */
            ml_mat *dst = out_direct ? out : &w->Y;
            int dtrans = out_direct ? r->tall : 0;
            rc = apply(w, dst, dtrans, &w->Q, 1, &x0, r->p);
            if (!rc && !out_direct) store_out(out, &w->Y, r->tall);
            xt = (src){dst, dtrans, 1.0, NULL};
        }
        double secs = now() - ts;
        if (rc || !r->o->hook) continue;
        if (t < T && q_identity) xt = x0;
        else if (t < T) {   /* X_t = Q_t X_0, formed for the hook only */
            rc = ml_mat_ensure(&w->H, r->m, r->n, r->wt);
            if (!rc) rc = apply(w, &w->H, 0, &w->Q, 1, &x0, r->p);
            xt = (src){&w->H, 0, 1.0, NULL};
        }
        if (!rc) rc = hook_call(r, t, &xt, secs);
    }
    if (!rc && T == 0) {
        rc = ml_mat_ensure(&w->X, r->m, r->n, r->wt);
        if (!rc) {
            gather(&w->X, &x0);
            store_out(out, &w->X, r->tall);
        }
    }
    return rc;
}

/* A first-order estimate of the eig form's relative error: the Gram matrix and its
 * eigendecomposition carry an absolute error of about eps lambda_max, which moves the output
 * by the divided differences of g (Daleckii-Krein) times the singular value it multiplies:
 * est = c eps lambda_max max_i |dg/dlambda(lambda_i)| sqrt(lambda_i), the derivative by a
 * relative difference of 1e-3. Measured against the exact composed map through the SVD (16 x 40
 * to 256 x 1024, geometric spectra, cond 1e1..1e8, fp32 and fp64, Jordan and Polar Express; 3
 * seeds): with c = 3 the error is at most 0.74 est, typically 0.1-0.3 est. With the float32 Gram
 * matrix decomposed in float64 (the fp32 refinement in run_eig) the error is 20-30x smaller (at
 * most 0.087 of the fp32 estimate on the same grid; 2.5e-4 against 7.0e-3 on a Fashion-MNIST
 * gradient of rank 128, 256 x 784): c = 0.3 there (at most 0.87 est). */
static double eig_error_estimate(const ml_schedule *sch, int steps, const double *l, size_t m, double eps,
                                 double factor)
{
    double lmax = fmax(l[m - 1], 0.0), worst = 0;
    for (size_t i = 0; i < m; i++) {
        double a = fmax(l[i], 0.0), h = fmax(1e-3 * a, 1e-9 * lmax);
        if (!(h > 0)) continue;
        double d = (composed_gain(sch, steps, sqrt(a + h)) - composed_gain(sch, steps, sqrt(a))) / h;
        worst = fmax(worst, fabs(d) * sqrt(a));
    }
    return factor * eps * lmax * worst;
}

/* Form "auto" accepts the eig result when eig_error_estimate is at most this many eps of the
 * working precision (3.6e-3 in fp32, 6.7e-12 in fp64), else it runs the direct form. Jordan's 5
 * steps stay within it at every condition number (est <= 1.7e-3 in fp32); steep schedules (Polar
 * Express, You) leave it from cond ~1e3, where their small singular values sit on the steep part
 * of the composed polynomial. */
#define ML_NS_EIG_TOL_EPS 3e4
#define ML_NS_FALLBACK 1   /* run_eig: the estimate is above the tolerance, run direct instead */

/* Form "eig": X_T = V diag(g(sigma)) V^T X_0 from the eigendecomposition of A_0 = X_0 X_0^T
 * (gram_eig.h), the composed polynomial applied to sigma = sqrt(lambda) in scalar form: one
 * Gram product (the preconditioner's), one m x m eigendecomposition, M = V diag(g) V^T (m^3) and
 * one product (2 m^2 n), whatever the number of steps. In fp32, when the error estimate of the
 * float32 eigendecomposition exceeds ML_NS_EIG_TOL_EPS eps (low-rank or ill-conditioned input),
 * the same float32 Gram matrix is decomposed again in float64 and M formed in float64 (dsyevd:
 * ~1.6x the time of ssyevd); the Gram matrix and the final product stay float32. The hook sees
 * every X_t (formed outside the timing); the whole cost is reported on the last step. With
 * `check` (form "auto") it returns ML_NS_FALLBACK, before the hook's first call, when the final
 * estimate is still above the tolerance. */
static int run_eig(run *r, ml_mat *out, const ml_schedule *sch, double t0, int check)
{
    ml_ns_work *w = r->w;
    ml_gram_eig *e = &w->e;
    int T = sch->steps;
    size_t m = r->m, allocs0 = e->allocs + w->e64.allocs;
    double t_pre = now() - t0, ts = now(), secs = 0;
    double eps = r->wt == ML_F64 ? DBL_EPSILON : FLT_EPSILON, tol = ML_NS_EIG_TOL_EPS * eps;
    int rc = ml_gram_eig_decompose(e, &w->A);
    if (!rc) w->eig_error = eig_error_estimate(sch, T, e->lam.data, m, eps, 3.0);
    w->eig_refined = !rc && r->wt == ML_F32 && !(w->eig_error <= tol);
    if (w->eig_refined) {   /* refine: decompose in float64 */
        e = &w->e64;
        rc = need(w, &w->M64, m, m, ML_F64);
        if (!rc) rc = ml_mat_copy(&w->M64, &w->A);
        if (!rc) rc = ml_gram_eig_decompose(e, &w->M64);
        if (!rc) w->eig_error = eig_error_estimate(sch, T, e->lam.data, m, eps, 0.3);
    }
    w->allocs += e->allocs + (e == &w->e ? w->e64.allocs : w->e.allocs) - allocs0;
    if (rc) return rc;
    if (check && !(w->eig_error <= tol)) return ML_NS_FALLBACK;
    const double *l = e->lam.data;
    ml_mat *M = e == &w->e ? &w->P : &w->M64;   /* M64 is free again once decomposed */
    secs = now() - ts;
    rc = hook_call(r, 0, &r->x0, t_pre);
    ts = now();
    allocs0 = e->allocs;
    int out_direct = out->dtype == r->wt;
    for (int t = 1; t <= T && !rc; t++) {
        if (t < T && !r->o->hook) continue;
        if (t < T) secs += now() - ts;   /* an intermediate iterate, for the hook only */
        double *g = e->g.data;
        for (size_t i = 0; i < m; i++) g[i] = composed_gain(sch, t, sqrt(fmax(l[i], 0.0)));
        rc = ml_gram_eig_combine(e, M);
        if (!rc && M != &w->P) rc = ml_mat_copy(&w->P, M);
        if (rc) break;
        src xt;
        if (t == T) {
            ml_mat *dst = out_direct ? out : &w->Y;
            int dtrans = out_direct ? r->tall : 0;
            rc = apply(w, dst, dtrans, &w->P, 1, &r->x0, r->p);
            if (!rc && !out_direct) store_out(out, &w->Y, r->tall);
            secs += now() - ts;
            xt = (src){dst, dtrans, 1.0, NULL};
        } else {
            rc = ml_mat_ensure(&w->H, r->m, r->n, r->wt);
            if (!rc) rc = apply(w, &w->H, 0, &w->P, 1, &r->x0, r->p);
            xt = (src){&w->H, 0, 1.0, NULL};
        }
        if (!rc) rc = hook_call(r, t, &xt, t == T ? secs : 0.0);
        ts = now();
    }
    if (!rc && T == 0) {
        rc = ml_mat_ensure(&w->X, r->m, r->n, r->wt);
        if (!rc) {
            gather(&w->X, &r->x0);
            store_out(out, &w->X, r->tall);
        }
    }
    w->allocs += e->allocs - allocs0;
    return rc;
}

/* The schedule's sensitivity max |dg/dlambda| sqrt(lambda) over lambda in (0, 1] (200 points,
 * log-spaced from 1e-8): what eig_error_estimate takes on the actual spectrum, here before it is
 * known (lambda_max <= 1 after the uniform preconditioners). Jordan 5 steps 3.6e4, quintic 5
 * steps ~1e2, You 2.2e5, Polar Express > 1e30 (its maps blow up past sigma = 1). */
static double schedule_sensitivity(const ml_schedule *sch)
{
    double worst = 0;
    for (int i = 0; i < 200; i++) {
        double a = pow(10.0, -8.0 + 8.0 * i / 199.0), h = 1e-3 * a;
        double d = (composed_gain(sch, sch->steps, sqrt(a + h)) - composed_gain(sch, sch->steps, sqrt(a))) / h;
        worst = fmax(worst, fabs(d) * sqrt(a));
        if (!isfinite(worst)) return INFINITY;
    }
    return worst;
}

/* The rule of form "auto", from bench/crossover.lua on this machine (2-core AMD EPYC, AVX2; the
 * table in the README): on Gaussian matrices eig is the fastest form from m = 256 when n >= 2m
 * and from m = 512 for any aspect (its m x m eigendecomposition then costs less than the m^3
 * terms of 5 iterations); below that gram is the fastest for n >= 2m, direct for square-ish
 * matrices, small ones included (32 x 32 and 64 x 64: direct 1.04-1.4x faster than gram at 1
 * and 2 threads, fp32 and fp64, on the AVX2 machine; 16 x 16 a tie). On training momenta of low rank the fp32 eig form needs its float64
 * refinement (run_eig), and dsyevd costs ~4x ssyevd at m = 256 (~1.6x at 1024), so eig is taken
 * from m = 512 (n >= 2m) or m = 1024, gram below; in fp64 (dsyevd, no refinement) eig was the
 * fastest from m = 256 at any aspect on the AMD EPYC (256 x 256: 13.4 ms against 14.5 direct;
 * 512 x 512: 96 against 110) but not on the Intel Xeon with syevd.c (2 threads: 256 x 256 direct
 * 3.8 ms against eig 5.4, 256 x 512 gram 5.1 against 6.0, 512 x 512 direct 23.2 against 27.0,
 * 256 x 1024 gram 6.1 against 6.7), so fp64 takes eig from m = 512 at any aspect. Below, for
 * n >= 2m: on one BLAS thread the eig form's serial eigendecomposition costs it nothing against
 * the others, and fp64 takes eig from m = 256 (Intel Xeon, 1 thread, with the 32-row leaves of
 * the gram form: 256 x 512 eig 6.9 ms against gram 8.4, 256 x 1024 8.6 against 10.5; AMD EPYC
 * Zen 4: 256 x 1024 10.0 against 11.9, 384 x 1536 28.3 against 38.1); on two, from m = 384
 * (gram leads at m = 256 on both machines with the leaves: 6.3 against 7.3 ms and 6.7 against
 * 7.7 at 256 x 1024, 9.1 against 10.7 at 256 x 2048 and 11.4 against 12.1 at 320 x 1280 on the
 * EPYC; eig leads from 384 x 1536, 18.5 against 19.3, and 448 x 1792, 26.8 against 33.5; the
 * earlier AMD table's 256 x 1024, eig 19.1 against 22.2, predates the leaves). ns_many's
 * concurrent shares run on one BLAS thread each and so choose as on one thread. eig checks its
 * own accuracy and falls back to direct; gram cannot, so auto takes it only for schedules whose sensitivity
 * (schedule_sensitivity) is at most 1e5, where its fp32 error was measured at most 9.4e-4
 * (Jordan; quintic 3.7e-6) over 16 x 64 .. 128 x 512, cond 1e1..1e8, and 4.2e-4 on a rank-128
 * Fashion-MNIST gradient (256 x 784); You's and Polar Express's schedules reached 4.3e-3 and
 * 7e-3. bf16/fp16 always run direct (the most accurate form there; eig needs fp32 or fp64), as
 * does a single step. */
ml_ns_form ml_ns_form_auto(size_t m, size_t n, ml_precision p, const ml_schedule *sch)
{
    if (p == ML_BF16 || p == ML_FP16 || !sch || sch->steps < 2) return ML_NS_DIRECT;
    size_t fp64_eig_m = ml_threads_get() < 2 ? 256 : 384;   /* fp64, n >= 2m: eig from m = 256 on one thread */
    if ((m >= 512 && n >= 2 * m) || m >= 1024 || (p == ML_FP64 && (m >= 512 || (m >= fp64_eig_m && n >= 2 * m))))
        return ML_NS_EIG;
    if (n >= 2 * m && schedule_sensitivity(sch) <= 1e5) return ML_NS_GRAM;
    return ML_NS_DIRECT;
}

/* The buffers a form needs, in the workspace (counted by need()). */
static int reserve(run *r, ml_ns_form form, const ml_mat *G, const ml_schedule *sch)
{
    ml_ns_work *w = r->w;
    const ml_ns_opts *o = r->o;
    size_t m = r->m;
    int gram = form == ML_NS_GRAM, eig = form == ML_NS_EIG, gram_like = gram || eig;   /* one final product */
    /* direct form: one step in fp64/fp32 into a same-dtype output needs no stored iterate */
    int direct_x = !gram_like && !(sch->steps == 1 && !r->reduced && G->dtype == r->wt);
    int restart = gram && (o->restart > 0 || o->restart_at != 0);
    int rc = need(w, &w->A, m, m, r->wt);
    if (!rc) rc = need(w, &w->P, m, m, r->wt);
    if (!rc) rc = need(w, &w->T, m, m, r->wt);
    if (!rc && !eig) rc = need(w, &w->U, m, m, r->wt);
    if (!rc) rc = need(w, &w->d, m, 1, ML_F64);
    if (!rc && o->precond == ML_PRECOND_SPECTRAL) rc = need(w, &w->v, (size_t)o->power_steps + 1, m, ML_F64);
    if (!rc && o->precond == ML_PRECOND_SPECTRAL) rc = need(w, &w->u, 2, m, r->wt);
    if (!rc && gram) rc = need(w, &w->Q, m, m, r->wt);
    if (!rc && (gram_like ? (restart || sch->steps == 0) : direct_x)) rc = need(w, &w->X, m, r->n, r->wt);
    if (!rc && (gram_like ? G->dtype != r->wt || restart : direct_x)) rc = need(w, &w->Y, m, r->n, r->wt);
    return rc;
}

/* Form "auto" with a workspace, fp32 on one BLAS thread, 512 <= m < 1024, n < 2m, where the rule
 * by shape says direct: eig is the fastest form there unless its float64 refinement runs, and the
 * shape cannot tell which. Measured on the AMD EPYC Zen 4, 512 x 512, 9 alternated runs: direct
 * 28.2-29.0 ms on every input; eig 14.3-19.5 ms on Gaussian, low-rank and geometric (cond
 * 1e3-1e7) spectra, 40.6-41.2 ms on power-law ones (s_i = i^-1, i^-2), which need the
 * refinement (Intel Xeon: 16.5 against direct's 19.1 on Gaussian input). So auto tries eig; a
 * shape whose trial refined runs direct for the next TRIAL_WAIT calls on this workspace, then is
 * tried again (momenta change slowly: one refined trial in 65 calls costs under 1%). The
 * one-shot call (no workspace) keeps the rule by shape. */
#define TRIAL_WAIT 64
#define N_TRIAL (sizeof ((ml_ns_work *)0)->trial / sizeof ((ml_ns_work *)0)->trial[0])

static int eig_trial_shape(const run *r, const ml_schedule *sch)
{
    return r->p == ML_FP32 && ml_threads_get() < 2 && sch->steps >= 2 && r->m >= 512 && r->m < 1024 &&
           r->n < 2 * r->m;
}

/* the slot of shape m x n, or NULL */
static int *trial_wait(ml_ns_work *w, size_t m, size_t n)
{
    for (size_t i = 0; i < N_TRIAL; i++)
        if (w->trial[i].m == m && w->trial[i].n == n) return &w->trial[i].wait;
    return NULL;
}

/* whether to try eig now (a shape that refined waits TRIAL_WAIT calls) */
static int trial_now(ml_ns_work *w, size_t m, size_t n)
{
    int *wait = trial_wait(w, m, n);
    if (!wait || *wait == 0) return 1;
    --*wait;
    return 0;
}

static void trial_record(ml_ns_work *w, size_t m, size_t n, int refined)
{
    int *wait = trial_wait(w, m, n);
    if (!wait && !refined) return;
    if (!wait) {
        unsigned i = w->trial_next++ % N_TRIAL;
        w->trial[i].m = m, w->trial[i].n = n;
        wait = &w->trial[i].wait;
    }
    *wait = refined ? TRIAL_WAIT : 0;
}

static int ns_run(ml_mat *out, const ml_mat *G, const ml_schedule *sch, const ml_ns_opts *o, ml_ns_work *w)
{
    double t0 = now();
    ml_ns_opts def;
    if (!o) {
        ml_ns_opts_default(&def);
        o = &def;
    }
    int rc = check_opts(o, sch);
    if (rc) return rc;
    if (!G || !G->buf) return ml_error(ML_EINVAL, "empty input matrix");
    double M = ml_norm_maxabs(G);
    if (!isfinite(M)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    ml_ns_work local;
    int own = !w;
    if (own) {
        ml_ns_work_init(&local);
        w = &local;
    }
    run r = {.o = o, .w = w};
    r.p = o->precision == ML_NS_PRECISION_AUTO ? (G->dtype == ML_F64 ? ML_FP64 : ML_FP32) : (ml_precision)o->precision;
    r.wt = r.p == ML_FP64 ? ML_F64 : ML_F32;
    r.reduced = r.p == ML_BF16 || r.p == ML_FP16;
    r.e = prescale_exponent(M, r.p, o->precond);
    r.eps = ldexp(o->eps, r.e);
    r.safety = sch->input_scale;
    r.tall = G->rows > G->cols;
    r.m = r.tall ? G->cols : G->rows;
    r.n = r.tall ? G->rows : G->cols;
    int automatic = o->form == ML_NS_AUTO;
    ml_ns_form form = automatic ? ml_ns_form_auto(r.m, r.n, r.p, sch) : o->form;
    int trial = automatic && !own && form != ML_NS_EIG && eig_trial_shape(&r, sch) && trial_now(w, r.m, r.n);
    if (trial) form = ML_NS_EIG;
    if (form == ML_NS_EIG && r.reduced) {
        rc = ml_error(ML_EINVAL, "form 'eig' needs precision fp64 or fp32, got %s", ml_precision_name(r.p));
        goto done;
    }
    w->form_used = form;
    w->eig_error = NAN;
    w->eig_refined = 0;
    rc = ml_mat_ensure(out, G->rows, G->cols, G->dtype);
    if (!rc) rc = reserve(&r, form, G, sch);
    if (!rc) rc = precondition(&r, G);
    if (!rc && form == ML_NS_EIG) {
        rc = run_eig(&r, out, sch, t0, automatic);
        if (trial && (rc == ML_OK || rc == ML_NS_FALLBACK)) trial_record(w, r.m, r.n, w->eig_refined);
        if (rc == ML_NS_FALLBACK) {   /* w->A (X_0 X_0^T) is intact: the direct form starts from it */
            w->form_used = ML_NS_DIRECT;
            rc = reserve(&r, ML_NS_DIRECT, G, sch);
            if (!rc) rc = run_direct(&r, out, sch, t0);
        }
    } else if (!rc) {
        rc = form == ML_NS_GRAM ? run_gram(&r, out, sch, t0) : run_direct(&r, out, sch, t0);
    }
    if (!rc && !ml_mat_all_finite(out))
        rc = ml_error(ML_ENUM, "the iteration produced NaN or Inf (diverging coefficients, or values beyond the "
                               "range of %s)", ml_precision_name(r.p));
done:
    if (own) ml_ns_work_free(w);
    return rc;
}

/* Small problems on one BLAS thread: OpenBLAS's threads cost more than they bring there (its
 * syrk and symm have no size threshold of their own). Measured with bench/crossover.lua, 5 Jordan
 * steps fp32, 2 BLAS threads against 1 (Intel Xeon, AVX-512 kernels), ms: 16 x 16 direct 0.033 /
 * 0.011, 32 x 32 0.073 / 0.043, 64 x 64 0.196 / 0.149, 128 x 512 gram 1.27 / 1.05; two threads
 * ahead from 256 x 256 (3.59 / 4.29). With this rule 2 threads give the 1-thread times there. */
#define ML_NS_SERIAL_WORK (128.0 * 128.0 * 512.0)

double ml_ns_cost(const ml_mat *G)
{
    if (!G || !G->buf) return 0;
    double m = (double)(G->rows < G->cols ? G->rows : G->cols), n = (double)(G->rows < G->cols ? G->cols : G->rows);
    return m * m * n;
}

int ml_ns(ml_mat *out, const ml_mat *G, const ml_schedule *sch, const ml_ns_opts *o, ml_ns_work *w)
{
    int blas = ml_threads_get();
    if (blas < 2 || ml_ns_cost(G) > ML_NS_SERIAL_WORK) return ns_run(out, G, sch, o, w);
    ml_threads_set(1);
    int rc = ns_run(out, G, sch, o, w);
    ml_threads_set(blas);
    return rc;
}
