/* The BLAS runtime from Lua: set_threads(n) -> previous count, get_threads() -> count (ML_THREADS
 * is applied when the module loads), blas_info() -> the OpenBLAS kernels that run. */
#include "lmuonlab.h"
#include "blas_core.h"
#include "threads.h"
#include <stdio.h>
#include <stdlib.h>

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

/* blas_info() -> { core = kernels running, fallback = what OpenBLAS chose by itself when the host
 * replaced it (else nil), better = kernels this CPU could run when the running ones are a
 * fallback (else nil), threads = count, smallmm = libxsmm's target for the small products } */
static int l_blas_info(lua_State *L)
{
    lua_createtable(L, 0, 5);
    lua_pushstring(L, ml_blas_core());
    lua_setfield(L, -2, "core");
    lua_pushstring(L, ml_blas_fallback());
    lua_setfield(L, -2, "fallback");
    lua_pushstring(L, ml_blas_better_core());
    lua_setfield(L, -2, "better");
    lua_pushinteger(L, ml_threads_get());
    lua_setfield(L, -2, "threads");
    lua_pushstring(L, ml_smallmm_target());
    lua_setfield(L, -2, "smallmm");
    return 1;
}

static const luaL_Reg functions[] = {
    {"set_threads", l_set_threads}, {"get_threads", l_get_threads}, {"blas_info", l_blas_info}, {NULL, NULL}};

void mlua_open_threads(lua_State *L)
{
    if (ml_threads_from_env()) luaL_error(L, "muonlab: %s", ml_errmsg());
    /* Loaded into another program (the stock lua5.4), the module cannot re-execute it with the
     * right kernels (bin/muonlab does): say how, once, rather than run 3-4x slow in silence. */
    const char *better = ml_blas_better_core();
    if (better && !getenv("OPENBLAS_CORETYPE"))
        fprintf(stderr,
                "muonlab: OpenBLAS does not know this CPU and runs its %s kernels; start the program with "
                "OPENBLAS_CORETYPE=%s for its %s kernels (bin/muonlab does this itself)\n",
                ml_blas_core(), better, better);
    luaL_setfuncs(L, functions, 0);
}
