/* Remez exchange for the best odd-polynomial approximation of 1 on [a, b], and the
 * Polar Express schedule built from it (Amsel, Persson, Musco, Gower, arXiv 2505.16932).
 *
 * Numerics. With t = x/b and w = (1 - t^2)/W, W = 1 - (a/b)^2, the interval is w in
 * [0, 1] (w = 1 at x = a, w = 0 at x = b) and p(x) = t P(w) with P of degree q - 1.
 * We solve for the correction to the Newton-Schulz (Pade) polynomial t P0(w), whose
 * residual 1 - t P0 = t R(W w), R(s) = sum_{j>=q} binom(2j,j)/4^j s^j, is known in
 * closed form. The unknowns and the right-hand side are then O(W^q), like E itself, so
 * E and the alternation points keep full relative accuracy however narrow [a, b] is;
 * the (q+1)x(q+1) system in the basis t w^j on w in [0, 1] is well conditioned. */
#include "remez.h"
#include "error.h"
#include "internal/oddpoly.h"
#include <math.h>

#define MAXQ ML_MAX_TERMS
#define REMEZ_MAXIT 100
#define REMEZ_WTOL 1e-15L   /* alternation points settled (w lies in [0, 1]) */

/* Gaussian elimination with partial pivoting; the solution replaces rhs. */
static int solve(int n, long double A[MAXQ + 1][MAXQ + 1], long double *rhs)
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabsl(A[i][k]) > fabsl(A[piv][k])) piv = i;
        if (A[piv][k] == 0) return -1;
        if (piv != k) {
            for (int j = 0; j < n; j++) {
                long double t = A[k][j];
                A[k][j] = A[piv][j];
                A[piv][j] = t;
            }
            long double t = rhs[k];
            rhs[k] = rhs[piv];
            rhs[piv] = t;
        }
        for (int i = k + 1; i < n; i++) {
            long double f = A[i][k] / A[k][k];
            for (int j = k; j < n; j++) A[i][j] -= f * A[k][j];
            rhs[i] -= f * rhs[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        long double s = rhs[k];
        for (int j = k + 1; j < n; j++) s -= A[k][j] * rhs[j];
        rhs[k] = s / A[k][k];
    }
    return 0;
}

/* a_j = binom(2j, j) / 4^j: the Taylor coefficients of (1 - s)^(-1/2). */
static long double taylor_isqrt(int j)
{
    long double a = 1;
    for (int i = 1; i <= j; i++) a *= (2.0L * i - 1) / (2.0L * i);
    return a;
}

static long double binom(int n, int k)
{
    long double r = 1;
    for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
    return r;
}

/* R(s) = sum_{j>=q} a_j s^j = 1/t - sum_{j<q} a_j s^j with t = sqrt(1 - s), 0 <= s < 1
 * (t is passed in: at x = a it is known exactly even when 1 - s underflows). */
static long double pade_tail(int q, long double s, long double t)
{
    if (s >= 0.5L) {
        long double head = 0;
        for (int j = q - 1; j >= 0; j--) head = head * s + taylor_isqrt(j);
        return 1 / t - head;
    }
    long double term = taylor_isqrt(q), sum = 0, sj = powl(s, q);
    for (int j = q; j < q + 200; j++) {
        long double t = term * sj;
        sum += t;
        if (t <= sum * 1e-21L) break;
        term *= (2.0L * j + 1) / (2.0L * j + 2);
        sj *= s;
    }
    return sum;
}

void ml_poly_pade(int terms, double *c)
{
    for (int k = 0; k < terms; k++) {
        long double s = 0;
        for (int j = k; j < terms; j++) s += taylor_isqrt(j) * binom(j, k);
        c[k] = (double)((k % 2 ? -1 : 1) * s);
    }
}

/* The levelled solution on the reference w[0] = 1 > w[1] > ... > w[q] = 0 into sol:
 * t_i dP(w_i) - s_i E = t_i R(W w_i), s_i = (-1)^(i+1), i.e. p(x_i) = 1 + s_i E;
 * sol[0..q-1] = the correction dP to the Pade polynomial in w, sol[q] = E. */
static int levelled(int q, long double W, const long double *w, long double tau, long double *sol)
{
    long double A[MAXQ + 1][MAXQ + 1];
    for (int i = 0; i <= q; i++) {
        long double t = i == 0 ? tau : i == q ? 1 : sqrtl(1 - W * w[i]), wp = 1;
        for (int j = 0; j < q; j++, wp *= w[i]) A[i][j] = t * wp;
        A[i][q] = (i % 2) ? -1 : 1;
        sol[i] = t * pade_tail(q, W * w[i], t);
    }
    return solve(q + 1, A, sol);
}

