/* Newton-Schulz iteration for the polar factor:
 *   X_0 = precond(G),  X_{t+1} = p_t(X_t X_t^T) X_t  with odd p_t,
 * i.e. X <- c0 X + c1 (X X^T) X + c2 (X X^T)^2 X + ... on the short side. Everything runs
 * in the "working orientation" X (m x n, m <= n): a tall G (n x m) is used through
 * transposed BLAS calls, never copied in transposed form except where the precision
 * emulation needs an explicit iterate.
 *
 * Preconditioners (X_0 = diag(d) G_w, G_w = G or G^T, m x n; A_G = G_w G_w^T):
 *   frobenius  d = 1 / (||G||_F + eps)                      (Muon; ||G||_F^2 = tr A_G)
 *   spectral   d = 1 / (1.02 sqrt(lambda) + eps), lambda the largest Ritz value of A_G after
 *              power_steps products with A_G (Lanczos: the power iteration's Krylov space, never
 *              worse than the power iterate's Rayleigh quotient). lambda <= sigma_max^2; measured
 *              shortfall of sqrt(lambda) with the default 12 products: Gaussian matrices (flat top
 *              of the spectrum, the hard case) 64x256 mean 0.2% / worst 2.0% of 60 draws,
 *              256x1024 0.5% / 2.4% of 30, 1024x4096 ~1.3%; spectra with a gap ~0. The factor
 *              1.02 covers the mean case, so sigma_max(X_0) is in about [0.98, 1.005]; the NS
 *              polynomials tolerate the rare excess of a few 1e-3. 8 products: worst 4.7%.
 *   schatten   d = 1 / (||A_G||_F^(1/2) + eps)             (Schatten-4 norm, >= sigma_max)
 *   aol        d_i = 1 / (sqrt(sum_j |A_G,ij|) + eps)       (Turbo-Muon, arXiv 2512.04632:
 *              by the Schur test ||diag(d) G_w||_2 <= 1; note the iteration then converges to
 *              polar(diag(d) G_w), not to polar(G))
 *   none       d = 1
 * Every normaliser above is multiplied by the schedule's input_scale s (coeffs.h; 1 = none):
 * Polar Express's run-time safety factor, Algorithm 1 of arXiv 2505.16932 (X_0 = X / (1.01
 * ||X||_F + eps), for frobenius). We apply it with every normalising preconditioner: it belongs
 * to the schedule (its maps blow up past 1), and each of them aims at sigma_max(X_0) <= 1 with
 * equality possible. none has no normaliser and stays X_0 = G: its caller scales G.
 * The first step reuses diag(d) A_G diag(d) as its Gram matrix (no extra product) in fp64 and
 * fp32, and for aol in every precision; bf16/fp16 with the uniform preconditioners follow the
 * Muon recipe instead: X_0 is rounded to the format and step 1 computes X_0 X_0^T.
 *
 * Forms:
 *   direct  X <- p(X X^T) X each step: per step syrk (m^2 n) + syrk of the Gram (m^3) + symm
 *           (2 m^2 n).
 *   gram    iterate on the m x m Gram matrix: keep A_t = X_t X_t^T and the accumulated
 *           polynomial Q_t (X_t = Q_t X_0); per step P = p(A)/x, Q <- P Q, A <- P^2 A
 *           (everything is a polynomial in A_0, so it commutes and stays symmetric); one final
 *           product X = Q X_0. Products of two commuting symmetric matrices compute only their
 *           upper triangle (blocked gemm, ~0.56x of a full gemm at m = 1024). Cost m^2 n (Gram)
 *           + 2 m^2 n (final) + about 4.3 m^3 per step (syrk A^2, syrk P^2, two half products;
 *           the first and last steps less), against 3 m^2 n per step for direct: the fast path
 *           when m << n (1024 x 4096, 5 steps: 32 GFLOP against 70 direct and 97 for the gemm-only
 *           recipe of the reference implementations).
 *           Accuracy cost: A has the squared singular values, so the iteration sees kappa^2:
 *           a singular value sigma of X_0 is resolved only to about eps/sigma^2 (relative) and
 *           rounding errors in Q accumulate over the steps without being corrected by a fresh
 *           X X^T. In fp64 the forms agree to ~1e-12 on well-conditioned input. Measured
 *           relative distance to the polar factor, 64 x 256 float32, Polar Express 12 steps
 *           (safety 1.01, l = 1/(10 cond)): cond 10: direct 5.6e-7, gram 5.6e-6; cond 100:
 *           1.7e-6 vs 2.2e-4; cond 1000: 8.9e-6 vs 4.0e-3. `restart = k` rebuilds A = X X^T
 *           from X = Q X_0 every k steps (3 m^2 n each time); k = 3 gives 1.9e-6, 1.3e-5,
 *           5.4e-5 on the same three. `restart_at` places restarts at given steps instead
 *           (Gram Newton-Schulz, Dao-AILab/gram-newton-schulz: Z = b R + c R^2, Q <- Q Z + a Q,
 *           R <- (Z + a I) R (Z + a I), a restart X <- Q X, R = X X^T, Q = I before step 3; the same
 *           algebra as P = p(A), Q <- P Q, A <- A P^2 here). In bf16 (48 x 128, cond 10, quintic 12 steps): direct
 *           7.5e-3, gram 1.8e-2, gram with restart 2 6.5e-3; fp16 9.6e-4, 2.3e-3, 8.8e-4.
 *
 * Precisions (emulated, see precision.h): fp64 works in float64; fp32, bf16 and fp16 work in
 * float32 storage whatever the input's dtype. In bf16/fp16 every stored matrix (X, A, the
 * polynomial, Q) holds values of the format; each product runs in fp32 (sgemm/ssyrk/ssymm on
 * rounded operands, exact products, fp32 sums) and its result is rounded once, fused with an
 * axpy where the reference code writes one (addmm style): P' = c1 A + c2 A^2 and
 * X <- c0 X + P' X are each one rounding. The result is returned in G's dtype. */
