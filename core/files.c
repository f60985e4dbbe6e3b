/* Checked inputs, atomic outputs, directories (files.h). */
#include "files.h"
#include "error.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINK_HOPS 40   /* Linux's own limit (ELOOP) */

const char *ml_file_kind(mode_t mode)
{
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISREG(mode)) return "a regular file";
    return "not a regular file";
}

int ml_file_open_input(const char *path, int allow_dir, int *fd, struct stat *st)
{
    *fd = -1;
    if (!path || !*path) return ml_error(ML_EINVAL, "empty file name");
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
    if (fstat(f, st) != 0) {
        int e = errno;
        close(f);
        return ml_error(ML_EIO, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(st->st_mode) && allow_dir) {
        close(f);
        return ML_OK;
    }
    if (!S_ISREG(st->st_mode)) {
        close(f);
        return ml_error(ML_EINVAL, "%s: is %s, not a regular file", path, ml_file_kind(st->st_mode));
    }
    int flags = fcntl(f, F_GETFL);
    if (flags >= 0) fcntl(f, F_SETFL, flags & ~O_NONBLOCK);
    *fd = f;
    return ML_OK;
}

static int copy(char *out, size_t n, const char *s, const char *path)
{
    size_t len = strlen(s);
    if (len >= n) return ml_error(ML_EINVAL, "%s: file name too long", path);
    memcpy(out, s, len + 1);
    return ML_OK;
}

int ml_file_resolve(const char *path, char *out, size_t n)
{
    if (!path || !*path) return ml_error(ML_EINVAL, "empty file name");
    char cur[ML_PATH_MAX], link[ML_PATH_MAX];
    if (copy(cur, sizeof cur, path, path)) return ML_EINVAL;
    /* Follow the last component while it is a symbolic link (dangling ones too: the
     * writer then creates the link's target, as open(2) would). */
    int hops = 0;
    for (;; hops++) {
        ssize_t k = readlink(cur, link, sizeof link - 1);
        if (k < 0) {
            if (errno == EINVAL || errno == ENOENT) break;   /* not a link, or not there yet */
            return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
        }
        if (hops == MAX_LINK_HOPS) return ml_error(ML_EIO, "%s: %s", path, strerror(ELOOP));
        link[k] = '\0';
        if (link[0] == '/') {
            if (copy(cur, sizeof cur, link, path)) return ML_EINVAL;
        } else {
            char *slash = strrchr(cur, '/');
            size_t dirlen = slash ? (size_t)(slash - cur) + 1 : 0;
            if (dirlen + (size_t)k >= sizeof cur) return ml_error(ML_EINVAL, "%s: file name too long", path);
            memcpy(cur + dirlen, link, (size_t)k + 1);
        }
    }
    /* The directory part, canonical. */
    char *slash = strrchr(cur, '/');
    const char *base = slash ? slash + 1 : cur;
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return ml_error(ML_EINVAL, "%s: not a file name (it names a directory)", path);
    char dir[ML_PATH_MAX];
    if (!slash) strcpy(dir, ".");
    else if (slash == cur) strcpy(dir, "/");
    else {
        memcpy(dir, cur, (size_t)(slash - cur));
        dir[slash - cur] = '\0';
    }
    char canon[PATH_MAX];
    if (!realpath(dir, canon)) return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
    int len = snprintf(out, n, "%s/%s", strcmp(canon, "/") ? canon : "", base);
    if (len < 0 || (size_t)len >= n) return ml_error(ML_EINVAL, "%s: file name too long", path);
    return ML_OK;
}

/* 16 hex digits, unpredictable across processes, hosts and PID namespaces. */
static void random_hex(char out[17])
{
    static unsigned long counter;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&r ^
            ++counter * 0xbf58476d1ce4e5b9u;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)r);
}

void ml_file_sync_dir(const char *path)
{
    char dir[ML_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) strcpy(dir, ".");
    else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);   /* best effort: not every file system supports it */
    close(fd);
}

/* The resolved target of path, refused when it exists and is not a regular file; *st and
 * *exists describe it. */
static int writable_target(const char *path, char *target, size_t n, struct stat *st, int *exists)
{
    if (!path || !*path) return ml_error(ML_EINVAL, "empty file name");
    int rc = ml_file_resolve(path, target, n);
    if (rc) return rc;
    *exists = stat(target, st) == 0;
    if (!*exists && errno != ENOENT) return ml_error(ML_EIO, "%s: %s", path, strerror(errno));
    if (*exists && !S_ISREG(st->st_mode))
        return ml_error(ML_EINVAL, "%s: is %s, not a regular file (refusing to replace it)", path,
                        ml_file_kind(st->st_mode));
    return ML_OK;
}

int ml_atomic_begin(ml_atomic *a, const char *path)
{
    a->f = NULL;
    a->tmp[0] = '\0';
    a->path = path;
    struct stat st;
    int exists, rc = writable_target(path, a->target, sizeof a->target, &st, &exists);
    if (rc) return rc;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        char hex[17];
        random_hex(hex);
        int len = snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%s", a->target, hex);
        if (len < 0 || (size_t)len >= sizeof a->tmp) {
            a->tmp[0] = '\0';
            return ml_error(ML_EINVAL, "%s: file name too long", path);
        }
        /* 0666 & ~umask, as fopen would create the file */
        fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        a->tmp[0] = '\0';
        return ml_error(ML_EIO, "%s: cannot create a temporary file beside it: %s", path, strerror(e));
    }
    if (exists) {   /* keep the file's owner (only root may) and mode */
        if (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) != 0) { /* keep root's ownership */ }
        if (fchmod(fd, st.st_mode & 07777) != 0) { /* the new file keeps the default mode */ }
    }
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        a->tmp[0] = '\0';
        return ml_error(ML_EIO, "%s: %s", path, strerror(e));
    }
    return ML_OK;
}

