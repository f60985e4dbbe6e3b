/* IDX files through zlib (gzread also reads uncompressed files as they are) and byte-level
 * text corpora. */
#include "data.h"
#include "error.h"
#include "files.h"
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- IDX ------------------------------------------------------------------------------- */

const char *ml_idx_type_name(int type)
{
    switch (type) {
    case 0x08: return "ubyte";
    case 0x09: return "byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return NULL;
    }
}

static size_t idx_elem_size(int type)
{
    switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    default: return 8;
    }
}

static uint64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

static int gz_fail(gzFile f, const char *path, const char *what)
{
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr == Z_ERRNO) msg = strerror(errno);
    return ml_error(ML_EIO, "idx: %s: %s: %s", path, what, msg && *msg ? msg : "read error");
}

/* Read exactly n bytes; a short read is a truncated file. */
static int gz_read_exact(gzFile f, const char *path, void *buf, size_t n, const char *what)
{
    int got = gzread(f, buf, (unsigned)n);
    if (got < 0) return gz_fail(f, path, what);
    if ((size_t)got != n)
        return ml_error(ML_EIO, "idx: %s: truncated file (%s: %d of %zu bytes)", path, what, got, n);
    return ML_OK;
}

/* ml_file_open_input with the caller's prefix: "idx: cannot open PATH: is a FIFO, ..." */
static int open_input(const char *what, const char *path, int allow_dir, int *fd, struct stat *st)
{
    if (ml_file_open_input(path, allow_dir, fd, st) == ML_OK) return ML_OK;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", ml_errmsg());
    return ml_error(ML_EIO, "%s: cannot open %s", what, msg);
}

/* *size gets the file's size in bytes. */
static int open_and_read_header(gzFile *fp, const char *path, ml_idx_info *info, off_t *size)
{
    int fd;
    struct stat st;
    int rc = open_input("idx", path, 0, &fd, &st);
    if (rc) return rc;
    *size = st.st_size;
    errno = 0;
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        return ml_error(ML_EIO, "idx: cannot open %s: %s", path, errno ? strerror(errno) : "out of memory");
    }
    unsigned char h[4 * (ML_IDX_MAXDIM + 1)];
    rc = gz_read_exact(f, path, h, 4, "header");
    if (rc) goto fail;
    if (h[0] != 0 || h[1] != 0 || !ml_idx_type_name(h[2]) || h[3] < 1 || h[3] > ML_IDX_MAXDIM) {
        rc = ml_error(ML_EIO, "idx: %s: not an IDX file (magic bytes %02x %02x %02x %02x; expected 00 00, a type code "
                              "08/09/0b/0c/0d/0e and 1..%d dimensions)", path, h[0], h[1], h[2], h[3], ML_IDX_MAXDIM);
        goto fail;
    }
    info->type = h[2];
    info->ndim = h[3];
    if ((rc = gz_read_exact(f, path, h + 4, 4 * (size_t)info->ndim, "dimensions"))) goto fail;
    size_t total = 1;
    for (int d = 0; d < info->ndim; d++) {
        info->dims[d] = (size_t)be(h + 4 + 4 * d, 4);
        if (info->dims[d] == 0) {
            rc = ml_error(ML_EIO, "idx: %s: dimension %d is 0", path, d + 1);
            goto fail;
        }
        if (info->dims[d] > ML_MAX_ELEMS / total) {
            rc = ml_error(ML_EIO, "idx: %s: more than %zu elements", path, (size_t)ML_MAX_ELEMS);
            goto fail;
        }
        total *= info->dims[d];
    }
    for (int d = info->ndim; d < ML_IDX_MAXDIM; d++) info->dims[d] = 1;
    *fp = f;
    return ML_OK;
fail:
    gzclose(f);
    return rc;
}

int ml_idx_header(const char *path, ml_idx_info *info)
{
    gzFile f;
    off_t size;
    int rc = open_and_read_header(&f, path, info, &size);
    if (rc) return rc;
    gzclose(f);
    return ML_OK;
}

static double idx_decode(int type, const unsigned char *p)
{
    switch (type) {
    case 0x08: return p[0];
    case 0x09: return (int8_t)p[0];
    case 0x0B: return (int16_t)(uint16_t)be(p, 2);
    case 0x0C: return (int32_t)(uint32_t)be(p, 4);
    case 0x0D: {
        uint32_t u = (uint32_t)be(p, 4);
        float v;
        memcpy(&v, &u, 4);
        return v;
    }
    default: {
        uint64_t u = be(p, 8);
        double v;
        memcpy(&v, &u, 8);
        return v;
    }
    }
}

