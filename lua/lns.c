/* Newton-Schulz from Lua: ml.ns, its workspace (ml.ns_workspace, ml.ns_plan) and the metrics
 * that judge it. */
#include "lmuonlab.h"
#include "coeffs.h"
#include "error.h"
#include "metrics.h"
#include "ns.h"
#include "ns_many.h"
#include "threads.h"
#include "tracer.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One buffer concept: an NS workspace holds the buffers of ml_ns (no allocation after the first
 * call with a shape) and, when built by ml.ns_plan{...}, the options and schedule fixed once, so
 * that ws:run(out, G) needs no option parsing. ml.ns parses its options into a temporary one. */
#define NS_WORKSPACE "muonlab.ns_workspace"

typedef struct ns_workspace {
    ml_ns_work w;
    int planned;       /* sch and o are set: ws:run() works */
    int freed;         /* ws:free(), <close> or the finalizer ran: see usews */
    ml_schedule sch;
    ml_ns_opts o;
    ml_ns_work *many;  /* plan:run_many: one workspace per thread (many[0] is separate from w) */
    int nmany;
    ml_mat **ptrs;     /* plan:run_many: the outputs' and inputs' pointers, 2 x cap */
    size_t cap;
} ns_workspace;

static ns_workspace *checkws(lua_State *L, int idx) { return luaL_checkudata(L, idx, NS_WORKSPACE); }

/* A freed workspace (ws:free(), <close>, or its finalizer: a finalized object can still be
 * reached from another finalizer) stays freed: using it again is an error naming argument
 * arg, never a silent allocation no finalizer would release (issue 12 item 12). */
static ns_workspace *usews(lua_State *L, ns_workspace *ws, int arg)
{
    if (ws && ws->freed) luaL_argerror(L, arg, "the workspace has been freed");
    return ws;
}

static ns_workspace *newws(lua_State *L)
{
    ns_workspace *ws = lua_newuserdatauv(L, sizeof *ws, 0);
    memset(ws, 0, sizeof *ws);
    ml_ns_work_init(&ws->w);
    ml_ns_opts_default(&ws->o);
    luaL_setmetatable(L, NS_WORKSPACE);   /* from here on __gc frees whatever is allocated */
    return ws;
}

static void free_many(ns_workspace *ws)
{
    for (int i = 0; i < ws->nmany; i++) ml_ns_work_free(&ws->many[i]);
    free(ws->many);
    free(ws->ptrs);
    ws->many = NULL;
    ws->ptrs = NULL;
    ws->nmany = 0;
    ws->cap = 0;
}

/* A schedule held by a new, unplanned workspace left on the stack: the one userdata that owns
 * a schedule, so a Lua error anywhere after allocation frees it (ml.coeffs, ml.poly_map). */
ml_schedule *mlua_newschedule(lua_State *L)
{
    return &newws(L)->sch;
}

static int ws_gc(lua_State *L)
{
    ns_workspace *ws = checkws(L, 1);
    ml_ns_work_free(&ws->w);
    free_many(ws);
    ml_schedule_free(&ws->sch);
    ws->planned = 0;
    ws->freed = 1;
    return 0;
}

/* ws:free(): the buffers; the workspace cannot be used after that */
static int ws_free(lua_State *L)
{
    ns_workspace *ws = checkws(L, 1);
    ml_ns_work_free(&ws->w);
    free_many(ws);
    ws->freed = 1;
    return 0;
}

