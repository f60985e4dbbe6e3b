/* Matrix files: NumPy .npy and numpy.savetxt-style text, written atomically.
 * The .npy layout follows numpy/lib/format.py: magic "\x93NUMPY", a version byte pair,
 * a little-endian header length (2 bytes in 1.0, 4 bytes in 2.0/3.0), an ASCII (3.0:
 * UTF-8) Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)},
 * then the raw elements. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* getline, fsync, fdopen when built without -D_GNU_SOURCE */
#endif
#include "io.h"
#include "error.h"
#include "files.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define NPY_MAX_HEADER ((size_t)1 << 20)   /* numpy itself refuses headers over 10000 bytes */
#define NPY_MAX_DIMS 32

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

static int host_is_little(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

static void swap_bytes(unsigned char *p, size_t size)
{
    for (size_t i = 0; i < size / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[size - 1 - i];
        p[size - 1 - i] = t;
    }
}

/* Re-record the last core error with "path: " in front (ml_errmsg's buffer is reused). */
static int prefix_error(int code, const char *path)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", ml_errmsg());
    return ml_error(code, "%s: %s", path, msg);
}

static int check_path(const char *path)
{
    if (!path || !*path) return ml_error(ML_EINVAL, "empty file name");
    return ML_OK;
}

/* ---- .npy header ---- */

typedef struct {
    char descr[64];
    int fortran;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
} npy_header;

typedef struct {
    const char *path;
    const char *p, *end;
} hparser;

static int hbad(const hparser *h, const char *what)
{
    return ml_error(ML_EINVAL, "%s: malformed .npy header: %s", h->path, what);
}

static void hskip(hparser *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int hexpect(hparser *h, char c, const char *what)
{
    hskip(h);
    if (h->p >= h->end || *h->p != c) return hbad(h, what);
    h->p++;
    return ML_OK;
}

/* A Python string literal without escapes: 'abc' or "abc". */
static int hstring(hparser *h, char *out, size_t n, const char *what)
{
    hskip(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return hbad(h, what);
    char q = *h->p++;
    size_t len = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || len + 1 >= n) return hbad(h, what);
        out[len++] = *h->p++;
    }
    if (h->p >= h->end) return hbad(h, "unterminated string");
    h->p++;
    out[len] = '\0';
    return ML_OK;
}

static int hword(hparser *h, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
        h->p += n;
        return 1;
    }
    return 0;
}

/* (d0, d1, ...) with an optional trailing comma; Python 2 numpy wrote 3L for longs.
 * Dimensions beyond ML_MAX_ELEMS saturate; the caller checks the element count. */
static int hshape(hparser *h, npy_header *hd)
{
    if (hexpect(h, '(', "'shape' must be a tuple") != ML_OK) return ML_EINVAL;
    hd->ndim = 0;
    for (;;) {
        hskip(h);
        if (h->p < h->end && *h->p == ')') break;
        if (h->p >= h->end || *h->p < '0' || *h->p > '9')
            return hbad(h, "'shape' must be a tuple of non-negative integers");
        size_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            if (v <= ML_MAX_ELEMS) v = v * 10 + (size_t)(*h->p - '0');
            h->p++;
        }
        if (h->p < h->end && *h->p == 'L') h->p++;
        if (hd->ndim == NPY_MAX_DIMS) return hbad(h, "'shape' has too many dimensions");
        hd->shape[hd->ndim++] = v;
        hskip(h);
        if (h->p < h->end && *h->p == ',') {
            h->p++;
            continue;
        }
        hskip(h);
        if (h->p >= h->end || *h->p != ')') return hbad(h, "expected ',' or ')' in 'shape'");
        break;
    }
    h->p++;
    return ML_OK;
}