/* The data of a gzip'd file, read in growing steps: a header promising more than the
 * stream holds fails at the end of the stream, having allocated about what it held. */
static int gz_read_growing(gzFile f, const char *path, size_t need, unsigned char **out)
{
    size_t cap = need < ((size_t)1 << 20) ? need : (size_t)1 << 20, have = 0;
    unsigned char *p = malloc(cap);
    if (!p) return ml_error(ML_ENOMEM, "idx: %s: out of memory (%zu bytes)", path, cap);
    for (;;) {
        size_t want = cap - have < ((size_t)1 << 30) ? cap - have : (size_t)1 << 30;
        int got = gzread(f, p + have, (unsigned)want);
        if (got < 0) {
            free(p);
            return gz_fail(f, path, "data");
        }
        have += (size_t)got;
        if (have == need) break;
        if ((size_t)got < want) {
            free(p);
            return ml_error(ML_EIO, "idx: %s: truncated file (data: %zu of %zu bytes)", path, have, need);
        }
        if (have == cap) {
            size_t ncap = cap > need / 2 ? need : 2 * cap;
            unsigned char *q = realloc(p, ncap);
            if (!q) {
                free(p);
                return ml_error(ML_ENOMEM, "idx: %s: out of memory (%zu bytes)", path, ncap);
            }
            p = q;
            cap = ncap;
        }
    }
    *out = p;
    return ML_OK;
}

int ml_idx_load(ml_mat *out, const char *path, ml_dtype t, double scale, double shift, size_t limit, ml_idx_info *info)
{
    ml_idx_info hdr;
    gzFile f;
    off_t size;
    int rc = open_and_read_header(&f, path, &hdr, &size);
    if (rc) return rc;
    size_t items = hdr.dims[0], per = 1;
    for (int d = 1; d < hdr.ndim; d++) per *= hdr.dims[d];
    if (limit && limit < items) items = limit;
    size_t es = idx_elem_size(hdr.type), n = items * per, need = n * es;
    ml_mat m = {0};
    unsigned char *raw = NULL;
    /* Check what the header promises against the file before allocating for it. */
    if (gzdirect(f)) {
        size_t have = (size_t)size - 4 - 4 * (size_t)hdr.ndim;
        if (have < need) {
            rc = ml_error(ML_EIO, "idx: %s: truncated file (data: %zu of %zu bytes)", path, have, need);
            goto done;
        }
    } else if ((rc = gz_read_growing(f, path, need, &raw))) {
        goto done;
    }
    if ((rc = ml_mat_alloc(&m, items, per, t))) goto done;

    /* unsigned bytes (the common case) through a table of the 256 possible values */
    double lut[256];
    for (int v = 0; v < 256; v++) lut[v] = scale * v + shift;
    size_t k = 0;
    static const size_t CHUNK = 1 << 16;   /* a multiple of every element size */
    unsigned char buf[1 << 16];
    while (k < n) {
        size_t want = (n - k) * es < CHUNK ? (n - k) * es : CHUNK;
        const unsigned char *src = buf;
        if (raw) src = raw + k * es;
        else if ((rc = gz_read_exact(f, path, buf, want, "data"))) goto done;
        size_t cnt = want / es;
        if (t == ML_F64) {
            double *d = (double *)m.data + k;
            if (hdr.type == 0x08)
                for (size_t i = 0; i < cnt; i++) d[i] = lut[src[i]];
            else
                for (size_t i = 0; i < cnt; i++) d[i] = scale * idx_decode(hdr.type, src + i * es) + shift;
        } else {
            float *d = (float *)m.data + k;
            if (hdr.type == 0x08)
                for (size_t i = 0; i < cnt; i++) d[i] = (float)lut[src[i]];
            else
                for (size_t i = 0; i < cnt; i++) d[i] = (float)(scale * idx_decode(hdr.type, src + i * es) + shift);
        }
        k += cnt;
    }
    if (items == hdr.dims[0] && gzgetc(f) != -1) {
        rc = ml_error(ML_EIO, "idx: %s: unexpected bytes after the %zu elements the header announces", path, n);
        goto done;
    }
    if (info) *info = hdr;
    *out = m;
    m = (ml_mat){0};
done:
    free(raw);
    ml_mat_free(&m);
    gzclose(f);
    return rc;
}

