/* Coefficient schedules from Lua: named and computed schedules (coeffs), the scalar map
 * they apply to every singular value (poly_map) and its worst case on an interval
 * (poly_error). mlua_toschedule is shared with the other binding files (ns). */
#include "lmuonlab.h"
#include "cans.h"
#include "coeffs.h"
#include "error.h"
#include "remez.h"
#include <math.h>
#include <string.h>

#define MAX_OPT_STEPS 100    /* steps accepted from an option table */
#define FLAT_STEPS 5         /* a flat row {a, b, c} is reused this often by default (optax) */

static int is_known_name(const char *name)
{
    if (!strcmp(name, "cans")) return 1;
    for (int i = 0; ml_schedule_names[i]; i++)
        if (!strcmp(ml_schedule_names[i], name)) return 1;
    return 0;
}

static int unknown_name(lua_State *L, int idx, const char *name)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "unknown schedule '");
    luaL_addstring(&b, name);
    luaL_addstring(&b, "' (known:");
    for (int i = 0; ml_schedule_names[i]; i++) {
        luaL_addstring(&b, i ? ", " : " ");
        luaL_addstring(&b, ml_schedule_names[i]);
    }
    luaL_addstring(&b, ", cans)");
    luaL_pushresult(&b);
    return luaL_argerror(L, idx, lua_tostring(L, -1));
}

/* The number at t[i] (t at absolute index tidx); "bad argument #argi (...)" otherwise. */
static double rownumber(lua_State *L, int argi, int tidx, int i, int row)
{
    lua_rawgeti(L, tidx, i);
    if (lua_type(L, -1) != LUA_TNUMBER) {
        const char *got = luaL_typename(L, -1);
        if (row)
            luaL_argerror(L, argi, lua_pushfstring(L, "coefficient %d of step %d: number expected, got %s", i, row, got));
        luaL_argerror(L, argi, lua_pushfstring(L, "coefficient %d: number expected, got %s", i, got));
    }
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!isfinite(v)) {
        if (row) luaL_argerror(L, argi, lua_pushfstring(L, "coefficient %d of step %d is not finite", i, row));
        luaL_argerror(L, argi, lua_pushfstring(L, "coefficient %d is not finite", i));
    }
    return v;
}

static int rowlength(lua_State *L, int argi, int tidx, int row)
{
    int n = (int)lua_rawlen(L, tidx);
    if (n < 1 || n > ML_MAX_TERMS)
        luaL_argerror(L, argi, lua_pushfstring(L, "step %d: 1..%d coefficients expected, got %d", row, ML_MAX_TERMS, n));
    return n;
}

/* A table's field input_scale (the run-time safety factor its rows were made for): nil = 1. */
static double table_input_scale(lua_State *L, int idx)
{
    int t = lua_getfield(L, idx, "input_scale");
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (t == LUA_TNIL) return 1;
    if (t != LUA_TNUMBER || !(v >= 1) || !isfinite(v))
        luaL_argerror(L, idx, "field input_scale: a finite number >= 1 expected");
    return v;
}

/* The run-time safety factor of a named schedule: 0 = its default (ML_SAFETY for polar_express
 * and cans); a factor for another name is refused by the core. */
static int named_schedule(ml_schedule *out, const char *name, int steps, double safety)
{
    if (strcmp(name, "cans") != 0) return ml_schedule_named_safety(out, name, steps, safety);
    return ml_schedule_cans(out, ML_CANS_L, ML_CANS_DEGREE, steps > 0 ? steps : ML_CANS_STEPS,
                            safety ? safety : ML_CANS_SAFETY);
}

/* Convert a schedule name, a list of per-step lists {{c1, c3, ...}, ...} or one flat list
 * {c1, c3, ...} (reused every step) at idx. steps <= 0: the schedule's own length (a name's
 * default, the number of rows, or 5 for a flat list); otherwise rows beyond the list repeat
 * the last one. Rows may differ in length (missing high-order terms are 0). A list's field
 * input_scale (nil = 1) becomes the schedule's; safety (0: the default) is a name's run-time
 * safety factor (polar_express, cans). Every check happens before anything is allocated, so a
 * raised error leaks nothing; the caller frees *out with ml_schedule_free. Returns 0. */
