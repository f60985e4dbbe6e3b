/* Random matrices, the LAPACK references (SVD, polar factor, spectral transform). */
#include "lmuonlab.h"
#include "gram_eig.h"
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
    ml_rng_seed(&global_rng, (uint64_t)mlua_checkinteger(L, 1));
    global_rng_ready = 1;
    return 0;
}


/* A new rows x cols matrix filled by `fill` with two parameters read from the options
 * (mean/std for randn, lo/hi for rand). */
static int random_matrix(lua_State *L, const char *fname, const mlua_opt allowed[], double d1, double d2,
                         void (*fill)(ml_rng *, ml_mat *, double, double))
{
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, allowed);
    ml_rng local, *g = rng_for(L, 3, &local);
    double p1 = mlua_optnumber(L, 3, allowed[2].name, d1), p2 = mlua_optnumber(L, 3, allowed[3].name, d2);
    int normal = fill == ml_rng_fill_normal;
    if (!isfinite(p1) || !isfinite(p2))
        luaL_argerror(L, 3, lua_pushfstring(L, "options '%s' and '%s' must be finite", allowed[2].name, allowed[3].name));
    if (normal ? !(p2 >= 0) : !(p1 < p2))
        luaL_argerror(L, 3, normal ? "option 'std' must be >= 0" : "option 'lo' must be below 'hi'");
    /* every sample finite: |z| < 9 for the polar method's normals, hi - lo for the uniforms */
    if (!isfinite(normal ? fabs(p1) + 9 * p2 : p2 - p1))
        luaL_argerror(L, 3, "the samples would exceed the double range");
    ml_mat *m = mlua_newmat(L);
    if (ml_mat_alloc(m, r, c, mlua_optdtype(L, 3, ML_F64))) mlua_core_error(L, fname);
    fill(g, m, p1, p2);
    return 1;
}

#define SEED_OPT {"seed", "an integer", "the global generator (ml.seed)", "a generator of its own, seeded"}
#define DTYPE_OPT {"dtype", "a string", "\"float64\"", "element type: \"float64\" or \"float32\""}
static const mlua_opt randn_opts[] = {
    SEED_OPT, DTYPE_OPT, {"mean", "a number", "0", "mean"}, {"std", "a number", "1", "standard deviation"}, {NULL},
};
static const mlua_opt rand_opts[] = {
    SEED_OPT, DTYPE_OPT, {"lo", "a number", "0", "lower end"}, {"hi", "a number", "1", "upper end"}, {NULL},
};
static const mlua_opt orthogonal_opts[] = {SEED_OPT, DTYPE_OPT, {NULL}};

/* randn(rows, cols [, {seed=, dtype=, mean=0, std=1}]) */
static int l_randn(lua_State *L) { return random_matrix(L, "randn", randn_opts, 0.0, 1.0, ml_rng_fill_normal); }

/* rand(rows, cols [, {seed=, dtype=, lo=0, hi=1}]) */
static int l_rand(lua_State *L) { return random_matrix(L, "rand", rand_opts, 0.0, 1.0, ml_rng_fill_uniform); }

/* orthogonal(rows, cols [, {seed=, dtype=}]): Haar-random orthonormal columns (or rows). */
static int l_orthogonal(lua_State *L)
{
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, orthogonal_opts);
    ml_rng local, *g = rng_for(L, 3, &local);
    ml_mat *m = mlua_newmat(L);
    if (ml_random_orthogonal(m, r, c, mlua_optdtype(L, 3, ML_F64), g)) mlua_core_error(L, "orthogonal");
    return 1;
}

/* spectrum(rows, cols, {kind=, cond=, alpha=, scale=, zeros=, values=, seed=, dtype=}) */
static const mlua_opt spectrum_opts[] = {
    {"kind", "a string", "\"geometric\"", "\"geometric\" (1 down to 1/cond), \"linear\", \"clustered\" (half at 1, half at 1/cond), \"powerlaw\" (s_i = i^-alpha), \"list\" (values)"},
    {"cond", "a number", "1e3", "largest / smallest singular value"},
    {"alpha", "a number", "1", "exponent of kind \"powerlaw\""},
    {"scale", "a number", "1", "multiplies every singular value"},
    {"zeros", "an integer", "0", "the last k singular values set to 0"},
    {"values", "a table", "none", "the singular values (kind \"list\")"},
    SEED_OPT, DTYPE_OPT, {NULL},
};

