/* Zolo-PD (Nakatsukasa, Freund, "Computing fundamental matrix decompositions accurately via the
 * matrix sign function in two iterations: the power of Zolotarev's functions", SIAM Review 58
 * (2016)). The best rational approximation of type (2r+1, 2r) to sign(x) on [-1, -l] U [l, 1] is
 *   Z(x) = M x prod_{j=1..r} (x^2 + c_2j) / (x^2 + c_2j-1),
 *   c_i = l^2 sn^2(i K'/(2r+1); l') / cn^2(i K'/(2r+1); l'),   l' = sqrt(1 - l^2), K' = K(l'),
 * and in partial fractions Z(x) = M x (1 + sum_j a_j / (x^2 + c_2j-1)),
 *   a_j = prod_k (c_2k - c_2j-1) / prod_{k != j} (c_2k-1 - c_2j-1).
 * On a matrix (sigma(X) in [l, 1]): X <- M (X + sum_j a_j X (X^T X + c_2j-1 I)^-1), the r solves
 * independent (the paper's parallelism; here one after the other). The first iteration, where X
 * may be ill-conditioned, applies them through QR ([X; sqrt(c) I] = [Q1; Q2] R gives
 * X (X^T X + c I)^-1 = Q1 Q2^T / sqrt(c)), the second through Cholesky. Z maps [l, 1] into
 * [l_1, 1] after dividing by its maximum there, and composing two such maps with l_1 gives the
 * type ((2r+1)^2, (2r+1)^2 - 1) Zolotarev function: r is the smallest degree whose scalar model
 * reaches 1 - l_final <= 2e-15 in two iterations (one if kappa < 2 allows it), found by evaluating
 * the model rather than from the paper's table (which gives r = 8 at kappa = 1e16).
 * Elliptic functions: sn, cn by the AGM / descending Landen scheme (Abramowitz-Stegun 16.4) with
 * b_0 = l itself (no cancellation in sqrt(1 - l'^2)); for i > r through sn(K' - v) = cd(v),
 * cn(K' - v) = l sd(v), i.e. c_i = cn^2(v) / sn^2(v) at v = K' - u, so that cn is never formed
 * near its zero. */
#include "zolo.h"
#include "error.h"
#include "internal/polar_iter.h"
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AGM_MAX 40

/* sn, cn of u for modulus k with complementary modulus kc = sqrt(1 - k^2) given; K = K(k). */
static void ellipj(double u, double kc, double *sn, double *cn, double *K)
{
    double a[AGM_MAX + 1], c[AGM_MAX + 1], b = kc;
    a[0] = 1.0;
    c[0] = sqrt((1.0 - kc) * (1.0 + kc));
    int N = 0;
    while (N < AGM_MAX && fabs(c[N]) > DBL_EPSILON * a[N]) {
        a[N + 1] = 0.5 * (a[N] + b);
        c[N + 1] = 0.5 * (a[N] - b);
        b = sqrt(a[N] * b);
        N++;
    }
    *K = M_PI / (2.0 * a[N]);
    double phi = ldexp(a[N] * u, N);
    for (int n = N; n >= 1; n--) phi = 0.5 * (phi + asin(c[n] / a[n] * sin(phi)));
    *sn = sin(phi);
    *cn = cos(phi);
}

void ml_zolo_coeffs(double l, int r, double *c)
{
    double sn, cn, K;
    ellipj(0.0, l, &sn, &cn, &K);   /* K' = K(l'): the complementary modulus of l' is l */
    for (int i = 1; i <= 2 * r; i++) {
        double u = i * K / (2 * r + 1);
        if (i <= r) {
            ellipj(u, l, &sn, &cn, &K);
            c[i - 1] = l * l * sn * sn / (cn * cn);
        } else {
            ellipj(K - u, l, &sn, &cn, &K);
            c[i - 1] = cn * cn / (sn * sn);
        }
    }
}

double ml_zolo_eval(const double *c, int r, double x)
{
    double f = x, x2 = x * x;
    for (int j = 0; j < r; j++) f *= (x2 + c[2 * j + 1]) / (x2 + c[2 * j]);
    return f;
}

/* max of the model over [l, 1] (log-spaced samples: the oscillation has r interior maxima of
 * equal height, so the sampled maximum is within a tiny fraction of the deviation from 1) and the
 * image of l after dividing by it. */
#define ZOLO_SAMPLES 4000
static double zolo_max(const double *c, int r, double l)
{
    double best = ml_zolo_eval(c, r, 1.0), ll = log(l);
    for (int k = 0; k < ZOLO_SAMPLES; k++) best = fmax(best, ml_zolo_eval(c, r, exp(ll * k / ZOLO_SAMPLES)));
    return best;
}

