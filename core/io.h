/* Matrix files: NumPy .npy (format 1.0/2.0/3.0) and numpy.savetxt-style text.
 *
 * Loading picks the format by extension: ".npy" is NumPy's binary format, anything
 * else is text (whitespace-separated; comma-separated when the name ends in ".csv").
 * Every file is written atomically: to "<path>.tmp.<pid>", flushed, fsync'ed and
 * renamed over the target, so an interrupted run never leaves a truncated file.
 * Reference for the binary format: numpy/lib/format.py (NEP 1). */
#ifndef ML_IO_H
#define ML_IO_H

#include <stdio.h>
#include "matrix.h"

/* Load a matrix. *out is overwritten (not freed first); on failure it is left cleared.
 * .npy files keep their dtype (float32 or float64); text files give float64.
 * A 1-D array or a single-column text file gives an n x 1 matrix. */
int ml_io_load(ml_mat *out, const char *path);
/* Save A (any stride, so views work) in the format chosen by path's extension. */
int ml_io_save(const char *path, const ml_mat *A);

int ml_io_load_npy(ml_mat *out, const char *path);
/* Format 1.0, C order, A's dtype, data offset a multiple of 64 (as numpy writes). */
int ml_io_save_npy(const char *path, const ml_mat *A);

/* sep = 0: fields separated by whitespace; otherwise by that character (e.g. ',').
 * Blank lines and everything from a '#' to the end of a line are ignored. */
int ml_io_load_text(ml_mat *out, const char *path, char sep);
/* One row per line, entries as "%.18e" (numpy.savetxt's default, exact for doubles)
 * separated by a single space (sep = 0) or by sep. */
int ml_io_save_text(const char *path, const ml_mat *A, char sep);

/* Atomic writes, reusable by any writer:
 *     char tmp[ML_IO_TMPLEN];
 *     FILE *f = ml_io_atomic_open(path, tmp, sizeof tmp);
 *     if (!f) return ML_EIO;
 *     ... write to f; on a failure: ml_io_atomic_abort(f, tmp); return ...;
 *     return ml_io_atomic_commit(f, tmp, path);
 * open returns NULL with an error recorded; commit flushes, fsyncs and renames the
 * temporary over path, removing it and returning an error on any failure; abort closes
 * and removes it. Both commit and abort consume f. */
#define ML_IO_TMPLEN 4096
FILE *ml_io_atomic_open(const char *path, char *tmp, size_t n);
int ml_io_atomic_commit(FILE *f, const char *tmp, const char *path);
void ml_io_atomic_abort(FILE *f, const char *tmp);

#endif