static int l_spectrum(lua_State *L)
{
    static const char *const kinds[] = {"geometric", "linear", "clustered", "powerlaw", "list", NULL};
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, spectrum_opts);
    ml_spectrum_opts o = {0};
    const char *kind = mlua_optstring(L, 3, "kind", "geometric");
    int ki = -1;
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kinds[i], kind)) ki = i;
    if (ki < 0)
        mlua_opterror(L, 3, "kind", "one of \"geometric\", \"linear\", \"clustered\", \"powerlaw\", \"list\"");
    o.kind = (ml_spectrum_kind)ki;
    o.cond = mlua_optnumber(L, 3, "cond", 1e3);
    o.alpha = mlua_optnumber(L, 3, "alpha", 1.0);
    o.scale = mlua_optnumber(L, 3, "scale", 1.0);
    lua_Integer z = mlua_optinteger(L, 3, "zeros", 0);
    if (z < 0) mlua_opterror(L, 3, "zeros", "an integer >= 0");
    o.zeros = (size_t)z;
    double *vals = NULL;
    if (lua_type(L, 3) == LUA_TTABLE && lua_getfield(L, 3, "values") != LUA_TNIL) {
        if (!lua_istable(L, -1)) mlua_opterror(L, 3, "values", "a list of numbers");
        o.kind = ML_SPEC_LIST;
        o.nvalues = (size_t)lua_rawlen(L, -1);
        vals = lua_newuserdatauv(L, (o.nvalues ? o.nvalues : 1) * sizeof(double), 0);
        for (size_t i = 0; i < o.nvalues; i++) {
            lua_rawgeti(L, -2, (lua_Integer)i + 1);
            int ok;
            vals[i] = lua_tonumberx(L, -1, &ok);
            if (!ok) mlua_opterror(L, 3, "values", "a list of numbers");
            lua_pop(L, 1);
        }
        o.values = vals;
    } else if (o.kind == ML_SPEC_LIST) {
        luaL_argerror(L, 3, "option 'kind': \"list\" needs option 'values'");
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
    ml_mat *U = mlua_newmat(L), *s = mlua_newmat(L), *V = mlua_newmat(L);
    if (ml_svd(a, U, s, V)) mlua_core_error(L, "svd");
    return 3;
}

/* singular_values(A) -> k x 1 matrix, descending */
static int l_singular_values(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
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
        if (given && !(rtol >= 0 && rtol < 1)) mlua_opterror(L, oi, "rtol", "a number in [0, 1)");
    }
    return rtol;
}

static int parse_polar_method(const char *s, void *out) { return ml_polar_method_parse(s, out); }
static int parse_route(const char *s, void *out) { return ml_sn_route_parse(s, out); }
static int parse_precision(const char *s, void *out) { return ml_precision_parse(s, out); }

static const mlua_opt polar_opts[] = {
    {"rtol", "a number", "max(m,n) eps (svd), sqrt(max(m,n) eps) (eig)", "singular values <= rtol sigma_max map to 0"},
    {"method", "a string", "\"svd\"", "\"svd\" (LAPACK), \"eig\" (eigendecomposition of the short-side Gram matrix: cond <~ 1/sqrt(eps)), \"auto\" (eig while lambda_min >= sqrt(eps) lambda_max, else svd), \"qdwh\" (QR-based Halley), \"zolo\" (Zolo-PD) or \"newton\" (scaled Newton, square only); the last three need full rank"},
    {"info", "a boolean", "false", "qdwh/zolo/newton: also return {iterations, qr_iterations, factorizations, degree, l0, alpha}"},
    {NULL},
};

