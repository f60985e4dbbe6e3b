/* Coefficient schedules of odd polynomials for Newton-Schulz-type iterations.
 * Step s applies p_s(x) = sum_k c[s*terms + k] * x^(2k+1) to every singular value. */
#ifndef ML_COEFFS_H
#define ML_COEFFS_H

#include <stddef.h>

typedef struct ml_schedule {
    int steps;
    int terms;       /* number of odd terms: 2 = cubic, 3 = quintic, 4 = septic, ... */
    double *c;       /* steps * terms coefficients, row s = step s */
    double input_scale;  /* >= 1; 1 = none. ml_ns divides X_0 by it too (its normaliser is multiplied
                            by it) and ml_schedule_apply/_image map x/input_scale: the run-time
                            safety factor of Polar Express (arXiv 2505.16932, Algorithm 1) */
} ml_schedule;

#define ML_MAX_TERMS 8

/* A zeroed schedule with input_scale 1. */
int ml_schedule_alloc(ml_schedule *s, int steps, int terms);
void ml_schedule_free(ml_schedule *s);
/* Built-in named schedule with `steps` steps (steps <= 0: the schedule's own default).
 * Fixed-coefficient schedules repeat their row; tabulated ones (you, polar_express, gram_ns)
 * repeat their last row beyond the table. */
int ml_schedule_named(ml_schedule *out, const char *name, int steps);
/* The run-time safety factor of Polar Express's Algorithm 1 (arXiv 2505.16932), the default of
 * the polar_express table, of the computed Polar Express and of CANS (ml.coeffs, ml.ns): in
 * bf16, rounding pushes a singular value at the normaliser's bound past 1, where these maps blow up. */
#define ML_SAFETY 1.01
/* ml_schedule_named with the run-time safety factor `safety` (>= 1; 0: the schedule's default)
 * for "polar_express" (default ML_SAFETY; 1 = the bare published table); any other name accepts
 * only 0. */
int ml_schedule_named_safety(ml_schedule *out, const char *name, int steps, double safety);
/* Algorithm 1's run-time safety factor on a schedule: rows 0..rows-1 become p(x/safety)
 * (c_k / safety^(2k+1)) and input_scale = safety. Callers pass every row but the last. */
void ml_schedule_set_safety(ml_schedule *s, double safety, int rows);
/* Names known to ml_schedule_named, NULL-terminated. */
extern const char *const ml_schedule_names[];

/* The composed scalar map p_steps(...p_1(x / input_scale)) at x: what ml_ns applies to each
 * singular value of the normalised input (sigma / ||G||_F for precond frobenius, eps aside). */
double ml_schedule_apply(const ml_schedule *s, double x);

/* The image f([l, u]) = [*lo, *hi] of the composed map f = ml_schedule_apply, l <= u.
 * Exact up to rounding: step by step, the image of an interval under one polynomial is
 * spanned by its values at the endpoints and at the critical points inside. */
int ml_schedule_image(const ml_schedule *s, double l, double u, double *lo, double *hi);
/* max over x in [l, u] of |f(x) - 1|, from ml_schedule_image; NaN (with a message) for
 * bad arguments. */
double ml_schedule_error(const ml_schedule *s, double l, double u);

#endif
