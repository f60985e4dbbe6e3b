#include "matrix.h"
#include "internal/simd.h"
#include "error.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
/* Memory around matrix storage is made inaccessible to AddressSanitizer and to valgrind's memcheck
 * (its client requests are no-ops outside valgrind), so an overrun into it is still reported;
 * memcheck is also told of the mapped blocks (ML_MALLOCLIKE), so it reports them when leaked. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ML_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ML_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define ML_MAP_LARGE 0   /* large blocks from ASan's allocator too: LeakSanitizer tracks them */
#elif defined(__has_include) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define ML_POISON(p, n) VALGRIND_MAKE_MEM_NOACCESS(p, n)
#define ML_UNPOISON(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#define ML_MALLOCLIKE(p, n) VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, 1)
#define ML_FREELIKE(p) VALGRIND_FREELIKE_BLOCK(p, 0)
#endif
#ifndef ML_MAP_LARGE
#define ML_MAP_LARGE 1
#endif
#ifndef ML_POISON
#define ML_POISON(p, n) ((void)(p), (void)(n))
#define ML_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#ifndef ML_MALLOCLIKE
#define ML_MALLOCLIKE(p, n) ((void)(p), (void)(n))
#define ML_FREELIKE(p) ((void)(p))
#endif

size_t ml_dtype_size(ml_dtype t) { return t == ML_F64 ? sizeof(double) : sizeof(float); }
const char *ml_dtype_name(ml_dtype t) { return t == ML_F64 ? "float64" : "float32"; }

int ml_dtype_parse(const char *s, ml_dtype *out)
{
    if (!strcasecmp(s, "float64") || !strcasecmp(s, "f64") || !strcasecmp(s, "double")) {
        *out = ML_F64;
        return ML_OK;
    }
    if (!strcasecmp(s, "float32") || !strcasecmp(s, "f32") || !strcasecmp(s, "float")) {
        *out = ML_F32;
        return ML_OK;
    }
    return ml_error(ML_EINVAL, "unknown dtype '%s' (expected float64 or float32)", s);
}

int ml_mat_check_dims(size_t rows, size_t cols)
{
    if (rows == 0 || cols == 0)
        return ml_error(ML_EINVAL, "empty matrix (%zu x %zu): both dimensions must be at least 1", rows, cols);
    if (rows > ML_MAX_ELEMS / cols)
        return ml_error(ML_ENOMEM, "%zu x %zu matrix is too large (more than %zu elements, the BLAS/LAPACK int limit)",
                        rows, cols, (size_t)ML_MAX_ELEMS);
    return ML_OK;
}

static void clear(ml_mat *m) { memset(m, 0, sizeof *m); }

/* Bytes of matrix storage allocated so far (never decremented): lets a garbage-collected
 * host pace its collector by the storage it cannot see. */
static _Thread_local size_t bytes_allocated;
size_t ml_mat_bytes_allocated(void) { return bytes_allocated; }

/* Matrix storage, zeroed. Aligned to a cache line, so that no vector load of an aligned row
 * straddles two lines. From 2 MB on, its own mapping aligned to 2 MB, with its whole 2 MB pages
 * marked for transparent huge pages (madvise: Debian's default THP mode leaves other memory on
 * 4 KB pages; a no-op when THP is off): one TLB entry then maps 2 MB instead of 4 KB, and BLAS's
 * packing walks large operands by columns. Measured: the GPT step of bench/run.lua (fp32, 1
 * thread, AVX2 kernels) 3.3% faster, 6 alternated pairs. The mapping is cut to the pages the
 * storage needs (fresh pages are zero, touched only when used) and unmapped when freed, so a
 * large matrix holds no more memory than its pages, whatever the allocator did before (an
 * aligned calloc block one alignment longer had, in glibc's heap, cleared and kept the slack:
 * 13 MB resident for 7.4 MB of matrices churned, against 7 MB with plain calloc). Other blocks
 * (small ones; all under ASan) come from calloc, one alignment longer; the slack is poisoned. */
#define HUGE_PAGE ((size_t)2 << 20)
#define CACHE_LINE ((size_t)64)

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }
static size_t page_bytes(size_t bytes, size_t pg) { return (bytes + pg - 1) / pg * pg; }