#ifndef ML_NS_H
#define ML_NS_H

#include <stdint.h>
#include "matrix.h"
#include "coeffs.h"
#include "precision.h"
#include "gram_eig.h"

typedef enum {
    ML_PRECOND_FROBENIUS,
    ML_PRECOND_SPECTRAL,
    ML_PRECOND_AOL,
    ML_PRECOND_SCHATTEN,
    ML_PRECOND_NONE
} ml_precond;

typedef enum { ML_NS_DIRECT, ML_NS_GRAM, ML_NS_EIG, ML_NS_AUTO } ml_ns_form;

/* Parse a name ("frobenius", ... / "direct", "gram"); 0 or ML_EINVAL with a message listing the names. */
int ml_precond_parse(const char *s, ml_precond *out);
const char *ml_precond_name(ml_precond p);
int ml_ns_form_parse(const char *s, ml_ns_form *out);
const char *ml_ns_form_name(ml_ns_form f);

/* Per-step hook: called after preconditioning (step 0) and after every step t with the iterate
 * X_t in the working orientation (m x n, m <= n, working dtype; in bf16/fp16 its entries are
 * values of the format) and the seconds the step itself took. Whatever the hook does is not
 * timed, and an iterate the form does not otherwise store (gram form, the last step written
 * straight into the output) is formed outside the timing. A nonzero return stops ml_ns, which
 * returns that value. */
typedef int (*ml_ns_hook)(void *ctx, int step, const ml_mat *X, double seconds);

#define ML_NS_PRECISION_AUTO (-1)
#define ML_NS_POWER_STEPS 12
#define ML_NS_MAX_POWER_STEPS 64
/* spectral: the estimate sqrt(lambda) is multiplied by this (measurements above). */
#define ML_NS_SPECTRAL_SAFETY 1.02

