/* Per-step diagnostics of an iteration measured against its exact result (tracer.c): one
 * recorder for the Newton-Schulz iteration (ns.h hook) and the coupled Newton spectral maps
 * (spectral_newton.h trace). The reference is computed once by SVD before the iteration; each
 * record is computed in float64 outside the iteration's timing. Bindings only turn records
 * into tables. */
#ifndef ML_TRACER_H
#define ML_TRACER_H

#include "matrix.h"

typedef struct ml_trace_rec {
    int step;
    double time;       /* ns: the step's own seconds; spectral: seconds since the start, the
                          time spent recording excluded */
    double dist;       /* ||X - R||_F / ||R||_F for the reference R (absolute when R = 0) */
    double orth_fro, orth_spec;   /* ns only: ||X X^T - I|| on the short side (ml_orth_error) */
    double smin, smax;            /* ns only: extreme singular values of X (LAPACK) */
} ml_trace_rec;

typedef struct ml_tracer {
    ml_mat ref;        /* the exact result R, float64, in the shape the iterates arrive in */
    double refnorm;    /* ||R||_F, or 1 when R = 0 */
    int spectrum;      /* records carry orth_fro, orth_spec, smin, smax (one SVD per record) */
    double t0, excluded;
    ml_trace_rec *rec; /* records 0..n-1 in the order they arrived */
    int n, cap;
} ml_tracer;

void ml_tracer_init(ml_tracer *t);
void ml_tracer_free(ml_tracer *t);

/* Start a trace of ml_ns(., A, ...): R = polar(A) in ml_ns's working orientation (A^T when A is
 * tall), records with the spectrum fields. Pass ml_tracer_ns_hook as the hook, t as its ctx. */
int ml_tracer_ns_start(ml_tracer *t, const ml_mat *A);
int ml_tracer_ns_hook(void *ctx, int step, const ml_mat *X, double seconds);

/* Start a trace of ml_spectral_newton(., A, p, ...): R = U diag(s^p) V^T by SVD; the clock starts
 * here. Pass ml_tracer_spectral_hook as the trace, t as its ctx. */
int ml_tracer_spectral_start(ml_tracer *t, const ml_mat *A, double p);
int ml_tracer_spectral_hook(void *ctx, int step, const ml_mat *X);

#endif