void ml_atomic_abort(ml_atomic *a)
{
    int e = errno;   /* callers may still want to report it */
    if (a->f) fclose(a->f);
    a->f = NULL;
    if (a->tmp[0]) unlink(a->tmp);
    a->tmp[0] = '\0';
    errno = e;
}

/* rename tmp over target (both in one directory), then make that durable. */
static int install(const char *tmp, const char *target, const char *path)
{
    if (rename(tmp, target) != 0) {
        int e = errno;
        unlink(tmp);
        return ml_error(ML_EIO, "%s: %s", path, strerror(e));
    }
    ml_file_sync_dir(target);
    return ML_OK;
}

int ml_atomic_commit(ml_atomic *a)
{
    int e = 0;
    const char *what = NULL;
    if (ferror(a->f)) what = "write error";
    else if (fflush(a->f) != 0 || (fsync(fileno(a->f)) != 0 && errno != EINVAL)) e = errno;
    if (fclose(a->f) != 0 && !e && !what) e = errno;
    a->f = NULL;
    if (e || what) {
        unlink(a->tmp);
        a->tmp[0] = '\0';
        return ml_error(ML_EIO, "%s: %s", a->path, what ? what : strerror(e));
    }
    int rc = install(a->tmp, a->target, a->path);
    a->tmp[0] = '\0';
    return rc;
}

int ml_atomic_write(const char *path, const void *data, size_t n)
{
    ml_atomic a;
    int rc = ml_atomic_begin(&a, path);
    if (rc) return rc;
    errno = 0;
    if (n && fwrite(data, 1, n, a.f) != n) {
        int e = errno ? errno : EIO;
        ml_atomic_abort(&a);
        return ml_error(ML_EIO, "%s: %s", path, strerror(e));
    }
    return ml_atomic_commit(&a);
}

int ml_atomic_stage(const char *path, const void *data, size_t n, char *tmp, size_t tmpn)
{
    ml_atomic a;
    int rc = ml_atomic_begin(&a, path);
    if (rc) return rc;
    if (strlen(a.tmp) >= tmpn) {
        ml_atomic_abort(&a);
        return ml_error(ML_EINVAL, "%s: file name too long", path);
    }
    errno = 0;
    int e = 0;
    if (n && fwrite(data, 1, n, a.f) != n) e = errno ? errno : EIO;
    if (fclose(a.f) != 0 && !e) e = errno;
    a.f = NULL;
    if (e) {
        ml_atomic_abort(&a);
        return ml_error(ML_EIO, "%s: %s", path, strerror(e));
    }
    strcpy(tmp, a.tmp);
    return ML_OK;
}

int ml_atomic_commit_file(const char *tmp, const char *path)
{
    char target[ML_PATH_MAX];
    struct stat st;
    int exists, rc = writable_target(path, target, sizeof target, &st, &exists);
    if (rc) return rc;
    if (!tmp || !*tmp) return ml_error(ML_EINVAL, "%s: no temporary file to commit", path);
    int fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return ml_error(ML_EIO, "%s: staged file %s: %s", path, tmp, strerror(errno));
    struct stat ts;
    int e = 0;
    if (fstat(fd, &ts) != 0) e = errno;
    else if (!S_ISREG(ts.st_mode)) e = EINVAL;
    else if (fsync(fd) != 0 && errno != EINVAL) e = errno;
    close(fd);
    if (e) return ml_error(ML_EIO, "%s: staged file %s: %s", path, tmp, strerror(e));
    return install(tmp, target, path);
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    int rc = flag == FTW_DP ? rmdir(p) : unlink(p);
    if (rc != 0 && errno != ENOENT) return ml_error(ML_EIO, "cannot remove %s: %s", p, strerror(errno));
    return 0;
}

int ml_remove(const char *path, int recursive)
{
    if (!path || !*path) return ml_error(ML_EINVAL, "empty path");
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? ML_OK : ml_error(ML_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT) return ml_error(ML_EIO, "cannot remove %s: %s", path, strerror(errno));
        return ML_OK;
    }
    if (!recursive) {
        if (rmdir(path) != 0) return ml_error(ML_EIO, "cannot remove %s: %s", path, strerror(errno));
        return ML_OK;
    }
    int rc = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    if (rc > 0) return ML_EIO;   /* remove_entry recorded the message */
    if (rc < 0) return ml_error(ML_EIO, "cannot walk %s: %s", path, strerror(errno));
    return ML_OK;
}

int ml_mkdir(const char *path, int parents)
{
    if (!path || !*path) return ml_error(ML_EINVAL, "empty directory name");
    char buf[ML_PATH_MAX];
    if (copy(buf, sizeof buf, path, path)) return ML_EINVAL;
    if (parents) {
        for (char *p = buf + 1; *p; p++) {
            if (*p != '/') continue;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                int rc = ml_error(ML_EIO, "%s: cannot create %s: %s", path, buf, strerror(errno));
                *p = '/';
                return rc;
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0777) == 0) return ML_OK;
    int e = errno;
    struct stat st;
    if (e == EEXIST && parents && stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) return ML_OK;
    if (e == EEXIST && stat(buf, &st) == 0 && !S_ISDIR(st.st_mode))
        return ml_error(ML_EIO, "%s: exists and is %s, not a directory", path, ml_file_kind(st.st_mode));
    return ml_error(ML_EIO, "%s: %s", path, strerror(e));
}
