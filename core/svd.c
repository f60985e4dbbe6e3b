#include "svd.h"
#include "error.h"
#include <float.h>
#include <lapacke.h>
#include <stdlib.h>

double ml_rank_tol(const ml_mat *A)
{
    size_t mx = A->rows > A->cols ? A->rows : A->cols;
    return (double)mx * (A->dtype == ML_F64 ? DBL_EPSILON : FLT_EPSILON);
}

/* LAPACK driver on a private contiguous copy (gesdd/gesvd overwrite their input). */
static lapack_int run_lapack(ml_dtype t, char job, int use_gesvd, size_t m, size_t n, void *a, void *s, void *u,
                             void *vt, void *superb)
{
    lapack_int M = (lapack_int)m, N = (lapack_int)n, K = (lapack_int)(m < n ? m : n);
    lapack_int ldu = job == 'N' ? 1 : K, ldvt = N;
    if (t == ML_F64) {
        if (!use_gesvd) return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, job, M, N, a, N, s, u, ldu, vt, ldvt);
        return LAPACKE_dgesvd(LAPACK_ROW_MAJOR, job, job, M, N, a, N, s, u, ldu, vt, ldvt, superb);
    }
    if (!use_gesvd) return LAPACKE_sgesdd(LAPACK_ROW_MAJOR, job, M, N, a, N, s, u, ldu, vt, ldvt);
    return LAPACKE_sgesvd(LAPACK_ROW_MAJOR, job, job, M, N, a, N, s, u, ldu, vt, ldvt, superb);
}

int ml_svd(const ml_mat *A, ml_mat *U, ml_mat *s, ml_mat *V)
{
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    size_t m = A->rows, n = A->cols, k = m < n ? m : n;
    ml_dtype t = A->dtype;
    int want_vectors = U && V;
    char job = want_vectors ? 'S' : 'N';
    ml_mat a = {0}, u = {0}, vt = {0}, superb = {0};
    int rc = ml_mat_clone(&a, A, t);
    if (!rc) rc = ml_mat_alloc(s, k, 1, t);
    if (!rc && want_vectors) rc = ml_mat_alloc(&u, m, k, t);
    if (!rc && want_vectors) rc = ml_mat_alloc(&vt, k, n, t);
    if (!rc) rc = ml_mat_alloc(&superb, k, 1, t);
    if (rc) goto fail;
    lapack_int info = run_lapack(t, job, 0, m, n, a.data, s->data, u.data, vt.data, superb.data);
    if (info > 0) {
        /* gesdd did not converge: retry with the QR-iteration driver on a fresh copy. */
        ml_mat_copy(&a, A);
        info = run_lapack(t, job, 1, m, n, a.data, s->data, u.data, vt.data, superb.data);
    }
    if (info != 0) {
        rc = ml_error(ML_ENUM, "LAPACK SVD failed (info = %d)", (int)info);
        goto fail;
    }
    if (want_vectors) {
        rc = ml_mat_transpose(V, &vt);
        if (rc) goto fail;
        *U = u;
        u.buf = NULL;
    }
    ml_mat_free(&a);
    ml_mat_free(&vt);
    ml_mat_free(&superb);
    return ML_OK;
fail:
    ml_mat_free(&a);
    ml_mat_free(&u);
    ml_mat_free(&vt);
    ml_mat_free(&superb);
    ml_mat_free(s);
    return rc;
}
