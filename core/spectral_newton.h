/* U diag(s^p) V^T without the SVD: coupled Newton iterations for matrix roots.
 *
 * For M = U diag(s) V^T (m x n) and its Gram matrix on the short side, G = M^T M (n x n,
 * when n <= m) or G = M M^T (m x m, when m < n):
 *     U diag(s^p) V^T = M G^{(p-1)/2}   or   G^{(p-1)/2} M,
 * so the spectral transform needs only an inverse root of G, which coupled Newton
 * iterations compute with matrix products alone.
 *
 * Route ML_SN_PAPER: "Delving into Muon and Beyond" (Qi, Chen, Ye, He, Xiao, arXiv 2602.04669),
 * as its public code implements it (github.com/Ocram7/BeyondMuon, optimizers/spectral_ns.py,
 * coupled_newton_schulz_sqrt_invsqrt and spectral_half_power_via_ns). One call on an SPD A:
 *     A_reg = A + (shift_abs + shift_rel tr(A)/k) I,   s = ||A_reg||_F,   Y_0 = A_reg/s,  Z_0 = I,
 *     T_i = (3I - Z_i Y_i)/2,   Y_{i+1} = Y_i T_i,   Z_{i+1} = T_i Z_i        (i = 0..steps-1)
 * with Y and Z replaced by (Y + Y^T)/2, (Z + Z^T)/2 after step i when i > 0 and i % f == 0
 * (f = max(1, min(steps/3, 5)), the code's rule) and once at the end; then
 *     A_reg^{1/2} ~ sqrt(s) Y,   A_reg^{-1/2} ~ Z / sqrt(s).
 * (The Newton-Schulz form of the Denman-Beavers coupled square-root iteration: Y_i -> (A_reg/s)^{1/2},
 * Z_i -> (A_reg/s)^{-1/2} when the spectrum of A_reg/s lies in (0, 1], which s = ||A_reg||_F ensures.)
 *   p = 1    M itself (exact copy);
 *   p = 1/2  M G^{-1/4} with G^{-1/4} = sqrt(invsqrt(G)): two calls, each regularised;
 *   p = 1/4  the p = 1/2 map applied twice (a new Gram matrix of the first result): four calls;
 *   p = 0    M invsqrt(G) from one call. The paper's code uses Jordan's quintic Newton-Schulz for
 *            p = 0 instead (ml_ns with the "jordan" schedule), which stops at a plateau; the
 *            coupled iteration converges to the polar factor itself.
 *
 * Route ML_SN_ROOTS: any p = 1 or p = n/d in [0, 1) with d <= 8. With q = (1 - p)/2 = a/r in
 * lowest terms (r <= 16, a < r), G^{-q} = X^a where X = G^{-1/r} comes from one run of the coupled
 * Newton iteration for inverse r-th roots (Guo & Higham, SIAM J. Matrix Anal. Appl. 28(3), 2006):
 *     X_0 = I/c,   M_0 = A_reg/c^r,   T_i = ((r+1)I - M_i)/r,
 *     X_{i+1} = X_i T_i,   M_{i+1} = T_i^r M_i,      X_i -> A_reg^{-1/r},  M_i -> I,
 * with c^r = 2 ||A_reg||_F / (r+1) (the scaling of Shampoo's matrix_inverse_pth_root), which puts
 * the spectrum of M_0 in (0, (r+1)/2], inside the convergence region (0, r+1). The same shift and
 * symmetrisation rule as the paper route; one regularisation in total. Examples: p = 0 is r = 2,
 * p = 1/2 is r = 4, p = 1/4 is G^{-3/8} (r = 8, a = 3), p = 1/3 is r = 3, p = 3/4 is r = 8.
 *
 * The shift and the accuracy it allows. The shift makes rank-deficient and ill-conditioned G safe
 * (without it the inverse-root iterate grows like ((r+1)/r)^i along null directions) but biases
 * the result: one call maps each singular value s_j of M to s_j (s_j^2 + delta)^{(p-1)/2} with
 * delta = shift_abs + shift_rel mean_j(s_j^2), a relative error of about (1-p)/2 delta/s_j^2: about
 * (1-p)/2 * 1e-4 for a singular value at the root mean square with the paper's default, and O(1)
 * for the singular values below sqrt(delta) ~ 1e-2 s_rms. The paper route shifts again in every
 * call (p = 1/2: a second shift of the same relative size on G^{-1/2}; p = 1/4: four shifts). The
 * absolute part (1e-6) is not scale-invariant: it dominates when ||G|| / k is below about 1e-2, so
 * small gradients are flattened more than large ones. For results closer than 1e-4 to the SVD,
 * pass shift_rel = shift_abs = 0 (well-conditioned, full-rank input) or a tiny shift.
 * Measured (experiments/spectral_p.lua, 256 x 1024, relative Frobenius error, paper route):
 * Gaussian: the default shift stops at 7.7e-5 / 5.9e-5 / 5.7e-5 for p = 0 / 1/4 / 1/2, reached in
 * 8 steps; without shift 3e-15 after 10. Singular values geometric to 1e-3: the shift stops at
 * 0.21 / 2.6e-2 / 1.4e-2; without shift the iteration needs 23 steps (the paper's 15 leave
 * 0.25 / 3.2e-2 / 1.6e-2) and reaches 6e-12 / 6e-13 / 3e-13.
 *
 * Cost per step on a k x k Gram matrix: 3 products (paper), 1 + floor(log2 r) + popcount(r)
 * (roots: X T, the powering of T^r, T^r M); plus one Gram matrix (syrk) and one m x n x k
 * product per map. Products run through ml_gemm_prec in the chosen precision (fp64 default;
 * fp32, bf16 and fp16 emulated as in precision.h), and the iterates are stored rounded to it. */
