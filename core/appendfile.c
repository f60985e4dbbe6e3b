#include "appendfile.h"
#include "error.h"
#include "files.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int ml_appendfile_write(const char *path, const void *data, size_t len)
{
    int created = 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        created = fd >= 0;
        if (fd < 0 && errno == EEXIST) fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0) return ml_error(ML_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ml_error(ML_EIO, "cannot stat '%s': %s", path, strerror(e));
    }
    /* One write(2) for the whole buffer; the loop only continues after a signal or a
     * short write, and any failure removes what was written. */
    const char *p = data;
    size_t left = len;
    int e = 0;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            e = n < 0 ? errno : EIO;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (e) {
        if (left < len && ftruncate(fd, st.st_size) != 0) { /* nothing more to do: resume drops a partial line */ }
        close(fd);
        return ml_error(ML_EIO, "cannot append to '%s': %s", path, strerror(e));
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        e = errno;
        close(fd);
        return ml_error(ML_EIO, "cannot sync '%s': %s", path, strerror(e));
    }
    if (close(fd) != 0) return ml_error(ML_EIO, "cannot close '%s': %s", path, strerror(errno));
    if (created) ml_file_sync_dir(path);
    return ML_OK;
}

int ml_appendfile_lock(const char *path, int *fd)
{
    *fd = -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (f < 0) return ml_error(ML_EIO, "cannot open lock file '%s': %s", path, strerror(errno));
        if (flock(f, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char pid[24];
            ssize_t n = pread(f, pid, sizeof pid - 1, 0);
            close(f);
            if (e != EWOULDBLOCK) return ml_error(ML_EIO, "cannot lock '%s': %s", path, strerror(e));
            pid[n > 0 ? n : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            if (!*pid) return ml_error(ML_EINVAL, "'%s' is locked by another process", path);
            return ml_error(ML_EINVAL, "'%s' is locked by another process (pid %s)", path, pid);
        }
        /* The holder before us may have removed the file after we opened it: then we
         * locked an orphan and must try again with the file now at path. */
        struct stat a, b;
        if (fstat(f, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) { /* the pid is only informative */ }
            *fd = f;
            return ML_OK;
        }
        close(f);
    }
    return ml_error(ML_EIO, "cannot lock '%s': the lock file keeps changing", path);
}

void ml_appendfile_unlock(const char *path, int fd)
{
    if (fd < 0) return;
    if (path) unlink(path);   /* while still locked: see ml_appendfile_lock */
    close(fd);
}
