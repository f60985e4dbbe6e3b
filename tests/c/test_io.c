/* Tests of core/io.c. References: byte strings written by NumPy 1.24 (np.save,
 * np.lib.format.write_array, np.savetxt) pasted below, and .npy files built here by hand
 * from the format description (numpy/lib/format.py). Every comparison is exact: the
 * formats store the bits (npy) or 19 significant digits (text, enough for any double). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* mkdtemp */
#endif
#include "check.h"
#include "scratch.h"
#include "error.h"
#include "io.h"
#include "files.h"
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* np.save(f, np.asfortranarray([[1., 2., 3.], [4., 5., -0.5]])) */
static const char np_fortran_f8[] = "\x93NUMPY\x01\x00v\x00"
    "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }                                                           \x0a"
    "\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x14@\x00\x00\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\xe0\xbf";
/* np.lib.format.write_array(f, np.array([1.5, -2., 0.25], dtype='<f4'), version=(2, 0)) */
static const char np_v2_f4_1d[] = "\x93NUMPY\x02\x00t\x00\x00\x00"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }                                                          \x0a"
    "\x00\x00\xc0\x3f\x00\x00\x00\xc0\x00\x00\x80>";
/* np.save(f, np.array([[1., -2.5]], dtype='>f8')) */
static const char np_be_f8[] = "\x93NUMPY\x01\x00v\x00"
    "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }                                                          \x0a"
    "\x3f\xf0\x00\x00\x00\x00\x00\x00\xc0\x04\x00\x00\x00\x00\x00\x00";
/* np.save(f, np.array([[1.], [-2.5]], dtype='>f4')) */
static const char np_be_f4[] = "\x93NUMPY\x01\x00v\x00"
    "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 1), }                                                          \x0a"
    "\x3f\x80\x00\x00\xc0 \x00\x00";
/* np.savetxt(f, np.array([[1., -0.5, 1e-300], [np.inf, -0., 0.1]])) */
static const char np_savetxt[] =
    "1.000000000000000000e+00 -5.000000000000000000e-01 1.000000000000000025e-300\n"
    "inf -0.000000000000000000e+00 1.000000000000000056e-01\n";

/* ---- helpers ---- */

/* Remove everything; a leftover "*.tmp.*" means an atomic write did not clean up. */
static void scratch_close(scratch *s)
{
    DIR *d = opendir(s->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strstr(e->d_name, ".tmp."))
            ml_test_fail(__FILE__, __LINE__, "temporary file %s left behind", e->d_name);
        remove(at(s, e->d_name));
    }
    if (d) closedir(d);
    if (rmdir(s->dir) != 0) ml_test_fail(__FILE__, __LINE__, "could not remove %s", s->dir);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) ml_test_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (f) fclose(f);
}

static void write_str(const char *path, const char *s) { write_bytes(path, s, strlen(s)); }

