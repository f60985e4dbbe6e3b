/* Scaled Newton iteration (Higham, "Computing the polar decomposition — with applications", SIAM
 * J. Sci. Stat. Comput. 7 (1986); Functions of Matrices (2008) Alg. 8.20):
 *   X_0 = A,  X_{k+1} = 1/2 (mu_k X_k + mu_k^-1 X_k^-T),
 *   mu_k = (||X_k^-1||_1 ||X_k^-1||_inf / (||X_k||_1 ||X_k||_inf))^(1/4)   (the 1,inf-norm scaling),
 * with mu = 1 once ||X_{k+1} - X_k||_F <= 1e-2 ||X_{k+1}||_F (the scaling is then ~1 and could only
 * spoil the quadratic convergence). The error after a step is about the square of the step's
 * change, so the iteration stops after the step whose relative change is <= sqrt(10 n u).
 * Square only (X^-T); the inverse through LU with partial pivoting (getrf + getri), whose
 * condition estimate (gecon) at the first step rejects numerically singular input. Works in
 * float64 on a column-major copy. */
#include "newton_polar.h"
#include "error.h"
#include "internal/polar_iter.h"
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ml_polar_newton(ml_mat *out, const ml_mat *A, ml_polar_info *info)
{
    ml_polar_info local = {0};
    if (!info) info = &local;
    *info = (ml_polar_info){0};
    if (A && A->buf && A->rows != A->cols)
        return ml_error(ML_EINVAL, "newton: the Newton iteration needs a square matrix, got %zux%zu (use method "
                                   "'qdwh' or 'zolo')", A->rows, A->cols);
    ml_tallmat t;
    int rc = ml_polar_prepare(&t, A, "newton", 0, info);
    if (rc) return rc;
    int n = t.n;
    size_t len = (size_t)n * (size_t)n;
    double *inv = malloc(len * sizeof(double));
    lapack_int *piv = malloc((size_t)n * sizeof(lapack_int));
    if (!inv || !piv) rc = ml_error(ML_ENOMEM, "newton: out of memory");
    double tol = sqrt(DBL_EPSILON), change = INFINITY;
    int it = 0;
    while (!rc) {
        if (it == ML_NEWTON_POLAR_MAX_ITER) {
            rc = ml_error(ML_ENUM, "newton: no convergence after %d iterations", it);
            break;
        }
        memcpy(inv, t.x, len * sizeof(double));
        double n1 = ml_cm_norm_1(t.x, n, n), ninf = ml_cm_norm_inf(t.x, n, n);
        lapack_int lu = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, inv, n, piv);
        if (lu > 0) {
            rc = ml_polar_rank_error("newton", 0.0);
            break;
        }
        if (it == 0) {
            double rcond = 0;
            lu = LAPACKE_dgecon(LAPACK_COL_MAJOR, '1', n, inv, n, n1, &rcond);
            if (!lu && !(rcond >= DBL_EPSILON)) {
                rc = ml_polar_rank_error("newton", rcond);
                break;
            }
        }
        if (!lu) lu = LAPACKE_dgetri(LAPACK_COL_MAJOR, n, inv, n, piv);
        if (lu) {
            rc = ml_error(ML_ENUM, "newton: LU inverse failed, info = %d", (int)lu);
            break;
        }
        info->factorizations++;
        double mu = change <= 1e-2 ? 1.0
                                   : pow(ml_cm_norm_1(inv, n, n) * ml_cm_norm_inf(inv, n, n) / (n1 * ninf), 0.25);
        /* inv <- X_new - X_old = (mu/2 - 1) X + 1/(2 mu) X^-T: transpose in place first */
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                double s = inv[i + (size_t)j * n];
                inv[i + (size_t)j * n] = inv[j + (size_t)i * n];
                inv[j + (size_t)i * n] = s;
            }
        cblas_dscal((int)len, 0.5 / mu, inv, 1);
        cblas_daxpy((int)len, 0.5 * mu - 1.0, t.x, 1, inv, 1);
        cblas_daxpy((int)len, 1.0, inv, 1, t.x, 1);
        change = ml_cm_norm_fro(inv, n, n) / ml_cm_norm_fro(t.x, n, n);
        it++;
        if (change <= tol) break;
    }
    info->iterations = it;
    if (!rc) rc = ml_tall_store(out, &t, A);
    free(inv), free(piv);
    ml_tall_free(&t);
    return rc;
}
