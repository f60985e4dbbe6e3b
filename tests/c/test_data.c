/* Tests of core/data.c. References: IDX files built here byte by byte from the format
 * description (magic, big-endian dimensions, big-endian elements), written gzipped through
 * zlib and uncompressed; the published shape and class balance of Fashion-MNIST (60 000 /
 * 10 000 images of 28 x 28, 6 000 / 1 000 per class) when Debian's dataset-fashion-mnist is
 * installed; small text files for the corpus loader. All comparisons are exact. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* mkdtemp */
#endif
#include "check.h"
#include "scratch.h"
#include "data.h"
#include "error.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static void scratch_close(scratch *s) { scratch_remove(s); }

static void put(const char *path, const void *bytes, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CHECK(f != NULL);
        if (!f) return;
        CHECK(gzwrite(f, bytes, (unsigned)n) == (int)n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (!f) return;
        CHECK(fwrite(bytes, 1, n, f) == n);
        fclose(f);
    }
}

/* 3 images of 2 x 2 unsigned bytes: magic 00 00 08 03, dims 3, 2, 2 (big-endian). */
static const unsigned char tiny_images[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                            0, 1, 2, 3, 255, 128, 64, 32, 7, 8, 9, 10};

TEST(data_idx_tiny_gz)
{
    scratch s;
    if (!scratch_open(&s, "ml_data")) return;
    put(at(&s, "img.gz"), tiny_images, sizeof tiny_images, 1);
    ml_mat m = {0};
    ml_idx_info info;
    CHECK_OK(ml_idx_load(&m, s.path, ML_F64, 1.0 / 255, 0, 0, &info));
    CHECK(info.type == 8 && info.ndim == 3 && info.dims[0] == 3 && info.dims[1] == 2 && info.dims[2] == 2);
    CHECK(m.rows == 3 && m.cols == 4);
    for (size_t k = 0; k < 12; k++) CHECK(ml_mat_get(&m, k / 4, k % 4) == tiny_images[16 + k] / 255.0);
    ml_mat_free(&m);
    /* float32, an affine map and the first 2 items only */
    CHECK_OK(ml_idx_load(&m, s.path, ML_F32, 2, -1, 2, NULL));
    CHECK(m.rows == 2 && m.cols == 4 && m.dtype == ML_F32);
    CHECK(ml_mat_get(&m, 1, 0) == 509 && ml_mat_get(&m, 0, 0) == -1);
    ml_mat_free(&m);
    /* the same bytes uncompressed: gzread passes them through */
    put(at(&s, "img"), tiny_images, sizeof tiny_images, 0);
    CHECK_OK(ml_idx_load(&m, s.path, ML_F64, 1, 0, 0, NULL));
    CHECK(ml_mat_get(&m, 1, 1) == 128 && ml_mat_get(&m, 2, 3) == 10);
    ml_mat_free(&m);
    CHECK_OK(ml_idx_header(at(&s, "img.gz"), &info));
    CHECK(info.ndim == 3 && info.dims[0] == 3);
    scratch_close(&s);
}

/* The wider types, big-endian: int16 -2 and 300, int32 -70000, float32 1.5, float64 -0.25, signed byte -3. */
TEST(data_idx_types)
{
    scratch s;
    if (!scratch_open(&s, "ml_data")) return;
    const unsigned char i16[] = {0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x2C};
    const unsigned char i32[] = {0, 0, 0x0C, 1, 0, 0, 0, 1, 0xFF, 0xFE, 0xEE, 0x90};
    const unsigned char f32[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0};
    const unsigned char f64[] = {0, 0, 0x0E, 1, 0, 0, 0, 1, 0xBF, 0xD0, 0, 0, 0, 0, 0, 0};
    const unsigned char s8[] = {0, 0, 0x09, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0xFD};
    struct { const unsigned char *b; size_t n; double v0, v1; } cases[] = {
        {i16, sizeof i16, -2, 300}, {i32, sizeof i32, -70000, 0}, {f32, sizeof f32, 1.5, 0},
        {f64, sizeof f64, -0.25, 0}, {s8, sizeof s8, -3, 0}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        put(at(&s, "t.gz"), cases[k].b, cases[k].n, 1);
        ml_mat m = {0};
        CHECK_OK(ml_idx_load(&m, s.path, ML_F64, 1, 0, 0, NULL));
        if (!m.buf) continue;
        CHECK(m.cols == 1);
        CHECK(ml_mat_get(&m, 0, 0) == cases[k].v0);
        if (m.rows > 1) CHECK(ml_mat_get(&m, 1, 0) == cases[k].v1);
        ml_mat_free(&m);
    }
    scratch_close(&s);
}

