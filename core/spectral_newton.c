#include "spectral_newton.h"
#include "error.h"
#include "ops.h"
#include <math.h>

static const char *const route_names[] = {"paper", "roots"};

int ml_sn_route_parse(const char *s, ml_sn_route *out)
{
    int i, rc = ml_parse_choice("route", route_names, 2, s, &i);
    if (!rc) *out = (ml_sn_route)i;
    return rc;
}

const char *ml_sn_route_name(ml_sn_route r) { return (unsigned)r < 2 ? route_names[r] : "?"; }

static const char *const method_names[] = {"svd", "newton"};

int ml_spectral_method_parse(const char *s, ml_spectral_method *out)
{
    int i, rc = ml_parse_choice("method", method_names, 2, s, &i);
    if (!rc) *out = (ml_spectral_method)i;
    return rc;
}

#define MAX_STEPS 100000
#define MAX_DEN 8         /* roots route: p = n/d with d <= MAX_DEN, so r <= 2 MAX_DEN */
#define P_TOL 1e-12       /* how close p must be to n/d */

static const char ROOTS_SET[] = "1, 0, 1/8, 1/7, 1/6, 1/5, 1/4, 2/7, 1/3, 3/8, 2/5, 3/7, 1/2, 4/7, 3/5, 5/8, "
                                "2/3, 5/7, 3/4, 4/5, 5/6, 6/7, 7/8";

void ml_spectral_newton_opts_default(ml_spectral_newton_opts *o)
{
    *o = (ml_spectral_newton_opts){.steps = 15, .shift_rel = 1e-4, .shift_abs = 1e-6, .sym_every = 0,
                                   .route = ML_SN_PAPER, .precision = ML_FP64};
}

void ml_spectral_newton_work_init(ml_spectral_newton_work *w) { *w = (ml_spectral_newton_work){0}; }

void ml_spectral_newton_work_free(ml_spectral_newton_work *w)
{
    ml_mat *m[] = {&w->G, &w->Y, &w->Z, &w->T, &w->P, &w->Q, &w->R, &w->M, &w->X};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++) ml_mat_free(m[i]);
    ml_prec_work_free(&w->prec);
}

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int ml_spectral_newton_check_p(double p, ml_sn_route route, int *r, int *a)
{
    if (!(p >= 0) || !isfinite(p)) return ml_error(ML_EINVAL, "power p must be a finite number >= 0, got %g", p);
    if (p == 1) {
        *r = *a = 0;
        return ML_OK;
    }
    if (route == ML_SN_PAPER) {
        /* G^{-(1-p)/2}: p = 0 -> G^{-1/2}, 1/2 -> G^{-1/4}, 1/4 -> G^{-3/8} (as (r, a)) */
        static const double ps[] = {0.0, 0.5, 0.25};
        static const int rs[] = {2, 4, 8}, as[] = {1, 1, 3};
        for (int i = 0; i < 3; i++)
            if (fabs(p - ps[i]) <= P_TOL) {
                *r = rs[i];
                *a = as[i];
                return ML_OK;
            }
        return ml_error(ML_EINVAL,
                        "p = %g is not supported by route 'paper' (p in {0, 1/4, 1/2, 1}); route 'roots' supports %s",
                        p, ROOTS_SET);
    }
    if (route != ML_SN_ROOTS) return ml_error(ML_EINVAL, "invalid route %d", (int)route);
    for (int d = 1; d <= MAX_DEN && p < 1; d++) {
        int n = (int)lround(p * d);
        if (fabs(p - (double)n / d) <= P_TOL) {
            /* (1 - p)/2 = (d - n)/(2d) = a/r in lowest terms */
            int num = d - n, den = 2 * d, g = gcd(num, den);
            *a = num / g;
            *r = den / g;
            return ML_OK;
        }
    }
    return ml_error(ML_EINVAL, "p = %g is not supported by coupled Newton: p must be one of %s", p, ROOTS_SET);
}

