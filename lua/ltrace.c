/* Iteration traces (core/tracer.h) as Lua values: the recorder lives in a userdata so that a Lua
 * error frees it, and its records become a list of tables. */
#include "lmuonlab.h"
#include "tracer.h"
#include <string.h>

#define MLUA_TRACE "muonlab.trace"

static int trace_gc(lua_State *L)
{
    ml_tracer_free(luaL_checkudata(L, 1, MLUA_TRACE));
    return 0;
}

ml_tracer *mlua_newtrace(lua_State *L)
{
    ml_tracer *t = lua_newuserdatauv(L, sizeof *t, 0);
    ml_tracer_init(t);
    if (luaL_newmetatable(L, MLUA_TRACE)) {
        lua_pushcfunction(L, trace_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return t;
}

static void pushrec(lua_State *L, const ml_tracer *t, const ml_trace_rec *r, const char *dist_name)
{
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, r->step);
    lua_setfield(L, -2, "step");
    lua_pushnumber(L, r->time);
    lua_setfield(L, -2, "time");
    lua_pushnumber(L, r->dist);
    lua_setfield(L, -2, dist_name);
    if (!t->spectrum) return;
    const struct { const char *k; double v; } f[] = {
        {"orth_fro", r->orth_fro}, {"orth_spec", r->orth_spec}, {"smin", r->smin}, {"smax", r->smax},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushnumber(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
}

void mlua_pushtrace(lua_State *L, const ml_tracer *t, const char *dist_name)
{
    lua_createtable(L, t->n, 1);
    lua_Integer k = 0;
    for (int i = 0; i < t->n; i++) {
        pushrec(L, t, &t->rec[i], dist_name);
        if (t->rec[i].step == 0)
            lua_setfield(L, -2, "precond");
        else
            lua_rawseti(L, -2, ++k);
    }
}
