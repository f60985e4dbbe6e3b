/* Dense row-major matrices with float64 or float32 storage.
 *
 * An ml_mat is a small value (shape, stride, pointer) that refers to a
 * reference-counted buffer, so block views share storage with their parent.
 * Element (i, j) lives at data[i*stride + j] (0-based). Every routine that
 * takes sizes from a caller checks them here, once; kernels trust them. */
#ifndef ML_MATRIX_H
#define ML_MATRIX_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ML_F64 = 0, ML_F32 = 1 } ml_dtype;

typedef struct ml_buf {
    size_t refs;
    size_t bytes;
    void *data;        /* the storage, aligned (see ml_mat_alloc) */
    void *block;       /* the calloc block data lies in; NULL when data is a mapping of its own (2 MB and more) */
} ml_buf;

typedef struct ml_mat {
    ml_dtype dtype;
    size_t rows, cols;
    size_t stride;     /* elements between the starts of consecutive rows, >= cols */
    void *data;        /* element (0, 0) */
    ml_buf *buf;       /* owner of the storage; NULL for an empty (unallocated) ml_mat */
} ml_mat;

/* Largest number of elements a single matrix may hold; requests beyond it fail before
 * allocating. It is INT_MAX, the largest dimension, leading dimension and element count the
 * (32-bit integer) BLAS and LAPACK accept: since a view's stride is its parent's column count,
 * every matrix, view and product operand passes to BLAS/LAPACK without an int overflow, checked
 * here once instead of before every call (issue 12 item 2). 16 GiB of float64. */
#define ML_MAX_ELEMS ((size_t)2147483647)

size_t ml_dtype_size(ml_dtype t);
const char *ml_dtype_name(ml_dtype t);
/* Parse "float64"/"f64"/"double" or "float32"/"f32"/"float"; returns 0 or ML_EINVAL. */
int ml_dtype_parse(const char *s, ml_dtype *out);

/* 0 when a rows x cols matrix may be allocated (both >= 1, at most ML_MAX_ELEMS elements),
 * else an error: callers that allocate work buffers first check here. */
int ml_mat_check_dims(size_t rows, size_t cols);
/* Allocate rows x cols, zero-filled. Both dimensions must be >= 1. */
int ml_mat_alloc(ml_mat *m, size_t rows, size_t cols, ml_dtype t);
/* Drop this reference (frees the buffer with the last one) and clear *m. Safe on a cleared ml_mat. */
void ml_mat_free(ml_mat *m);
/* Make *out a new reference to src's storage (no copy). */
void ml_mat_ref(ml_mat *out, const ml_mat *src);
/* Block view: rows r0..r0+nr-1, cols c0..c0+nc-1 of src, sharing storage. */
int ml_mat_view(ml_mat *out, const ml_mat *src, size_t r0, size_t c0, size_t nr, size_t nc);
/* Ensure *m is an allocated rows x cols matrix of dtype t, reusing its buffer when
 * it is the sole owner and large enough (workspaces reused across calls). */
int ml_mat_ensure(ml_mat *m, size_t rows, size_t cols, ml_dtype t);

int ml_mat_is_contiguous(const ml_mat *m);
int ml_mat_same_shape(const ml_mat *a, const ml_mat *b);

static inline double ml_mat_get(const ml_mat *m, size_t i, size_t j)
{
    return m->dtype == ML_F64 ? ((const double *)m->data)[i * m->stride + j]
                              : (double)((const float *)m->data)[i * m->stride + j];
}

static inline void ml_mat_set(ml_mat *m, size_t i, size_t j, double v)
{
    if (m->dtype == ML_F64)
        ((double *)m->data)[i * m->stride + j] = v;
    else
        ((float *)m->data)[i * m->stride + j] = (float)v;
}

/* Aliasing of in-place operations (issue 12 item 3). ml_mat_shares: the storage ranges of a and b
 * (first to last element) intersect. ml_mat_overlap: they intersect and a, b are not the identical
 * view (same first element, stride, shape, dtype), the case where an elementwise kernel writing a
 * may read an element of b it has already overwritten; an identical view is safe in place. */
int ml_mat_shares(const ml_mat *a, const ml_mat *b);
int ml_mat_overlap(const ml_mat *a, const ml_mat *b);
/* *use = src, or src copied into tmp (a cleared ml_mat the caller frees) when it overlaps dst:
 * every in-place operation computes through a temporary, like numpy, never a wrong answer. */
int ml_mat_unalias(const ml_mat *dst, const ml_mat *src, ml_mat *tmp, const ml_mat **use);

/* Copy src into dst element by element (shapes must match; dtypes may differ; any overlap). */
int ml_mat_copy(ml_mat *dst, const ml_mat *src);
/* New contiguous matrix with the contents of src, in dtype t. */
int ml_mat_clone(ml_mat *out, const ml_mat *src, ml_dtype t);
/* New matrix equal to src transposed; _into writes into an allocated cols x rows matrix of the same dtype. */
int ml_mat_transpose(ml_mat *out, const ml_mat *src);
int ml_mat_transpose_into(ml_mat *dst, const ml_mat *src);
/* Reinterpret a contiguous matrix with a new shape (same element count, row-major
 * order); a view when src is contiguous, otherwise a copy. */
int ml_mat_reshape(ml_mat *out, const ml_mat *src, size_t rows, size_t cols);
/* From a row-major array of doubles. */
int ml_mat_from_array(ml_mat *out, size_t rows, size_t cols, const double *a, ml_dtype t);

void ml_mat_fill(ml_mat *m, double v);
void ml_mat_set_eye(ml_mat *m);   /* ones on the diagonal, zeros elsewhere */

/* Total bytes of matrix storage this thread has allocated (monotonic). */
size_t ml_mat_bytes_allocated(void);

/* 1 when every entry is finite. */
int ml_mat_all_finite(const ml_mat *m);
/* The same for a rows x cols block of dtype t at x with row stride ld (a part of a kernel
 * checking what it just wrote, core/attention.c). */
int ml_block_all_finite(ml_dtype t, const void *x, size_t rows, size_t cols, size_t ld);

#endif