static int check_opts(const ml_spectral_newton_opts *o)
{
    if (o->steps < 1 || o->steps > MAX_STEPS)
        return ml_error(ML_EINVAL, "steps must be an integer in [1, %d], got %d", MAX_STEPS, o->steps);
    if (!(o->shift_rel >= 0) || !isfinite(o->shift_rel))
        return ml_error(ML_EINVAL, "shift must be a finite number >= 0, got %g", o->shift_rel);
    if (!(o->shift_abs >= 0) || !isfinite(o->shift_abs))
        return ml_error(ML_EINVAL, "shift_abs must be a finite number >= 0, got %g", o->shift_abs);
    if (o->route != ML_SN_PAPER && o->route != ML_SN_ROOTS) return ml_error(ML_EINVAL, "invalid route %d", (int)o->route);
    if (o->precision != ML_FP64 && o->precision != ML_FP32 && o->precision != ML_BF16 && o->precision != ML_FP16)
        return ml_error(ML_EINVAL, "invalid precision %d", (int)o->precision);
    return ML_OK;
}

/* ---------------------------------------------------------------- kernels */

static void swapm(ml_mat *a, ml_mat *b)
{
    ml_mat t = *a;
    *a = *b;
    *b = t;
}

/* C <- alpha A B in the working precision (C distinct from A and B). */
static int prod(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, ml_mat *C, double alpha,
                const ml_mat *A, const ml_mat *B)
{
    return ml_gemm_prec_w(C, alpha, A, ML_NOTRANS, B, ML_NOTRANS, 0.0, o->precision, &w->prec);
}

/* S <- (S + S^T)/2: the iterates are polynomials in one symmetric matrix, symmetric in exact
 * arithmetic; rounding breaks the symmetry and this restores it. */
static void symmetrize(ml_mat *S, ml_precision prec)
{
    for (size_t i = 0; i < S->rows; i++)
        for (size_t j = i + 1; j < S->cols; j++) {
            double v = 0.5 * (ml_mat_get(S, i, j) + ml_mat_get(S, j, i));
            ml_mat_set(S, i, j, v);
            ml_mat_set(S, j, i, v);
        }
    ml_mat_round(S, prec);
}

/* Q <- T^e (e >= 1) by binary powering: floor(log2 e) squarings and popcount(e) - 1 products;
 * S is scratch. T must be neither Q nor S. */
static int mpow(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, ml_mat *Q, const ml_mat *T, int e,
                ml_mat *S)
{
    int rc = ml_mat_copy(Q, T), hb = 0;
    while ((e >> (hb + 1)) > 0) hb++;
    for (int b = hb - 1; b >= 0 && !rc; b--) {
        rc = prod(w, o, S, 1.0, Q, Q);
        swapm(Q, S);
        if (!rc && ((e >> b) & 1)) {
            rc = prod(w, o, S, 1.0, Q, T);
            swapm(Q, S);
        }
    }
    return rc;
}

static int sym_now(const ml_spectral_newton_opts *o, int i)
{
    int f = o->sym_every;
    if (f == 0) {
        f = o->steps / 3 < 5 ? o->steps / 3 : 5;   /* the paper code's max(1, min(steps // 3, 5)) */
        if (f < 1) f = 1;
    }
    return f > 0 && i > 0 && i % f == 0;
}

/* Y <- A + (shift_abs + shift_rel tr(A)/k) I, returning ||Y||_F in *s. */
static int regularised(ml_mat *Y, const ml_mat *A, const ml_spectral_newton_opts *o, double *s)
{
    int rc = ml_mat_copy(Y, A);
    if (rc) return rc;
    ml_add_diag(Y, o->shift_abs + o->shift_rel * ml_trace(Y) / (double)Y->rows);
    *s = ml_norm_fro(Y);
    if (!(*s > 0) || !isfinite(*s))
        return ml_error(ML_ENUM, "the shifted Gram matrix has norm %g (zero input needs shift > 0)", *s);
    return ML_OK;
}

/* Where a traced step sends its estimate: the map's input M (m x n) and its side. */
typedef struct tracer {
    const ml_mat *M;   /* NULL: this run is not traced */
    int right;         /* output = M F (right Gram) or F M */
    double unscale;    /* the iterate of the prescaled problem times this is the caller's */
} tracer;

/* dst <- alpha M F or alpha F M. */
static int apply_factor(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, ml_mat *dst, const ml_mat *M,
                        int right, const ml_mat *F, double alpha)
{
    return right ? prod(w, o, dst, alpha, M, F) : prod(w, o, dst, alpha, F, M);
}

static int trace_step(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, const tracer *tr, int step,
                      const ml_mat *F, double alpha)
{
    ml_dtype wt = o->precision == ML_FP64 ? ML_F64 : ML_F32;
    int rc = ml_mat_ensure(&w->X, tr->M->rows, tr->M->cols, wt);
    if (!rc) rc = apply_factor(w, o, &w->X, tr->M, tr->right, F, alpha * tr->unscale);
    if (!rc) rc = o->trace(o->trace_ctx, step, &w->X);
    return rc;
}

