/* Newton-Schulz iteration and the metrics that judge it. */
#include "lmuonlab.h"
#include "coeffs.h"
#include "error.h"
#include "metrics.h"
#include "ns.h"
#include <string.h>

/* Schedule from a name, a list of per-step lists, or one flat list reused every step.
 * TODO(lead): replace by mlua_toschedule from lcoeffs.c when it lands. */
static void toschedule(lua_State *L, int idx, int steps, ml_schedule *out)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (ml_schedule_named(out, lua_tostring(L, idx), steps)) luaL_argerror(L, idx, ml_errmsg());
        return;
    }
    if (!lua_istable(L, idx)) luaL_argerror(L, idx, "coefficients: schedule name or list expected");
    int n = (int)lua_rawlen(L, idx);
    luaL_argcheck(L, n >= 1, idx, "coefficients: empty list");
    lua_rawgeti(L, idx, 1);
    int nested = lua_istable(L, -1);
    int terms = nested ? (int)lua_rawlen(L, -1) : n;
    lua_pop(L, 1);
    int rows = nested ? n : 1;
    if (steps <= 0) steps = nested ? rows : 5;
    if (ml_schedule_alloc(out, steps, terms)) luaL_argerror(L, idx, ml_errmsg());
    for (int s = 0; s < steps; s++) {
        int row = (s < rows ? s : rows - 1) + 1;
        if (nested) lua_rawgeti(L, idx, row);
        int t = nested ? lua_gettop(L) : idx;
        if (!lua_istable(L, t) || (int)lua_rawlen(L, t) != terms) {
            ml_schedule_free(out);
            luaL_argerror(L, idx, "coefficients: every step needs the same number of coefficients");
        }
        for (int k = 0; k < terms; k++) {
            lua_rawgeti(L, t, k + 1);
            int ok;
            out->c[s * terms + k] = lua_tonumberx(L, -1, &ok);
            lua_pop(L, 1);
            if (!ok) {
                ml_schedule_free(out);
                luaL_argerror(L, idx, "coefficients must be numbers");
            }
        }
        if (nested) lua_pop(L, 1);
    }
}

/* ns(A [, {coeffs = name-or-list, steps =, eps =}]) -> X */
static int l_ns(lua_State *L)
{
    static const char *const allowed[] = {"coeffs", "steps", "eps", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    mlua_checkopts(L, 2, allowed);
    lua_Integer steps = mlua_optinteger(L, 2, "steps", 0);
    luaL_argcheck(L, steps >= 0 && steps <= 1000, 2, "option 'steps' must be in 0..1000");
    ml_ns_opts o;
    ml_ns_opts_default(&o);
    o.eps = mlua_optnumber(L, 2, "eps", o.eps);
    luaL_argcheck(L, o.eps >= 0, 2, "option 'eps' must be >= 0");
    if (lua_istable(L, 2))
        lua_getfield(L, 2, "coeffs");
    else
        lua_pushnil(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushliteral(L, "jordan");
    }
    ml_schedule sch;
    toschedule(L, lua_gettop(L), (int)steps, &sch);
    ml_mat *x = mlua_newmat(L);
    int rc = ml_ns(x, a, &sch, &o, NULL);
    ml_schedule_free(&sch);
    if (rc) mlua_core_error(L, "ns");
    return 1;
}

/* orth_error(X) -> Frobenius, spectral norm of X X^T - I on the short side */
static int l_orth_error(lua_State *L)
{
    ml_mat *x = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, x);
    double f, s;
    if (ml_orth_error(x, &f, &s)) mlua_core_error(L, "orth_error");
    lua_pushnumber(L, f);
    lua_pushnumber(L, s);
    return 2;
}

/* polar_distance(X, A) -> ||X - polar(A)||_F */
static int l_polar_distance(lua_State *L)
{
    ml_mat *x = mlua_checkmat(L, 1), *a = mlua_checkmat(L, 2);
    mlua_checkfinite(L, 1, x);
    mlua_checkfinite(L, 2, a);
    double d;
    if (ml_polar_distance(x, a, &d)) mlua_core_error(L, "polar_distance");
    lua_pushnumber(L, d);
    return 1;
}

static const luaL_Reg functions[] = {
    {"ns", l_ns}, {"orth_error", l_orth_error}, {"polar_distance", l_polar_distance}, {NULL, NULL},
};

void mlua_open_ns(lua_State *L) { luaL_setfuncs(L, functions, 0); }