/* Whole file, NUL-terminated; *n gets its length. */
static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    if (!f) return NULL;
    do {
        if (len + 4096 + 1 > cap) buf = realloc(buf, cap = 2 * cap + 4096 + 1);
        got = fread(buf + len, 1, 4096, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = '\0';
    if (n) *n = len;
    return buf;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t f64_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

/* A .npy file with header dict `dict` (padded as numpy pads), version major.0, and
 * the given data bytes. */
static void write_npy(const char *path, int major, const char *dict, const void *data, size_t nbytes)
{
    size_t lenbytes = major == 1 ? 2 : 4, dl = strlen(dict);
    size_t pre = 8 + lenbytes, pad = (64 - (pre + dl + 1) % 64) % 64, hlen = dl + pad + 1;
    size_t total = pre + hlen + nbytes;
    unsigned char *b = malloc(total);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    put_le(b + 8, hlen, (int)lenbytes);
    memcpy(b + pre, dict, dl);
    memset(b + pre + dl, ' ', pad);
    b[pre + dl + pad] = '\n';
    if (nbytes) memcpy(b + pre + hlen, data, nbytes);
    write_bytes(path, b, total);
    free(b);
}

/* Little-endian float64 bytes of v[0..n-1], independent of the host. */
static unsigned char *le_f64(const double *v, size_t n)
{
    unsigned char *b = malloc(8 * n);
    for (size_t i = 0; i < n; i++) put_le(b + 8 * i, f64_bits(v[i]), 8);
    return b;
}

/* Equal as stored values: NaN matches NaN, and -0.0 does not match 0.0. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void check_mat(int line, const ml_mat *A, size_t r, size_t c, ml_dtype t, const double *want)
{
    if (!A->buf || A->rows != r || A->cols != c || A->dtype != t) {
        ml_test_fail(__FILE__, line, "got %zu x %zu %s%s, want %zu x %zu %s", A->rows, A->cols,
                     ml_dtype_name(A->dtype), A->buf ? "" : " (empty)", r, c, ml_dtype_name(t));
        return;
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++)
            if (!same(ml_mat_get(A, i, j), want[i * c + j])) {
                ml_test_fail(__FILE__, line, "entry (%zu, %zu) = %.17g, want %.17g", i, j, ml_mat_get(A, i, j),
                             want[i * c + j]);
                return;
            }
}
#define CHECK_MAT(A, r, c, t, want) check_mat(__LINE__, A, r, c, t, want)

/* The load fails, leaves out cleared, and the message names the file and contains `what`. */
static void check_load_fails(int line, const char *path, const char *what)
{
    ml_mat M;
    int rc = ml_io_load(&M, path);
    if (rc == ML_OK) {
        ml_test_fail(__FILE__, line, "loading %s succeeded (%zu x %zu), expected an error with '%s'", path, M.rows,
                     M.cols, what);
        ml_mat_free(&M);
        return;
    }
    if (M.buf || M.data) ml_test_fail(__FILE__, line, "failed load left a matrix behind");
    if (!strstr(ml_errmsg(), path) || !strstr(ml_errmsg(), what))
        ml_test_fail(__FILE__, line, "message \"%s\" should name %s and contain \"%s\"", ml_errmsg(), path, what);
}
#define CHECK_LOAD_FAILS(path, what) check_load_fails(__LINE__, path, what)

static const double awkward[] = {0.1, -1.0 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -0.0,
                                 3.141592653589793, -2.2250738585072014e-308, 123456789.0, INFINITY,
                                 -INFINITY, NAN};

/* ---- .npy ---- */

TEST(io_npy_roundtrip_f64)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    ml_mat A, B;
    CHECK_OK(ml_mat_from_array(&A, 3, 4, awkward, ML_F64));
    const char *p = at(&s, "a.npy");
    CHECK_OK(ml_io_save(p, &A));
    CHECK_OK(ml_io_load(&B, p));
    CHECK_MAT(&B, 3, 4, ML_F64, awkward);

    /* What numpy writes: version 1.0, dict padded with spaces, '\n', data at a multiple of 64. */
    size_t n;
    char *f = read_all(p, &n);
    CHECK(f && n > 10 && memcmp(f, "\x93NUMPY\x01\x00", 8) == 0);
    if (f && n > 10) {
        size_t off = 10 + ((unsigned char)f[8] | (size_t)(unsigned char)f[9] << 8);
        CHECK(off % 64 == 0);
        CHECK(n == off + 12 * 8);
        CHECK(f[off - 1] == '\n');
        const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
        CHECK(strncmp(f + 10, dict, strlen(dict)) == 0);
        for (size_t k = 10 + strlen(dict); k < off - 1; k++) CHECK(f[k] == ' ');
    }
    free(f);
    ml_mat_free(&A);
    ml_mat_free(&B);
    scratch_close(&s);
}

TEST(io_npy_roundtrip_f32)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    double want[12];
    for (int k = 0; k < 12; k++) want[k] = (double)(float)awkward[k];   /* what float32 storage holds */
    ml_mat A, B;
    CHECK_OK(ml_mat_from_array(&A, 4, 3, awkward, ML_F32));
    const char *p = at(&s, "a32.npy");
    CHECK_OK(ml_io_save(p, &A));
    CHECK_OK(ml_io_load(&B, p));
    CHECK_MAT(&B, 4, 3, ML_F32, want);
    size_t n;
    char *f = read_all(p, &n);
    CHECK(f && strstr(f + 10, "'descr': '<f4'") && n == 128 + 12 * 4);
    free(f);
    ml_mat_free(&A);
    ml_mat_free(&B);
    scratch_close(&s);
}

