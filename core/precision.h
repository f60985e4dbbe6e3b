/* Reduced-precision emulation: what a GPU run of Muon sees in bf16, fp16 or fp32.
 *
 * Formats (IEEE 754 binary formats, round-to-nearest-even everywhere):
 *   bf16  1 sign, 8 exponent, 7 mantissa bits: fp32's range, 2^-8 relative precision;
 *         max finite (2 - 2^-7)*2^127, subnormals down to 2^-133.
 *   fp16  1 sign, 5 exponent, 10 mantissa bits (binary16): max finite 65504, values of
 *         magnitude >= 65520 round to Inf, smallest normal 2^-14, subnormals down to 2^-24.
 *   fp32, fp64  the usual binary32 and binary64.
 * Rounding keeps signed zeros and Infs; a NaN stays a quiet NaN (payload truncated).
 *
 * Products (ml_gemm_prec, ml_syrk_prec) model a tensor-core GEMM with fp32 accumulation:
 * the operands are rounded to the format, multiplied and summed in fp32 by BLAS sgemm,
 * and the result is rounded back to the format once. This is exact per product (the product
 * of two bf16 or two fp16 numbers fits in fp32's 24-bit mantissa), so sgemm on rounded fp32
 * copies equals bf16-in/fp32-accumulate up to the order of the sums.
 * Not emulated: the accumulation order and blocking of a real kernel (sgemm rounds its
 * partial sums in its own order; a GPU kernel may use a different order, split-K, or fewer
 * than 24 bits in its adders), the exact point where alpha and beta are applied (here in
 * fp32: alpha*sum + beta*C, then one rounding to the format), fp8 formats, and stochastic
 * rounding. Elementwise operations outside these products are the caller's business: round
 * their results with ml_mat_round where the GPU code would store a tensor.
 *
 * Values in the formats are stored in ordinary float32 or float64 matrices; a float64 entry
 * is rounded to the format directly (no intermediate rounding through fp32). */
#ifndef ML_PRECISION_H
#define ML_PRECISION_H

#include <stdint.h>
#include "matrix.h"
#include "ops.h"

typedef enum { ML_FP64, ML_FP32, ML_BF16, ML_FP16 } ml_precision;

/* "fp64"/"float64", "fp32"/"float32", "bf16"/"bfloat16", "fp16"/"float16";
 * returns 0 or ML_EINVAL with a message listing the names. */
int ml_precision_parse(const char *s, ml_precision *out);
/* "fp64", "fp32", "bf16" or "fp16". */
const char *ml_precision_name(ml_precision p);

/* 16-bit patterns, by integer operations on the fp32 bits (no compiler 16-bit types). */
uint16_t ml_f32_to_bf16_bits(float x);
float ml_bf16_bits_to_f32(uint16_t h);
uint16_t ml_f32_to_fp16_bits(float x);
float ml_fp16_bits_to_f32(uint16_t h);

/* x rounded to the format and widened back (exactly) to float. */
float ml_round_bf16(float x);
float ml_round_fp16(float x);
/* x rounded directly to precision p (fp64: x itself). */
double ml_round_double(double x, ml_precision p);

/* Round every entry of m to precision p, in place; the value is stored back in m's dtype.
 * fp64 is a no-op; fp32 on a float32 matrix is a no-op. Branch-free, vectorisable loops. */
void ml_mat_round(ml_mat *m, ml_precision p);

/* Scratch matrices for the rounded fp32 copies of the operands; keep one per call site in
 * a hot loop: after the first call with given shapes no further allocation happens. */
typedef struct ml_prec_work {
    ml_mat A, B, C;
} ml_prec_work;

void ml_prec_work_init(ml_prec_work *w);
void ml_prec_work_free(ml_prec_work *w);

/* C <- alpha*op(A)*op(B) + beta*C computed in precision p:
 *   fp64       dgemm on float64 values (float32 operands are widened exactly);
 *   fp32       sgemm on float32 values (float64 operands are rounded to fp32);
 *   bf16/fp16  A, B and (when beta != 0) C rounded to the format, sgemm with fp32
 *              accumulation, result rounded to the format.
 * A, B and C may have any dtypes; C keeps its own and must have the shape of the product.
 * C must not share storage with A or B (as for BLAS). w may be NULL: then a workspace
 * owned by the calling thread is used (ml_prec_release frees it). */
int ml_gemm_prec_w(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb,
                   double beta, ml_precision p, ml_prec_work *w);
int ml_gemm_prec(ml_mat *C, double alpha, const ml_mat *A, ml_trans ta, const ml_mat *B, ml_trans tb,
                 double beta, ml_precision p);

/* C <- alpha*A*A^T + beta*C (ML_NOTRANS) or alpha*A^T*A + beta*C (ML_TRANS) in precision p,
 * with the same rules as ml_gemm_prec; both triangles of C are filled. */
int ml_syrk_prec_w(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta, ml_precision p,
                   ml_prec_work *w);
int ml_syrk_prec(ml_mat *C, double alpha, const ml_mat *A, ml_trans trans, double beta, ml_precision p);

/* Free the calling thread's internal workspace (used when w is NULL). */
void ml_prec_release(void);

#endif
