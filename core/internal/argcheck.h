/* Argument checks shared by the layer kernels (nn.c, norm.c, attention.c): the message names
 * the kernel and the operand. Internal: not installed. */
#ifndef ML_ARGCHECK_H
#define ML_ARGCHECK_H

#include "error.h"
#include "matrix.h"

/* m must be r x c. */
static inline int ml_check_shape(const char *fn, const char *what, const ml_mat *m, size_t r, size_t c)
{
    if (m->rows != r || m->cols != c)
        return ml_error(ML_EINVAL, "%s: %s must be %zu x %zu, got %zu x %zu", fn, what, r, c, m->rows, m->cols);
    return ML_OK;
}

/* m must have dtype t, the dtype of the operand named ref. */
static inline int ml_check_dtype(const char *fn, const char *what, const ml_mat *m, ml_dtype t, const char *ref)
{
    if (m->dtype != t)
        return ml_error(ML_EINVAL, "%s: %s is %s, %s is %s", fn, what, ml_dtype_name(m->dtype), ref, ml_dtype_name(t));
    return ML_OK;
}

#endif