/* One scalar iteration: l <- Z(l)/max Z. */
static double zolo_next(double l, int r)
{
    double c[2 * ML_ZOLO_MAX_DEGREE];
    ml_zolo_coeffs(l, r, c);
    return fmin(1.0, ml_zolo_eval(c, r, l) / zolo_max(c, r, l));
}

/* Smallest r (and 1 or 2 iterations) whose model reaches 1 - l <= 4u. */
static void choose_degree(double l, int *r, int *iters)
{
    double tol = 2e-15;   /* above the rounding floor of the model itself (5e-16 ... 1.4e-15) */
    for (int k = 1; k <= ML_ZOLO_MAX_DEGREE; k++) {
        double l1 = zolo_next(l, k);
        if (1 - l1 <= tol) {
            *r = k, *iters = 1;
            return;
        }
        if (1 - zolo_next(l1, k) <= tol || k == ML_ZOLO_MAX_DEGREE) {
            *r = k, *iters = 2;
            return;
        }
    }
}

/* Y <- X (X^T X + c I)^-1, by QR (use_qr) or Cholesky; B holds (m+n) x n. */
static int solve(const double *x, double *y, double *B, double *tau, int m, int n, double c, int use_qr)
{
    lapack_int info;
    if (use_qr) {
        int mn = m + n;
        double sc = sqrt(c);
        for (int j = 0; j < n; j++) {
            memcpy(B + (size_t)j * mn, x + (size_t)j * m, (size_t)m * sizeof(double));
            for (int i = 0; i < n; i++) B[m + i + (size_t)j * mn] = i == j ? sc : 0.0;
        }
        info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, mn, n, B, mn, tau);
        if (!info) info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, mn, n, n, B, mn, tau);
        if (info) return ml_error(ML_ENUM, "zolo: QR factorisation failed, info = %d", (int)info);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, n, n, 1.0 / sc, B, mn, B + m, mn, 0.0, y, m);
        return ML_OK;
    }
    return ml_cm_gram_solve(x, y, B, m, n, 1.0, c, "zolo");
}

int ml_polar_zolo(ml_mat *out, const ml_mat *A, ml_polar_info *info)
{
    ml_polar_info local = {0};
    if (!info) info = &local;
    *info = (ml_polar_info){0};
    ml_tallmat t;
    int rc = ml_polar_prepare(&t, A, "zolo", 1, info);
    if (rc) return rc;
    int m = t.m, n = t.n, r = 1, iters = 2;
    size_t len = (size_t)m * (size_t)n;
    double l = info->l0;
    choose_degree(l, &r, &iters);
    info->degree = r;
    info->factorizations = 1;   /* the QR behind l0 */
    double *y = malloc(len * sizeof(double)), *acc = malloc(len * sizeof(double));
    double *B = malloc((size_t)(m + n) * (size_t)n * sizeof(double)), *tau = malloc((size_t)n * sizeof(double));
    if (!y || !acc || !B || !tau) rc = ml_error(ML_ENOMEM, "zolo: out of memory");
    for (int it = 0; it < iters && !rc; it++) {
        double c[2 * ML_ZOLO_MAX_DEGREE], a[ML_ZOLO_MAX_DEGREE];
        ml_zolo_coeffs(l, r, c);
        for (int j = 0; j < r; j++) {   /* partial-fraction weights */
            double num = 1, den = 1;
            for (int k = 0; k < r; k++) {
                num *= c[2 * k + 1] - c[2 * j];
                if (k != j) den *= c[2 * k] - c[2 * j];
            }
            a[j] = num / den;
        }
        double M = zolo_max(c, r, l);   /* normalise so that max over [l, 1] is 1 */
        int use_qr = it == 0 && iters == 2;
        memcpy(acc, t.x, len * sizeof(double));
        for (int j = 0; j < r && !rc; j++) {
            rc = solve(t.x, y, B, tau, m, n, c[2 * j], use_qr);
            if (!rc) cblas_daxpy((int)len, a[j], y, 1, acc, 1);
            info->factorizations++;
        }
        if (rc) break;
        cblas_dscal((int)len, 1.0 / M, acc, 1);
        double *sw = t.x;
        t.x = acc, acc = sw;
        info->qr_iterations += use_qr;
        info->iterations++;
        l = fmin(1.0, ml_zolo_eval(c, r, l) / M);
    }
    if (!rc) rc = ml_tall_store(out, &t, A);
    free(y), free(acc), free(B), free(tau);
    ml_tall_free(&t);
    return rc;
}
