/* The muonlab.core Lua module: one table holding every binding file's functions.
 * lua/muonlab/init.lua wraps it as the `muonlab` module with the Lua-side library. */
#include "lmuonlab.h"

int luaopen_muonlab_core(lua_State *L)
{
    lua_newtable(L);
    mlua_open_matrix(L);
    mlua_open_linalg(L);
    mlua_open_ns(L);
    mlua_open_io(L);
    mlua_open_files(L);
    mlua_open_precision(L);
    mlua_open_coeffs(L);
    mlua_open_sweep(L);
    mlua_open_threads(L);
    mlua_open_data(L);
    mlua_open_nn(L);
    mlua_open_optim(L);
    /* more binding files: add their mlua_open_* call here */
    mlua_guard_finite(L);   /* last: it wraps functions the others registered */
    lua_pushcfunction(L, mlua_optspec);
    lua_setfield(L, -2, "_optspec");
    mlua_name_functions(L, -1);
    return 1;
}
