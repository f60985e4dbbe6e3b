/* Thin QR factorisations: A = Q R with Q (m x k) orthonormal columns and R (k x n) upper
 * triangular, k = min(m, n).
 *   ml_qr              Householder (LAPACK geqrf + orgqr), diag(R) >= 0 (the unique factorisation
 *                      when A has full column rank), computed in float64.
 *   ml_qr_rcholesky    randomised Cholesky-QR of a tall P (m x n, m > n), as Dion's dion.py
 *                      orthonormalises its m x r factor: a sketch S (k x m, N(0, 1/k) entries,
 *                      k = ceil(oversample n / 128) 128) gives R1 from QR(S P); P1 = P R1^-1
 *                      is well conditioned, so one Cholesky QR finishes: P1^T P1 = R2^T R2,
 *                      Q = P1 R2^-1, and R = R2 R1 (so P = Q R). Fails (ML_ENUM) when P1^T P1 is
 *                      not positive definite (P numerically rank deficient).
 * Q and R are allocated here in A's dtype. Non-finite input is rejected. */
#ifndef ML_QR_H
#define ML_QR_H

#include "matrix.h"
#include "rng.h"

int ml_qr(const ml_mat *A, ml_mat *Q, ml_mat *R);
int ml_qr_rcholesky(const ml_mat *P, ml_mat *Q, ml_mat *R, double oversample, ml_rng *rng);

typedef enum { ML_QR_HOUSEHOLDER = 0, ML_QR_RCHOLESKY = 1 } ml_qr_method;

/* Parse a method name ("householder", "rcholesky"); 0 or ML_EINVAL with a message listing them. */
int ml_qr_method_parse(const char *s, ml_qr_method *out);

#endif
