/* CANS: Chebyshev-optimised Newton-Schulz schedules (cans.c; Grishina, Smirnov, Rakhuba,
 * arXiv 2506.10935). */
#ifndef ML_CANS_H
#define ML_CANS_H

#include "coeffs.h"

/* The schedule `cans` names without options (ml.coeffs("cans"), ml.ns{coeffs = "cans"}): the
 * same start and size as the polar_express preset, so the two differ only by the cushion and
 * the recentring. */
#define ML_CANS_L 1e-3
#define ML_CANS_DEGREE 5
#define ML_CANS_STEPS 8

/* CANS (Grishina, Smirnov, Rakhuba, arXiv 2506.10935, Algorithm 1): starting from
 * [a_0, b_0] = [l, 1], p_k is the best approximation of 1 on [a_k, b_k] with error e_k
 * (closed form for degree 3, Remez exchange above) and [a_{k+1}, b_{k+1}] = [1 - e_k, 1 + e_k].
 * The same map as Polar Express with cushion 0. safety >= 1: Polar Express's run-time factor
 * (ML_SAFETY by default from Lua, 1 = the bare CANS map) on every row but the last and
 * input_scale (ml_schedule_set_safety). */
#define ML_CANS_SAFETY ML_SAFETY
int ml_schedule_cans(ml_schedule *out, double l, int degree, int steps, double safety);

/* CANS degree-3 step in closed form (Proposition 2 of the CANS paper) on [a, b]:
 * p(x) = c[0] x + c[1] x^3, error *err. */
void ml_cans_cubic(double a, double b, double c[2], double *err);

#endif