/* ---- text corpora ------------------------------------------------------------------------ */

typedef struct { unsigned char *p; size_t n, cap; } bytes;

static int bytes_reserve(bytes *b, size_t extra)
{
    if (b->n + extra <= b->cap) return ML_OK;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->n + extra) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) return ml_error(ML_ENOMEM, "corpus: out of memory (%zu bytes)", cap);
    b->p = p;
    b->cap = cap;
    return ML_OK;
}

/* Append one file; with ML_CORPUS_FORTUNE, lines that are exactly "%" are dropped. */
static int append_file(bytes *b, const char *path, unsigned flags)
{
    int fd;
    struct stat st;
    int rc = open_input("corpus", path, 0, &fd, &st);
    if (rc) return rc;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return ml_error(ML_EIO, "corpus: cannot open %s: %s", path, strerror(errno));
    }
    size_t start = b->n;
    for (;;) {
        if ((rc = bytes_reserve(b, 1 << 16))) break;
        size_t got = fread(b->p + b->n, 1, b->cap - b->n, f);
        b->n += got;
        if (got == 0) {
            if (ferror(f)) rc = ml_error(ML_EIO, "corpus: %s: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc) return rc;
    if (flags & ML_CORPUS_FORTUNE) {
        size_t w = start, i = start;
        while (i < b->n) {
            size_t e = i;
            while (e < b->n && b->p[e] != '\n') e++;
            size_t len = e - i + (e < b->n);   /* the line with its newline */
            int sep = e - i == 1 && b->p[i] == '%';
            if (!sep) memmove(b->p + w, b->p + i, len), w += len;
            i += len;
        }
        b->n = w;
    }
    if (b->n > start && b->p[b->n - 1] != '\n') {
        if ((rc = bytes_reserve(b, 1))) return rc;
        b->p[b->n++] = '\n';
    }
    return ML_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int append_dir(bytes *b, const char *dir, unsigned flags)
{
    DIR *d = opendir(dir);
    if (!d) return ml_error(ML_EIO, "corpus: cannot open directory %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t nn = 0, cap = 0, files = 0;
    int rc = ML_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || (len >= 4 && !strcmp(e->d_name + len - 4, ".dat"))) continue;
        if (nn == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) { rc = ml_error(ML_ENOMEM, "corpus: out of memory"); goto done; }
            names = p;
        }
        if (!(names[nn] = strdup(e->d_name))) { rc = ml_error(ML_ENOMEM, "corpus: out of memory"); goto done; }
        nn++;
    }
    if (nn) qsort(names, nn, sizeof *names, by_name);
    for (size_t i = 0; i < nn && !rc; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (!p) { rc = ml_error(ML_ENOMEM, "corpus: out of memory"); break; }
        snprintf(p, len, "%s/%s", dir, names[i]);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = append_file(b, p, flags);
            files++;
        }
        free(p);
    }
    if (!rc && !files) rc = ml_error(ML_EIO, "corpus: no text files in directory %s", dir);
done:
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

/* Turn text (owned, length n >= 1) into ids in place. */
static void corpus_build(ml_corpus *c, unsigned char *text, size_t n)
{
    memset(c, 0, sizeof *c);
    int present[256] = {0};
    for (size_t i = 0; i < n; i++) present[text[i]] = 1;
    for (int v = 0; v < 256; v++) {
        c->index[v] = -1;
        if (present[v]) {
            c->index[v] = (short)c->vocab_size;
            c->vocab[c->vocab_size++] = (unsigned char)v;
        }
    }
    for (size_t i = 0; i < n; i++) text[i] = (unsigned char)c->index[text[i]];
    c->ids = text;
    c->n = n;
}

int ml_corpus_load(ml_corpus *c, const char *path, unsigned flags)
{
    struct stat st;
    int fd;
    int rc = open_input("corpus", path, 1, &fd, &st);   /* FIFOs and devices refused up front */
    if (rc) return rc;
    if (fd >= 0) close(fd);   /* append_file opens it again */
    bytes b = {0};
    rc = S_ISDIR(st.st_mode) ? append_dir(&b, path, flags) : append_file(&b, path, flags);
    if (!rc && b.n == 0) rc = ml_error(ML_EIO, "corpus: %s: no text", path);
    if (rc) {
        free(b.p);
        return rc;
    }
    corpus_build(c, b.p, b.n);
    return ML_OK;
}

int ml_corpus_from_bytes(ml_corpus *c, const unsigned char *text, size_t n, const unsigned char *vocab, int nvocab)
{
    if (n == 0) return ml_error(ML_EINVAL, "corpus: empty text");
    short index[256];
    if (vocab) {
        if (nvocab < 1 || nvocab > 256) return ml_error(ML_EINVAL, "corpus: vocabulary of %d bytes (1..256 expected)", nvocab);
        for (int v = 0; v < 256; v++) index[v] = -1;
        for (int i = 0; i < nvocab; i++) {
            if (index[vocab[i]] >= 0) return ml_error(ML_EINVAL, "corpus: byte %d appears twice in the vocabulary", vocab[i]);
            index[vocab[i]] = (short)i;
        }
        for (size_t i = 0; i < n; i++)
            if (index[text[i]] < 0)
                return ml_error(ML_EINVAL, "corpus: byte %d at position %zu is not in the vocabulary", text[i], i + 1);
    }
    unsigned char *p = malloc(n);
    if (!p) return ml_error(ML_ENOMEM, "corpus: out of memory (%zu bytes)", n);
    if (!vocab) {
        memcpy(p, text, n);
        corpus_build(c, p, n);
        return ML_OK;
    }
    memset(c, 0, sizeof *c);
    memcpy(c->index, index, sizeof index);
    memcpy(c->vocab, vocab, (size_t)nvocab);
    c->vocab_size = nvocab;
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)index[text[i]];
    c->ids = p;
    c->n = n;
    return ML_OK;
}

