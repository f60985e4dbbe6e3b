/* Matrix files: NumPy .npy (format 1.0/2.0/3.0) and numpy.savetxt-style text.
 *
 * Loading picks the format by extension: ".npy" is NumPy's binary format, anything
 * else is text (whitespace-separated; comma-separated when the name ends in ".csv").
 * Every file is written atomically (core/files.h: a unique temporary beside the target,
 * fsync, rename, fsync of the directory), so a reader or a crash never sees half a file;
 * a symbolic link is written through, a non-regular target (FIFO, device) refused, and
 * an existing file keeps its mode. Loading refuses anything but a regular file.
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

#endif