#ifndef ML_SPECTRAL_NEWTON_H
#define ML_SPECTRAL_NEWTON_H

#include "matrix.h"
#include "precision.h"

typedef enum { ML_SN_PAPER = 0, ML_SN_ROOTS = 1 } ml_sn_route;

/* Parse a route name ("paper", "roots"); 0 or ML_EINVAL with a message listing the names. */
int ml_sn_route_parse(const char *s, ml_sn_route *out);
const char *ml_sn_route_name(ml_sn_route r);

/* How a spectral map U diag(s^p) V^T is computed: by the SVD (ml_spectral_svd, polar.h) or by the
 * coupled Newton iterations of this file. */
typedef enum { ML_SPECTRAL_SVD = 0, ML_SPECTRAL_NEWTON = 1 } ml_spectral_method;

/* Parse a method name ("svd", "newton"); 0 or ML_EINVAL with a message listing the names. */
int ml_spectral_method_parse(const char *s, ml_spectral_method *out);

/* Called after every step of the last coupled-Newton run of a map (earlier runs, e.g. the inverse
 * square root that p = 1/2 takes the square root of, complete all their steps first) with the step
 * number (1-based) and the output this step would give, a matrix of A's shape. A nonzero return
 * stops the computation, which then returns that value. */
typedef int (*ml_sn_trace_fn)(void *ctx, int step, const ml_mat *X);

typedef struct ml_spectral_newton_opts {
    int steps;              /* iterations per coupled-Newton run, >= 1; default 15 (the paper's) */
    double shift_rel;       /* shift = shift_abs + shift_rel tr(A)/k; defaults 1e-4 and 1e-6 */
    double shift_abs;
    int sym_every;          /* symmetrise Y, Z (or X, M) after step i when i > 0, i % sym_every == 0;
                               0: the paper's rule max(1, min(steps/3, 5)); < 0: only at the end */
    ml_sn_route route;      /* ML_SN_PAPER (default) or ML_SN_ROOTS */
    ml_precision precision; /* of every product and stored iterate; default ML_FP64 */
    ml_sn_trace_fn trace;   /* may be NULL */
    void *trace_ctx;
} ml_spectral_newton_opts;

void ml_spectral_newton_opts_default(ml_spectral_newton_opts *o);

/* Reusable workspace: keep one per shape in a loop; after the first call no further
 * allocation happens (but for the trace estimate, allocated on first use). */
typedef struct ml_spectral_newton_work {
    ml_mat G, Y, Z, T, P, Q, R;   /* k x k: Gram matrix, iterates, scratch */
    ml_mat M, X;                  /* m x n: intermediate map (p = 1/4), traced estimate */
    ml_prec_work prec;
} ml_spectral_newton_work;

void ml_spectral_newton_work_init(ml_spectral_newton_work *w);
void ml_spectral_newton_work_free(ml_spectral_newton_work *w);

/* out (allocated here, or reused when it already has A's shape and dtype; it may be A itself)
 * <- U diag(s^p) V^T of A computed by the route in o (NULL: defaults). Unsupported p fails with
 * ML_EINVAL and a message listing the supported set. */
int ml_spectral_newton(ml_mat *out, const ml_mat *A, double p, const ml_spectral_newton_opts *o);
int ml_spectral_newton_w(ml_mat *out, const ml_mat *A, double p, const ml_spectral_newton_opts *o,
                         ml_spectral_newton_work *w);

/* Whether the route supports p; on success *r and *a give G^{-(1-p)/2} = (G^{-1/r})^a
 * (r = 0 for p = 1). On failure ML_EINVAL with the message. */
int ml_spectral_newton_check_p(double p, ml_sn_route route, int *r, int *a);

/* The building blocks on a symmetric positive (semi)definite A (k x k), with o's steps, shift,
 * sym_every and precision (o->trace is ignored). Results are k x k in A's dtype, allocated here
 * or reused as for out above.
 * ml_sqrt_newton: the paper's call; sqrtA <- A_reg^{1/2}, isqrtA <- A_reg^{-1/2} (either may be NULL).
 * ml_invroot_newton: Guo-Higham; X <- A_reg^{-1/r}, 1 <= r <= 64. */
int ml_sqrt_newton(ml_mat *sqrtA, ml_mat *isqrtA, const ml_mat *A, const ml_spectral_newton_opts *o);
int ml_invroot_newton(ml_mat *X, const ml_mat *A, int r, const ml_spectral_newton_opts *o);

#endif