/* The paper's call on A (k x k): Y -> (A_reg/s)^{1/2}, Z -> (A_reg/s)^{-1/2}. On return the
 * wanted factor is *F (w->Y for the square root, w->Z for the inverse) times *alpha. */
static int sqrt_run(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, const ml_mat *A, int inverse,
                    const tracer *tr, ml_mat **F, double *alpha)
{
    ml_mat *Y = &w->Y, *Z = &w->Z, *T = &w->T, *P = &w->P;
    double s;
    int rc = regularised(Y, A, o, &s);
    if (rc) return rc;
    ml_scale(Y, 1.0 / s);                       /* Y_0 = A_reg / ||A_reg||_F */
    ml_mat_round(Y, o->precision);
    ml_mat_set_eye(Z);                          /* Z_0 = I */
    *alpha = inverse ? 1.0 / sqrt(s) : sqrt(s);
    for (int i = 0; i < o->steps && !rc; i++) {
        rc = prod(w, o, T, -0.5, Z, Y);         /* T = (3I - Z Y)/2 */
        if (rc) break;
        ml_add_diag(T, 1.5);
        ml_mat_round(T, o->precision);
        rc = prod(w, o, P, 1.0, Y, T);          /* Y <- Y T */
        swapm(Y, P);
        if (!rc) rc = prod(w, o, P, 1.0, T, Z); /* Z <- T Z */
        swapm(Z, P);
        if (!rc && sym_now(o, i)) {
            symmetrize(Y, o->precision);
            symmetrize(Z, o->precision);
        }
        if (!rc && tr && tr->M) rc = trace_step(w, o, tr, i + 1, inverse ? Z : Y, *alpha);
    }
    if (rc) return rc;
    symmetrize(Y, o->precision);
    symmetrize(Z, o->precision);
    *F = inverse ? Z : Y;
    return ML_OK;
}

/* Guo-Higham coupled Newton on A (k x k) for X = A_reg^{-1/r}; *F <- X^a (w->Z or w->Q). */
static int roots_run(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, const ml_mat *A, int r, int a,
                     const tracer *tr, ml_mat **F)
{
    ml_mat *Mk = &w->Y, *X = &w->Z, *T = &w->T, *P = &w->P, *Q = &w->Q, *R = &w->R;
    double s;
    int rc = regularised(Mk, A, o, &s);
    if (rc) return rc;
    double cr = 2.0 * s / (r + 1), c = pow(cr, 1.0 / r);
    ml_scale(Mk, 1.0 / cr);                     /* M_0 = A_reg / c^r, spectrum in (0, (r+1)/2] */
    ml_mat_round(Mk, o->precision);
    ml_mat_set_eye(X);
    ml_scale(X, 1.0 / c);                       /* X_0 = I / c */
    ml_mat_round(X, o->precision);
    for (int i = 0; i < o->steps && !rc; i++) {
        rc = ml_mat_copy(T, Mk);                /* T = ((r+1) I - M)/r */
        if (rc) break;
        ml_scale(T, -1.0 / r);
        ml_add_diag(T, (r + 1.0) / r);
        ml_mat_round(T, o->precision);
        rc = prod(w, o, P, 1.0, X, T);          /* X <- X T */
        swapm(X, P);
        if (!rc) rc = mpow(w, o, Q, T, r, R);   /* M <- T^r M */
        if (!rc) rc = prod(w, o, P, 1.0, Q, Mk);
        swapm(Mk, P);
        if (!rc && sym_now(o, i)) {
            symmetrize(Mk, o->precision);
            symmetrize(X, o->precision);
        }
        if (!rc && tr && tr->M) {
            const ml_mat *Fi = X;
            if (a > 1) {
                rc = mpow(w, o, Q, X, a, R);
                Fi = Q;
            }
            if (!rc) rc = trace_step(w, o, tr, i + 1, Fi, 1.0);
        }
    }
    if (rc) return rc;
    symmetrize(Mk, o->precision);
    symmetrize(X, o->precision);
    if (a == 1) {
        *F = X;
        return ML_OK;
    }
    rc = mpow(w, o, Q, X, a, R);
    *F = Q;
    return rc;
}

/* ---------------------------------------------------------------- drivers */

