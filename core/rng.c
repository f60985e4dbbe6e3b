#include "rng.h"
#include "qr.h"
#include "error.h"
#include "ops.h"
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void ml_rng_seed(ml_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
    r->has_spare = 0;
    r->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman & Vigna 2018). */
uint64_t ml_rng_next(ml_rng *r)
{
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ml_rng_uniform(ml_rng *r) { return (double)(ml_rng_next(r) >> 11) * 0x1.0p-53; }

/* Marsaglia's polar method: two independent N(0,1) per accepted pair. */
double ml_rng_normal(ml_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, q;
    do {
        u = 2.0 * ml_rng_uniform(r) - 1.0;
        v = 2.0 * ml_rng_uniform(r) - 1.0;
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    double f = sqrt(-2.0 * log(q) / q);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

void ml_rng_fill_uniform(ml_rng *r, ml_mat *m, double lo, double hi)
{
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) ml_mat_set(m, i, j, lo + (hi - lo) * ml_rng_uniform(r));
}

void ml_rng_fill_normal(ml_rng *r, ml_mat *m, double mean, double sd)
{
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) ml_mat_set(m, i, j, mean + sd * ml_rng_normal(r));
}

/* Tall n x k (n >= k) Haar-distributed orthonormal columns, computed in double: the Q factor
 * of a Gaussian matrix with diag(R) > 0 (ml_qr's sign convention), which makes the
 * distribution Haar. */
static int orthonormal_columns(ml_mat *Q, size_t n, size_t k, ml_rng *r)
{
    ml_mat G = {0}, R = {0};
    int rc = ml_mat_alloc(&G, n, k, ML_F64);
    if (rc) return rc;
    ml_rng_fill_normal(r, &G, 0, 1);
    rc = ml_qr(&G, Q, &R);
    ml_mat_free(&G);
    ml_mat_free(&R);
    return rc;
}

int ml_random_orthogonal(ml_mat *out, size_t rows, size_t cols, ml_dtype t, ml_rng *r)
{
    if (rows == 0 || cols == 0) return ml_error(ML_EINVAL, "empty matrix (%zu x %zu)", rows, cols);
    size_t n = rows > cols ? rows : cols, k = rows > cols ? cols : rows;
    ml_mat Q = {0};
    int rc = orthonormal_columns(&Q, n, k, r);
    if (rc) return rc;
    if (rows >= cols) {
        rc = ml_mat_clone(out, &Q, t);
    } else {
        ml_mat Qt = {0};
        rc = ml_mat_transpose(&Qt, &Q);
        if (!rc) rc = ml_mat_clone(out, &Qt, t);
        ml_mat_free(&Qt);
    }
    ml_mat_free(&Q);
    return rc;
}

int ml_spectrum_values(const ml_spectrum_opts *o, size_t k, double *s)
{
    double cond = o->cond, scale = o->scale;
    if (!(scale > 0) || !isfinite(scale)) return ml_error(ML_EINVAL, "scale must be a finite number > 0");
    if (o->zeros > k) return ml_error(ML_EINVAL, "zeros = %zu exceeds min(rows, cols) = %zu", o->zeros, k);
    if (o->kind != ML_SPEC_LIST && o->kind != ML_SPEC_POWERLAW && (!(cond >= 1) || !isfinite(cond)))
        return ml_error(ML_EINVAL, "cond must be a finite number >= 1, got %g", cond);
    for (size_t i = 0; i < k; i++) {
        double f = k > 1 ? (double)i / (double)(k - 1) : 0.0;
        switch (o->kind) {
        case ML_SPEC_GEOMETRIC: s[i] = pow(cond, -f); break;
        case ML_SPEC_LINEAR: s[i] = 1.0 - f * (1.0 - 1.0 / cond); break;
        case ML_SPEC_CLUSTERED: s[i] = i < (k + 1) / 2 ? 1.0 : 1.0 / cond; break;
        case ML_SPEC_POWERLAW:
            if (!(o->alpha > 0) || !isfinite(o->alpha)) return ml_error(ML_EINVAL, "alpha must be > 0");
            s[i] = pow((double)(i + 1), -o->alpha);
            break;
        case ML_SPEC_LIST:
            if (o->nvalues != k)
                return ml_error(ML_EINVAL, "values: expected %zu singular values, got %zu", k, o->nvalues);
            if (!(o->values[i] >= 0) || !isfinite(o->values[i]))
                return ml_error(ML_EINVAL, "values: singular values must be finite and >= 0");
            s[i] = o->values[i];
            break;
        }
        if (o->kind != ML_SPEC_LIST) s[i] *= scale;
        if (i >= k - o->zeros) s[i] = 0.0;
    }
    return ML_OK;
}

int ml_random_spectrum(ml_mat *out, size_t rows, size_t cols, ml_dtype t, const ml_spectrum_opts *o, ml_rng *r)
{
    int rc = ml_mat_check_dims(rows, cols);   /* before the work buffer below */
    if (rc) return rc;
    size_t k = rows < cols ? rows : cols;
    double *s = malloc(k * sizeof *s);
    if (!s) return ml_error(ML_ENOMEM, "out of memory in spectrum");
    ml_mat U = {0}, V = {0}, A = {0};
    rc = ml_spectrum_values(o, k, s);
    if (!rc) rc = orthonormal_columns(&U, rows, k, r);
    if (!rc) rc = orthonormal_columns(&V, cols, k, r);
    if (!rc) rc = ml_mat_alloc(&A, rows, cols, ML_F64);
    if (!rc) {
        for (size_t j = 0; j < k; j++)
            for (size_t i = 0; i < rows; i++) ml_mat_set(&U, i, j, ml_mat_get(&U, i, j) * s[j]);
        rc = ml_gemm(&A, 1.0, &U, ML_NOTRANS, &V, ML_TRANS, 0.0);
    }
    if (!rc) rc = ml_mat_clone(out, &A, t);
    free(s);
    ml_mat_free(&U);
    ml_mat_free(&V);
    ml_mat_free(&A);
    return rc;
}
