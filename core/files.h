/* Files as the rest of the core uses them: inputs that must be regular files, outputs that
 * are replaced atomically and durably, directories created without a shell.
 *
 * An atomic write guarantees that a reader (or a crash, or a second writer) sees either the
 * old file or the complete new one, never part of one:
 *   1. the target is resolved: a symbolic link is followed (the link stays, its target is
 *      replaced); a target that exists but is not a regular file (FIFO, device, directory,
 *      socket) is refused;
 *   2. a temporary "<target>.tmp.<16 random hex digits>" is created with O_CREAT|O_EXCL in
 *      the target's directory (rename is atomic only within one file system), mode 0666 &
 *      ~umask for a new file or the existing file's mode (and owner, when run as root);
 *   3. the data are written and the temporary fsync'ed, renamed over the target, and the
 *      directory fsync'ed so the new name survives a power loss.
 * Each writer only ever removes its own temporary, so concurrent writers of one target (in
 * other PID namespaces or on other hosts of a shared file system) never disturb each other:
 * the last rename wins. A writer killed mid-write leaves its temporary behind. */
#ifndef ML_FILES_H
#define ML_FILES_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#define ML_PATH_MAX 4096

/* Open path for reading and check that it is a regular file (or, with allow_dir, a
 * directory: *fd is then -1 and the caller opens it itself). A FIFO is opened with
 * O_NONBLOCK so that the check never blocks; O_NONBLOCK is cleared again on success.
 * st receives the file's status. Messages read "PATH: is a FIFO, not a regular file". */
int ml_file_open_input(const char *path, int allow_dir, int *fd, struct stat *st);

/* path with every symbolic link of its last component followed (also a dangling link) and
 * its directory made absolute and canonical (realpath), so that two names of one file give
 * the same string. The file itself need not exist; its directory must. */
int ml_file_resolve(const char *path, char *out, size_t n);

/* A file being replaced: begin, write through f, then commit or abort (both consume it). */
typedef struct ml_atomic {
    FILE *f;
    char tmp[ML_PATH_MAX];      /* the temporary, in the target's directory */
    char target[ML_PATH_MAX];   /* the resolved target */
    const char *path;           /* the name the caller gave, for messages */
} ml_atomic;

int ml_atomic_begin(ml_atomic *a, const char *path);
/* fflush, fsync, rename over the target, fsync the directory. */
int ml_atomic_commit(ml_atomic *a);
/* Close and remove the temporary; the target is left as it was. */
void ml_atomic_abort(ml_atomic *a);
/* begin, write n bytes, commit. */
int ml_atomic_write(const char *path, const void *data, size_t n);

/* Stage a file that another program fills in: ml_atomic_begin with the data written,
 * closed, its name copied to tmp (n bytes). ml_atomic_commit_file later fsyncs tmp (as
 * the other program left it) and renames it over path like ml_atomic_commit. */
int ml_atomic_stage(const char *path, const void *data, size_t n, char *tmp, size_t tmpn);
int ml_atomic_commit_file(const char *tmp, const char *path);

/* mkdir(2) with mode 0777 & ~umask; parents: create missing parents too, and an existing
 * directory is not an error. */
int ml_mkdir(const char *path, int parents);

/* Remove path: a file, a symbolic link (never followed) or, with recursive, a directory and
 * everything below it (nftw, depth first, staying on this file system and not following links);
 * a missing path is not an error (rm -rf without the shell). */
int ml_remove(const char *path, int recursive);

/* fsync the directory holding path, so that a rename or creation there survives a crash
 * (best effort: not every file system supports it). */
void ml_file_sync_dir(const char *path);

/* "a FIFO", "a character device", ... for messages about a non-regular file. */
const char *ml_file_kind(mode_t mode);

#endif
