/* Zolo-PD: the polar factor in one or two Zolotarev rational iterations (zolo.c). */
#ifndef ML_ZOLO_H
#define ML_ZOLO_H

#include "matrix.h"
#include "polar.h"

#define ML_ZOLO_MAX_DEGREE 8

/* out (allocated here, A's shape and dtype) <- polar(A) for full-rank A; info (may be NULL)
 * receives the degree r and the iteration counts. */
int ml_polar_zolo(ml_mat *out, const ml_mat *A, ml_polar_info *info);

/* The scalar model, exposed for the tests: the coefficients c_1..c_2r of the Zolotarev function
 * of type (2r+1, 2r) on [l, 1] (c[0..2r-1]), and its value x prod_j (x^2 + c_2j)/(x^2 + c_2j-1). */
void ml_zolo_coeffs(double l, int r, double *c);
double ml_zolo_eval(const double *c, int r, double x);

#endif