/* A block view has stride > cols; only the block may be written. */
TEST(io_save_view)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    for (int t = 0; t < 2; t++) {
        ml_dtype dt = t ? ML_F32 : ML_F64;
        ml_mat A, V, B;
        CHECK_OK(ml_mat_alloc(&A, 4, 5, dt));
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 5; j++) ml_mat_set(&A, i, j, 10.0 * (double)i + (double)j + 0.5);
        CHECK_OK(ml_mat_view(&V, &A, 1, 1, 2, 3));
        CHECK(V.stride > V.cols);
        const double want[] = {11.5, 12.5, 13.5, 21.5, 22.5, 23.5};
        CHECK_OK(ml_io_save(at(&s, "v.npy"), &V));
        CHECK_OK(ml_io_load(&B, s.path));
        CHECK_MAT(&B, 2, 3, dt, want);
        ml_mat_free(&B);
        CHECK_OK(ml_io_save(at(&s, "v.txt"), &V));
        CHECK_OK(ml_io_load(&B, s.path));
        CHECK_MAT(&B, 2, 3, ML_F64, want);
        ml_mat_free(&B);
        ml_mat_free(&V);
        ml_mat_free(&A);
    }
    scratch_close(&s);
}

TEST(io_npy_numpy_files)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    ml_mat M;
    const double fortran[] = {1, 2, 3, 4, 5, -0.5}, v2[] = {1.5, -2, 0.25}, be[] = {1, -2.5};

    write_bytes(at(&s, "fortran.npy"), np_fortran_f8, sizeof np_fortran_f8 - 1);
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 3, ML_F64, fortran);
    ml_mat_free(&M);

    write_bytes(at(&s, "v2.npy"), np_v2_f4_1d, sizeof np_v2_f4_1d - 1);
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 3, 1, ML_F32, v2);   /* 1-D (n,) -> n x 1 column */
    ml_mat_free(&M);

    write_bytes(at(&s, "be8.npy"), np_be_f8, sizeof np_be_f8 - 1);
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 1, 2, ML_F64, be);
    ml_mat_free(&M);

    write_bytes(at(&s, "be4.npy"), np_be_f4, sizeof np_be_f4 - 1);
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 1, ML_F32, be);
    ml_mat_free(&M);
    scratch_close(&s);
}

/* Header spellings numpy accepts (it evaluates the dict as a Python literal). */
TEST(io_npy_header_variants)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    const double v[] = {1.25, -3, 7, 0.5, 8, -9};
    unsigned char *d = le_f64(v, 6);
    static const struct {
        int major;
        const char *dict;
        size_t r, c;
    } cases[] = {
        {3, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 2, 3},
        {2, "{\"descr\":\"<f8\",\"fortran_order\":False,\"shape\":(3,2)}", 3, 2},
        {1, "{'shape': (6,), 'fortran_order': False, 'descr': '<f8'}", 6, 1},
        {1, "{'descr': 'f8', 'fortran_order': False, 'shape': (2L, 3L), }", 2, 3},
        {1, "{'descr': '=f8', 'fortran_order': False, 'shape': ( 1 , 6 ) }", 1, 6},
        {1, "{'descr': '|f8', 'fortran_order': False, 'shape': (6, 1), }", 6, 1},
        {1, "{'descr': '<d', 'fortran_order': False, 'shape': (3, 2), }", 3, 2},
        {1, "{'descr': 'float64', 'fortran_order': True, 'shape': (6,), }", 6, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        write_npy(at(&s, "h.npy"), cases[k].major, cases[k].dict, d, 48);
        ml_mat M;
        int rc = ml_io_load(&M, s.path);
        if (rc != ML_OK) {
            ml_test_fail(__FILE__, __LINE__, "case %zu (%s): %s", k, cases[k].dict, ml_errmsg());
            continue;
        }
        CHECK_MAT(&M, cases[k].r, cases[k].c, ML_F64, v);
        ml_mat_free(&M);
    }
    /* Fortran order walks columns: file data 1.25, -3, 7, 0.5, 8, -9 as a 2x3 in column-major order */
    const double colmajor[] = {1.25, 7, 8, -3, 0.5, -9};
    write_npy(at(&s, "f.npy"), 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", d, 48);
    ml_mat M;
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 3, ML_F64, colmajor);
    ml_mat_free(&M);
    free(d);
    scratch_close(&s);
}

