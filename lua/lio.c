/* Matrix files from Lua: load(path) and save(path, A), format by extension (core/io.h). */
#include "lmuonlab.h"
#include "io.h"

/* load(path) -> matrix: .npy keeps its dtype; text (.txt, .csv, .dat, ...) gives float64. */
static int l_load(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    ml_mat *m = mlua_newmat(L);
    if (ml_io_load(m, path) != ML_OK) return mlua_core_error(L, "load");
    return 1;
}

/* save(path, A): written atomically; .npy in A's dtype, otherwise numpy.savetxt text. */
static int l_save(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    ml_mat *A = mlua_checkmat(L, 2);
    if (ml_io_save(path, A) != ML_OK) return mlua_core_error(L, "save");
    return 0;
}

static const luaL_Reg functions[] = {
    {"load", l_load},
    {"save", l_save},
    {NULL, NULL},
};

void mlua_open_io(lua_State *L) { luaL_setfuncs(L, functions, 0); }
