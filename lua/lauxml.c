/* The argument-checking helpers every binding file shares (declared in lmuonlab.h): the role
 * lauxlib.c plays for Lua. Matrix userdata access, core errors as Lua errors, option tables. */
#include "lmuonlab.h"
#include "error.h"
#include <string.h>

ml_mat *mlua_testmat(lua_State *L, int idx) { return luaL_testudata(L, idx, MLUA_MATRIX); }

ml_mat *mlua_checkmat(lua_State *L, int idx)
{
    ml_mat *m = luaL_checkudata(L, idx, MLUA_MATRIX);
    if (!m->buf) luaL_argerror(L, idx, "matrix has been closed");
    return m;
}

ml_mat *mlua_newmat(lua_State *L)
{
    /* The collector sees only the small userdata, not the matrix storage behind it, so a
     * loop that drops matrices to the GC would let storage pile up: advance the collector
     * by the storage allocated since the previous matrix was created. */
    static _Thread_local size_t seen;
    size_t now = ml_mat_bytes_allocated();
    if (now - seen >= 64 * 1024) {
        lua_gc(L, LUA_GCSTEP, (int)((now - seen) / 1024 > 1 << 30 ? 1 << 30 : (now - seen) / 1024));
        seen = now;
    }
    ml_mat *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, MLUA_MATRIX);
    return m;
}

int mlua_core_error(lua_State *L, const char *fname) { return luaL_error(L, "%s: %s", fname, ml_errmsg()); }

void mlua_checkfinite(lua_State *L, int idx, const ml_mat *m)
{
    if (!ml_mat_all_finite(m)) luaL_argerror(L, idx, "matrix contains NaN or Inf");
}

void mlua_checkopts(lua_State *L, int idx, const char *const allowed[])
{
    if (lua_isnoneornil(L, idx)) return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, idx, "option keys must be strings");
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(allowed[i], k)) ok = 1;
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            luaL_addstring(&b, "unknown option '");
            luaL_addstring(&b, k);
            luaL_addstring(&b, "' (expected one of:");
            for (int i = 0; allowed[i]; i++) {
                luaL_addstring(&b, i ? ", " : " ");
                luaL_addstring(&b, allowed[i]);
            }
            luaL_addstring(&b, ")");
            luaL_pushresult(&b);
            luaL_argerror(L, idx, lua_tostring(L, -1));
        }
    }
}

/* Push opts[key] (nil when opts is absent); returns its type. */
static int getopt_(lua_State *L, int idx, const char *key)
{
    if (lua_type(L, idx) != LUA_TTABLE) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_getfield(L, idx, key);
}

static int opt_type_error(lua_State *L, int idx, const char *key, const char *expected)
{
    const char *msg = lua_pushfstring(L, "option '%s': %s expected, got %s", key, expected, luaL_typename(L, -1));
    return luaL_argerror(L, idx, msg);
}

double mlua_optnumber(lua_State *L, int idx, const char *key, double def)
{
    int t = getopt_(L, idx, key);
    double v = def;
    if (t == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (t != LUA_TNIL)
        opt_type_error(L, idx, key, "number");
    lua_pop(L, 1);
    return v;
}

lua_Integer mlua_optinteger(lua_State *L, int idx, const char *key, lua_Integer def)
{
    int t = getopt_(L, idx, key);
    lua_Integer v = def;
    if (t != LUA_TNIL) {
        int isint;
        v = lua_tointegerx(L, -1, &isint);
        if (!isint) opt_type_error(L, idx, key, "integer");
    }
    lua_pop(L, 1);
    return v;
}

const char *mlua_optstring(lua_State *L, int idx, const char *key, const char *def)
{
    int t = getopt_(L, idx, key);
    const char *v = def;
    if (t == LUA_TSTRING)
        v = lua_tostring(L, -1);   /* the string stays referenced by the opts table */
    else if (t != LUA_TNIL)
        opt_type_error(L, idx, key, "string");
    lua_pop(L, 1);
    return v;
}

int mlua_optboolean(lua_State *L, int idx, const char *key, int def)
{
    int t = getopt_(L, idx, key);
    int v = def;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        opt_type_error(L, idx, key, "boolean");
    lua_pop(L, 1);
    return v;
}

ml_dtype mlua_optdtype(lua_State *L, int idx, ml_dtype def)
{
    const char *s = mlua_optstring(L, idx, "dtype", NULL);
    ml_dtype t = def;
    if (s && ml_dtype_parse(s, &t)) luaL_argerror(L, idx, lua_pushfstring(L, "option 'dtype': %s", ml_errmsg()));
    return t;
}

size_t mlua_checkdim(lua_State *L, int idx)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    luaL_argcheck(L, n >= 1, idx, "dimension must be a positive integer");
    return (size_t)n;
}

void mlua_optenum(lua_State *L, int idx, const char *key, const char *def, int (*parse)(const char *, void *),
                  void *out)
{
    const char *s = mlua_optstring(L, idx, key, def);
    if (s && parse(s, out)) luaL_argerror(L, idx, lua_pushfstring(L, "option '%s': %s", key, ml_errmsg()));
}

void mlua_checklike(lua_State *L, int idx, const ml_mat *x, const ml_mat *ref, int refidx)
{
    if (!ml_mat_same_shape(x, ref))
        luaL_argerror(L, idx, lua_pushfstring(L, "shape %d x %d does not match argument #%d (%d x %d)", (int)x->rows,
                                              (int)x->cols, refidx, (int)ref->rows, (int)ref->cols));
    if (x->dtype != ref->dtype)
        luaL_argerror(L, idx, lua_pushfstring(L, "dtype %s does not match argument #%d (%s)", ml_dtype_name(x->dtype),
                                              refidx, ml_dtype_name(ref->dtype)));
}