int ml_remez_odd(int q, double a, double b, double *c, double *err, double *x)
{
    if (q < 1 || q > MAXQ) return ml_error(ML_EINVAL, "remez: terms must be in 1..%d, got %d", MAXQ, q);
    if (!(a > 0) || !(b > a) || !isfinite(b))
        return ml_error(ML_EINVAL, "remez: need 0 < a < b, got [%g, %g]", a, b);

    const long double W = ((long double)b - a) * ((long double)b + a) / ((long double)b * b);
    const long double tau = (long double)a / b;
    long double w[MAXQ + 1], sol[MAXQ + 1];

    /* Start from the Chebyshev extrema in x, mapped to w. */
    const long double m = ((long double)a + b) / 2, h = ((long double)b - a) / 2;
    w[0] = 1;
    w[q] = 0;
    for (int i = 1; i < q; i++) {
        long double cs = cosl(3.14159265358979323846264338327950288L * i / q);
        w[i] = (1 + cs) / 2 * (b + m - h * cs) / ((long double)b + a);
    }

    int converged = 0, it;
    for (it = 0; it < REMEZ_MAXIT && !converged; it++) {
        if (levelled(q, W, w, tau, sol))
            return ml_error(ML_ENUM, "remez: singular system on [%.17g, %.17g]", a, b);

        /* Critical points of p: roots of g(w) = 2 (1 - W w) P'(w) - W P(w) (= 2 t d(tP)/dw).
         * For P0 alone g0 = -(2q-1) a_{q-1} W^q w^(q-1) exactly, so add that to the part of
         * the correction dP. */
        long double g[MAXQ];
        for (int k = 0; k < q; k++) {
            long double dk1 = k + 1 < q ? sol[k + 1] : 0;
            g[k] = 2.0L * (k + 1) * dk1 - W * (2.0L * k + 1) * sol[k];
        }
        g[q - 1] -= (2.0L * q - 1) * taylor_isqrt(q - 1) * powl(W, q);
        long double r[MAXQ + 1];
        int nr = ml_poly_real_roots(g, q - 1, 0, 1, r);
        int ni = 0;
        long double interior[MAXQ];
        for (int i = nr - 1; i >= 0; i--)   /* w descends as x ascends */
            if (r[i] > 0 && r[i] < 1 && ni < q - 1) interior[ni++] = r[i];
        if (ni != q - 1)
            return ml_error(ML_ENUM, "remez: lost the alternation on [%.17g, %.17g] (%d of %d extrema)",
                            a, b, ni, q - 1);
        long double move = 0;
        for (int i = 1; i < q; i++) {
            move = fmaxl(move, fabsl(interior[i - 1] - w[i]));
            w[i] = interior[i - 1];
        }
        if (move <= REMEZ_WTOL) converged = 1;   /* one more solve below, on the settled points */
    }
    if (!converged)
        return ml_error(ML_ENUM, "remez: no convergence after %d exchanges on [%.17g, %.17g]",
                        REMEZ_MAXIT, a, b);

    if (levelled(q, W, w, tau, sol))   /* final solve on the settled points */
        return ml_error(ML_ENUM, "remez: singular system on [%.17g, %.17g]", a, b);
    long double E = sol[q];
    if (!(E > 0)) return ml_error(ML_ENUM, "remez: non-positive levelled error on [%.17g, %.17g]", a, b);

    /* P(w) = sum (a_j W^j + dd_j) w^j with w = (1 - t^2)/W; expand in t, then t = x/b. */
    for (int k = 0; k < q; k++) {
        long double s = 0;
        for (int j = k; j < q; j++) s += binom(j, k) * (taylor_isqrt(j) + sol[j] / powl(W, j));
        c[k] = (double)((k % 2 ? -s : s) / powl((long double)b, 2 * k + 1));
    }
    if (err) *err = (double)E;
    if (x) {
        x[0] = a;
        x[q] = b;
        for (int i = 1; i < q; i++) x[i] = (double)(b * sqrtl(1 - W * w[i]));
    }
    return ML_OK;
}

int ml_schedule_polar_express(ml_schedule *out, double l, int degree, int steps, double safety,
                              double cushion)
{
    out->steps = out->terms = 0;
    out->c = NULL;
    if (!(l > 0 && l < 1)) return ml_error(ML_EINVAL, "polar_express: l must be in (0, 1), got %g", l);
    if (degree != 3 && degree != 5 && degree != 7)
        return ml_error(ML_EINVAL, "polar_express: degree must be 3, 5 or 7, got %d", degree);
    if (!(safety >= 1) || !isfinite(safety))
        return ml_error(ML_EINVAL, "polar_express: safety must be >= 1, got %g", safety);
    if (!(cushion >= 0 && cushion < 1))
        return ml_error(ML_EINVAL, "polar_express: cushion must be in [0, 1), got %g", cushion);
    const int q = (degree + 1) / 2;
    int rc = ml_schedule_alloc(out, steps, q);
    if (rc) return rc;

    double lo = l, hi = 1;
    for (int t = 0; t < steps; t++) {
        double *c = out->c + (size_t)t * q;
        /* Section 4.4: approximate on [max(l, cushion u), u] so that p(x)/x stays bounded below. */
        double a = fmax(lo, cushion * hi), b = hi;
        if (a / b >= 1 - 5e-6) {
            /* Appendix G: here the equioscillating polynomial is numerically the Pade one. */
            ml_poly_pade(q, c);
            for (int k = 0; k < q; k++) c[k] /= pow(b, 2 * k + 1);
        } else if ((rc = ml_remez_odd(q, a, b, c, NULL, NULL))) {
            ml_schedule_free(out);
            return rc;
        }
        /* Recentre: scale p so that p([l, u]) straddles 1 evenly. The image is [p(l), max p]:
         * p(l) <= 1 - E is the minimum (p rises on [l, a]). For degree 5 the maximum is p(u)
         * and this is the paper's 2/(p(l) + p(u)); for degrees 3 and 7 (an odd number of
         * alternation points) p(u) = 1 - E is a minimum and the maximum lies inside. */
        double ilo, ihi;
        ml_poly_odd_image(c, q, lo, hi, &ilo, &ihi);
        ilo = (double)ml_poly_odd_eval(c, q, lo);
        double scale = 2 / (ilo + ihi);
        for (int k = 0; k < q; k++) c[k] *= scale;
        lo = scale * ilo;
        hi = 2 - lo;
    }
    ml_schedule_set_safety(out, safety, steps - 1);   /* Algorithm 1: every step but the last, and X_0 */
    return ML_OK;
}
