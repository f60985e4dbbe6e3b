/* Data sets from files: IDX arrays (MNIST / Fashion-MNIST), plain or gzipped, read through
 * zlib; and byte-level text corpora (one file or every regular file of a directory, with
 * the '%' separator lines of fortune(6) files stripped on request).
 *
 * IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/): bytes 0-1 are zero, byte 2
 * the element type (0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
 * 0x0D float32, 0x0E float64), byte 3 the number of dimensions; then each dimension as a
 * big-endian uint32; then the elements, big-endian, row-major. */
#ifndef ML_DATA_H
#define ML_DATA_H

#include "matrix.h"
#include "rng.h"

#define ML_IDX_MAXDIM 8

typedef struct ml_idx_info {
    int type;                      /* 0x08 ... 0x0E */
    int ndim;
    size_t dims[ML_IDX_MAXDIM];
} ml_idx_info;

/* Read and check the header only. */
int ml_idx_header(const char *path, ml_idx_info *info);
/* Load an IDX file as a dims[0] x (dims[1]*...*dims[ndim-1]) matrix (a 1-D file gives a
 * column) of dtype t, each element v stored as scale*v + shift. limit > 0 reads only the
 * first `limit` items (rows); otherwise the whole file, which must end exactly after the
 * data. info (may be NULL) receives the header. */
int ml_idx_load(ml_mat *out, const char *path, ml_dtype t, double scale, double shift, size_t limit, ml_idx_info *info);
/* Name of an IDX type code ("ubyte", ..., "float64"), or NULL. */
const char *ml_idx_type_name(int type);

/* A text as token ids over a byte vocabulary: ids[i] in 0..vocab_size-1, vocab[id] the
 * byte, index[byte] the id (-1 for bytes outside the vocabulary). */
typedef struct ml_corpus {
    unsigned char *ids;
    size_t n;
    int vocab_size;
    unsigned char vocab[256];
    short index[256];
} ml_corpus;

enum { ML_CORPUS_FORTUNE = 1 };   /* drop lines that are exactly "%" (fortune separators) */

/* Load a file, or every regular file of a directory in name order (symbolic links, names
 * starting with '.' and names ending in ".dat" skipped; a newline is put between files
 * that lack one). The vocabulary is the set of bytes present, in byte order. */
int ml_corpus_load(ml_corpus *c, const char *path, unsigned flags);
/* The same from a buffer. vocab (may be NULL: the bytes present) lists the nvocab distinct
 * bytes in id order; a byte of the text outside it is an error (a validation split that
 * must share the training split's ids). */
int ml_corpus_from_bytes(ml_corpus *c, const unsigned char *text, size_t n, const unsigned char *vocab, int nvocab);
/* A copy of ids[start .. start+len-1] with the same vocabulary (train/validation splits). */
int ml_corpus_slice(ml_corpus *out, const ml_corpus *c, size_t start, size_t len);
void ml_corpus_free(ml_corpus *c);

/* Next-token windows: for each row b, X[b,:] = ids[s_b .. s_b+T-1] and either y[b] = ids[s_b+T]
 * (X: B x T, y: vector of B) or, when y is B x T (T > 1), y[b,:] = ids[s_b+1 .. s_b+T] (every
 * position's next token, a GPT's targets). With rng, s_b uniform in 0..n-T-1; otherwise s_b = start +
 * b*stride, which must stay inside the corpus. */
int ml_corpus_batch(const ml_corpus *c, ml_mat *X, ml_mat *y, ml_rng *rng, size_t start, size_t stride);

#endif
