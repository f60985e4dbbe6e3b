/* Odd polynomials p(x) = sum c[k] x^(2k+1): values, critical points, the image of an interval,
 * and the real-root finder these need (shared by coeffs.c, remez.c and cans.c). */
#include "internal/oddpoly.h"
#include <math.h>

#define MAXQ ML_MAX_TERMS

static long double horner(const long double *p, int deg, long double x)
{
    long double s = p[deg];
    for (int k = deg - 1; k >= 0; k--) s = s * x + p[k];
    return s;
}

long double ml_poly_odd_eval(const double *c, int q, long double x)
{
    long double x2 = x * x, s = 0;
    for (int k = q - 1; k >= 0; k--) s = s * x2 + c[k];
    return s * x;
}

/* A root of p in [lo, hi] where p(lo) = flo and p(hi) have opposite signs. */
static long double bisect(const long double *p, int deg, long double lo, long double hi, long double flo)
{
    for (int i = 0; i < 256; i++) {
        long double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        long double fm = horner(p, deg, mid);
        if (fm == 0) return mid;
        if ((fm < 0) == (flo < 0)) {
            lo = mid;
            flo = fm;
        } else {
            hi = mid;
        }
    }
    return lo + (hi - lo) / 2;
}

int ml_poly_real_roots(const long double *p, int deg, long double lo, long double hi, long double *out)
{
    while (deg > 0 && p[deg] == 0) deg--;
    if (deg <= 0) return 0;
    long double dp[MAXQ + 1], brk[MAXQ + 2];
    for (int k = 0; k < deg; k++) dp[k] = (k + 1) * p[k + 1];
    int nc = ml_poly_real_roots(dp, deg - 1, lo, hi, brk + 1);
    brk[0] = lo;
    brk[nc + 1] = hi;
    int n = 0;
    for (int i = 0; i <= nc; i++) {
        long double x0 = brk[i], x1 = brk[i + 1];
        long double f0 = horner(p, deg, x0), f1 = horner(p, deg, x1);
        if (f0 == 0) {
            if (n == 0 || out[n - 1] != x0) out[n++] = x0;
        } else if (f1 != 0 && (f0 < 0) != (f1 < 0) && x1 > x0) {
            out[n++] = bisect(p, deg, x0, x1, f0);
        }
    }
    if (horner(p, deg, hi) == 0 && (n == 0 || out[n - 1] != hi)) out[n++] = hi;
    return n;
}

int ml_poly_odd_extrema(const double *c, int q, double a, double b, double *x)
{
    if (q < 2 || !(a < b)) return 0;
    /* p'(x) = Q(x^2), Q(y) = sum (2k+1) c_k y^k */
    long double Q[MAXQ], y[MAXQ];
    for (int k = 0; k < q; k++) Q[k] = (2.0L * k + 1) * c[k];
    long double a2 = (long double)a * a, b2 = (long double)b * b;
    long double ylo = (a < 0 && b > 0) ? 0 : fminl(a2, b2), yhi = fmaxl(a2, b2);
    int ny = ml_poly_real_roots(Q, q - 1, ylo, yhi, y), n = 0;
    for (int i = 0; i < ny; i++) {
        long double r = sqrtl(y[i]);
        if (-r > a && -r < b) x[n++] = (double)-r;
        if (r > a && r < b && r != 0) x[n++] = (double)r;
    }
    for (int i = 1; i < n; i++)   /* insertion sort: at most 2(q-1) points */
        for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
    return n;
}

void ml_poly_odd_image(const double *c, int q, double a, double b, double *lo, double *hi)
{
    double ex[2 * MAXQ];
    int n = ml_poly_odd_extrema(c, q, a, b, ex);
    long double pa = ml_poly_odd_eval(c, q, a), pb = ml_poly_odd_eval(c, q, b);
    long double mn = fminl(pa, pb), mx = fmaxl(pa, pb);
    for (int i = 0; i < n; i++) {
        long double v = ml_poly_odd_eval(c, q, ex[i]);
        mn = fminl(mn, v);
        mx = fmaxl(mx, v);
    }
    *lo = (double)mn;
    *hi = (double)mx;
}
