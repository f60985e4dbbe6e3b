/* QDWH (Nakatsukasa, Bai, Gygi, SIAM J. Matrix Anal. Appl. 31 (2010); backward stability:
 * Nakatsukasa, Higham, SIMAX 33 (2012); the same rules as JAX lax/qdwh.py and Elemental's
 * Polar/QDWH.hpp). With X_0 = A/alpha (sigma(X_0) in [l, 1]) each iteration applies the
 * dynamically weighted Halley map, the best rational of type (3, 2) for the current [l, 1]:
 *   d = (4 (1 - l^2) / l^4)^(1/3)
 *   a = sqrt(1 + d) + 1/2 sqrt(8 - 4 d + 8 (2 - l^2) / (l^2 sqrt(1 + d))),  b = (a - 1)^2 / 4,
 *   c = a + b - 1,  and l <- l (a + b l^2) / (1 + c l^2);
 *   X <- X (a I + b X^T X)(I + c X^T X)^-1 = (b/c) X + (a - b/c) X (I + c X^T X)^-1.
 * While c > 100 the inverse is applied through a QR factorisation (the backward stable form):
 *   [sqrt(c) X; I] = [Q1; Q2] R   =>   X (I + c X^T X)^-1 = Q1 Q2^T / sqrt(c),
 *   X <- (b/c) X + (a - b/c) / sqrt(c) Q1 Q2^T;
 * after it through a Cholesky factorisation (half the flops, stable once c <= 100):
 *   Z = I + c X^T X = W^T W,   X <- (b/c) X + (a - b/c) X W^-1 W^-T.
 * Stop when ||X_k - X_{k-1}||_F <= (5u)^(1/3) and |1 - l| <= 5u (u = 2^-53): the map is cubically
 * convergent, so the last step leaves an error of about u. X is m x n with m >= n (polar_iter.h). */
#include "qdwh.h"
#include "error.h"
#include "internal/polar_iter.h"
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct qdwh_weights { double a, b, c; } qdwh_weights;

/* The Halley weights for sigma in [l, 1] (d, a, b, c above); l is updated to the image of l. */
static qdwh_weights weights(double *l)
{
    double l2 = *l * *l;
    double d = cbrt(4.0 * (1.0 - l2) / (l2 * l2));
    double sd = sqrt(1.0 + d);
    double a = sd + 0.5 * sqrt(8.0 - 4.0 * d + 8.0 * (2.0 - l2) / (l2 * sd));
    double b = (a - 1.0) * (a - 1.0) / 4.0, c = a + b - 1.0;
    *l = fmin(1.0, *l * (a + b * l2) / (1.0 + c * l2));
    return (qdwh_weights){a, b, c};
}

/* Y <- X (I + c X^T X)^-1 sqrt(c) scaled as described: QR form, Y = Q1 Q2^T. B is (m+n) x n. */
static int qr_step(const double *x, double *y, double *B, double *tau, int m, int n, double c)
{
    int mn = m + n;
    double sc = sqrt(c);
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) B[i + (size_t)j * mn] = sc * x[i + (size_t)j * m];
        for (int i = 0; i < n; i++) B[m + i + (size_t)j * mn] = i == j;
    }
    lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, mn, n, B, mn, tau);
    if (!info) info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, mn, n, n, B, mn, tau);
    if (info) return ml_error(ML_ENUM, "qdwh: QR factorisation failed, info = %d", (int)info);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, n, n, 1.0, B, mn, B + m, mn, 0.0, y, m);
    return ML_OK;
}

/* Y <- X (I + c X^T X)^-1: Cholesky form. Z is n x n. */
static int chol_step(const double *x, double *y, double *Z, int m, int n, double c)
{
    return ml_cm_gram_solve(x, y, Z, m, n, c, 1.0, "qdwh");
}

int ml_polar_qdwh(ml_mat *out, const ml_mat *A, ml_polar_info *info)
{
    ml_polar_info local = {0};
    if (!info) info = &local;
    *info = (ml_polar_info){0};
    ml_tallmat t;
    int rc = ml_polar_prepare(&t, A, "qdwh", 1, info);
    if (rc) return rc;
    int m = t.m, n = t.n;
    size_t len = (size_t)m * (size_t)n;
    double *y = malloc(len * sizeof(double)), *B = malloc((size_t)(m + n) * (size_t)n * sizeof(double));
    double *tau = malloc((size_t)n * sizeof(double));
    if (!y || !B || !tau) rc = ml_error(ML_ENOMEM, "qdwh: out of memory");
    info->factorizations = 1;   /* the QR behind l0 */
    double l = info->l0, u = DBL_EPSILON / 2, tol_dx = cbrt(5 * u);
    int it = 0;
    while (!rc) {
        if (it == ML_QDWH_MAX_ITER) {
            rc = ml_error(ML_ENUM, "qdwh: no convergence after %d iterations (l = %g)", it, l);
            break;
        }
        qdwh_weights w = weights(&l);
        double bc = w.b / w.c;
        if (w.c > 100) {
            rc = qr_step(t.x, y, B, tau, m, n, w.c);
            if (!rc) cblas_dscal((int)len, (w.a - bc) / sqrt(w.c), y, 1);
            info->qr_iterations++;
        } else {
            rc = chol_step(t.x, y, B, m, n, w.c);
            if (!rc) cblas_dscal((int)len, w.a - bc, y, 1);
        }
        if (rc) break;
        info->factorizations++;
        cblas_daxpy((int)len, bc, t.x, 1, y, 1);   /* y = (b/c) X + ... */
        cblas_daxpy((int)len, -1.0, y, 1, t.x, 1);  /* x = X_old - X_new */
        double dx = ml_cm_norm_fro(t.x, m, n);
        double *sw = t.x;
        t.x = y, y = sw;
        it++;
        if (dx <= tol_dx && fabs(1 - l) <= 5 * u) break;
    }
    info->iterations = it;
    if (!rc) rc = ml_tall_store(out, &t, A);
    free(y), free(B), free(tau);
    ml_tall_free(&t);
    return rc;
}
