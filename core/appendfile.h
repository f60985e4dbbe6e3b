/* Durable appends and exclusive locks for results files (the sweep runner's rows).
 *
 * A row is appended with one write(2) on an O_APPEND descriptor followed by fsync(2):
 * a process killed at any moment leaves the file with or without the whole row, never
 * half of it (a failed or short write is cut back off with ftruncate). */
#ifndef ML_APPENDFILE_H
#define ML_APPENDFILE_H

#include <stddef.h>

/* Append len bytes to path (created 0666 & ~umask if missing, and then its directory
 * entry is fsync'ed too) with a single write and fsync. Returns ML_OK or ML_EIO. */
int ml_appendfile_write(const char *path, const void *data, size_t len);

/* Take an exclusive advisory lock (flock) on the lock file path, creating it and
 * writing our pid into it. Returns ML_OK and the descriptor in *fd, ML_EINVAL when
 * another process holds the lock (the message names its pid), ML_EIO otherwise. */
int ml_appendfile_lock(const char *path, int *fd);
/* Remove the lock file and release the lock (safe: lockers check they locked the
 * file that is still at path). */
void ml_appendfile_unlock(const char *path, int fd);

#endif
