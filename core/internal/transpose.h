/* A strided block transposed (and scaled) into another: shared by ops.c (mirroring the upper
 * triangle of symmetric products) and attention.c (K^T and V^T blocks). */
#ifndef ML_INTERNAL_TRANSPOSE_H
#define ML_INTERNAL_TRANSPOSE_H

#include "../matrix.h"

/* dst (cols x rows, row stride ldd) = scale src^T for src rows x cols (row stride lds), both of
 * dtype t; they must not overlap. */
void ml_transpose_block(ml_dtype t, void *dst, size_t ldd, const void *src, size_t lds, size_t rows, size_t cols,
                        double scale);

/* The lower triangle of rows [a, b)'s columns from the upper triangle of rows [a, b): C[j][i] =
 * C[i][j] for a <= i < b, j > i (C n x n, row stride ldc). Writes only below the diagonal, in
 * columns [a, b), and reads only rows [a, b): parts owning disjoint row ranges of a product's
 * upper triangle mirror their own rows concurrently (blas_split.c). */
void ml_mirror_upper_rows(ml_dtype t, void *C, size_t ldc, size_t n, size_t a, size_t b);

#endif
