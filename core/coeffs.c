#include "coeffs.h"
#include "error.h"
#include "internal/oddpoly.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ml_schedule_alloc(ml_schedule *s, int steps, int terms)
{
    s->steps = 0;
    s->terms = 0;
    s->c = NULL;
    s->input_scale = 1;
    if (steps < 1 || steps > 1000)
        return ml_error(ML_EINVAL, "steps must be in 1..1000, got %d", steps);
    if (terms < 1 || terms > ML_MAX_TERMS)
        return ml_error(ML_EINVAL, "a polynomial must have 1..%d odd terms, got %d", ML_MAX_TERMS, terms);
    s->c = calloc((size_t)steps * (size_t)terms, sizeof(double));
    if (!s->c) return ml_error(ML_ENOMEM, "out of memory for a schedule");
    s->steps = steps;
    s->terms = terms;
    return ML_OK;
}

void ml_schedule_free(ml_schedule *s)
{
    free(s->c);
    s->c = NULL;
    s->steps = s->terms = 0;
}

/* Tables: rows of `terms` coefficients; beyond the last row the last row repeats. A fixed
 * factor s > 0 (safety) evaluates every step's polynomial at x/s: c_k <- c_k / s^(2k+1).
 * run_time_safety > 0: the default of Algorithm 1's run-time factor instead (every table row
 * but the last, and the input; ml_schedule_set_safety), which a caller may change. */
typedef struct {
    const char *name;
    int terms, rows, default_steps;
    const double *c;
    double safety, run_time_safety;
} table;

/* row <- p(x/s): c_k / s^(2k+1) */
static void scale_row(double *c, int terms, double s)
{
    for (int k = 0; k < terms; k++) c[k] /= pow(s, 2 * k + 1);
}

void ml_schedule_set_safety(ml_schedule *s, double safety, int rows)
{
    for (int t = 0; t < rows && t < s->steps; t++) scale_row(s->c + (size_t)t * s->terms, s->terms, safety);
    s->input_scale = safety;
}

/* Higham, Functions of Matrices, ch. 8: Newton-Schulz and its Pade degree-5 and -7 relatives. */
static const double cubic[] = {1.5, -0.5};
static const double quintic[] = {15.0 / 8, -10.0 / 8, 3.0 / 8};
static const double septic[] = {35.0 / 16, -35.0 / 16, 21.0 / 16, -5.0 / 16};
/* KellerJordan/Muon: tuned for speed of reaching ~[0.7, 1.2], not for convergence. */
static const double jordan[] = {3.4445, -4.7750, 2.0315};
/* modded-nanogpt speedrun, per-step coefficients by You Jiacheng (numerators over 1024). */
static const double you[] = {
    3955.0 / 1024, -8306.0 / 1024, 5008.0 / 1024,
    3735.0 / 1024, -6681.0 / 1024, 3463.0 / 1024,
    3799.0 / 1024, -6499.0 / 1024, 3211.0 / 1024,
    4019.0 / 1024, -6385.0 / 1024, 2906.0 / 1024,
    2677.0 / 1024, -3029.0 / 1024, 1162.0 / 1024,
    2172.0 / 1024, -1833.0 / 1024, 682.0 / 1024,
};
/* Polar Express (Amsel et al., arXiv 2505.16932, Algorithm 1), degree 5, l = 1e-3, as
 * published before the run-time safety factor (1.01 by default, applied in ml_schedule_named_safety). */
static const double polar_express[] = {
    8.28721201814563, -23.595886519098837, 17.300387312530933,
    4.107059111542203, -2.9478499167379106, 0.5448431082926601,
    3.9486908534822946, -2.908902115962949, 0.5518191394370137,
    3.3184196573706015, -2.488488024314874, 0.51004894012372,
    2.300652019954817, -1.6689039845747493, 0.4188073119525673,
    1.891301407787398, -1.2679958271945868, 0.37680408948524835,
    1.8750014808534479, -1.2500016453999487, 0.3750001645474248,
    1.875, -1.25, 0.375,
};

