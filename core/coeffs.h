/* Coefficient schedules of odd polynomials for Newton-Schulz-type iterations.
 * Step s applies p_s(x) = sum_k c[s*terms + k] * x^(2k+1) to every singular value. */
#ifndef ML_COEFFS_H
#define ML_COEFFS_H

#include <stddef.h>

typedef struct ml_schedule {
    int steps;
    int terms;       /* number of odd terms: 2 = cubic, 3 = quintic, 4 = septic, ... */
    double *c;       /* steps * terms coefficients, row s = step s */
} ml_schedule;

#define ML_MAX_TERMS 8

int ml_schedule_alloc(ml_schedule *s, int steps, int terms);
void ml_schedule_free(ml_schedule *s);
/* Built-in named schedule with `steps` steps (steps <= 0: the schedule's own default).
 * Fixed-coefficient schedules repeat their row; tabulated ones (you, polar_express, gram_ns)
 * repeat their last row beyond the table. */
int ml_schedule_named(ml_schedule *out, const char *name, int steps);
/* Names known to ml_schedule_named, NULL-terminated. */
extern const char *const ml_schedule_names[];

/* The composed scalar map p_steps(...p_1(x)) at x. */
double ml_schedule_apply(const ml_schedule *s, double x);

/* The image f([l, u]) = [*lo, *hi] of the composed map f = ml_schedule_apply, l <= u.
 * Exact up to rounding: step by step, the image of an interval under one polynomial is
 * spanned by its values at the endpoints and at the critical points inside. */
int ml_schedule_image(const ml_schedule *s, double l, double u, double *lo, double *hi);
/* max over x in [l, u] of |f(x) - 1|, from ml_schedule_image; NaN (with a message) for
 * bad arguments. */
double ml_schedule_error(const ml_schedule *s, double l, double u);

#endif