TEST(io_npy_malformed)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    unsigned char data[64] = {0};
    static const struct {
        const char *dict;
        size_t nbytes;
        const char *what;
    } cases[] = {
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", 32,
         "unsupported dtype '<i8' (float32 and float64 are supported)"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", 8, "unsupported dtype '<f2'"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", 32, "unsupported dtype '<c16'"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", 16, "structured"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", 64, "3-dimensional"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8, "0-d"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", 0, "zero-size"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }", 0, "zero-size"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", 64, "too large"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999999, 1), }", 64, "too large"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 40, "truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }", 64, "truncated"},
        {"{'descr': '<f8', 'shape': (2, 2), }", 32, "must have the keys"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 16, "unexpected or repeated key 'extra'"},
        {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", 16, "repeated key 'descr'"},
        {"{'descr': '<f8', 'fortran_order': 1, 'shape': (2,), }", 16, "True or False"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }", 16, "non-negative integers"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': [2, 2], }", 32, "must be a tuple"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2 2), }", 32, "expected ',' or ')'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,) } x", 16, "unexpected text after the dict"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)", 16, "expected ',' or '}'"},
        {"{'descr: '<f8', 'fortran_order': False, 'shape': (2,)}", 16, "malformed .npy header"},
        {"['descr', '<f8']", 16, "expected a dict"},
        {"", 16, "expected a dict"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        write_npy(at(&s, "bad.npy"), 1, cases[k].dict, data, cases[k].nbytes);
        CHECK_LOAD_FAILS(s.path, cases[k].what);
    }

    /* Broken before the dict. */
    write_bytes(at(&s, "empty.npy"), "", 0);
    CHECK_LOAD_FAILS(s.path, "too short");
    write_str(at(&s, "text.npy"), "1 2 3\n4 5 6\n");
    CHECK_LOAD_FAILS(s.path, "bad magic");
    char bytes[160];
    memcpy(bytes, np_be_f8, 10);
    bytes[1] = 'n';
    write_bytes(at(&s, "magic.npy"), bytes, 10);
    CHECK_LOAD_FAILS(s.path, "bad magic");
    memcpy(bytes, np_be_f8, sizeof np_be_f8 - 1);
    bytes[6] = 4;
    write_bytes(at(&s, "v4.npy"), bytes, sizeof np_be_f8 - 1);
    CHECK_LOAD_FAILS(s.path, "unsupported .npy format version 4.0");
    bytes[6] = 1, bytes[7] = 1;
    write_bytes(at(&s, "v11.npy"), bytes, sizeof np_be_f8 - 1);
    CHECK_LOAD_FAILS(s.path, "version 1.1");
    write_bytes(at(&s, "cut.npy"), np_be_f8, 9);
    CHECK_LOAD_FAILS(s.path, "truncated .npy header");
    write_bytes(at(&s, "cut2.npy"), np_be_f8, 40);
    CHECK_LOAD_FAILS(s.path, "truncated .npy header");
    write_bytes(at(&s, "cutdata.npy"), np_be_f8, sizeof np_be_f8 - 2);
    CHECK_LOAD_FAILS(s.path, "truncated");
    memcpy(bytes, "\x93NUMPY\x02\x00\x00\x00\x00\x40", 12);   /* header length 1 GiB */
    write_bytes(at(&s, "long.npy"), bytes, 12);
    CHECK_LOAD_FAILS(s.path, "too long");
    scratch_close(&s);
}

/* ---- text ---- */

