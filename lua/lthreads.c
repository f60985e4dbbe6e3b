/* BLAS threads from Lua: set_threads(n) -> previous count, get_threads() -> count. ML_THREADS is
 * applied when the module loads. */
#include "lmuonlab.h"
#include "threads.h"

static int l_set_threads(lua_State *L)
{
    lua_Integer n = mlua_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1 && n <= ML_MAX_THREADS, 1, "number of threads must be in 1..1024");
    int prev = ml_threads_get();
    if (ml_threads_set((int)n)) luaL_argerror(L, 1, ml_errmsg());
    lua_pushinteger(L, prev);
    return 1;
}

static int l_get_threads(lua_State *L)
{
    lua_pushinteger(L, ml_threads_get());
    return 1;
}

static const luaL_Reg functions[] = {{"set_threads", l_set_threads}, {"get_threads", l_get_threads}, {NULL, NULL}};

void mlua_open_threads(lua_State *L)
{
    if (ml_threads_from_env()) luaL_error(L, "muonlab: %s", ml_errmsg());
    luaL_setfuncs(L, functions, 0);
}
