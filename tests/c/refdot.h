/* The reference for product tests: entry (i, j) of op(A) op(B) (op = transpose when ta / tb) as
 * a long double sum over the K inner terms, and in *bound the sum of their magnitudes (the
 * scale of the rounding error: |err| <= K eps bound for any summation order, Higham 3.1). */
#ifndef ML_TEST_REFDOT_H
#define ML_TEST_REFDOT_H

#include "matrix.h"
#include <math.h>

static inline long double ref_dot(const ml_mat *A, int ta, const ml_mat *B, int tb, size_t i, size_t j, size_t K,
                                  long double *bound)
{
    long double sum = 0, mag = 0;
    for (size_t k = 0; k < K; k++) {
        long double a = ta ? ml_mat_get(A, k, i) : ml_mat_get(A, i, k);
        long double b = tb ? ml_mat_get(B, j, k) : ml_mat_get(B, k, j);
        sum += a * b, mag += fabsl(a * b);
    }
    *bound = mag;
    return sum;
}

#endif
