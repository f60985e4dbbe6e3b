/* A strided block transposed (and scaled) into another: shared by ops.c (mirroring the upper
 * triangle of symmetric products) and attention.c (K^T and V^T blocks). */
#ifndef ML_INTERNAL_TRANSPOSE_H
#define ML_INTERNAL_TRANSPOSE_H

#include "../matrix.h"

/* dst (cols x rows, row stride ldd) = scale src^T for src rows x cols (row stride lds), both of
 * dtype t; they must not overlap. */
void ml_transpose_block(ml_dtype t, void *dst, size_t ldd, const void *src, size_t lds, size_t rows, size_t cols,
                        double scale);

#endif