/* polar(A [, {rtol=, method = "svd" | "eig" | "auto" | "qdwh" | "zolo" | "newton", info = false}]) -> U [, info]
 * rtol is for svd/eig (the iterative methods need full rank, core/polar.h); info = true adds a
 * table {iterations, qr_iterations, factorizations, degree, l0, alpha} (time it with ml.now). */
static int l_polar(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkopts(L, 2, polar_opts);
    double rtol = opt_rtol(L, 2);
    ml_polar_method method;
    mlua_optenum(L, 2, "method", "svd", parse_polar_method, &method);
    int want_info = mlua_optboolean(L, 2, "info", 0);
    int iterative = method != ML_POLAR_SVD && method != ML_POLAR_EIG && method != ML_POLAR_AUTO;
    if (iterative && rtol >= 0)
        luaL_argerror(L, 2, lua_pushfstring(L, "option 'rtol' applies to methods 'svd' and 'eig', not '%s'",
                                            ml_polar_method_name(method)));
    if (method == ML_POLAR_NEWTON && a->rows != a->cols)
        luaL_argerror(L, 1, lua_pushfstring(L, "option 'method' = 'newton' needs a square matrix, got %dx%d",
                                            (int)a->rows, (int)a->cols));
    ml_mat *o = mlua_newmat(L);
    ml_polar_info info;
    if (ml_polar_by(o, a, method, rtol, &info)) mlua_core_error(L, "polar");
    if (!want_info) return 1;
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, info.iterations), lua_setfield(L, -2, "iterations");
    lua_pushinteger(L, info.qr_iterations), lua_setfield(L, -2, "qr_iterations");
    lua_pushinteger(L, info.factorizations), lua_setfield(L, -2, "factorizations");
    lua_pushinteger(L, info.degree), lua_setfield(L, -2, "degree");
    lua_pushnumber(L, info.l0), lua_setfield(L, -2, "l0");
    lua_pushnumber(L, info.alpha), lua_setfield(L, -2, "alpha");
    return 2;
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

/* The Newton-only options come after method and rtol. */
static const mlua_opt spectral_opts[] = {
    {"method", "a string", "\"svd\"", "\"svd\" (LAPACK), \"eig\" (eigendecomposition of the short-side Gram matrix: error ~ cond^2 eps for p < 1) or \"newton\" (coupled Newton iterations, no SVD)"},
    {"rtol", "a number", "max(m,n) eps (svd), sqrt(max(m,n) eps) (eig, p < 1)", "singular values <= rtol sigma_max map to 0 (svd, eig)"},
    {"steps", "an integer", "15", "Newton iterations (newton)"},
    {"shift", "a number", "1e-4", "relative shift: 1e-6 + shift tr(G)/n biases small singular values (newton)"},
    {"shift_abs", "a number", "1e-6", "absolute shift (newton)"},
    {"route", "a string", "\"paper\"", "\"paper\" (p in {0, 1/4, 1/2, 1}) or \"roots\" (p = 1 or n/d in [0, 1), d <= 8) (newton)"},
    {"sym_every", "an integer", "0", "re-symmetrise every k steps (-1: never) (newton)"},
    {"precision", "a string", "the input's", "\"fp64\", \"fp32\", \"bf16\" or \"fp16\" (newton)"},
    {"trace", "a boolean", "false", "also return per-step records {step, err, time} (newton)"},
    {NULL},
};

static int parse_spectral_method(const char *s, void *out) { return ml_spectral_method_parse(s, out); }

