/* Reduced-precision emulation (core/precision.h) from Lua:
 *   ml.round(A, "bf16")        a new matrix, A's dtype, every entry rounded to the format
 *   ml.round_scalar(x, "fp16") a number rounded to the format */
#include "lmuonlab.h"
#include "error.h"
#include "precision.h"

/* The precision name at idx: "bad argument #idx to 'round' (unknown precision 'bf17'; ...)". */
static ml_precision checkprecision(lua_State *L, int idx)
{
    ml_precision p;
    if (ml_precision_parse(luaL_checkstring(L, idx), &p)) luaL_argerror(L, idx, ml_errmsg());
    return p;
}

static int l_round(lua_State *L)
{
    ml_mat *A = mlua_checkmat(L, 1);
    ml_precision p = checkprecision(L, 2);
    ml_mat *out = mlua_newmat(L);
    if (ml_mat_clone(out, A, A->dtype)) return mlua_core_error(L, "round");
    ml_mat_round(out, p);
    return 1;
}

static int l_round_scalar(lua_State *L)
{
    double x = luaL_checknumber(L, 1);
    lua_pushnumber(L, ml_round_double(x, checkprecision(L, 2)));
    return 1;
}

static const luaL_Reg functions[] = {
    {"round", l_round},
    {"round_scalar", l_round_scalar},
    {NULL, NULL},
};

void mlua_open_precision(lua_State *L) { luaL_setfuncs(L, functions, 0); }
