/* Kernels for the optimizers of lua/muonlab/optim: the reductions, broadcasts and fused
 * elementwise updates that Lua must not loop over. Each works on float64 and float32 matrices
 * (views included) and accumulates in double. Shapes are checked here; NaN passes through.
 *
 * The nuclear (dual) norm from an orthogonalised update O = polar(M) is <M, O> = ml_dot(M, O)
 * (ops.h); nothing extra is needed for it. */
#ifndef ML_OPTIM_PRIMS_H
#define ML_OPTIM_PRIMS_H

#include "matrix.h"

/* Reductions of A (m x n) along one axis:
 *   per_row: out (m x 1)_i = sum_j f(A_ij)     else out (1 x n)_j = sum_i f(A_ij)
 * with f(x) = x^2 when square, else x; divided by the number of terms when mean.
 * out must already have that shape (any dtype). */
int ml_optim_reduce(ml_mat *out, const ml_mat *A, int per_row, int square, int mean);

/* Median of all entries of A (the mean of the two middle values when the count is even), by
 * quickselect on a copy: work must be an allocated float64 matrix with at least numel(A)
 * entries, contiguous (it is overwritten). ML_ENUM when A holds a NaN. */
int ml_optim_median(const ml_mat *A, ml_mat *work, double *out);

/* The q-quantile of all entries of A (0 <= q <= 1) with linear interpolation between order
 * statistics (numpy's and torch.quantile's default: position q (n - 1)), by quickselect on a
 * copy in work (as ml_optim_median). ML_ENUM when A holds a NaN. */
int ml_optim_quantile(const ml_mat *A, ml_mat *work, double q, double *out);

/* Top-k sparsification in place: keep the k entries of largest |A_ij| (ties at the threshold
 * kept in row-major order, so exactly k survive), set the others to 0. work as for the median. */
int ml_optim_topk(ml_mat *A, size_t k, ml_mat *work);

/* Broadcast scaling in place: per_row A_ij *= v_i (v has m entries), else A_ij *= v_j
 * (n entries); v is a row or column vector (k x 1 or 1 x k). */
int ml_optim_scale(ml_mat *A, const ml_mat *v, int per_row);

typedef enum {
    ML_MAP_SIGN,   /* sign(x), sign(0) = 0 */
    ML_MAP_ABS,
    ML_MAP_SQRT,
    ML_MAP_LOG1P,
    ML_MAP_POW,    /* (x + b)^a; a = 1/2, -1/2, -1 use sqrt, 1/sqrt and 1/x, so they round once */
    ML_MAP_CLIP,   /* min(max(x, a), b); needs a <= b */
    ML_MAP_COSH,   /* cosh(a x) */
    ML_MAP_NATURAL /* sign(x) times the power of two nearest |x| (linear distance, ties up; 0, inf, NaN
                    * kept): natural compression's deterministic form, relative error <= 1/3 */
} ml_map_op;

/* A <- op(A) elementwise, in place. */
int ml_optim_map(ml_mat *A, ml_map_op op, double a, double b);

/* Adam moments in one pass:  m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2.
 * m, v, g equal shapes and one dtype. */
int ml_optim_adam_moments(ml_mat *m, ml_mat *v, const ml_mat *g, double b1, double b2);

/* Adam direction:  dst <- (m / c1) / (sqrt(v / c2) + eps)^q   (c1, c2 the bias corrections
 * 1 - b^t, or 1; q = 1 for Adam, q = 1/2 for the ada2 norm of Crawshaw et al.).
 * dst may be m or v. Equal shapes and one dtype. */
int ml_optim_adam_dir(ml_mat *dst, const ml_mat *m, const ml_mat *v, double c1, double c2, double eps, double q);

/* Momentum and its look-ahead in one pass (Muon, eq. 1 of Jordan et al.; the Nesterov forms of
 * muon.lua):  mu <- beta mu + (1 - beta) g,  then  out <- a mu + b g  with the new mu (out may
 * be NULL: the first line only). Each line rounds as ml_axpby does (computed in double, rounded
 * once to the storage), so the result is bit for bit that of the two axpby passes, reading mu
 * and g once instead of twice. Elementwise: NaN/Inf propagate as in ml_axpby. mu, g and out of
 * equal shape and dtype; none of the three may share storage with another. */
int ml_optim_momentum(ml_mat *mu, ml_mat *out, const ml_mat *g, double beta, double a, double b);

#endif
