#include "polar.h"
#include "eig_polar.h"
#include "error.h"
#include "newton_polar.h"
#include "qdwh.h"
#include "zolo.h"
#include "ops.h"
#include "svd.h"
#include <math.h>

static const char *const method_names[] = {"svd", "eig", "qdwh", "zolo", "newton"};
#define N_METHODS (int)(sizeof method_names / sizeof *method_names)

int ml_polar_method_parse(const char *s, ml_polar_method *out)
{
    int i, rc = ml_parse_choice("method", method_names, N_METHODS, s, &i);
    if (!rc) *out = (ml_polar_method)i;
    return rc;
}

const char *ml_polar_method_name(ml_polar_method m) { return (unsigned)m < (unsigned)N_METHODS ? method_names[m] : "?"; }

/* out = U diag(f(s_i)) V^T for a map f of the singular values (s descending, s_max = s[0]). */
typedef double (*sv_map)(double s, double smax, const void *ctx);

static int map_singular_values(ml_mat *out, const ml_mat *A, sv_map f, const void *ctx)
{
    ml_mat U = {0}, s = {0}, V = {0};
    int rc = ml_svd(A, &U, &s, &V);
    if (rc) return rc;
    double smax = ml_mat_get(&s, 0, 0);
    for (size_t i = 0; i < s.rows; i++) {
        double fi = f(ml_mat_get(&s, i, 0), smax, ctx);
        for (size_t r = 0; r < U.rows; r++) ml_mat_set(&U, r, i, ml_mat_get(&U, r, i) * fi);
    }
    rc = ml_mat_alloc(out, A->rows, A->cols, A->dtype);
    if (!rc) rc = ml_gemm(out, 1.0, &U, ML_NOTRANS, &V, ML_TRANS, 0.0);
    if (!rc && !ml_mat_all_finite(out))
        rc = ml_error(ML_ENUM, "U f(diag(s)) V^T is beyond the %s range (s_max = %g)", ml_dtype_name(A->dtype), smax);
    if (rc) ml_mat_free(out);
    ml_mat_free(&U);
    ml_mat_free(&s);
    ml_mat_free(&V);
    return rc;
}

struct power { double p, rtol; };

/* s^p above the rank tolerance rtol * s_max, 0 at and below it (for p < 0 too: the map is
 * taken on the numerical range only, like a pseudo-inverse) */
static double power_map(double s, double smax, const void *ctx)
{
    const struct power *c = ctx;
    return s > c->rtol * smax ? (c->p == 0 ? 1.0 : pow(s, c->p)) : 0.0;
}

int ml_spectral_svd(ml_mat *out, const ml_mat *A, double p, double rtol)
{
    if (!isfinite(p)) return ml_error(ML_EINVAL, "power p must be a finite number, got %g", p);
    struct power c = {p, rtol < 0 ? ml_rank_tol(A) : rtol};
    return map_singular_values(out, A, power_map, &c);
}

/* hard: min(s, tau) (MuCon);  soft: s / sqrt(1 + (s/tau)^2), the singular values of
 * (I + A A^T / tau^2)^(-1/2) A (SPECTRA) */
static double clip_hard(double s, double smax, const void *ctx) { return fmin(s, *(const double *)ctx); }
static double clip_soft(double s, double smax, const void *ctx)
{
    double x = s / *(const double *)ctx;
    return s / sqrt(1 + x * x);
}

int ml_spectral_clip_svd(ml_mat *out, const ml_mat *A, double tau, int soft)
{
    if (!(tau > 0) || !isfinite(tau)) return ml_error(ML_EINVAL, "tau must be a finite number > 0, got %g", tau);
    return map_singular_values(out, A, soft ? clip_soft : clip_hard, &tau);
}

int ml_polar(ml_mat *out, const ml_mat *A, double rtol) { return ml_spectral_svd(out, A, 0.0, rtol); }

int ml_polar_by(ml_mat *out, const ml_mat *A, ml_polar_method m, double rtol, ml_polar_info *info)
{
    ml_polar_info local;
    if (!info) info = &local;
    *info = (ml_polar_info){0};
    switch (m) {
    case ML_POLAR_SVD: return ml_polar(out, A, rtol);     /* LAPACK scales internally */
    case ML_POLAR_EIG: return ml_polar_eig(out, A, rtol); /* prescales itself */
    case ML_POLAR_QDWH:
    case ML_POLAR_ZOLO:
    case ML_POLAR_NEWTON: break;
    default: return ml_error(ML_EINVAL, "invalid polar method %d", (int)m);
    }
    /* The iterations' norm and condition estimates under- or overflow far from unit size (at 1e-300
     * QDWH called full-rank input rank-deficient): run on 2^e A, whose polar factor is A's. */
    ml_mat As = {0};
    int rc = ML_OK, e = A && A->buf ? ml_scale_exponent(ml_norm_maxabs(A), ML_SCALE_WINDOW(A->dtype)) : 0;
    if (e) {
        rc = ml_mat_clone(&As, A, A->dtype);
        ml_mat_ldexp(&As, e);
        A = &As;
    }
    if (!rc) rc = m == ML_POLAR_QDWH ? ml_polar_qdwh(out, A, info)
                : m == ML_POLAR_ZOLO ? ml_polar_zolo(out, A, info)
                                     : ml_polar_newton(out, A, info);
    ml_mat_free(&As);
    return rc;
}
