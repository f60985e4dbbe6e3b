/* Newton-Schulz iteration (options, trace, workspaces) and the metrics that judge it. */
#include "lmuonlab.h"
#include "coeffs.h"
#include "error.h"
#include "metrics.h"
#include "ns.h"
#include "polar.h"
#include "svd.h"
#include <math.h>
#include <string.h>

#define NS_WORKSPACE "muonlab.ns_workspace"
#define NS_SCHEDULE "muonlab.ns_schedule"   /* a schedule owned by a userdata: freed on any error */
#define NS_TRACE "muonlab.ns_trace"

/* ---- workspace userdata ---- */

/* A freed workspace (ws:free(), <close>, or its finalizer: a finalized object can still be
 * reached from another finalizer) stays freed: using it again is an error, never a silent
 * allocation no finalizer would release (issue 12 item 12). */
typedef struct {
    ml_ns_work w;
    int freed;
} ns_workspace;

static ml_ns_work *checkws(lua_State *L, int idx) { return &((ns_workspace *)luaL_checkudata(L, idx, NS_WORKSPACE))->w; }

/* The workspace at idx for use, or an error naming argument arg when it has been freed. */
static ml_ns_work *usews(lua_State *L, int idx, int arg)
{
    ns_workspace *u = luaL_testudata(L, idx, NS_WORKSPACE);
    if (u && u->freed) luaL_argerror(L, arg, "option 'workspace': the workspace has been freed");
    return u ? &u->w : NULL;
}

static int ws_free(lua_State *L)
{
    ns_workspace *u = luaL_checkudata(L, 1, NS_WORKSPACE);
    ml_ns_work_free(&u->w);
    u->freed = 1;
    return 0;
}

static int ws_allocations(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)checkws(L, 1)->allocs);
    return 1;
}

static int ws_tostring(lua_State *L)
{
    ml_ns_work *w = checkws(L, 1);
    if (w->A.buf)
        lua_pushfstring(L, "ns_workspace(%d x %d Gram, %d allocations)", (int)w->A.rows, (int)w->A.cols, (int)w->allocs);
    else
        lua_pushliteral(L, "ns_workspace(empty)");
    return 1;
}

/* ns_workspace() -> a workspace for opts.workspace: keep one per parameter shape; it grows to
 * the largest shape it has seen and is freed by the garbage collector (or ws:free()). */
static int l_ns_workspace(lua_State *L)
{
    ns_workspace *u = lua_newuserdatauv(L, sizeof *u, 0);
    ml_ns_work_init(&u->w);
    u->freed = 0;
    luaL_setmetatable(L, NS_WORKSPACE);
    return 1;
}

/* ---- schedule box ---- */

static int sched_gc(lua_State *L)
{
    ml_schedule_free(luaL_checkudata(L, 1, NS_SCHEDULE));
    return 0;
}

/* ---- trace: a C hook fills preallocated records; the Lua table is built afterwards ---- */

typedef struct trace_rec {
    double orth_fro, orth_spec, polar_dist, smin, smax, time;
} trace_rec;

typedef struct tracer {
    ml_mat P;          /* exact polar factor of the input (SVD, float64), working orientation */
    double pnorm;      /* ||P||_F */
    int n;             /* records 0..n-1 */
    int failed;
    trace_rec rec[];
} tracer;

static int tracer_gc(lua_State *L)
{
    tracer *t = luaL_checkudata(L, 1, NS_TRACE);
    ml_mat_free(&t->P);
    return 0;
}

/* Diagnostics in float64 outside the timed kernels: ||X X^T - I||_F and _2 (ml_orth_error),
 * ||X - P||_F / ||P||_F, and the extreme singular values (LAPACK). */
static int trace_hook(void *ctx, int step, const ml_mat *X, double secs)
{
    tracer *t = ctx;
    if (step < 0 || step >= t->n) return ml_error(ML_EINVAL, "trace: unexpected step %d", step);
    trace_rec *r = &t->rec[step];
    r->time = secs;
    int rc = ml_orth_error(X, &r->orth_fro, &r->orth_spec);
    double s = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double d = ml_mat_get(X, i, j) - ml_mat_get(&t->P, i, j);
            s += d * d;
        }
    r->polar_dist = t->pnorm > 0 ? sqrt(s) / t->pnorm : sqrt(s);
    ml_mat Xd = {0}, sv = {0};
    if (!rc) rc = ml_mat_clone(&Xd, X, ML_F64);
    if (!rc) rc = ml_svd(&Xd, NULL, &sv, NULL);
    if (!rc) {
        r->smax = ml_mat_get(&sv, 0, 0);
        r->smin = ml_mat_get(&sv, sv.rows - 1, 0);
    }
    ml_mat_free(&Xd);
    ml_mat_free(&sv);
    return rc;
}

/* A tracer for `steps` steps with the polar factor of a (computed once by SVD). */
static tracer *newtracer(lua_State *L, const ml_mat *a, int steps)
{
    tracer *t = lua_newuserdatauv(L, sizeof *t + (size_t)(steps + 1) * sizeof(trace_rec), 0);
    memset(t, 0, sizeof *t);
    t->n = steps + 1;
    luaL_setmetatable(L, NS_TRACE);
    ml_mat ad = {0}, aw = {0};
    int rc = ml_mat_clone(&ad, a, ML_F64);
    if (!rc && a->rows > a->cols) rc = ml_mat_transpose(&aw, &ad);
    else if (!rc) ml_mat_ref(&aw, &ad);
    if (!rc) rc = ml_polar(&t->P, &aw, -1);
    ml_mat_free(&ad);
    ml_mat_free(&aw);
    if (rc) mlua_core_error(L, "ns");
    t->pnorm = ml_norm_fro(&t->P);
    return t;
}