static int ensure_square(ml_spectral_newton_work *w, size_t k, ml_dtype t)
{
    ml_mat *m[] = {&w->G, &w->Y, &w->Z, &w->T, &w->P, &w->Q, &w->R};
    int rc = ML_OK;
    for (size_t i = 0; i < sizeof m / sizeof *m && !rc; i++) rc = ml_mat_ensure(m[i], k, k, t);
    return rc;
}

/* G <- Gram matrix of M on the short side. */
static int gram(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, const ml_mat *M, int right)
{
    return ml_syrk_prec_w(&w->G, 1.0, M, right ? ML_TRANS : ML_NOTRANS, 0.0, o->precision, &w->prec);
}

/* The paper's p = 1/2 map: dst <- M sqrt(invsqrt(G)) (or sqrt(invsqrt(G)) M), two regularised calls. */
static int half_map(ml_spectral_newton_work *w, const ml_spectral_newton_opts *o, ml_mat *dst, const ml_mat *M,
                    int right, int traced, double unscale)
{
    ml_mat *F;
    double alpha;
    tracer none = {NULL, right, 1.0}, tr = {traced ? M : NULL, right, unscale};
    int rc = gram(w, o, M, right);
    if (!rc) rc = sqrt_run(w, o, &w->G, 1, &none, &F, &alpha);   /* G^{-1/2} */
    if (rc) return rc;
    rc = ml_mat_copy(&w->G, F);                                  /* the Gram matrix is no longer needed */
    if (rc) return rc;
    ml_scale(&w->G, alpha);
    ml_mat_round(&w->G, o->precision);
    rc = sqrt_run(w, o, &w->G, 0, &tr, &F, &alpha);               /* (G^{-1/2})^{1/2} = G^{-1/4} */
    if (!rc) rc = apply_factor(w, o, dst, M, right, F, alpha);
    return rc;
}

int ml_spectral_newton_w(ml_mat *out, const ml_mat *A, double p, const ml_spectral_newton_opts *o,
                         ml_spectral_newton_work *w)
{
    ml_spectral_newton_opts def;
    if (!o) {
        ml_spectral_newton_opts_default(&def);
        o = &def;
    }
    int r, a, rc = check_opts(o);
    if (!rc) rc = ml_spectral_newton_check_p(p, o->route, &r, &a);
    if (rc) return rc;
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty input matrix");
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    int same_out = out->buf && out->rows == A->rows && out->cols == A->cols && out->dtype == A->dtype;
    if (r == 0) {   /* p = 1: the identity */
        if (!same_out) rc = ml_mat_ensure(out, A->rows, A->cols, A->dtype);
        return rc ? rc : ml_mat_copy(out, A);
    }

    ml_spectral_newton_work local;
    int own = !w;
    if (own) {
        ml_spectral_newton_work_init(&local);
        w = &local;
    }
    ml_dtype wt = o->precision == ML_FP64 ? ML_F64 : ML_F32;
    int right = A->cols <= A->rows;   /* the paper's choice: M^T M when cols <= rows */
    size_t k = right ? A->cols : A->rows;
    /* The Gram matrix would overflow or underflow: run on 2^e A, whose map is 2^(e p) times A's
     * (shift_abs read in the units of the rescaled Gram matrix), and scale back. */
    ml_mat As = {0};
    ml_spectral_newton_opts os;
    int e = ml_scale_exponent(ml_norm_maxabs(A), ML_SCALE_WINDOW(wt));
    double unscale = 1.0;
    if (e) {
        rc = ml_mat_clone(&As, A, A->dtype);
        if (rc) goto done;
        ml_mat_ldexp(&As, e);
        A = &As;
        os = *o;
        os.shift_abs = ldexp(o->shift_abs, 2 * e);
        o = &os;
        unscale = pow(2.0, -e * p);
    }
    tracer tr = {o->trace ? A : NULL, right, unscale};
    rc = ensure_square(w, k, wt);
    if (!rc) rc = ml_mat_ensure(&w->X, A->rows, A->cols, wt);
    if (rc) goto done;

    ml_mat *F;
    double alpha = 1.0;
    if (o->route == ML_SN_ROOTS) {
        rc = gram(w, o, A, right);
        if (!rc) rc = roots_run(w, o, &w->G, r, a, &tr, &F);
        if (!rc) rc = apply_factor(w, o, &w->X, A, right, F, 1.0);
    } else if (p == 0) {
        rc = gram(w, o, A, right);
        if (!rc) rc = sqrt_run(w, o, &w->G, 1, &tr, &F, &alpha);   /* M G^{-1/2} */
        if (!rc) rc = apply_factor(w, o, &w->X, A, right, F, alpha);
    } else if (r == 4) {   /* p = 1/2 */
        rc = half_map(w, o, &w->X, A, right, o->trace != NULL, unscale);
    } else {               /* p = 1/4: the p = 1/2 map twice */
        rc = ml_mat_ensure(&w->M, A->rows, A->cols, wt);
        if (!rc) rc = half_map(w, o, &w->M, A, right, 0, 1.0);
        if (!rc) rc = half_map(w, o, &w->X, &w->M, right, o->trace != NULL, unscale);
    }
    if (rc) goto done;
    if (!same_out) rc = ml_mat_ensure(out, A->rows, A->cols, A->dtype);
    if (!rc) rc = ml_mat_copy(out, &w->X);
    if (!rc && unscale != 1.0) ml_scale(out, unscale);
    if (!rc && !ml_mat_all_finite(out))
        rc = ml_error(ML_ENUM, "the result is beyond the %s range", ml_dtype_name(out->dtype));
done:
    ml_mat_free(&As);
    if (own) ml_spectral_newton_work_free(w);
    return rc;
}

