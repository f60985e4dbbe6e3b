/* Layer kernels for small neural networks, forward and backward side by side (llm.c style).
 *
 * Conventions: a minibatch is a B x n matrix, one example per row. A linear layer's weight W
 * is out x in and its bias b is a 1 x out row, so Y = X W^T + 1 b. Class labels and token
 * ids are stored as integral values in a matrix (B x 1 or 1 x B for labels), 0-based:
 * classes 0..K-1, as in the idx files. Every kernel works on float64 and float32 matrices
 * (all operands of one call in the same dtype; labels and ids may be either) and accepts
 * strided views. NaN/Inf in activations propagate (a diverging run shows a NaN loss, it does
 * not raise); labels and ids are checked (integral, in range). No kernel allocates. */
#ifndef ML_NN_H
#define ML_NN_H

#include "matrix.h"
#include "rng.h"

/* Linear: Y = X W^T + 1 b  (X: B x in, W: out x in, b: 1 x out or NULL, Y: B x out).
 * Y must not alias X or W. */
int ml_nn_linear_forward(ml_mat *Y, const ml_mat *X, const ml_mat *W, const ml_mat *b);
/* Given dY = dL/dY:  dX = dY W,  dW = dY^T X,  db = 1^T dY (column sums).
 * dX, dW, db may each be NULL (not wanted). accumulate != 0 adds into dW and db
 * (dX is always overwritten). dX must not alias dY or W. */
int ml_nn_linear_backward(ml_mat *dX, ml_mat *dW, ml_mat *db, const ml_mat *dY, const ml_mat *X, const ml_mat *W,
                          int accumulate);

/* Y[i,:] += b  (b: 1 x cols) */
int ml_nn_bias_add(ml_mat *Y, const ml_mat *b);
/* db = beta*db + 1^T dY  (column sums; beta 0 or 1) */
int ml_nn_bias_backward(ml_mat *db, const ml_mat *dY, double beta);

/* ReLU: Y = max(X, 0). Y may be X. */
int ml_nn_relu_forward(ml_mat *Y, const ml_mat *X);
/* dX = dY .* [X > 0], X the ReLU input (or output: same sign pattern). dX may be dY. */
int ml_nn_relu_backward(ml_mat *dX, const ml_mat *dY, const ml_mat *X);

/* Squared ReLU (So et al. 2021, "Primer"; modded-nanogpt's MLP): y = max(x, 0)^2. Y may be X. */
int ml_nn_relu2_forward(ml_mat *Y, const ml_mat *X);
/* dx = dy 2 max(x, 0), X the input. dX may be dY but not X. */
int ml_nn_relu2_backward(ml_mat *dX, const ml_mat *dY, const ml_mat *X);

/* GELU, tanh form (Hendrycks & Gimpel 2016, as in GPT-2):
 *   gelu(x) = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3). Y may be X. */
int ml_nn_gelu_forward(ml_mat *Y, const ml_mat *X);
/* dX = dY .* gelu'(X), X the GELU input. dX may be dY but not X. */
int ml_nn_gelu_backward(ml_mat *dX, const ml_mat *dY, const ml_mat *X);
/* The same, keeping t = tanh(u) in Tk (same shape) so that the backward needs no
 * transcendental: float32 computes tanh with a vectorizable rational approximation
 * (|error| < 5e-7, ml_nn_tanh_f32), float64 as 1 - 2/(1 + e^(2u)). Tk may be NULL. */
int ml_nn_gelu_forward_keep(ml_mat *Y, ml_mat *Tk, const ml_mat *X);
int ml_nn_gelu_backward_kept(ml_mat *dX, const ml_mat *dY, const ml_mat *X, const ml_mat *Tk);
float ml_nn_tanh_f32(float x);
/* gelu(x) and gelu'(x) for one number (tests, plots). */
double ml_nn_gelu(double x);
double ml_nn_gelu_grad(double x);

/* Softmax cross-entropy over the rows of Z (B x K logits), labels y (B entries in 0..K-1: a
 * vector, or any matrix with B entries read in row-major order, e.g. the B' x T next-token
 * ids of a language model whose B = B' T rows of logits are ordered the same way):
 *   loss = (1/B) sum_i [ lse(z_i) - z_i,y_i ],  lse(z) = m + log sum_j exp(z_j - m), m = max_j z_j,
 *   dZ   = (softmax(z_i) - onehot(y_i)) / B.
 * The max shift keeps exp() in [0, 1], so logits of any finite size give finite results.
 * dZ may be NULL (loss only) or Z itself (in place). ncorrect (may be NULL) receives the
 * number of rows whose argmax (first maximum) equals the label. */
int ml_nn_softmax_ce(double *loss, size_t *ncorrect, ml_mat *dZ, const ml_mat *Z, const ml_mat *y);
/* Row-wise softmax: P[i,:] = exp(z_i - lse(z_i)). P may be Z. */
int ml_nn_softmax(ml_mat *P, const ml_mat *Z);

/* idx[i] = argmax_j Z[i,j] (0-based, first maximum; idx has B entries). */
int ml_nn_argmax(ml_mat *idx, const ml_mat *Z);
/* Number of rows whose argmax equals the label. */
int ml_nn_count_correct(size_t *ncorrect, const ml_mat *Z, const ml_mat *y);

/* Embedding lookup of a context window (Bengio et al. 2003):
 *   E[b, t*d:(t+1)*d] = C[ids[b,t], :]   (ids: B x T in 0..V-1, C: V x d, E: B x T*d). */
int ml_nn_embed_forward(ml_mat *E, const ml_mat *ids, const ml_mat *C);
/* Scatter-add: dC[ids[b,t], :] += dE[b, t*d:(t+1)*d]; dC is zeroed first unless accumulate. */
int ml_nn_embed_backward(ml_mat *dC, const ml_mat *dE, const ml_mat *ids, int accumulate);

/* Token + position embedding of a transformer (GPT-2):
 *   X[b*T + t, :] = wte[ids[b,t], :] + wpe[t, :]
 * ids: B x T in 0..V-1, wte: V x C, wpe: P x C with P >= T (the context), X: (B*T) x C. */
int ml_nn_tokpos_forward(ml_mat *X, const ml_mat *ids, const ml_mat *wte, const ml_mat *wpe);
/* Its backward, a scatter-add: dwte[ids[b,t], :] += dX[b*T + t, :] (dwte zeroed first unless
 * accumulate: a tied output head has written its gradient there), dwpe[t, :] = sum_b dX[b*T + t, :]
 * (rows T..P-1 zero). Either of dwte, dwpe may be NULL. */
int ml_nn_tokpos_backward(ml_mat *dwte, ml_mat *dwpe, const ml_mat *dX, const ml_mat *ids, int accumulate);

/* Minibatch gather: dst[r,:] = src[idx[offset + r], :] for r < dst->rows (idx: 0-based row
 * numbers in a vector matrix; dtypes of dst and src may differ). */
int ml_nn_gather_rows(ml_mat *dst, const ml_mat *src, const ml_mat *idx, size_t offset);
/* X <- a X + c, elementwise. */
void ml_nn_affine(ml_mat *X, double a, double c);
/* A uniformly random permutation of 0..n-1 (Fisher-Yates) into the n entries of the vector p. */
int ml_nn_randperm(ml_mat *p, ml_rng *r);

#endif
