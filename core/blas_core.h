/* Which OpenBLAS kernels run. Debian's OpenBLAS (0.3.21, built DYNAMIC_ARCH) picks its kernels
 * by CPU model number when it loads; on a CPU newer than it knows (seen: Intel family 6 model 207,
 * Emerald Rapids, with AVX-512) it falls back to Prescott's SSE3 kernels, a quarter of the
 * machine's gemm rate. OPENBLAS_CORETYPE, read when the library loads, overrides the choice, so a
 * program fixes it by re-executing itself with the variable set (ml_blas_core_reexec). */
#ifndef ML_BLAS_CORE_H
#define ML_BLAS_CORE_H

/* The kernels OpenBLAS runs ("Haswell", "SkylakeX", "Prescott", ...). */
const char *ml_blas_core(void);

/* The OPENBLAS_CORETYPE for this CPU's instruction set ("SkylakeX" with AVX-512 F/BW/VL/DQ/CD,
 * "Haswell" with AVX2 and FMA) when the running kernels are a fallback without AVX2; NULL when
 * OpenBLAS chose AVX2 or better kernels itself, or the CPU has nothing better. Read from CPUID
 * (with the operating system's support for the registers), never from the model number. */
const char *ml_blas_better_core(void);

/* When OPENBLAS_CORETYPE is unset and ml_blas_better_core() names kernels: set it (and
 * ML_BLAS_FALLBACK to the kernels OpenBLAS chose by itself, for ml_blas_fallback) and execv
 * /proc/self/exe with argv. Returns only when there is nothing to do, or when exec failed
 * (the program then runs on, with the slower kernels). Call first thing in main(). */
void ml_blas_core_reexec(char **argv);

/* The instruction set libxsmm generates the small products' kernels for (internal/smallmm.h:
 * "hsw" for AVX2, "skx"/"clx"/"cpx" for AVX-512, ...): from CPUID, or LIBXSMM_TARGET when set. A
 * proxy run of an AVX2 machine on an AVX-512 one sets both OPENBLAS_CORETYPE=Haswell and
 * LIBXSMM_TARGET=hsw. */
const char *ml_smallmm_target(void);

/* The kernels OpenBLAS chose by itself before ml_blas_core_reexec replaced them, or NULL. */
const char *ml_blas_fallback(void);

#endif