int ml_spectral_newton(ml_mat *out, const ml_mat *A, double p, const ml_spectral_newton_opts *o)
{
    return ml_spectral_newton_w(out, A, p, o, NULL);
}

/* ---------------------------------------------------------------- building blocks */

static int check_spd_input(const ml_mat *A)
{
    if (!A || !A->buf) return ml_error(ML_EINVAL, "empty input matrix");
    if (A->rows != A->cols) return ml_error(ML_EINVAL, "matrix must be square, got %zu x %zu", A->rows, A->cols);
    if (!ml_mat_all_finite(A)) return ml_error(ML_ENUM, "input contains NaN or Inf");
    return ML_OK;
}

/* dst (allocated or reused, A's shape and dtype) <- alpha F. */
static int store(ml_mat *dst, const ml_mat *A, const ml_mat *F, double alpha)
{
    int rc = ML_OK;
    if (!(dst->buf && ml_mat_same_shape(dst, A) && dst->dtype == A->dtype))
        rc = ml_mat_ensure(dst, A->rows, A->cols, A->dtype);
    if (!rc) rc = ml_mat_copy(dst, F);
    if (!rc) ml_scale(dst, alpha);
    return rc;
}

int ml_sqrt_newton(ml_mat *sqrtA, ml_mat *isqrtA, const ml_mat *A, const ml_spectral_newton_opts *o)
{
    ml_spectral_newton_opts def;
    if (!o) {
        ml_spectral_newton_opts_default(&def);
        o = &def;
    }
    int rc = check_opts(o);
    if (!rc) rc = check_spd_input(A);
    if (rc) return rc;
    ml_spectral_newton_work w;
    ml_spectral_newton_work_init(&w);
    ml_mat *F;
    double alpha;
    rc = ensure_square(&w, A->rows, o->precision == ML_FP64 ? ML_F64 : ML_F32);
    if (!rc) rc = sqrt_run(&w, o, A, 0, NULL, &F, &alpha);
    /* sqrt_run leaves both iterates: Y for the square root, Z for the inverse, scales s^{1/2}, s^{-1/2} */
    if (!rc && sqrtA) rc = store(sqrtA, A, &w.Y, alpha);
    if (!rc && isqrtA) rc = store(isqrtA, A, &w.Z, 1.0 / alpha);
    ml_spectral_newton_work_free(&w);
    return rc;
}

int ml_invroot_newton(ml_mat *X, const ml_mat *A, int r, const ml_spectral_newton_opts *o)
{
    ml_spectral_newton_opts def;
    if (!o) {
        ml_spectral_newton_opts_default(&def);
        o = &def;
    }
    int rc = check_opts(o);
    if (!rc) rc = check_spd_input(A);
    if (rc) return rc;
    if (r < 1 || r > 64) return ml_error(ML_EINVAL, "root r must be an integer in [1, 64], got %d", r);
    ml_spectral_newton_work w;
    ml_spectral_newton_work_init(&w);
    ml_mat *F;
    rc = ensure_square(&w, A->rows, o->precision == ML_FP64 ? ML_F64 : ML_F32);
    if (!rc) rc = roots_run(&w, o, A, r, 1, NULL, &F);
    if (!rc) rc = store(X, A, F, 1.0);
    ml_spectral_newton_work_free(&w);
    return rc;
}