typedef struct ml_ns_opts {
    double eps;          /* added to the normaliser; default 1e-7 (Muon reference) */
    ml_precond precond;  /* default frobenius */
    int power_steps;     /* spectral: products with the Gram matrix, 1..64; default 12 */
    int precision;       /* an ml_precision, or ML_NS_PRECISION_AUTO (default): fp64 for float64
                            input, fp32 for float32 */
    ml_ns_form form;     /* default direct */
    int restart;         /* gram form: rebuild A from X every `restart` steps; 0 (default) never */
    uint64_t restart_at; /* gram form: bit t set = also rebuild before step t (2 <= t <= 63), the
                            published Gram NS's positions (Dao-AILab: before step 3, with the
                            "gram_ns" schedule); 0 (default) none */
    ml_ns_hook hook;     /* NULL: none */
    void *hook_ctx;
} ml_ns_opts;

void ml_ns_opts_default(ml_ns_opts *o);

/* The form "auto" runs for an m x n problem (m <= n) in precision p with schedule sch (before
 * the eig form's own accuracy check, which may still fall back to direct), with the current BLAS
 * thread count (ml_threads_get: fp64 with n >= 2m takes eig from m = 256 on one thread, from
 * m = 384 on more). With a workspace, ml_ns may also try eig where this says direct (ns.c,
 * eig_trial_shape: fp32 on one thread, 512 <= m < 1024, n < 2m). */
ml_ns_form ml_ns_form_auto(size_t m, size_t n, ml_precision p, const ml_schedule *sch);

/* m^2 n for an m x n or n x m input (m <= n), 0 without one: the size that ml_ns's one-BLAS-thread
 * rule and ml_ns_many's concurrency rule compare. */
double ml_ns_cost(const ml_mat *G);

/* Reusable workspace: keep one per parameter shape in a training loop; after the first call
 * with a given shape, form and precision no further allocation happens (`allocs` counts the
 * buffer allocations made so far, for tests). The hook path allocates for its own scratch. */
typedef struct ml_ns_work {
    ml_mat X, Y;        /* iterate and next iterate, m x n */
    ml_mat S;           /* the input converted/rounded to the working precision, G's orientation */
    ml_mat A, P, T, U;  /* m x m: Gram matrix, polynomial, scratch */
    ml_mat Q;           /* gram form: accumulated polynomial */
    ml_mat d;           /* m x 1 float64: row scales */
    ml_mat v, u;        /* spectral: Lanczos basis ((power_steps + 1) x m, float64), product vectors (2 x m) */
    ml_mat H;           /* iterate formed for the hook */
    ml_gram_eig e;      /* form eig: the eigendecomposition's buffers */
    ml_gram_eig e64;    /* form eig in fp32: the float64 refinement's (run_eig in ns.c) */
    ml_mat M64;         /* m x m float64: its Gram copy, then V diag(g) V^T */
    ml_ns_form form_used;   /* the form of the last call (what "auto" chose) */
    double eig_error;       /* forms eig/auto: the last call's error estimate (NaN: not computed) */
    int eig_refined;        /* the last eig run decomposed again in float64 (fp32 only) */
    /* form "auto" on shapes where eig is the fastest form unless its float64 refinement runs,
     * which the shape cannot tell (ns.c, eig_trial_shape): shapes where a trial of eig refined, and
     * how many calls of each to run the shape's form before trying eig again */
    struct { size_t m, n; int wait; } trial[8];
    unsigned trial_next;
    size_t allocs;
} ml_ns_work;

void ml_ns_work_init(ml_ns_work *w);
void ml_ns_work_free(ml_ns_work *w);

/* out (allocated here, or reused when it already has G's shape and dtype and is the sole owner
 * of its storage) <- NS(G). sch->steps may be 0: out is then the preconditioned X_0. out must not
 * share storage with G. w may be NULL (a temporary workspace is used). Fails with ML_ENUM when
 * G is not finite or the iteration overflows (non-finite result, e.g. fp16 beyond 65504).
 * With a normalising preconditioner, a G far from unit size (max |G| outside 2^+-200 in fp64,
 * 2^+-32 in fp32/bf16, 2^+-4 in fp16) is first scaled by a power of two (exact) and eps with it,
 * so the result is that of the unit-scale input: no overflow or underflow in G G^T or the norms. */
int ml_ns(ml_mat *out, const ml_mat *G, const ml_schedule *sch, const ml_ns_opts *o, ml_ns_work *w);

#endif
