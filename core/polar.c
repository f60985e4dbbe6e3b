#include "polar.h"
#include "error.h"
#include "ops.h"
#include "svd.h"
#include <math.h>

static const char *const method_names[] = {"svd", "eig"};

int ml_polar_method_parse(const char *s, ml_polar_method *out)
{
    int i, rc = ml_parse_choice("method", method_names, 2, s, &i);
    if (!rc) *out = (ml_polar_method)i;
    return rc;
}

const char *ml_polar_method_name(ml_polar_method m) { return (unsigned)m < 2 ? method_names[m] : "?"; }

/* out = U diag(f(s)) V^T with f(s) = s^p above the rank tolerance and 0 below. */
int ml_spectral_svd(ml_mat *out, const ml_mat *A, double p, double rtol)
{
    if (!(p >= 0) || !isfinite(p)) return ml_error(ML_EINVAL, "power p must be a finite number >= 0, got %g", p);
    ml_mat U = {0}, s = {0}, V = {0};
    int rc = ml_svd(A, &U, &s, &V);
    if (rc) return rc;
    double smax = ml_mat_get(&s, 0, 0);
    double tol = (rtol < 0 ? ml_rank_tol(A) : rtol) * smax;
    for (size_t i = 0; i < s.rows; i++) {
        double si = ml_mat_get(&s, i, 0);
        double f = si > tol ? (p == 0 ? 1.0 : pow(si, p)) : 0.0;
        for (size_t r = 0; r < U.rows; r++) ml_mat_set(&U, r, i, ml_mat_get(&U, r, i) * f);
    }
    rc = ml_mat_alloc(out, A->rows, A->cols, A->dtype);
    if (!rc) rc = ml_gemm(out, 1.0, &U, ML_NOTRANS, &V, ML_TRANS, 0.0);
    if (rc) ml_mat_free(out);
    ml_mat_free(&U);
    ml_mat_free(&s);
    ml_mat_free(&V);
    return rc;
}

int ml_polar(ml_mat *out, const ml_mat *A, double rtol) { return ml_spectral_svd(out, A, 0.0, rtol); }