static int ws_allocations(lua_State *L)
{
    ns_workspace *ws = checkws(L, 1);
    size_t n = ws->w.allocs;
    for (int i = 0; i < ws->nmany; i++) n += ws->many[i].allocs;
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int ws_tostring(lua_State *L)
{
    ns_workspace *ws = checkws(L, 1);
    if (ws->planned)
        lua_pushfstring(L, "ns_plan(%d steps, %s, %d allocations)", ws->sch.steps, ml_precond_name(ws->o.precond),
                        (int)ws->w.allocs);
    else if (ws->w.A.buf)
        lua_pushfstring(L, "ns_workspace(%d x %d Gram, %d allocations)", (int)ws->w.A.rows, (int)ws->w.A.cols,
                        (int)ws->w.allocs);
    else
        lua_pushliteral(L, "ns_workspace(empty)");
    return 1;
}

/* ---- the options of ml.ns, parsed once for ml.ns and ml.ns_plan ---- */

/* ml.ns's options; ml.ns_plan takes the first NS_PLAN_OPTS (not trace, workspace). */
#define NS_PLAN_OPTS 10
static const mlua_opt ns_opts[] = {
    {"coeffs", "a string or a table", "\"jordan\"", "schedule: a name (cubic, quintic, septic, jordan, you, polar_express, gram_ns, cans), a list of per-step lists {{a,b,c},...} (the last repeats) or one list reused every step"},
    {"steps", "an integer", "the schedule's length (5 for jordan)", "NS steps, 1..1000"},
    {"eps", "a number", "1e-7", "X0 = A / (s ||A||_F + eps), s the schedule's input_scale"},
    {"safety", "a number", "1.01", "coeffs \"polar_express\" or \"cans\": Polar Express's run-time safety factor s (Algorithm 1): every step's polynomial but the last at x/s, and every preconditioner's normaliser times s; 1: the bare schedule. A coefficient table carries its own as field input_scale"},
    {"precond", "a string", "\"frobenius\"", "\"frobenius\", \"spectral\" (Lanczos estimate x 1.02), \"aol\" (Turbo-Muon row scaling), \"schatten\" (||AA^T||_F^1/2) or \"none\""},
    {"power_steps", "an integer", "12", "Lanczos products of precond \"spectral\", 1..64"},
    {"precision", "a string", "the input's dtype", "\"fp64\", \"fp32\", \"bf16\" or \"fp16\" (bf16/fp16 emulated; result in the input's dtype)"},
    {"form", "a string", "\"direct\"", "\"direct\", \"gram\" (iterate on the short-side Gram matrix, one final product), \"eig\" (the composed polynomial through the eigendecomposition of the Gram matrix; fp64/fp32) or \"auto\" (the fastest accurate one: core/ns.c ml_ns_form_auto)"},
    {"restart", "an integer", "0", "gram form: rebuild the Gram matrix every k steps (0: never)"},
    {"restarts", "a table", "none", "gram form: also rebuild it before these steps (2..63; Dao-AILab's Gram NS: {3} with coeffs \"gram_ns\")"},
    {"trace", "a boolean", "false", "also return per-step records {step, orth_fro, orth_spec, polar_dist, smin, smax, time}"},
    {"workspace", "a muonlab.ns_workspace", "none", "buffers from ml.ns_workspace(): no allocation after the first call with a shape"},
    {NULL},
};

static int parse_precond(const char *s, void *out) { return ml_precond_parse(s, out); }
static int parse_form(const char *s, void *out) { return ml_ns_form_parse(s, out); }
static int parse_precision(const char *s, void *out) { return ml_precision_parse(s, out); }

/* Options at stack slot oi (a table or nil; the caller has checked the keys) into ws: its
 * ml_ns_opts and its schedule (coeffs, default "jordan", and steps). Errors are "bad argument
 * #oi"; nothing is allocated before the last check, and ws owns the schedule. */
static void parse_ns_opts(lua_State *L, int oi, ns_workspace *ws)
{
    ml_ns_opts *o = &ws->o;
    ml_ns_opts_default(o);
    lua_Integer steps = mlua_optinteger(L, oi, "steps", 0);
    if (steps < 0 || steps > 1000) mlua_opterror(L, oi, "steps", "an integer in 1..1000");
    o->eps = mlua_optnumber(L, oi, "eps", o->eps);
    if (!(o->eps >= 0 && isfinite(o->eps))) mlua_opterror(L, oi, "eps", "a finite number >= 0");
    mlua_optenum(L, oi, "precond", "frobenius", parse_precond, &o->precond);
    mlua_optenum(L, oi, "form", "direct", parse_form, &o->form);
    if (mlua_optstring(L, oi, "precision", NULL)) {   /* default: the input's (fp64 or fp32) */
        ml_precision prec;
        mlua_optenum(L, oi, "precision", NULL, parse_precision, &prec);
        o->precision = (int)prec;
    }
    lua_Integer ps = mlua_optinteger(L, oi, "power_steps", ML_NS_POWER_STEPS);
    if (ps < 1 || ps > ML_NS_MAX_POWER_STEPS) mlua_opterror(L, oi, "power_steps", "an integer in 1..64");
    o->power_steps = (int)ps;
    lua_Integer restart = mlua_optinteger(L, oi, "restart", 0);
    if (restart < 0 || restart > 1000) mlua_opterror(L, oi, "restart", "an integer in 0..1000");
    o->restart = (int)restart;
    if (lua_istable(L, oi) && lua_getfield(L, oi, "restarts") != LUA_TNIL) {   /* {3}: before step 3 */
        if (!lua_istable(L, -1)) mlua_opterror(L, oi, "restarts", "a table of step numbers in 2..63");
        lua_Integer len = (lua_Integer)luaL_len(L, -1);
        for (lua_Integer i = 1; i <= len; i++) {
            lua_geti(L, -1, i);
            int isint;
            lua_Integer t = lua_tointegerx(L, -1, &isint);
            if (!isint || t < 2 || t > 63) mlua_opterror(L, oi, "restarts", "a table of step numbers in 2..63");
            o->restart_at |= (uint64_t)1 << t;
            lua_pop(L, 1);
        }
    }
    if (lua_istable(L, oi)) lua_pop(L, 1);
    double safety = 0;   /* the named schedule's default */
    if (lua_istable(L, oi) && lua_getfield(L, oi, "safety") != LUA_TNIL) {
        lua_getfield(L, oi, "coeffs");
        const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        if (strcmp(name, "polar_express") != 0 && strcmp(name, "cans") != 0)
            mlua_opterror(L, oi, "safety", "a number >= 1 with coeffs \"polar_express\" or \"cans\"");
        lua_pop(L, 1);
        safety = mlua_optsafety(L, oi);
    }
    if (lua_istable(L, oi)) lua_pop(L, 1);
    /* the schedule goes to slot oi while it is converted, so that its errors read
     * "bad argument #oi (...)": it is part of the options argument */
    lua_pushvalue(L, oi);
    if (lua_istable(L, oi))
        lua_getfield(L, oi, "coeffs");
    else
        lua_pushnil(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushliteral(L, "jordan");
    }
    lua_replace(L, oi);
    ml_schedule_free(&ws->sch);
    mlua_toschedule(L, oi, (int)steps, safety, &ws->sch);
    lua_replace(L, oi);   /* the options back */
    ws->planned = 1;
}

/* ---- ns ---- */

static void push_trace(lua_State *L, const ml_tracer *t)
{
    mlua_pushtrace(L, t, "polar_dist");
}

/* ns(A [, {coeffs=, steps=, eps=, safety=, precond=, power_steps=, precision=, form=, restart=, restarts=, trace=,
 *          workspace=}]) -> X [, trace] */
static int l_ns(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    lua_settop(L, 2);   /* slot 2 is the options (or nil) from here on */
    mlua_checkopts(L, 2, ns_opts);
    int trace = mlua_optboolean(L, 2, "trace", 0);
    ml_ns_work *w = NULL;
    if (lua_istable(L, 2) && lua_getfield(L, 2, "workspace") != LUA_TNIL) {
        ns_workspace *ws = luaL_testudata(L, -1, NS_WORKSPACE);
        if (!ws) mlua_opterror(L, 2, "workspace", "a " NS_WORKSPACE);
        w = &usews(L, ws, 2)->w;
    }   /* the workspace (or nil) stays on the stack, so it lives through the call */
    ns_workspace *call = newws(L);   /* this call's options and schedule; its buffers stay unused */
    parse_ns_opts(L, 2, call);
    ml_tracer *tr = NULL;
    if (trace) {
        tr = mlua_newtrace(L);
        if (ml_tracer_ns_start(tr, a)) mlua_core_error(L, "ns");
        call->o.hook = ml_tracer_ns_hook;
        call->o.hook_ctx = tr;
    }
    ml_mat *x = mlua_newmat(L);
    if (ml_ns(x, a, &call->sch, &call->o, w)) mlua_core_error(L, "ns");
    if (!tr) return 1;
    push_trace(L, tr);
    return 2;
}

/* ns_workspace() -> a workspace for opts.workspace: keep one per parameter shape; it grows to
 * the largest shape it has seen and is freed by the garbage collector (or ws:free()). */
static int l_ns_workspace(lua_State *L)
{
    newws(L);
    return 1;
}

/* ns_plan{coeffs = "jordan", steps =, eps = 1e-7, precond = "frobenius", power_steps = 12,
 *         precision = (the input's), form = "direct", restart = 0} -> a workspace with the
 * options of ml.ns fixed once; plan:run(out, G) writes NS(G) into out. */
static int l_ns_plan(lua_State *L)
{
    lua_settop(L, 1);
    mlua_checkopts_n(L, 1, ns_opts, NS_PLAN_OPTS);
    parse_ns_opts(L, 1, newws(L));
    return 1;
}

static ns_workspace *checkplan(lua_State *L, int idx)
{
    ns_workspace *ws = usews(L, checkws(L, idx), idx);
    if (!ws->planned) luaL_argerror(L, idx, "workspace without options (build it with ml.ns_plan{...})");
    return ws;
}

/* plan:run(out, G) -> out: out <- NS(G), out of G's shape and dtype, not sharing its storage. */
static int plan_run(lua_State *L)
{
    ns_workspace *p = checkplan(L, 1);
    ml_mat *out = mlua_checkmat(L, 2), *g = mlua_checkmat(L, 3);
    mlua_checklike(L, 2, out, g, 3);
    luaL_argcheck(L, out->buf != g->buf, 2, "output shares storage with the input");
    luaL_argcheck(L, out->buf->refs == 1 && out->data == out->buf->data && ml_mat_is_contiguous(out), 2,
                  "output must be a matrix that owns its storage (not a view, no views of it)");
    if (ml_ns(out, g, &p->sch, &p->o, &p->w)) mlua_core_error(L, "run");
    lua_settop(L, 2);
    return 1;
}

/* ws:last_form() -> the form the last call ran ("auto" resolved, after a fallback "direct"),
 * and the eig form's error estimate (nil when not computed); nil before the first call. */
static int ws_last_form(lua_State *L)
{
    ns_workspace *ws = checkws(L, 1);
    if (!ws->w.A.buf) return 0;
    lua_pushstring(L, ml_ns_form_name(ws->w.form_used));
    if (isnan(ws->w.eig_error)) lua_pushnil(L);
    else lua_pushnumber(L, ws->w.eig_error);
    return 2;
}

/* plan:run_many(outs, Gs) -> outs: outs[i] <- NS(Gs[i]) for every i, concurrently when the
 * matrices are small and BLAS has more than one thread (core/ns_many.h: a thread per share of
 * the list, single-threaded BLAS inside). Each out as for plan:run, and no out may share storage
 * with another out or with any G (the Gs may share storage: views of one parameter). */
static int plan_run_many(lua_State *L)
{
    ns_workspace *p = checkplan(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer k = luaL_len(L, 2);
    luaL_argcheck(L, luaL_len(L, 3) == k, 3, lua_pushfstring(L, "%d outputs but %d inputs", (int)k, (int)luaL_len(L, 3)));
    if ((size_t)k > p->cap) {
        ml_mat **q = realloc(p->ptrs, 2 * (size_t)k * sizeof *q);
        if (!q) return luaL_error(L, "run_many: out of memory");
        p->ptrs = q;
        p->cap = (size_t)k;
    }
    ml_mat **out = p->ptrs, **g = p->ptrs + k;
    for (lua_Integer i = 1; i <= k; i++) {
        lua_rawgeti(L, 2, i);
        lua_rawgeti(L, 3, i);
        ml_mat *o = luaL_testudata(L, -2, MLUA_MATRIX), *x = luaL_testudata(L, -1, MLUA_MATRIX);
        if (!o) luaL_argerror(L, 2, lua_pushfstring(L, "outs[%d] is not a matrix", (int)i));
        if (!x) luaL_argerror(L, 3, lua_pushfstring(L, "Gs[%d] is not a matrix", (int)i));
        if (!o->buf || !x->buf) luaL_argerror(L, o->buf ? 3 : 2, lua_pushfstring(L, "matrix %d is closed", (int)i));
        if (o->rows != x->rows || o->cols != x->cols || o->dtype != x->dtype)
            luaL_argerror(L, 2, lua_pushfstring(L, "outs[%d] must have the shape and dtype of Gs[%d]", (int)i, (int)i));
        if (!(o->buf->refs == 1 && o->data == o->buf->data && ml_mat_is_contiguous(o)))
            luaL_argerror(L, 2, lua_pushfstring(L, "outs[%d] must be a matrix that owns its storage", (int)i));
        lua_pop(L, 2);   /* the tables keep them alive */
        out[i - 1] = o;
        g[i - 1] = x;
    }
    for (lua_Integer i = 0; i < k; i++)
        for (lua_Integer j = 0; j < k; j++)
            if (out[i]->buf == g[j]->buf || (j != i && out[i]->buf == out[j]->buf))
                luaL_argerror(L, 2, lua_pushfstring(L, "outs[%d] shares storage with %s[%d]", (int)i + 1,
                                                    out[i]->buf == g[j]->buf ? "Gs" : "outs", (int)j + 1));
    int T = ml_threads_get();
    if (T > p->nmany) {
        ml_ns_work *q = realloc(p->many, (size_t)T * sizeof *q);
        if (!q) return luaL_error(L, "run_many: out of memory");
        for (int i = p->nmany; i < T; i++) ml_ns_work_init(&q[i]);
        p->many = q;
        p->nmany = T;
    }
    if (ml_ns_many((size_t)k, out, (const ml_mat *const *)g, &p->sch, &p->o, p->many, T))
        mlua_core_error(L, "run_many");
    lua_settop(L, 2);
    return 1;
}

static int plan_steps(lua_State *L)
{
    lua_pushinteger(L, checkplan(L, 1)->sch.steps);
    return 1;
}

/* orth_error(X) -> Frobenius, spectral norm of X X^T - I on the short side */
static int l_orth_error(lua_State *L)
{
    ml_mat *x = mlua_checkmat(L, 1);
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
    double d;
    if (ml_polar_distance(x, a, &d)) mlua_core_error(L, "polar_distance");
    lua_pushnumber(L, d);
    return 1;
}

static const luaL_Reg ws_methods[] = {
    {"allocations", ws_allocations}, {"free", ws_free}, {"run", plan_run}, {"steps", plan_steps},
    {"last_form", ws_last_form}, {"run_many", plan_run_many}, {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"ns", l_ns}, {"ns_workspace", l_ns_workspace}, {"ns_plan", l_ns_plan}, {"orth_error", l_orth_error},
    {"polar_distance", l_polar_distance}, {NULL, NULL},
};

void mlua_open_ns(lua_State *L)
{
    if (luaL_newmetatable(L, NS_WORKSPACE)) {
        lua_pushcfunction(L, ws_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, ws_free);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, ws_tostring);
        lua_setfield(L, -2, "__tostring");
        luaL_newlib(L, ws_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
    mlua_register_opts(L, "ns", ns_opts);
    mlua_register_opts_n(L, "ns_plan", ns_opts, NS_PLAN_OPTS);
}