static int parse_header(const char *path, const char *text, size_t len, npy_header *hd)
{
    hparser h = {path, text, text + len};
    int seen_descr = 0, seen_fortran = 0, seen_shape = 0;
    if (hexpect(&h, '{', "expected a dict starting with '{'") != ML_OK) return ML_EINVAL;
    for (;;) {
        hskip(&h);
        if (h.p < h.end && *h.p == '}') break;
        char key[32];
        if (hstring(&h, key, sizeof key, "expected a quoted key") != ML_OK) return ML_EINVAL;
        if (hexpect(&h, ':', "expected ':' after a key") != ML_OK) return ML_EINVAL;
        hskip(&h);
        if (strcmp(key, "descr") == 0 && !seen_descr) {
            if (h.p < h.end && *h.p == '[')
                return ml_error(ML_EINVAL, "%s: unsupported dtype (structured arrays are not supported; "
                                "float32 and float64 are)", path);
            if (hstring(&h, hd->descr, sizeof hd->descr, "'descr' must be a short string") != ML_OK)
                return ML_EINVAL;
            seen_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !seen_fortran) {
            if (hword(&h, "True")) hd->fortran = 1;
            else if (hword(&h, "False")) hd->fortran = 0;
            else return hbad(&h, "'fortran_order' must be True or False");
            seen_fortran = 1;
        } else if (strcmp(key, "shape") == 0 && !seen_shape) {
            if (hshape(&h, hd) != ML_OK) return ML_EINVAL;
            seen_shape = 1;
        } else {
            return ml_error(ML_EINVAL, "%s: malformed .npy header: unexpected or repeated key '%s'", path, key);
        }
        hskip(&h);
        if (h.p < h.end && *h.p == ',') {
            h.p++;
            continue;
        }
        if (h.p >= h.end || *h.p != '}') return hbad(&h, "expected ',' or '}' after a value");
    }
    h.p++;
    hskip(&h);
    if (h.p != h.end) return hbad(&h, "unexpected text after the dict");
    if (!seen_descr || !seen_fortran || !seen_shape)
        return hbad(&h, "the dict must have the keys 'descr', 'fortran_order' and 'shape'");
    return ML_OK;
}

/* "<f8", ">f4", "=d", "float32", ... -> dtype and whether the bytes need swapping. */
static int parse_descr(const char *path, const char *d, ml_dtype *t, int *swap)
{
    int little = host_is_little(), file_little = little;
    const char *s = d;
    if (*s == '<') file_little = 1, s++;
    else if (*s == '>') file_little = 0, s++;
    else if (*s == '=' || *s == '|') s++;
    if (!strcmp(s, "f8") || !strcmp(s, "d") || !strcmp(s, "float64")) *t = ML_F64;
    else if (!strcmp(s, "f4") || !strcmp(s, "f") || !strcmp(s, "float32")) *t = ML_F32;
    else
        return ml_error(ML_EINVAL, "%s: unsupported dtype '%s' (float32 and float64 are supported)", path, d);
    *swap = file_little != little;
    return ML_OK;
}

static int read_exact(FILE *f, void *buf, size_t n)
{
    return fread(buf, 1, n, f) == n;
}

static int read_error(FILE *f, const char *path, const char *what)
{
    if (ferror(f)) return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
    return ml_error(ML_EINVAL, "%s: %s", path, what);
}