int mlua_toschedule(lua_State *L, int idx, int steps, double safety, ml_schedule *out)
{
    idx = lua_absindex(L, idx);
    memset(out, 0, sizeof *out);
    if (steps > 1000) luaL_argerror(L, idx, lua_pushfstring(L, "steps must be <= 1000, got %d", steps));
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING) {
        const char *name = lua_tostring(L, idx);
        if (!is_known_name(name)) unknown_name(L, idx, name);
        if (named_schedule(out, name, steps, safety)) luaL_argerror(L, idx, ml_errmsg());
        return 0;
    }
    if (t != LUA_TTABLE)
        luaL_argerror(L, idx, lua_pushfstring(L, "schedule name or list of coefficients expected, got %s",
                                              luaL_typename(L, idx)));
    int n = (int)lua_rawlen(L, idx);
    if (n < 1) luaL_argerror(L, idx, "empty list of coefficients");
    double input_scale = table_input_scale(L, idx);
    lua_rawgeti(L, idx, 1);
    int nested = lua_type(L, -1) == LUA_TTABLE;
    lua_pop(L, 1);

    if (!nested) {   /* one flat row */
        if (n > ML_MAX_TERMS)
            luaL_argerror(L, idx, lua_pushfstring(L, "at most %d coefficients per step, got %d", ML_MAX_TERMS, n));
        double row[ML_MAX_TERMS];
        for (int k = 0; k < n; k++) row[k] = rownumber(L, idx, idx, k + 1, 0);
        if (steps <= 0) steps = FLAT_STEPS;
        if (ml_schedule_alloc(out, steps, n)) luaL_argerror(L, idx, ml_errmsg());
        for (int s = 0; s < steps; s++) memcpy(out->c + (size_t)s * n, row, sizeof(double) * n);
        out->input_scale = input_scale;
        return 0;
    }

    if (n > 1000) luaL_argerror(L, idx, lua_pushfstring(L, "at most 1000 steps, got %d", n));
    int terms = 0;
    for (int r = 1; r <= n; r++) {   /* validate every row first */
        lua_rawgeti(L, idx, r);
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_argerror(L, idx, lua_pushfstring(L, "step %d: list of coefficients expected, got %s", r,
                                                  luaL_typename(L, -1)));
        int len = rowlength(L, idx, lua_gettop(L), r);
        for (int k = 1; k <= len; k++) rownumber(L, idx, lua_gettop(L), k, r);
        if (len > terms) terms = len;
        lua_pop(L, 1);
    }
    if (steps <= 0) steps = n;
    if (ml_schedule_alloc(out, steps, terms)) luaL_argerror(L, idx, ml_errmsg());
    out->input_scale = input_scale;
    for (int s = 0; s < steps; s++) {   /* zero-filled by the allocation */
        lua_rawgeti(L, idx, s < n ? s + 1 : n);
        int len = (int)lua_rawlen(L, -1);
        for (int k = 0; k < len; k++) {
            lua_rawgeti(L, -1, k + 1);
            out->c[(size_t)s * terms + k] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int check_range_steps(lua_State *L, int oi, lua_Integer steps)
{
    if (steps < 1 || steps > MAX_OPT_STEPS)
        mlua_opterror(L, oi, "steps", lua_pushfstring(L, "an integer in 1..%d", MAX_OPT_STEPS));
    return (int)steps;
}

/* coeffs's options: steps alone for the fixed schedules, the first 4 for cans, all 5 for
 * polar_express; poly_map and poly_error take steps only. */
#define SAFETY_DOC "cans, polar_express: run-time safety factor (>= 1) of Polar Express's Algorithm 1: every step's polynomial but the last becomes p(x/safety), and the returned input_scale = safety makes ml.ns divide its normaliser by it too; 1: the bare schedule"
static const mlua_opt coeffs_opts[] = {
    {"steps", "an integer", "the schedule's own (computed: 8)", "number of steps, 1..100 (a fixed schedule's last step repeats)"},
    {"l", "a number", "1e-3", "cans, polar_express: lower end of the singular-value interval [l, 1] the schedule is optimised for, in (0, 1)"},
    {"degree", "an integer", "5", "cans, polar_express: polynomial degree, 3, 5 or 7"},
    {"safety", "a number", "1.01", SAFETY_DOC},
    {"cushion", "a number", "0.02407327424182761", "polar_express: lower bound on each step's l, in [0, 1)"},
    {NULL},
};

static int has_any(lua_State *L, int oi, const mlua_opt keys[], int n)
{
    if (!lua_istable(L, oi)) return 0;
    for (int i = 0; i < n; i++) {
        int t = lua_getfield(L, oi, keys[i].name);
        lua_pop(L, 1);
        if (t != LUA_TNIL) return 1;
    }
    return 0;
}

static double opt_l(lua_State *L, int oi)
{
    double l = mlua_optnumber(L, oi, "l", 1e-3);
    if (!(l > 0 && l < 1)) mlua_opterror(L, oi, "l", "a number in (0, 1)");
    return l;
}

static int opt_degree(lua_State *L, int oi, int def)
{
    lua_Integer d = mlua_optinteger(L, oi, "degree", def);
    if (d != 3 && d != 5 && d != 7)
        mlua_opterror(L, oi, "degree", "3, 5 or 7");
    return (int)d;
}

/* The rows, and input_scale when it is not 1 (nil reads as 1 in mlua_toschedule). */
static void push_schedule(lua_State *L, const ml_schedule *s)
{
    lua_createtable(L, s->steps, 1);
    if (s->input_scale != 1) {
        lua_pushnumber(L, s->input_scale);
        lua_setfield(L, -2, "input_scale");
    }
    for (int st = 0; st < s->steps; st++) {
        lua_createtable(L, s->terms, 0);
        for (int k = 0; k < s->terms; k++) {
            lua_pushnumber(L, s->c[(size_t)st * s->terms + k]);
            lua_rawseti(L, -2, k + 1);
        }
        lua_rawseti(L, -2, st + 1);
    }
}

/* Option safety at oi (shared with ml.ns): a finite number >= 1, default ML_SAFETY. */
double mlua_optsafety(lua_State *L, int oi)
{
    double safety = mlua_optnumber(L, oi, "safety", ML_SAFETY);
    if (!(safety >= 1) || !isfinite(safety)) mlua_opterror(L, oi, "safety", "a finite number >= 1");
    return safety;
}

/* coeffs(name [, opts]) -> {{c1, c3, ...}, ...} one list per step, with field input_scale
 * (the run-time safety factor) when it is not 1.
 *   polar_express: the published table (safety alone keeps it), or computed when any of l,
 *                  degree, steps, cushion is given (defaults 1e-3, 5, 8, 0.02407327424182761);
 *                  safety default 1.01 either way;
 *   cans:          computed (l, degree, steps, safety; defaults 1e-3, 5, 8, 1.01);
 *   the others:    steps (default: the schedule's own). */
static int l_coeffs(lua_State *L)
{
    lua_settop(L, 2);   /* fixed slots: the schedule's holder goes above the arguments */
    const char *name = luaL_checkstring(L, 1);
    if (!is_known_name(name)) unknown_name(L, 1, name);
    ml_schedule *s = mlua_newschedule(L);
    int rc;
    static const mlua_opt computing[] = {{"steps", 0, 0, 0}, {"l", 0, 0, 0}, {"degree", 0, 0, 0}, {"cushion", 0, 0, 0}};
    if (!strcmp(name, "polar_express") && has_any(L, 2, computing, 4)) {
        mlua_checkopts(L, 2, coeffs_opts);
        double l = opt_l(L, 2);
        int degree = opt_degree(L, 2, 5);
        int steps = check_range_steps(L, 2, mlua_optinteger(L, 2, "steps", 8));
        double safety = mlua_optsafety(L, 2);
        double cushion = mlua_optnumber(L, 2, "cushion", ML_PE_CUSHION);
        if (!(cushion >= 0 && cushion < 1))
            mlua_opterror(L, 2, "cushion", "a number in [0, 1)");
        rc = ml_schedule_polar_express(s, l, degree, steps, safety, cushion);
    } else if (!strcmp(name, "cans")) {
        mlua_checkopts_n(L, 2, coeffs_opts, 4);
        double l = opt_l(L, 2);
        int degree = opt_degree(L, 2, ML_CANS_DEGREE);
        int steps = check_range_steps(L, 2, mlua_optinteger(L, 2, "steps", ML_CANS_STEPS));
        rc = ml_schedule_cans(s, l, degree, steps, mlua_optsafety(L, 2));
    } else if (!strcmp(name, "polar_express")) {   /* the published table */
        mlua_checkopts(L, 2, coeffs_opts);
        rc = ml_schedule_named_safety(s, name, 0, mlua_optsafety(L, 2));
    } else {
        mlua_checkopts_n(L, 2, coeffs_opts, 1);
        int steps = 0;
        if (has_any(L, 2, coeffs_opts, 1)) steps = check_range_steps(L, 2, mlua_optinteger(L, 2, "steps", 0));
        rc = ml_schedule_named(s, name, steps);
    }
    if (rc) mlua_core_error(L, "coeffs");
    push_schedule(L, s);
    return 1;
}

/* The schedule at argument 1 with opts (steps) at oi, held by a workspace left on the stack. */
static ml_schedule *argschedule(lua_State *L, int oi)
{
    mlua_checkopts_n(L, oi, coeffs_opts, 1);
    int steps = 0;
    if (has_any(L, oi, coeffs_opts, 1)) steps = check_range_steps(L, oi, mlua_optinteger(L, oi, "steps", 0));
    ml_schedule *s = mlua_newschedule(L);
    mlua_toschedule(L, 1, steps, 0, s);
    return s;
}

/* poly_map(coeffs, x [, {steps =}]) -> f(x) for a number, a list of numbers (a new list)
 * or a matrix (a new matrix of the same shape and dtype, elementwise). */
static int l_poly_map(lua_State *L)
{
    lua_settop(L, 3);
    int t = lua_type(L, 2);
    ml_mat *m = t == LUA_TUSERDATA ? mlua_testmat(L, 2) : NULL;
    if (t != LUA_TNUMBER && t != LUA_TTABLE && !m)
        luaL_argerror(L, 2, lua_pushfstring(L, "number, list of numbers or matrix expected, got %s", luaL_typename(L, 2)));
    if (m) m = mlua_checkmat(L, 2);   /* refuses a closed matrix */
    ml_schedule *s = argschedule(L, 3);
    if (t == LUA_TNUMBER) {
        lua_pushnumber(L, ml_schedule_apply(s, lua_tonumber(L, 2)));
    } else if (t == LUA_TTABLE) {
        int n = (int)lua_rawlen(L, 2);
        lua_createtable(L, n, 0);
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, 2, i);
            if (lua_type(L, -1) != LUA_TNUMBER)
                luaL_argerror(L, 2, lua_pushfstring(L, "entry %d: number expected, got %s", i, luaL_typename(L, -1)));
            double x = lua_tonumber(L, -1);
            if (!isfinite(x)) luaL_argerror(L, 2, lua_pushfstring(L, "entry %d is NaN or Inf", i));
            lua_pop(L, 1);
            lua_pushnumber(L, ml_schedule_apply(s, x));
            lua_rawseti(L, -2, i);
        }
    } else {
        ml_mat *o = mlua_newmat(L);
        if (ml_mat_alloc(o, m->rows, m->cols, m->dtype)) mlua_core_error(L, "poly_map");
        for (size_t i = 0; i < m->rows; i++)
            for (size_t j = 0; j < m->cols; j++) ml_mat_set(o, i, j, ml_schedule_apply(s, ml_mat_get(m, i, j)));
    }
    return 1;
}

