#include "check.h"
#include "blas_core.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The registry grows with the tests (registered by constructors before main); a test that
 * cannot be registered stops the run rather than being dropped. */
typedef struct { const char *name; void (*fn)(void); } test_entry;
static test_entry *tests;
static int ntests, cap, current_failed;

void ml_test_register(const char *name, void (*fn)(void))
{
    if (ntests == cap) {
        int ncap = cap ? 2 * cap : 64;
        test_entry *t = realloc(tests, (size_t)ncap * sizeof *t);
        if (!t) {
            fprintf(stderr, "test runner: out of memory registering test %d (%s)\n", ntests + 1, name);
            exit(2);
        }
        tests = t;
        cap = ncap;
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
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

/* ML_TEST_SKIP="a b": tests not to run (tests/valgrind.sh: numerical sweeps that take minutes
 * under valgrind and reach no code the other tests do not). */
static int skipped(const char *name)
{
    const char *list = getenv("ML_TEST_SKIP");
    size_t n = strlen(name);
    for (const char *p = list; p && (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) return 1;
    return 0;
}

/* Usage: test_core [substring]: run the tests whose names contain it. */
int main(int argc, char **argv)
{
    ml_blas_core_reexec(argv);   /* test the kernels bin/muonlab runs */
    int passed = 0, failed = 0;
    if (ntests) qsort(tests, (size_t)ntests, sizeof tests[0], by_name);
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        if (skipped(tests[i].name)) {
            printf("skip %s (ML_TEST_SKIP)\n", tests[i].name);
            continue;
        }
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
    fflush(stdout);   /* before LeakSanitizer's report at exit, which ends the process with _exit */
    free(tests);
    return failed ? 1 : 0;
}