static int load_npy_stream(ml_mat *out, FILE *f, const char *path)
{
    unsigned char pre[12];
    if (!read_exact(f, pre, 8)) return read_error(f, path, "not a .npy file (too short)");
    if (memcmp(pre, "\x93NUMPY", 6) != 0) return ml_error(ML_EINVAL, "%s: not a .npy file (bad magic string)", path);
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return ml_error(ML_EINVAL, "%s: unsupported .npy format version %d.%d (1.0, 2.0 and 3.0 are supported)",
                        path, major, minor);
    size_t lenbytes = major == 1 ? 2 : 4, hlen = 0;
    if (!read_exact(f, pre + 8, lenbytes)) return read_error(f, path, "truncated .npy header");
    for (size_t i = lenbytes; i-- > 0;) hlen = hlen << 8 | pre[8 + i];
    if (hlen > NPY_MAX_HEADER)
        return ml_error(ML_EINVAL, "%s: .npy header of %zu bytes is too long", path, hlen);

    char *text = malloc(hlen + 1);
    if (!text) return ml_error(ML_ENOMEM, "%s: out of memory for the .npy header", path);
    if (!read_exact(f, text, hlen)) {
        free(text);
        return read_error(f, path, "truncated .npy header");
    }
    text[hlen] = '\0';
    npy_header hd = {0};
    int rc = parse_header(path, text, hlen, &hd);
    free(text);
    if (rc != ML_OK) return rc;

    ml_dtype t = ML_F64;
    int swap = 0;
    if ((rc = parse_descr(path, hd.descr, &t, &swap)) != ML_OK) return rc;
    if (hd.ndim == 0) return ml_error(ML_EINVAL, "%s: 0-d arrays (scalars) are not supported, only 1-D and 2-D", path);
    if (hd.ndim > 2)
        return ml_error(ML_EINVAL, "%s: %d-dimensional arrays are not supported, only 1-D and 2-D", path, hd.ndim);
    size_t rows = hd.shape[0], cols = hd.ndim == 2 ? hd.shape[1] : 1;
    if (rows == 0 || cols == 0) return ml_error(ML_EINVAL, "%s: zero-size array (shape %zu x %zu)", path, rows, cols);
    if (rows > ML_MAX_ELEMS || cols > ML_MAX_ELEMS || rows > ML_MAX_ELEMS / cols)
        return ml_error(ML_EINVAL, "%s: array too large (more than %zu elements)", path, ML_MAX_ELEMS);

    size_t esize = ml_dtype_size(t), n = rows * cols, need = n * esize;
    /* Before allocating: the file (regular, see open_input) must hold what the header promises. */
    struct stat st;
    long pos = ftell(f);
    if (pos < 0 || fstat(fileno(f), &st) != 0) return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
    size_t have = (uintmax_t)st.st_size > (uintmax_t)pos ? (size_t)(st.st_size - pos) : 0;
    if (have < need)
        return ml_error(ML_EINVAL, "%s: truncated: the header promises %zu bytes of data, the file has %zu",
                        path, need, have);

    if ((rc = ml_mat_alloc(out, rows, cols, t)) != ML_OK) return prefix_error(rc, path);
    /* Stream in chunks, scattering into row-major order; Fortran order walks columns. */
    unsigned char buf[1 << 15];
    size_t per = sizeof buf / esize, k = 0, i = 0, j = 0;
    while (k < n) {
        size_t want = n - k < per ? n - k : per;
        size_t got = fread(buf, esize, want, f);
        for (size_t q = 0; q < got; q++) {
            unsigned char *e = buf + q * esize;
            if (swap) swap_bytes(e, esize);
            if (t == ML_F64) memcpy((double *)out->data + i * out->stride + j, e, 8);
            else memcpy((float *)out->data + i * out->stride + j, e, 4);
            if (hd.fortran) {
                if (++i == rows) i = 0, j++;
            } else {
                if (++j == cols) j = 0, i++;
            }
        }
        k += got;
        if (got < want) {
            ml_mat_free(out);
            if (ferror(f)) return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
            return ml_error(ML_EINVAL, "%s: truncated: the header promises %zu bytes of data, the file has %zu",
                            path, need, k * esize);
        }
    }
    return ML_OK;
}

