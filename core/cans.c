/* CANS: Chebyshev-optimised Newton-Schulz (Grishina, Smirnov, Rakhuba, "Accelerating
 * Newton-Schulz Iteration for Orthogonalization via Chebyshev-type Polynomials",
 * arXiv 2506.10935).
 *
 * Theorem 1 (Chebyshev alternance): the best approximation of 1 on [a, b] by odd polynomials
 * of degree 2n-1 equioscillates at n+1 points, error e(n, a, b).
 * Proposition 2: for degree 3 in closed form,
 *   p(x) = 2 ((a^2 + ab + b^2) x - x^3) / D,   D = 2 ((a^2 + ab + b^2)/3)^(3/2) + a^2 b + a b^2,
 *   e = (2 ((a^2 + ab + b^2)/3)^(3/2) - a^2 b - a b^2) / D.
 * Algorithm 1: p_k = best approximation on [a_k, b_k], [a_{k+1}, b_{k+1}] = [1 - e_k, 1 + e_k],
 * from [a_0, b_0] = bounds of the singular values (here [l, 1]); Proposition 3: for degree 3,
 * e_{k+1} <= e_k^2 and e_{k+1}/e_k^2 -> 3/4.
 * (Statement numbers as quoted in secondary summaries of the paper; the paper's Appendix
 * coefficients for degree 3, 7 steps, "eps = 0.3" are reproduced from l = 9e-4, see
 * tests/c/test_coeffs.c.) This is the plain greedy composition of Polar Express (cushion 0);
 * the papers arrived at it independently. We add Polar Express's run-time safety factor. */
#include "cans.h"
#include "error.h"
#include "remez.h"
#include "internal/oddpoly.h"
#include <math.h>

void ml_cans_cubic(double a, double b, double c[2], double *err)
{
    /* Proposition 2, with a = m - h, b = m + h so that the numerator of e has no cancellation:
     * a^2 + ab + b^2 = 3m^2 + h^2, ab(a + b) = 2m (m^2 - h^2), (s)^(3/2) = m^3 (1 + r)^(3/2)
     * with r = h^2/(3m^2); numerator = 2m^3 ((1 + r)^(3/2) - 1) + 2 m h^2. */
    long double m = ((long double)a + b) / 2, h = ((long double)b - a) / 2;
    long double m3 = m * m * m, r = h * h / (3 * m * m);
    long double grow = expm1l(1.5L * log1pl(r));   /* (1 + r)^(3/2) - 1 */
    long double num = 2 * m3 * grow + 2 * m * h * h;
    long double den = 2 * m3 * (1 + grow) + 2 * m * (m * m - h * h);
    long double sum2 = 3 * m * m + h * h;
    c[0] = (double)(2 * sum2 / den);
    c[1] = (double)(-2 / den);
    if (err) *err = (double)(num / den);
}

int ml_schedule_cans(ml_schedule *out, double l, int degree, int steps, double safety)
{
    out->steps = out->terms = 0;
    out->c = NULL;
    if (!(l > 0 && l < 1)) return ml_error(ML_EINVAL, "cans: l must be in (0, 1), got %g", l);
    if (degree != 3 && degree != 5 && degree != 7)
        return ml_error(ML_EINVAL, "cans: degree must be 3, 5 or 7, got %d", degree);
    if (!(safety >= 1) || !isfinite(safety))
        return ml_error(ML_EINVAL, "cans: safety must be >= 1, got %g", safety);
    const int q = (degree + 1) / 2;
    int rc = ml_schedule_alloc(out, steps, q);
    if (rc) return rc;

    double a = l, b = 1;
    for (int k = 0; k < steps; k++) {
        double *c = out->c + (size_t)k * q, e;
        if (!(a < b)) {
            /* Converged to working precision ([1, 1]): the Pade map keeps 1 fixed. */
            ml_poly_pade(q, c);
            for (int j = 0; j < q; j++) c[j] /= pow(b, 2 * j + 1);
            double lo, hi;
            ml_poly_odd_image(c, q, a, b, &lo, &hi);
            a = lo;
            b = hi;
            continue;
        }
        if (q == 2) {
            ml_cans_cubic(a, b, c, &e);
        } else if ((rc = ml_remez_odd(q, a, b, c, &e, NULL))) {
            ml_schedule_free(out);
            return rc;
        }
        a = 1 - e;
        b = 1 + e;
    }
    /* Polar Express's run-time safety factor (Algorithm 1): the same map diverges the same way
     * in bf16 when a singular value is rounded past 1. */
    ml_schedule_set_safety(out, safety, steps - 1);
    return ML_OK;
}