TEST(io_text_read)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    ml_mat M;
    write_str(at(&s, "a.txt"), "# a header line\n"
                               "\n"
                               "  1.5\t-2e-3   \r\n"
                               "   # indented comment\n"
                               "nan inf # trailing comment\n"
                               "-inf 0x1p-3\n"
                               "\n");
    const double want[] = {1.5, -2e-3, NAN, INFINITY, -INFINITY, 0.125};
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 3, 2, ML_F64, want);
    ml_mat_free(&M);

    write_str(at(&s, "col.dat"), "1\n2\n-3.25\n");   /* a single column gives n x 1 */
    const double col[] = {1, 2, -3.25};
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 3, 1, ML_F64, col);
    ml_mat_free(&M);

    write_str(at(&s, "noeol.txt"), "1 2");   /* no final newline */
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 1, 2, ML_F64, col);
    ml_mat_free(&M);

    write_str(at(&s, "a.csv"), "# x,y,z\n1, 2,3\n 4 ,5.5,  6\r\n");
    const double csv[] = {1, 2, 3, 4, 5.5, 6};
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 3, ML_F64, csv);
    ml_mat_free(&M);

    write_bytes(at(&s, "savetxt.txt"), np_savetxt, sizeof np_savetxt - 1);
    const double np_vals[] = {1, -0.5, 1e-300, INFINITY, -0.0, 0.1};
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 3, ML_F64, np_vals);
    ml_mat_free(&M);
    scratch_close(&s);
}

TEST(io_text_malformed)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    static const struct {
        const char *name, *text, *what;
    } cases[] = {
        {"ragged.txt", "1 2\n# c\n3 4 5\n", "line 3 has 3 fields, but line 1 has 2"},
        {"short.txt", "\n1 2 3\n4 5\n", "line 3 has 2 fields, but line 2 has 3"},
        {"word.txt", "1 2\nabc 4\n", "line 2: 'abc' is not a number"},
        {"suffix.txt", "1 2.5x\n", "line 1: '2.5x' is not a number"},
        {"comma.txt", "1,2\n", "line 1: '1,2' is not a number"},
        {"empty.txt", "", "no data"},
        {"comments.txt", "# only\n\n   \n#\n", "no data"},
        {"e.csv", "1,,2\n", "line 1: empty field"},
        {"trail.csv", "1,2,\n", "line 1: empty field"},
        {"lead.csv", ",1,2\n", "line 1: empty field"},
        {"space.csv", "1,2\n3 4\n", "line 2: expected ','"},
        {"word.csv", "1,x\n", "line 1: 'x' is not a number"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        write_str(at(&s, cases[k].name), cases[k].text);
        CHECK_LOAD_FAILS(s.path, cases[k].what);
    }
    write_bytes(at(&s, "nul.txt"), "1 2\n3\0 4\n", 9);
    CHECK_LOAD_FAILS(s.path, "line 2 contains a NUL byte");
    write_bytes(at(&s, "binary.dat"), np_be_f8, sizeof np_be_f8 - 1);   /* an .npy under another name */
    CHECK_LOAD_FAILS(s.path, "line 1");
    scratch_close(&s);
}

TEST(io_text_roundtrip)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    ml_mat A, B;
    CHECK_OK(ml_mat_from_array(&A, 4, 3, awkward, ML_F64));
    CHECK_OK(ml_io_save(at(&s, "a.txt"), &A));
    CHECK_OK(ml_io_load(&B, s.path));
    CHECK_MAT(&B, 4, 3, ML_F64, awkward);   /* %.18e is exact for doubles */
    ml_mat_free(&B);
    CHECK_OK(ml_io_save(at(&s, "a.csv"), &A));
    CHECK_OK(ml_io_load(&B, s.path));
    CHECK_MAT(&B, 4, 3, ML_F64, awkward);
    ml_mat_free(&B);
    ml_mat_free(&A);

    double want[12];
    for (int k = 0; k < 12; k++) want[k] = (double)(float)awkward[k];
    CHECK_OK(ml_mat_from_array(&A, 2, 6, awkward, ML_F32));
    CHECK_OK(ml_io_save(at(&s, "f.txt"), &A));
    CHECK_OK(ml_io_load(&B, s.path));
    CHECK_MAT(&B, 2, 6, ML_F64, want);   /* text always loads as float64 */
    ml_mat_free(&B);
    ml_mat_free(&A);
    scratch_close(&s);
}