static int l_spectral(lua_State *L)
{
    const mlua_opt *newton_only = spectral_opts + 2;
    ml_mat *a = mlua_checkmat(L, 1);
    double p = luaL_checknumber(L, 2);
    luaL_argcheck(L, isfinite(p), 2, "power p must be a finite number");
    mlua_checkopts(L, 3, spectral_opts);
    ml_spectral_method method;
    mlua_optenum(L, 3, "method", "svd", parse_spectral_method, &method);
    if (method == ML_SPECTRAL_SVD || method == ML_SPECTRAL_EIG) {
        for (int i = 0; newton_only[i].name; i++)
            if (opt_given(L, 3, newton_only[i].name))
                luaL_argerror(L, 3, lua_pushfstring(L, "option '%s': needs method = \"newton\"", newton_only[i].name));
        double rtol = opt_rtol(L, 3);
        int eig = method == ML_SPECTRAL_EIG;
        if (eig) luaL_argcheck(L, p >= 0, 2, "power p must be >= 0 for method = \"eig\" (p < 0 needs method = \"svd\")");
        ml_mat *o = mlua_newmat(L);
        if (eig ? ml_spectral_eig(o, a, p, rtol) : ml_spectral_svd(o, a, p, rtol)) mlua_core_error(L, "spectral");
        return 1;
    }
    if (opt_given(L, 3, "rtol")) luaL_argerror(L, 3, "option 'rtol': applies to methods \"svd\" and \"eig\" only");
    luaL_argcheck(L, p >= 0, 2, "power p must be >= 0 for method = \"newton\" (p < 0 needs method = \"svd\")");

    ml_spectral_newton_opts so;
    ml_spectral_newton_opts_default(&so);
    lua_Integer steps = mlua_optinteger(L, 3, "steps", so.steps);
    if (steps < 1 || steps > 100000) mlua_opterror(L, 3, "steps", "an integer in 1..100000");
    so.steps = (int)steps;
    so.shift_rel = mlua_optnumber(L, 3, "shift", so.shift_rel);
    if (!(so.shift_rel >= 0 && isfinite(so.shift_rel))) mlua_opterror(L, 3, "shift", "a finite number >= 0");
    so.shift_abs = mlua_optnumber(L, 3, "shift_abs", so.shift_abs);
    if (!(so.shift_abs >= 0 && isfinite(so.shift_abs))) mlua_opterror(L, 3, "shift_abs", "a finite number >= 0");
    lua_Integer sym = mlua_optinteger(L, 3, "sym_every", 0);
    if (sym < -1 || sym > 100000) mlua_opterror(L, 3, "sym_every", "an integer in -1..100000");
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

/* spectral_map(A, f [, {rtol=}]) -> U diag(f(s)) V^T through the eigendecomposition of the
 * short-side Gram matrix (core/gram_eig.h): f is called once per singular value s (ascending) and
 * returns a finite number; singular values <= rtol * s_max (default sqrt(max(m, n) eps), where
 * s is rounding noise) map to 0. The decomposition lives in a userdata, so an error raised by f
 * leaks nothing. */
#define GRAM_EIG "muonlab.gram_eig"

static int gram_eig_gc(lua_State *L)
{
    ml_gram_eig_free(luaL_checkudata(L, 1, GRAM_EIG));
    return 0;
}

static const mlua_opt spectral_map_opts[] = {
    {"rtol", "a number", "sqrt(max(m,n) eps)", "singular values <= rtol sigma_max map to 0"},
    {NULL},
};

static int l_spectral_map(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    mlua_checkopts(L, 3, spectral_map_opts);
    double rtol = opt_given(L, 3, "rtol") ? opt_rtol(L, 3) : ml_polar_eig_rtol(a);
    lua_settop(L, 3);
    ml_gram_eig *e = lua_newuserdatauv(L, sizeof *e, 0);   /* slot 4 */
    ml_gram_eig_init(e);
    if (luaL_newmetatable(L, GRAM_EIG)) {
        lua_pushcfunction(L, gram_eig_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    size_t m = a->rows > a->cols ? a->cols : a->rows;
    if (ml_gram_eig_sigma(e, a)) mlua_core_error(L, "spectral_map");
    double *g = e->g.data, smax = g[m - 1];
    for (size_t i = 0; i < m; i++) {
        double s = g[i];
        g[i] = 0;
        if (!(s > rtol * smax) || !(s > 0)) continue;
        lua_pushvalue(L, 2);
        lua_pushnumber(L, s);
        lua_call(L, 1, 1);
        int isnum;
        double f = lua_tonumberx(L, -1, &isnum);
        if (!isnum || !isfinite(f))
            luaL_argerror(L, 2, lua_pushfstring(L, "f(%f) returned %s, expected a finite number", s,
                                                isnum ? "a non-finite number" : luaL_typename(L, -1)));
        lua_pop(L, 1);
        g[i] = f / s;
    }
    ml_mat M = {0};
    ml_mat *o = mlua_newmat(L);
    int rc = ml_gram_eig_combine(e, &M);
    if (!rc) rc = ml_gram_eig_apply(o, &M, a);
    ml_mat_free(&M);
    if (rc) mlua_core_error(L, "spectral_map");
    return 1;
}

static const mlua_opt spectral_clip_opts[] = {
    {"soft", "a boolean", "false", "false: min(s, tau) (MuCon); true: s / sqrt(1 + s^2/tau^2) (SPECTRA)"},
    {NULL},
};

/* spectral_clip(A, tau [, {soft = false}]) -> U diag(min(s, tau)) V^T, or with soft = true
 * U diag(s / sqrt(1 + s^2/tau^2)) V^T (SPECTRA's soft clip) */
static int l_spectral_clip(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    double tau = luaL_checknumber(L, 2);
    luaL_argcheck(L, tau > 0 && isfinite(tau), 2, "tau must be a finite number > 0");
    mlua_checkopts(L, 3, spectral_clip_opts);
    int soft = mlua_optboolean(L, 3, "soft", 0);
    ml_mat *o = mlua_newmat(L);
    if (ml_spectral_clip_svd(o, a, tau, soft)) mlua_core_error(L, "spectral_clip");
    return 1;
}

static const mlua_opt qr_opts[] = {
    {"method", "a string", "\"householder\"", "\"householder\" (LAPACK geqrf/orgqr) or \"rcholesky\" (randomised Cholesky-QR of a tall A, Dion's dion.py)"},
    {"oversample", "a number", "1.25", "rcholesky: the sketch has ceil(oversample n / 128) 128 rows"},
    SEED_OPT,
    {NULL},
};

/* qr(A [, {method = "householder" | "rcholesky", oversample = 1.25, seed =}]) -> Q, R
 * thin: A = Q R, Q m x k orthonormal columns, R k x n upper triangular, k = min(m, n), diag(R) >= 0;
 * the sketch of "rcholesky" is drawn from `seed` or the global generator */
static int parse_qr_method(const char *s, void *out) { return ml_qr_method_parse(s, out); }

static int l_qr(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    mlua_checkopts(L, 2, qr_opts);
    ml_qr_method method;
    mlua_optenum(L, 2, "method", "householder", parse_qr_method, &method);
    int rchol = method == ML_QR_RCHOLESKY;
    if (!rchol && (opt_given(L, 2, "oversample") || opt_given(L, 2, "seed")))
        luaL_argerror(L, 2, "options 'oversample' and 'seed': need method = \"rcholesky\"");
    double over = mlua_optnumber(L, 2, "oversample", 1.25);
    if (!(over >= 1 && isfinite(over))) mlua_opterror(L, 2, "oversample", "a finite number >= 1");
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
    {"spectral_clip", l_spectral_clip}, {"qr", l_qr}, {"spectral_map", l_spectral_map},
    {NULL, NULL},
};

void mlua_open_linalg(lua_State *L)
{
    luaL_setfuncs(L, functions, 0);
    mlua_register_opts(L, "randn", randn_opts);
    mlua_register_opts(L, "rand", rand_opts);
    mlua_register_opts(L, "orthogonal", orthogonal_opts);
    mlua_register_opts(L, "spectrum", spectrum_opts);
    mlua_register_opts(L, "polar", polar_opts);
    mlua_register_opts(L, "spectral", spectral_opts);
    mlua_register_opts(L, "spectral_clip", spectral_clip_opts);
    mlua_register_opts(L, "qr", qr_opts);
}
