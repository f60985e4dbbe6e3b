/* Small products through libxsmm (internal/smallmm.h). */
#include "internal/smallmm.h"
#include "blas_core.h"
#include "internal/blas_split.h"
#include <libxsmm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Above this many multiply-adds OpenBLAS's packed kernels win. Measured on the AVX2 machine at 1
 * thread, contiguous fp32 operands, OpenBLAS time / libxsmm time: 64 x 64 x 32 2.09, 128 x 128 x 32
 * 1.77, 128 x 128 x 64 1.39, 96^3 1.24, 128^3 0.86, 256 x 256 x 64 1.06, 256 x 64 x 256 0.90. */
#define SMALLMM_MAX_MNK (128 * 128 * 64)

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int use_jit = 1;

static void read_env(void)
{
    const char *s = getenv("ML_SMALLMM");
    use_jit = !(s && strcmp(s, "blas") == 0);
}

void ml_smallmm_plan(ml_smallmm *p, ml_dtype t, int ta, int tb, size_t M, size_t N, size_t K, size_t lda, size_t ldb,
                     size_t ldc)
{
    pthread_once(&env_once, read_env);
    *p = (ml_smallmm){.t = t, .ta = ta, .tb = tb, .M = (int)M, .N = (int)N, .K = (int)K,
                      .lda = (int)lda, .ldb = (int)ldb, .ldc = (int)ldc};
    /* libxsmm generates column-major op(a) = a only (no transposed first operand): row-major
     * A B^T would need it, so it stays with cblas. */
    if (!use_jit || tb || (double)M * (double)N * (double)K > SMALLMM_MAX_MNK) return;
    /* column-major C^T (N x M) = op(B)^T (N x K) op(A)^T (K x M): a = B, b = A (transposed when ta) */
    libxsmm_blasint m = (libxsmm_blasint)N, n = (libxsmm_blasint)M, k = (libxsmm_blasint)K;
    libxsmm_blasint la = (libxsmm_blasint)ldb, lb = (libxsmm_blasint)lda, lc = (libxsmm_blasint)ldc;
    int flags = LIBXSMM_GEMM_FLAG_BETA_0 | (ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0), prefetch = LIBXSMM_PREFETCH_NONE;
    if (t == ML_F64) {
        double alpha = 1, beta = 0;
        p->fd = (void (*)(const double *, const double *, double *, ...))libxsmm_dmmdispatch(
            m, n, k, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch);
    } else {
        float alpha = 1, beta = 0;
        p->fs = (void (*)(const float *, const float *, float *, ...))libxsmm_smmdispatch(
            m, n, k, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch);
    }
}

void ml_smallmm_run(const ml_smallmm *p, const void *A, const void *B, void *C)
{
    if (p->fs) {
        p->fs(B, A, C);
        return;
    }
    if (p->fd) {
        p->fd(B, A, C);
        return;
    }
    ml_blas_gemm1(p->t, p->ta, p->tb, (size_t)p->M, (size_t)p->N, (size_t)p->K, 1.0, A, (size_t)p->lda, B,
                  (size_t)p->ldb, 0.0, C, (size_t)p->ldc);
}

const char *ml_smallmm_target(void) { return libxsmm_get_target_arch(); }

int ml_smallmm_jit(const ml_smallmm *p)
{
    return p->fs || p->fd;
}
