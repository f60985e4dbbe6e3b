#include "blas_core.h"
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

char *openblas_get_corename(void);   /* OpenBLAS extension; not in every cblas.h */

const char *ml_blas_core(void) { return openblas_get_corename(); }

/* OpenBLAS cores whose kernels use AVX2 or AVX-512 (0.3.21's names). */
static int is_avx2_core(const char *name)
{
    static const char *const cores[] = {"Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"};
    for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
        if (!strcasecmp(name, cores[i])) return 1;
    return 0;
}

const char *ml_blas_better_core(void)
{
    const char *now = ml_blas_core();
    if (!now || is_avx2_core(now)) return NULL;
    /* libgcc's CPUID reading, which also checks that the OS saves the AVX/AVX-512 registers. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return NULL;
}

void ml_blas_core_reexec(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE")) return;   /* the user's choice, or this program's after its exec */
    const char *better = ml_blas_better_core();
    if (!better) return;
    if (setenv("ML_BLAS_FALLBACK", ml_blas_core(), 1) || setenv("OPENBLAS_CORETYPE", better, 1)) return;
    execv("/proc/self/exe", argv);
    /* exec failed: run on as we are, and say nothing was replaced */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("ML_BLAS_FALLBACK");
}

const char *ml_blas_fallback(void)
{
    const char *s = getenv("ML_BLAS_FALLBACK");
    return s && *s && getenv("OPENBLAS_CORETYPE") ? s : NULL;
}