static void pushrec(lua_State *L, const trace_rec *r, int step)
{
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, step);
    lua_setfield(L, -2, "step");
    const struct { const char *k; double v; } f[] = {
        {"orth_fro", r->orth_fro}, {"orth_spec", r->orth_spec}, {"polar_dist", r->polar_dist},
        {"smin", r->smin},         {"smax", r->smax},           {"time", r->time},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushnumber(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
}

/* ---- ns ---- */

static void optenum(lua_State *L, int oi, const char *key, const char *def, int (*parse)(const char *, void *), void *out)
{
    const char *s = mlua_optstring(L, oi, key, def);
    if (parse(s, out)) luaL_argerror(L, oi, lua_pushfstring(L, "option '%s': %s", key, ml_errmsg()));
}

static int parse_precond(const char *s, void *out) { return ml_precond_parse(s, out); }
static int parse_form(const char *s, void *out) { return ml_ns_form_parse(s, out); }
static int parse_precision(const char *s, void *out) { return ml_precision_parse(s, out); }

/* ns(A [, {coeffs=, steps=, eps=, precond=, power_steps=, precision=, form=, restart=, trace=,
 *          workspace=}]) -> X [, trace] */
static int l_ns(lua_State *L)
{
    static const char *const allowed[] = {"coeffs", "steps", "eps", "precond", "power_steps", "precision",
                                          "form", "restart", "trace", "workspace", NULL};
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkfinite(L, 1, a);
    lua_settop(L, 2);   /* slot 2 is the options (or nil) from here on */
    mlua_checkopts(L, 2, allowed);
    ml_ns_opts o;
    ml_ns_opts_default(&o);
    lua_Integer steps = mlua_optinteger(L, 2, "steps", 0);
    luaL_argcheck(L, steps >= 0 && steps <= 1000, 2, "option 'steps' must be in 1..1000");
    o.eps = mlua_optnumber(L, 2, "eps", o.eps);
    luaL_argcheck(L, o.eps >= 0 && isfinite(o.eps), 2, "option 'eps' must be a finite number >= 0");
    optenum(L, 2, "precond", "frobenius", parse_precond, &o.precond);
    optenum(L, 2, "form", "direct", parse_form, &o.form);
    ml_precision prec = a->dtype == ML_F64 ? ML_FP64 : ML_FP32;
    optenum(L, 2, "precision", ml_precision_name(prec), parse_precision, &prec);
    o.precision = (int)prec;
    lua_Integer ps = mlua_optinteger(L, 2, "power_steps", ML_NS_POWER_STEPS);
    luaL_argcheck(L, ps >= 1 && ps <= ML_NS_MAX_POWER_STEPS, 2, "option 'power_steps' must be in 1..64");
    o.power_steps = (int)ps;
    lua_Integer restart = mlua_optinteger(L, 2, "restart", 0);
    luaL_argcheck(L, restart >= 0 && restart <= 1000, 2, "option 'restart' must be in 0..1000 (0: never)");
    o.restart = (int)restart;
    int trace = mlua_optboolean(L, 2, "trace", 0);
    ml_ns_work *w = NULL;
    if (lua_istable(L, 2) && lua_getfield(L, 2, "workspace") != LUA_TNIL) {
        w = usews(L, -1, 2);
        if (!w)
            luaL_argerror(L, 2, lua_pushfstring(L, "option 'workspace': %s expected (from ml.ns_workspace()), got %s",
                                                NS_WORKSPACE, luaL_typename(L, -1)));
    }   /* the workspace (or nil) stays on the stack, so it lives through the call */

    ml_schedule *sch = lua_newuserdatauv(L, sizeof *sch, 0);
    memset(sch, 0, sizeof *sch);
    luaL_setmetatable(L, NS_SCHEDULE);
    /* the schedule goes to stack slot 2 while it is converted, so that its errors read
     * "bad argument #2 to 'ns' (...)": it is part of the options argument */
    lua_pushvalue(L, 2);
    if (lua_istable(L, 2))
        lua_getfield(L, 2, "coeffs");
    else
        lua_pushnil(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushliteral(L, "jordan");
    }
    lua_replace(L, 2);
    mlua_toschedule(L, 2, (int)steps, sch);
    lua_replace(L, 2);   /* the options table back */

    tracer *tr = NULL;
    if (trace) {
        tr = newtracer(L, a, sch->steps);
        o.hook = trace_hook;
        o.hook_ctx = tr;
    }
    ml_mat *x = mlua_newmat(L);
    if (ml_ns(x, a, sch, &o, w)) mlua_core_error(L, "ns");
    if (!tr) return 1;
    lua_createtable(L, sch->steps, 1);
    for (int s = 1; s <= sch->steps; s++) {
        pushrec(L, &tr->rec[s], s);
        lua_rawseti(L, -2, s);
    }
    pushrec(L, &tr->rec[0], 0);
    lua_setfield(L, -2, "precond");
    return 2;
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

static const luaL_Reg ws_methods[] = {{"allocations", ws_allocations}, {"free", ws_free}, {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"ns", l_ns}, {"ns_workspace", l_ns_workspace}, {"orth_error", l_orth_error},
    {"polar_distance", l_polar_distance}, {NULL, NULL},
};

void mlua_open_ns(lua_State *L)
{
    if (luaL_newmetatable(L, NS_WORKSPACE)) {
        lua_pushcfunction(L, ws_free);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, ws_free);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, ws_tostring);
        lua_setfield(L, -2, "__tostring");
        luaL_newlib(L, ws_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, NS_SCHEDULE)) {
        lua_pushcfunction(L, sched_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, NS_TRACE)) {
        lua_pushcfunction(L, tracer_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
}
