/* Odd polynomials p(x) = sum_k c[k] x^(2k+1), k < terms <= ML_MAX_TERMS (oddpoly.c), and the
 * real-root finder their critical points need. Internal: shared by coeffs.c, remez.c and
 * cans.c; not installed (the headers in core/ are the public API, those in core/internal/ not). */
#ifndef ML_ODDPOLY_H
#define ML_ODDPOLY_H

#include "coeffs.h"

/* p(x) in long double. */
long double ml_poly_odd_eval(const double *c, int terms, long double x);

/* Real roots of the polynomial sum_k p[k] x^k (deg <= ML_MAX_TERMS) in [lo, hi], ascending,
 * into out (room for deg); returns their number. Between consecutive roots of p' (found
 * recursively) p is monotone, so each piece holds at most one root, found by bisection. */
int ml_poly_real_roots(const long double *p, int deg, long double lo, long double hi, long double *out);

/* Critical points of p in the open interval (a, b), ascending, into x (room for terms - 1,
 * or 2 (terms - 1) if a < 0 < b); returns their number. */
int ml_poly_odd_extrema(const double *c, int terms, double a, double b, double *x);

/* The image p([a, b]) = [*lo, *hi] (a <= b): min and max over the endpoints and the critical
 * points inside. */
void ml_poly_odd_image(const double *c, int terms, double a, double b, double *lo, double *hi);

#endif
