#include "check.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TESTS 1024

static struct { const char *name; void (*fn)(void); } tests[MAX_TESTS];
static int ntests, current_failed;

void ml_test_register(const char *name, void (*fn)(void))
{
    if (ntests < MAX_TESTS) {
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void ml_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failed = 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Usage: test_core [substring]: run the tests whose names contain it. */
int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    qsort(tests, (size_t)ntests, sizeof tests[0], by_name);
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        current_failed = 0;
        tests[i].fn();
        if (current_failed) {
            failed++;
            fprintf(stderr, "not ok %s\n", tests[i].name);
        } else {
            passed++;
        }
    }
    printf("core: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
