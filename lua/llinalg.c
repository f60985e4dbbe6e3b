/* Random matrices, the LAPACK references (SVD, polar factor, spectral transform). */
#include "lmuonlab.h"
#include "eig_polar.h"
#include "error.h"
#include "polar.h"
#include "qr.h"
#include "precision.h"
#include "rng.h"
#include "spectral_newton.h"
#include "svd.h"
#include "tracer.h"
#include <math.h>
#include <string.h>

/* The generator used when a creator gets no seed; ml.seed(s) resets it. */
static ml_rng global_rng;
static int global_rng_ready;

static ml_rng *rng_for(lua_State *L, int oi, ml_rng *local)
{
    if (lua_type(L, oi) == LUA_TTABLE) {
        lua_getfield(L, oi, "seed");
        int isnil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!isnil) {
            lua_Integer s = mlua_optinteger(L, oi, "seed", 0);
            ml_rng_seed(local, (uint64_t)s);
            return local;
        }
    }
    if (!global_rng_ready) {
        ml_rng_seed(&global_rng, 42);
        global_rng_ready = 1;
    }
    return &global_rng;
}

static int l_seed(lua_State *L)
{
    ml_rng_seed(&global_rng, (uint64_t)luaL_checkinteger(L, 1));
    global_rng_ready = 1;
    return 0;
}


/* A new rows x cols matrix filled by `fill` with two parameters read from the options
 * (mean/std for randn, lo/hi for rand). */
static int random_matrix(lua_State *L, const char *fname, const char *const allowed[], double d1, double d2,
                         void (*fill)(ml_rng *, ml_mat *, double, double))
{
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, allowed);
    ml_rng local, *g = rng_for(L, 3, &local);
    double p1 = mlua_optnumber(L, 3, allowed[2], d1), p2 = mlua_optnumber(L, 3, allowed[3], d2);
    ml_mat *m = mlua_newmat(L);
    if (ml_mat_alloc(m, r, c, mlua_optdtype(L, 3, ML_F64))) mlua_core_error(L, fname);
    fill(g, m, p1, p2);
    return 1;
}

/* randn(rows, cols [, {seed=, dtype=, mean=0, std=1}]) */
static int l_randn(lua_State *L)
{
    static const char *const allowed[] = {"seed", "dtype", "mean", "std", NULL};
    return random_matrix(L, "randn", allowed, 0.0, 1.0, ml_rng_fill_normal);
}

/* rand(rows, cols [, {seed=, dtype=, lo=0, hi=1}]) */
static int l_rand(lua_State *L)
{
    static const char *const allowed[] = {"seed", "dtype", "lo", "hi", NULL};
    return random_matrix(L, "rand", allowed, 0.0, 1.0, ml_rng_fill_uniform);
}

/* orthogonal(rows, cols [, {seed=, dtype=}]): Haar-random orthonormal columns (or rows). */
static int l_orthogonal(lua_State *L)
{
    static const char *const allowed[] = {"seed", "dtype", NULL};
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, allowed);
    ml_rng local, *g = rng_for(L, 3, &local);
    ml_mat *m = mlua_newmat(L);
    if (ml_random_orthogonal(m, r, c, mlua_optdtype(L, 3, ML_F64), g)) mlua_core_error(L, "orthogonal");
    return 1;
}