int ml_corpus_slice(ml_corpus *out, const ml_corpus *c, size_t start, size_t len)
{
    if (len == 0 || start >= c->n || len > c->n - start)
        return ml_error(ML_EINVAL, "corpus: slice %zu..%zu outside 1..%zu", start + 1, start + len, c->n);
    unsigned char *p = malloc(len);
    if (!p) return ml_error(ML_ENOMEM, "corpus: out of memory (%zu bytes)", len);
    memcpy(p, c->ids + start, len);
    *out = *c;
    out->ids = p;
    out->n = len;
    return ML_OK;
}

void ml_corpus_free(ml_corpus *c)
{
    free(c->ids);
    c->ids = NULL;
    c->n = 0;
}

int ml_corpus_batch(const ml_corpus *c, ml_mat *X, ml_mat *y, ml_rng *rng, size_t start, size_t stride)
{
    size_t B = X->rows, T = X->cols;
    int shifted = y->rows == B && y->cols == T && T > 1;   /* Y = X shifted by one (a GPT's targets) */
    if (!shifted && (y->rows * y->cols != B || (y->rows != 1 && y->cols != 1)))
        return ml_error(ML_EINVAL, "corpus batch: targets must be a vector of %zu entries or %zu x %zu, got %zu x %zu", B,
                        B, T, y->rows, y->cols);
    if (c->n <= T)
        return ml_error(ML_EINVAL, "corpus batch: a window of %zu tokens and its target need %zu tokens, the corpus has %zu",
                        T, T + 1, c->n);
    if (!rng && (start > c->n || (B > 1 && stride > (c->n - start) / (B - 1)) || start + (B - 1) * stride + T >= c->n))
        return ml_error(ML_EINVAL, "corpus batch: %zu windows of %zu tokens from position %zu with stride %zu run past the "
                        "end (%zu tokens)", B, T, start + 1, stride, c->n);
    for (size_t b = 0; b < B; b++) {
        size_t s = rng ? (size_t)(ml_rng_uniform(rng) * (double)(c->n - T)) : start + b * stride;
        if (s > c->n - T - 1) s = c->n - T - 1;
        for (size_t t = 0; t < T; t++) ml_mat_set(X, b, t, c->ids[s + t]);
        if (shifted)
            for (size_t t = 0; t < T; t++) ml_mat_set(y, b, t, c->ids[s + t + 1]);
        else if (y->rows == 1)
            ml_mat_set(y, 0, b, c->ids[s + T]);
        else
            ml_mat_set(y, b, 0, c->ids[s + T]);
    }
    return ML_OK;
}
