#include "metrics.h"
#include "error.h"
#include "ops.h"
#include "polar.h"
#include <math.h>

/* Both metrics are computed in float64 whatever the dtype of X, so that the error of a
 * float32 iterate (~1e-7) is not swamped by the rounding of the metric itself. */
int ml_orth_error(const ml_mat *X, double *fro, double *spec)
{
    if (!ml_mat_all_finite(X)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    ml_mat Xd = {0}, S = {0};
    int tall = X->rows > X->cols;
    size_t k = tall ? X->cols : X->rows;
    int rc = ml_mat_clone(&Xd, X, ML_F64);
    if (!rc) rc = ml_mat_alloc(&S, k, k, ML_F64);
    if (!rc) rc = ml_syrk(&S, 1.0, &Xd, tall ? ML_TRANS : ML_NOTRANS, 0.0);
    if (!rc && !ml_mat_all_finite(&S))
        rc = ml_error(ML_ENUM, "X X^T is beyond the double range (the result cannot be represented)");
    if (!rc) {
        ml_add_diag(&S, -1.0);
        if (fro) *fro = ml_norm_fro(&S);
        if (spec) rc = ml_norm_spectral(&S, spec);
    }
    ml_mat_free(&Xd);
    ml_mat_free(&S);
    return rc;
}

int ml_polar_distance(const ml_mat *X, const ml_mat *A, double *out)
{
    if (!ml_mat_same_shape(X, A))
        return ml_error(ML_EINVAL, "shape mismatch (%zu x %zu vs %zu x %zu)", X->rows, X->cols, A->rows, A->cols);
    ml_mat Ad = {0}, Q = {0};
    int rc = ml_mat_clone(&Ad, A, ML_F64);
    if (!rc) rc = ml_polar(&Q, &Ad, -1);
    if (!rc) rc = ml_norm_fro_diff(X, &Q, out);
    if (!rc && !isfinite(*out)) rc = ml_error(ML_ENUM, "the distance is beyond the double range");
    ml_mat_free(&Ad);
    ml_mat_free(&Q);
    return rc;
}