/* spectrum(rows, cols, {kind=, cond=, alpha=, scale=, zeros=, values=, seed=, dtype=}) */
static int l_spectrum(lua_State *L)
{
    static const char *const allowed[] = {"kind", "cond", "alpha", "scale", "zeros", "values", "seed", "dtype", NULL};
    static const char *const kinds[] = {"geometric", "linear", "clustered", "powerlaw", "list", NULL};
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, allowed);
    ml_spectrum_opts o = {0};
    const char *kind = mlua_optstring(L, 3, "kind", "geometric");
    int ki = -1;
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kinds[i], kind)) ki = i;
    if (ki < 0)
        luaL_argerror(L, 3, lua_pushfstring(L, "option 'kind': unknown spectrum '%s' (expected geometric, linear, "
                                               "clustered, powerlaw or list)", kind));
    o.kind = (ml_spectrum_kind)ki;
    o.cond = mlua_optnumber(L, 3, "cond", 1e3);
    o.alpha = mlua_optnumber(L, 3, "alpha", 1.0);
    o.scale = mlua_optnumber(L, 3, "scale", 1.0);
    lua_Integer z = mlua_optinteger(L, 3, "zeros", 0);
    luaL_argcheck(L, z >= 0, 3, "option 'zeros' must be >= 0");
    o.zeros = (size_t)z;
    double *vals = NULL;
    if (lua_type(L, 3) == LUA_TTABLE && lua_getfield(L, 3, "values") != LUA_TNIL) {
        if (!lua_istable(L, -1)) luaL_argerror(L, 3, "option 'values' must be a list of numbers");
        o.kind = ML_SPEC_LIST;
        o.nvalues = (size_t)lua_rawlen(L, -1);
        vals = lua_newuserdatauv(L, (o.nvalues ? o.nvalues : 1) * sizeof(double), 0);
        for (size_t i = 0; i < o.nvalues; i++) {
            lua_rawgeti(L, -2, (lua_Integer)i + 1);
            int ok;
            vals[i] = lua_tonumberx(L, -1, &ok);
            if (!ok) luaL_argerror(L, 3, "option 'values' must be a list of numbers");
            lua_pop(L, 1);
        }
        o.values = vals;
    } else if (o.kind == ML_SPEC_LIST) {
        luaL_argerror(L, 3, "kind 'list' needs option 'values'");
    }
    ml_rng local, *g = rng_for(L, 3, &local);
    ml_mat *m = mlua_newmat(L);
    if (ml_random_spectrum(m, r, c, mlua_optdtype(L, 3, ML_F64), &o, g)) mlua_core_error(L, "spectrum");
    return 1;
}

/* svd(A) -> U, s, V (thin; s a k x 1 matrix, descending) */
static int l_svd(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    ml_mat *U = mlua_newmat(L), *s = mlua_newmat(L), *V = mlua_newmat(L);
    if (ml_svd(a, U, s, V)) mlua_core_error(L, "svd");
    return 3;
}

/* singular_values(A) -> k x 1 matrix, descending */
static int l_singular_values(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    ml_mat *s = mlua_newmat(L);
    if (ml_svd(a, NULL, s, NULL)) mlua_core_error(L, "singular_values");
    return 1;
}

static double opt_rtol(lua_State *L, int oi)
{
    double rtol = mlua_optnumber(L, oi, "rtol", -1.0);
    if (lua_type(L, oi) == LUA_TTABLE) {
        lua_getfield(L, oi, "rtol");
        int given = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (given) luaL_argcheck(L, rtol >= 0 && rtol < 1, oi, "option 'rtol' must be in [0, 1)");
    }
    return rtol;
}

static int parse_polar_method(const char *s, void *out) { return ml_polar_method_parse(s, out); }
static int parse_route(const char *s, void *out) { return ml_sn_route_parse(s, out); }
static int parse_precision(const char *s, void *out) { return ml_precision_parse(s, out); }

