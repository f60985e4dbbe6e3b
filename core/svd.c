#include "svd.h"
#include "error.h"
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <stdio.h>
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

size_t ml_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return SIZE_MAX;
    char line[256];
    unsigned long long kb = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
    fclose(f);
    return found && kb < SIZE_MAX / 1024 ? (size_t)kb * 1024 : SIZE_MAX;
}

/* gesdd's optimal workspace (LAPACK's own query, lwork = -1), in elements; -1 if the query fails. */
static double gesdd_lwork(ml_dtype t, char job, size_t m, size_t n)
{
    lapack_int M = (lapack_int)m, N = (lapack_int)n, K = (lapack_int)(m < n ? m : n);
    lapack_int ldu = job == 'N' ? 1 : K, iwork[1];
    double dummy[1], q = 0;
    float fdummy[1], fq = 0;
    lapack_int info;
    if (t == ML_F64) {
        info = LAPACKE_dgesdd_work(LAPACK_ROW_MAJOR, job, M, N, dummy, N, dummy, dummy, ldu, dummy, N, &q, -1, iwork);
    } else {
        info = LAPACKE_sgesdd_work(LAPACK_ROW_MAJOR, job, M, N, fdummy, N, fdummy, fdummy, ldu, fdummy, N, &fq, -1, iwork);
        q = fq;
    }
    return info == 0 ? q : -1;
}

int ml_svd_memory(size_t m, size_t n, ml_dtype t, int want_vectors, size_t *bytes)
{
    size_t k = m < n ? m : n, es = ml_dtype_size(t);
    char job = want_vectors ? 'S' : 'N';
    if (m > INT_MAX || n > INT_MAX)
        return ml_error(ML_EINVAL, "a %zu x %zu SVD exceeds LAPACK's 32-bit dimensions", m, n);
    double lwork = gesdd_lwork(t, job, m, n);
    if (lwork < 0) return ml_error(ML_ENUM, "LAPACK's workspace query for a %zu x %zu SVD failed", m, n);
    if (lwork > INT_MAX)
        return ml_error(ML_ENOMEM, "a %zu x %zu SVD needs a LAPACK workspace of %.3g elements, more than its 32-bit "
                        "index allows (%d)", m, n, lwork, INT_MAX);
    /* our copy of A, U, V^T, V and the transposed copies LAPACKE makes for row-major input */
    double elems = lwork + 2.0 * ((double)m * n + (want_vectors ? (double)m * k + 2.0 * k * n : 0)) + 2.0 * k;
    double b = elems * (double)es + 8.0 * (double)k * sizeof(lapack_int);
    *bytes = b >= (double)SIZE_MAX ? SIZE_MAX : (size_t)b;
    size_t avail = ml_mem_available();
    if (*bytes > avail)
        return ml_error(ML_ENOMEM, "a %zu x %zu SVD needs about %.1f GB (LAPACK workspace and copies), more than the "
                        "%.1f GB of memory available", m, n, b / 1e9, (double)avail / 1e9);
    return ML_OK;
}

int ml_svd(const ml_mat *A, ml_mat *U, ml_mat *s, ml_mat *V)
{
    size_t m = A->rows, n = A->cols, k = m < n ? m : n;
    ml_dtype t = A->dtype;
    int want_vectors = U && V;
    char job = want_vectors ? 'S' : 'N';
    size_t bytes;
    /* up front: otherwise LAPACKE's own allocation fails after the copies (info = -1010) */
    int rc = ml_svd_memory(m, n, t, want_vectors, &bytes);
    if (rc) return rc;
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    ml_mat a = {0}, u = {0}, vt = {0}, superb = {0};
    rc = ml_mat_clone(&a, A, t);
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