/* poly_error(coeffs, l, u [, {steps =}]) -> max over [l, u] of |f(x) - 1| */
static int l_poly_error(lua_State *L)
{
    lua_settop(L, 4);
    double l = luaL_checknumber(L, 2), u = luaL_checknumber(L, 3);
    luaL_argcheck(L, isfinite(l), 2, "l must be finite");
    luaL_argcheck(L, isfinite(u), 3, "u must be finite");
    if (u < l) luaL_argerror(L, 3, lua_pushfstring(L, "u must be >= l (got l = %f, u = %f)", l, u));
    ml_schedule *s = argschedule(L, 4);
    double e = ml_schedule_error(s, l, u);
    if (isnan(e)) mlua_core_error(L, "poly_error");
    lua_pushnumber(L, e);
    return 1;
}

static const luaL_Reg functions[] = {
    {"coeffs", l_coeffs}, {"poly_map", l_poly_map}, {"poly_error", l_poly_error}, {NULL, NULL},
};

void mlua_open_coeffs(lua_State *L)
{
    luaL_setfuncs(L, functions, 0);
    mlua_register_opts(L, "coeffs", coeffs_opts);
    mlua_register_opts_n(L, "poly_map", coeffs_opts, 1);
    mlua_register_opts_n(L, "poly_error", coeffs_opts, 1);
}