static void expect_error(const char *path, const char *needle)
{
    ml_mat m = {0};
    int rc = ml_idx_load(&m, path, ML_F64, 1, 0, 0, NULL);
    CHECK(rc == ML_EIO);
    if (rc != ML_EIO) {
        ml_mat_free(&m);
        return;
    }
    if (!strstr(ml_errmsg(), needle) || !strstr(ml_errmsg(), path))
        ml_test_fail(__FILE__, __LINE__, "message '%s' lacks '%s' or the path", ml_errmsg(), needle);
}

TEST(data_idx_malformed)
{
    scratch s;
    if (!scratch_open(&s, "ml_data")) return;
    unsigned char b[sizeof tiny_images + 1];
    memcpy(b, tiny_images, sizeof tiny_images);
    put(at(&s, "short.gz"), b, sizeof tiny_images - 1, 1);
    expect_error(s.path, "truncated");
    b[sizeof tiny_images] = 99;
    put(at(&s, "long.gz"), b, sizeof tiny_images + 1, 1);
    expect_error(s.path, "unexpected bytes after");
    b[0] = 0x1f;
    put(at(&s, "magic.gz"), b, sizeof tiny_images, 1);
    expect_error(s.path, "not an IDX file");
    memcpy(b, tiny_images, 16);
    b[2] = 0x0A;   /* no such type */
    put(at(&s, "type.gz"), b, 16, 1);
    expect_error(s.path, "not an IDX file");
    memcpy(b, tiny_images, 16);
    b[11] = 0;   /* a zero dimension */
    put(at(&s, "zero.gz"), b, 16, 1);
    expect_error(s.path, "dimension 2 is 0");
    put(at(&s, "hdr.gz"), tiny_images, 10, 1);
    expect_error(s.path, "truncated");
    /* a gzip stream with a corrupted body: zlib's own message */
    put(at(&s, "bad.gz"), tiny_images, sizeof tiny_images, 1);
    FILE *f = fopen(s.path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 12, SEEK_SET);
        fputc(0xFF, f);
        fputc(0xFF, f);
        fclose(f);
        expect_error(s.path, "idx");
    }
    expect_error(at(&s, "missing.gz"), "No such file");
    scratch_close(&s);
}

/* Header fields of the real files, and the labels (60 000 bytes) in full: 0..9, balanced. */
TEST(data_idx_fashion_mnist_headers)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    char p[256];
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    if (access(p, R_OK) != 0) {
        fprintf(stderr, "  (skipped: %s not present; Debian package dataset-fashion-mnist)\n", p);
        return;
    }
    const char *names[] = {"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-labels-idx1-ubyte.gz"};
    size_t n[] = {60000, 10000, 60000, 10000};
    for (int k = 0; k < 4; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        ml_idx_info info;
        CHECK_OK(ml_idx_header(p, &info));
        CHECK(info.type == 8 && info.dims[0] == n[k]);
        if (k < 2) CHECK(info.ndim == 3 && info.dims[1] == 28 && info.dims[2] == 28);
        else CHECK(info.ndim == 1);
        if (k < 2) continue;
        ml_mat y = {0};
        CHECK_OK(ml_idx_load(&y, p, ML_F64, 1, 0, 0, NULL));
        if (!y.buf) continue;
        size_t count[10] = {0}, bad = 0;
        for (size_t i = 0; i < y.rows; i++) {
            double v = ml_mat_get(&y, i, 0);
            if (v >= 0 && v <= 9) count[(int)v]++;
            else bad++;
        }
        CHECK(bad == 0);
        for (int c = 0; c < 10; c++) CHECK(count[c] == n[k] / 10);
        ml_mat_free(&y);
    }
}

static void put_text(scratch *s, const char *name, const char *text)
{
    put(at(s, name), text, strlen(text), 0);
}

TEST(data_corpus_directory_and_fortune_separators)
{
    scratch s;
    if (!scratch_open(&s, "ml_data")) return;
    put_text(&s, "b", "ab\n%\ncd");   /* no final newline: one is added */
    put_text(&s, "a", "%\nzz\n%\n");
    put_text(&s, "a.dat", "XXXX");      /* fortune index files are skipped */
    put_text(&s, ".hidden", "YYYY");
    char link[512];
    snprintf(link, sizeof link, "%s/a.u8", s.dir);
    CHECK(symlink("a", link) == 0);      /* symbolic links are skipped (fortunes' .u8 files) */
    ml_corpus c;
    CHECK_OK(ml_corpus_load(&c, s.dir, ML_CORPUS_FORTUNE));
    /* "zz\n" from a, then "ab\ncd\n" from b */
    const char *want = "zz\nab\ncd\n";
    CHECK(c.n == strlen(want));
    CHECK(c.vocab_size == 6);   /* \n a b c d z */
    CHECK(c.vocab[0] == '\n' && c.vocab[5] == 'z' && c.index['X'] == -1);
    int same = c.n == strlen(want);
    for (size_t i = 0; same && i < c.n; i++) same = c.vocab[c.ids[i]] == (unsigned char)want[i];
    CHECK(same);
    ml_corpus_free(&c);
    /* without the flag the separators stay */
    CHECK_OK(ml_corpus_load(&c, at(&s, "a"), 0));
    CHECK(c.n == 7 && c.vocab_size == 3);
    ml_corpus_free(&c);
    CHECK(ml_corpus_load(&c, at(&s, "nothing"), 0) == ML_EIO);
    CHECK(strstr(ml_errmsg(), "corpus: cannot open") && strstr(ml_errmsg(), "nothing"));
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", s.dir);
    CHECK(mkdir(empty, 0700) == 0);
    CHECK(ml_corpus_load(&c, empty, 0) == ML_EIO);
    CHECK(strstr(ml_errmsg(), "no text files"));
    scratch_close(&s);
}