/* A regular file, opened for reading (FIFOs, devices and directories are refused up front). */
static FILE *open_input(const char *path)
{
    int fd;
    struct stat st;
    if (ml_file_open_input(path, 0, &fd, &st) != ML_OK) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        ml_error(ML_EIO, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int ml_io_load_npy(ml_mat *out, const char *path)
{
    *out = (ml_mat){0};
    if (check_path(path) != ML_OK) return ML_EINVAL;
    FILE *f = open_input(path);
    if (!f) return ML_EIO;
    int rc = load_npy_stream(out, f, path);
    fclose(f);
    return rc;
}

static int check_savable(const char *path, const ml_mat *A)
{
    if (check_path(path) != ML_OK) return ML_EINVAL;
    if (!A || !A->data || A->rows == 0 || A->cols == 0)
        return ml_error(ML_EINVAL, "%s: cannot save an empty matrix", path);
    if (A->dtype != ML_F64 && A->dtype != ML_F32)
        return ml_error(ML_EINVAL, "%s: unknown dtype %d", path, (int)A->dtype);
    return ML_OK;
}

static int write_fail(ml_atomic *a, const char *path)
{
    int e = errno;
    ml_atomic_abort(a);
    return ml_error(ML_EIO, "%s: %s", path, strerror(e ? e : EIO));
}

int ml_io_save_npy(const char *path, const ml_mat *A)
{
    if (check_savable(path, A) != ML_OK) return ML_EINVAL;
    size_t esize = ml_dtype_size(A->dtype);
    char hdr[256];
    int len = snprintf(hdr, sizeof hdr, "{'descr': '<f%zu', 'fortran_order': False, 'shape': (%zu, %zu), }",
                       esize, A->rows, A->cols);
    /* magic(6) + version(2) + length(2) + dict + padding + '\n' is a multiple of 64 */
    size_t total = 10 + (size_t)len + 1, pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};

    ml_atomic a;
    int rc = ml_atomic_begin(&a, path);
    if (rc) return rc;
    FILE *f = a.f;
    errno = 0;
    if (fwrite(pre, 1, sizeof pre, f) != sizeof pre || fwrite(hdr, 1, (size_t)len, f) != (size_t)len)
        return write_fail(&a, path);
    for (size_t i = 0; i < pad; i++)
        if (fputc(' ', f) == EOF) return write_fail(&a, path);
    if (fputc('\n', f) == EOF) return write_fail(&a, path);

    int swap = !host_is_little();
    unsigned char buf[1 << 12];
    size_t per = sizeof buf / esize;
    for (size_t i = 0; i < A->rows; i++) {
        const unsigned char *row = (const unsigned char *)A->data + i * A->stride * esize;
        if (!swap) {
            if (fwrite(row, esize, A->cols, f) != A->cols) return write_fail(&a, path);
            continue;
        }
        for (size_t j = 0; j < A->cols; j += per) {
            size_t m = A->cols - j < per ? A->cols - j : per;
            memcpy(buf, row + j * esize, m * esize);
            for (size_t q = 0; q < m; q++) swap_bytes(buf + q * esize, esize);
            if (fwrite(buf, esize, m, f) != m) return write_fail(&a, path);
        }
    }
    return ml_atomic_commit(&a);
}

/* ---- text ---- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char *skip_blank(char *p)
{
    while (is_blank(*p)) p++;
    return p;
}

static int not_a_number(const char *path, long line, const char *p, char sep)
{
    char tok[40];
    size_t n = 0;
    while (p[n] && !is_blank(p[n]) && p[n] != sep && n + 1 < sizeof tok) {
        tok[n] = p[n];
        n++;
    }
    tok[n] = '\0';
    if (n == 0) return ml_error(ML_EINVAL, "%s: line %ld: empty field", path, line);
    return ml_error(ML_EINVAL, "%s: line %ld: '%s' is not a number", path, line, tok);
}

/* Parse one line into vals (appending); *nf gets the number of fields (0 for a blank line). */
static int parse_line(const char *path, long lineno, char *line, char sep, double **vals, size_t *nvals,
                      size_t *cap, size_t *nf)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *p = skip_blank(line);
    *nf = 0;
    if (!*p) return ML_OK;
    for (;;) {
        char *e;
        errno = 0;
        double v = strtod(p, &e);
        if (e == p || (*e && !is_blank(*e) && *e != sep)) return not_a_number(path, lineno, p, sep);
        /* A finite literal out of range: 1e999 overflows to inf, 1e-999 underflows to 0 (a subnormal
         * result is representable and kept: numpy.savetxt writes them). "inf" and "nan" are values. */
        if (errno == ERANGE && (isinf(v) || v == 0)) {
            *e = '\0';
            return ml_error(ML_EINVAL, "%s: line %ld: '%s' is beyond the float64 range (%s)", path, lineno, p,
                            v == 0 ? "underflows to 0" : "overflows to inf");
        }
        if (*nvals == *cap) {
            if (*nvals >= ML_MAX_ELEMS)
                return ml_error(ML_EINVAL, "%s: too many values (more than %zu)", path, ML_MAX_ELEMS);
            size_t ncap = *cap ? 2 * *cap : 1024;
            if (ncap > ML_MAX_ELEMS) ncap = ML_MAX_ELEMS;
            double *nv = realloc(*vals, ncap * sizeof **vals);
            if (!nv) return ml_error(ML_ENOMEM, "%s: out of memory after %zu values", path, *nvals);
            *vals = nv;
            *cap = ncap;
        }
        (*vals)[(*nvals)++] = v;
        (*nf)++;
        p = skip_blank(e);
        if (!*p) return ML_OK;
        if (sep) {
            if (*p != sep) return ml_error(ML_EINVAL, "%s: line %ld: expected '%c' between fields", path, lineno, sep);
            p = skip_blank(p + 1);
            if (!*p || *p == sep) return ml_error(ML_EINVAL, "%s: line %ld: empty field", path, lineno);
        }
    }
}