static const table tables[] = {
    {"cubic", 2, 1, 10, cubic, 0, 0},
    {"quintic", 3, 1, 10, quintic, 0, 0},
    {"septic", 4, 1, 10, septic, 0, 0},
    {"jordan", 3, 1, 5, jordan, 0, 0},
    {"you", 3, 6, 6, you, 0, 0},
    /* Algorithm 1: rows 1-7 at p(x/1.01), row 8 bare, X_0 = X / (1.01 ||X||_F + 1e-7) */
    {"polar_express", 3, 8, 8, polar_express, 0, ML_SAFETY},
    /* Dao-AILab/gram-newton-schulz's default: Polar Express's first 5 rows at safety 1.05
     * (a/1.05, b/1.05^3, c/1.05^5), for the Gram form with a restart before step 3 */
    {"gram_ns", 3, 5, 5, polar_express, 1.05, 0},
};

const char *const ml_schedule_names[] = {"cubic", "quintic", "septic", "jordan", "you", "polar_express", "gram_ns", NULL};

int ml_schedule_named(ml_schedule *out, const char *name, int steps)
{
    return ml_schedule_named_safety(out, name, steps, 0);
}

int ml_schedule_named_safety(ml_schedule *out, const char *name, int steps, double safety)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const table *t = &tables[i];
        if (strcmp(t->name, name) != 0) continue;
        if (safety != 0 && !t->run_time_safety) {
            out->steps = out->terms = 0;
            out->c = NULL;
            return ml_error(ML_EINVAL, "schedule '%s' has no run-time safety factor (polar_express has)", name);
        }
        if (safety != 0 && !(safety >= 1 && isfinite(safety))) {
            out->steps = out->terms = 0;
            out->c = NULL;
            return ml_error(ML_EINVAL, "safety must be a finite number >= 1, got %g", safety);
        }
        if (steps <= 0) steps = t->default_steps;
        int rc = ml_schedule_alloc(out, steps, t->terms);
        if (rc) return rc;
        for (int s = 0; s < steps; s++) {
            int row = s < t->rows ? s : t->rows - 1;
            double *dst = out->c + (size_t)s * t->terms;
            memcpy(dst, t->c + (size_t)row * t->terms, sizeof(double) * t->terms);
            if (t->safety > 0) scale_row(dst, t->terms, t->safety);
        }
        /* every table row but the last: steps beyond the table repeat the bare last row */
        if (t->run_time_safety) ml_schedule_set_safety(out, safety ? safety : t->run_time_safety, t->rows - 1);
        return ML_OK;
    }
    return ml_error(ML_EINVAL, "unknown schedule '%s' (known: cubic, quintic, septic, jordan, you, polar_express, gram_ns)", name);
}

double ml_schedule_apply(const ml_schedule *s, double x)
{
    x /= s->input_scale;
    /* Once the map overflows it stays at +-inf: a further step would compute inf - inf = NaN. */
    for (int st = 0; st < s->steps && isfinite(x); st++) {
        const double *c = s->c + (size_t)st * s->terms;
        double x2 = x * x, p = 0;
        int top = s->terms - 1;
        while (top > 0 && c[top] == 0) top--;
        if (isinf(x2) && top > 0) return copysign(INFINITY, c[top] * x);   /* the leading term wins */
        for (int k = top; k >= 0; k--) p = p * x2 + c[k];   /* Horner in x^2 */
        x *= p;
    }
    return x;
}

int ml_schedule_image(const ml_schedule *s, double l, double u, double *lo, double *hi)
{
    if (!s || !s->c || s->steps < 1 || s->terms < 1 || s->terms > ML_MAX_TERMS)
        return ml_error(ML_EINVAL, "schedule image: empty or malformed schedule");
    if (!isfinite(l) || !isfinite(u) || l > u)
        return ml_error(ML_EINVAL, "schedule image: need finite l <= u, got [%g, %g]", l, u);
    if (!(s->input_scale >= 1) || !isfinite(s->input_scale))
        return ml_error(ML_EINVAL, "schedule image: input_scale must be a finite number >= 1, got %g", s->input_scale);
    l /= s->input_scale;
    u /= s->input_scale;
    for (int st = 0; st < s->steps && isfinite(l) && isfinite(u); st++)
        ml_poly_odd_image(s->c + (size_t)st * s->terms, s->terms, l, u, &l, &u);
    *lo = l;
    *hi = u;
    return ML_OK;
}

double ml_schedule_error(const ml_schedule *s, double l, double u)
{
    double lo, hi;
    if (ml_schedule_image(s, l, u, &lo, &hi)) return NAN;
    return fmax(fabs(lo - 1), fabs(hi - 1));
}
