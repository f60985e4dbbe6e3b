/* Random matrices, the LAPACK references (SVD, polar factor, spectral transform). */
#include "lmuonlab.h"
#include "error.h"
#include "polar.h"
#include "rng.h"
#include "svd.h"
#include <math.h>
#include <stdlib.h>
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

static size_t checkdim(lua_State *L, int idx)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    luaL_argcheck(L, n >= 1, idx, "dimension must be a positive integer");
    return (size_t)n;
}

/* randn(rows, cols [, {seed=, dtype=, mean=0, std=1}]) */
static int l_randn(lua_State *L)
{
    static const char *const allowed[] = {"seed", "dtype", "mean", "std", NULL};
    size_t r = checkdim(L, 1), c = checkdim(L, 2);
    mlua_checkopts(L, 3, allowed);
    ml_rng local, *g = rng_for(L, 3, &local);
    double mean = mlua_optnumber(L, 3, "mean", 0.0), sd = mlua_optnumber(L, 3, "std", 1.0);
    ml_mat *m = mlua_newmat(L);
    if (ml_mat_alloc(m, r, c, mlua_optdtype(L, 3, ML_F64))) mlua_core_error(L, "randn");
    ml_rng_fill_normal(g, m, mean, sd);
    return 1;
}

/* rand(rows, cols [, {seed=, dtype=, lo=0, hi=1}]) */
static int l_rand(lua_State *L)
{
    static const char *const allowed[] = {"seed", "dtype", "lo", "hi", NULL};
    size_t r = checkdim(L, 1), c = checkdim(L, 2);
    mlua_checkopts(L, 3, allowed);
    ml_rng local, *g = rng_for(L, 3, &local);
    double lo = mlua_optnumber(L, 3, "lo", 0.0), hi = mlua_optnumber(L, 3, "hi", 1.0);
    ml_mat *m = mlua_newmat(L);
    if (ml_mat_alloc(m, r, c, mlua_optdtype(L, 3, ML_F64))) mlua_core_error(L, "rand");
    ml_rng_fill_uniform(g, m, lo, hi);
    return 1;
}

/* orthogonal(rows, cols [, {seed=, dtype=}]): Haar-random orthonormal columns (or rows). */
static int l_orthogonal(lua_State *L)
{
    static const char *const allowed[] = {"seed", "dtype", NULL};
    size_t r = checkdim(L, 1), c = checkdim(L, 2);
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
    size_t r = checkdim(L, 1), c = checkdim(L, 2);
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

/* polar(A [, {rtol=}]) -> U_r V_r^T */
static int l_polar(lua_State *L)
{
    static const char *const allowed[] = {"rtol", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    mlua_checkopts(L, 2, allowed);
    double rtol = opt_rtol(L, 2);
    ml_mat *o = mlua_newmat(L);
    if (ml_polar(o, a, rtol)) mlua_core_error(L, "polar");
    return 1;
}

/* spectral(A, p [, {method = "svd", rtol=}]) -> U diag(s^p) V^T */
static int l_spectral(lua_State *L)
{
    static const char *const allowed[] = {"method", "rtol", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    double p = luaL_checknumber(L, 2);
    luaL_argcheck(L, p >= 0 && isfinite(p), 2, "power p must be a finite number >= 0");
    mlua_checkopts(L, 3, allowed);
    const char *method = mlua_optstring(L, 3, "method", "svd");
    if (strcmp(method, "svd")) luaL_argerror(L, 3, lua_pushfstring(L, "option 'method': unknown method '%s'", method));
    double rtol = opt_rtol(L, 3);
    ml_mat *o = mlua_newmat(L);
    if (ml_spectral_svd(o, a, p, rtol)) mlua_core_error(L, "spectral");
    return 1;
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
    {NULL, NULL},
};

void mlua_open_linalg(lua_State *L) { luaL_setfuncs(L, functions, 0); }