TEST(data_corpus_slices_and_windows)
{
    const char *text = "abcdefghij";
    ml_corpus c, v;
    CHECK_OK(ml_corpus_from_bytes(&c, (const unsigned char *)text, 10, NULL, 0));
    CHECK(c.vocab_size == 10 && c.ids[3] == 3);
    ml_mat X, y;
    CHECK_OK(ml_mat_alloc(&X, 3, 4, ML_F64));
    CHECK_OK(ml_mat_alloc(&y, 3, 1, ML_F32));
    /* windows at 1, 3, 5 (0-based): X row b = ids[s..s+3], y = ids[s+4] */
    CHECK_OK(ml_corpus_batch(&c, &X, &y, NULL, 1, 2));
    for (size_t b = 0; b < 3; b++) {
        for (size_t t = 0; t < 4; t++) CHECK(ml_mat_get(&X, b, t) == 1 + 2 * b + t);
        CHECK(ml_mat_get(&y, b, 0) == 5 + 2 * b);
    }
    /* start 2 stride 2: the last window would need token 10 */
    CHECK(ml_corpus_batch(&c, &X, &y, NULL, 2, 2) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "run past the end"));
    /* random windows: each is consecutive and its target the next token */
    ml_rng r;
    ml_rng_seed(&r, 3);
    for (int rep = 0; rep < 20; rep++) {
        CHECK_OK(ml_corpus_batch(&c, &X, &y, &r, 0, 0));
        for (size_t b = 0; b < 3; b++) {
            double s0 = ml_mat_get(&X, b, 0);
            CHECK(s0 >= 0 && s0 <= 5);
            CHECK(ml_mat_get(&y, b, 0) == s0 + 4);
        }
    }
    /* B x T targets: Y row b = ids[s+1..s+T], every random window contiguous */
    ml_mat Y;
    CHECK_OK(ml_mat_alloc(&Y, 3, 4, ML_F64));
    for (int rep = 0; rep < 20; rep++) {
        CHECK_OK(ml_corpus_batch(&c, &X, &Y, &r, 0, 0));
        for (size_t b = 0; b < 3; b++)
            for (size_t t = 0; t < 4; t++) {
                CHECK(ml_mat_get(&X, b, t) == ml_mat_get(&X, b, 0) + t);
                CHECK(ml_mat_get(&Y, b, t) == ml_mat_get(&X, b, 0) + t + 1);
            }
    }
    ml_mat_free(&Y);
    CHECK_OK(ml_corpus_slice(&v, &c, 6, 4));   /* "ghij", same vocabulary */
    CHECK(v.n == 4 && v.vocab_size == 10 && v.ids[0] == 6);
    CHECK(ml_corpus_batch(&v, &X, &y, &r, 0, 0) == ML_EINVAL);   /* 4 tokens cannot hold a window of 4 + target */
    CHECK(ml_corpus_slice(&v, &c, 8, 3) == ML_EINVAL);
    ml_corpus_free(&v);
    ml_corpus_free(&c);
    ml_mat_free(&X);
    ml_mat_free(&y);
}

/* A validation text encoded with the training text's vocabulary shares its ids. */
TEST(data_corpus_given_vocabulary)
{
    ml_corpus a, b;
    CHECK_OK(ml_corpus_from_bytes(&a, (const unsigned char *)"banana", 6, NULL, 0));
    CHECK(a.vocab_size == 3 && a.vocab[0] == 'a' && a.vocab[2] == 'n');
    CHECK_OK(ml_corpus_from_bytes(&b, (const unsigned char *)"nab", 3, a.vocab, a.vocab_size));
    CHECK(b.vocab_size == 3 && b.ids[0] == 2 && b.ids[1] == 0 && b.ids[2] == 1);
    ml_corpus_free(&b);
    CHECK(ml_corpus_from_bytes(&b, (const unsigned char *)"cab", 3, a.vocab, a.vocab_size) == ML_EINVAL);
    CHECK(strstr(ml_errmsg(), "byte 99 at position 1 is not in the vocabulary"));
    CHECK(ml_corpus_from_bytes(&b, (const unsigned char *)"aa", 2, (const unsigned char *)"aa", 2) == ML_EINVAL);
    ml_corpus_free(&a);
}
