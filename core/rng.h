/* Seeded, portable random numbers: xoshiro256** seeded through splitmix64, normals by
 * Marsaglia's polar method (only sqrt and log), so a seed gives the same matrix on
 * every IEEE-754 machine with a correctly rounded libm log. */
#ifndef ML_RNG_H
#define ML_RNG_H

#include "matrix.h"

typedef struct ml_rng {
    uint64_t s[4];
    double spare;      /* second normal from the polar method */
    int has_spare;
} ml_rng;

void ml_rng_seed(ml_rng *r, uint64_t seed);
uint64_t ml_rng_next(ml_rng *r);
double ml_rng_uniform(ml_rng *r);   /* [0, 1) with 53 random bits */
double ml_rng_normal(ml_rng *r);

/* Fill m in row-major order. */
void ml_rng_fill_uniform(ml_rng *r, ml_mat *m, double lo, double hi);
void ml_rng_fill_normal(ml_rng *r, ml_mat *m, double mean, double sd);

/* rows x cols with orthonormal columns (rows >= cols) or rows (rows < cols):
 * QR of a Gaussian matrix with the signs of diag(R) folded in, which makes the
 * distribution Haar (Mezzadri 2007). */
int ml_random_orthogonal(ml_mat *out, size_t rows, size_t cols, ml_dtype t, ml_rng *r);

typedef enum {
    ML_SPEC_GEOMETRIC,   /* s_i = cond^(-i/(k-1)): log-uniform from 1 to 1/cond */
    ML_SPEC_LINEAR,      /* linear from 1 to 1/cond */
    ML_SPEC_CLUSTERED,   /* half at 1, half at 1/cond */
    ML_SPEC_POWERLAW,    /* s_i = (i+1)^(-alpha), gradient-like */
    ML_SPEC_LIST         /* user values */
} ml_spectrum_kind;

typedef struct ml_spectrum_opts {
    ml_spectrum_kind kind;
    double cond;          /* > = 1 (geometric, linear, clustered) */
    double alpha;         /* > 0 (powerlaw) */
    double scale;         /* largest singular value, > 0 */
    size_t zeros;         /* the last `zeros` singular values set to 0 (rank-deficient) */
    const double *values; /* kind LIST: min(rows, cols) non-negative values */
    size_t nvalues;
} ml_spectrum_opts;

/* The singular values the options describe, descending, into s[0..k-1], k = min(rows, cols). */
int ml_spectrum_values(const ml_spectrum_opts *o, size_t k, double *s);
/* A = U diag(s) V^T with Haar U (rows x k), V (cols x k). */
int ml_random_spectrum(ml_mat *out, size_t rows, size_t cols, ml_dtype t, const ml_spectrum_opts *o, ml_rng *r);

#endif
