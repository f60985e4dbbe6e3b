/* ML_CLONES: build a hot row kernel twice, for baseline x86-64 (SSE2, 4 float lanes) and for
 * x86-64-v3 (AVX2 + FMA, 8 lanes), the CPU picking one at load time (GCC target_clones): the layer
 * kernels, the elementwise ops (ops.c), the max-abs and finiteness scans (ops.c, matrix.c). The
 * build stays portable and valgrind-clean (no AVX-512 code) while AVX2 machines run 8 lanes.
 * ISO C mode (-std=c11) keeps floating-point contraction off, so elementwise kernels give the
 * same bits in both; omp simd reductions may sum in another order (within their tolerance). */
#ifndef ML_INTERNAL_SIMD_H
#define ML_INTERNAL_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define ML_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ML_CLONES
#endif

#endif
