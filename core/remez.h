/* Computed coefficient schedules: best uniform odd-polynomial approximations of 1
 * (Remez exchange) and the greedy compositions built from them.
 *
 * An odd polynomial with q terms, p(x) = c[0] x + c[1] x^3 + ... + c[q-1] x^(2q-1),
 * that best approximates 1 on [a, b] (0 < a < b) equioscillates at q + 1 points
 * a = x_0 < x_1 < ... < x_q = b: p(x_i) - 1 = (-1)^(i+1) E (Chebyshev's alternance
 * theorem; x, x^3, ..., x^(2q-1) is a Haar system on (0, inf)). */
#ifndef ML_REMEZ_H
#define ML_REMEZ_H

#include "coeffs.h"

/* The cushion of Polar Express (Amsel et al., arXiv 2505.16932, section 4.4). */
#define ML_PE_CUSHION 0.02407327424182761

/* Best approximation of 1 on [a, b] with `terms` odd terms (2..ML_MAX_TERMS):
 * coefficients c[terms], levelled error *err (may be NULL) and, when x is not NULL,
 * the terms + 1 alternation points x[0] = a < ... < x[terms] = b. Works from a/b = 1e-300
 * up to b = a + 1 ulp (E keeps its relative accuracy as it shrinks like (b - a)^terms).
 * Fails with ML_ENUM if the exchange does not converge within 100 exchanges. */
int ml_remez_odd(int terms, double a, double b, double *c, double *err, double *x);

/* The Newton-Schulz / Pade polynomial with `terms` terms (x (1 + (1-x^2)/2 + 3/8 (1-x^2)^2 + ...),
 * i.e. (3/2, -1/2), (15/8, -10/8, 3/8), (35, -35, 21, -5)/16, ...) into c. */
void ml_poly_pade(int terms, double *c);

/* Polar Express (Amsel, Persson, Musco, Gower, arXiv 2505.16932, Algorithm 1 and
 * sections 4.2-4.4): greedy composition, starting from [l, 1], of best approximations
 * p_t of 1 on [max(l_t, cushion u_t), u_t]; each p_t is rescaled so that its image of
 * [l_t, u_t] straddles 1 evenly, then l_{t+1} = p_t(l_t), u_{t+1} = 2 - l_{t+1}.
 * degree 3, 5 or 7; safety >= 1 is the run-time factor (ML_SAFETY as published): it divides
 * the x^(2k+1) coefficient of every row but the last by safety^(2k+1) and sets input_scale
 * (ml_schedule_set_safety); cushion in [0, 1) (ML_PE_CUSHION as published, 0 = plain
 * greedy, which is the optimal composition). */
int ml_schedule_polar_express(ml_schedule *out, double l, int degree, int steps, double safety,
                              double cushion);

#endif
