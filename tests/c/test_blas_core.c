/* The OpenBLAS kernels that run use the CPU's vector units: on a CPU Debian's OpenBLAS does not
 * know (it falls back to Prescott's SSE3 kernels) the runner re-executes itself with
 * OPENBLAS_CORETYPE set, as bin/muonlab does (core/blas_core.c). The CPU's instruction set is read
 * here from /proc/cpuinfo, independently of the CPUID reading the library does. */
#include "blas_core.h"
#include "check.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cpu_has(const char *flags, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = flags; (p = strstr(p, name)); p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == 0)) return 1;
    return 0;
}

static int in_list(const char *s, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(s, list[i])) return 1;
    return 0;
}

TEST(blas_core_uses_the_cpus_vector_units)
{
    static char flags[8192];
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        printf("note: blas_core test: no /proc/cpuinfo\n");
        return;
    }
    char line[8192];
    flags[0] = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5) && !flags[0]) snprintf(flags, sizeof flags, "%s", strchr(line, ':') ? strchr(line, ':') + 1 : "");
    fclose(f);
    int avx2 = cpu_has(flags, "avx2") && cpu_has(flags, "fma");
    int avx512 = cpu_has(flags, "avx512f") && cpu_has(flags, "avx512bw") && cpu_has(flags, "avx512vl") &&
                 cpu_has(flags, "avx512dq") && cpu_has(flags, "avx512cd");
    const char *core = ml_blas_core(), *fallback = ml_blas_fallback();
    CHECK(core != NULL);
    if (!core) return;
    if (getenv("OPENBLAS_CORETYPE") && !fallback) {   /* the user's choice: nothing to check */
        printf("note: blas_core test: OPENBLAS_CORETYPE=%s set by the user, kernels %s\n", getenv("OPENBLAS_CORETYPE"), core);
        return;
    }
    static const char *const avx2_cores[] = {"Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"};
    if (avx2) {
        if (!in_list(core, avx2_cores, 6)) ml_test_fail(__FILE__, __LINE__, "the CPU has AVX2 and FMA, OpenBLAS runs %s", core);
        CHECK(ml_blas_better_core() == NULL);
    }
    if (fallback) {   /* replaced: by the best kernels for the instruction set */
        const char *want = avx512 ? "SkylakeX" : "Haswell";
        if (strcasecmp(core, want)) ml_test_fail(__FILE__, __LINE__, "OpenBLAS fell back to %s, then runs %s, not %s", fallback, core, want);
        CHECK(!in_list(fallback, avx2_cores, 6));
    }
}
