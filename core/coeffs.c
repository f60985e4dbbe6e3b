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

/* Tables: rows of `terms` coefficients; beyond the last row the last row repeats. A safety
 * factor s > 0 evaluates every step's polynomial at x/s: c_k <- c_k / s^(2k+1). */
typedef struct {
    const char *name;
    int terms, rows, default_steps;
    const double *c;
    double safety;
} table;

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
/* Polar Express (Amsel et al., arXiv 2505.16932, Algorithm 1), degree 5, l = 1e-3,
 * as published, without the 1.01 safety scaling. */
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
    {"cubic", 2, 1, 10, cubic, 0},
    {"quintic", 3, 1, 10, quintic, 0},
    {"septic", 4, 1, 10, septic, 0},
    {"jordan", 3, 1, 5, jordan, 0},
    {"you", 3, 6, 6, you, 0},
    {"polar_express", 3, 8, 8, polar_express, 0},
    /* Dao-AILab/gram-newton-schulz's default: Polar Express's first 5 rows at safety 1.05
     * (a/1.05, b/1.05^3, c/1.05^5), for the Gram form with a restart before step 3 */
    {"gram_ns", 3, 5, 5, polar_express, 1.05},
};

const char *const ml_schedule_names[] = {"cubic", "quintic", "septic", "jordan", "you", "polar_express", "gram_ns", NULL};

int ml_schedule_named(ml_schedule *out, const char *name, int steps)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const table *t = &tables[i];
        if (strcmp(t->name, name) != 0) continue;
        if (steps <= 0) steps = t->default_steps;
        int rc = ml_schedule_alloc(out, steps, t->terms);
        if (rc) return rc;
        for (int s = 0; s < steps; s++) {
            int row = s < t->rows ? s : t->rows - 1;
            double *dst = out->c + (size_t)s * t->terms;
            memcpy(dst, t->c + (size_t)row * t->terms, sizeof(double) * t->terms);
            for (int k = 0; k < t->terms && t->safety > 0; k++) dst[k] /= pow(t->safety, 2 * k + 1);
        }
        return ML_OK;
    }
    return ml_error(ML_EINVAL, "unknown schedule '%s' (known: cubic, quintic, septic, jordan, you, polar_express, gram_ns)", name);
}

double ml_schedule_apply(const ml_schedule *s, double x)
{
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