static int load_text_stream(ml_mat *out, FILE *f, const char *path, char sep)
{
    char *line = NULL;
    size_t linecap = 0, nvals = 0, cap = 0, rows = 0, cols = 0;
    double *vals = NULL;
    long lineno = 0, first = 0;
    ssize_t len;
    int rc = ML_OK;
    errno = 0;
    while ((len = getline(&line, &linecap, f)) != -1) {
        if (memchr(line, '\0', (size_t)len)) {
            rc = ml_error(ML_EINVAL, "%s: line %ld contains a NUL byte (not a text file?)", path, lineno + 1);
            goto done;
        }
        /* Line ends LF, CRLF or a lone CR (old Mac files): a getline line may hold several CR lines. */
        for (char *seg = line; *seg;) {
            char *cr = strchr(seg, '\r'), *next = NULL;
            if (cr) {
                *cr = '\0';
                next = cr[1] == '\n' ? cr + 2 : cr + 1;
            }
            lineno++;
            size_t nf;
            if ((rc = parse_line(path, lineno, seg, sep, &vals, &nvals, &cap, &nf)) != ML_OK) goto done;
            if (nf > 0) {
                if (rows == 0) {
                    cols = nf;
                    first = lineno;
                } else if (nf != cols) {
                    rc = ml_error(ML_EINVAL, "%s: line %ld has %zu fields, but line %ld has %zu", path, lineno, nf,
                                  first, cols);
                    goto done;
                }
                rows++;
            }
            if (!next) break;
            seg = next;
        }
    }
    if (ferror(f)) {
        rc = ml_error(ML_EIO, "%s: %s", path, strerror(errno ? errno : EIO));
        goto done;
    }
    if (rows == 0) {
        rc = ml_error(ML_EINVAL, "%s: no data (the file is empty or only has comments)", path);
        goto done;
    }
    if ((rc = ml_mat_alloc(out, rows, cols, ML_F64)) != ML_OK) {
        rc = prefix_error(rc, path);
        goto done;
    }
    for (size_t i = 0; i < rows; i++)
        memcpy((double *)out->data + i * out->stride, vals + i * cols, cols * sizeof(double));
done:
    free(line);
    free(vals);
    return rc;
}

int ml_io_load_text(ml_mat *out, const char *path, char sep)
{
    *out = (ml_mat){0};
    if (check_path(path) != ML_OK) return ML_EINVAL;
    FILE *f = open_input(path);
    if (!f) return ML_EIO;
    int rc = load_text_stream(out, f, path, sep);
    fclose(f);
    return rc;
}

int ml_io_save_text(const char *path, const ml_mat *A, char sep)
{
    if (check_savable(path, A) != ML_OK) return ML_EINVAL;
    ml_atomic a;
    int rc = ml_atomic_begin(&a, path);
    if (rc) return rc;
    FILE *f = a.f;
    char s = sep ? sep : ' ';
    errno = 0;
    for (size_t i = 0; i < A->rows; i++) {
        for (size_t j = 0; j < A->cols; j++) {
            if (j && fputc(s, f) == EOF) return write_fail(&a, path);
            double v = ml_mat_get(A, i, j);
            /* printf writes "-nan" for a NaN with the sign bit set; numpy.savetxt writes "nan" */
            int w = isnan(v) ? fputs("nan", f) : fprintf(f, "%.18e", v);
            if (w < 0) return write_fail(&a, path);
        }
        if (fputc('\n', f) == EOF) return write_fail(&a, path);
    }
    return ml_atomic_commit(&a);
}

/* ---- by extension ---- */

int ml_io_load(ml_mat *out, const char *path)
{
    *out = (ml_mat){0};
    if (check_path(path) != ML_OK) return ML_EINVAL;
    if (has_ext(path, ".npy")) return ml_io_load_npy(out, path);
    return ml_io_load_text(out, path, has_ext(path, ".csv") ? ',' : 0);
}

int ml_io_save(const char *path, const ml_mat *A)
{
    if (check_path(path) != ML_OK) return ML_EINVAL;
    if (has_ext(path, ".npy")) return ml_io_save_npy(path, A);
    return ml_io_save_text(path, A, has_ext(path, ".csv") ? ',' : 0);
}
