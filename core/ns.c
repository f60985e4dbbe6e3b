#include "ns.h"
#include "error.h"
#include "ops.h"
#include <math.h>

void ml_ns_opts_default(ml_ns_opts *o) { o->eps = 1e-7; }

void ml_ns_work_init(ml_ns_work *w) { *w = (ml_ns_work){0}; }

void ml_ns_work_free(ml_ns_work *w)
{
    ml_mat_free(&w->X);
    ml_mat_free(&w->Y);
    ml_mat_free(&w->A);
    ml_mat_free(&w->B);
    ml_mat_free(&w->C);
}

/* B <- p(A) / x = c0 I + c1 A + c2 A^2 + ... for the odd polynomial p(x) = sum_k c_k x^(2k+1),
 * so that one step is X <- B X. A is symmetric (a Gram matrix) and B is a polynomial in A,
 * hence symmetric too: A^2 = A A^T comes from syrk at half the cost of gemm. */
static int poly_of_gram(ml_ns_work *w, const double *c, int terms)
{
    ml_mat *A = &w->A, *B = &w->B, *T = &w->C;
    int rc = ML_OK;
    if (terms == 1) {
        ml_mat_fill(B, 0.0);
    } else if (terms == 2) {
        rc = ml_mat_copy(B, A);
        ml_scale(B, c[1]);
    } else if (terms == 3) {
        rc = ml_syrk(B, c[2], A, ML_NOTRANS, 0.0);      /* c2 A^2 */
        if (!rc) rc = ml_axpy(B, c[1], A);              /* + c1 A */
    } else {
        /* Horner: B = (((c_{q-1} A + c_{q-2} I) A + ...) A + c_1 I) A */
        rc = ml_mat_copy(B, A);
        ml_scale(B, c[terms - 1]);
        for (int k = terms - 2; k >= 1 && !rc; k--) {
            ml_add_diag(B, c[k]);
            rc = ml_gemm(T, 1.0, B, ML_NOTRANS, A, ML_NOTRANS, 0.0);
            ml_mat tmp = *B;
            *B = *T;
            *T = tmp;
        }
    }
    ml_add_diag(B, c[0]);
    return rc;
}

/* One step on the short side: A = X X^T, X <- p(A)/x applied to X. */
static int ns_step(ml_ns_work *w, const double *c, int terms)
{
    int rc = ml_syrk(&w->A, 1.0, &w->X, ML_NOTRANS, 0.0);
    if (!rc) rc = poly_of_gram(w, c, terms);
    if (!rc) rc = ml_symm(&w->Y, 1.0, &w->B, &w->X, 0.0);
    ml_mat tmp = w->X;
    w->X = w->Y;
    w->Y = tmp;
    return rc;
}

int ml_ns(ml_mat *out, const ml_mat *G, const ml_schedule *sch, const ml_ns_opts *o, ml_ns_work *w)
{
    ml_ns_opts def;
    if (!o) {
        ml_ns_opts_default(&def);
        o = &def;
    }
    if (!(o->eps >= 0) || !isfinite(o->eps)) return ml_error(ML_EINVAL, "eps must be a finite number >= 0");
    if (!sch || sch->steps < 0 || sch->terms < 1) return ml_error(ML_EINVAL, "invalid coefficient schedule");
    if (!ml_mat_all_finite(G)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    ml_ns_work local;
    int own = !w;
    if (own) {
        ml_ns_work_init(&local);
        w = &local;
    }
    int tall = G->rows > G->cols;
    size_t m = tall ? G->cols : G->rows, n = tall ? G->rows : G->cols;
    ml_dtype t = G->dtype;
    int rc = ml_mat_ensure(&w->X, m, n, t);
    if (!rc) rc = ml_mat_ensure(&w->Y, m, n, t);
    if (!rc) rc = ml_mat_ensure(&w->A, m, m, t);
    if (!rc) rc = ml_mat_ensure(&w->B, m, m, t);
    if (!rc && sch->terms > 3) rc = ml_mat_ensure(&w->C, m, m, t);
    if (!rc) rc = tall ? ml_mat_transpose_into(&w->X, G) : ml_mat_copy(&w->X, G);
    if (rc) goto done;

    /* X0 = G / (||G||_F + eps): every singular value of X0 is <= 1. */
    ml_scale(&w->X, 1.0 / (ml_norm_fro(&w->X) + o->eps));
    for (int s = 0; s < sch->steps && !rc; s++) rc = ns_step(w, sch->c + (size_t)s * sch->terms, sch->terms);
    if (rc) goto done;

    if (!(out->buf && out->rows == G->rows && out->cols == G->cols && out->dtype == t))
        rc = ml_mat_ensure(out, G->rows, G->cols, t);
    if (!rc) rc = tall ? ml_mat_transpose_into(out, &w->X) : ml_mat_copy(out, &w->X);
done:
    if (own) ml_ns_work_free(w);
    return rc;
}