/* polar(A [, {rtol=, method = "svd" | "eig"}]) -> U_r V_r^T */
static int l_polar(lua_State *L)
{
    static const char *const allowed[] = {"rtol", "method", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    mlua_checkopts(L, 2, allowed);
    double rtol = opt_rtol(L, 2);
    ml_polar_method method;
    mlua_optenum(L, 2, "method", "svd", parse_polar_method, &method);
    ml_mat *o = mlua_newmat(L);
    if (method == ML_POLAR_EIG ? ml_polar_eig(o, a, rtol) : ml_polar(o, a, rtol)) mlua_core_error(L, "polar");
    return 1;
}

/* spectral(A, p [, {method = "svd", rtol=}]) -> U diag(s^p) V^T, any finite p (p < 0: on the singular values
 * above rtol * s_max, the rest map to 0; the Newton route needs p >= 0)
 * spectral(A, p, {method = "newton", steps = 15, shift = 1e-4, shift_abs = 1e-6, route = "paper" | "roots",
 *                 sym_every = 0, precision = A's dtype, trace = false}) -> X [, trace]
 * Coupled Newton (core/spectral_newton.h). With trace = true a second result lists, for every step
 * of the last coupled-Newton run, {step =, err = ||X_k - X_svd||_F / ||X_svd||_F, time = seconds
 * since the start} (core/tracer.h: the SVD reference is computed before the clock starts, and the
 * time spent measuring err is excluded; forming the step's estimate, one product, is included). */
static int opt_given(lua_State *L, int oi, const char *key)
{
    if (lua_type(L, oi) != LUA_TTABLE) return 0;
    int given = lua_getfield(L, oi, key) != LUA_TNIL;
    lua_pop(L, 1);
    return given;
}

static int l_spectral(lua_State *L)
{
    static const char *const allowed[] = {"method", "rtol", "steps", "shift", "shift_abs", "route",
                                          "sym_every", "precision", "trace", NULL};
    static const char *const newton_only[] = {"steps", "shift", "shift_abs", "route", "sym_every", "precision",
                                              "trace", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    double p = luaL_checknumber(L, 2);
    luaL_argcheck(L, isfinite(p), 2, "power p must be a finite number");
    mlua_checkopts(L, 3, allowed);
    const char *method = mlua_optstring(L, 3, "method", "svd");
    if (!strcmp(method, "svd")) {
        for (int i = 0; newton_only[i]; i++)
            if (opt_given(L, 3, newton_only[i]))
                luaL_argerror(L, 3, lua_pushfstring(L, "option '%s' needs method = \"newton\"", newton_only[i]));
        double rtol = opt_rtol(L, 3);
        ml_mat *o = mlua_newmat(L);
        if (ml_spectral_svd(o, a, p, rtol)) mlua_core_error(L, "spectral");
        return 1;
    }
    if (strcmp(method, "newton"))
        luaL_argerror(L, 3, lua_pushfstring(L, "option 'method': unknown method '%s' (expected svd or newton)", method));
    if (opt_given(L, 3, "rtol")) luaL_argerror(L, 3, "option 'rtol' applies to method = \"svd\" only");
    luaL_argcheck(L, p >= 0, 2, "power p must be >= 0 for method = \"newton\" (p < 0 needs method = \"svd\")");

    ml_spectral_newton_opts so;
    ml_spectral_newton_opts_default(&so);
    lua_Integer steps = mlua_optinteger(L, 3, "steps", so.steps);
    luaL_argcheck(L, steps >= 1 && steps <= 100000, 3, "option 'steps' must be an integer in [1, 100000]");
    so.steps = (int)steps;
    so.shift_rel = mlua_optnumber(L, 3, "shift", so.shift_rel);
    luaL_argcheck(L, so.shift_rel >= 0 && isfinite(so.shift_rel), 3, "option 'shift' must be a finite number >= 0");
    so.shift_abs = mlua_optnumber(L, 3, "shift_abs", so.shift_abs);
    luaL_argcheck(L, so.shift_abs >= 0 && isfinite(so.shift_abs), 3, "option 'shift_abs' must be a finite number >= 0");
    lua_Integer sym = mlua_optinteger(L, 3, "sym_every", 0);
    luaL_argcheck(L, sym >= -1 && sym <= 100000, 3, "option 'sym_every' must be an integer >= -1");
    so.sym_every = (int)sym;
    mlua_optenum(L, 3, "route", "paper", parse_route, &so.route);
    mlua_optenum(L, 3, "precision", a->dtype == ML_F32 ? "fp32" : "fp64", parse_precision, &so.precision);
    int r, e;
    if (ml_spectral_newton_check_p(p, so.route, &r, &e)) luaL_argerror(L, 2, ml_errmsg());
    int want_trace = mlua_optboolean(L, 3, "trace", 0);

    ml_tracer *tr = NULL;
    if (want_trace) {
        tr = mlua_newtrace(L);
        if (ml_tracer_spectral_start(tr, a, p)) mlua_core_error(L, "spectral");
        so.trace = ml_tracer_spectral_hook;
        so.trace_ctx = tr;
    }
    ml_mat *o = mlua_newmat(L);
    if (ml_spectral_newton(o, a, p, &so)) mlua_core_error(L, "spectral");
    if (!tr) return 1;
    mlua_pushtrace(L, tr, "err");
    return 2;
}

/* spectral_clip(A, tau [, {soft = false}]) -> U diag(min(s, tau)) V^T, or with soft = true
 * U diag(s / sqrt(1 + s^2/tau^2)) V^T (SPECTRA's soft clip) */
static int l_spectral_clip(lua_State *L)
{
    static const char *const allowed[] = {"soft", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    double tau = luaL_checknumber(L, 2);
    luaL_argcheck(L, tau > 0 && isfinite(tau), 2, "tau must be a finite number > 0");
    mlua_checkopts(L, 3, allowed);
    int soft = mlua_optboolean(L, 3, "soft", 0);
    ml_mat *o = mlua_newmat(L);
    if (ml_spectral_clip_svd(o, a, tau, soft)) mlua_core_error(L, "spectral_clip");
    return 1;
}

/* qr(A [, {method = "householder" | "rcholesky", oversample = 1.25, seed =}]) -> Q, R
 * thin: A = Q R, Q m x k orthonormal columns, R k x n upper triangular, k = min(m, n);
 * "householder" (LAPACK geqrf/orgqr, diag(R) >= 0) or "rcholesky" (randomised Cholesky-QR of a
 * tall A, Dion's dion.py; the sketch drawn from `seed` or the global generator) */
static int l_qr(lua_State *L)
{
    static const char *const allowed[] = {"method", "oversample", "seed", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    mlua_checkopts(L, 2, allowed);
    const char *method = mlua_optstring(L, 2, "method", "householder");
    int rchol = !strcmp(method, "rcholesky");
    if (!rchol && strcmp(method, "householder"))
        luaL_argerror(L, 2, lua_pushfstring(L, "option 'method': unknown method '%s' (expected householder or rcholesky)", method));
    if (!rchol && (opt_given(L, 2, "oversample") || opt_given(L, 2, "seed")))
        luaL_argerror(L, 2, "options 'oversample' and 'seed' need method = \"rcholesky\"");
    double over = mlua_optnumber(L, 2, "oversample", 1.25);
    luaL_argcheck(L, over >= 1 && isfinite(over), 2, "option 'oversample' must be a finite number >= 1");
    if (rchol && a->rows <= a->cols)
        luaL_argerror(L, 1, lua_pushfstring(L, "method \"rcholesky\" needs a tall matrix (rows > cols), got %d x %d",
                                            (int)a->rows, (int)a->cols));
    ml_rng local, *g = rng_for(L, 2, &local);
    ml_mat *Q = mlua_newmat(L), *R = mlua_newmat(L);
    if (rchol ? ml_qr_rcholesky(a, Q, R, over, g) : ml_qr(a, Q, R)) mlua_core_error(L, "qr");
    return 2;
}

static int l_rank_tol(lua_State *L)
{
    lua_pushnumber(L, ml_rank_tol(mlua_checkmat(L, 1)));
    return 1;
}

static const luaL_Reg functions[] = {
    {"seed", l_seed}, {"randn", l_randn}, {"rand", l_rand}, {"orthogonal", l_orthogonal},
    {"spectrum", l_spectrum}, {"svd", l_svd}, {"singular_values", l_singular_values},
    {"polar", l_polar}, {"spectral", l_spectral}, {"rank_tol", l_rank_tol},
    {"spectral_clip", l_spectral_clip}, {"qr", l_qr},
    {NULL, NULL},
};

void mlua_open_linalg(lua_State *L) { luaL_setfuncs(L, functions, 0); }
