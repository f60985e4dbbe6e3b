/* Tests of core/appendfile.c: appends land whole and in order, the lock excludes a second
 * holder (flock locks belong to the open file description, so a second open in this
 * process is refused just as another process would be) and is released on unlock. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* mkdtemp */
#endif
#include "check.h"
#include "appendfile.h"
#include "error.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    return got;
}

TEST(appendfile_appends_whole_lines_in_order)
{
    char dir[] = "/tmp/ml_append_XXXXXX", path[64], buf[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    CHECK_OK(ml_appendfile_write(path, "a,b\n", 4));   /* creates the file */
    CHECK_OK(ml_appendfile_write(path, "1,2\n", 4));
    CHECK_OK(ml_appendfile_write(path, "", 0));
    CHECK_OK(ml_appendfile_write(path, "3,4\n", 4));
    CHECK(slurp(path, buf, sizeof buf) == 12);
    CHECK(strcmp(buf, "a,b\n1,2\n3,4\n") == 0);

    char missing[96];
    snprintf(missing, sizeof missing, "%s/no/such/dir.csv", dir);
    CHECK(ml_appendfile_write(missing, "x\n", 2) == ML_EIO);
    CHECK(strstr(ml_errmsg(), "cannot open") != NULL);
    unlink(path);
    rmdir(dir);
}

TEST(appendfile_lock_excludes_and_releases)
{
    char dir[] = "/tmp/ml_lock_XXXXXX", path[64], buf[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/rows.csv.lock", dir);
    int fd = -1, fd2 = -1;
    CHECK_OK(ml_appendfile_lock(path, &fd));
    CHECK(fd >= 0);
    CHECK(slurp(path, buf, sizeof buf) > 0 && atol(buf) == (long)getpid());   /* the holder's pid */
    CHECK(ml_appendfile_lock(path, &fd2) == ML_EINVAL);
    CHECK(fd2 == -1);
    CHECK(strstr(ml_errmsg(), "locked by another process (pid ") != NULL);
    ml_appendfile_unlock(path, fd);
    CHECK(access(path, F_OK) != 0);                                           /* removed */
    CHECK_OK(ml_appendfile_lock(path, &fd2));                                 /* free again */
    ml_appendfile_unlock(path, fd2);
    rmdir(dir);
}
