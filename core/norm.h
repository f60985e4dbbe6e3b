/* Row normalisations of the transformer, forward and backward side by side. Each row x of
 * the N x n input X (one token's features) is normalised on its own; w (and b) are 1 x n.
 *
 * LayerNorm (Ba et al. 2016; GPT-2), biased variance, eps = ML_NORM_EPS:
 *   mu = mean(x),  r = 1/sqrt(mean((x - mu)^2) + eps),  xh = (x - mu) r,  y = w .* xh + b
 *   backward, g = w .* dy:  dx = r (g - mean(g) - xh mean(g .* xh)),
 *                           dw = sum over rows of dy .* xh,  db = sum over rows of dy.
 * RMSNorm (Zhang & Sennrich 2019; modded-nanogpt), no bias:
 *   r = 1/sqrt(mean(x^2) + eps),  y = w .* x r
 *   backward, g = w .* dy:  dx = r (g - x r^2 mean(g .* x)),  dw = sum over rows of dy .* x r.
 *
 * stats is an N x 2 float64 matrix the forward fills with (mu, r) per row (mu = 0 for RMSNorm)
 * and the backward reads. X, Y, w, b, dX, dY, dw, db share one dtype (float64 or float32);
 * sums are taken in double. Y may not alias X; no kernel allocates. */
#ifndef ML_NORM_H
#define ML_NORM_H

#include "matrix.h"

#define ML_NORM_EPS 1e-5

int ml_nn_layernorm_forward(ml_mat *Y, ml_mat *stats, const ml_mat *X, const ml_mat *w, const ml_mat *b);
/* dw, db overwritten (either may be NULL); dX overwritten, or added to when accumulate != 0
 * (a residual stream's gradient). dX must not alias dY. */
int ml_nn_layernorm_backward(ml_mat *dX, ml_mat *dw, ml_mat *db, const ml_mat *dY, const ml_mat *X, const ml_mat *w,
                             const ml_mat *stats, int accumulate);

int ml_nn_rmsnorm_forward(ml_mat *Y, ml_mat *stats, const ml_mat *X, const ml_mat *w);
int ml_nn_rmsnorm_backward(ml_mat *dX, ml_mat *dw, const ml_mat *dY, const ml_mat *X, const ml_mat *w,
                           const ml_mat *stats, int accumulate);

#endif