/* The alignment of storage of this many bytes (and the slack of its calloc block). */
static size_t block_align(size_t bytes) { return bytes >= HUGE_PAGE ? HUGE_PAGE : CACHE_LINE; }

/* The mapping: the storage's pages, then one inaccessible guard page (an overrun faults, and
 * valgrind reports it, instead of landing in whatever is mapped next). */
static void *map_aligned(size_t bytes)
{
    size_t pg = page_size(), len = page_bytes(bytes, pg), span = len + pg + HUGE_PAGE;
    if (len < bytes || span < len) return NULL;
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    char *p = m + (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
    if (p > m) munmap(m, (size_t)(p - m));
    if (m + span > p + len + pg) munmap(p + len + pg, (size_t)(m + span - (p + len + pg)));
    mprotect(p + len, pg, PROT_NONE);
    madvise(p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
    ML_MALLOCLIKE(p, bytes);
    ML_POISON(p + bytes, len - bytes);
    return p;
}

/* *block: what free_block takes (NULL for a mapping of its own). */
static void *alloc_zeroed(size_t bytes, void **block)
{
    *block = NULL;
    if (ML_MAP_LARGE && bytes >= HUGE_PAGE) return map_aligned(bytes);
    size_t align = block_align(bytes);
    char *raw = bytes <= SIZE_MAX - align ? calloc(1, bytes + align) : NULL;
    if (!raw) return NULL;
    char *p = raw + (align - (uintptr_t)raw % align) % align;
    ML_POISON(raw, (size_t)(p - raw));
    ML_POISON(p + bytes, (size_t)(raw + bytes + align - (p + bytes)));
    *block = raw;
    return p;
}

static void free_block(void *block, void *data, size_t bytes)
{
    if (!block) {   /* map_aligned: the storage's pages and the guard page */
        size_t pg = page_size();
        ML_FREELIKE(data);
        munmap(data, page_bytes(bytes, pg) + pg);
        return;
    }
    ML_UNPOISON(block, bytes + block_align(bytes));
    free(block);
}

int ml_mat_alloc(ml_mat *m, size_t rows, size_t cols, ml_dtype t)
{
    clear(m);
    int rc = ml_mat_check_dims(rows, cols);
    if (rc) return rc;
    size_t bytes = rows * cols * ml_dtype_size(t);
    ml_buf *b = malloc(sizeof *b);
    void *block = NULL, *d = b ? alloc_zeroed(bytes, &block) : NULL;
    if (!d) {
        free(b);
        return ml_error(ML_ENOMEM, "out of memory allocating a %zu x %zu %s matrix", rows, cols, ml_dtype_name(t));
    }
    bytes_allocated += bytes;
    b->refs = 1;
    b->bytes = bytes;
    b->data = d;
    b->block = block;
    m->dtype = t;
    m->rows = rows;
    m->cols = cols;
    m->stride = cols;
    m->data = d;
    m->buf = b;
    return ML_OK;
}

void ml_mat_free(ml_mat *m)
{
    if (m->buf && --m->buf->refs == 0) {
        free_block(m->buf->block, m->buf->data, m->buf->bytes);
        free(m->buf);
    }
    clear(m);
}

void ml_mat_ref(ml_mat *out, const ml_mat *src)
{
    *out = *src;
    if (out->buf) out->buf->refs++;
}

int ml_mat_view(ml_mat *out, const ml_mat *src, size_t r0, size_t c0, size_t nr, size_t nc)
{
    if (nr == 0 || nc == 0 || r0 >= src->rows || c0 >= src->cols || nr > src->rows - r0 || nc > src->cols - c0)
        return ml_error(ML_EINVAL, "block of %zu x %zu at (%zu, %zu) does not fit in a %zu x %zu matrix", nr, nc,
                        r0 + 1, c0 + 1, src->rows, src->cols);
    ml_mat_ref(out, src);
    out->rows = nr;
    out->cols = nc;
    out->data = (char *)src->data + (r0 * src->stride + c0) * ml_dtype_size(src->dtype);
    return ML_OK;
}

int ml_mat_ensure(ml_mat *m, size_t rows, size_t cols, ml_dtype t)
{
    int rc = ml_mat_check_dims(rows, cols);
    if (rc) return rc;
    if (m->buf && m->buf->refs == 1 && m->data == m->buf->data && m->buf->bytes >= rows * cols * ml_dtype_size(t)) {
        m->dtype = t;
        m->rows = rows;
        m->cols = cols;
        m->stride = cols;
        return ML_OK;
    }
    ml_mat_free(m);
    return ml_mat_alloc(m, rows, cols, t);
}

int ml_mat_is_contiguous(const ml_mat *m) { return m->stride == m->cols || m->rows == 1; }
int ml_mat_same_shape(const ml_mat *a, const ml_mat *b) { return a->rows == b->rows && a->cols == b->cols; }

int ml_mat_shares(const ml_mat *a, const ml_mat *b)
{
    if (!a->buf || !b->buf || a->buf != b->buf) return 0;
    const char *a0 = a->data, *b0 = b->data;
    const char *a1 = a0 + ((a->rows - 1) * a->stride + a->cols) * ml_dtype_size(a->dtype);
    const char *b1 = b0 + ((b->rows - 1) * b->stride + b->cols) * ml_dtype_size(b->dtype);
    return a0 < b1 && b0 < a1;
}

int ml_mat_overlap(const ml_mat *a, const ml_mat *b)
{
    int identical = a->data == b->data && a->stride == b->stride && a->dtype == b->dtype && ml_mat_same_shape(a, b);
    return !identical && ml_mat_shares(a, b);
}

int ml_mat_unalias(const ml_mat *dst, const ml_mat *src, ml_mat *tmp, const ml_mat **use)
{
    *use = src;
    if (!ml_mat_overlap(dst, src)) return ML_OK;
    int rc = ml_mat_clone(tmp, src, src->dtype);
    if (!rc) *use = tmp;
    return rc;
}

int ml_mat_copy(ml_mat *dst, const ml_mat *src)
{
    if (!ml_mat_same_shape(dst, src))
        return ml_error(ML_EINVAL, "shape mismatch: %zu x %zu vs %zu x %zu", dst->rows, dst->cols, src->rows, src->cols);
    if (dst->data == src->data && dst->stride == src->stride && dst->dtype == src->dtype) return ML_OK;
    if (ml_mat_overlap(dst, src)) {   /* e.g. a block copied one row down onto itself */
        ml_mat t = {0};
        int rc = ml_mat_clone(&t, src, src->dtype);
        if (!rc) rc = ml_mat_copy(dst, &t);
        ml_mat_free(&t);
        return rc;
    }
    for (size_t i = 0; i < src->rows; i++) {
        if (dst->dtype == src->dtype) {
            size_t es = ml_dtype_size(src->dtype);
            memmove((char *)dst->data + i * dst->stride * es, (const char *)src->data + i * src->stride * es,
                    src->cols * es);
        } else if (dst->dtype == ML_F64) {
            double *d = (double *)dst->data + i * dst->stride;
            const float *s = (const float *)src->data + i * src->stride;
            for (size_t j = 0; j < src->cols; j++) d[j] = s[j];
        } else {
            float *d = (float *)dst->data + i * dst->stride;
            const double *s = (const double *)src->data + i * src->stride;
            for (size_t j = 0; j < src->cols; j++) d[j] = (float)s[j];
        }
    }
    return ML_OK;
}

int ml_mat_clone(ml_mat *out, const ml_mat *src, ml_dtype t)
{
    int rc = ml_mat_alloc(out, src->rows, src->cols, t);
    if (rc) return rc;
    return ml_mat_copy(out, src);
}

int ml_mat_transpose_into(ml_mat *dst, const ml_mat *src)
{
    if (dst->rows != src->cols || dst->cols != src->rows || dst->dtype != src->dtype)
        return ml_error(ML_EINVAL, "transpose: destination must be %zu x %zu %s", src->cols, src->rows,
                        ml_dtype_name(src->dtype));
    /* Blocked so both sides stay in cache on large matrices. */
    const size_t B = 32;
    for (size_t i0 = 0; i0 < src->rows; i0 += B)
        for (size_t j0 = 0; j0 < src->cols; j0 += B) {
            size_t i1 = i0 + B < src->rows ? i0 + B : src->rows;
            size_t j1 = j0 + B < src->cols ? j0 + B : src->cols;
            if (src->dtype == ML_F64) {
                const double *s = src->data;
                double *d = dst->data;
                for (size_t i = i0; i < i1; i++)
                    for (size_t j = j0; j < j1; j++) d[j * dst->stride + i] = s[i * src->stride + j];
            } else {
                const float *s = src->data;
                float *d = dst->data;
                for (size_t i = i0; i < i1; i++)
                    for (size_t j = j0; j < j1; j++) d[j * dst->stride + i] = s[i * src->stride + j];
            }
        }
    return ML_OK;
}

int ml_mat_transpose(ml_mat *out, const ml_mat *src)
{
    int rc = ml_mat_alloc(out, src->cols, src->rows, src->dtype);
    if (rc) return rc;
    return ml_mat_transpose_into(out, src);
}

int ml_mat_reshape(ml_mat *out, const ml_mat *src, size_t rows, size_t cols)
{
    int rc = ml_mat_check_dims(rows, cols);
    if (rc) return rc;
    if (rows * cols != src->rows * src->cols)
        return ml_error(ML_EINVAL, "cannot reshape %zu x %zu (%zu elements) to %zu x %zu", src->rows, src->cols,
                        src->rows * src->cols, rows, cols);
    if (ml_mat_is_contiguous(src)) {
        ml_mat_ref(out, src);
    } else {
        rc = ml_mat_clone(out, src, src->dtype);
        if (rc) return rc;
    }
    out->rows = rows;
    out->cols = cols;
    out->stride = cols;
    return ML_OK;
}

int ml_mat_from_array(ml_mat *out, size_t rows, size_t cols, const double *a, ml_dtype t)
{
    int rc = ml_mat_alloc(out, rows, cols, t);
    if (rc) return rc;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) ml_mat_set(out, i, j, a[i * cols + j]);
    return ML_OK;
}

void ml_mat_fill(ml_mat *m, double v)
{
    for (size_t i = 0; i < m->rows; i++) {
        if (m->dtype == ML_F64) {
            double *r = (double *)m->data + i * m->stride;
            for (size_t j = 0; j < m->cols; j++) r[j] = v;
        } else {
            float *r = (float *)m->data + i * m->stride;
            for (size_t j = 0; j < m->cols; j++) r[j] = (float)v;
        }
    }
}

void ml_mat_set_eye(ml_mat *m)
{
    ml_mat_fill(m, 0.0);
    size_t k = m->rows < m->cols ? m->rows : m->cols;
    for (size_t i = 0; i < k; i++) ml_mat_set(m, i, i, 1.0);
}

/* Whether a rows x cols block (row stride ld) holds a NaN or Inf (exponent bits all ones), as
 * an integer test that vectorizes; built for x86-64-v3 too. Stops after the first such row. */
ML_CLONES static int block_nonfinite_d(const uint64_t *x, size_t rows, size_t cols, size_t ld)
{
    for (size_t i = 0; i < rows; i++) {
        const uint64_t *r = x + i * ld;
        uint64_t bad = 0;
#pragma omp simd reduction(| : bad)
        for (size_t j = 0; j < cols; j++) bad |= (r[j] & 0x7FF0000000000000ull) == 0x7FF0000000000000ull;
        if (bad) return 1;
    }
    return 0;
}

ML_CLONES static int block_nonfinite_f(const uint32_t *x, size_t rows, size_t cols, size_t ld)
{
    for (size_t i = 0; i < rows; i++) {
        const uint32_t *r = x + i * ld;
        uint32_t bad = 0;
#pragma omp simd reduction(| : bad)
        for (size_t j = 0; j < cols; j++) bad |= (r[j] & 0x7F800000u) == 0x7F800000u;
        if (bad) return 1;
    }
    return 0;
}

int ml_block_all_finite(ml_dtype t, const void *x, size_t rows, size_t cols, size_t ld)
{
    return t == ML_F64 ? !block_nonfinite_d(x, rows, cols, ld) : !block_nonfinite_f(x, rows, cols, ld);
}

int ml_mat_all_finite(const ml_mat *X)
{
    return ml_block_all_finite(X->dtype, X->data, X->rows, X->cols, X->stride);
}
