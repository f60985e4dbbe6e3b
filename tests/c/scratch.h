/* A scratch directory under $TMPDIR for the C tests that write files:
 *     scratch s;
 *     if (!scratch_open(&s, "ml_io")) return;
 *     ... at(&s, "x.npy") is a path inside it (one buffer, reused by the next call) ...
 *     scratch_close(&s);   (removes it; each file's own close may check its contents first) */
#ifndef ML_TEST_SCRATCH_H
#define ML_TEST_SCRATCH_H

#include "check.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    char dir[256];
    char path[600];
} scratch;

static inline int scratch_open(scratch *s, const char *prefix)
{
    const char *t = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/%s_XXXXXX", t && *t ? t : "/tmp", prefix);
    if (mkdtemp(s->dir)) return 1;
    ml_test_fail(__FILE__, __LINE__, "mkdtemp(%s) failed", s->dir);
    return 0;
}

static inline const char *at(scratch *s, const char *name)
{
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
    return s->path;
}

static inline void scratch_remove(scratch *s)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0) ml_test_fail(__FILE__, __LINE__, "could not remove %s", s->dir);
}

#endif
