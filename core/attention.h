/* Causal multi-head self-attention (Vaswani et al. 2017; GPT-2's layout as in llm.c),
 * forward and backward side by side.
 *
 * Layout: a batch of B sequences of T tokens is a (B*T) x 3C matrix qkv, row b*T + t, with
 * the columns [q | k | v]; head h (0-based, H heads, hs = C/H) uses columns h*hs .. h*hs+hs-1
 * of each of q, k and v. For every (b, h), with Q, K, V the T x hs blocks:
 *
 *   S = Q K^T / sqrt(hs)                       (T x T scores)
 *   P_ij = exp(S_ij - m_i) / sum_{k<=i} exp(S_ik - m_i)  for j <= i,  P_ij = 0 for j > i
 *          (m_i = max_{j<=i} S_ij: the causal mask, a numerically stable softmax)
 *   O = P V                                    (T x hs, written to columns h*hs.. of out)
 *
 * Backward, given dO:
 *   dP = dO V^T,  dV = P^T dO,
 *   dS_ij = P_ij (dP_ij - sum_k P_ik dP_ik)    (softmax Jacobian; 0 outside the mask)
 *   dQ = dS K / sqrt(hs),  dK = dS^T Q / sqrt(hs).
 *
 * The products are small-matrix kernel calls per (b, h) on strided blocks of qkv
 * (core/internal/smallmm.h: libxsmm's generated kernels, cblas gemm where it has none); for
 * Q K^T and dO V^T the T x hs block of K (scaled by 1/sqrt(hs)) or V is first transposed into a
 * stack buffer, the only copies; up to T = 256 they run by causal row blocks of 32 rows, each over
 * only the columns the mask keeps. P, the probabilities, is (B*H*T) x T, row (b*H + h)*T + i,
 * kept by the forward for the backward. All matrices of a call have the same dtype (float64 or
 * float32); nothing is allocated on the heap. The sequences of the batch are split between
 * ml_threads_get() threads (core/parallel.h); every part runs its own single-threaded calls. */
#ifndef ML_ATTENTION_H
#define ML_ATTENTION_H

#include "matrix.h"

/* out: (B*T) x C, P: (B*H*T) x T, qkv: (B*T) x 3C with T = qkv->rows / B.
 * maxlogit (1 x H, may be NULL) receives max_{b, i, j<=i} S_ij per head: the largest
 * pre-softmax score inside the causal mask over the batch (signed; QK-Clip, Kimi K2).
 * out and P must not share storage with qkv. */
int ml_attn_forward(ml_mat *out, ml_mat *P, ml_mat *maxlogit, const ml_mat *qkv, size_t B, size_t H);

/* dqkv: (B*T) x 3C (overwritten), dP: (B*H*T) x T work space, dout: (B*T) x C, P and qkv
 * as the forward left them. dqkv and dP must not share storage with the inputs. */
int ml_attn_backward(ml_mat *dqkv, ml_mat *dP, const ml_mat *dout, const ml_mat *P, const ml_mat *qkv, size_t B,
                     size_t H);

#endif