/* Byte-for-byte what numpy.savetxt writes, which is also what gnuplot reads: one row per
 * line, fields separated by single spaces, no comments, a final newline. */
TEST(io_text_format)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    const double v[] = {1, -0.5, 1e-300, INFINITY, -0.0, 0.1};
    ml_mat A;
    CHECK_OK(ml_mat_from_array(&A, 2, 3, v, ML_F64));
    CHECK_OK(ml_io_save(at(&s, "a.txt"), &A));
    char *f = read_all(s.path, NULL);
    CHECK(f && strcmp(f, np_savetxt) == 0);
    if (f && strcmp(f, np_savetxt)) fprintf(stderr, "  wrote:\n%s  numpy:\n%s", f, np_savetxt);
    free(f);

    ml_mat_set(&A, 0, 1, copysign(NAN, -1.0));   /* printf would write "-nan"; numpy writes "nan" */
    CHECK_OK(ml_io_save(at(&s, "nan.txt"), &A));
    f = read_all(s.path, NULL);
    CHECK(f && strncmp(f, "1.000000000000000000e+00 nan 1.", 31) == 0);
    free(f);

    CHECK_OK(ml_io_save(at(&s, "a.csv"), &A));
    f = read_all(s.path, NULL);
    CHECK(f && strncmp(f, "1.000000000000000000e+00,nan,1.", 31) == 0);
    free(f);
    ml_mat_free(&A);

    /* gnuplot's reading of a data file: whitespace-separated columns, one record per line */
    ml_mat B;
    CHECK_OK(ml_mat_alloc(&B, 5, 4, ML_F32));
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++) ml_mat_set(&B, i, j, (double)i - 0.25 * (double)j);
    CHECK_OK(ml_io_save(at(&s, "g.dat"), &B));
    f = read_all(s.path, NULL);
    size_t lines = 0;
    for (char *line = f, *nl; line && (nl = strchr(line, '\n')); line = nl + 1, lines++) {
        *nl = '\0';
        CHECK(line[0] != ' ' && line[0] != '#' && nl[-1] != ' ' && !strstr(line, "  ") && !strchr(line, '\t'));
        double x[4];
        int used = 0;
        CHECK(sscanf(line, "%lf %lf %lf %lf%n", &x[0], &x[1], &x[2], &x[3], &used) == 4 && line[used] == '\0');
        for (size_t j = 0; j < 4; j++) CHECK(x[j] == (double)lines - 0.25 * (double)j);
    }
    CHECK(lines == 5);
    free(f);
    ml_mat_free(&B);
    scratch_close(&s);
}

/* ---- atomic writes and errors ---- */

TEST(io_missing_file)
{
    ml_mat M;
    CHECK_LOAD_FAILS("/nonexistent-muonlab-dir/x.npy", "x.npy: No such file or directory");
    CHECK_LOAD_FAILS("/nonexistent-muonlab-dir/x.txt", "No such file or directory");
    CHECK(ml_io_load(&M, "") != ML_OK && M.buf == NULL);
    CHECK(ml_io_load(&M, "/") != ML_OK && M.buf == NULL);   /* a directory */
    const double v[] = {1};
    ml_mat A;
    CHECK_OK(ml_mat_from_array(&A, 1, 1, v, ML_F64));
    CHECK(ml_io_save("/nonexistent-muonlab-dir/y.npy", &A) == ML_EIO);
    CHECK(strstr(ml_errmsg(), "/nonexistent-muonlab-dir/y.npy") && strstr(ml_errmsg(), "No such file or directory"));
    ml_mat_free(&A);
    ml_mat E = {0};
    CHECK(ml_io_save("/tmp/never-written.npy", &E) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "empty matrix"));
}

TEST(io_atomic_write)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ml_mat A, B, M;
    CHECK_OK(ml_mat_from_array(&A, 3, 3, v, ML_F64));
    CHECK_OK(ml_mat_from_array(&B, 2, 2, v + 5, ML_F32));
    char target[600], tmp[ML_PATH_MAX], expect[700];
    snprintf(target, sizeof target, "%s", at(&s, "m.npy"));

    /* Replacing an existing file. */
    CHECK_OK(ml_io_save(target, &A));
    CHECK_OK(ml_io_save(target, &B));
    CHECK_OK(ml_io_load(&M, target));
    CHECK_MAT(&M, 2, 2, ML_F32, v + 5);
    ml_mat_free(&M);

    /* The temporary is <path>.tmp.<16 hex digits> (unique: O_EXCL), and an abort leaves the
     * target as it was (issue 12 item 7). */
    ml_atomic a;
    CHECK_OK(ml_atomic_begin(&a, target));
    snprintf(expect, sizeof expect, "%s.tmp.", target);
    CHECK(strncmp(a.tmp, expect, strlen(expect)) == 0 && strlen(a.tmp) == strlen(expect) + 16);
    snprintf(tmp, sizeof tmp, "%s", a.tmp);
    fputs("half a file", a.f);
    ml_atomic_abort(&a);
    CHECK(access(tmp, F_OK) != 0);
    CHECK_OK(ml_io_load(&M, target));
    CHECK_MAT(&M, 2, 2, ML_F32, v + 5);
    ml_mat_free(&M);

    /* Another writer's temporary (the old scheme's name, or a live writer's) is never touched. */
    snprintf(expect, sizeof expect, "%s.tmp.%ld", target, (long)getpid());
    write_str(expect, "another writer's");
    CHECK_OK(ml_io_save(target, &A));
    CHECK(access(expect, F_OK) == 0);
    unlink(expect);
    CHECK_OK(ml_io_load(&M, target));
    CHECK_MAT(&M, 3, 3, ML_F64, v);
    ml_mat_free(&M);

    /* A directory as the target is refused up front: error, no temporary left. */
    CHECK(mkdir(at(&s, "dir.npy"), 0700) == 0);
    CHECK(ml_io_save(s.path, &A) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "dir.npy") != NULL && strstr(ml_errmsg(), "a directory") != NULL);
    struct stat st;
    CHECK(stat(s.path, &st) == 0 && S_ISDIR(st.st_mode));

    /* Too long a name. */
    char longname[ML_PATH_MAX + 16];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(ml_atomic_begin(&a, longname) != ML_OK && a.f == NULL && a.tmp[0] == '\0');

    /* A failed save (nothing to write) leaves the old file alone. */
    ml_mat E = {0};
    CHECK(ml_io_save(target, &E) != ML_OK);
    CHECK_OK(ml_io_load(&M, target));
    CHECK_MAT(&M, 3, 3, ML_F64, v);
    ml_mat_free(&M);
    ml_mat_free(&A);
    ml_mat_free(&B);
    scratch_close(&s);   /* also fails on any leftover *.tmp.* */
}

TEST(io_format_by_extension)
{
    scratch s;
    if (!scratch_open(&s, "ml_io")) return;
    const double v[] = {0.5, -1, 2, 4};
    ml_mat A, M;
    CHECK_OK(ml_mat_from_array(&A, 2, 2, v, ML_F32));
    CHECK_OK(ml_io_save(at(&s, "UPPER.NPY"), &A));
    char *f = read_all(s.path, NULL);
    CHECK(f && memcmp(f, "\x93NUMPY", 6) == 0);
    free(f);
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 2, ML_F32, v);
    ml_mat_free(&M);
    CHECK_OK(ml_io_save(at(&s, "plain"), &A));   /* no extension: text */
    f = read_all(s.path, NULL);
    CHECK(f && strcmp(f, "5.000000000000000000e-01 -1.000000000000000000e+00\n"
                         "2.000000000000000000e+00 4.000000000000000000e+00\n") == 0);
    free(f);
    CHECK_OK(ml_io_load(&M, s.path));
    CHECK_MAT(&M, 2, 2, ML_F64, v);
    ml_mat_free(&M);
    ml_mat_free(&A);
    scratch_close(&s);
}
